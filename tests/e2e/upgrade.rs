//! The runner line under the real cron daemon: the README's seed job with every feature at once
//! (timeout, healthcheck pinging a recording server on 127.0.0.1, catch_up, env, workdir, user,
//! a long realistic command) installs and fires; and the block crontainer 0.2 wrote
//! (`tests/fixtures/blocks-v0.2`), put in the test user's crontab, fires as it is, is upgraded
//! in place by `install` with the same config, and fires again as runner lines.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::healthchecks::Healthchecks;
use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, Crontainer, TEST_USER, TestCrontab, UserDir, log_lines,
    path_str, status_job, wait_for_event,
};

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_fires_the_seed_job_with_every_feature_and_the_upgraded_0_2_block() {
    support::require_provisioned();
    let scenarios: [(&str, fn()); 2] = [
        (
            "the seed job with every feature",
            the_seed_job_with_every_feature_installs_and_fires,
        ),
        (
            "the 0.2 block, upgraded",
            the_block_0_2_wrote_fires_is_upgraded_in_place_and_fires_again,
        ),
    ];
    support::run_scenarios(&scenarios);
}

fn the_seed_job_with_every_feature_installs_and_fires() {
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let server = Healthchecks::start();
    let log = dir.join("main_pipeline_v2.log");
    let name = support::unique_cron_d_name();
    let crontab = TestCrontab::acquire();
    let before = crontab.read();
    let config = tool.config(&format!(
        "[cron]\ntarget = \"crontab\"\nuser = \"{TEST_USER}\"\nname = \"{name}\"\n\n\
         [defaults]\nruntime = \"docker\"\n\n\
         [[job]]\nid = \"main_pipeline_v2\"\ndescription = \"Main Video Pipeline (main_v2.py)\"\n\
         container = \"{}\"\n\
         command = [\"python\", \"-m\", \"app.pipeline\", \"--config\", \
         \"/app/config/production.yaml\", \"--notify\", \"it's 100% done\"]\n\
         schedule = \"* * * * *\"\ntimeout = \"4h\"\nhealthcheck = \"{}\"\ncatch_up = true\n\
         env = {{ LOG_LEVEL = \"info\", RATE = \"50%\" }}\nworkdir = \"/tmp\"\nuser = \"app\"\n\
         log = \"{}\"\n",
        container.name(),
        server.url(),
        path_str(&log)
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let installed = crontab.read();
    assert!(installed.starts_with(&before), "{installed}");
    let bin = path_str(support::crontainer_bin());
    let docker = path_str(support::docker());
    let words = format!(
        "{bin} exec main_pipeline_v2 --block {name} --timeout 4h --ping {} --log {} --runtime {docker} \
         --env LOG_LEVEL=info --env 'RATE=50\\%' --workdir /tmp --user app -- {} python -m \
         app.pipeline --config /app/config/production.yaml --notify 'it'\"'\"'s 100\\% done'",
        server.url(),
        path_str(&log),
        container.name()
    );
    let job_line = format!("* * * * * {words}");
    assert!(
        installed.contains(&format!("\n{job_line}\n")),
        "{job_line}\nnot in\n{installed}"
    );
    let reboot_prefix =
        format!("\n@reboot {bin} exec main_pipeline_v2 --block {name} --timeout 4h ");
    assert!(installed.contains(&reboot_prefix), "{installed}");
    assert!(job_line.len() < 998);

    let text = wait_for_event(&log, "main_pipeline_v2", "end", CRON_FIRE_TIMEOUT);
    let lines = log_lines(&log, "main_pipeline_v2");
    let end = lines.iter().find(|l| l.event == "end").unwrap();
    assert_eq!(end.field("exit"), "0", "{text}");
    assert_eq!(end.field("by"), "cron", "{text}");
    // The container got the argv byte for byte, as the user, in the workdir, with the env.
    let calls = container.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(
        call.args(),
        [
            "-m",
            "app.pipeline",
            "--config",
            "/app/config/production.yaml",
            "--notify",
            "it's 100% done"
        ]
    );
    assert_eq!((call.user.as_str(), call.cwd.as_str()), ("app", "/tmp"));
    assert_eq!(call.env.get("RATE").map(String::as_str), Some("50%"));
    assert_eq!(call.env.get("LOG_LEVEL").map(String::as_str), Some("info"));
    // The pings: /start, then /0, both with the run's rid.
    let pinged: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(pinged, ["start", "0"], "{:?}", server.requests());
    let (code, status) = tool.status_json(&config);
    let job = status_job(&status, "main_pipeline_v2");
    assert_eq!(job["in_step"], true, "{job:#}");
    assert_eq!(job["last_run"]["succeeded"], true, "{job:#}");
    assert_eq!(code, Some(0), "{status:#}");
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert_eq!(crontab.read(), before);
}

/// A 0.2 fixture with its paths moved to this machine: the logs into `logs`, the container, the
/// runtime, the binary, the config, the user; `nightly` fires every minute.
fn fixture(name: &str, logs: &Path, container: &str, config: &Path) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/blocks-v0.2")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap()
        .replace("/var/tmp/ctfx2-prom", &format!("{}/prom", path_str(logs)))
        .replace("/var/tmp/ctfx2", path_str(logs))
        .replace("/etc/ctfx2/crontab-ctprobe.toml", path_str(config))
        .replace(
            "/usr/local/bin/crontainer",
            path_str(support::crontainer_bin()),
        )
        .replace("/usr/local/bin/docker", path_str(support::docker()))
        .replace("ai-video-backend", container)
        .replace("--user ctprobe", &format!("--user {TEST_USER}"))
        .replace("user = \"ctprobe\"", &format!("user = \"{TEST_USER}\""))
        // The test image has no /app.
        .replace("/app", "/tmp")
        .replace("15 3 * * * L=", "* * * * * L=")
        .replace("schedule = \"15 3 * * *\"", "schedule = \"* * * * *\"")
}

fn the_block_0_2_wrote_fires_is_upgraded_in_place_and_fires_again() {
    let container = Container::start();
    // 0.2's seed line is 974 bytes with its logs in /var/tmp/ctfx2: they go to a directory with
    // a name as short (`/tmp/cxXXXX`), owned by the test user, or the line would pass cron's 998.
    let dir = tempfile::Builder::new()
        .prefix("cx")
        .rand_bytes(4)
        .tempdir_in("/tmp")
        .unwrap();
    let _ledgers = support::Ledgers::of_logs_under(dir.path());
    let user = nix::unistd::User::from_name(TEST_USER).unwrap().unwrap();
    nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
    let tool = Crontainer::new();
    // The metrics line runs as the test user and reads the config: a root-owned config it can
    // read, in a directory only root may write.
    std::fs::set_permissions(tool.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = tool.dir().join("crontab-ctprobe.toml");
    let prom = dir.path().join("prom");
    std::fs::create_dir(&prom).unwrap();
    nix::unistd::chown(&prom, Some(user.uid), Some(user.gid)).unwrap();
    std::fs::write(
        &config,
        fixture(
            "crontab-ctprobe.toml",
            dir.path(),
            container.name(),
            &config,
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let crontab = TestCrontab::acquire();
    let old = fixture("crontab-ctprobe.txt", dir.path(), container.name(), &config);
    crontab.write(&old);
    let log = dir.path().join("nightly.log");

    // 0.2's shell line fires as it is.
    let text = wait_for_event(&log, "nightly", "end", CRON_FIRE_TIMEOUT);
    let ends: Vec<_> = log_lines(&log, "nightly")
        .into_iter()
        .filter(|l| l.event == "end")
        .collect();
    assert_eq!(ends[0].field("exit"), "0", "{text}");

    // Upgraded in place: the user's lines byte for byte, runner lines, the metrics line kept.
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    let new = crontab.read();
    assert!(
        new.starts_with(
            "# my own line\n15 3 * * * /usr/local/bin/backup.sh\n# BEGIN crontainer:fixture2\n"
        ),
        "{new}"
    );
    let metrics = old.lines().find(|l| l.contains(" metrics -q ")).unwrap();
    assert!(new.contains(&format!("\n{metrics}\n")), "{new}");
    let bin = path_str(support::crontainer_bin());
    assert_eq!(
        new.lines()
            .filter(|l| l.contains(&format!(" {bin} exec ")))
            .count(),
        6,
        "five jobs and a catch-up line:\n{new}"
    );
    assert!(
        new.contains("paused_at=2026-12-04T15:31:53Z paused_by=root\n#paused# @daily "),
        "{new}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doctor = tool.output(["doctor", "-c", path_str(&config)]);
    assert!(
        !String::from_utf8_lossy(&doctor.stdout).contains("upgrade of block"),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );

    // And the runner line fires: a new run, after the 0.2 one, by cron.
    let runs_before = ends.len();
    assert!(
        support::wait_until(CRON_FIRE_TIMEOUT, support::POLL, || {
            log_lines(&log, "nightly")
                .iter()
                .filter(|l| l.event == "end")
                .count()
                > runs_before
        }),
        "no runner firing of nightly:\n{}",
        support::read_log(&log)
    );
    let last = log_lines(&log, "nightly")
        .into_iter()
        .rfind(|l| l.event == "end")
        .unwrap();
    assert_eq!(last.field("exit"), "0", "{}", support::read_log(&log));
    assert_eq!(last.field("by"), "cron");
}
