//! The runner: what one firing of an installed line does (`crontainer exec`, see
//! `runner_args.rs` for its command line), in Rust, shared by cron, `run-now` and the catch-up
//! after a boot. In order:
//!
//! 1. the exact-interval guard of `--every`: a cron firing outside its slot exits 0 at once,
//!    writing nothing (`firing.rs`, with the renderer's own `schedule::Guard`);
//! 2. the job's lock, `flock` on `LOG.lock` without waiting: when another run holds it, a
//!    `skip reason=running run=ID` line and exit 75 (`journal.rs`); `--concurrency allow` takes
//!    it shared, `--concurrency replace` stops the holder first (`replace.rs`);
//! 3. for a catch-up line (`--catch-up`, the `@reboot` line): whether a firing was due since the
//!    last run and the install, else `skip reason=no-missed-slot` and exit 0; then a bounded
//!    wait for the container (`firing.rs`, `container.rs`);
//! 4. the run id `PID-EPOCH` and the run's random mark into the lock file, the start line, the
//!    `/start` ping;
//! 5. the container, found exactly (`container.rs`): none is exit 69 `reason=no_container`, a
//!    service in several projects exit 78 `reason=several_projects`;
//! 6. the command by argv with the runtime's `exec -i`, its output appended to the log as it
//!    comes (`child.rs`); a timeout or a signal to the runner stops it inside the container
//!    (`stop.rs`) and is said on the end line (`reason=timeout`, `reason=interrupted
//!    signal=INT`, and `stopped=no` when it could not be stopped: the lock then stays held);
//!    With `--retries`, a command that failed by itself runs again after a doubling delay;
//! 7. the end ping with the output's tail (`ping.rs`), the end line, the job's exit code.
//!
//! Every attempt and every skipped firing is also recorded in the run history (`ledger.rs`).
//!
//! A job's output cannot forge its records: the lines are paired by the run id, which the job is
//! never told (its processes carry a random mark instead, kept on the host: `child::MARK_VAR`),
//! and the end line starts on a line of its own.

mod child;
mod container;
mod firing;
mod journal;
mod ledger;
pub(crate) mod orphan;
mod ping;
mod replace;
mod stop;

/// `plan` says how long the first retry waits when a job sets no `retry_delay`.
pub(crate) use firing::DEFAULT_RETRY_DELAY;

use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::{ExitCode, bad_input};
use crate::run_log::{self, Event, Record, RunId, Trigger};
use crate::runner_args::RunnerArgs;

pub(crate) use firing::ENV_BY;

/// The exit code of a run stopped at its timeout (coreutils' `timeout`).
pub(crate) const EXIT_TIMEOUT: i32 = 124;

/// The exit code of a run whose runtime client could not be started (the shell's "not found").
const EXIT_NO_RUNTIME: i32 = 127;

/// How a run ended.
struct End {
    exit: i32,
    reason: Option<String>,
    signal: Option<String>,
    stopped: Option<bool>,
}

impl End {
    fn exit(exit: i32) -> End {
        End {
            exit,
            reason: None,
            signal: None,
            stopped: None,
        }
    }
}

/// Runs one firing of the job the words describe; the exit code is the job's, 75 on a skip.
pub(crate) fn run(args: &RunnerArgs) -> Result<ExitCode> {
    let by = firing::trigger(args, std::env::var(ENV_BY).ok().as_deref());
    run_as(args, by)
}

/// [`run`], started by `by` (`run-now` calls it with its own trigger).
pub(crate) fn run_as(args: &RunnerArgs, by: Trigger) -> Result<ExitCode> {
    // The firing's decisions (the guard, the catch-up) are made at this instant.
    let now = crate::host::clock::now().map_err(bad_input)?;
    let rendered = firing::rendered(args).map_err(bad_input)?;
    let timeout = firing::timeout(args).map_err(bad_input)?;
    let since = firing::since(args).map_err(bad_input)?;
    let within = firing::catch_up_within(args).map_err(bad_input)?;
    if args.catch_up && rendered.is_none() {
        return Err(bad_input(
            "--catch-up needs --schedule or --every: which firings could have been missed",
        ));
    }
    if !firing::guard_allows(rendered.as_ref(), &by, now) {
        return Ok(ExitCode::Success);
    }
    let mut journal = journal::Journal::open(&args.log)?;
    let record = |at: Timestamp, event: Event| Record {
        at: Timestamp::from_second(at.as_second()).unwrap_or(at),
        job: args.job.clone(),
        event,
        by: by.clone(),
    };
    let ledger = ledger::Ledger::new(args, &by);
    let locked = match args.concurrency.as_deref() {
        Some("allow") => journal.try_lock_shared()?,
        Some("replace") => journal.try_lock()? || replace::replace(args, &mut journal)?,
        _ => journal.try_lock()?,
    };
    if !locked {
        let run = journal.lock_run();
        let reason = "running".to_owned();
        let at = Timestamp::now();
        ledger.skip(&journal, at, &reason, run);
        journal.write(&record(at, Event::Skip { reason, run }))?;
        return Ok(ExitCode::Busy);
    }
    let env = container::runtime_env(args);
    if args.concurrency.as_deref() != Some("allow")
        && let Some(orphan) = left_running(args, &env, &journal)
    {
        let run = Some(orphan.run);
        if args.concurrency.as_deref() != Some("replace") {
            let _ = writeln!(
                journal.output_line(),
                "crontainer: the run {} is still going in the container (pid {}), though its \
                 runner was killed; this firing is skipped until it ends",
                orphan.run,
                orphan.found.pid
            );
            let reason = run_log::REASON_ORPHANED.to_owned();
            let at = Timestamp::now();
            ledger.skip(&journal, at, &reason, run);
            journal.write(&record(at, Event::Skip { reason, run }))?;
            return Ok(ExitCode::Busy);
        }
        let stopped = stop::stop_found(&args.runtime, &env, &orphan.target, &orphan.found);
        let _ = writeln!(
            journal.output_line(),
            "crontainer: the run {} went on in the container (pid {}) after its runner was \
             killed; replaced: {}",
            orphan.run,
            orphan.found.pid,
            match stopped {
                stop::Stopped::Yes => "stopped".to_owned(),
                stop::Stopped::No(why) => format!("it could not be stopped: {why}"),
            }
        );
    }
    if let (true, Some(rendered)) = (args.catch_up, &rendered) {
        let last = journal.lock_run();
        let tz = TimeZone::system();
        let decision = firing::catch_up(rendered, last, since, now, &tz);
        // A window (`--catch-up-within`): only a firing missed at most that long ago counts.
        let outside = match (&decision, within) {
            (firing::CatchUp::Run { .. }, Some(window)) => {
                let start = Timestamp::from_second(now.as_second() - window as i64).unwrap_or(now);
                let since = Some(since.map_or(start, |s| s.max(start)));
                firing::catch_up(rendered, last, since, now, &tz) == firing::CatchUp::NothingMissed
            }
            _ => false,
        };
        if outside {
            let reason = "outside-window".to_owned();
            let at = Timestamp::now();
            ledger.skip(&journal, at, &reason, last);
            journal.write(&record(at, Event::Skip { reason, run: last }))?;
            return Ok(ExitCode::Success);
        }
        if decision == firing::CatchUp::NothingMissed {
            let reason = "no-missed-slot".to_owned();
            let at = Timestamp::now();
            ledger.skip(&journal, at, &reason, last);
            journal.write(&record(at, Event::Skip { reason, run: last }))?;
            return Ok(ExitCode::Success);
        }
        container::wait_for(args, &env, |why| {
            let _ = writeln!(
                journal.output_line(),
                "{}; the catch-up waits for it up to {} minutes",
                why.message,
                container::WAIT_FOR.as_secs() / 60
            );
        });
    }

    let events = child::Events::catch()?;
    let started = Timestamp::now();
    let run = RunId {
        pid: std::process::id(),
        started: started.as_second(),
    };
    let mark = child::new_mark()?;
    journal.set_run(run, &mark)?;
    journal.write(&record(started, Event::Start { pid: Some(run.pid) }))?;
    ledger.record(&journal, ledger.started(run, 1, started));
    let output_from = journal.size()?;
    let pinger = args.ping.as_deref().map(ping::Pinger::new);
    if let Some(pinger) = &pinger {
        pinger.start();
    }

    let retry_delay = firing::retry_delay(args).map_err(bad_input)?;
    let attempts = 1 + args.retries.unwrap_or(0);
    let mut attempt = 1;
    let mut attempt_started = started;
    let end = loop {
        let end = match container::resolve(args, &env) {
            Err(why) => {
                let _ = writeln!(journal.output_line(), "{}", why.message);
                End {
                    reason: Some(why.reason.to_owned()),
                    ..End::exit(why.exit)
                }
            }
            Ok(target) => run_job(
                args,
                &env,
                &target,
                &journal,
                &mark,
                timeout,
                events.try_clone()?,
            )?,
        };
        // A timeout, an interruption or a job that could not be stopped ends the run: only a
        // job that failed by itself (or found no container) is tried again.
        let stopped_by_us = matches!(
            end.reason.as_deref(),
            Some(
                run_log::REASON_TIMEOUT | run_log::REASON_INTERRUPTED | run_log::REASON_CLIENT_GONE
            )
        ) || end.stopped == Some(false);
        if end.exit == 0 || attempt >= attempts || stopped_by_us {
            break end;
        }
        let ended = Timestamp::now();
        ledger.record(
            &journal,
            ledger.attempt(run, attempt, attempt_started, ended, &end, None),
        );
        let delay = retry_delay.saturating_mul(1u64 << (attempt - 1).min(20));
        let _ = writeln!(
            journal.output_line(),
            "crontainer: attempt {attempt} of {attempts} ended with exit {}; attempt {} in {}",
            end.exit,
            attempt + 1,
            crate::ui::human_duration(delay)
        );
        if let Some(signal) = events.sleep(Duration::from_secs(delay)) {
            let replaced = signal == child::REPLACE;
            break End {
                reason: Some(
                    if replaced {
                        run_log::REASON_REPLACED
                    } else {
                        run_log::REASON_INTERRUPTED
                    }
                    .to_owned(),
                ),
                signal: (!replaced).then(|| signal_name(signal as i32)).flatten(),
                ..End::exit(128 + signal as i32)
            };
        }
        attempt += 1;
        attempt_started = Timestamp::now();
        ledger.record(&journal, ledger.started(run, attempt, attempt_started));
    };

    let ping = pinger.map(|p| {
        let tail = journal
            .tail(output_from, ping::MAX_BODY)
            .unwrap_or_default();
        p.end(end.exit, &tail)
    });
    let ended = Timestamp::now();
    let seconds = u64::try_from(ended.as_second() - started.as_second()).unwrap_or(0);
    let ping_word = ping.map(|p| p.to_string());
    ledger.record(
        &journal,
        ledger.attempt(run, attempt, attempt_started, ended, &end, ping_word),
    );
    journal.write(&record(
        ended,
        Event::End {
            exit: end.exit,
            seconds,
            timeout,
            run: Some(run),
            ping,
            reason: end.reason,
            signal: end.signal,
            stopped: end.stopped,
        },
    ))?;
    if end.stopped == Some(false) {
        // The client still runs the job and holds the lock: the run stays visible as running.
        journal.keep_locked();
    } else {
        // The run is over: its mark goes, so that only a run whose runner never got here is
        // looked for in the container (`orphan::left_going`).
        let _ = journal.clear_mark(run);
    }
    Ok(ExitCode::Other(end.exit))
}

/// The run the lock file names, when it has no end line (or could not be stopped) and still goes
/// on in the container: its runner and client were killed. Only looked for when the log says so,
/// so a healthy firing asks the runtime nothing more.
fn left_running(
    args: &RunnerArgs,
    env: &crate::runtime::Env,
    journal: &journal::Journal,
) -> Option<orphan::Orphan> {
    let lock = journal.lock_file();
    let last = run_log::last_run_of(&args.log, &args.job, Some(lock.run?)).ok()?;
    orphan::of_last_run(args, env, &lock, &last)
}

/// Runs the command in `target` until it ends, its timeout, or a signal to the runner.
fn run_job(
    args: &RunnerArgs,
    env: &crate::runtime::Env,
    target: &container::Target,
    journal: &journal::Journal,
    mark: &str,
    timeout: Option<u64>,
    events: child::Events,
) -> Result<End> {
    let mark = child::mark_var(mark);
    let mut running = match child::spawn(args, env, target, journal, &mark, events) {
        Ok(running) => running,
        Err(e) => {
            let _ = writeln!(journal.output_line(), "crontainer: {e:#}");
            return Ok(End {
                reason: Some("no_runtime".to_owned()),
                ..End::exit(EXIT_NO_RUNTIME)
            });
        }
    };
    let until = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let outcome = running.wait(until);
    let client_gone = matches!(outcome, child::Outcome::Exited(_));
    let (exit, reason, signal) = match outcome {
        child::Outcome::Exited(status) => match (status.code(), status.signal()) {
            // The client ended, the job still runs in the container: the client alone was
            // stopped (Docker 28's CLI exits 0 on SIGTERM). Never read as the job's exit.
            (Some(_), _)
                if stop::still_running(target, running.started_ticks, args.command(), &mark) =>
            {
                (
                    128 + nix::sys::signal::Signal::SIGTERM as i32,
                    run_log::REASON_CLIENT_GONE,
                    None,
                )
            }
            (Some(code), _) => return Ok(End::exit(code)),
            // The client was killed (not by us): the job may run on in the container.
            (None, Some(n)) => (128 + n, run_log::REASON_CLIENT_GONE, signal_name(n)),
            (None, None) => return Ok(End::exit(1)),
        },
        child::Outcome::TimedOut => (EXIT_TIMEOUT, run_log::REASON_TIMEOUT, None),
        child::Outcome::Interrupted(child::REPLACE) => {
            (128 + child::REPLACE as i32, run_log::REASON_REPLACED, None)
        }
        child::Outcome::Interrupted(s) => (
            128 + s as i32,
            run_log::REASON_INTERRUPTED,
            signal_name(s as i32),
        ),
    };
    let stopped = stop::stop(
        &args.runtime,
        env,
        target,
        running.started_ticks,
        args.command(),
        &mark,
    );
    let stopped = match stopped {
        stop::Stopped::Yes => {
            // The exec ended in the container: its client ends too, or is ended.
            if !client_gone && running.wait_exit(stop::GRACE).is_none() {
                running.kill();
            }
            None
        }
        stop::Stopped::No(why) => {
            let _ = writeln!(
                journal.output_line(),
                "crontainer: the job could not be stopped in the container: {why}"
            );
            Some(false)
        }
    };
    Ok(End {
        exit,
        reason: Some(reason.to_owned()),
        signal,
        stopped,
    })
}

/// `INT`, `TERM`, `HUP`, ...
fn signal_name(n: i32) -> Option<String> {
    nix::sys::signal::Signal::try_from(n)
        .ok()
        .map(|s| s.as_str().trim_start_matches("SIG").to_owned())
}
