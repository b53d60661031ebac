//! What a command writes into a target: the edited text applied with a backup and a diff, and
//! the `--json` report of it. `render` makes the lines a config would install.

pub(crate) mod render;

use std::path::Path;

use anyhow::Result;

use crate::block;
use crate::cron_table::Target;
use crate::line::{self, Entry};

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
