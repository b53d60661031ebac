//! How an installed job has gone out of step: with the line its config would install (drift),
//! with the binary its runner line names, and with its own schedule (a firing that never came).

use anyhow::Result;
use jiff::ZonedDateTime;

use crate::config::{ContainerRef, Job};
use crate::line::{self, Entry, Tools};

/// The first firing cron should have started since the line was installed and the job last
/// started or was skipped, if it is more than `grace` seconds past: a job that never fires
/// (a crontab setting `SHELL` to another shell, a cron daemon skipping the crontab) is caught
/// here. `@reboot` jobs are due once per boot after their install. None for a line crontainer
/// 0.1 installed, whose marker does not say when.
pub(crate) fn missed_firing(
    rendered: Option<&crate::schedule::Rendered>,
    installed: Option<&str>,
    last: &crate::run_log::LastRun,
    now: &ZonedDateTime,
    grace: u64,
) -> Option<ZonedDateTime> {
    let installed: jiff::Timestamp = installed?.parse().ok()?;
    let rendered = rendered?;
    let since = [last.started_at(), last.last_skip.as_ref().map(|s| s.at)]
        .into_iter()
        .flatten()
        .fold(installed, jiff::Timestamp::max);
    let due = if rendered.cron.is_reboot() {
        crate::host::boot_time()
            .filter(|boot| *boot > since)?
            .to_zoned_datetime(now.time_zone().clone())
    } else {
        crate::schedule::next_runs(
            rendered,
            &since.to_zoned_datetime(now.time_zone().clone()),
            1,
        )
        .into_iter()
        .next()?
    };
    let late = now.timestamp().as_second() - due.timestamp().as_second();
    (late > grace as i64).then_some(due)
}

/// A missed firing in words, as `status` and `doctor` say it.
pub(crate) fn missed_words(due: &ZonedDateTime) -> String {
    format!(
        "missed: cron should have started it at {}; no start since",
        due.strftime("%Y-%m-%d %H:%M %Z")
    )
}

/// What differs between the line the config would install for `job` and the `installed` entry,
/// in words; empty when they are in step (a pause is not drift). An error when the config's
/// line cannot be rendered. `status` and `doctor` both judge drift with this.
pub(crate) fn drift(
    config_runtime: &str,
    job: &Job,
    installed: &Entry,
    user_column: Option<&str>,
    with_user: bool,
) -> Result<Vec<String>> {
    let tools = tools_like(config_runtime, installed);
    // A service the config leaves without a project was pinned to one at install: in step.
    let job = &match (&job.container, &installed.marker.container) {
        (
            ContainerRef::Service {
                service,
                project: None,
            },
            ContainerRef::Service {
                service: pinned_service,
                project: Some(project),
            },
        ) if service == pinned_service => Job {
            container: ContainerRef::Service {
                service: service.clone(),
                project: Some(project.clone()),
            },
            ..job.clone()
        },
        _ => job.clone(),
    };
    let wanted = line::render_job(job, &tools, user_column)?;
    Ok(describe_drift(&wanted, installed, with_user))
}

/// The tools to render the config's line with when comparing it to an installed entry: the
/// installed runtime when the config names the same program, so a `docker` found elsewhere on
/// this shell's PATH (sudo's, say) is not reported as drift.
fn tools_like(config_runtime: &str, installed: &Entry) -> Tools {
    let (mut tools, _) = crate::runtime::resolve_tools(config_runtime, false);
    if !config_runtime.starts_with('/')
        && installed.marker.runtime.file_name() == Some(std::ffi::OsStr::new(config_runtime))
    {
        tools.runtime = installed.marker.runtime.clone();
    }
    // Which crontainer binary runs the line is not the config's to say: one installed by
    // /usr/local/bin/crontainer is in step when /usr/bin/crontainer reads it.
    for with_user in [false, true] {
        if let Some(Ok(runner)) =
            line::parse_line(installed.active_line(), with_user).and_then(|p| p.runner())
        {
            tools.crontainer = runner.binary;
        }
    }
    tools
}

/// What differs between the line the config would install and the installed one.
fn describe_drift(wanted: &Entry, installed: &Entry, with_user: bool) -> Vec<String> {
    // A pause is not drift, nor when the line was installed.
    let installed = &installed.as_rendered();
    if wanted == installed {
        return Vec::new();
    }
    if installed.is_legacy() {
        return vec![
            "installed by crontainer 0.1 or 0.2 (a shell line, which still runs): \
             `crontainer install` upgrades it to a runner line"
                .into(),
        ];
    }
    let (Some(w), Some(i)) = (
        line::parse_line(&wanted.line, with_user),
        line::parse_line(installed.active_line(), with_user),
    ) else {
        return vec!["the installed line differs from the config: run `crontainer install`".into()];
    };
    let mut what = Vec::new();
    if w.cron != i.cron || w.rendered().map(|r| r.guard) != i.rendered().map(|r| r.guard) {
        what.push("schedule");
    }
    if w.body() != i.body() {
        what.push("command");
    }
    if w.user != i.user {
        what.push("user");
    }
    if wanted.catch_up.is_some() != installed.catch_up.is_some() {
        what.push("catch_up");
    }
    if wanted.marker != installed.marker && what.is_empty() {
        what.push("log or description");
    }
    vec![format!(
        "drifted from the config ({} differs): run `crontainer install`",
        what.join(", ")
    )]
}

/// When the crontainer binary an installed runner line names is missing or not executable, in
/// words naming it: cron then runs nothing of the job. None for a 0.1/0.2 shell line.
pub(crate) fn runner_problem(entry: &Entry, with_user: bool) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let runner = line::parse_line(entry.active_line(), with_user)?
        .runner()?
        .ok()?;
    let what = match std::fs::metadata(&runner.binary) {
        Err(_) => "is missing",
        Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => "is not executable",
        Ok(_) => return None,
    };
    Some(format!(
        "the crontainer binary its line runs, {}, {what}: without the runner no job runs \
         (install crontainer there again, or run `crontainer install` from where it is now)",
        runner.binary.display()
    ))
}
