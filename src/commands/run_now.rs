//! `crontainer run-now JOB`: runs the installed line's command now, exactly as cron would (the
//! same shell command, so the same lock, log and start/end lines), marked `by=run-now:USER`,
//! streaming what it appends to the log, and exits with the job's exit code.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::RunNowArgs;
use crate::commands;
use crate::config::ContainerRef;
use crate::error::{ExitCode, bad_input};
use crate::host;
use crate::line;
use crate::process::Cmd;
use crate::run_log;
use crate::runtime::{self, ContainerState};
use crate::ui;

/// The variable the line reads to say who started it; unset under cron.
pub(crate) const ENV_BY: &str = "CRONTAINER_BY";

pub(crate) fn run(args: &RunNowArgs) -> Result<ExitCode> {
    let found = commands::installed::lookup::find_job(&args.job, &args.scope)?;
    let entry = &found.entry;
    if !found.installed {
        // What runs is what is installed, never a config's job (issue 26: a planted config's
        // line ran as root): install it first.
        return Err(bad_input(format!(
            "job {:?} is in the config but not installed, and run-now runs only installed jobs: \
             `crontainer install` first; nothing was started",
            args.job
        )));
    }
    if let Some(paused) = &entry.marker.paused {
        ui::notice(&format!(
            "job {:?} is paused (since {} by {}); running it anyway",
            args.job, paused.at, paused.by
        ));
    }
    let parsed = line::parse_line(entry.active_line(), found.with_user_column)
        .with_context(|| format!("job {:?}: its installed line cannot be read", args.job))?;

    // The runner follows the line's overlap policy itself, as for cron's firing (`exec/mod.rs`):
    // `replace` stops the run going, `allow` runs beside it. Only under `forbid` (the default,
    // and every 0.1/0.2 line's) would it skip: say so here, plainly, before anything starts.
    let runner = parsed.runner().and_then(Result::ok);
    let overlaps = runner.as_ref().is_some_and(|runner| {
        matches!(
            runner.args.concurrency.as_deref(),
            Some("replace" | "allow")
        )
    });
    if !overlaps && let Some(pid) = host::lock_holder(&entry.marker.lock) {
        let lock_run = run_log::lock_run(&entry.marker.lock);
        let since = run_log::last_run_of(&entry.marker.log, &entry.marker.id, lock_run)
            .ok()
            .and_then(|l| l.started)
            .map(|s| format!(" since {} ({})", s.at, s.by.started_by()))
            .unwrap_or_default();
        eprintln!(
            "crontainer: job {:?} is already running{since}, pid {pid}; nothing was started",
            args.job
        );
        return Ok(ExitCode::Busy);
    }

    // The line's first step opens the log and its lock; say plainly why it cannot, rather
    // than leave it to /bin/sh's message and exit code.
    let dir = entry.marker.log.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        anyhow::bail!(
            "job {:?} cannot run: its log's directory {} is missing (`crontainer install` \
             creates it again); nothing was started",
            args.job,
            dir.display()
        );
    }
    if entry.marker.log.is_dir() {
        anyhow::bail!(
            "job {:?} cannot run: its log {} is a directory; nothing was started",
            args.job,
            entry.marker.log.display()
        );
    }
    if found.run_as == host::current_user()
        && entry.marker.log.exists()
        && nix::unistd::access(&entry.marker.log, nix::unistd::AccessFlags::W_OK).is_err()
    {
        anyhow::bail!(
            "job {:?} cannot run: its log {} is not writable by {}; nothing was started",
            args.job,
            entry.marker.log.display(),
            found.run_as
        );
    }

    // The line looks the service's container up itself; say which one it will find (by the
    // same rule), or why none, so the person running it knows where it ran.
    if let ContainerRef::Service { .. } = &entry.marker.container {
        // As root, never the runtime a user's block names (`commands::trust`).
        let (name, state) = match commands::trust::runtime_for(found.written_by.as_deref(), entry) {
            Ok((runtime, env)) => {
                runtime::resolve_container(&runtime, &env, &entry.marker.container)
            }
            Err(why) => (
                entry.marker.container.to_string(),
                ContainerState::Unknown(why),
            ),
        };
        match state {
            ContainerState::Running => ui::notice(&format!(
                "job {:?}: {} resolves to container {name}",
                args.job, entry.marker.container
            )),
            state => ui::notice(&format!("job {:?}: {name} {state}", args.job)),
        }
    }

    let me = host::current_user();
    let runuser = found.run_as != me;
    let shell = if !runuser {
        Cmd::new("/bin/sh")
    } else if host::is_root() {
        // Run as the job's user, as cron would; runuser is util-linux's su for root.
        Cmd::new(runtime::find("runuser", "/usr/sbin/runuser").path).args([
            "-u",
            &found.run_as,
            "--",
            "/bin/sh",
        ])
    } else {
        return Err(bad_input(format!(
            "job {:?} runs as {}; running it as {me} would not be what cron does: use sudo",
            args.job, found.run_as
        )));
    };
    // A runner line is one command, words crontainer quoted (`line::read_runner`): the shell
    // becomes the runner (dash waits in a child otherwise), so that a signal passed on reaches
    // the runner alone, never a shell that would die of it and let run-now return before the
    // runner stopped the job and wrote its end line.
    let body = match &runner {
        Some(_) => format!("exec {}", parsed.body()),
        None => parsed.body().to_owned(),
    };
    let command = cron_environment(shell.arg("-c").arg(body), &found.run_as)
        .env(ENV_BY, format!("run-now:{me}"));

    if args.detach {
        let child = command.spawn(|c| {
            c.stdout(Stdio::null()).stderr(Stdio::null());
            new_session(c);
        })?;
        println!(
            "started job {:?} in the background (pid {}); follow it with `crontainer logs {} --follow` or `tail -f {}`",
            args.job,
            child.id(),
            args.job,
            entry.marker.log.display()
        );
        return Ok(ExitCode::Success);
    }

    let log = &entry.marker.log;
    let offset = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    catch_interrupts()?;
    // Its own session (so its own process group, and no controlling terminal: cron gives it
    // none, and root's terminal must not reach a user's job), so that an interrupt reaches the
    // job through us: we pass it on to the runner, which stops the job inside the container (a
    // client killed alone leaves it running there, moby#9098) and writes the end line.
    let spawned = jiff::Timestamp::now().as_second();
    let mut child = command.spawn(new_session)?;
    let mut follower = commands::Follower { offset };
    let mut stopped = None;
    let status = loop {
        follower.pump(log)?;
        let signal = INTERRUPTED.load(Ordering::SeqCst);
        if signal != 0 && stopped.is_none() {
            // A 0.1/0.2 line's shell gets TERM, as before: its watcher inside the container
            // stops the job once the runtime's client is gone, which TERM makes sure of.
            let passed = if runner.is_some() {
                signal
            } else {
                nix::sys::signal::Signal::SIGTERM as i32
            };
            pass_on(child.id(), passed, runuser);
            stopped = Some(signal);
        }
        if let Some(status) = child.try_wait()? {
            follower.pump(log)?;
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(signal) = stopped {
        ui::notice(&interrupted(&args.job, entry, spawned));
        return Ok(ExitCode::Other(128 + signal));
    }
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(ExitCode::Other(code))
}

/// Passes the signal run-now got on to the job, the same signal (so the end line says what the
/// person did: `reason=interrupted signal=INT` for a Ctrl-C): to each process of the session
/// `leader` leads, the line's shell and the runner, which stops the job inside the container.
/// Not to `runuser` leading it (root running a user's job, `spare_leader`): util-linux's runuser
/// answers a TERM by killing its child 2 s later ("Session terminated, killing shell...
/// ...killed."), before the runner could stop the job and write its end line; it ends by itself
/// when its child does. When nothing but the leader runs yet, the leader gets it.
fn pass_on(leader: u32, signal: i32, spare_leader: bool) {
    use nix::sys::signal::{Signal, kill, killpg};
    use nix::unistd::Pid;
    let (Ok(signal), Ok(leader)) = (Signal::try_from(signal), i32::try_from(leader)) else {
        return;
    };
    let others: Vec<i32> = match spare_leader {
        true => host::group::members(leader)
            .into_iter()
            .filter(|pid| *pid != leader)
            .collect(),
        false => Vec::new(),
    };
    if others.is_empty() {
        let _ = killpg(Pid::from_raw(leader), signal);
    }
    for pid in others {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

/// What run-now says once the job it interrupted ended: what the run's end line says (the
/// runner writes one), read back from the log; `since` is when run-now started the line, so an
/// earlier run's end line is never taken for this one's.
fn interrupted(job: &dyn std::fmt::Debug, entry: &line::Entry, since: i64) -> String {
    let ended = run_log::lock_run(&entry.marker.lock)
        .filter(|run| run.started >= since)
        .and_then(|run| {
            run_log::last_run_of(&entry.marker.log, &entry.marker.id, Some(run))
                .ok()?
                .ended
        });
    let Some(run_log::Event::End {
        exit,
        reason,
        signal,
        stopped,
        ..
    }) = ended.map(|record| record.event)
    else {
        return format!(
            "interrupted: job {job:?} was stopped; its log has no end line for this run"
        );
    };
    let Some(reason) = reason else {
        return format!(
            "interrupted: job {job:?} ended before it could be stopped; its end line says \
             exit={exit}"
        );
    };
    let mut says = format!("reason={reason}");
    if let Some(signal) = signal {
        says.push_str(&format!(" signal={signal}"));
    }
    if stopped == Some(false) {
        format!(
            "interrupted: job {job:?} could not be stopped inside the container; its end line \
             says {says} stopped=no"
        )
    } else {
        format!(
            "interrupted: job {job:?} was stopped, inside the container too; its end line says \
             {says}"
        )
    }
}

/// The signal that interrupted `run-now` (0: none yet).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_interrupt(signal: i32) {
    INTERRUPTED.store(signal, Ordering::SeqCst);
}

/// Ctrl-C, a hang-up or a TERM no longer end `run-now` at once: they are noted, and passed on to
/// the job (`pass_on`). The job's own processes start with the default actions,
/// since handlers do not survive `exec`.
fn catch_interrupts() -> Result<()> {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(note_interrupt),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        unsafe { sigaction(signal, &action) }.context("could not catch interrupts")?;
    }
    Ok(())
}

/// Makes the child the leader of a new session: no controlling terminal (none under cron), and a
/// process group of its own that [`run`] stops as one.
fn new_session(command: &mut std::process::Command) {
    // SAFETY: setsid(2) is async-signal-safe, and the closure touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
}

/// Names of the caller's variables that run-now passes on to the job after all (comma-separated;
/// a trailing `*` matches a prefix): for tests, whose fake runtime reads its settings from the
/// environment, and for debugging. Nothing else of the caller's reaches the job.
pub(crate) const ENV_PASS: &str = "CRONTAINER_RUN_NOW_PASS_ENV";

/// What cron gives a job (Debian's cron and cronie alike), and nothing else of the caller's
/// (issue 26: root's `VAULT_TOKEN` and `AWS_SECRET_ACCESS_KEY` reached a user's job):
/// `PATH=/usr/bin:/bin`, `SHELL=/bin/sh`, the user's `HOME`, `LOGNAME` and `USER`, starting in
/// `HOME`. The docker client's variables a login shell may carry (`DOCKER_HOST`, a context) are
/// not there under cron, so they are not here either: run-now reaches the same daemon cron does.
fn cron_environment(mut command: Cmd, user: &str) -> Cmd {
    command = command.env_clear();
    let pass: Vec<String> = std::env::var(ENV_PASS)
        .unwrap_or_default()
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    for (name, value) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        let passed = pass.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name_text.starts_with(prefix),
            None => *p == name_text,
        });
        if passed && !runtime::DOCKER_CLIENT_VARS.contains(&&*name_text) {
            command = command.env(&name, value);
        }
    }
    command = command
        .env("PATH", "/usr/bin:/bin")
        .env("SHELL", "/bin/sh")
        .env("LOGNAME", user)
        .env("USER", user);
    if let Some(home) = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.dir)
    {
        if home.is_dir() {
            command = command.current_dir(&home);
        }
        command = command.env("HOME", home);
    }
    command
}
