//! The processes of a run, to kill them as a crash or the host going down would: the process
//! group `run-now --detach` started (the runner's), the runtime clients the runner started in a
//! group of their own (found by the run's mark on their command line), the runner's pid; and
//! the long job they are tried on.

use std::path::Path;

use super::{Container, Crontainer, path_str};

/// The seed stand-in's settings for a job that runs a minute (`sleep 60` in the container).
pub const SLEEPS_A_MINUTE: &str = "env = { SLEEP_SECONDS = \"60\" }";

/// `run-now JOB --detach` with `config`, which must succeed: the process group it started.
pub fn start_detached(tool: &Crontainer, config: &Path, job: &str) -> i32 {
    detached_group(&tool.expect(["run-now", job, "--detach", "-c", path_str(config)], 0))
}

/// Whether the seed stand-in's `sleep 60` ([`SLEEPS_A_MINUTE`]) runs in `container`.
pub fn sleeps_in(container: &Container) -> bool {
    let ps = super::cmd::output(std::process::Command::new(container.runtime()).args([
        "exec",
        container.name(),
        "ps",
    ]));
    String::from_utf8_lossy(&ps.stdout).contains("sleep 60")
}

/// The process group `run-now --detach` started, from what it printed: "started job "x" in the
/// background (pid N); ...".
#[track_caller]
fn detached_group(out: &std::process::Output) -> i32 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout:?}"))
}

/// The runtime clients the run going now of the job whose log is `log` started (in a process
/// group of their own, apart from the runner's): the processes whose command line carries the
/// run's mark, `CRONTAINER_MARK=MARK`, the mark from the second line of the job's lock file.
pub fn clients_of_run(log: &std::path::Path) -> Vec<i32> {
    let lock = std::fs::read_to_string(format!("{}.lock", log.display())).expect("the lock file");
    let mark = lock
        .lines()
        .nth(1)
        .and_then(|line| line.split_once(' '))
        .map(|(_, mark)| format!("CRONTAINER_MARK={mark}"))
        .unwrap_or_else(|| panic!("no mark in the lock file: {lock:?}"));
    crate::shared_runner::processes_with("cmdline", |arg| arg == mark.as_bytes())
}

/// The runner's pid, from the start line of `job` in `log`.
pub fn runner_pid(log: &str, job: &str) -> i32 {
    log.split(&format!("{job} start pid="))
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no start pid in {log:?}"))
}
