//! Whether a block's metrics line (`[monitoring] textfile_dir`) works: it is the one line that
//! runs the crontainer binary and reads the config, every minute, as the block's user, so a
//! binary deleted or a config moved makes it fail every minute, in silence (cron's mail goes
//! nowhere), while the block's file in node_exporter's directory quietly goes stale (issue 25).
//! `status` and `doctor` both ask here.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::commands::installed::Installed;
use crate::config::TargetKind;
use crate::host::{self, Need};

use super::textfile;

/// The line runs every minute: a file older than this missed at least two refreshes.
pub(crate) const STALE_AFTER_SECONDS: u64 = 180;

/// What is wrong with the metrics lines of the blocks in `installed`, one sentence each, naming
/// the block; empty when every line can run and its file is fresh. `now` is the real clock
/// (file times are real).
pub(crate) fn problems(installed: &Installed, now: SystemTime) -> Vec<String> {
    let mut problems = Vec::new();
    for (block, line) in &installed.textfiles {
        let with_user = installed.target.with_user_column();
        let Some(parsed) = crate::line::parse_line(&line.line, with_user) else {
            continue;
        };
        let user_name = parsed
            .user
            .clone()
            .unwrap_or_else(|| installed.run_as.clone());
        let words = shell_words(&parsed.command);
        let exe = words.first().map(PathBuf::from);
        let config = words
            .iter()
            .position(|w| w == "-c")
            .and_then(|i| words.get(i + 1))
            .map(PathBuf::from);
        let said = |what: String| {
            format!("the metrics line of block `{block}` {what}: it fails every minute")
        };
        // Access is asked as the line's user: root can, anyone else only for themselves.
        let user = nix::unistd::User::from_name(&user_name)
            .ok()
            .flatten()
            .filter(|_| host::is_root() || user_name == host::current_user());
        for (what, path, need) in [
            ("runs the crontainer binary", exe, Need::Search),
            ("reads the config", config, Need::Read),
        ] {
            let Some(path) = path else { continue };
            if !path.exists() {
                problems.push(format!(
                    "{}; fix: `crontainer install` again (from the binary and config to keep)",
                    said(format!("{what} {}, which is gone", path.display()))
                ));
                continue;
            }
            if let Some(user) = &user
                && let Ok(Some(denied)) = host::denied_as(user, &path, need)
            {
                problems.push(format!(
                    "{}; fix: give {user_name} access to it",
                    said(format!(
                        "{what} {} as {user_name}, but {}",
                        path.display(),
                        denied.describe(&user_name)
                    ))
                ));
            }
        }
        let owner = match installed.target.kind() {
            TargetKind::Crontab => installed.run_as.as_str(),
            TargetKind::CronD => user_name.as_str(),
        };
        let file = line
            .dir
            .join(textfile::file_name(installed.target.kind(), owner, block));
        if let Some(stale) = staleness(&file, installed, block, now) {
            problems.push(format!("the metrics of block `{block}`: {stale}"));
        }
    }
    problems
}

/// Why the block's file is not fresh, if it is not.
fn staleness(file: &Path, installed: &Installed, block: &str, now: SystemTime) -> Option<String> {
    match std::fs::metadata(file).and_then(|m| m.modified()) {
        Ok(written) => {
            let age = now.duration_since(written).unwrap_or_default().as_secs();
            (age > STALE_AFTER_SECONDS).then(|| {
                format!(
                    "{} was last written {} ago, though the metrics line runs every minute \
                     (`crontainer metrics --textfile {}` by hand says why)",
                    file.display(),
                    crate::ui::human_duration(age),
                    file.parent().unwrap_or(Path::new("/")).display()
                )
            })
        }
        Err(_) => {
            // A block installed in the last minutes has not been refreshed yet.
            let installed_at = installed
                .entries
                .iter()
                .filter(|(b, _)| b == block)
                .filter_map(|(_, e)| {
                    e.marker
                        .installed
                        .as_deref()?
                        .parse::<jiff::Timestamp>()
                        .ok()
                })
                .max();
            let now = jiff::Timestamp::try_from(now).ok()?;
            let recent = installed_at
                .is_some_and(|at| now.as_second() - at.as_second() <= STALE_AFTER_SECONDS as i64);
            (!recent).then(|| {
                format!(
                    "{} has not been written, though the metrics line runs every minute \
                     (`crontainer metrics --textfile {}` by hand says why)",
                    file.display(),
                    file.parent().unwrap_or(Path::new("/")).display()
                )
            })
        }
    }
}

/// The words of a command crontainer wrote (`shell::quote`'s words: bare, or single-quoted
/// with `'"'"'` for a quote; never a backslash).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, ' ' | '\t') => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[cfg(test)]
mod tests {
    use super::shell_words;

    #[test]
    fn the_words_of_a_metrics_line_come_back() {
        assert_eq!(
            shell_words("/usr/bin/crontainer metrics -q -c '/etc/my conf'\"'\"'s.toml' --user u"),
            [
                "/usr/bin/crontainer",
                "metrics",
                "-q",
                "-c",
                "/etc/my conf's.toml",
                "--user",
                "u"
            ]
        );
        assert_eq!(shell_words("a ''  b"), ["a", "", "b"]);
    }
}
