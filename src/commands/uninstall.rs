//! `crontainer uninstall [JOB]`: removes crontainer's block (or one job's lines) from the
//! target, working from what is installed; logs stay. Without a config or `--name`, a target
//! with several blocks (other configs' among them) is not emptied on a guess: they are listed,
//! and `--name` or `--all` says which.

use anyhow::Result;

use crate::block;
use crate::cli::UninstallArgs;
use crate::commands;
use crate::commands::job_status::textfile;
use crate::cron_table::Target;
use crate::error::{ExitCode, bad_input};
use crate::logrotate;
use crate::ui;

pub(crate) fn run(args: &UninstallArgs) -> Result<ExitCode> {
    let config = commands::trust::load_config(args.config.as_deref())?;
    let name = args
        .name
        .clone()
        .or_else(|| config.as_ref().map(|c| c.name.clone()));
    let (name, job) =
        commands::installed::lookup::block_and_job(args.job.as_ref(), name.as_deref())?;
    // One block named (by the config or --name) is in one target: locked before it is read, it
    // is read once (`Target::read` remembers it under the lock) and cannot change meanwhile.
    let early = match name.as_deref() {
        Some(name) => {
            let (kind, user) = commands::installed::target_settings(config.as_ref(), &args.target);
            let resolved = Target::resolve(kind, user.as_ref(), name)?;
            let lock = resolved.target.lock()?;
            Some((resolved.target, lock))
        }
        None => None,
    };
    let scope = commands::installed::scope(config.as_ref(), &args.target, name.as_deref(), false)?;

    // Which blocks of which targets, decided from what is installed before anything changes.
    let mut chosen: Vec<(usize, String)> = Vec::new();
    match &job {
        Some(id) => {
            if let Some((installed, block, _)) = commands::installed::lookup::locate(&scope, id)? {
                let target = installed.target.id();
                chosen.extend(
                    scope
                        .block_indexes()
                        .into_iter()
                        .filter(|(i, b)| *b == block && scope.installed[*i].target.id() == target)
                        .map(|(i, b)| (i, b.to_string())),
                );
            }
        }
        None => chosen.extend(
            scope
                .block_indexes()
                .into_iter()
                .map(|(i, b)| (i, b.to_string())),
        ),
    }
    // A damaged block is refused, not deleted with the lines someone added to it.
    let damaged = scope.damaged();
    if !damaged.is_empty() && (name.is_some() || args.all || chosen.is_empty()) {
        return Err(bad_input(format!(
            "cannot read {}; nothing changed",
            damaged.join("; ")
        )));
    }
    if job.is_none() && name.is_none() && !args.all && chosen.len() > 1 {
        return Err(bad_input(format!(
            "{} holds {} crontainer blocks: {}; say which with --name BLOCK (or -c CONFIG), or \
             remove them all with --all; nothing changed",
            scope.label,
            chosen.len(),
            chosen
                .iter()
                .map(|(i, b)| format!("`{b}` ({})", scope.installed[*i].target.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some(id) = &job
        && chosen.is_empty()
    {
        return Err(bad_input(format!(
            "job {id:?} is not installed in {}{}; `crontainer status` lists what is",
            scope.label,
            name.as_ref()
                .map(|n| format!(" (block `{n}`)"))
                .unwrap_or_default()
        )));
    }

    let mut removed: Vec<String> = Vec::new();
    let mut rotation = Vec::new();
    let mut metrics_files = Vec::new();
    let mut removed_metrics = Vec::new();
    let mut diffs = Vec::new();
    let mut backups = Vec::new();
    let mut changed = false;
    let mut places = Vec::new();
    for (i, installed) in scope.installed.iter().enumerate() {
        let blocks: Vec<&String> = chosen
            .iter()
            .filter(|(c, _)| *c == i)
            .map(|(_, b)| b)
            .collect();
        if blocks.is_empty() {
            continue;
        }
        let target = &installed.target;
        places.push(target.describe());
        let _lock = match &early {
            Some((locked, _)) if locked.same_as(target) => None,
            _ => Some(target.lock()?),
        };
        let old = target.read()?;
        let mut new = old.clone();
        let mut pending = Vec::new();
        for name in blocks {
            let Some(parsed) =
                commands::installed::parse_blocks(&old, Some(name), target.with_user_column())?
                    .next()
            else {
                continue;
            };
            let (name, mut entries) = parsed?;
            // The block's metrics line names the directory of its metrics file.
            let textfile = block::find(&old, &name)?
                .and_then(|body| crate::line::parse_textfile(&body, target.with_user_column()));
            let logs_before: Vec<_> = entries.iter().map(|e| e.marker.log.clone()).collect();
            match &job {
                None => {
                    removed.extend(entries.into_iter().map(|e| e.marker.id));
                    new = block::remove(&new, &name)?.unwrap_or(new);
                    entries = Vec::new();
                }
                Some(id) => {
                    entries.retain(|e| &e.marker.id != id);
                    removed.push(id.clone());
                    new = if entries.is_empty() {
                        block::remove(&new, &name)?.unwrap_or(new)
                    } else {
                        // Keeps the block's metrics line, if it has one.
                        let body = commands::change::body_with_entries(
                            &new,
                            &name,
                            &entries,
                            target.with_user_column(),
                        )?;
                        block::upsert(&new, &name, &body)?
                    };
                }
            }
            if let Some(textfile) = textfile.filter(|_| entries.is_empty()) {
                // Left behind, node_exporter would go on exporting the removed jobs, and the
                // staleness alert would fire for a deliberate uninstall.
                metrics_files.push((name.clone(), textfile));
            }
            if logrotate::enabled() {
                let owner = logrotate::Owner {
                    kind: target.kind(),
                    user: installed.run_as.clone(),
                    block: name.clone(),
                };
                // Only a file crontainer wrote, with the settings it was written with.
                if let Some(settings) = logrotate::existing_settings(&owner) {
                    let mut logs: Vec<_> = entries.iter().map(|e| e.marker.log.clone()).collect();
                    // A block a user may write names any path as a log: root's logrotate file
                    // keeps only the logs it already rotated, never one the user put there since
                    // (logrotate, as root, would rotate `/etc/shadow` away).
                    if crate::host::is_root()
                        && commands::trust::written_by(&installed.target).is_some()
                    {
                        let rotated = logrotate::rotated(&owner);
                        logs.retain(|log| rotated.contains(log));
                    }
                    pending.push((owner, logs, logs_before, settings));
                }
            }
        }
        changed |= new != old;
        let applied = commands::change::apply(target, &old, &new, args.dry_run, args.json)?;
        // Rotation files follow only a block that is gone (or changed) for good.
        for (owner, logs, logs_before, settings) in pending {
            rotation.extend(logrotate::sync(
                &owner,
                &logs,
                &logs_before,
                &settings,
                args.dry_run,
            )?);
        }
        if applied.changed {
            diffs.push(applied.diff);
        }
        if !args.dry_run {
            for (block, file) in metrics_files.drain(..) {
                // The block is gone already: a file that cannot be removed is said, not fatal.
                match textfile::remove_installed(target, &installed.run_as, &block, &file) {
                    Ok(Some(path)) => removed_metrics.push(path),
                    Ok(None) => {}
                    Err(e) => ui::warn(&format!("metrics: {e:#}")),
                }
            }
        }
        backups.extend(applied.backup);
    }
    let changed = changed || !rotation.is_empty();
    let applied = commands::change::Applied {
        changed,
        diff: diffs.join(""),
        backup: backups.first().cloned(),
    };

    if args.json {
        ui::print_document(&applied.report(
            changed,
            args.dry_run,
            UninstallDocument {
                target: scope.installed.first().map(|i| i.target.kind()),
                r#where: if places.len() == 1 {
                    &places[0]
                } else {
                    &scope.label
                },
                removed_jobs: &removed,
                logrotate: &rotation,
                removed_metrics_files: &removed_metrics,
                backups: &backups,
            },
        ));
        return Ok(ExitCode::Success);
    }
    let label = if places.len() == 1 {
        places[0].clone()
    } else {
        scope.label.clone()
    };
    if !changed {
        ui::say(&format!(
            "nothing to remove: {label} has no crontainer block{}.",
            name.map(|n| format!(" `{n}`")).unwrap_or_default()
        ));
        return Ok(ExitCode::Success);
    }
    ui::say(&applied.diff);
    let rotation_words: Vec<String> = rotation
        .iter()
        .map(|c| format!("{} {}", c.action, c.path.display()))
        .collect();
    if args.dry_run {
        ui::say(&format!(
            "dry run: would remove {} from {label}{}; nothing was written.",
            removed.join(", "),
            if rotation_words.is_empty() {
                String::new()
            } else {
                format!(" and {}", rotation_words.join(", "))
            }
        ));
    } else {
        ui::say(&format!(
            "removed {} from {label}; logs were kept.",
            if removed.is_empty() {
                "the block".to_string()
            } else {
                removed.join(", ")
            }
        ));
        for change in &rotation {
            ui::say(&format!(
                "log rotation: {} {}",
                change.action,
                change.path.display()
            ));
        }
        for path in &removed_metrics {
            ui::say(&format!("metrics: removed {}", path.display()));
        }
        for backup in &backups {
            ui::say(&format!("previous version saved to {}", backup.display()));
        }
    }
    Ok(ExitCode::Success)
}

/// `uninstall --json`: what was removed from where, beside `ChangeReport`'s fields.
#[derive(serde::Serialize)]
struct UninstallDocument<'a> {
    /// The kind of the first target looked at; None when there was none.
    target: Option<crate::config::TargetKind>,
    r#where: &'a str,
    removed_jobs: &'a [String],
    logrotate: &'a [crate::logrotate::Change],
    /// The blocks' metrics files removed from node_exporter's textfile directory.
    removed_metrics_files: &'a [std::path::PathBuf],
    /// One backup per target changed.
    backups: &'a [std::path::PathBuf],
}
