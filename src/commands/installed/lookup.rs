//! The job a user names (`JOB` or `BLOCK/JOB`) among what is installed, and the same job
//! elsewhere: a copy a rename left firing, or a log two jobs would share.

use anyhow::Result;

use super::{Installed, Scope, scope};
use crate::cli::ScopeArgs;
use crate::commands::trust;
use crate::config::JobSpec;
use crate::cron_table::Target;
use crate::error::bad_input;
use crate::line::{self, Entry};
use crate::runtime;

/// The job to act on: its installed entry, or one rendered from the config with a notice.
pub(crate) struct Found {
    pub(crate) entry: Entry,
    /// The user the job runs as.
    pub(crate) run_as: String,
    pub(crate) with_user_column: bool,
    pub(crate) installed: bool,
    /// The user other than root who may write the block it sits in (`trust::written_by`).
    pub(crate) written_by: Option<String>,
}

/// A job as the user names it: `JOB`, or `BLOCK/JOB` for the one in block BLOCK. The block
/// (from the spec, else `--name`) and the id.
pub(crate) fn split_job<'a>(
    spec: &'a JobSpec,
    name: Option<&'a str>,
) -> Result<(Option<&'a str>, &'a str)> {
    match &spec.block {
        None => Ok((name, &spec.id)),
        Some(block) => {
            if let Some(name) = name.filter(|n| *n != &**block) {
                return Err(bad_input(format!(
                    "{spec:?} names block `{block}`, but --name says `{name}`"
                )));
            }
            Ok((Some(block), &spec.id))
        }
    }
}

/// For the commands that take an optional job (`status`, `history`): the block to look in (the
/// spec's, else `--name`) and the one job to show, if any.
pub(crate) fn block_and_job(
    spec: Option<&JobSpec>,
    name: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    Ok(match spec {
        Some(spec) => {
            let (name, id) = split_job(spec, name)?;
            (name.map(str::to_string), Some(id.to_string()))
        }
        None => (name.map(str::to_string), None),
    })
}

/// The one installed job `id` in `scope`: None when no block has it, an error (exit 2) listing
/// them when several do, so a command never picks one silently.
pub(crate) fn locate<'a>(
    scope: &'a Scope,
    id: &str,
) -> Result<Option<(&'a Installed, &'a str, &'a Entry)>> {
    let found: Vec<_> = scope
        .entries()
        .filter(|(_, _, e)| e.marker.id == id)
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => Err(bad_input(format!(
            "job {id:?} is installed in {} blocks: {}; name one as BLOCK/JOB (or with --name \
             BLOCK)",
            several.len(),
            several
                .iter()
                .map(|(i, b, _)| format!("`{b}/{id}` in {}", i.target.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Finds the job `spec` (`JOB` or `BLOCK/JOB`) in what is installed, falling back to the config.
pub(crate) fn find_job(spec: &JobSpec, args: &ScopeArgs) -> Result<Found> {
    let config = trust::load_config(args.config.config.as_deref())?;
    let (name, id) = split_job(spec, args.name.as_deref())?;
    let scope = scope(config.as_ref(), &args.target, name, false)?;
    if let Some((installed, _, entry)) = locate(&scope, id)? {
        let with_user_column = installed.target.with_user_column();
        let run_as = line::parse_line(entry.active_line(), with_user_column)
            .and_then(|p| p.user)
            .unwrap_or_else(|| installed.run_as.clone());
        return Ok(Found {
            entry: entry.clone(),
            run_as,
            with_user_column,
            installed: true,
            written_by: trust::written_by(&installed.target),
        });
    }
    let damaged = scope.damaged();
    match config.as_ref().and_then(|c| c.job(id).map(|j| (c, j))) {
        Some((config, job)) if damaged.is_empty() => {
            let tools = runtime::require_tools(&config.runtime)?;
            let entry = line::render_job(job, &tools, None, &config.name)?;
            Ok(Found {
                entry,
                run_as: scope
                    .installed
                    .first()
                    .map(|i| i.run_as.clone())
                    .unwrap_or_else(crate::host::current_user),
                with_user_column: false,
                installed: false,
                written_by: None,
            })
        }
        _ => {
            let ids: Vec<&str> = scope
                .entries()
                .map(|(_, _, e)| e.marker.id.as_str())
                .collect();
            let mut message = format!(
                "job {id:?} is not installed in {}{} and not in a config; installed: {}",
                scope.label,
                name.map(|n| format!(" (block `{n}`)")).unwrap_or_default(),
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            );
            // The job may sit in a block that cannot be read: say so rather than "not there".
            for damaged in damaged {
                message.push_str(&format!("; and it cannot read {damaged}"));
            }
            Err(bad_input(message))
        }
    }
}

/// The file two installed jobs would share (a log or a lock, as either): they would take one
/// lock, so one of them skips every run, and write one log, so `status` mixes their runs.
pub(crate) fn shared_file(a: &Entry, b: &Entry) -> Option<std::path::PathBuf> {
    [&a.marker.log, &a.marker.lock].into_iter().find_map(|x| {
        [&b.marker.log, &b.marker.lock]
            .into_iter()
            .any(|y| x == y)
            .then(|| x.clone())
    })
}

/// Whether block `other_block` in `other` looks like a copy of block `name` in `target` when
/// they hold the same job id: a rename in the same crontab, or the same block in another target
/// (crontab to cron.d, another user). Another config in another cron.d file that happens to use
/// the id is not one: `BLOCK/JOB` tells them apart, and a shared log is refused anyway.
pub(crate) fn likely_copy(target: &Target, name: &str, other: &Target, other_block: &str) -> bool {
    other_block == name || other.same_as(target)
}

/// Whether two installed jobs do the same work: the same id, container and line but for the
/// log (and the lock beside it) and the schedule. A block renamed with a new `log_dir` and left
/// beside its copy fires both; two configs that merely share a job id (another command, another
/// container) are no copies (issue 25).
/// `a_user` and `b_user`: whether each one's line has a user column (cron.d).
pub(crate) fn same_work(a: &Entry, a_user: bool, b: &Entry, b_user: bool) -> bool {
    let work = |e: &Entry, with_user: bool| {
        // The block a line names (`--block`) says where it stands, not what it does.
        let e = &e.with_block(None);
        crate::line::parse_line(e.active_line(), with_user)
            .map(|p| p.body().replace(&e.marker.log.display().to_string(), "LOG"))
    };
    let a_work = work(a, a_user);
    a.marker.id == b.marker.id
        && a.marker.container == b.marker.container
        && a_work.is_some()
        && a_work == work(b, b_user)
}

/// Whether job `b` of block `b_block` in `b_target` is a copy of job `a` of block `a_block` in
/// `a_target`, wherever each is (the same crontab, another cron.d file, a crontab and a cron.d
/// file): another block, the same work ([`same_work`]) and run as the same user, so both
/// fire it. A block renamed (its new name a new cron.d file) and left beside its copy is one;
/// two configs that merely share a job id are not (issue 25). Another user's line is not
/// counted: their rootless podman's container of that name is another container.
pub(crate) fn is_copy(
    (a_target, a_block, a): (&Target, &str, &Entry),
    (b_target, b_block, b): (&Target, &str, &Entry),
) -> bool {
    (a_block != b_block || !a_target.same_as(b_target))
        && same_work(
            a,
            a_target.with_user_column(),
            b,
            b_target.with_user_column(),
        )
        && runs_as(a_target, a).is_some_and(|user| Some(user) == runs_as(b_target, b))
}

/// The user an installed job's line runs as: its crontab's owner, its cron.d line's user
/// column, or for systemd units the user manager's owner (user units) or `User=` (system units,
/// kept as a cron.d line's user column).
pub(crate) fn runs_as(target: &Target, entry: &Entry) -> Option<String> {
    match target {
        Target::Crontab(c) => Some(c.owner()),
        Target::Systemd(s) if !s.with_user_column() => s.user().map(str::to_string),
        Target::CronD(_) | Target::Systemd(_) => {
            crate::line::parse_line(entry.active_line(), true)?.user
        }
    }
}

/// The command that removes block `block` from `target`, exactly as the user would type it.
pub(crate) fn uninstall_command(target: &Target, block: &str) -> String {
    match target {
        Target::Crontab(c) => format!(
            "crontainer uninstall --name {block} --target crontab --user {}",
            c.owner()
        ),
        Target::CronD(_) => format!("crontainer uninstall --name {block} --target cron.d"),
        Target::Systemd(_) => format!("crontainer uninstall --name {block} --target systemd"),
    }
}
