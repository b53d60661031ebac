//! The runtime's `exec` client running the job, and the wait for what comes first: its end, the
//! timeout, or a signal to the runner (SIGTERM, SIGINT, SIGHUP: cron killed, Ctrl-C on
//! `run-now`, `systemctl stop`). Every signal the wait cares about, the client's SIGCHLD
//! included, is written by its handler into a self-pipe, and the runner sleeps in `poll(2)` on
//! it: no thread, no polling interval, nothing between the client's end and the end line.

use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd, RawFd};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;

use super::container::Target;
use super::journal::Journal;
use crate::runner_args::RunnerArgs;
use crate::runtime::{self, Env};

/// What ended the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The client ended.
    Exited(ExitStatus),
    /// The timeout came first.
    TimedOut,
    /// The runner was told to stop.
    Interrupted(Signal),
}

/// The signals that stop a run. SIGUSR1 is the one a later firing of a `--concurrency replace`
/// job sends (the end line then says `reason=replaced`).
const STOPPING: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGUSR1,
];

/// The signal that replaces a run.
pub(crate) const REPLACE: Signal = Signal::SIGUSR1;

/// The write end of the self-pipe the signal handler writes to (-1: none yet).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: i32) {
    let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = [u8::try_from(signal).unwrap_or(0)];
        // SAFETY: write(2) is async-signal-safe; the fd stays open for the process's life, and
        // is non-blocking: a full pipe drops the byte, the ones already there wake the wait.
        let _ = nix::unistd::write(unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }, &byte);
    }
}

/// The read end of the self-pipe: what the runner waits on.
pub(crate) struct Events {
    read: OwnedFd,
}

impl Events {
    /// From now on SIGTERM, SIGINT and SIGHUP no longer end the runner: they arrive as
    /// [`Outcome::Interrupted`], so that it stops the job in the container and logs why. Called
    /// before the start line: a signal that comes before the client starts still ends the run
    /// with its own end line.
    pub(crate) fn catch() -> Result<Events> {
        use nix::fcntl::OFlag;
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, sigaction};
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        // The write end lives as long as the process.
        SIGNAL_PIPE.store(write.as_raw_fd(), Ordering::SeqCst);
        std::mem::forget(write);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART | SaFlags::SA_NOCLDSTOP,
            SigSet::empty(),
        );
        for signal in STOPPING.iter().chain(&[Signal::SIGCHLD]) {
            // SAFETY: the handler only writes to a pipe, which is async-signal-safe.
            unsafe { sigaction(*signal, &action) }.context("could not catch signals")?;
        }
        Ok(Events { read })
    }

    /// Another handle on the same self-pipe, for the next attempt of a run with retries.
    pub(crate) fn try_clone(&self) -> Result<Events> {
        Ok(Events {
            read: self.read.try_clone()?,
        })
    }

    /// Waits `delay` (between two attempts); the stopping signal that cut it short, if any.
    pub(crate) fn sleep(&self, delay: Duration) -> Option<Signal> {
        let until = Some(Instant::now() + delay);
        loop {
            match self.next(until) {
                Err(()) => return None,
                Ok(Some(signal)) => return Some(signal),
                Ok(None) => {}
            }
        }
    }

    /// Sleeps until a signal arrives or `until`; the stopping signal among those that came,
    /// if any. `Err(())` when `until` passed.
    fn next(&self, until: Option<Instant>) -> std::result::Result<Option<Signal>, ()> {
        let timeout = match until {
            Some(until) => {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(());
                }
                // Rounded up, so that it never wakes just before `until` and spins.
                let ms = left.as_millis().saturating_add(1);
                PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        let mut fds = [PollFd::new(self.read.as_fd(), PollFlags::POLLIN)];
        // EINTR (a signal during the poll) is a wake-up like any other.
        let _ = poll(&mut fds, timeout);
        let mut stop = None;
        let mut bytes = [0u8; 64];
        while let Ok(n @ 1..) = nix::unistd::read(&self.read, &mut bytes) {
            for byte in &bytes[..n] {
                if let Some(signal) = Signal::try_from(i32::from(*byte))
                    .ok()
                    .filter(|s| STOPPING.contains(s))
                {
                    stop.get_or_insert(signal);
                }
            }
        }
        Ok(stop)
    }
}

/// The client, running.
pub(crate) struct Running {
    child: Child,
    events: Events,
    /// When the client started, in clock ticks since boot (`/proc/PID/stat`): the job's process
    /// in the container started after it.
    pub(crate) started_ticks: u64,
    /// The write end of the client's stdin, held open and never written: the job's stdin gives
    /// neither data nor an end of file while the runner lives (as 0.2's `/dev/ptmx` did).
    _stdin: OwnedFd,
}

/// The variable every exec of a run carries, `CRONTAINER_MARK=MARK`: 128 random bits, new for
/// each run, kept on the host in the lock file's second line (`run_log::LockFile`). The one sure
/// way to tell this run's process in the container from another run's of the same command (two
/// jobs may run the same argv in one container), so the runner never stops another's, and to
/// find a run whose runner was killed (`orphan.rs`). Never the run id: a job that knew it could
/// print an end line for its own run (issue 21: a job's output cannot forge its records).
pub(crate) const MARK_VAR: &str = "CRONTAINER_MARK";

/// A new run's mark: [`crate::run_log::MARK_LEN`] hex digits from the kernel's random source.
pub(crate) fn new_mark() -> Result<String> {
    let mut bytes = [0u8; crate::run_log::MARK_LEN / 2];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("could not get random bytes: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `CRONTAINER_MARK=MARK`, as the exec sets it and `/proc/PID/environ` shows it.
pub(crate) fn mark_var(mark: &str) -> String {
    format!("{MARK_VAR}={mark}")
}

/// `RUNTIME exec -i [-u U] [-w W] [--env-file F] [-e N=V].. -e CRONTAINER_MARK=M ID COMMAND...`:
/// the command by argv, never through a shell (none is needed in the container), never `-t`
/// (cron has no TTY). `mark` is [`mark_var`]'s.
pub(crate) fn exec_words(args: &RunnerArgs, target: &Target, mark: &str) -> Vec<String> {
    let mut words = vec!["exec".to_owned(), "-i".to_owned()];
    if let Some(user) = &args.user {
        words.extend(["-u".to_owned(), user.clone()]);
    }
    if let Some(workdir) = &args.workdir {
        words.extend(["-w".to_owned(), workdir.clone()]);
    }
    if let Some(env_file) = &args.env_file {
        words.extend([
            "--env-file".to_owned(),
            env_file.to_string_lossy().into_owned(),
        ]);
    }
    for var in &args.env {
        words.extend(["-e".to_owned(), var.clone()]);
    }
    // Last, so no `env` of the job's can stand in for it.
    words.extend(["-e".to_owned(), mark.to_owned()]);
    // Options end at the container: the command's words reach it as given.
    words.push(target.id.clone());
    words.extend(args.command().iter().cloned());
    words
}

/// Starts the client, its output appended straight to the log (never buffered here), in its own
/// process group (a Ctrl-C on the terminal reaches the runner alone, which stops the job in the
/// container), holding the job's lock fd too.
pub(crate) fn spawn(
    args: &RunnerArgs,
    env: &Env,
    target: &Target,
    journal: &Journal,
    mark: &str,
    events: Events,
) -> Result<Running> {
    let (stdin_read, stdin_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let stdout = journal.output()?;
    let stderr = journal.output()?;
    let lock: RawFd = journal.lock_fd();
    let child = runtime::client(&args.runtime, env)
        .args(exec_words(args, target, mark))
        .spawn(|c| {
            c.stdin(Stdio::from(stdin_read))
                .stdout(Stdio::from(stdout))
                .stderr(Stdio::from(stderr))
                .process_group(0);
            // SAFETY: only fcntl(2), async-signal-safe, between fork and exec.
            unsafe {
                c.pre_exec(move || {
                    // The client keeps the lock held for as long as it runs.
                    if nix::libc::fcntl(lock, nix::libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        })?;
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let started_ticks = super::stop::start_ticks(pid).unwrap_or(0);
    Ok(Running {
        child,
        events,
        started_ticks,
        _stdin: stdin_write,
    })
}

impl Running {
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the client's end, the timeout (`until`) or a signal, whichever comes first.
    pub(crate) fn wait(&mut self, until: Option<Instant>) -> Outcome {
        loop {
            if let Some(status) = self.exited() {
                return Outcome::Exited(status);
            }
            match self.events.next(until) {
                Err(()) => return Outcome::TimedOut,
                Ok(Some(signal)) => return Outcome::Interrupted(signal),
                Ok(None) => {}
            }
        }
    }

    /// Waits at most `limit` for the client's end (signals that arrive meanwhile change nothing:
    /// the stop is already under way).
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = Some(Instant::now() + limit);
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            self.events.next(until).ok()?;
        }
    }

    /// Kills the client (after the job in the container was stopped, or cannot be found).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
