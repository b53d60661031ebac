//! One file per subcommand; this module holds what they share, and `job_status/` the one picture
//! of a job that `status` and `metrics` both report.

pub(crate) mod doctor;
pub(crate) mod history;
pub(crate) mod install;
pub(crate) mod job_status;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod pause;
pub(crate) mod plan;
pub(crate) mod run_now;
pub(crate) mod status;
pub(crate) mod trust;
pub(crate) mod uninstall;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use jiff::ZonedDateTime;

use crate::block;
use crate::cli::{TargetArg, TargetArgs};
use crate::config::{self, Config, ContainerRef, Job, TargetKind};
use crate::cron_table::Target;
use crate::error::bad_input;
use crate::line::{self, Entry, Tools};
use crate::runtime;

/// Fixes "now" for reproducible output in tests and examples (an RFC 3339 timestamp).
pub(crate) const ENV_NOW: &str = "CRONTAINER_NOW";

/// The current time in cron's time zone (`host::cron_time_zone`, not the shell's `TZ`), or
/// `$CRONTAINER_NOW` in that zone.
pub(crate) fn now() -> Result<ZonedDateTime> {
    let tz = crate::host::cron_time_zone().zone;
    match std::env::var(ENV_NOW) {
        Ok(value) if !value.is_empty() => {
            let ts: jiff::Timestamp = value
                .parse()
                .with_context(|| format!("{ENV_NOW}={value:?} is not an RFC 3339 timestamp"))?;
            Ok(ts.to_zoned_datetime(tz))
        }
        _ => Ok(ZonedDateTime::now().with_time_zone(tz)),
    }
}

/// When the shell's `TZ` names another zone than cron's: the times shown are cron's, which the
/// user may not expect. `plan`, `status` and `metrics` say so on stderr.
pub(crate) fn time_zone_difference(now: &ZonedDateTime) -> Option<String> {
    let shell = std::env::var("TZ").ok().filter(|tz| !tz.is_empty())?;
    let cron = crate::host::cron_time_zone();
    let name = shell.strip_prefix(':').unwrap_or(&shell);
    let theirs = jiff::tz::TimeZone::get(name)
        .or_else(|_| jiff::tz::TimeZone::posix(name))
        .ok();
    // `UTC` and `Etc/UTC` are one zone: compare offsets now and half a year on (DST).
    let later = now.timestamp() + jiff::SignedDuration::from_hours(183 * 24);
    let same = theirs.is_some_and(|tz| {
        [now.timestamp(), later]
            .iter()
            .all(|&t| tz.to_offset(t) == cron.zone.to_offset(t))
    });
    (!same).then(|| {
        format!(
            "times are in cron's time zone {} (from {}), not TZ={shell}: cron fires by its own",
            cron.name, cron.source
        )
    })
}

/// Says [`time_zone_difference`] on stderr, if any.
pub(crate) fn note_time_zone(now: &ZonedDateTime) {
    if let Some(note) = time_zone_difference(now) {
        crate::ui::notice(&note);
    }
}

/// The target kind and user: flags first, then the config, then the defaults.
pub(crate) fn target_settings(
    config: Option<&Config>,
    flags: &TargetArgs,
) -> (TargetKind, Option<String>) {
    let kind = match flags.target {
        Some(TargetArg::Crontab) => TargetKind::Crontab,
        Some(TargetArg::CronD) => TargetKind::CronD,
        Some(TargetArg::Systemd) => TargetKind::Systemd,
        None => config.map_or(TargetKind::Crontab, |c| c.target),
    };
    let user = flags
        .user
        .clone()
        .or_else(|| config.and_then(|c| c.user.clone()));
    (kind, user)
}

/// Renders every job of the config for `target`.
pub(crate) fn render_entries(
    config: &Config,
    tools: &Tools,
    target: &Target,
    run_as: &str,
) -> Result<Vec<Entry>> {
    let user_column = target.with_user_column().then_some(run_as);
    config
        .jobs
        .iter()
        .map(|job| {
            line::render_job(job, tools, user_column).map_err(|e| {
                crate::error::bad_input(format!("{}:{}: {e:#}", config.path.display(), job.line))
            })
        })
        .collect()
}

/// The jobs installed in a target, with the block each sits in.
pub(crate) struct Installed {
    pub(crate) target: Target,
    pub(crate) run_as: String,
    pub(crate) entries: Vec<(String, Entry)>,
    /// Environment assignments above a block (its name, the line number and text): cron
    /// applies them to the block's lines too.
    pub(crate) assignments: Vec<(String, usize, String)>,
    /// The blocks' metrics lines (`[monitoring] textfile_dir`), by block.
    pub(crate) textfiles: Vec<(String, crate::line::Textfile)>,
    /// When one block was asked for, the jobs of the other blocks in the same text (read
    /// anyway), with where they are: where a copy that a rename left behind goes on firing.
    pub(crate) neighbours: Vec<(Target, String, Entry)>,
    /// What could not be read here: a block someone edited by hand is refused alone, and the
    /// others stay usable; a damaged marker makes the whole text unreadable.
    pub(crate) damaged: Vec<Damaged>,
}

/// A block (None: the whole text) that could not be read, and why.
pub(crate) struct Damaged {
    pub(crate) block: Option<String>,
    pub(crate) error: String,
    /// The ids of the job markers still readable in it: jobs that `metrics` reports unhealthy
    /// rather than dropping (an alert on `healthy == 0` would resolve).
    pub(crate) jobs: Vec<String>,
    /// The whole target could not be read (not damaged: this user may not read it).
    pub(crate) unreadable: bool,
}

impl Damaged {
    /// In words, with where it is.
    pub(crate) fn describe(&self, target: &Target) -> String {
        match &self.block {
            Some(block) => format!("block `{block}` in {}: {}", target.describe(), self.error),
            // The error names the target already.
            None if self.unreadable => self.error.clone(),
            None => format!("{}: {}", target.describe(), self.error),
        }
    }
}

/// The crontainer blocks a command acts on, each with its parsed entries: block `name`, or every
/// block in `text` when None. Lazy, so a command that stops at the block it wants never reads
/// the ones after it; a block with lines someone added by hand is an error, never guessed at.
pub(crate) fn parse_blocks<'a>(
    text: &'a str,
    name: Option<&str>,
    with_user: bool,
) -> Result<impl Iterator<Item = Result<(String, Vec<Entry>)>> + 'a> {
    let names = match name {
        Some(name) => vec![name.to_string()],
        None => block::names(text)?,
    };
    Ok(names.into_iter().filter_map(move |name| {
        let body = match block::find(text, &name) {
            Ok(Some(body)) => body,
            Ok(None) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        Some(line::parse_body(&body, with_user, &name).map(|entries| (name, entries)))
    }))
}

/// Where a command looks for installed jobs, and what it found there: one crontab, the cron.d
/// file of one block, every cron.d file holding a block, or (`--all-users`) all of them.
pub(crate) struct Scope {
    /// Where it looked, in words ("root's crontab", "/etc/cron.d").
    pub(crate) label: String,
    pub(crate) installed: Vec<Installed>,
}

impl Scope {
    /// Every installed job: where, in which block.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Installed, &str, &Entry)> {
        self.installed.iter().flat_map(|installed| {
            installed
                .entries
                .iter()
                .map(move |(block, entry)| (installed, block.as_str(), entry))
        })
    }

    /// What could not be read, in words.
    pub(crate) fn damaged(&self) -> Vec<String> {
        self.installed
            .iter()
            .flat_map(|i| i.damaged.iter().map(|d| d.describe(&i.target)))
            .collect()
    }

    /// The blocks found, each with where it is, in order.
    pub(crate) fn blocks(&self) -> Vec<(&Installed, &str)> {
        self.block_indexes()
            .into_iter()
            .map(|(i, block)| (&self.installed[i], block))
            .collect()
    }

    /// The blocks found, each with the index of its target in `installed`, in order.
    pub(crate) fn block_indexes(&self) -> Vec<(usize, &str)> {
        let mut blocks: Vec<(usize, &str)> = Vec::new();
        for (i, installed) in self.installed.iter().enumerate() {
            for (block, _) in &installed.entries {
                if !blocks.contains(&(i, block.as_str())) {
                    blocks.push((i, block));
                }
            }
        }
        blocks
    }
}

/// The installed jobs where the config and flags point: block `name` (the flag, else the
/// config's), or every block there. Without a name, a cron.d target means every file of
/// /etc/cron.d that holds a block; `all_users` (root only) means every user's crontab and
/// every such file.
pub(crate) fn scope(
    config: Option<&Config>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<Scope> {
    let name = name.or_else(|| config.map(|c| c.name.as_str()));
    scope_at(config, flags, name, all_users)
}

/// Like [`scope`], but every block where the config points when `name` is None (what `doctor`
/// checks: the config's block and any other beside it).
pub(crate) fn scope_at(
    config: Option<&Config>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<Scope> {
    if let Some(name) = name
        && !config::is_block_name(name)
    {
        return Err(bad_input(format!(
            "--name {name:?} is not a block name (lowercase letters, digits, `_` and `-`)"
        )));
    }
    let (kind, user) = target_settings(config, flags);
    let mut targets = Vec::new();
    let label;
    if all_users {
        if !crate::host::is_root() {
            return Err(bad_input(
                "--all-users reads every user's crontab, which only root may: run it with sudo",
            ));
        }
        for user in crate::cron_table::crontab_users()? {
            targets.push(Target::resolve(
                TargetKind::Crontab,
                Some(&user),
                "crontainer",
            )?);
        }
        if !targets
            .iter()
            .any(|r| r.target.describe() == format!("{}'s crontab", crate::host::current_user()))
        {
            targets.push(Target::resolve(TargetKind::Crontab, None, "crontainer")?);
        }
        targets.extend(cron_d_targets(user.as_deref(), name)?);
        targets.extend(crate::cron_table::systemd_targets(None).unwrap_or_default());
        label = format!(
            "every user's crontab, {} and root's systemd units",
            crate::cron_table::cron_d_dir().display()
        );
    } else if kind == TargetKind::CronD && name.is_none() {
        // The same checks of --user as for one file.
        Target::resolve(kind, user.as_deref(), "crontainer")?;
        targets.extend(cron_d_targets(user.as_deref(), None)?);
        label = crate::cron_table::cron_d_dir().display().to_string();
    } else if kind == TargetKind::Systemd && name.is_none() {
        let probe = Target::resolve(kind, user.as_deref(), "crontainer")?;
        label = probe
            .target
            .describe()
            .replace("crontainer-crontainer-*", "crontainer-*");
        let all = crate::cron_table::systemd_targets(user.as_deref())?;
        if all.is_empty() {
            targets.push(probe);
        }
        targets.extend(all);
    } else {
        let resolved = Target::resolve(kind, user.as_deref(), name.unwrap_or("crontainer"))?;
        label = resolved.target.describe();
        targets.push(resolved);
    }
    // Where several targets are read, one that cannot be (a cron.d file holding a healthcheck
    // URL is root's alone) is said, and the others are shown; one target asked for by name
    // must be read, or the command fails.
    let several = all_users
        || targets.len() > 1
        || (matches!(kind, TargetKind::CronD | TargetKind::Systemd) && name.is_none());
    let installed = targets
        .into_iter()
        .map(|resolved| match several {
            true => Ok(read_or_damaged(resolved, name)),
            false => read_target(resolved, name),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Scope { label, installed })
}

/// Every cron.d file holding a block (block `name`'s file when given), its lines run as `user`
/// (root when None) unless their user column says otherwise.
fn cron_d_targets(
    user: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<crate::cron_table::Resolved>> {
    let files = match name {
        Some(name) => vec![name.to_string()],
        None => crate::cron_table::cron_d_files_with_blocks()?,
    };
    Ok(files
        .into_iter()
        .map(|file| crate::cron_table::Resolved {
            target: Target::CronD(crate::cron_table::CronD::new(
                crate::cron_table::cron_d_dir(),
                &file,
            )),
            run_as: user.unwrap_or("root").to_string(),
        })
        .collect())
}

/// Every block crontainer can read on this host, for the checks that must see them all (a log
/// two blocks share, a renamed block left behind): as root, every user's crontab and every
/// cron.d file; otherwise one's own crontab and the cron.d files. A target that cannot be read
/// is recorded as damaged, not an error: these checks must not stop a command.
pub(crate) fn everything_readable() -> Vec<Installed> {
    let mut targets = Vec::new();
    // Root's listing of cron's spool names every crontab there is, root's own included: one
    // not listed does not exist, and needs no `crontab -l` to say so.
    let mut listed = false;
    if crate::host::is_root()
        && let Ok(users) = crate::cron_table::crontab_users()
    {
        listed = crate::cron_table::spool_lists_every_crontab();
        for user in users {
            targets.extend(Target::resolve(TargetKind::Crontab, Some(&user), "crontainer").ok());
        }
    }
    let me = format!("{}'s crontab", crate::host::current_user());
    if !listed && !targets.iter().any(|r| r.target.describe() == me) {
        targets.extend(Target::resolve(TargetKind::Crontab, None, "crontainer").ok());
    }
    targets.extend(cron_d_targets(None, None).unwrap_or_default());
    targets.extend(crate::cron_table::systemd_targets(None).unwrap_or_default());
    targets
        .into_iter()
        .map(|resolved| read_or_damaged(resolved, None))
        .collect()
}

/// [`read_target`], with a target that cannot be read recorded as damaged rather than failing.
fn read_or_damaged(resolved: crate::cron_table::Resolved, name: Option<&str>) -> Installed {
    let target = resolved.target.clone();
    let run_as = resolved.run_as.clone();
    read_target(resolved, name).unwrap_or_else(|e| Installed {
        target,
        run_as,
        entries: Vec::new(),
        assignments: Vec::new(),
        textfiles: Vec::new(),
        neighbours: Vec::new(),
        damaged: vec![Damaged {
            block: None,
            error: format!("{e:#}"),
            jobs: Vec::new(),
            unreadable: true,
        }],
    })
}

/// The config, when one is named or found, and the jobs installed where it (or the flags) point:
/// its block, or every crontainer block there. What the commands that report start from.
pub(crate) fn config_and_installed(
    config: Option<&Path>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<(Option<Config>, Scope)> {
    let config = trust::load_config(config)?;
    let scope = scope(config.as_ref(), flags, name, all_users)?;
    Ok((config, scope))
}

/// Reads block `name` (every block when None) of a resolved target. A block that cannot be
/// read is recorded in `damaged` and the others are read on; only a target that cannot be read
/// at all (`crontab -l` failing) is an error.
fn read_target(resolved: crate::cron_table::Resolved, name: Option<&str>) -> Result<Installed> {
    let text = resolved.target.read()?;
    let mut installed = Installed {
        target: resolved.target,
        run_as: resolved.run_as,
        entries: Vec::new(),
        assignments: Vec::new(),
        textfiles: Vec::new(),
        neighbours: Vec::new(),
        damaged: Vec::new(),
    };
    let names = match name {
        Some(name) => vec![name.to_string()],
        None => match block::names(&text) {
            Ok(names) => names,
            Err(e) => {
                installed.damaged.push(Damaged {
                    block: None,
                    error: e.to_string(),
                    jobs: Vec::new(),
                    unreadable: false,
                });
                return Ok(installed);
            }
        },
    };
    let with_user = installed.target.with_user_column();
    for name in names {
        let body = match block::find(&text, &name) {
            Ok(Some(body)) => body,
            Ok(None) => continue,
            Err(e) => {
                installed.damaged.push(Damaged {
                    block: None,
                    error: e.to_string(),
                    jobs: Vec::new(),
                    unreadable: false,
                });
                break;
            }
        };
        match line::parse_body(&body, with_user, &name) {
            Ok(parsed) => {
                for (line, assignment) in block::assignments_above(&text, &name)? {
                    installed.assignments.push((name.clone(), line, assignment));
                }
                if let Some(textfile) = crate::line::parse_textfile(&body, with_user) {
                    installed.textfiles.push((name.clone(), textfile));
                }
                installed
                    .entries
                    .extend(parsed.into_iter().map(|entry| (name.clone(), entry)));
            }
            Err(e) => installed.damaged.push(Damaged {
                block: Some(name),
                error: format!("{e:#}"),
                jobs: body
                    .iter()
                    .filter_map(|l| crate::line::Marker::parse(l))
                    .map(|m| m.id)
                    .collect(),
                unreadable: false,
            }),
        }
    }
    if let Some(name) = name {
        let this = installed.target.clone();
        installed
            .neighbours
            .extend(blocks_of(&this, &text, with_user, Some(name)));
    }
    Ok(installed)
}

/// The jobs of the readable blocks in `text` of `target`, but `except`'s.
fn blocks_of(
    target: &Target,
    text: &str,
    with_user: bool,
    except: Option<&str>,
) -> Vec<(Target, String, Entry)> {
    let mut found = Vec::new();
    for name in block::names(text).unwrap_or_default() {
        if Some(name.as_str()) == except {
            continue;
        }
        let Ok(Some(body)) = block::find(text, &name) else {
            continue;
        };
        if let Ok(parsed) = crate::line::parse_body(&body, with_user, &name) {
            found.extend(
                parsed
                    .into_iter()
                    .map(|entry| (target.clone(), name.clone(), entry)),
            );
        }
    }
    found
}

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

/// What an environment assignment above block `name` does to it, in words for `status` and
/// `doctor`; None when the block has none above it.
pub(crate) fn environment_problem(installed: &Installed, name: &str) -> Option<String> {
    let above: Vec<String> = installed
        .assignments
        .iter()
        .filter(|(block, _, _)| block == name)
        .map(|(_, line, text)| format!("`{text}` (line {line})"))
        .collect();
    (!above.is_empty()).then(|| {
        format!(
            "{} sets {} above block `{name}`, and cron runs the block's lines with it: \
             `crontainer install` moves the block above it",
            installed.target.describe(),
            above.join(", ")
        )
    })
}

/// The outcome of writing a changed text into a target.
pub(crate) struct Applied {
    /// The text differed (whether or not it was written: see `dry_run`).
    pub(crate) changed: bool,
    pub(crate) diff: String,
    /// Where the previous text was saved, when something was written.
    pub(crate) backup: Option<std::path::PathBuf>,
}

impl Applied {
    /// The `--json` report of a command that edits a target: whether it changed anything (or
    /// would, in a dry run), the backup and the diff, with the command's own `fields` added.
    /// `changed` may be wider than the text (install counts a new logrotate file too).
    pub(crate) fn report<T: serde::Serialize>(
        &self,
        changed: bool,
        dry_run: bool,
        fields: T,
    ) -> ChangeReport<'_, T> {
        ChangeReport {
            changed: changed && !dry_run,
            would_change: changed,
            dry_run,
            backup: self.backup.as_deref(),
            diff: &self.diff,
            fields,
        }
    }

    /// Says where the previous text was saved, when something was written.
    pub(crate) fn say_backup(&self) {
        if let Some(backup) = &self.backup {
            crate::ui::say(&format!("previous version saved to {}", backup.display()));
        }
    }
}

/// The `--json` document of a command that edits a target ([`Applied::report`]).
#[derive(serde::Serialize)]
pub(crate) struct ChangeReport<'a, T> {
    /// Something was written.
    pub(crate) changed: bool,
    /// Something differs (written, or not in a dry run).
    pub(crate) would_change: bool,
    pub(crate) dry_run: bool,
    pub(crate) backup: Option<&'a Path>,
    pub(crate) diff: &'a str,
    #[serde(flatten)]
    pub(crate) fields: T,
}

/// Writes `new` over `old` when they differ and this is not a dry run: a backup of `old`
/// first, then the write. The caller holds the target's lock across its read and this call.
/// The diff is colored for a terminal, never in `json` output.
pub(crate) fn apply(
    target: &Target,
    old: &str,
    new: &str,
    dry_run: bool,
    json: bool,
) -> Result<Applied> {
    let changed = new != old;
    let color = !json && crate::ui::color_stdout();
    let diff = crate::ui::diff(old, new, &target.describe(), color);
    let backup = if changed && !dry_run {
        let backup = target.backup(old)?;
        target.write(new)?;
        Some(backup)
    } else {
        None
    };
    Ok(Applied {
        changed,
        diff,
        backup,
    })
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
    spec: &'a str,
    name: Option<&'a str>,
) -> Result<(Option<&'a str>, &'a str)> {
    match spec.split_once('/') {
        None => Ok((name, spec)),
        Some((block, id)) => {
            if !config::is_block_name(block) || id.is_empty() || id.contains('/') {
                return Err(bad_input(format!(
                    "{spec:?} is not a job: write JOB, or BLOCK/JOB for the job in one block"
                )));
            }
            if let Some(name) = name.filter(|n| *n != block) {
                return Err(bad_input(format!(
                    "{spec:?} names block `{block}`, but --name says `{name}`"
                )));
            }
            Ok((Some(block), id))
        }
    }
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
pub(crate) fn find_job(
    spec: &str,
    config_path: Option<&Path>,
    flags: &TargetArgs,
    block: &crate::cli::BlockArg,
) -> Result<Found> {
    let config = trust::load_config(config_path)?;
    let (name, id) = split_job(spec, block.name.as_deref())?;
    let scope = scope(config.as_ref(), flags, name, false)?;
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
            let tools = runtime::require_tools(&config.runtime, false)?;
            let entry = line::render_job(job, &tools, None)?;
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
    other_block == name || other.describe() == target.describe()
}

/// Whether two installed jobs do the same work: the same id, container and line but for the
/// log (and the lock beside it) and the schedule. A block renamed with a new `log_dir` and left
/// beside its copy fires both; two configs that merely share a job id (another command, another
/// container) are no copies (issue 25).
/// `a_user` and `b_user`: whether each one's line has a user column (cron.d).
pub(crate) fn same_work(a: &Entry, a_user: bool, b: &Entry, b_user: bool) -> bool {
    let work = |e: &Entry, with_user: bool| {
        crate::line::parse_line(e.active_line(), with_user)
            .map(|p| p.body().replace(&e.marker.log.display().to_string(), "LOG"))
    };
    let a_work = work(a, a_user);
    a.marker.id == b.marker.id
        && a.marker.container == b.marker.container
        && a_work.is_some()
        && a_work == work(b, b_user)
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

/// The most [`Follower::pump`] reads at once.
const PUMP_MAX: u64 = 4 << 20;

/// Copies what is appended to a file onto stdout.
pub(crate) struct Follower {
    pub(crate) offset: u64,
}

impl Follower {
    pub(crate) fn pump(&mut self, path: &Path) -> Result<()> {
        // A regular file only, without waiting: the log's path is in a block its user wrote.
        let Ok(Some(mut file)) = crate::safe_file::open_regular(path) else {
            return Ok(());
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            // Truncated (logrotate copytruncate): start again from the top.
            self.offset = 0;
        }
        if len == self.offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.offset))?;
        // At most a few MiB per call: the rest comes with the next one.
        let want = (len - self.offset).min(PUMP_MAX);
        let mut buf = Vec::with_capacity(want as usize);
        file.take(want).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        let mut out = std::io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
        Ok(())
    }
}

/// As root, crontainer trusts only what root controls: the config (it chooses the programs
/// root's cron runs and the files it appends to) and the programs the line runs, with every
/// directory above them. cron itself refuses a cron.d file that is not root's alone; a config
/// that a normal user may edit would hand that user root's cron. A non-root install is its own
/// user's business.
pub(crate) fn require_root_controlled(config: &Config, tools: &Tools) -> Result<()> {
    if !crate::host::is_root() {
        return Ok(());
    }
    trust::require_trusted_config(&config.path, false)?;
    // The runner lines run the crontainer binary, which runs the runtime: both as root.
    for (what, path, other) in [
        (
            "runtime",
            &tools.runtime,
            "use a root-owned runtime (`[defaults] runtime`)",
        ),
        (
            "crontainer",
            &tools.crontainer,
            "run `crontainer install` from a root-owned binary (`cargo install --path .` as \
             root, or the .deb's /usr/bin/crontainer)",
        ),
    ] {
        if let Some(loose) = crate::host::loose_for_root(path, false) {
            return Err(bad_input(format!(
                "refusing the {what} program {}: {} may be changed by a user other than root, and \
                 root's cron would run it at every firing; fix: {}, or {other}",
                path.display(),
                loose.describe(),
                loose.fix()
            )));
        }
    }
    Ok(())
}

/// `env` values are written into the line: a cron.d file is readable by every local user, and
/// the `docker exec -e` command line is in everyone's process list while the job runs.
pub(crate) fn env_warnings(config: &Config, kind: TargetKind, target: &Target) -> Vec<String> {
    if kind != TargetKind::CronD {
        return Vec::new();
    }
    config
        .jobs
        .iter()
        .filter(|job| !job.env.is_empty())
        .map(|job| {
            format!(
                "job {:?}: the values of `env` ({}) are written into {}, which every local user \
                 can read, and show in the process list while the job runs; keep secrets in a \
                 file only the job's user can read, named by `env_file`",
                job.id,
                job.env.keys().cloned().collect::<Vec<_>>().join(", "),
                target.describe()
            )
        })
        .collect()
}

/// A healthcheck URL is a secret (whoever has it can report the check's runs, or silence an
/// alert): in a cron.d file it would be readable by every local user, so the file is written
/// 0600 (see `cron_table::cron_d`), but the line, URL included, still shows in the process list
/// while the job runs.
pub(crate) fn healthcheck_warnings(
    config: &Config,
    kind: TargetKind,
    target: &Target,
) -> Vec<String> {
    if kind != TargetKind::CronD {
        return Vec::new();
    }
    // One warning for the file, whatever the number of jobs that ping.
    let ids: Vec<String> = config
        .jobs
        .iter()
        .filter(|job| job.healthcheck.is_some())
        .map(|job| format!("{:?}", job.id))
        .collect();
    let who = match ids.as_slice() {
        [] => return Vec::new(),
        [one] => format!("job {one}: its `healthcheck` URL is a secret and is"),
        _ => format!(
            "jobs {}: their `healthcheck` URLs are secrets and are",
            ids.join(", ")
        ),
    };
    vec![format!(
        "{who} written into {}, which is therefore made readable by root alone (mode 0600; \
         cron still reads it); it still shows in the process list (`ps`) of every local user \
         while a job runs",
        target.describe()
    )]
}

/// What install will do for a job's log and lock, decided before anything is changed.
pub(crate) struct LogPlan {
    /// The log's directory is missing and will be created.
    pub(crate) missing_dir: bool,
    /// Directories created will belong to the job's user (they lie under one that user may
    /// write), not to root.
    pub(crate) dirs_for_user: bool,
}

/// The paths and needs [`check_log`] asks about for these jobs' logs (for
/// `host::prefetch_access`): each log and lock, written, and the nearest existing directory.
pub(crate) fn log_checks(jobs: &[Job]) -> Vec<(std::path::PathBuf, crate::host::Need)> {
    use crate::host::Need;
    jobs.iter()
        .flat_map(|job| {
            let dir = job.log.parent().unwrap_or(Path::new("/"));
            let existing = dir
                .ancestors()
                .find(|d| d.exists())
                .unwrap_or(Path::new("/"));
            [
                (job.log.clone(), Need::Write),
                (job.lock(), Need::Write),
                (existing.to_path_buf(), Need::Write),
            ]
        })
        .collect()
}

/// The rules for a job's log and its lock, shared by `install` (before it creates anything) and
/// `doctor`; an error (exit 2) names the directory at fault and the fix.
///
/// - A job that runs as root logs only where no person may change the path: whoever may write
///   the log's directory (or one above it, bar a root-owned sticky one such as /tmp) could
///   replace the log with a symlink, and root's next run would append to any file. logrotate
///   refuses such a parent directory for the same reason unless told whom to act as; system
///   accounts are trusted as it is told to trust them (`host::accounts`: Ubuntu's `/var/log` is
///   `root:syslog 0775`).
/// - A job that runs as a normal user must reach and write its files, checked as that user
///   (issue 13: a log under /root, 0700, installed fine and every run failed).
/// - install never creates a file owned by the job's user in a directory that user may not write
///   (in /etc/profile.d it would be shell code every login runs), except in crontainer's own
///   default log directory; missing directories likewise.
pub(crate) fn check_log(id: &str, log: &Path, user: &nix::unistd::User) -> Result<LogPlan> {
    use crate::host::{self, Need};
    let dir = log.parent().unwrap_or(Path::new("/"));
    let existing = dir
        .ancestors()
        .find(|d| d.exists())
        .unwrap_or(Path::new("/"));
    let missing_dir = existing != dir;
    if user.uid.is_root() {
        // Only root can install a root job; a test pointing the cron.d dir elsewhere is not one.
        if host::is_root() {
            // The log's own directory strictly (anyone may create the name first in a sticky
            // one); above a missing one, what install creates is root's and cannot be swapped.
            if let Some(loose) = host::loose_for_root_output(existing, !missing_dir) {
                return Err(bad_input(format!(
                    "job {id:?}: its log {} lies under {}, which a user other than root may \
                     change: that user could put a symlink in place of the log or its lock, and \
                     the job, running as root, would append to any file it points to; fix: log \
                     to a directory only root can write, such as the default {} (unset `log`), \
                     or run the job as that user (`[cron] user`)",
                    log.display(),
                    loose.describe(),
                    config::DEFAULT_LOG_DIR
                )));
            }
        }
        return Ok(LogPlan {
            missing_dir,
            dirs_for_user: false,
        });
    }
    let lock = config::lock_path(log);
    for path in [log, lock.as_path()] {
        if let Some(denied) = host::denied_as(user, path, Need::Write)? {
            return Err(bad_input(format!(
                "job {id:?}: {}, so {} cannot write {} when the job runs as {}, and every run \
                 would fail with \"Permission denied\"; fix: set `log` to a path in a directory \
                 {} owns, or give {} access to {}",
                denied.describe(&user.name),
                user.name,
                path.display(),
                user.name,
                user.name,
                user.name,
                denied.path.display()
            )));
        }
    }
    let creates = missing_dir || !log.exists() || !lock.exists();
    let may_write = host::denied_as(user, existing, Need::Write)?.is_none();
    if creates && !may_write && !dir.starts_with(config::DEFAULT_LOG_DIR) {
        let what = if missing_dir {
            format!("the directory {}", dir.display())
        } else if log.exists() {
            lock.display().to_string()
        } else {
            log.display().to_string()
        };
        return Err(bad_input(format!(
            "job {id:?}: {} may not write {}, so install will not create {what} for it there: a \
             file owned by {} in a directory that is not theirs (in /etc/profile.d, shell code \
             every login runs) is a way in for them; fix: set `log` to a path in a directory {} owns, \
             or have an admin prepare one (`sudo install -d -o {} DIR`)",
            user.name,
            existing.display(),
            user.name,
            user.name,
            user.name
        )));
    }
    Ok(LogPlan {
        missing_dir,
        dirs_for_user: missing_dir && may_write,
    })
}

/// The rules for a job's `env_file`: a regular file that the job's user may read (the runtime's
/// client reads it as that user at each firing) and no one else may read or write; for a job
/// that runs as root, as root-controlled as the config.
pub(crate) fn check_env_file(id: &str, path: &Path, user: &nix::unistd::User) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let refuse =
        |what: String| bad_input(format!("job {id:?}: `env_file` {}: {what}", path.display()));
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            return Err(refuse(format!(
                "cannot be read ({}); fix: create it with one NAME=value per line, readable by \
                 {} alone (`sudo install -m 600 -o {} /dev/null {}`, then edit it)",
                e.kind(),
                user.name,
                user.name,
                path.display()
            )));
        }
    };
    if !meta.is_file() {
        return Err(refuse(
            "is not a regular file; fix: point `env_file` at a file of NAME=value lines".into(),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(refuse(format!(
            "group or others may read or write it (owned by {}, mode {:04o}), so its secrets are \
             not secret; fix: `sudo chmod 600 {}`",
            crate::host::user_name(meta.uid()),
            meta.mode() & 0o7777,
            path.display()
        )));
    }
    if user.uid.is_root() {
        if crate::host::is_root()
            && let Some(loose) = crate::host::loose_for_root(path, false)
        {
            return Err(refuse(format!(
                "{} may be changed by a user other than root, who could then set the \
                 environment of a job root runs; fix: {}",
                loose.describe(),
                loose.fix()
            )));
        }
    } else if let Some(denied) = crate::host::denied_as(user, path, crate::host::Need::Read)? {
        return Err(refuse(format!(
            "{}, who runs the job (the runtime's client reads the file as {} at every run); fix: \
             `sudo chown {} {}`",
            denied.describe(&user.name),
            user.name,
            user.name,
            path.display()
        )));
    }
    Ok(())
}

/// The body of block `name` in `text` with its jobs replaced by `entries`: its metrics line, if
/// it has one, stays. For the commands that edit jobs in an installed block (`pause`,
/// `uninstall JOB`).
pub(crate) fn body_with_entries(
    text: &str,
    name: &str,
    entries: &[Entry],
    with_user: bool,
) -> Result<Vec<String>> {
    let textfile = block::find(text, name)?.and_then(|body| line::parse_textfile(&body, with_user));
    Ok(line::render_body_with(entries, textfile.as_ref()))
}

/// Says when the binary the runner lines name lies where it will not stay (a build or temp
/// directory): every job's line, and the metrics line (`textfile`), would then fail once it goes.
/// One warning for all of them: they run the same binary.
pub(crate) fn binary_warnings(tools: &Tools, textfile: Option<&line::Textfile>) -> Vec<String> {
    if !runtime::is_temporary_binary(&tools.crontainer) {
        return Vec::new();
    }
    let metrics = match textfile {
        Some(t) => format!(
            ", and the metrics line fails every minute (the file in {} goes stale)",
            t.dir.display()
        ),
        None => String::new(),
    };
    vec![format!(
        "the cron lines run this crontainer binary, {}, which looks temporary (a build output \
         or a temp directory): when it goes, no job runs{metrics}; install it for good (`cargo \
         install --path .`, or the .deb's /usr/bin/crontainer) and run `crontainer install` from \
         there",
        tools.crontainer.display()
    )]
}

/// The block's metrics line for `[monitoring] textfile_dir`, if the config sets one: this very
/// crontainer binary, every minute, writing the gauges of the config's block (in `kind` of
/// `run_as`) to its own file in `DIR`. (A binary that will not stay is warned about with the
/// job lines', [`binary_warnings`].)
pub(crate) fn textfile_line(
    config: &Config,
    kind: TargetKind,
    run_as: &str,
    target: &Target,
    tools: &Tools,
) -> Result<(Option<line::Textfile>, Vec<String>)> {
    let Some(dir) = &config.textfile_dir else {
        return Ok((None, Vec::new()));
    };
    let exe = tools.crontainer.clone();
    let config_path = std::path::absolute(&config.path)
        .with_context(|| format!("could not make {} absolute", config.path.display()))?;
    let kind_word = match kind {
        TargetKind::Crontab => "crontab",
        TargetKind::CronD => "cron.d",
        TargetKind::Systemd => "systemd",
    };
    let textfile = line::Textfile::render(
        &exe,
        &config_path,
        kind_word,
        run_as,
        dir,
        target.with_user_column().then_some(run_as),
        tools.escape_percent,
    );
    Ok((Some(textfile), Vec::new()))
}

/// The rules for the metrics line's directory and binary, before `install` writes the line: the
/// directory exists; the user the line runs as may write it; and when that is root, the
/// directory and the binary are root's alone (whoever may change the binary would run code as
/// root every minute; whoever may write the directory could swap it for another).
pub(crate) fn check_textfile(config: &Config, user: &nix::unistd::User) -> Result<()> {
    use crate::host::{self, Need};
    let Some(dir) = &config.textfile_dir else {
        return Ok(());
    };
    let refuse = |what: String| {
        bad_input(format!(
            "{}: `monitoring.textfile_dir` {}: {what}",
            config.path.display(),
            dir.display()
        ))
    };
    if !dir.is_dir() {
        return Err(refuse(
            "is not a directory; create it, or point it at the directory node_exporter's \
             `--collector.textfile.directory` reads (Debian's prometheus-node-exporter: \
             /var/lib/prometheus/node-exporter)"
                .to_string(),
        ));
    }
    if user.uid.is_root() {
        if host::is_root() {
            if let Some(loose) = host::loose_for_root_output(dir, true) {
                return Err(refuse(format!(
                    "{} may be changed by a user other than root, and root's cron writes \
                     the block's metrics there every minute; fix: {}",
                    loose.describe(),
                    loose.fix()
                )));
            }
            let exe = std::env::current_exe()?;
            if let Some(loose) = host::loose_for_root(&exe, false) {
                return Err(bad_input(format!(
                    "refusing the metrics line: it runs this crontainer binary, {}, as root \
                     every minute, and {} may be changed by a user other than root; fix: {}, \
                     or install from a root-owned binary such as /usr/local/bin/crontainer",
                    exe.display(),
                    loose.describe(),
                    loose.fix()
                )));
            }
        }
    } else {
        if let Some(denied) = host::denied_as(user, dir, Need::Write)? {
            return Err(refuse(format!(
                "{}, who runs the metrics line; fix: `sudo chown {} {}`, or choose a directory \
                 {} may write",
                denied.describe(&user.name),
                user.name,
                dir.display(),
                user.name
            )));
        }
        // The line runs the binary and reads the config as that user, every minute.
        let exe = std::env::current_exe()?;
        for (what, path, need) in [
            ("the crontainer binary", exe.as_path(), Need::Search),
            ("the config", config.path.as_path(), Need::Read),
        ] {
            if let Some(denied) = host::denied_as(user, path, need)? {
                return Err(refuse(format!(
                    "the metrics line runs as {} and needs {what}, {}, but {}; fix: give {} \
                     access to it, or install from a binary and config {} can reach",
                    user.name,
                    path.display(),
                    denied.describe(&user.name),
                    user.name,
                    user.name
                )));
            }
        }
    }
    Ok(())
}
