//! `--concurrency replace`: a firing that finds the previous run going stops it (inside the
//! container too, by that run's own runner) and takes its place.

use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{child, journal};
use crate::runner_args::RunnerArgs;

/// How long a replacing firing waits for the run it replaces to stop and free the lock: the
/// stop's own grace (TERM, then KILL) and some.
const REPLACE_WAIT: Duration = Duration::from_secs(30);

/// `--concurrency replace` found the lock held: tells the runner holding it to stop its run
/// (SIGUSR1: it stops the job inside the container and ends its run with `reason=replaced`),
/// then takes the lock once it is free. False (a skip, as for `forbid`) when the holder is no
/// runner of this job (a 0.2 line's shell, which could not stop its job in the container) or
/// does not let go in time.
pub(crate) fn replace(args: &RunnerArgs, journal: &mut journal::Journal) -> Result<bool> {
    let lock = crate::config::lock_path(&args.log);
    let Some(holder) = crate::host::lock_holder(&lock) else {
        return journal.try_lock();
    };
    if !is_runner_of(holder, &args.job) {
        let _ = writeln!(
            journal.output_line(),
            "crontainer: concurrency=replace: the run holding the lock (pid {holder}) is not \
             crontainer's runner of job {} (a line from 0.2?), so it cannot be stopped in the \
             container: skipped",
            args.job
        );
        return Ok(false);
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(holder).unwrap_or(i32::MAX));
    if nix::sys::signal::kill(pid, child::REPLACE).is_err() {
        return journal.try_lock();
    }
    let until = Instant::now() + REPLACE_WAIT;
    while Instant::now() < until {
        if journal.try_lock()? {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(false)
}

/// Whether `pid` is `crontainer exec JOB ...` (its command line, from /proc).
fn is_runner_of(pid: u32, job: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    // `run-now` runs the same runner in its own process.
    words.len() > 2 && (words[1] == b"exec" || words[1] == b"run-now") && words[2] == job.as_bytes()
}
