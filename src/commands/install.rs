//! `crontainer install`: writes the config's block into the target, idempotently, under the
//! target's lock, with a diff, a backup and the checks that would otherwise fail at 3 a.m.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::block;
use crate::cli::InstallArgs;
use crate::commands;
use crate::commands::job_status::textfile;
use crate::config::ContainerRef;
use crate::config::{self, TargetKind};
use crate::cron_table::{self, Target};
use crate::error::{ExitCode, bad_input};
use crate::host;
use crate::line;
use crate::logrotate;
use crate::runtime::{self, ContainerState};
use crate::ui;

/// The old locks of jobs whose lock moves (their `log` changed), each taken without waiting. A
/// run holding one goes on under it after the install, and cron would start the next run under
/// the new lock beside it, two copies at once: so a job that is running refuses the move
/// (nothing changed) until it ends. Taken rather than looked up in /proc/locks, so a firing
/// cannot slip in between the look and the write; a firing in that moment logs `skip`.
fn hold_moving_locks(
    existing: &[line::Entry],
    entries: &[line::Entry],
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
                "job {:?} is running{} and holds its lock {}: changing its log would move the \
                 lock to {}, and cron would start the next run beside this one; wait until it \
                 ends (`crontainer status`), or stop it, then install again; nothing was changed",
                entry.marker.id,
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                old.marker.lock.display(),
                entry.marker.lock.display()
            ))
        };
        // The old lock's path is in the installed block (a user's own crontab, perhaps): a
        // regular file only, opened without waiting and, as root, without following a symlink.
        match crate::safe_file::open_regular(&old.marker.lock) {
            Ok(Some(file)) => {
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
            Ok(None) => {}
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

/// Pins each Compose service without a `project` to the one project that runs it now, so a
/// second project starting the same service later cannot take its firings (the runner would
/// refuse to pick one); two projects running it now are refused (the config must say which).
/// When none runs it, the job stays unpinned and install warns (below) that it has no running
/// container. The notes say what was pinned.
fn pin_projects(config: &mut config::Config, tools: &crate::line::Tools) -> Result<Vec<String>> {
    let unpinned =
        |job: &config::Job| matches!(job.container, ContainerRef::Service { project: None, .. });
    if !config.jobs.iter().any(unpinned) {
        return Ok(Vec::new());
    }
    let Ok(listed) = runtime::running_service_containers(&tools.runtime, &config.runtime_env)
    else {
        // The runtime does not answer: install says so with the containers' states.
        return Ok(Vec::new());
    };
    let mut notes = Vec::new();
    for job in config.jobs.iter_mut() {
        let ContainerRef::Service { service, project } = &mut job.container else {
            continue;
        };
        if project.is_some() {
            continue;
        }
        let mut projects: Vec<&str> = Vec::new();
        for c in listed.iter().filter(|c| &c.service == service) {
            if !projects.contains(&c.project.as_str()) {
                projects.push(&c.project);
            }
        }
        match projects.as_slice() {
            [] => {}
            [one] => {
                notes.push(format!(
                    "job {:?}: service {service} runs in Compose project {one}: pinned to it \
                     (set `project` in the config to choose another)",
                    job.id
                ));
                *project = Some(one.to_string());
            }
            several => {
                return Err(bad_input(format!(
                    "{}:{}: job {:?}: service {service} runs in several Compose projects ({}): \
                     set `project` to the one the job is for; nothing was changed",
                    config.path.display(),
                    job.line,
                    job.id,
                    several.join(", ")
                )));
            }
        }
    }
    Ok(notes)
}

pub(crate) fn run(args: &InstallArgs) -> Result<ExitCode> {
    let mut config = commands::trust::load_required_config(args.config.config.as_deref())?;
    let (kind, user) = commands::installed::target_settings(Some(&config), &args.target);
    // The keys that depend on the target are checked for the one `--target` chose.
    config = config.with_target(kind)?;
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
        Target::resolve(kind, user.as_ref(), &config.name)?;
    let tools = runtime::require_tools(&config.runtime)?;
    let pinned = pin_projects(&mut config, &tools)?;
    commands::trust::require_root_controlled(&config, &tools)?;
    let entries = commands::change::render::render_entries(&config, &tools, &target, &run_as)?;
    let run_as_user = nix::unistd::User::from_name(&run_as)
        .ok()
        .flatten()
        .with_context(|| format!("user {run_as:?} does not exist on this host"))?;
    // Every job's files are judged before anything is created, so a refusal changes nothing.
    // What they ask of the kernel as the job's user is asked at once, by one child process.
    host::prefetch_access(
        &run_as_user,
        &commands::trust::files::log_checks(&config.jobs),
    )?;
    let mut log_plans = Vec::new();
    for job in &config.jobs {
        log_plans.push(commands::trust::files::check_log(
            &job.id,
            &job.log,
            &run_as_user,
        )?);
        if let Some(env_file) = &job.env_file {
            commands::trust::files::check_env_file(&job.id, env_file, &run_as_user)?;
        }
    }
    commands::trust::files::check_textfile(&config, &run_as_user)?;
    let (textfile, textfile_warnings) =
        commands::change::render::textfile_line(&config, kind, &run_as, &target, &tools)?;

    // Taken before every block on the host is read, so the destination, one of them, is read
    // once (`Target::read` remembers it under the lock) and cannot change before the write.
    let lock = target.lock()?;
    let others = Others::read(&target, &config.name, args.replace.as_deref())?;
    let mut warnings = others.refuse_shared_files(&target, &config.name, &entries)?;
    warnings.extend(others.same_ids(&target, &config.name, &entries));
    if let crate::cron_table::Target::Systemd(units) = &target
        && let (Some(user), Some(false)) = (units.user(), units.lingering())
    {
        // Issue #23: without lingering, a user's manager, and their timers, stop at logout.
        warnings.push(format!(
            "lingering is off for {user}: these timers stop when {user}'s last session ends; \
             `sudo loginctl enable-linger {user}` keeps them firing"
        ));
    }
    for damaged in &others.damaged {
        warnings.push(format!(
            "could not check that no job of {damaged} shares a log with this config's: it cannot \
             be read"
        ));
    }

    let old = target.read()?;
    // Refuse a hand-edited block rather than silently replacing someone's lines.
    let mut existing = Vec::new();
    for block in
        commands::installed::parse_blocks(&old, Some(&config.name), target.with_user_column())?
    {
        existing.extend(block?.1);
    }
    // A paused job stays paused, with its new line. A job whose line is unchanged keeps the
    // time it was installed (so `status` judges missed firings from it); a new or changed line
    // is installed now.
    let installed_at = commands::now()?
        .timestamp()
        .strftime(crate::run_log::TIMESTAMP_FORMAT)
        .to_string();
    let mut notes = pinned;
    let entries: Vec<_> = entries
        .into_iter()
        .map(|entry| {
            let installed = existing.iter().find(|e| e.marker.id == entry.marker.id);
            // A 0.1/0.2 line upgraded to its runner line is the same job, installed when it was;
            // so is a 0.3 line that gains its `--block`.
            let same = |e: &&line::Entry| {
                let e = e.as_rendered();
                e == entry
                    || (e.block().is_none() && e == entry.with_block(None))
                    || (e.is_legacy() && e.marker == entry.marker)
            };
            let entry = entry.with_installed(Some(
                installed
                    .filter(same)
                    .and_then(|e| e.marker.installed.clone())
                    .unwrap_or_else(|| installed_at.clone()),
            ));
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
    let body = line::render_body_with(&entries, textfile.as_ref());
    // A block replaced in this same target goes in the same write.
    let mut new = old.clone();
    if let Some(replaced) = others.replaced.as_ref().filter(|r| r.same_target) {
        new = block::remove(&new, &replaced.block)?.unwrap_or(new);
    }
    let new = block::upsert(&new, &config.name, &body)?;
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

    warnings.extend(commands::change::render::env_warnings(
        &config, kind, &target,
    ));
    warnings.extend(textfile_warnings);
    warnings.extend(commands::change::render::binary_warnings(
        &tools,
        textfile.as_ref(),
    ));
    warnings.extend(commands::change::render::healthcheck_warnings(
        &config, kind, &target,
    ));
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
            ContainerState::Unknown(why) => warnings.push(format!(
                "job {:?}: cannot tell whether container {name:?} runs, as {} did not answer \
                 ({why}); the job will fail while it does not",
                job.id,
                tools.runtime.display()
            )),
            state => warnings.push(format!(
                "job {:?}: container {name:?} is {state} now; the job will fail until it runs",
                job.id
            )),
        }
    }

    let label = target.describe();
    let applied = commands::change::apply(&target, &old, &new, args.dry_run, args.json)?;
    // A metrics line that went, or moved to another directory: the file it wrote would stay,
    // exported and stale.
    let had = block::find(&old, &config.name)?
        .and_then(|body| crate::line::parse_textfile(&body, target.with_user_column()));
    if let Some(had) = had.filter(|h| textfile.as_ref().is_none_or(|t| t.dir != h.dir))
        && !args.dry_run
    {
        let name = textfile::file_name(kind, &run_as, &config.name);
        if textfile::remove(&had.dir, &name)? {
            notes.push(format!(
                "removed {}: the block's metrics line no longer writes there",
                had.dir.join(&name).display()
            ));
        }
    }
    let owner = logrotate::Owner {
        kind,
        user: run_as.clone(),
        block: config.name.to_string(),
    };
    let logs: Vec<_> = config.jobs.iter().map(|j| j.log.clone()).collect();
    let mut rotation = Vec::new();
    if logrotate::enabled() {
        // The logs the block had before, so the 0.1 file that rotated them is known as ours.
        let mut known = logs.clone();
        known.extend(existing.iter().map(|e| e.marker.log.clone()));
        rotation = logrotate::sync(&owner, &logs, &known, &config.rotate, args.dry_run)?;
    } else if changed {
        notes.push(logrotate::advice_without_root(
            &owner,
            &target,
            &logs,
            &config.rotate,
        ));
    }
    // The replaced block's target has a lock of its own; never hold two at once.
    drop(lock);
    let replaced = match &others.replaced {
        Some(replaced) => Some(replaced.remove(
            args.dry_run,
            args.json,
            &mut rotation,
            &mut notes,
            &mut warnings,
        )?),
        None => None,
    };
    let changed = changed || !rotation.is_empty() || replaced.is_some();

    if args.json {
        ui::print_document(&applied.report(
            changed,
            args.dry_run,
            InstallDocument {
                target: kind,
                r#where: &label,
                run_as: &run_as,
                block: &config.name,
                jobs: config.jobs.iter().map(|j| j.id.as_str()).collect(),
                logrotate: &rotation,
                replaced: replaced.as_deref(),
                warnings: &warnings,
                notes: &notes,
            },
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
        for change in &rotation {
            ui::say(&format!(
                "would {} {}",
                change.action,
                change.path.display()
            ));
        }
        if let Some(replaced) = &replaced {
            ui::say(&format!("would replace {replaced}"));
        }
        ui::say(&format!(
            "dry run: {label} would get block `{}` with {count}; nothing was written.",
            config.name
        ));
    } else {
        ui::say(&applied.diff);
        if let Some(replaced) = &replaced {
            ui::say(&format!("replaced {replaced}"));
        }
        ui::say(&format!(
            "installed block `{}` with {count} into {label}, running as {run_as}.",
            config.name
        ));
        applied.say_backup();
        for change in &rotation {
            let verb = if change.action == "remove" {
                "removed"
            } else {
                "log rotation:"
            };
            ui::say(&format!("{verb} {}", change.path.display()));
        }
    }
    Ok(ExitCode::Success)
}

/// Creates what `trust::files::check_log` found missing: the log's directory (the job's user's
/// when it lies under a directory that user may write, so the line can create its lock again),
/// and the log (0640) and lock (0600) files, owned by the job's user.
///
/// Issue 26: root followed a dangling symlink the user had put at the log's name and created
/// its target (in /etc/profile.d) for them. So nothing is ever opened here: a name that exists
/// (a file, or a symlink, dangling or not) is left as it is; a new file is created `O_EXCL`;
/// and where the job's user may write the directory (and so swap it, or a name in it, at any
/// moment), what is made there is made by a process that has become that user, so it can land
/// only where they could write anyway. Root chowns only a file it has just created, by its
/// descriptor.
fn create_log(
    log: &Path,
    plan: &commands::trust::files::LogPlan,
    user: &nix::unistd::User,
) -> Result<()> {
    use crate::safe_file::{self, Make};
    let dir = log.parent().unwrap_or(Path::new("/"));
    let for_other = host::is_root() && !user.uid.is_root();
    let as_user = || -> Result<safe_file::AsUser> { Ok(safe_file::AsUser::of(user)?) };
    if plan.missing_dir {
        if plan.dirs_for_user && for_other {
            let me = as_user()?;
            let missing: Vec<&Path> = dir
                .ancestors()
                .take_while(|d| std::fs::symlink_metadata(d).is_err())
                .collect();
            for created in missing.into_iter().rev() {
                safe_file::create_as(&me, created, Make::Dir, 0o755).with_context(|| {
                    format!("could not create {} as {}", created.display(), user.name)
                })?;
            }
        } else {
            // Under a directory no user but root (or ours) may write: nothing to swap.
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(dir)
                .with_context(|| format!("could not create the log directory {}", dir.display()))?;
        }
    }
    let by_user = for_other && host::denied_as(user, dir, host::Need::Write)?.is_none();
    for (path, mode) in [(log.to_path_buf(), 0o640), (config::lock_path(log), 0o600)] {
        if by_user {
            safe_file::create_as(&as_user()?, &path, Make::File, mode)
                .with_context(|| format!("could not create {} as {}", path.display(), user.name))?;
            continue;
        }
        match safe_file::create_new(&path, mode) {
            Ok(file) => {
                if for_other {
                    std::os::unix::fs::fchown(
                        &file,
                        Some(user.uid.as_raw()),
                        Some(user.gid.as_raw()),
                    )
                    .with_context(|| {
                        format!("could not give {} to {}", path.display(), user.name)
                    })?;
                }
            }
            // There already: left as it is, never opened nor followed.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e).with_context(|| format!("could not create {}", path.display()));
            }
        }
    }
    Ok(())
}

/// The blocks installed elsewhere on the host, which the config's jobs must not step on.
struct Others {
    /// Every readable block but the one being installed (and the one it replaces).
    installed: Vec<commands::installed::Installed>,
    /// The target being written, in words.
    destination: String,
    replaced: Option<Replaced>,
    /// The blocks of the destination that could not be read, in words.
    damaged: Vec<String>,
}

/// The block `--replace OLD` removes, and where.
struct Replaced {
    target: Target,
    run_as: String,
    block: String,
    /// In the target being installed into: removed in the same write.
    same_target: bool,
    logs: Vec<std::path::PathBuf>,
    /// Its metrics line, whose file goes with it.
    textfile: Option<crate::line::Textfile>,
}

impl Others {
    /// Every block crontainer can read, but block `name` of `target` (the one being written).
    /// `replace`: the block this install replaces, which must be exactly one other block.
    fn read(target: &Target, name: &str, replace: Option<&str>) -> Result<Others> {
        let mut installed = commands::installed::everything_readable();
        for i in &mut installed {
            if i.target.same_as(target) {
                i.entries.retain(|(block, _)| block != name);
            }
        }
        let mut found = None;
        if let Some(old) = replace {
            let places: Vec<&commands::installed::Installed> = installed
                .iter()
                .filter(|i| i.entries.iter().any(|(b, _)| b == old))
                .collect();
            match places.as_slice() {
                [] => {
                    return Err(bad_input(format!(
                        "--replace {old}: no other block `{old}` is installed where crontainer \
                         can read (every crontab{} and {}); nothing changed",
                        if host::is_root() { "" } else { " of yours" },
                        cron_table::cron_d_dir().display()
                    )));
                }
                [one] => {
                    found = Some(Replaced {
                        target: one.target.clone(),
                        run_as: one.run_as.clone(),
                        block: old.to_string(),
                        same_target: one.target.same_as(target),
                        logs: one
                            .entries
                            .iter()
                            .filter(|(b, _)| b == old)
                            .map(|(_, e)| e.marker.log.clone())
                            .collect(),
                        textfile: one
                            .textfiles
                            .iter()
                            .find(|(b, _)| b == old)
                            .map(|(_, t)| t.clone()),
                    });
                }
                several => {
                    return Err(bad_input(format!(
                        "--replace {old}: block `{old}` is installed in {}; remove the one this \
                         config does not replace first ({}); nothing changed",
                        several
                            .iter()
                            .map(|i| i.target.describe())
                            .collect::<Vec<_>>()
                            .join(" and "),
                        several
                            .iter()
                            .map(|i| format!(
                                "`{}`",
                                commands::installed::lookup::uninstall_command(&i.target, old)
                            ))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )));
                }
            }
            for i in &mut installed {
                if found.as_ref().is_some_and(|r| i.target.same_as(&r.target)) {
                    i.entries.retain(|(block, _)| block != old);
                }
            }
        }
        // Only this target's: a damaged file elsewhere in cron.d (someone else's, being edited)
        // must not make every install noisy.
        let damaged = installed
            .iter()
            .filter(|i| i.target.same_as(target))
            .flat_map(|i| i.damaged.iter().map(|d| d.describe(&i.target)))
            .collect();
        Ok(Others {
            installed,
            destination: target.describe(),
            replaced: found,
            damaged,
        })
    }

    /// The way out named in every message about another block.
    fn way_out(&self, other: &commands::installed::Installed, block: &str) -> String {
        format!(
            "if this config replaces block `{block}` (renamed, or moved from {}), run `crontainer \
             install --replace {block}`; otherwise remove it (`{}`)",
            other.target.describe(),
            commands::installed::lookup::uninstall_command(&other.target, block)
        )
    }

    /// Refuses (exit 2, before anything changes) a job whose log or lock another installed job
    /// uses: both would take one lock and one of them would skip every run. Into a target only
    /// root may write, a user's own block never stops the install (issue 26: a block written by
    /// hand into a user's crontab, claiming root's log, made root's install refuse): root's
    /// blocks win, and the user's claim is a warning about their block.
    fn refuse_shared_files(
        &self,
        target: &Target,
        name: &str,
        entries: &[line::Entry],
    ) -> Result<Vec<String>> {
        let roots = commands::trust::written_by(target).is_none();
        let mut clashes = Vec::new();
        let mut warnings = Vec::new();
        for entry in entries {
            for other in &self.installed {
                let theirs_by = commands::trust::written_by(&other.target).filter(|_| roots);
                for (block, theirs) in &other.entries {
                    if let Some(file) = commands::installed::lookup::shared_file(entry, theirs) {
                        if let Some(user) = &theirs_by {
                            warnings.push(format!(
                                "job {:?} of block `{block}` in {} names {} too, which job {:?} \
                                 of this root-owned block uses: {user}'s block does not get it \
                                 (its runs will skip or fail while this job holds the lock); \
                                 remove it from {user}'s crontab (`{}`)",
                                theirs.marker.id,
                                other.target.describe(),
                                file.display(),
                                entry.marker.id,
                                commands::installed::lookup::uninstall_command(
                                    &other.target,
                                    block
                                )
                            ));
                            continue;
                        }
                        clashes.push(format!(
                            "job {:?}: {} is already used by job {:?} of block `{block}` in {}, \
                             so the two would share one lock and one of them would skip every \
                             run; {}, or give the job another `log`",
                            entry.marker.id,
                            file.display(),
                            theirs.marker.id,
                            other.target.describe(),
                            self.way_out(other, block)
                        ));
                    }
                }
            }
        }
        if clashes.is_empty() {
            return Ok(warnings);
        }
        Err(bad_input(format!(
            "refusing to install block `{name}` into {}: {}; nothing changed",
            self.destination,
            clashes.join("; ")
        )))
    }

    /// Warnings for the jobs a likely copy of this block holds under the same id: a copy left
    /// behind by a rename or a move to another target goes on firing.
    fn same_ids(&self, target: &Target, name: &str, entries: &[line::Entry]) -> Vec<String> {
        let mut warnings = Vec::new();
        for other in &self.installed {
            let mut blocks: Vec<&str> = Vec::new();
            for (block, theirs) in &other.entries {
                // A likely copy by its place (the same crontab, the same block name), or a
                // copy by its work wherever it is (a rename into a new cron.d file).
                let copied = |e: &line::Entry| {
                    e.marker.id == theirs.marker.id
                        && (commands::installed::lookup::likely_copy(
                            target,
                            name,
                            &other.target,
                            block,
                        ) || commands::installed::lookup::is_copy(
                            (target, name, e),
                            (&other.target, block, theirs),
                        ))
                };
                if entries.iter().any(copied) && !blocks.contains(&block.as_str()) {
                    blocks.push(block);
                }
            }
            for block in blocks {
                let ids: Vec<&str> = other
                    .entries
                    .iter()
                    .filter(|(b, e)| {
                        b == block && entries.iter().any(|n| n.marker.id == e.marker.id)
                    })
                    .map(|(_, e)| e.marker.id.as_str())
                    .collect();
                warnings.push(format!(
                    "block `{block}` in {} also has job(s) {} that block `{name}` installs, and \
                     both will fire; {}; commands without a config then need `{name}/JOB` or \
                     --name to tell them apart",
                    other.target.describe(),
                    ids.join(", "),
                    self.way_out(other, block)
                ));
            }
        }
        warnings
    }
}

impl Replaced {
    /// Removes the replaced block (already done when it sat in the same target), its rotation
    /// file and its metrics file (a note says so); where it was, in words, with the diff of its
    /// target when that is another.
    fn remove(
        &self,
        dry_run: bool,
        json: bool,
        rotation: &mut Vec<logrotate::Change>,
        notes: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<String> {
        let mut diff = String::new();
        if !self.same_target {
            let _lock = self.target.lock()?;
            let old = self.target.read()?;
            let new = block::remove(&old, &self.block)?.unwrap_or_else(|| old.clone());
            diff = commands::change::apply(&self.target, &old, &new, dry_run, json)?.diff;
        }
        if logrotate::enabled() {
            let owner = logrotate::Owner {
                kind: self.target.kind(),
                user: self.run_as.clone(),
                block: self.block.clone(),
            };
            rotation.extend(logrotate::sync(
                &owner,
                &[],
                &self.logs,
                &Default::default(),
                dry_run,
            )?);
        }
        if let Some(file) = self.textfile.as_ref().filter(|_| !dry_run) {
            // Left behind, node_exporter would go on exporting the replaced block's jobs, stale.
            match textfile::remove_installed(&self.target, &self.run_as, &self.block, file) {
                Ok(Some(path)) => notes.push(format!(
                    "removed {}: the metrics file of the replaced block `{}`",
                    path.display(),
                    self.block
                )),
                Ok(None) => {}
                Err(e) => warnings.push(format!("metrics: {e:#}")),
            }
        }
        Ok(format!(
            "block `{}` in {}{}",
            self.block,
            self.target.describe(),
            if diff.is_empty() || json {
                String::new()
            } else {
                format!(":\n{}", diff.trim_end())
            }
        ))
    }
}

/// `install --json`: what was installed where, beside `ChangeReport`'s fields.
#[derive(serde::Serialize)]
struct InstallDocument<'a> {
    target: TargetKind,
    r#where: &'a str,
    /// The user the jobs run as.
    run_as: &'a str,
    block: &'a str,
    /// The ids of the block's jobs, in the config's order.
    jobs: Vec<&'a str>,
    logrotate: &'a [logrotate::Change],
    /// What `--replace` removed, in words.
    replaced: Option<&'a str>,
    warnings: &'a [String],
    notes: &'a [String],
}
