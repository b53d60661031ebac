//! The product end to end: `crontainer install` writes the line, the real cron daemon fires it,
//! `docker exec` runs the command in a real container, and `status`, `run-now` and `uninstall`
//! read back what happened. Only the product makes the lines here (no hand-made line).
//!
//! This part: a job's `timeout`, through `run-now`, with no cron: its lines never fire (they are
//! scheduled for 1 January at midnight). Over Docker and rootful Podman alike (`each_engine!`).
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{
    Container, CronDGuard, Crontainer, NEVER, RunLogLine, cmd, each_engine, job_toml, path_str,
    read_log, status_job,
};

// --- 7. timeout ---------------------------------------------------------------------------------

/// The processes in the container, as `ps -o pid,stat,args` lines, zombies left out (the
/// container's pid 1 is `sleep`, which reaps nobody).
fn live_processes(container: &Container) -> Vec<String> {
    let out = cmd::run(Command::new(container.runtime()).args([
        "exec",
        container.name(),
        "ps",
        "-o",
        "pid,stat,args",
    ]));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|s| !s.starts_with('Z'))
        })
        .map(str::to_owned)
        .collect()
}

each_engine! {
    /// A job with `timeout = "5s"` that would sleep 60 s, run with `run-now`: it ends after about
    /// 5 s with timeout's code, logged and shown as timed out, and neither its own process (not
    /// only the runtime's client) nor its children are left in the container. With busybox's
    /// `timeout` (the only one in Alpine-style images like this test image), only the job's own
    /// process gets the signal; its children (here the stand-in's `sleep 60`, in real life e.g.
    /// an ffmpeg started by the pipeline) would keep running after the timeout, while the lock is
    /// released and the next run may start. The line's wrapper stops the whole group.
    fn timeout_stops_the_job_and_its_children_inside_the_container(engine) {
        let container = engine.start();
        let dir = engine.log_dir();
        let tool = Crontainer::new();
        let file = CronDGuard::new();
        let log = dir.join("slow.log");
        let config = tool.config(&engine.cron_d_config(
            &file,
            &job_toml(
                "slow",
                container.name(),
                &log,
                NEVER,
                "timeout = \"5s\"\nenv = { SLEEP_SECONDS = \"60\" }",
            ),
        ));
        tool.expect(["install", "-c", path_str(&config)], 0);
        let started = Instant::now();
        let out = tool.output(["run-now", "slow", "-c", path_str(&config)]);
        let took = started.elapsed();
        let (_, status) = tool.status_json(&config);
        tool.expect(["uninstall", "-c", path_str(&config)], 0);
        let log = read_log(&log);
        let code = out.status.code();

        assert!(
            matches!(code, Some(124 | 137 | 143)),
            "run-now exits with timeout's code, got {code:?}; log:\n{log}"
        );
        assert!(
            took >= Duration::from_secs(4) && took < Duration::from_secs(20),
            "the run ended after {took:?}, not about 5 s"
        );
        let lines = RunLogLine::parse_all(&log);
        let end = lines
            .iter()
            .find(|l| l.event == "end")
            .unwrap_or_else(|| panic!("no end line:\n{log}"));
        assert_eq!(end.field("timeout"), "5", "log:\n{log}");
        assert_eq!(
            Some(end.field("exit")),
            code.map(|c| c.to_string()).as_deref()
        );
        let job = status_job(&status, "slow");
        assert_eq!(job["last_run"]["timed_out"], true, "{job:#}");
        assert_eq!(job["last_run"]["succeeded"], false, "{job:#}");

        // The job's own process is gone: it never wrote its exit record and its pid is no
        // longer alive in the container; nor is its `sleep 60` child.
        let calls = container.calls();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].exit, None, "the job ran to its end: {calls:?}");
        let pid = calls[0].pid.to_string();
        let live = live_processes(&container);
        assert!(
            !live
                .iter()
                .any(|l| l.split_whitespace().next() == Some(pid.as_str())),
            "the job's process {pid} still runs: {live:?}"
        );
        let leftovers: Vec<&String> = live.iter().filter(|l| l.contains("sleep 60")).collect();
        assert!(
            leftovers.is_empty(),
            "after the timeout, the job's child processes still run in the container: \
             {leftovers:?}"
        );
    }
}
