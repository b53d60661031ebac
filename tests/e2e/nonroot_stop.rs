//! A user's crontab job stopped at its timeout in a container without a shell, its runner not
//! root: the test user `crontainer-e2e` (in the `docker` group) owns the crontab, so `run-now`
//! runs the runner as that user, exactly as cron would. The job's process in the container is
//! root's on the host (rootful Docker), which the runner may not signal; it stops it from
//! inside, `docker exec ID kill -s TERM -PGID` by argv (`exec/stop.rs`), which needs a `kill` in
//! the container but no `sh`. Where there is no `kill` either (the bare image as built), nothing
//! can stop it: the end line says `stopped=no` and the run stays visible as running.
//!
//! Docker only: rootful Podman's containers are root's, which a user's jobs never reach, and
//! rootless Podman for the test user would need the test images in that user's own store, which
//! `scripts/provision-e2e` does not load.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::path::Path;
use std::process::Command;

use crate::shared_runner::normalize;
use crate::support::{
    self, Bare, Crontainer, NEVER, TEST_USER, TestCrontab, UserDir, cmd, docker, mask_number_after,
    path_str, random_suffix, read_log, require_bare_image, status_job, toml_str,
};

/// A config for the test user's crontab: job `stopped` sleeping `seconds` in `container`, with a
/// timeout of 3 s, never fired by cron.
fn users_job(container: &Bare, log: &Path, seconds: u32) -> String {
    format!(
        "[cron]\nuser = \"{TEST_USER}\"\nname = \"stop-{}\"\n\n[defaults]\nruntime = \"docker\"\n\n\
         [[job]]\nid = \"stopped\"\ncontainer = \"{}\"\n\
         command = [\"/bin/busybox\", \"sleep\", \"{seconds}\"]\nschedule = \"{NEVER}\"\n\
         log = {}\ntimeout = \"3s\"\n",
        random_suffix(),
        container.name,
        toml_str(path_str(log)),
    )
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_users_job_is_stopped_at_its_timeout_from_inside_a_container_without_a_shell() {
    support::require_provisioned();
    require_bare_image(docker());
    let container = Bare::start(docker());
    // `kill` without a shell: busybox's applet, linked by argv (there is no `ln` either).
    cmd::run(Command::new(docker()).args([
        "exec",
        &container.name,
        "/bin/busybox",
        "ln",
        "-s",
        "/bin/busybox",
        "/bin/kill",
    ]));
    let crontab = TestCrontab::acquire();
    crontab.write("");
    let dir = UserDir::new();
    let log = dir.join("stopped.log");
    let tool = Crontainer::new();
    let config = tool.config(&users_job(&container, &log, 306));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let out = tool.output(["run-now", "stopped", "-c", path_str(&config)]);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert_eq!(out.status.code(), Some(124), "{}", read_log(&log));
    // The runner ran as the test user, whose own id the run's ledger and the log's `by` do not
    // show: its start line's pid does.
    assert_eq!(
        normalize(&read_log(&log)),
        "[crontainer] T stopped start pid=N by=run-now:root\n\
         [crontainer] T stopped end exit=124 seconds=N timeout=3 reason=timeout run=N-N \
         by=run-now:root\n"
    );
    let left = container.processes();
    assert!(!left.contains("sleep 306"), "still running:\n{left}");
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_users_job_that_nothing_can_stop_is_said_so_and_stays_visible() {
    support::require_provisioned();
    require_bare_image(docker());
    let container = Bare::start(docker());
    let crontab = TestCrontab::acquire();
    crontab.write("");
    let dir = UserDir::new();
    let log = dir.join("stopped.log");
    let tool = Crontainer::new();
    let config = tool.config(&users_job(&container, &log, 307));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let out = tool.output(["run-now", "stopped", "-c", path_str(&config)]);
    // Its client holds the lock: a firing now is skipped, as for a run still going.
    let again = tool.output(["run-now", "stopped", "-c", path_str(&config)]);
    let (code, status) = tool.status_json(&config);
    let job = status_job(&status, "stopped").clone();
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert_eq!(out.status.code(), Some(124), "{}", read_log(&log));
    // The runtime's own words for the missing `kill` vary with its version: cut at them.
    let log_text = normalize(&read_log(&log));
    let said = "`kill` in the container failed: ";
    let cut: String = log_text
        .lines()
        .map(|l| match l.split_once(said) {
            Some((before, _)) => format!("{}{said}...\n", mask_number_after(before, "process ")),
            None => format!("{l}\n"),
        })
        .collect();
    assert_eq!(
        cut,
        "[crontainer] T stopped start pid=N by=run-now:root\n\
         crontainer: the job could not be stopped in the container: not allowed to signal \
         process N, and `kill` in the container failed: ...\n\
         [crontainer] T stopped end exit=124 seconds=N timeout=3 reason=timeout stopped=no \
         run=N-N by=run-now:root\n"
    );
    assert_eq!(again.status.code(), Some(75), "{}", read_log(&log));
    // `status` says so, and shows the run as going on (its client's pid).
    assert_eq!(
        (code, &job["problems"], job["running"].as_bool()),
        (
            Some(1),
            &serde_json::json!([
                "the last run timed out, and could not be stopped in the container: it may \
                 still run there"
            ]),
            Some(true)
        ),
        "{job:#}"
    );
    assert!(container.processes().contains("sleep 307"));
}
