//! The runner's concurrency policies (`--concurrency replace|allow`) against the fake runtime.

use crate::runner::{Runner, assert_output, client_pid};

#[test]
fn replace_stops_the_running_run_and_says_so_then_runs() {
    let r = Runner::new();
    let first = r
        .command(&["--concurrency", "replace"], &["app", "sleep", "60"])
        .spawn()
        .unwrap();
    let client = client_pid(&r);
    let second = r.run(&["--concurrency", "replace"], &["app", "echo", "second"]);
    assert_output(&second, 0, "", "");
    let first = first.wait_with_output().unwrap();
    assert_output(&first, 138, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=138 seconds=N reason=replaced run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         second\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
    // The replaced run's client went too.
    assert_eq!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(client), None),
        Err(nix::errno::Errno::ESRCH)
    );
}

#[test]
fn replace_never_signals_a_lock_holder_that_is_not_a_runner_of_the_job() {
    let r = Runner::new();
    let _held = r.hold_lock("123-456\n");
    let out = r.run(&["--concurrency", "replace"], &["app", "true"]);
    assert_output(&out, 75, "", "");
    assert_eq!(
        r.normalized_log(),
        format!(
            "crontainer: concurrency=replace: the run holding the lock (pid {}) is not \
             crontainer's runner of job j (a line from 0.2?), so it cannot be stopped in the \
             container: skipped\n\
             [crontainer] T j skip reason=running run=N-N by=cron\n",
            std::process::id()
        )
    );
}

#[test]
fn allow_runs_side_by_side_each_with_its_own_run_id() {
    let r = Runner::new();
    let first = r
        .command(&["--concurrency", "allow"], &["app", "sleep", "2"])
        .spawn()
        .unwrap();
    client_pid(&r);
    let second = r.run(&["--concurrency", "allow"], &["app", "echo", "second"]);
    assert_output(&second, 0, "", "");
    assert_output(&first.wait_with_output().unwrap(), 0, "", "");
    let log = std::fs::read_to_string(r.log()).unwrap();
    let runs: Vec<String> = log
        .lines()
        .filter_map(|l| crontainer::run_log::parse_line(l.as_bytes()))
        .filter_map(|rec| match rec.event {
            crontainer::run_log::Event::End { run, .. } => run.map(|r| r.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 2, "{log}");
    assert_ne!(runs[0], runs[1]);
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         second\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
}
