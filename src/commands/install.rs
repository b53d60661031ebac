//! `crontainer install`: writes the config's block into the target, idempotently, under the
//! target's lock, with a diff, a backup and the checks that would otherwise fail at 3 a.m.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use crate::block;
use crate::cli::InstallArgs;
use crate::commands;
use crate::config::ContainerRef;
use crate::config::{self, TargetKind};
use crate::cron_line;
use crate::cron_table::{self, Target};
use crate::error::{ExitCode, bad_input};
use crate::host;
use crate::logrotate;
use crate::runtime::{self, ContainerState};
use crate::ui;

/// The old locks of jobs whose lock moves (their `log` changed), each taken without waiting. A
/// run holding one goes on under it after the install, and cron would start the next run under
/// the new lock beside it, two copies at once: so a job that is running refuses the move
/// (nothing changed) until it ends. Taken rather than looked up in /proc/locks, so a firing
/// cannot slip in between the look and the write; a firing in that moment logs `skip`.
fn hold_moving_locks(
    existing: &[cron_line::Entry],
    entries: &[cron_line::Entry],
) -> Result<Vec<nix::fcntl::Flock<std::fs::File>>> {
    let mut held = Vec::new();
    for entry in entries {
        let Some(old) = existing
            .iter()
            .find(|e| e.marker.id == entry.marker.id && e.marker.lock != entry.marker.lock)
        else {
            continue;
        };
        let running = |pid: Option<u32>| {
            bad_input(format!(
                "job {:?} is running{} and holds its lock {}: changing its log would move the                  lock to {}, and cron would start the next run beside this one; wait until it                  ends (`crontainer status`), or stop it, then install again; nothing was changed",
                entry.marker.id,
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                old.marker.lock.display(),
                entry.marker.lock.display()
            ))
        };
        match std::fs::File::open(&old.marker.lock) {
            Ok(file) => {
                match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
                    Ok(lock) => held.push(lock),
                    Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                        return Err(running(host::lock_holder(&old.marker.lock)));
                    }
                    Err((_, e)) => {
                        return Err(anyhow::anyhow!(
                            "cannot lock {}: {e}",
                            old.marker.lock.display()
                        ));
                    }
                }
            }
            // Never ran: nothing to move under.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Not ours to take (another user's job): look it up instead.
            Err(_) => {
                if let Some(pid) = host::lock_holder(&old.marker.lock) {
                    return Err(running(Some(pid)));
                }
            }
        }
    }
    Ok(held)
}

pub fn run(args: &InstallArgs) -> Result<ExitCode> {
    let config = config::load_located(args.config.config.as_deref())?;
    let (kind, user) = commands::target_settings(Some(&config), &args.target);
    if kind == TargetKind::CronD
        && !host::is_root()
        && std::env::var_os(cron_table::ENV_CROND_DIR).is_none()
    {
        return Err(bad_input(
            "writing /etc/cron.d needs root: run with sudo, or use `--target crontab` for your \
             own crontab",
        ));
    }
    let cron_table::Resolved { target, run_as } =
        Target::resolve(kind, user.as_deref(), &config.name)?;
    let tools = runtime::require_tools(&config.runtime, config.pings())?;
    commands::require_root_controlled(&config, &tools)?;
    let entries = commands::render_entries(&config, &tools, &target, &run_as)?;
    let run_as_user = nix::unistd::User::from_name(&run_as)
        .ok()
        .flatten()
        .with_context(|| format!("user {run_as:?} does not exist on this host"))?;
    // Every job's files are judged before anything is created, so a refusal changes nothing.
    // What they ask of the kernel as the job's user is asked at once, by one child process.
    host::prefetch_access(&run_as_user, &commands::log_checks(&config.jobs))?;
    let mut log_plans = Vec::new();
    for job in &config.jobs {
        log_plans.push(commands::check_log(&job.id, &job.log, &run_as_user)?);
        if let Some(env_file) = &job.env_file {
            commands::check_env_file(&job.id, env_file, &run_as_user)?;
        }
    }
    commands::check_textfile(&config, &run_as_user)?;
    let (textfile, textfile_warnings) =
        commands::textfile_line(&config, kind, &run_as, &target, &tools)?;

    let _lock = target.lock()?;
    let old = target.read()?;
    // Refuse a hand-edited block rather than silently replacing someone's lines.
    let mut existing = Vec::new();
    for block in commands::parse_blocks(&old, Some(&config.name), target.with_user_column())? {
        existing.extend(block?.1);
    }
    // A paused job stays paused, with its new line. A job whose line is unchanged keeps the
    // time it was installed (so `status` judges missed firings from it); a new or changed line
    // is installed now.
    let installed_at = commands::now()?
        .timestamp()
        .strftime(crate::run_log::TIMESTAMP_FORMAT)
        .to_string();
    let mut notes = Vec::new();
    let entries: Vec<_> = entries
        .into_iter()
        .map(|mut entry| {
            let installed = existing.iter().find(|e| e.marker.id == entry.marker.id);
            entry.marker.installed = Some(
                installed
                    .filter(|e| e.as_rendered() == entry)
                    .and_then(|e| e.marker.installed.clone())
                    .unwrap_or_else(|| installed_at.clone()),
            );
            match installed.and_then(|e| e.marker.paused.clone()) {
                Some(paused) => {
                    let id = &entry.marker.id;
                    notes.push(format!(
                        "job {id:?} stays paused (since {} by {}): `crontainer resume {id}` lets \
                         it fire",
                        paused.at, paused.by
                    ));
                    entry.with_paused(Some(paused))
                }
                None => entry,
            }
        })
        .collect();
    // Held until the new lines are written, so no run starts under a lock that is moving.
    let _moving = hold_moving_locks(&existing, &entries)?;
    let body = cron_line::render_body_with(&entries, textfile.as_ref());
    let new = block::upsert(&old, &config.name, &body)?;
    // An environment assignment above the block (`SHELL=/usr/bin/fish`) would apply to its lines
    // too: the block goes above the first one, and the user's lines keep theirs.
    let above = block::assignments_above(&new, &config.name)?;
    let new = block::place_above_assignments(&new, &config.name)?;
    if let Some((line, text)) = above.first() {
        notes.push(format!(
            "block `{}` now sits above `{text}` (line {line}), so cron runs its lines with its \
             own environment (/bin/sh, its PATH) while your lines below keep the settings above \
             them",
            config.name
        ));
    }
    let changed = new != old;

    let mut warnings = commands::env_warnings(&config, kind, &target);
    warnings.extend(textfile_warnings);
    warnings.extend(commands::healthcheck_warnings(&config, kind, &target));
    for (job, plan) in config.jobs.iter().zip(&log_plans) {
        if args.dry_run {
            if plan.missing_dir {
                warnings.push(format!(
                    "would create the log directory {}",
                    job.log.parent().unwrap_or(Path::new("/")).display()
                ));
            }
        } else {
            create_log(&job.log, plan, &run_as_user)
                .with_context(|| format!("job {:?}", job.id))?;
        }
    }
    warnings.extend(runtime::access_warning(
        &tools.runtime,
        &config.runtime_env,
        &run_as_user,
    ));
    let refs: Vec<&ContainerRef> = config.jobs.iter().map(|j| &j.container).collect();
    for (job, (name, state)) in config.jobs.iter().zip(runtime::resolve_containers(
        &tools.runtime,
        &config.runtime_env,
        &refs,
    )) {
        match state {
            ContainerState::Running => {}
            ContainerState::Unresolved(why) => {
                warnings.push(format!("job {:?}: right now, {name} {why}", job.id));
            }
            state => warnings.push(format!(
                "job {:?}: container {name:?} is {state} now; the job will fail until it runs",
                job.id
            )),
        }
    }

    let label = target.describe();
    let applied = commands::apply(&target, &old, &new, args.dry_run, args.json)?;
    let mut rotation = None;
    if logrotate::enabled() {
        if !args.dry_run {
            let logs: Vec<_> = config.jobs.iter().map(|j| j.log.clone()).collect();
            rotation = logrotate::sync(&config.name, &logs, &config.rotate)?;
        }
    } else if changed {
        notes.push(format!(
            "logs are not rotated (that needs root): add them to a logrotate config of your own \
             with `copytruncate`, or run `logrotate -s ~/.logrotate.state FILE` from your crontab; \
             e.g.\n{}",
            logrotate::render(
                &config.name,
                &config
                    .jobs
                    .iter()
                    .map(|j| j.log.clone())
                    .collect::<Vec<_>>(),
                &config.rotate
            )
        ));
    }
    let changed = changed || rotation.is_some();

    if args.json {
        ui::print_json(&applied.report(
            changed,
            args.dry_run,
            json!({
                "target": kind,
                "where": label,
                "run_as": run_as,
                "block": config.name,
                "jobs": config.jobs.iter().map(|j| &j.id).collect::<Vec<_>>(),
                "logrotate": rotation,
                "warnings": warnings,
                "notes": notes,
            }),
        ));
        return Ok(ExitCode::Success);
    }
    for warning in &warnings {
        ui::warn(warning);
    }
    for note in &notes {
        ui::say(note);
    }
    let count = format!(
        "{} job{}",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" }
    );
    if !changed {
        ui::say(&format!(
            "{label} is up to date: block `{}` with {count}; nothing changed.",
            config.name
        ));
    } else if args.dry_run {
        ui::say(&applied.diff);
        ui::say(&format!(
            "dry run: {label} would get block `{}` with {count}; nothing was written.",
            config.name
        ));
    } else {
        ui::say(&applied.diff);
        ui::say(&format!(
            "installed block `{}` with {count} into {label}, running as {run_as}.",
            config.name
        ));
        applied.say_backup();
        if let Some(path) = &rotation {
            ui::say(&format!("log rotation: {}", path.display()));
        }
    }
    Ok(ExitCode::Success)
}

/// Creates what `commands::check_log` found missing: the log's directory (the job's user's
/// when it lies under a directory that user may write, so the line can create its lock again),
/// and the log (0640) and lock (0600) files, owned by the job's user.
fn create_log(log: &Path, plan: &commands::LogPlan, user: &nix::unistd::User) -> Result<()> {
    let dir = log.parent().unwrap_or(Path::new("/"));
    if plan.missing_dir {
        let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .with_context(|| format!("could not create the log directory {}", dir.display()))?;
        if plan.dirs_for_user && host::is_root() {
            for created in missing {
                nix::unistd::chown(created, Some(user.uid), Some(user.gid)).with_context(|| {
                    format!("could not give {} to {}", created.display(), user.name)
                })?;
            }
        }
    }
    for (path, mode) in [(log.to_path_buf(), 0o640), (config::lock_path(log), 0o600)] {
        if path.exists() {
            continue;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(mode)
            .open(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
        if host::is_root() && !user.uid.is_root() {
            std::os::unix::fs::fchown(&file, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .with_context(|| format!("could not give {} to {}", path.display(), user.name))?;
        }
    }
    Ok(())
}
