//! What one run of the seed job (`python main_v2.py` in a container, as in the README) looks
//! like once it is over: in its log, in the container's records, and in `status --json`.

use super::{Call, Container, RunLogLine, status_job};

/// Asserts the log holds exactly one run of the seed job, started by `by`, ending with `exit`,
/// with both of the job's output streams between its start and end lines.
#[track_caller]
pub fn assert_one_seed_run(log: &str, id: &str, by: &str, exit: &str) {
    let lines = RunLogLine::parse_all(log);
    let events: Vec<&str> = lines.iter().map(|l| l.event.as_str()).collect();
    assert_eq!(events, ["start", "end"], "log:\n{log}");
    for line in &lines {
        assert_eq!(line.job, id, "log:\n{log}");
        assert_eq!(line.field("by"), by, "log:\n{log}");
        assert!(
            line.time.ends_with('Z') && line.time.parse::<jiff::Timestamp>().is_ok(),
            "not a UTC timestamp: {:?}",
            line.time
        );
    }
    assert!(lines[0].field("pid").parse::<u32>().is_ok(), "log:\n{log}");
    assert_eq!(lines[1].field("exit"), exit, "log:\n{log}");
    assert!(
        lines[1].field("seconds").parse::<u64>().is_ok(),
        "log:\n{log}"
    );
    let all: Vec<&str> = log.lines().collect();
    assert!(all.first().is_some_and(|l| l.starts_with("[crontainer] ")));
    assert!(all.last().is_some_and(|l| l.starts_with("[crontainer] ")));
    let mut output: Vec<&str> = all[1..all.len() - 1].to_vec();
    output.sort();
    assert_eq!(
        output,
        [
            "stderr: warning from python",
            "stdout: hello from python main_v2.py"
        ],
        "log:\n{log}"
    );
}

/// The one call the container got: `python main_v2.py` as root in `/`, ended with `exit`.
#[track_caller]
pub fn assert_one_seed_call(container: &Container, exit: i32) -> Call {
    let calls = container.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = calls.into_iter().next().expect("one call");
    assert_eq!(call.argv, [b"main_v2.py".to_vec()], "{call:?}");
    assert_eq!((call.user.as_str(), call.cwd.as_str()), ("root", "/"));
    assert_eq!(call.exit, Some(exit), "{call:?}");
    call
}

/// The checks on `status --json` after one cron run that ended with `exit`.
#[track_caller]
pub fn assert_status_after_cron_run(status: &serde_json::Value, id: &str, exit: i64) {
    let job = status_job(status, id);
    assert_eq!(job["installed"], true, "{job:#}");
    assert_eq!(job["in_step"], true, "{job:#}");
    assert_eq!(job["container_state"], "running", "{job:#}");
    assert_eq!(job["running"], false, "{job:#}");
    let last = &job["last_run"];
    assert_eq!(last["succeeded"], exit == 0, "{job:#}");
    assert_eq!(last["timed_out"], false, "{job:#}");
    assert_eq!(last["started"]["by"], "cron", "{job:#}");
    assert_eq!(last["started"]["event"]["kind"], "start", "{job:#}");
    assert_eq!(last["ended"]["event"]["kind"], "end", "{job:#}");
    assert_eq!(last["ended"]["event"]["exit"], exit, "{job:#}");
    assert!(
        status["cron_daemon"].is_string(),
        "a cron daemon runs: {status:#}"
    );
}
