//! What crontainer 0.2 wrote (`tests/fixtures/blocks-v0.2`, captured from a40f190 with real runs):
//! every command reads its shell lines, logs and lock files; `install` with the same config
//! upgrades the block in place to runner lines, keeping the user's lines byte for byte, the
//! paused job paused since the same time, the metrics line, the install times, and the last run
//! `status` reports; `doctor` says the block is of the older kind until then. The real cron
//! firing the upgraded lines is `tests/e2e/upgrade.rs`.

use std::path::Path;

use crate::common::{Env, ok, stdout_of};

/// A 0.2 fixture with its host paths moved into `env`: the logs, the textfile directory, the
/// config, the binaries, the user.
fn fixture(env: &Env, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/blocks-v0.2")
        .join(name);
    let dir = env.dir.path().display().to_string();
    std::fs::read_to_string(&path)
        .unwrap()
        .replace("/var/tmp/ctfx2", &format!("{dir}/ctfx2"))
        .replace(
            "/etc/ctfx2/crontab-ctprobe.toml",
            &format!("{dir}/config.toml"),
        )
        .replace(
            "/usr/local/bin/crontainer",
            &format!("{dir}/bin/crontainer"),
        )
        .replace("/usr/local/bin/docker", &format!("{dir}/bin/docker"))
        .replace("--user ctprobe", &format!("--user {}", Env::user()))
        .replace("user = \"ctprobe\"\n", "")
}

/// The host as 0.2 left it: its crontab, each job's log and lock file, the directories.
fn host_of_0_2(env: &Env) -> std::path::PathBuf {
    std::fs::create_dir_all(env.path("ctfx2")).unwrap();
    std::fs::create_dir_all(env.path("ctfx2-prom")).unwrap();
    env.set_crontab(&fixture(env, "crontab-ctprobe.txt"));
    for job in ["main_pipeline_v2", "nightly", "reports", "worker_sync"] {
        std::fs::write(
            env.path(&format!("ctfx2/{job}.log")),
            fixture(env, &format!("log-{job}.log")),
        )
        .unwrap();
        std::fs::write(
            env.path(&format!("ctfx2/{job}.log.lock")),
            fixture(env, &format!("lock-{job}.txt")),
        )
        .unwrap();
    }
    env.config(&fixture(env, "crontab-ctprobe.toml"))
}

/// The running container of `worker_sync`'s Compose service, for the fake `docker ps`.
const WORKER: &str = "0123456789ab shop worker shop-worker-1";

/// `status main_pipeline_v2`'s last run, as the 0.2 fixture's log and lock file tell it.
const LAST_RUN: &str = "last run:  2026-12-04 15:32 UTC (27m ago) run-now by root, exit 0, took 2s";

fn status_of_pipeline(env: &Env) -> String {
    let out = env
        .cmd(["status", "main_pipeline_v2"])
        .env("CRONTAINER_NOW", "2026-12-04T16:00:00Z")
        .output()
        .unwrap();
    stdout_of(&out)
}

#[test]
fn every_command_reads_what_0_2_wrote() {
    let env = Env::new();
    host_of_0_2(&env);
    let before = env.crontab().unwrap();
    let text = status_of_pipeline(&env);
    assert!(
        text.contains(&format!("\n  {LAST_RUN}, healthcheck ping failed\n")),
        "{text}"
    );
    assert!(
        text.contains("\n  schedule:  every 5 hours (0 * * * *)\n"),
        "{text}"
    );
    // Its log, by the same records.
    let logs = ok(&mut env.cmd(["logs", "main_pipeline_v2"]));
    assert!(
        logs.ends_with("main_pipeline_v2 end exit=0 ping=failed run=3330-1796398322 seconds=2 by=run-now:root\n"),
        "{logs}"
    );
    // Pause and resume give the bytes back; resume of the paused job lets its 0.2 line fire.
    ok(&mut env.cmd(["pause", "nightly"]));
    assert_ne!(env.crontab().unwrap(), before);
    ok(&mut env.cmd(["resume", "nightly"]));
    // The line comes back byte for byte; the marker's install time becomes the resume's (the
    // harness's CRONTAINER_NOW), so no firing that fell in the pause is ever called missed.
    let resumed = env.crontab().unwrap();
    let marker = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("# crontainer:job id=nightly "))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        marker(&resumed),
        marker(&before).replace(
            " installed=2026-12-04T15:31:53Z",
            " installed=2026-11-29T12:34:56Z"
        )
    );
    assert_eq!(resumed.replace(&marker(&resumed), &marker(&before)), before);
    // run-now runs the 0.2 line as it is: the shell program, the fake docker as its runtime.
    let out = env.cmd(["run-now", "reports"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::stderr_of(&out)
    );
    assert!(
        env.read("ctfx2/reports.log")
            .contains(" reports end exit=0 run="),
        "{}",
        env.read("ctfx2/reports.log")
    );
    // Uninstalling one job leaves the others' 0.2 lines as they were.
    ok(&mut env.cmd(["uninstall", "worker_sync", "--name", "fixture2"]));
    let after = env.crontab().unwrap();
    assert!(!after.contains("worker_sync"), "{after}");
    let kept: Vec<&str> = resumed
        .lines()
        .filter(|l| !l.contains("worker_sync"))
        .collect();
    assert_eq!(after.lines().collect::<Vec<_>>(), kept);
}

#[test]
fn install_upgrades_the_block_0_2_wrote_in_place() {
    let env = Env::new();
    let config = host_of_0_2(&env);
    let doctor = stdout_of(&env.cmd(["doctor"]).output().unwrap());
    assert!(
        doctor.contains(
            "\nWARN  upgrade of block fixture2: installed by crontainer 0.2: its lines are shell \
             programs of the older kind, which run as they are; `crontainer install` upgrades \
             them in place to runner lines (`crontainer exec ...`), keeping paused jobs paused\n      \
             fix: run `crontainer install` with the config that installed it\n"
        ),
        "{doctor}"
    );
    let out = ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", WORKER));
    assert!(
        out.starts_with(
            "job \"paused_one\" stays paused (since 2026-12-04T15:31:53Z by root): \
             `crontainer resume paused_one` lets it fire\n"
        ),
        "{out}"
    );
    // The whole crontab: the user's two lines byte for byte, then the block with a runner line
    // for every job (the paused one still paused since the same time, the catch-up line with
    // the job's install time), the install times of 0.2 kept, the metrics line as it was.
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/runner-lines-v0.4/upgraded-from-v0.2.txt"),
    )
    .unwrap()
    .replace("{dir}", &env.dir.path().display().to_string())
    .replace("{user}", &Env::user());
    assert_eq!(env.crontab().unwrap(), expected);
    // The metrics line is the very one 0.2 wrote.
    let old = fixture(&env, "crontab-ctprobe.txt");
    let metrics = old.lines().find(|l| l.contains(" metrics -q ")).unwrap();
    assert!(expected.contains(&format!("\n{metrics}\n")));
    // status still reads the last run 0.2's line logged, by the run id in its lock file.
    assert!(status_of_pipeline(&env).contains(LAST_RUN));
    let doctor = stdout_of(&env.cmd(["doctor"]).output().unwrap());
    assert!(!doctor.contains("upgrade of block"), "{doctor}");
    // And a second install is a no-op.
    let again = ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", WORKER));
    assert!(again.contains("is up to date"), "{again}");
    assert_eq!(env.crontab().unwrap(), expected);
}

/// The healthcheck URL of the pinned config, and how `plan` shows it.
const PINNED_URL: &str = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";
const MASKED_URL: &str = "https://hc-ping.com/…/4f5a";

/// The exact lines 0.4 writes for every flag of the runner, pinned: a later release must run
/// them as they are (`runner_args.rs`: flags are added, never renamed or removed), so a change
/// here is a change of a stable interface. Each line also reads back, by the runner's own
/// definition, into the job it was rendered from.
#[test]
fn the_runner_lines_0_4_writes_are_pinned() {
    let env = Env::new();
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runner-lines-v0.4");
    let dir = env.dir.path().display().to_string();
    for (target, file) in [
        ("crontab", "plan-crontab.txt"),
        ("cron.d", "plan-cron.d.txt"),
    ] {
        // (For cron.d, stderr warns that `env` values and the URL are in a file all may read.)
        let out = env
            .cmd(["plan", "--target", target, "-c"])
            .arg(pinned.join("config.toml"))
            .env("CRONTAINER_EXE", "/usr/bin/crontainer")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::common::stderr_of(&out)
        );
        // plan shows a healthcheck URL only masked (issue 25); the pinned lines hold it as the
        // line carries it.
        let out = stdout_of(&out);
        assert!(out.contains(&format!("--ping {MASKED_URL} ")), "{out}");
        let out = out.replace(MASKED_URL, PINNED_URL);
        let block = out.split("\n\n").next().unwrap();
        let expected = std::fs::read_to_string(pinned.join(file)).unwrap();
        assert_eq!(
            format!("{}\n", block.replace(&dir, "{dir}")),
            expected,
            "{target}"
        );
        for line in block.lines().filter(|l| l.contains(" exec ")) {
            let args = runner_args_of(line);
            assert_eq!(args.block.as_deref(), Some("pinned"), "{line}");
        }
    }
}

/// The fixture's promise, kept: every long flag of the runner's definition is on some pinned
/// line of 0.4 (`--since` only on an installed catch-up line, so in `upgraded-from-v0.2.txt`).
#[test]
fn every_runner_flag_is_on_a_pinned_line() {
    use clap::Args;
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runner-lines-v0.4");
    let text: String = [
        "plan-crontab.txt",
        "plan-cron.d.txt",
        "upgraded-from-v0.2.txt",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(pinned.join(f)).unwrap())
    .collect();
    let command = crontainer::runner_args::RunnerArgs::augment_args(clap::Command::new("exec"));
    let missing: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|long| !text.contains(&format!(" --{long} ")))
        .map(|long| format!("--{long}"))
        .collect();
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "flags no pinned line carries"
    );
}

/// The words of a pinned line after `crontainer exec`, read by the runner's own definition.
fn runner_args_of(line: &str) -> crontainer::runner_args::RunnerArgs {
    let command = line.split(" /usr/bin/crontainer exec ").nth(1).unwrap();
    let words = crontainer::line::read::split_words(&command.replace("\\%", "%")).unwrap();
    crontainer::runner_args::RunnerArgs::from_words(words).unwrap()
}

/// The lines 0.3 shipped (`tests/fixtures/runner-lines-v0.3`, without `--block`) still read
/// by the runner's definition, and as a block: a later release runs them as they are.
#[test]
fn the_runner_lines_0_3_wrote_still_read() {
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runner-lines-v0.3");
    for (file, with_user) in [("plan-crontab.txt", false), ("plan-cron.d.txt", true)] {
        let text = std::fs::read_to_string(pinned.join(file))
            .unwrap()
            .replace("{dir}", "/srv/pinned");
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(" exec ")).collect();
        assert_eq!(lines.len(), 5, "{file}");
        for line in lines {
            assert_eq!(runner_args_of(line).block, None, "{line}");
        }
        let body = crontainer::block::find(&text, "pinned").unwrap().unwrap();
        let entries = crontainer::line::parse_body(&body, with_user, "pinned").unwrap();
        assert_eq!(entries.len(), 3, "{file}");
    }
}

/// A block of 0.3's lines (`runner-lines-v0.3/upgraded-from-v0.2.txt`: no `--block`) is in step
/// with its config, and `install` gives each line its `--block` in place, keeping the install
/// times, the pause, the metrics line and the user's lines: the very text 0.4 writes
/// (`runner-lines-v0.4/upgraded-from-v0.2.txt`).
#[test]
fn install_gives_the_lines_0_3_wrote_their_block_in_place() {
    let env = Env::new();
    let config = host_of_0_2(&env);
    let pinned = |version: &str| {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
            "tests/fixtures/runner-lines-{version}/upgraded-from-v0.2.txt"
        )))
        .unwrap()
        .replace("{dir}", &env.dir.path().display().to_string())
        .replace("{user}", &Env::user())
    };
    env.set_crontab(&pinned("v0.3"));
    let status = env
        .cmd(["status", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", WORKER)
        .output()
        .unwrap();
    let status = stdout_of(&status);
    assert!(!status.contains("drifted"), "{status}");
    assert!(!status.contains("edited by hand"), "{status}");
    let out = ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", WORKER));
    assert!(!out.contains("is up to date"), "{out}");
    assert_eq!(env.crontab().unwrap(), pinned("v0.4"));
    let again = ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", WORKER));
    assert!(again.contains("is up to date"), "{again}");
}

#[test]
fn doctor_checks_the_host_programs_the_0_2_lines_name_and_only_those() {
    let env = Env::new();
    let config = host_of_0_2(&env);
    // One of them gone: the 0.2 pipeline line's `curl`.
    let gone = env.path("gone/curl");
    env.set_crontab(
        &env.crontab()
            .unwrap()
            .replace("/usr/bin/curl", gone.to_str().unwrap()),
    );
    let out = env
        .cmd(["doctor", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-12-04T16:00:00Z")
        .env("FAKE_DOCKER_PS", WORKER)
        .output()
        .unwrap();
    let dir = env.dir.path().display().to_string();
    let user = Env::user();
    let roots_inputs = if nix::unistd::geteuid().is_root() {
        "ok    root's inputs: the config and the programs the line runs are root's alone\n"
    } else {
        ""
    };
    let drifted = |job: &str| {
        format!(
            "FAIL  job {job}: installed, but drifted from the config\n      fix: run `crontainer install`\n"
        )
    };
    let log =
        |job: &str| format!("ok    log of {job}: {{dir}}/ctfx2/{job}.log writable by {user}\n");
    let jobs = [
        "main_pipeline_v2",
        "nightly",
        "worker_sync",
        "reports",
        "paused_one",
    ];
    let expected = format!(
        "ok    cron daemon: running: cron (pid 2)\n\
         ok    flock: /usr/bin/flock\n\
         ok    date: /usr/bin/date\n\
         ok    tail: /usr/bin/tail\n\
         ok    sleep: /usr/bin/sleep\n\
         FAIL  curl: {{dir}}/gone/curl is missing or not executable: the lines of crontainer \
         0.1/0.2 that run it fail\n      \
         fix: install it (flock: util-linux; curl: curl; the others: coreutils), or run \
         `crontainer install` to upgrade the lines to runner lines, which need none of these\n\
         ok    wc: /usr/bin/wc\n\
         ok    container runtime: {{dir}}/bin/docker answers (server 20.10.24)\n\
         {roots_inputs}\
         ok    time zone: cron's is UTC (from no TZ, /etc/localtime or /etc/timezone); times \
         shown follow it\n\
         ok    installed blocks: 5 job(s) in 1 block(s) in {user}'s crontab: `fixture2` (5 \
         job(s), {user}'s crontab)\n\
         FAIL  metrics line: the metrics of block `fixture2`: \
         {{dir}}/ctfx2-prom/crontainer-crontab-{user}+fixture2.prom has not been written, though \
         the metrics line runs every minute (`crontainer metrics --textfile {{dir}}/ctfx2-prom` \
         by hand says why)\n      \
         fix: `crontainer install` again from the binary and config to keep; run the line's \
         command by hand to see its error\n\
         {}\
         WARN  upgrade of block fixture2: installed by crontainer 0.2: its lines are shell \
         programs of the older kind, which run as they are; `crontainer install` upgrades them \
         in place to runner lines (`crontainer exec ...`), keeping paused jobs paused\n      \
         fix: run `crontainer install` with the config that installed it\n\
         ok    container of worker_sync: service worker of project shop resolves to \
         shop-worker-1, running\n\
         {}",
        jobs.map(drifted).concat(),
        jobs.map(log).concat(),
    );
    assert_eq!(
        (
            out.status.code(),
            stdout_of(&out).replace(&dir, "{dir}"),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (Some(1), expected, String::new())
    );
}
