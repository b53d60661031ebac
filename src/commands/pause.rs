//! `crontainer pause JOB` and `crontainer resume JOB`: stop a job from firing without losing
//! it. The job's line stays in the block, commented out, and its marker records since when and
//! by whom; `resume` restores the line exactly. `install` keeps a paused job paused.

use anyhow::Result;

use crate::block;
use crate::cli::PauseArgs;
use crate::commands;
use crate::error::{ExitCode, bad_input};
use crate::host;
use crate::line::Paused;
use crate::ui;

/// What the command does to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Pause,
    Resume,
}

pub(crate) fn run(args: &PauseArgs, action: Action) -> Result<ExitCode> {
    let verb = match action {
        Action::Pause => "pause",
        Action::Resume => "resume",
    };
    let config = commands::trust::load_config(args.scope.config.config.as_deref())?;
    let (name, id) = commands::installed::lookup::split_job(&args.job, args.scope.name.as_deref())?;
    // Which target and block hold the job, then that block read again under the target's lock.
    let scope = commands::installed::scope(config.as_ref(), &args.scope.target, name, false)?;
    let Some((installed, block_name, _)) = commands::installed::lookup::locate(&scope, id)? else {
        let mut message = format!(
            "job {id:?} is not installed in {}; `crontainer status` lists what is",
            scope.label
        );
        for damaged in scope.damaged() {
            message.push_str(&format!("; and it cannot read {damaged}"));
        }
        return Err(bad_input(message));
    };
    let target = installed.target.clone();
    let block_name = block_name.to_string();
    let label = target.describe();

    let _lock = target.lock()?;
    let old = target.read()?;
    let mut found = None;
    for block in
        commands::installed::parse_blocks(&old, Some(&block_name), target.with_user_column())?
    {
        let (name, entries) = block?;
        if let Some(i) = entries.iter().position(|e| e.marker.id == id) {
            found = Some((name, entries, i));
            break;
        }
    }
    let Some((block_name, mut entries, i)) = found else {
        return Err(bad_input(format!(
            "job {id:?} is no longer in block `{block_name}` of {label}; `crontainer status` \
             lists what is"
        )));
    };
    let was = entries[i].marker.paused.clone();
    // What fires the job: systemd stops and starts its timer.
    let fires = match target {
        crate::cron_table::Target::Systemd(_) => "its systemd timer",
        _ => "cron",
    };
    let message = match (action, &was) {
        (Action::Pause, Some(p)) => format!(
            "job {:?} is already paused (since {} by {}); nothing changed.",
            id, p.at, p.by
        ),
        (Action::Resume, None) => format!("job {id:?} is not paused; nothing changed."),
        (Action::Pause, None) => {
            let paused = Paused {
                at: jiff::Timestamp::now()
                    .strftime(crate::run_log::TIMESTAMP_FORMAT)
                    .to_string(),
                by: host::current_user(),
            };
            entries[i] = entries[i].with_paused(Some(paused));
            format!(
                "paused job {id:?} in {label}: {fires} will not fire it until `crontainer resume {}`.",
                args.job
            )
        }
        (Action::Resume, Some(_)) => {
            entries[i] = entries[i].with_paused(None);
            // The line fires again from now: a firing that fell in the pause is no missed one
            // (`status` judges those from the install time). A 0.1 marker, which has none,
            // stays as it was.
            if entries[i].marker.installed.is_some() {
                entries[i].marker.installed = Some(
                    commands::now()?
                        .timestamp()
                        .strftime(crate::run_log::TIMESTAMP_FORMAT)
                        .to_string(),
                );
            }
            format!("resumed job {id:?} in {label}: {fires} fires it again from its next run.")
        }
    };
    let body = commands::change::body_with_entries(
        &old,
        &block_name,
        &entries,
        target.with_user_column(),
    )?;
    let new = block::upsert(&old, &block_name, &body)?;
    let applied = commands::change::apply(&target, &old, &new, false, args.json)?;

    if args.json {
        ui::print_document(&PauseDocument {
            action: verb,
            job: id,
            changed: applied.changed,
            paused: entries[i].marker.paused.as_ref(),
            r#where: &label,
            backup: applied.backup.as_deref(),
        });
    } else {
        ui::say(&message);
    }
    Ok(ExitCode::Success)
}

/// `pause --json` and `resume --json`.
#[derive(serde::Serialize)]
struct PauseDocument<'a> {
    /// "pause" or "resume".
    action: &'a str,
    job: &'a str,
    changed: bool,
    /// When and by whom the job is paused now; None once resumed.
    paused: Option<&'a Paused>,
    r#where: &'a str,
    backup: Option<&'a std::path::Path>,
}
