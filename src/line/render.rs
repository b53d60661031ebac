//! Rendering a job into its runner line: the schedule, the crontainer binary by absolute path,
//! `exec`, and the job as the runner's words ([`RunnerArgs::to_words`]), each one literal shell
//! word ([`quote`]) with every `%` escaped for cron. For the seed job:
//!
//! ```text
//! 0 * * * * /usr/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- ai-video-backend python main_v2.py
//! ```
//!
//! Everything a firing does (the guard, the lock, the log lines, the pings, the Compose
//! lookup, the stop on a timeout) is the runner's (`src/exec/`); the line only says which job,
//! where it logs, which runtime, and what runs where. So no feature costs bytes that another
//! needs: a realistic job is a few hundred bytes, and one over cron's limit is refused with its
//! length, never cut.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::marker::Marker;
use super::{Entry, MAX_LINE};
use crate::config::{ContainerRef, Job};
use crate::error::bad_input;
use crate::runner_args::RunnerArgs;
use crate::schedule::Schedule;
use crate::shell::{escape_percent, quote};

/// The programs a line names, as absolute paths, and how the host's cron treats `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub runtime: PathBuf,
    /// The crontainer binary every runner line runs: the running one's canonical path.
    pub crontainer: PathBuf,
    /// Debian's cron and cronie turn a bare `%` into a newline and `\%` into `%`; busybox's
    /// crond (checked on 1.35) does neither, so a line for it must carry `%` as it is.
    pub escape_percent: bool,
}

/// A number of seconds as the runner's `--timeout` reads it: the largest whole unit.
pub fn duration_word(seconds: u64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The runner's arguments for one job's cron line in block `block` (the catch-up line adds its
/// own three).
pub fn runner_args(job: &Job, runtime: &Path, block: &str) -> RunnerArgs {
    let pairs = |vars: &std::collections::BTreeMap<String, String>| -> Vec<String> {
        vars.iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    };
    let (service, project, mut argv) = match &job.container {
        ContainerRef::Name(name) => (None, None, vec![name.clone()]),
        ContainerRef::Service { service, project } => {
            (Some(service.clone()), project.clone(), Vec::new())
        }
    };
    argv.extend(job.command.iter().cloned());
    RunnerArgs {
        job: job.id.clone(),
        block: Some(block.to_owned()),
        every: match &job.schedule {
            Schedule::Every(interval) => Some(interval.to_string()),
            Schedule::Cron(_) => None,
        },
        timeout: job.timeout.map(duration_word),
        ping: job.healthcheck.clone(),
        concurrency: job.concurrency.clone(),
        retries: job.retries,
        retry_delay: job.retry_delay.map(duration_word),
        history_limit: job.history_limit,
        failed_history_limit: job.failed_history_limit,
        log: job.log.clone(),
        runtime: runtime.to_path_buf(),
        runtime_env: pairs(&job.runtime_env),
        service,
        project,
        env: pairs(&job.env),
        env_file: job.env_file.clone(),
        workdir: job.workdir.clone(),
        user: job.user.clone(),
        catch_up: false,
        schedule: None,
        catch_up_within: None,
        since: None,
        argv,
    }
}

/// `BINARY exec WORDS...`, each word quoted, `%` escaped when cron needs it.
pub fn runner_command(binary: &Path, args: &RunnerArgs, escape: bool) -> String {
    let mut words = vec![
        quote(&binary.to_string_lossy()),
        super::read::EXEC.to_string(),
    ];
    words.extend(args.to_words().iter().map(|w| quote(w)));
    let command = words.join(" ");
    if escape {
        escape_percent(&command)
    } else {
        command
    }
}

/// A whole line: the schedule fields, the user column (cron.d), the command.
pub fn line(cron: &str, user_column: Option<&str>, command: &str) -> String {
    match user_column {
        Some(user) => format!("{cron} {user} {command}"),
        None => format!("{cron} {command}"),
    }
}

/// The job's `@reboot` line for `catch_up`: the same runner arguments, plus `--catch-up`, the
/// schedule (a cron job's fields; `--every` already stands for an interval) and, once installed,
/// `--since` the install time.
pub fn catch_up_args(
    job_args: &RunnerArgs,
    schedule: &Schedule,
    since: Option<&str>,
) -> RunnerArgs {
    RunnerArgs {
        catch_up: true,
        schedule: match schedule {
            Schedule::Cron(expr) => Some(expr.as_str().to_string()),
            Schedule::Every(_) => None,
        },
        since: since.map(str::to_string),
        ..job_args.clone()
    }
}

/// Renders a job of block `block` into its marker and runner line (and catch-up line).
/// `user_column` is the user field of a cron.d line (None for a crontab). A line over cron's
/// limit is refused with its length.
pub fn render_job(
    job: &Job,
    tools: &Tools,
    user_column: Option<&str>,
    block: &str,
) -> Result<Entry> {
    let rendered = job.schedule.render();
    let args = runner_args(job, &tools.runtime, block);
    let job_line = line(
        rendered.cron.as_str(),
        user_column,
        &runner_command(&tools.crontainer, &args, tools.escape_percent),
    );
    let catch_up = job.catch_up.then(|| {
        line(
            "@reboot",
            user_column,
            &runner_command(
                &tools.crontainer,
                &RunnerArgs {
                    catch_up_within: job.catch_up_within.map(duration_word),
                    ..catch_up_args(&args, &job.schedule, None)
                },
                tools.escape_percent,
            ),
        )
    });
    // The catch-up line gains `--since TIME` (29 bytes) at install.
    const SINCE: usize = " --since 2026-01-01T00:00:00Z".len();
    for (what, text, extra) in [
        ("cron line", Some(&job_line), 0),
        (
            "catch-up line (`catch_up = true`)",
            catch_up.as_ref(),
            SINCE,
        ),
    ] {
        if let Some(text) = text
            && text.len() + extra > MAX_LINE
        {
            return Err(bad_input(format!(
                "job {:?}: its {what} is {} bytes, over the {MAX_LINE} that Debian's cron \
                 accepts (it refuses the whole crontab with \"command too long\"); shorten the \
                 command, env values, workdir or log path by {} bytes, e.g. by moving arguments \
                 into a script inside the container, or values into `env_file`",
                job.id,
                text.len() + extra,
                text.len() + extra - MAX_LINE
            )));
        }
    }
    let marker = marker(job, &tools.runtime);
    Ok(Entry {
        marker,
        line: job_line,
        catch_up,
    })
}

/// The marker of a job run by `runtime`, not yet installed nor paused: what a cron block and a
/// systemd service unit both carry, so `status` reads either the same way.
pub fn marker(job: &Job, runtime: &Path) -> Marker {
    Marker {
        id: job.id.clone(),
        container: job.container.clone(),
        runtime: runtime.to_path_buf(),
        runtime_env: job.runtime_env.clone(),
        log: job.log.clone(),
        lock: job.lock(),
        grace: (job.grace != crate::config::DEFAULT_GRACE).then_some(job.grace),
        catch_up: job.catch_up,
        jitter: job.jitter,
        installed: None,
        paused: None,
        every: match &job.schedule {
            Schedule::Every(interval) => Some(interval.to_string()),
            Schedule::Cron(_) => None,
        },
        description: job.description.clone(),
    }
}
