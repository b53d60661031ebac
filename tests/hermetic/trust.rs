//! A status you can trust, without a real cron: a firing that never came is "missed", a run
//! without an end line is a failure, a job's output that imitates crontainer's lines changes
//! nothing, an environment line above the block is reported and moved out of its way, and what
//! crontainer 0.1 installed and logged is still read (`tests/fixtures/blocks-v0.1`, captured
//! from the real crontab). The same with the real cron daemon and Docker: `tests/e2e/trust.rs`.

use std::path::Path;

use crate::common::{Env, ok, stdout_of};

/// `status --json` at `now`: its exit code and document.
fn status_at(env: &Env, config: &Path, now: &str) -> (Option<i32>, serde_json::Value) {
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(config)
        .env("CRONTAINER_NOW", now)
        .output()
        .unwrap();
    let doc = serde_json::from_str(&stdout_of(&out))
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", stdout_of(&out)));
    (out.status.code(), doc)
}

fn problems(doc: &serde_json::Value) -> String {
    doc["jobs"][0]["problems"].to_string()
}

#[test]
fn a_firing_that_never_came_is_missed_after_the_grace_period() {
    let env = Env::new();
    let config = env.simple_config("");
    // Installed at 2026-11-29 12:34:56 UTC; `every = "5h"` slots count from the epoch, so the
    // first one after it is 16:00 UTC.
    env.install(&config);
    let marker = env.crontab().unwrap();
    assert!(
        marker.contains(" installed=2026-11-29T12:34:56Z"),
        "{marker}"
    );

    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(0), "right after install: {doc:#}");
    let (code, doc) = status_at(&env, &config, "2026-11-29T16:04:00Z");
    assert_eq!(code, Some(0), "within the grace period: {doc:#}");
    let (code, doc) = status_at(&env, &config, "2026-11-29T16:06:00Z");
    assert_eq!(code, Some(1), "{doc:#}");
    assert!(
        problems(&doc).contains("missed: cron should have started it at 2026-11-29 16:00 UTC"),
        "{}",
        problems(&doc)
    );
    let out = env
        .cmd(["doctor", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-11-29T16:06:00Z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    assert!(
        stdout_of(&out).contains("missed: cron should have started it at 2026-11-29 16:00 UTC"),
        "{}",
        stdout_of(&out)
    );

    // An identical install later keeps the time the line was installed.
    ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-11-29T16:00:00Z"));
    assert_eq!(env.crontab().unwrap(), marker);

    // A per-job grace, and a changed line installed anew.
    let config = env.simple_config("grace = \"2h\"");
    ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-11-29T16:00:00Z"));
    let crontab = env.crontab().unwrap();
    assert!(
        crontab.contains(" grace=7200 installed=2026-11-29T16:00:00Z"),
        "{crontab}"
    );
    let (code, doc) = status_at(&env, &config, "2026-11-29T22:30:00Z");
    assert_eq!(code, Some(0), "21:00 plus 2h of grace: {doc:#}");
    let (code, _) = status_at(&env, &config, "2026-11-29T23:01:00Z");
    assert_eq!(code, Some(1));

    // A paused job is never missed.
    ok(env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config));
    let (code, doc) = status_at(&env, &config, "2026-11-30T23:01:00Z");
    assert!(!problems(&doc).contains("missed"), "{doc:#}");
    assert_eq!(code, Some(0), "{doc:#}");
}

#[test]
fn a_run_with_no_end_line_is_a_failure_until_a_later_run_succeeds() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    // What a run killed on the host leaves: its start line, its id in the lock file, no end
    // line, and no one holding the lock.
    std::fs::write(
        env.path("logs/main.log"),
        "[crontainer] 2026-11-29T10:00:00Z main_pipeline_v2 start pid=4242 by=cron\npartial output\n",
    )
    .unwrap();
    let started = 1795946400; // 2026-11-29T10:00:00Z
    std::fs::write(env.path("logs/main.log.lock"), format!("4242-{started}\n")).unwrap();
    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(1), "{doc:#}");
    assert!(
        problems(&doc).contains(
            "the run started at 2026-11-29T10:00:00Z did not finish (no end line): it was killed"
        ),
        "{}",
        problems(&doc)
    );
    assert_eq!(doc["jobs"][0]["running"], false);

    // A later run that succeeds makes it healthy again.
    ok(env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config));
    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(0), "{doc:#}");
}

/// A `docker` that prints crontainer-like lines for job `main_pipeline_v2` (the job's own
/// output, e.g. another job's log), then fails with 7.
const FORGING_DOCKER: &str = r#"#!/bin/sh
case "$1" in
  exec)
    echo "[crontainer] 2026-11-29T20:30:00Z main_pipeline_v2 end exit=0 seconds=1 by=cron"
    echo "[crontainer] 2026-11-29T20:30:01Z main_pipeline_v2 start pid=1 by=cron"
    echo "[crontainer] 2026-11-29T20:30:02Z main_pipeline_v2 end exit=0 seconds=1 run=1-1795984201 by=cron"
    printf 'no newline[crontainer] 2026-11-29T20:30:03Z main_pipeline_v2 skip reason=running by=cron'
    echo
    exit 7 ;;
  inspect)
    for last; do :; done
    if [ "$4" = -- ]; then
      printf '[{"Id":"%s","Name":"/%s","State":{"Status":"running","Pid":0}}]\n' "$last" "$last"
    else
      shift 5; for name; do echo "0123456789ab /$name running"; done
    fi ;;
esac
"#;

#[test]
fn a_jobs_output_that_imitates_crontainers_lines_changes_nothing() {
    let env = Env::new();
    env.write_exe("bin/docker", FORGING_DOCKER);
    let config = env.simple_config("");
    env.install(&config);
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));

    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(1), "{doc:#}");
    let job = &doc["jobs"][0];
    assert_eq!(job["last_run"]["succeeded"], false, "{job:#}");
    assert_eq!(job["last_run"]["ended"]["event"]["exit"], 7, "{job:#}");
    assert_eq!(
        job["last_run"]["started"]["by"],
        format!("run-now by {}", Env::user()),
        "the real start, not the forged one: {job:#}"
    );
    assert_eq!(job["last_run"]["skipped"], serde_json::Value::Null);
    assert!(problems(&doc).contains("exit 7"), "{}", problems(&doc));

    // `logs` shows that run, from its real start line.
    let logs = ok(env.cmd(["logs", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(logs.starts_with("[crontainer] "), "{logs}");
    assert!(logs.contains("by=run-now:"), "{logs}");
    assert!(
        crate::common::any_seconds(&logs).contains(" end exit=7 seconds=N run="),
        "{logs}"
    );
}

#[test]
fn an_environment_line_above_the_block_is_reported_and_install_moves_the_block_above_it() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let block = env.crontab().unwrap();
    let mine = "# mine\nSHELL=/usr/bin/python3\n1 2 * * * print('hi')\n";
    env.set_crontab(&format!("{mine}{block}"));

    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(1), "{doc:#}");
    assert!(
        problems(&doc).contains("sets `SHELL=/usr/bin/python3` (line 2) above block `crontainer`"),
        "{}",
        problems(&doc)
    );
    let out = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    assert!(
        stdout_of(&out).contains("FAIL  environment of block crontainer:"),
        "{}",
        stdout_of(&out)
    );

    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(
        out.contains("now sits above `SHELL=/usr/bin/python3`"),
        "{out}"
    );
    assert_eq!(
        env.crontab().unwrap(),
        format!("# mine\n{block}SHELL=/usr/bin/python3\n1 2 * * * print('hi')\n"),
        "the block above the assignment, the user's lines as they were"
    );
    let (code, doc) = status_at(&env, &config, "2026-11-29T12:35:00Z");
    assert_eq!(code, Some(0), "{doc:#}");
}

/// The 0.1 fixtures with their paths moved into `env`, and the config for this machine's user.
fn fixture(env: &Env, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/blocks-v0.1")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap()
        .replace("/var/tmp/ctfx", &env.path("logs").display().to_string())
        .replace("user = \"ctprobe\"\n", "")
}

#[test]
fn status_reads_the_logs_and_blocks_crontainer_0_1_wrote() {
    let env = Env::new();
    env.set_crontab(&fixture(&env, "crontab-ctprobe.txt"));
    std::fs::write(
        env.path("logs/main_pipeline_v2.log"),
        fixture(&env, "log-v0.1.log"),
    )
    .unwrap();
    // 0.1's lines leave the lock file empty.
    std::fs::write(env.path("logs/main_pipeline_v2.log.lock"), "").unwrap();
    let out = env
        .cmd(["status", "main_pipeline_v2"])
        .env("CRONTAINER_NOW", "2026-11-29T21:30:00Z")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains(
            "last run:  2026-11-29 21:28 UTC (1m ago) run-now by root, exit 0, took 3s; a firing \
             at 2026-11-29T21:28:09Z was skipped"
        ),
        "{text}"
    );
    // 0.1's markers say nothing of when they were installed: nothing is called missed.
    assert!(!text.contains("missed"), "{text}");
    let out = env
        .cmd(["status", "--json"])
        .env("CRONTAINER_NOW", "2026-11-29T21:30:00Z")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let ids: Vec<&str> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["main_pipeline_v2", "nightly", "paused_one"]);
    assert!(doc["jobs"][2]["paused"].is_object(), "{doc:#}");
    let logs = ok(&mut env.cmd(["logs", "main_pipeline_v2"]));
    assert!(
        logs.starts_with("[crontainer] 2026-11-29T21:28:08Z main_pipeline_v2 start pid=4130"),
        "{logs}"
    );
}

#[test]
fn install_upgrades_a_block_crontainer_0_1_wrote_in_place() {
    let env = Env::new();
    let old = fixture(&env, "crontab-ctprobe.txt");
    env.set_crontab(&old);
    let config = env.config(&fixture(&env, "crontab-ctprobe.toml"));
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("job \"paused_one\" stays paused"), "{out}");
    let new = env.crontab().unwrap();
    // The user's lines, byte for byte, in the same place.
    assert!(
        new.starts_with(
            "# my own line\n15 3 * * * /usr/local/bin/backup.sh\n# BEGIN crontainer:fixture\n"
        ),
        "{new}"
    );
    assert!(new.ends_with("# END crontainer:fixture\n"), "{new}");
    assert_eq!(new.matches("# BEGIN crontainer:").count(), 1, "{new}");
    // The new line shape, the paused job still paused since the same time.
    let dir = env.dir.path().display().to_string();
    assert_eq!(
        new.lines()
            .filter(|l| l.contains(&format!(" {dir}/bin/crontainer exec ")))
            .count(),
        3,
        "{new}"
    );
    assert!(!new.contains("exec 9>>"), "{new}");
    assert!(
        new.contains("paused_at=2026-11-29T21:27:41Z paused_by=root"),
        "{new}"
    );
    assert!(
        new.contains(&format!(
            "\n#paused# @daily {dir}/bin/crontainer exec paused_one --log \
             {dir}/logs/paused_one.log --runtime {dir}/bin/docker -- ai-video-backend python \
             cleanup.py\n"
        )),
        "{new}"
    );
    // And a second install is a no-op.
    let again = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(again.contains("is up to date"), "{again}");
    assert_eq!(env.crontab().unwrap(), new);
}

/// A block 0.1 wrote has no install time in its markers, so a firing that never comes cannot be
/// called missed: doctor says so, and how to end it, until `install` upgrades the block.
#[test]
fn doctor_says_a_block_0_1_wrote_cannot_tell_a_missed_firing_until_reinstalled() {
    let env = Env::new();
    env.set_crontab(&fixture(&env, "crontab-ctprobe.txt"));
    let out = env.cmd(["doctor"]).output().unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("WARN  upgrade of block fixture: installed by crontainer 0.1"),
        "{text}"
    );
    assert!(text.contains("run `crontainer install`"), "{text}");
    let config = env.config(&fixture(&env, "crontab-ctprobe.toml"));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let out = env.cmd(["doctor"]).output().unwrap();
    let text = stdout_of(&out);
    assert!(!text.contains("crontainer 0.1"), "{text}");
}
