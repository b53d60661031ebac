//! `crontainer uninstall [JOB]`: removes crontainer's block (or one job's lines) from the
//! target, working from what is installed; logs stay.

use anyhow::Result;
use serde_json::json;

use crate::block;
use crate::cli::UninstallArgs;
use crate::commands;
use crate::config;
use crate::error::{ExitCode, bad_input};
use crate::logrotate;
use crate::ui;

pub fn run(args: &UninstallArgs) -> Result<ExitCode> {
    let config = config::load_optional(args.config.as_deref())?;
    let name = args
        .name
        .clone()
        .or_else(|| config.as_ref().map(|c| c.name.clone()));
    if let Some(name) = &name {
        if !config::is_block_name(name) {
            return Err(bad_input(format!("--name {name:?} is not a block name")));
        }
    }
    let resolved = commands::resolve_target(config.as_ref(), &args.target, name.as_deref())?;
    let target = resolved.target;
    let label = target.describe();

    let _lock = target.lock()?;
    let old = target.read()?;
    let blocks = commands::parse_blocks(&old, name.as_deref(), target.with_user_column())?;
    let mut new = old.clone();
    let mut removed: Vec<String> = Vec::new();
    // The logs each touched block still has, for its logrotate file.
    let mut remaining_logs: Vec<(String, Vec<std::path::PathBuf>)> = Vec::new();
    for block in blocks {
        // A block with lines someone added by hand is refused, not deleted with them.
        let (name, mut entries) = block?;
        match &args.job {
            None => {
                removed.extend(entries.into_iter().map(|e| e.marker.id));
                new = block::remove(&new, &name)?.unwrap_or(new);
                remaining_logs.push((name, Vec::new()));
            }
            Some(job) => {
                let before = entries.len();
                entries.retain(|e| &e.marker.id != job);
                if entries.len() == before {
                    continue;
                }
                removed.push(job.clone());
                new = if entries.is_empty() {
                    block::remove(&new, &name)?.unwrap_or(new)
                } else {
                    let body = commands::body_with_entries(
                        &new,
                        &name,
                        &entries,
                        target.with_user_column(),
                    )?;
                    block::upsert(&new, &name, &body)?
                };
                remaining_logs.push((name, entries.iter().map(|e| e.marker.log.clone()).collect()));
            }
        }
    }
    if let Some(job) = &args.job {
        if removed.is_empty() {
            return Err(bad_input(format!(
                "job {job:?} is not installed in {label}{}; `crontainer status` lists what is",
                name.as_ref()
                    .map(|n| format!(" (block `{n}`)"))
                    .unwrap_or_default()
            )));
        }
    }
    let changed = new != old;
    let applied = commands::apply(&target, &old, &new, args.dry_run, args.json)?;
    let mut rotation = Vec::new();
    if !args.dry_run && logrotate::enabled() {
        for (name, logs) in &remaining_logs {
            // Only a file crontainer wrote, with the settings it was written with.
            if let Some(settings) = logrotate::existing_settings(name) {
                rotation.extend(logrotate::sync(name, logs, &settings)?);
            }
        }
    }

    if args.json {
        ui::print_json(&applied.report(
            changed,
            args.dry_run,
            json!({
                "target": target.kind(),
                "where": label,
                "removed_jobs": removed,
                "logrotate": rotation,
            }),
        ));
        return Ok(ExitCode::Success);
    }
    if !changed {
        ui::say(&format!(
            "nothing to remove: {label} has no crontainer block{}.",
            name.map(|n| format!(" `{n}`")).unwrap_or_default()
        ));
        return Ok(ExitCode::Success);
    }
    ui::say(&applied.diff);
    if args.dry_run {
        ui::say(&format!(
            "dry run: would remove {} from {label}; nothing was written.",
            removed.join(", ")
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
        applied.say_backup();
    }
    Ok(ExitCode::Success)
}
