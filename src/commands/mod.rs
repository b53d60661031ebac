//! One file per subcommand; this module holds what they share, and `job_status/` the one picture
//! of a job that `status` and `metrics` both report.

pub mod doctor;
pub mod install;
pub mod job_status;
pub mod logs;
pub mod metrics;
pub mod pause;
pub mod plan;
pub mod run_now;
pub mod status;
pub mod uninstall;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use jiff::Zoned;

use crate::block;
use crate::cli::{TargetArg, TargetArgs};
use crate::config::{self, Config, Job, TargetKind};
use crate::cron_line::{self, Entry, Tools};
use crate::cron_table::Target;
use crate::error::bad_input;
use crate::runtime;

/// Fixes "now" for reproducible output in tests and examples (an RFC 3339 timestamp).
pub const ENV_NOW: &str = "CRONTAINER_NOW";

/// The current time in the host's time zone (`TZ` honoured), or `$CRONTAINER_NOW`.
pub fn now() -> Result<Zoned> {
    let tz = jiff::tz::TimeZone::system();
    match std::env::var(ENV_NOW) {
        Ok(value) if !value.is_empty() => {
            let ts: jiff::Timestamp = value
                .parse()
                .with_context(|| format!("{ENV_NOW}={value:?} is not an RFC 3339 timestamp"))?;
            Ok(ts.to_zoned(tz))
        }
        _ => Ok(Zoned::now().with_time_zone(tz)),
    }
}

/// The target kind and user: flags first, then the config, then the defaults.
pub fn target_settings(
    config: Option<&Config>,
    flags: &TargetArgs,
) -> (TargetKind, Option<String>) {
    let kind = match flags.target {
        Some(TargetArg::Crontab) => TargetKind::Crontab,
        Some(TargetArg::CronD) => TargetKind::CronD,
        None => config.map_or(TargetKind::Crontab, |c| c.target),
    };
    let user = flags
        .user
        .clone()
        .or_else(|| config.and_then(|c| c.user.clone()));
    (kind, user)
}

/// Renders every job of the config for `target`.
pub fn render_entries(
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
            cron_line::render_job(job, tools, user_column)
                .map_err(|e| crate::error::bad_input(format!("{}: {e:#}", config.path.display())))
        })
        .collect()
}

/// The jobs installed in a target, with the block each sits in.
pub struct Installed {
    pub target: Target,
    pub run_as: String,
    pub entries: Vec<(String, Entry)>,
    /// Environment assignments above a block (its name, the line number and text): cron
    /// applies them to the block's lines too.
    pub assignments: Vec<(String, usize, String)>,
}

/// The target the flags and config point at, for block `name` (its cron.d file when the
/// target is cron.d; "crontainer" when no name is known).
pub fn resolve_target(
    config: Option<&Config>,
    flags: &TargetArgs,
    name: Option<&str>,
) -> Result<crate::cron_table::Resolved> {
    let (kind, user) = target_settings(config, flags);
    Target::resolve(kind, user.as_deref(), name.unwrap_or("crontainer"))
}

/// The crontainer blocks a command acts on, each with its parsed entries: block `name`, or every
/// block in `text` when None. Lazy, so a command that stops at the block it wants never reads
/// the ones after it; a block with lines someone added by hand is an error, never guessed at.
pub fn parse_blocks<'a>(
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
        Some(cron_line::parse_body(&body, with_user, &name).map(|entries| (name, entries)))
    }))
}

/// The first firing cron should have started since the line was installed and the job last
/// started or was skipped, if it is more than `grace` seconds past: a job that never fires
/// (a crontab setting `SHELL` to another shell, a cron daemon skipping the crontab) is caught
/// here. `@reboot` jobs are due once per boot after their install. None for a line crontainer
/// 0.1 installed, whose marker does not say when.
pub fn missed_firing(
    rendered: Option<&crate::schedule::Rendered>,
    installed: Option<&str>,
    last: &crate::run_log::LastRun,
    now: &Zoned,
    grace: u64,
) -> Option<Zoned> {
    let installed: jiff::Timestamp = installed?.parse().ok()?;
    let rendered = rendered?;
    let since = [last.started_at(), last.last_skip.as_ref().map(|s| s.at)]
        .into_iter()
        .flatten()
        .fold(installed, jiff::Timestamp::max);
    let due = if rendered.cron.is_reboot() {
        crate::host::boot_time()
            .filter(|boot| *boot > since)?
            .to_zoned(now.time_zone().clone())
    } else {
        crate::schedule::next_runs(rendered, &since.to_zoned(now.time_zone().clone()), 1)
            .into_iter()
            .next()?
    };
    let late = now.timestamp().as_second() - due.timestamp().as_second();
    (late > grace as i64).then_some(due)
}

/// A missed firing in words, as `status` and `doctor` say it.
pub fn missed_words(due: &Zoned) -> String {
    format!(
        "missed: cron should have started it at {}; no start since",
        due.strftime("%Y-%m-%d %H:%M %Z")
    )
}

/// What an environment assignment above block `name` does to it, in words for `status` and
/// `doctor`; None when the block has none above it.
pub fn environment_problem(installed: &Installed, name: &str) -> Option<String> {
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

/// Reads the installed jobs: of block `name`, or of every crontainer block when None.
pub fn read_installed(
    kind: TargetKind,
    user: Option<&str>,
    name: Option<&str>,
) -> Result<Installed> {
    let resolved = Target::resolve(kind, user, name.unwrap_or("crontainer"))?;
    let text = resolved.target.read()?;
    let mut entries = Vec::new();
    let mut assignments = Vec::new();
    for block in parse_blocks(&text, name, resolved.target.with_user_column())? {
        let (name, parsed) = block?;
        for (line, assignment) in block::assignments_above(&text, &name)? {
            assignments.push((name.clone(), line, assignment));
        }
        entries.extend(parsed.into_iter().map(|entry| (name.clone(), entry)));
    }
    Ok(Installed {
        target: resolved.target,
        run_as: resolved.run_as,
        entries,
        assignments,
    })
}

/// The outcome of writing a changed text into a target.
pub struct Applied {
    /// The text differed (whether or not it was written: see `dry_run`).
    pub changed: bool,
    pub diff: String,
    /// Where the previous text was saved, when something was written.
    pub backup: Option<std::path::PathBuf>,
}

impl Applied {
    /// The `--json` report of a command that edits a target: whether it changed anything (or
    /// would, in a dry run), the backup and the diff, with the command's own `fields` added.
    /// `changed` may be wider than the text (install counts a new logrotate file too).
    pub fn report(
        &self,
        changed: bool,
        dry_run: bool,
        fields: serde_json::Value,
    ) -> serde_json::Value {
        let mut report = serde_json::json!({
            "version": crate::ui::JSON_VERSION,
            "changed": changed && !dry_run,
            "would_change": changed,
            "dry_run": dry_run,
            "backup": self.backup,
            "diff": self.diff,
        });
        if let (Some(map), serde_json::Value::Object(fields)) = (report.as_object_mut(), fields) {
            map.extend(fields);
        }
        report
    }

    /// Says where the previous text was saved, when something was written.
    pub fn say_backup(&self) {
        if let Some(backup) = &self.backup {
            crate::ui::say(&format!("previous version saved to {}", backup.display()));
        }
    }
}

/// Writes `new` over `old` when they differ and this is not a dry run: a backup of `old`
/// first, then the write. The caller holds the target's lock across its read and this call.
/// The diff is colored for a terminal, never in `json` output.
pub fn apply(target: &Target, old: &str, new: &str, dry_run: bool, json: bool) -> Result<Applied> {
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
pub fn drift(
    config_runtime: &str,
    job: &Job,
    installed: &Entry,
    user_column: Option<&str>,
    with_user: bool,
) -> Result<Vec<String>> {
    let tools = tools_like(config_runtime, installed);
    let wanted = cron_line::render_job(job, &tools, user_column)?;
    Ok(describe_drift(&wanted, installed, with_user))
}

/// The tools to render the config's line with when comparing it to an installed entry: the
/// installed runtime when the config names the same program, so a `docker` found elsewhere on
/// this shell's PATH (sudo's, say) is not reported as drift.
fn tools_like(config_runtime: &str, installed: &Entry) -> Tools {
    let (mut tools, _) = crate::runtime::resolve_tools(config_runtime);
    if !config_runtime.starts_with('/')
        && installed.marker.runtime.file_name() == Some(std::ffi::OsStr::new(config_runtime))
    {
        tools.runtime = installed.marker.runtime.clone();
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
    let (Some(w), Some(i)) = (
        cron_line::parse_line(&wanted.line, with_user),
        cron_line::parse_line(installed.active_line(), with_user),
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
    if wanted.marker != installed.marker && what.is_empty() {
        what.push("log or description");
    }
    vec![format!(
        "drifted from the config ({} differs): run `crontainer install`",
        what.join(", ")
    )]
}

/// The job to act on: its installed entry, or one rendered from the config with a notice.
pub struct Found {
    pub entry: Entry,
    /// The user the job runs as.
    pub run_as: String,
    pub with_user_column: bool,
    pub installed: bool,
}

/// Finds `id` in what is installed, falling back to the config.
pub fn find_job(id: &str, config_path: Option<&Path>, flags: &TargetArgs) -> Result<Found> {
    let config = config::load_optional(config_path)?;
    let (kind, user) = target_settings(config.as_ref(), flags);
    let name = config.as_ref().map(|c| c.name.clone());
    let installed = read_installed(kind, user.as_deref(), name.as_deref())?;
    let with_user_column = installed.target.with_user_column();
    if let Some((_, entry)) = installed.entries.iter().find(|(_, e)| e.marker.id == id) {
        let run_as = cron_line::parse_line(entry.active_line(), with_user_column)
            .and_then(|p| p.user)
            .unwrap_or_else(|| installed.run_as.clone());
        return Ok(Found {
            entry: entry.clone(),
            run_as,
            with_user_column,
            installed: true,
        });
    }
    match config.as_ref().and_then(|c| c.job(id).map(|j| (c, j))) {
        Some((config, job)) => {
            let tools = runtime::require_tools(&config.runtime)?;
            let entry = cron_line::render_job(job, &tools, None)?;
            Ok(Found {
                entry,
                run_as: installed.run_as,
                with_user_column: false,
                installed: false,
            })
        }
        None => {
            let ids: Vec<&str> = installed
                .entries
                .iter()
                .map(|(_, e)| e.marker.id.as_str())
                .collect();
            Err(bad_input(format!(
                "job {id:?} is not installed in {}{} and not in a config; installed: {}",
                installed.target.describe(),
                name.map(|n| format!(" (block `{n}`)")).unwrap_or_default(),
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            )))
        }
    }
}

/// Copies what is appended to a file onto stdout.
pub struct Follower {
    pub offset: u64,
}

impl Follower {
    pub fn pump(&mut self, path: &Path) -> Result<()> {
        let Ok(mut file) = std::fs::File::open(path) else {
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
        let mut buf = Vec::with_capacity((len - self.offset) as usize);
        file.take(len - self.offset).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        let mut out = std::io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
        Ok(())
    }
}
