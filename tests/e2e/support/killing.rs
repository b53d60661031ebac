//! The processes of a run, to kill them as a crash or the host going down would: the process
//! group `run-now --detach` started (the runner's), the runtime clients the runner started in a
//! group of their own (found by the run's mark on their command line), the runner's pid.

/// The process group `run-now --detach` started, from what it printed: "started job "x" in the
/// background (pid N); ...".
#[track_caller]
pub fn detached_group(out: &std::process::Output) -> i32 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout:?}"))
}

/// The runtime clients a run started (in a process group of their own, apart from the runner's):
/// the processes whose command line carries the run's mark, `CRONTAINER_RUN=RUNNER-EPOCH`.
pub fn clients_of_run(runner: i32) -> Vec<i32> {
    let mark = format!("CRONTAINER_RUN={runner}-");
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .unwrap_or_default()
                .split(|b| *b == 0)
                .any(|arg| arg.starts_with(mark.as_bytes()))
        })
        .collect()
}

/// The runner's pid, from the start line of `job` in `log`.
pub fn runner_pid(log: &str, job: &str) -> i32 {
    log.split(&format!("{job} start pid="))
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no start pid in {log:?}"))
}
