//! Log rotation through the host's logrotate: for root installs, one file
//! `/etc/logrotate.d/crontainer-<block>` covering the block's logs.
//!
//! `copytruncate` rotates by copying the log and truncating it in place, so a running job's
//! `>>` keeps writing to the same file (a `create` rotation would leave it writing into the
//! renamed copy). logrotate refuses a log whose directory is writable by a non-root user unless
//! the stanza names that user with `su`, so each stanza carries its directory's owner.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::Rotate;

/// Overrides /etc/logrotate.d (for tests).
pub const ENV_DIR: &str = "CRONTAINER_LOGROTATE_DIR";

/// The file for block `name`.
pub fn path(name: &str) -> PathBuf {
    let dir = std::env::var_os(ENV_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/logrotate.d"));
    dir.join(format!("crontainer-{name}"))
}

/// Whether crontainer manages rotation here: as root (or with the directory overridden).
pub fn enabled() -> bool {
    crate::host::is_root() || std::env::var_os(ENV_DIR).is_some()
}

/// The first line: the settings, so a later `uninstall JOB` without a config can rewrite it.
fn header(name: &str, rotate: &Rotate) -> String {
    format!(
        "# crontainer:{name} size={} keep={}",
        rotate.size, rotate.keep
    )
}

/// The settings recorded in an existing file.
pub fn parse_settings(text: &str) -> Option<Rotate> {
    let first = text.lines().next()?.strip_prefix("# crontainer:")?;
    let mut rotate = Rotate::default();
    for field in first.split(' ').skip(1) {
        match field.split_once('=')? {
            ("size", v) => rotate.size = v.to_string(),
            ("keep", v) => rotate.keep = v.parse().ok()?,
            _ => return None,
        }
    }
    Some(rotate)
}

/// `su USER GROUP` when the log's directory is not root's alone.
fn su_line(log: &Path) -> Option<String> {
    let dir = log.parent()?;
    let meta = std::fs::metadata(dir).ok()?;
    if meta.uid() == 0 && meta.mode() & 0o022 == 0 {
        return None;
    }
    let user = crate::host::user_name(meta.uid());
    let group = crate::host::group_name(meta.gid());
    // logrotate's `su` takes names; an owner without one gets no `su` line.
    if user == meta.uid().to_string() || group == meta.gid().to_string() {
        return None;
    }
    Some(format!("\tsu {user} {group}\n"))
}

/// The file's text for these logs.
pub fn render(name: &str, logs: &[PathBuf], rotate: &Rotate) -> String {
    let mut text = format!(
        "{}\n# Managed by crontainer: rotates the logs of block `{name}`; `crontainer uninstall` removes it.\n",
        header(name, rotate)
    );
    for log in logs {
        text.push_str(&format!(
            "{} {{\n{}\tsize {}\n\trotate {}\n\tcopytruncate\n\tmissingok\n\tnotifempty\n\tcompress\n\tdelaycompress\n}}\n",
            log.display(),
            su_line(log).unwrap_or_default(),
            rotate.size,
            rotate.keep
        ));
    }
    text
}

/// Writes (or, with no logs, removes) the block's file; returns its path when it changed.
pub fn sync(name: &str, logs: &[PathBuf], rotate: &Rotate) -> Result<Option<PathBuf>> {
    let path = path(name);
    let old = std::fs::read_to_string(&path).ok();
    if logs.is_empty() {
        return match old {
            Some(_) => {
                std::fs::remove_file(&path)
                    .with_context(|| format!("could not remove {}", path.display()))?;
                Ok(Some(path))
            }
            None => Ok(None),
        };
    }
    let text = render(name, logs, rotate);
    if old.as_deref() == Some(text.as_str()) {
        return Ok(None);
    }
    // logrotate skips a config file that others may write.
    crate::cron_table::write_atomically(&path, text.as_bytes(), 0o644)?;
    Ok(Some(path))
}

/// The current settings of block `name`'s file, if it exists.
pub fn existing_settings(name: &str) -> Option<Rotate> {
    parse_settings(&std::fs::read_to_string(path(name)).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_header() {
        let rotate = Rotate {
            size: "500k".into(),
            keep: 12,
        };
        let text = render("web", &[PathBuf::from("/var/log/a.log")], &rotate);
        assert_eq!(parse_settings(&text), Some(rotate));
        assert!(text.contains("/var/log/a.log {\n"), "{text}");
        assert!(text.contains("\tcopytruncate\n"), "{text}");
    }
}
