//! A job in a block: its marker comment ([`marker`]) and its one cron line, which runs the
//! runner (`/ABS/crontainer exec ...`, [`render`]), plus, with `catch_up`, its `@reboot` line;
//! the block's metrics line ([`textfile`]); and reading all of them back ([`read`], and the
//! frozen [`legacy`] reader of the shell lines 0.1 and 0.2 wrote). See `docs/ARCHITECTURE.md`,
//! "The line contract".
//!
//! A block body is the header, then each job's marker and line (and catch-up line), then the
//! metrics line if any. Reading refuses anything crontainer did not write: a runner line that
//! disagrees with its marker (another id, log, runtime, container or service) is a damaged
//! entry, never guessed at.

pub mod legacy;
pub mod marker;
pub mod read;
pub mod render;
pub mod textfile;

#[cfg(test)]
mod tests;

use anyhow::Result;

pub use marker::{MARKER_PREFIX, Marker, Paused};
pub use read::{ParsedLine, RunnerLine, parse_line};
pub use render::{Tools, render_job};
pub use textfile::{TEXTFILE_PREFIX, Textfile, parse_textfile};

use crate::config::ContainerRef;
use crate::error::bad_input;

/// The longest line we write. Debian's cron 3.0pl1 refuses a crontab whose command exceeds its
/// MAX_COMMAND buffer (1000 bytes with the newline and NUL), with "command too long"; cronie
/// silently truncates far later. Counting the whole line (schedule and user column too) keeps
/// us inside the stricter one.
pub const MAX_LINE: usize = 998;

/// The first line of every block body: tells a reader of `crontab -l` where the lines come from.
pub const HEADER: &str =
    "# Managed by crontainer: edit its config and run `crontainer install`; do not edit below.";

/// What a paused job's line starts with: a comment to cron, undone exactly by `resume`.
pub const PAUSED_PREFIX: &str = "#paused# ";

/// Compose's labels on every container it makes (docker/compose `api.ProjectLabel`, ...): a
/// `--service` line runs in the container that carries them.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
pub const SERVICE_LABEL: &str = "com.docker.compose.service";

/// The exit code and end line reason of a firing that finds no running container of its
/// service (sysexits' EX_UNAVAILABLE), and of one whose service runs in several Compose projects
/// while the line names none (EX_CONFIG: the config must say which). Part of what a line means,
/// since 0.2: its lines log them too.
pub const EXIT_NO_CONTAINER: i32 = 69;
pub const EXIT_SEVERAL_PROJECTS: i32 = 78;
pub const REASON_NO_CONTAINER: &str = "no_container";
pub const REASON_SEVERAL_PROJECTS: &str = "several_projects";

/// Whether a crontab text holds a line that pings a healthcheck, hence its URL: a secret, since
/// whoever has it can report the check's runs (a cron.d file holding one is written 0600).
pub fn holds_ping(text: &str) -> bool {
    legacy::holds_ping(text) || text.contains(" --ping ")
}

/// One job as it stands in a block: its marker, its cron line and, with `catch_up`, its
/// `@reboot` line (both commented out with [`PAUSED_PREFIX`] while paused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub marker: Marker,
    pub line: String,
    pub catch_up: Option<String>,
}

impl Entry {
    /// The cron line as it runs when the job is not paused.
    pub fn active_line(&self) -> &str {
        self.line.strip_prefix(PAUSED_PREFIX).unwrap_or(&self.line)
    }

    pub fn is_paused(&self) -> bool {
        self.marker.paused.is_some()
    }

    /// Whether the entry is one of the shell lines 0.1 or 0.2 wrote (`install` upgrades it).
    pub fn is_legacy(&self) -> bool {
        // With a user column (cron.d) or without, a runner line's command starts with the
        // binary's path; none of the 0.1/0.2 commands (`[`, `L=`, `export`, `CRONTAINER_BY=`)
        // does, whichever word is taken for a user column.
        ![false, true].into_iter().any(|with_user| {
            parse_line(self.active_line(), with_user).is_some_and(|p| !p.is_legacy())
        })
    }

    /// The entry as the config renders it: not paused, no install time. Two entries that are
    /// the same job line compare equal this way.
    pub fn as_rendered(&self) -> Entry {
        self.with_paused(None).with_installed(None)
    }

    /// The entry installed at `at` (None: not yet): the marker's `installed`, and the catch-up
    /// line's `--since`, which must not run for a firing due before it.
    pub fn with_installed(&self, at: Option<String>) -> Entry {
        let mut entry = self.clone();
        entry.catch_up = self
            .catch_up
            .as_deref()
            .map(|line| with_since(line, at.as_deref()));
        entry.marker.installed = at;
        entry
    }

    /// The entry with its lines naming block `block` (`--block`), or none: the lines 0.3
    /// wrote before the runner recorded the block have none, and are the same job as the
    /// lines that name it (`install` keeps their install time; `status` calls them in step).
    pub fn with_block(&self, block: Option<&str>) -> Entry {
        let set =
            |line: &str| with_runner_args(line, |args| args.block = block.map(str::to_string));
        Entry {
            marker: self.marker.clone(),
            line: set(&self.line),
            catch_up: self.catch_up.as_deref().map(set),
        }
    }

    /// The block the entry's runner line names (`--block`); None for a line without one.
    pub fn block(&self) -> Option<String> {
        [false, true]
            .into_iter()
            .filter_map(|with_user| parse_line(self.active_line(), with_user)?.runner()?.ok())
            .find_map(|runner| runner.args.block)
    }

    /// The entry paused (`Some`) or resumed (`None`), the line commented out or restored.
    pub fn with_paused(&self, paused: Option<Paused>) -> Entry {
        let set = |line: &str| {
            let active = line.strip_prefix(PAUSED_PREFIX).unwrap_or(line);
            match paused {
                Some(_) => format!("{PAUSED_PREFIX}{active}"),
                None => active.to_string(),
            }
        };
        Entry {
            marker: Marker {
                paused: paused.clone(),
                ..self.marker.clone()
            },
            line: set(&self.line),
            catch_up: self.catch_up.as_deref().map(set),
        }
    }
}

/// A runner catch-up line with its `--since` set (or removed); a 0.2 line as it is.
fn with_since(line: &str, since: Option<&str>) -> String {
    with_runner_args(line, |args| args.since = since.map(str::to_string))
}

/// A runner line (a job's or its catch-up line, active or paused, with a user column or not)
/// with its runner arguments changed by `change`, written again as the renderer writes it; a
/// 0.1/0.2 line, or anything that does not read as a runner line, as it is.
fn with_runner_args(
    line: &str,
    change: impl FnOnce(&mut crate::runner_args::RunnerArgs),
) -> String {
    let (paused, active) = match line.strip_prefix(PAUSED_PREFIX) {
        Some(active) => (PAUSED_PREFIX, active),
        None => ("", line),
    };
    // A runner command starts with the binary's absolute path, and a user name never does:
    // without a user column the command of a cron.d line would start with the user.
    let Some(parsed) = [false, true]
        .into_iter()
        .filter_map(|with_user| parse_line(active, with_user))
        .find(|p| p.command.starts_with('/'))
    else {
        return line.to_string();
    };
    let Some(Ok(mut runner)) = parsed.runner() else {
        return line.to_string();
    };
    change(&mut runner.args);
    // Escaped unless the line carries a bare `%` (busybox's crond): `quote` writes no `\`.
    let escape = active.contains("\\%") || !active.contains('%');
    let command = render::runner_command(&runner.binary, &runner.args, escape);
    format!(
        "{paused}{}",
        render::line(&parsed.cron, parsed.user.as_deref(), &command)
    )
}

/// The block body for these entries: the header, then each marker and line (and catch-up
/// line).
pub fn render_body(entries: &[Entry]) -> Vec<String> {
    let mut body = vec![HEADER.to_string()];
    for entry in entries {
        body.push(entry.marker.to_line());
        body.push(entry.line.clone());
        body.extend(entry.catch_up.iter().cloned());
    }
    body
}

/// [`render_body`], with the block's metrics line last when there is one.
pub fn render_body_with(entries: &[Entry], textfile: Option<&Textfile>) -> Vec<String> {
    let mut body = render_body(entries);
    if let Some(textfile) = textfile {
        body.push(textfile.marker());
        body.push(textfile.line.clone());
    }
    body
}

/// Where a runner line disagrees with its marker, or names another block than the one it is in,
/// in words; None when they agree.
fn disagreement(marker: &Marker, runner: &RunnerLine, block: &str) -> Option<String> {
    let args = &runner.args;
    let env: Vec<String> = marker
        .runtime_env
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let container = match &marker.container {
        ContainerRef::Name(name) => args.service.is_none() && args.container() == Some(name),
        ContainerRef::Service { service, project } => {
            args.service.as_ref() == Some(service) && &args.project == project
        }
    };
    [
        (args.job != marker.id, "job id"),
        (args.log != marker.log, "log"),
        (args.runtime != marker.runtime, "runtime"),
        (args.runtime_env != env, "runtime_env"),
        (!container, "container or service"),
        (args.every != marker.every, "interval"),
    ]
    .into_iter()
    .find(|(differs, _)| *differs)
    .map(|(_, what)| format!("its line names another {what} than its marker"))
    .or_else(|| {
        // A line without `--block` (written before it existed) is the block's where it stands.
        args.block
            .as_deref()
            .filter(|named| *named != block)
            .map(|named| format!("its line names block `{named}`, not the one it is in"))
    })
}

/// Whether `catch_up` (active) is the catch-up line of the job line `line` (active).
fn is_catch_up_of(catch_up: &str, line: &str, with_user: bool) -> bool {
    let (Some(c), Some(l)) = (parse_line(catch_up, with_user), parse_line(line, with_user)) else {
        return false;
    };
    match (c.runner(), l.runner()) {
        (None, None) => legacy::is_catch_up_of(catch_up, line, with_user),
        (Some(Ok(c_run)), Some(Ok(l_run))) => {
            let schedule_ok = match &l_run.args.every {
                Some(_) => c_run.args.schedule.is_none(),
                None => c_run.args.schedule.as_deref() == Some(l.cron.as_str()),
            };
            c.cron == "@reboot"
                && c.user == l.user
                && c_run.binary == l_run.binary
                && c_run.args.catch_up
                && schedule_ok
                && crate::runner_args::RunnerArgs {
                    catch_up: false,
                    schedule: None,
                    since: None,
                    catch_up_within: None,
                    ..c_run.args
                } == l_run.args
        }
        _ => false,
    }
}

/// Reads a block body back into entries, refusing anything crontainer did not write: the
/// header first, then marker and line pairs.
pub fn parse_body(body: &[String], with_user: bool, block: &str) -> Result<Vec<Entry>> {
    let refuse = |what: String| {
        bad_input(format!(
            "the block `crontainer:{block}` was edited by hand: {what}; move your own lines \
             outside the `# BEGIN crontainer:{block}` ... `# END crontainer:{block}` lines, or \
             delete the block and run `crontainer install` again"
        ))
    };
    let mut lines = body.iter();
    match lines.next() {
        Some(first) if first == HEADER => {}
        Some(first) => {
            return Err(refuse(format!(
                "its first line is {first:?}, not crontainer's header"
            )));
        }
        None => return Err(refuse("it is empty".to_string())),
    }
    let mut entries: Vec<Entry> = Vec::new();
    while let Some(marker_line) = lines.next() {
        if marker_line.starts_with(TEXTFILE_PREFIX) {
            let line = lines.next().map(String::as_str).unwrap_or_default();
            if Textfile::parse(marker_line, line, with_user).is_none() {
                return Err(refuse(format!(
                    "{line:?} is not the metrics line crontainer writes under {marker_line:?}"
                )));
            }
            if let Some(after) = lines.next() {
                return Err(refuse(format!(
                    "{after:?} follows the metrics line, which crontainer writes last"
                )));
            }
            break;
        }
        let marker = Marker::parse(marker_line)
            .ok_or_else(|| refuse(format!("{marker_line:?} is not a crontainer job marker")))?;
        let line = lines
            .next()
            .ok_or_else(|| refuse(format!("job {:?} has a marker but no cron line", marker.id)))?;
        let active = match (&marker.paused, line.strip_prefix(PAUSED_PREFIX)) {
            (Some(_), Some(active)) => active,
            (None, None) => line.as_str(),
            (Some(_), None) => {
                return Err(refuse(format!(
                    "job {:?} is marked paused but its line is active",
                    marker.id
                )));
            }
            (None, Some(_)) => {
                return Err(refuse(format!(
                    "job {:?} has a paused line but no pause in its marker",
                    marker.id
                )));
            }
        };
        let parsed = match parse_line(active, with_user) {
            Some(parsed) if !active.starts_with('#') => parsed,
            _ => {
                return Err(refuse(format!(
                    "job {:?}: {line:?} is not a cron line",
                    marker.id
                )));
            }
        };
        match parsed.runner() {
            Some(Err(why)) => {
                return Err(refuse(format!(
                    "job {:?}: its line is not crontainer's runner line: {why}",
                    marker.id
                )));
            }
            Some(Ok(runner)) => {
                if let Some(why) = disagreement(&marker, &runner, block) {
                    return Err(refuse(format!("job {:?}: {why}", marker.id)));
                }
            }
            None => {}
        }
        if entries.iter().any(|e| e.marker.id == marker.id) {
            return Err(refuse(format!("job {:?} appears twice", marker.id)));
        }
        let catch_up = if marker.catch_up {
            let catch_up = lines.next().ok_or_else(|| {
                refuse(format!(
                    "job {:?} has `catch_up=true` in its marker but no catch-up line",
                    marker.id
                ))
            })?;
            let paused_alike = catch_up.starts_with(PAUSED_PREFIX) == marker.paused.is_some();
            let active_catch_up = catch_up.strip_prefix(PAUSED_PREFIX).unwrap_or(catch_up);
            if !paused_alike || !is_catch_up_of(active_catch_up, active, with_user) {
                return Err(refuse(format!(
                    "job {:?}: {catch_up:?} is not its catch-up line",
                    marker.id
                )));
            }
            Some(catch_up.clone())
        } else {
            None
        };
        entries.push(Entry {
            marker,
            line: line.clone(),
            catch_up,
        });
    }
    Ok(entries)
}
