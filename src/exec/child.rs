//! The runtime's `exec` client running the job, and the wait for what comes first: its end, the
//! timeout, or a signal to the runner (SIGTERM, SIGINT, SIGHUP: cron killed, Ctrl-C on
//! `run-now`, `systemctl stop`). Signals reach a self-pipe, read by a thread; the client's end is
//! waited for by another; the runner blocks on one channel, so a firing costs no polling.

use std::os::fd::{AsRawFd as _, OwnedFd, RawFd};
use std::os::unix::process::CommandExt as _;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use nix::sys::signal::Signal;

use super::container::Target;
use super::journal::Journal;
use crate::runner_args::RunnerArgs;
use crate::runtime::{self, Env};

/// What ended the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The client ended.
    Exited(ExitStatus),
    /// The timeout came first.
    TimedOut,
    /// The runner was told to stop.
    Interrupted(Signal),
}

enum Event {
    Exited(ExitStatus),
    Signal(i32),
}

/// The client, running.
pub struct Running {
    pub pid: nix::unistd::Pid,
    /// When the client started, in clock ticks since boot (`/proc/PID/stat`): the job's process
    /// in the container started after it.
    pub started_ticks: u64,
    events: Receiver<Event>,
    /// The write end of the client's stdin, held open and never written: the job's stdin gives
    /// neither data nor an end of file while the runner lives (as 0.2's `/dev/ptmx` did).
    _stdin: OwnedFd,
}

/// The write end of the self-pipe the signal handler writes to (-1: none yet).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: i32) {
    let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = [u8::try_from(signal).unwrap_or(0)];
        // SAFETY: write(2) is async-signal-safe; the fd stays open for the process's life.
        let _ = nix::unistd::write(unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }, &byte);
    }
}

/// What the runner waits on: the signals it caught, then the client's end too.
pub struct Events {
    sender: Sender<Event>,
    receiver: Receiver<Event>,
}

impl Events {
    /// From now on SIGTERM, SIGINT and SIGHUP no longer end the runner: they arrive as
    /// [`Outcome::Interrupted`], so that it stops the job in the container and logs why. Called
    /// before the start line: a signal that comes before the client starts still ends the run
    /// with its own end line.
    pub fn catch() -> Result<Events> {
        let (sender, receiver) = channel();
        catch_signals(sender.clone())?;
        Ok(Events { sender, receiver })
    }
}

fn catch_signals(events: Sender<Event>) -> Result<()> {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, sigaction};
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // The write end lives as long as the process.
    SIGNAL_PIPE.store(write.as_raw_fd(), Ordering::SeqCst);
    std::mem::forget(write);
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        while let Ok(1) = nix::unistd::read(&read, &mut byte) {
            if events.send(Event::Signal(i32::from(byte[0]))).is_err() {
                break;
            }
        }
    });
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only writes to a pipe, which is async-signal-safe.
        unsafe { sigaction(signal, &action) }.context("could not catch signals")?;
    }
    Ok(())
}

/// `RUNTIME exec -i [-u U] [-w W] [--env-file F] [-e N=V].. ID COMMAND...`: the command by argv,
/// never through a shell (none is needed in the container), never `-t` (cron has no TTY).
pub fn exec_words(args: &RunnerArgs, target: &Target) -> Vec<String> {
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
    // Options end at the container: the command's words reach it as given.
    words.push(target.id.clone());
    words.extend(args.command().iter().cloned());
    words
}

/// Starts the client, its output appended straight to the log (never buffered here), in its own
/// process group (a Ctrl-C on the terminal reaches the runner alone, which stops the job in the
/// container), holding the job's lock fd too.
pub fn spawn(
    args: &RunnerArgs,
    env: &Env,
    target: &Target,
    journal: &Journal,
    events: Events,
) -> Result<Running> {
    let Events {
        sender: events,
        receiver: received,
    } = events;
    let (stdin_read, stdin_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let stdout = journal.output()?;
    let stderr = journal.output()?;
    let lock: RawFd = journal.lock_fd();
    let mut child = runtime::client(&args.runtime, env)
        .args(exec_words(args, target))
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
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let started_ticks = super::stop::start_ticks(pid.as_raw()).unwrap_or(0);
    std::thread::spawn(move || {
        if let Ok(status) = child.wait() {
            let _ = events.send(Event::Exited(status));
        }
    });
    Ok(Running {
        pid,
        started_ticks,
        events: received,
        _stdin: stdin_write,
    })
}

impl Running {
    /// Waits for the client's end, the timeout (`until`) or a signal, whichever comes first.
    pub fn wait(&self, until: Option<Instant>) -> Outcome {
        loop {
            let event = match until {
                Some(until) => {
                    match self
                        .events
                        .recv_timeout(until.saturating_duration_since(Instant::now()))
                    {
                        Ok(event) => event,
                        Err(RecvTimeoutError::Timeout) => return Outcome::TimedOut,
                        Err(RecvTimeoutError::Disconnected) => continue,
                    }
                }
                None => match self.events.recv() {
                    Ok(event) => event,
                    Err(_) => continue,
                },
            };
            match event {
                Event::Exited(status) => return Outcome::Exited(status),
                Event::Signal(n) => {
                    if let Ok(signal) = Signal::try_from(n) {
                        return Outcome::Interrupted(signal);
                    }
                }
            }
        }
    }

    /// Waits at most `limit` for the client's end (signals that arrive meanwhile change nothing:
    /// the stop is already under way).
    pub fn wait_exit(&self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            match self
                .events
                .recv_timeout(until.saturating_duration_since(Instant::now()))
            {
                Ok(Event::Exited(status)) => return Some(status),
                Ok(Event::Signal(_)) => {}
                Err(_) => return None,
            }
        }
    }

    /// Kills the client (after the job in the container was stopped, or cannot be found).
    pub fn kill(&self) {
        let _ = nix::sys::signal::kill(self.pid, Signal::SIGKILL);
    }
}
