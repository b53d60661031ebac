//! The block's metrics line (`[monitoring] textfile_dir`): `crontainer metrics` every minute,
//! under a marker of its own, always last in the block. Unchanged since 0.2, which wrote it the
//! same way.

use std::path::{Path, PathBuf};

use super::read::parse_line;
use crate::shell::{escape_percent, quote};

fn path_word(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// What stands above the metrics line in a block: crontainer's marker naming the directory.
pub const TEXTFILE_PREFIX: &str = "# crontainer:metrics textfile=";

/// The block's metrics line (`[monitoring] textfile_dir`): every minute, the crontainer binary
/// writes the block's gauges to its own file in `DIR` for node_exporter's textfile collector.
/// It reads the config (the block's jobs), unlike a job's runner line, which carries its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Textfile {
    pub dir: PathBuf,
    pub line: String,
}

impl Textfile {
    /// The line for `exe metrics` reading `config`'s block in `target` (`crontab` or `cron.d`,
    /// `run_as`'s), writing into `dir`. `user_column` as for jobs.
    pub fn render(
        exe: &Path,
        config: &Path,
        target: &str,
        run_as: &str,
        dir: &Path,
        user_column: Option<&str>,
        escape: bool,
    ) -> Textfile {
        let command = format!(
            "{} metrics -q -c {} --target {target} --user {} --textfile {}",
            path_word(exe),
            path_word(config),
            quote(run_as),
            path_word(dir)
        );
        let command = if escape {
            escape_percent(&command)
        } else {
            command
        };
        let line = match user_column {
            Some(user) => format!("* * * * * {user} {command}"),
            None => format!("* * * * * {command}"),
        };
        Textfile {
            dir: dir.to_path_buf(),
            line,
        }
    }

    pub fn marker(&self) -> String {
        format!("{TEXTFILE_PREFIX}{}", self.dir.display())
    }

    /// Reads a marker and its line back; None if they are not exactly what crontainer writes.
    pub(super) fn parse(marker: &str, line: &str, with_user: bool) -> Option<Textfile> {
        let dir = marker.strip_prefix(TEXTFILE_PREFIX)?;
        if dir.is_empty() || dir.contains(char::is_whitespace) {
            return None;
        }
        let parsed = parse_line(line, with_user)?;
        let ours = parsed.cron == "* * * * *"
            && parsed.command.contains(" metrics -q -c ")
            && parsed
                .command
                .ends_with(&format!(" --textfile {}", quote(dir)));
        ours.then(|| Textfile {
            dir: PathBuf::from(dir),
            line: line.to_string(),
        })
    }
}

/// The block's metrics line, if its body has one (always its last two lines).
pub fn parse_textfile(body: &[String], with_user: bool) -> Option<Textfile> {
    match body {
        [.., marker, line] => Textfile::parse(marker, line, with_user),
        _ => None,
    }
}
