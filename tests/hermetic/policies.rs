//! The runner's concurrency policies (`--concurrency replace|allow`) against the fake runtime,
//! and `run-now` following them as cron's firing does.

use std::process::Stdio;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::common::Env;
use crate::runner::{Runner, assert_output, client_pid};
use crate::shared_runner::normalize;

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

/// `run-now` of the installed job `main_pipeline_v2` whose config is `config`, its job sleeping
/// `sleep` seconds in "the container" (the test process stands for its first process, so the
/// runner finds the job by its mark and can stop it there).
fn run_now(env: &Env, config: &std::path::Path, sleep: &str) -> std::process::Command {
    let mut cmd = env.std_cmd(["run-now", "main_pipeline_v2", "-c"]);
    cmd.arg(config)
        .env("FAKE_SLEEP", sleep)
        .env("FAKE_DOCKER_PID", std::process::id().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits (bounded) until the job's log holds `text` `times` times.
#[track_caller]
fn wait_for_log(env: &Env, text: &str, times: usize) {
    for _ in 0..1500 {
        if env.read("logs/main.log").matches(text).count() >= times {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no {text:?} in the log: {}", env.read("logs/main.log"));
}

/// Issue 21.6, "run-now runs the same code path as cron, so the two cannot differ": a `replace`
/// job's run-now stops the run going and runs, as cron's firing would (it used to refuse with
/// exit 75, "already running", whatever the job's policy).
#[test]
fn run_now_of_a_replace_job_stops_the_run_going_and_runs() {
    let env = Env::new();
    let config = env.simple_config("concurrency = \"replace\"");
    env.install(&config);
    let first = run_now(&env, &config, "60").spawn().unwrap();
    wait_for_log(&env, "stderr: warning from the container", 1);
    let second = run_now(&env, &config, "").output().unwrap();
    let user = Env::user();
    assert_eq!(
        (
            second.status.code(),
            normalize(&String::from_utf8_lossy(&second.stdout)),
            String::from_utf8_lossy(&second.stderr).as_ref()
        ),
        (
            Some(0),
            format!(
                "[crontainer] T main_pipeline_v2 end exit=138 seconds=N reason=replaced run=N-N \
                 by=run-now:{user}\n\
                 [crontainer] T main_pipeline_v2 start pid=N by=run-now:{user}\n\
                 stdout: hello from the container\n\
                 stderr: warning from the container\n\
                 [crontainer] T main_pipeline_v2 end exit=0 seconds=N run=N-N by=run-now:{user}\n"
            ),
            ""
        )
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        (
            first.status.code(),
            String::from_utf8_lossy(&first.stderr).as_ref()
        ),
        (Some(138), "")
    );
}

/// The same for an `allow` job: its run-now runs beside the run going, which goes on.
#[test]
fn run_now_of_an_allow_job_runs_beside_the_run_going() {
    let env = Env::new();
    let config = env.simple_config("concurrency = \"allow\"");
    env.install(&config);
    let first = run_now(&env, &config, "60").spawn().unwrap();
    wait_for_log(&env, "stderr: warning from the container", 1);
    let second = run_now(&env, &config, "").output().unwrap();
    let user = Env::user();
    assert_eq!(
        (
            second.status.code(),
            normalize(&String::from_utf8_lossy(&second.stdout)),
            String::from_utf8_lossy(&second.stderr).as_ref()
        ),
        (
            Some(0),
            format!(
                "[crontainer] T main_pipeline_v2 start pid=N by=run-now:{user}\n\
                 stdout: hello from the container\n\
                 stderr: warning from the container\n\
                 [crontainer] T main_pipeline_v2 end exit=0 seconds=N run=N-N by=run-now:{user}\n"
            ),
            ""
        )
    );
    // The first run still goes: it has no end line yet.
    assert_eq!(
        env.read("logs/main.log").matches(" end ").count(),
        1,
        "{}",
        env.read("logs/main.log")
    );
    let pid = Pid::from_raw(first.id() as i32);
    kill(pid, Signal::SIGTERM).unwrap();
    assert_eq!(first.wait_with_output().unwrap().status.code(), Some(143));
}
