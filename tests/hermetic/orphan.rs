//! A run whose runner and runtime client were both killed (SIGKILL, the OOM killer) while its job
//! goes on in the container (principle 7: no run goes on unseen; `src/exec/orphan.rs`). The fake
//! runtime's job carries the run's mark in its environment as a container's process does, and the
//! test process stands for the container's first process (`inspect`'s pid), so the job is in "the
//! container's" cgroup.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::common::Env;
use crate::runner::{Runner, assert_output, client_pid};
use crate::shared_runner::{normalize, processes_with};

/// The processes whose environment carries the run mark `CRONTAINER_MARK=MARK`.
fn marked(mark: &str) -> Vec<i32> {
    let mark = format!("CRONTAINER_MARK={mark}");
    processes_with("environ", |var| var == mark.as_bytes())
}

/// A run's mark, as the runner keeps it on the second line of the lock file.
const MARK: &str = "0123456789abcdef0123456789abcdef";

/// Whether `pid` is gone (or a zombie: it runs nothing).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit(") ").next().is_some_and(|s| s.starts_with('Z'))
    })
}

/// Kills a process left running when the test ends, whatever happened.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.0), Signal::SIGKILL);
    }
}

/// Waits (bounded) until `done`; panics saying `what` otherwise.
#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what}");
}

#[test]
fn a_run_whose_runner_and_client_were_killed_holds_off_the_next_firing_or_is_replaced() {
    let r = Runner::new();
    // The job's process outlives its client (`sh`), as a container's outlives `docker exec`;
    // and, as there, it does not hold the job's lock (the client's fd).
    let job_in_container = "for f in /proc/$$/fd/*; do \
        case $(readlink \"$f\") in *.lock) eval \"exec ${f##*/}>&-\" ;; esac; done; \
        sleep 300 & wait";
    let mut first = r
        .command(&[], &["app", "sh", "-c", job_in_container])
        .spawn()
        .unwrap();
    let client = client_pid(&r);
    wait_for("no run id in the lock file", || {
        !r.lock_text().trim().is_empty()
    });
    let lock = r.lock_text();
    let run = lock.lines().next().unwrap().to_owned();
    let mark = lock
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    // The job's `sleep` (the client's loop forks a subshell or two before it, marked too).
    let sleeping = || {
        marked(&mark).into_iter().find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"sleep\x00300\x00")
        })
    };
    wait_for("the job did not start", || sleeping().is_some());
    let job = sleeping().unwrap();
    let _job_guard = KillOnDrop(job);
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    first.wait().unwrap();
    kill(Pid::from_raw(client), Signal::SIGKILL).unwrap();
    wait_for("the client lives on", || gone(client));
    // The job guessed its run id (a pid and a second: no secret) and printed an end line for
    // it, as if it had ended well: the mark its killed runner left in the lock file still says
    // the run was never finished.
    std::fs::OpenOptions::new()
        .append(true)
        .open(r.log())
        .unwrap()
        .write_all(
            format!("[crontainer] 2026-11-29T14:00:01Z j end exit=0 seconds=1 run={run} by=cron\n")
                .as_bytes(),
        )
        .unwrap();

    // The next firing (`concurrency = "forbid"`, the default) waits for it, saying why.
    assert_output(&r.run(&[], &["app", "echo", "next"]), 75, "", "");
    assert_eq!(
        r.normalized_log(),
        format!(
            "[crontainer] T j start pid=N by=cron\n\
             [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n\
             crontainer: the run {run} is still going in the container (pid {job}), though its \
             runner was killed; this firing is skipped until it ends\n\
             [crontainer] T j skip reason=orphaned run=N-N by=cron\n"
        )
    );
    assert!(!gone(job), "the job was left alone");
    assert_eq!(r.lock_text(), lock, "no new run started");

    // `concurrency = "replace"` stops it, then runs.
    assert_output(
        &r.run(&["--concurrency", "replace"], &["app", "echo", "next"]),
        0,
        "",
        "",
    );
    let log = std::fs::read_to_string(r.log()).unwrap();
    let tail = log.split("skip reason=orphaned").nth(1).unwrap();
    assert_eq!(
        normalize(tail.split_once('\n').unwrap().1),
        format!(
            "crontainer: the run {run} went on in the container (pid {job}) after its runner was \
             killed; replaced: stopped\n\
             [crontainer] T j start pid=N by=cron\n\
             next\n\
             [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
        )
    );
    assert!(gone(job), "the orphaned job was stopped");
}

#[test]
fn status_names_a_run_still_going_in_the_container_after_its_runner_was_killed() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    // What a run whose runner and client were killed leaves: its start line, its id in the lock
    // file, no end line, no one holding the lock; and its job in the container.
    std::fs::write(
        env.path("logs/main.log"),
        "[crontainer] 2026-11-29T10:00:00Z main_pipeline_v2 start pid=4242 by=cron\n",
    )
    .unwrap();
    std::fs::write(
        env.path("logs/main.log.lock"),
        format!("4242-1795946400\n4242-1795946400 {MARK}\n"),
    )
    .unwrap();
    let job = std::process::Command::new("sleep")
        .arg("300")
        .env("CRONTAINER_MARK", MARK)
        .spawn()
        .unwrap();
    let guard = KillOnDrop(job.id() as i32);
    let status = |env: &Env, config: &Path| {
        env.cmd(["status", "-c"])
            .arg(config)
            .env("FAKE_DOCKER_PID", std::process::id().to_string())
            .env("CRONTAINER_NOW", "2026-11-29T12:35:00Z")
            .output()
            .unwrap()
    };
    let out = status(&env, &config);
    let dir = env.path("");
    let text = String::from_utf8_lossy(&out.stdout)
        .replace(&job.id().to_string(), "PID")
        .replace(dir.to_str().unwrap(), "DIR/");
    let user = Env::user();
    assert_eq!(
        (
            out.status.code(),
            text.as_str(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (
            Some(1),
            format!(
                "main_pipeline_v2: Main Video Pipeline (main_v2.py)\n  \
                 installed: {user}'s crontab (block crontainer)\n  \
                 schedule:  every 5 hours (0 * * * *)\n  \
                 next run:  2026-11-29 16:00 UTC (in 3h25m)\n  \
                 last run:  2026-11-29 10:00 UTC (2h35m ago) by cron, no end line: its runner \
                 was killed, and it still goes on in the container (pid PID)\n  \
                 running:   no\n  \
                 container: ai-video-backend running\n  \
                 log:       DIR/logs/main.log (74 B)\n  \
                 health:    an orphaned run of main_pipeline_v2 is still going in container \
                 ai-video-backend (pid PID, started 2026-11-29T10:00:00Z): its runner was killed\n\
                 host: cron daemon running: cron (pid 2); container runtime answers; jobs read \
                 from {user}'s crontab, compared with DIR/config.toml\n"
            )
            .as_str(),
            ""
        )
    );
    drop(guard);
    let mut job = job;
    job.wait().unwrap();
    let out = status(&env, &config);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("did not finish (no end line): it was killed, or the host went down"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
