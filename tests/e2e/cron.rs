//! The real cron daemon fires a job line of the shape crontainer generates, and the line
//! `docker exec`s the command in a real container: the argv arrives intact, the log gets the
//! job's output between a start and an end line, and the end line carries the exit code.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDFile, JobLine, POLL, RunLogLine, TestCrontab, UserDir,
    read_log, wait_until,
};

/// Waits for the job's end line and returns the log and its crontainer lines.
#[track_caller]
fn wait_for_run(job: &JobLine) -> (String, Vec<RunLogLine>) {
    let ended = || {
        RunLogLine::parse_all(&read_log(&job.log))
            .iter()
            .any(|l| l.event == "end")
    };
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, ended),
        "cron did not run {} within {CRON_FIRE_TIMEOUT:?}; log so far: {:?}",
        job.job_id,
        read_log(&job.log)
    );
    let log = read_log(&job.log);
    let lines = RunLogLine::parse_all(&log);
    (log, lines)
}

#[track_caller]
fn assert_one_run(job: &JobLine, log: &str, lines: &[RunLogLine], exit: &str) {
    let events: Vec<&str> = lines.iter().map(|l| l.event.as_str()).collect();
    assert_eq!(events, ["start", "end"], "log: {log}");
    let (start, end) = (&lines[0], &lines[1]);
    for line in lines {
        assert_eq!(line.job, job.job_id, "log: {log}");
        assert_eq!(line.field("by"), "cron", "log: {log}");
        assert!(
            line.time.ends_with('Z') && line.time.parse::<jiff::Timestamp>().is_ok(),
            "not a UTC timestamp: {:?}",
            line.time
        );
    }
    assert!(start.field("pid").parse::<u32>().is_ok(), "log: {log}");
    assert_eq!(end.field("exit"), exit, "log: {log}");
    assert!(end.field("seconds").parse::<u64>().is_ok(), "log: {log}");
    // The job's own output, both streams, sits between the two lines.
    let output: Vec<&str> = log
        .lines()
        .filter(|l| RunLogLine::parse(l).is_none())
        .collect();
    let mut output_sorted = output.clone();
    output_sorted.sort();
    assert_eq!(
        output_sorted,
        [
            "stderr: warning from python",
            "stdout: hello from python main_v2.py"
        ],
        "log: {log}"
    );
    assert!(log.starts_with("[crontainer] "), "log: {log}");
    assert!(
        log.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("[crontainer] ")
    );
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_runs_the_job_from_the_test_users_crontab() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let job = JobLine::every_minute(
        "main_pipeline_v2",
        container.name(),
        &["python", "main_v2.py"],
        dir.path(),
    );
    let crontab = TestCrontab::acquire();
    crontab.add_line(&job.crontab_line());

    let (log, lines) = wait_for_run(&job);
    drop(crontab);

    assert_one_run(&job, &log, &lines, "0");
    let calls = container.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].argv, [b"main_v2.py".to_vec()]);
    assert_eq!(calls[0].user, "root");
    assert_eq!(calls[0].cwd, "/");
    assert_eq!(calls[0].exit, Some(0));
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_logs_the_jobs_exit_code() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let job = JobLine::every_minute(
        "exits_three",
        container.name(),
        &["python", "main_v2.py"],
        dir.path(),
    )
    .env("EXIT_CODE", "3");
    // A cron.d file rather than the crontab: it exercises that target too, and it lets this
    // test wait for the same minute as the one above instead of for the crontab after it.
    let file = CronDFile::create(&format!("{}\n", job.cron_d_line(support::TEST_USER)));

    let (log, lines) = wait_for_run(&job);
    drop(file);

    assert_one_run(&job, &log, &lines, "3");
    let calls = container.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].args(), ["main_v2.py"]);
    assert_eq!(calls[0].env.get("EXIT_CODE").map(String::as_str), Some("3"));
    assert_eq!(calls[0].exit, Some(3));
}
