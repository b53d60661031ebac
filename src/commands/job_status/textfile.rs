//! A block's metrics file in node_exporter's textfile directory: one file per block, keyed by
//! target, user and block as `logrotate` keys its files (`crontainer-crontab-<user>+<block>.prom`,
//! `crontainer-crond+<block>.prom`), so two blocks sharing the directory never overwrite each
//! other (issue 25: with one `crontainer.prom` for every block, each block's refresh dropped the
//! other's jobs, and the fresh mtime hid it). `metrics --textfile` writes it, `uninstall` removes
//! it with its block, and a refresh that read its whole scope removes those of blocks gone.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::TargetKind;

/// The one file crontainer before 0.3 wrote for every block in the directory.
pub(crate) const LEGACY_NAME: &str = "crontainer.prom";

/// The file name of the metrics of `block` in `kind` of `user` (the crontab's owner; a cron.d
/// block is its own file whatever user its lines run as). `+` appears in neither a user nor a
/// block name, so no two keys meet; node_exporter reads only names ending in `.prom`.
pub(crate) fn file_name(kind: TargetKind, user: &str, block: &str) -> String {
    match kind {
        TargetKind::Crontab => format!("crontainer-crontab-{user}+{block}.prom"),
        TargetKind::CronD => format!("crontainer-crond+{block}.prom"),
        TargetKind::Systemd => format!("crontainer-systemd+{block}.prom"),
    }
}

/// The metrics files a refresh answers for in a target it read whole, to remove those of
/// blocks that are gone: block `block`'s file, or (None) every block's of that kind and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owned {
    One(String),
    /// The name's start, up to the block.
    Every(String),
}

impl Owned {
    pub(crate) fn new(kind: TargetKind, user: &str, block: Option<&str>) -> Owned {
        match block {
            Some(block) => Owned::One(file_name(kind, user, block)),
            None => Owned::Every(
                file_name(kind, user, "")
                    .trim_end_matches(".prom")
                    .to_string(),
            ),
        }
    }

    fn covers(&self, name: &str) -> bool {
        match self {
            Owned::One(one) => name == one,
            // `+` ends the user, and no block name holds one.
            Owned::Every(start) => name
                .strip_prefix(start.as_str())
                .and_then(|rest| rest.strip_suffix(".prom"))
                .is_some_and(|block| !block.is_empty() && !block.contains('+')),
        }
    }
}

/// Removes the files in `dir` that `owned` covers but this refresh did not write (`written`):
/// those of blocks no longer installed, which would go on exporting their jobs (issue 25; a
/// block's `uninstall` removes its file only when the block's own metrics line wrote it). Only
/// what crontainer wrote (a regular file starting with its HELP line, not followed through a
/// symlink) is touched. The paths removed.
pub(crate) fn remove_unowned(
    dir: &Path,
    owned: &[Owned],
    written: &[String],
) -> Result<Vec<PathBuf>> {
    if owned.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !written.contains(n) && owned.iter().any(|o| o.covers(n)))
        .collect();
    names.sort();
    let mut removed = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let head = crate::safe_file::read_bounded(&path, 64).ok().flatten();
        if head.is_some_and(|h| h.starts_with(b"# HELP crontainer_")) && remove(dir, &name)? {
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Writes `text` to `dir/name` atomically: a temp file in the same directory (a name
/// node_exporter does not read), synced, then renamed over it, so a reader sees the old file or
/// the new one, never a part.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;

    let path = dir.join(name);
    let context = || format!("could not write {}", path.display());
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(dir)
        .with_context(context)?;
    file.write_all(text.as_bytes()).with_context(context)?;
    // tempfile creates 0600; node_exporter runs as its own user and must read it.
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(context)?;
    file.as_file().sync_all().with_context(context)?;
    file.persist(&path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(path)
}

/// Removes `dir/name`; a file already gone is no error. Whether there was one.
pub(crate) fn remove(dir: &Path, name: &str) -> Result<bool> {
    let path = dir.join(name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("could not remove {}", path.display())),
    }
}

/// Removes the metrics file of installed block `block` of `target` (its lines running as
/// `run_as`), in the directory its metrics line names: when the block goes (`uninstall`,
/// `install --replace`), found from what is installed, not from a config. The path is one a
/// user may have written (their crontab's block), and could lead into root's textfile
/// directory: as root, a block someone else may write has its file removed by a process that
/// has become them, so root removes only what they could remove themselves. The path removed,
/// None when there was none.
pub(crate) fn remove_installed(
    target: &crate::cron_table::Target,
    run_as: &str,
    block: &str,
    textfile: &crate::line::Textfile,
) -> Result<Option<PathBuf>> {
    let name = file_name(target.kind(), run_as, block);
    let path = textfile.dir.join(&name);
    let writer = crate::commands::trust::written_by(target).filter(|_| crate::host::is_root());
    let removed = match writer {
        None => remove(&textfile.dir, &name)?,
        Some(user) => {
            let account = nix::unistd::User::from_name(&user)
                .ok()
                .flatten()
                .with_context(|| format!("could not remove {}: no user {user}", path.display()))?;
            let as_user = crate::safe_file::AsUser::of(&account)?;
            crate::safe_file::remove_as(&as_user, &path)
                .with_context(|| format!("could not remove {} as {user}", path.display()))?
        }
    };
    Ok(removed.then_some(path))
}

/// Removes the file of an older crontainer, `dir/crontainer.prom`, once every block it holds
/// samples of has a file of its own beside it: left in place, it would export the same jobs twice
/// and, no longer refreshed, fire the staleness alert. Until then it is the last word of a block
/// whose own refresh has not run yet.
pub(crate) fn remove_legacy_if_covered(dir: &Path) -> Result<bool> {
    let path = dir.join(LEGACY_NAME);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(false);
    };
    if !text.starts_with("# HELP crontainer_") {
        return Ok(false);
    }
    let own_files: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("crontainer-") && n.ends_with(".prom"))
        .collect();
    let covered = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split("block=\"").nth(1)?.split('"').next())
        .all(|block| {
            let suffix = format!("+{block}.prom");
            own_files.iter().any(|n| n.ends_with(&suffix))
        });
    if !covered {
        return Ok(false);
    }
    remove(dir, LEGACY_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_by_target_user_and_block() {
        assert_eq!(
            file_name(TargetKind::Crontab, "alice", "crontainer"),
            "crontainer-crontab-alice+crontainer.prom"
        );
        assert_eq!(
            file_name(TargetKind::CronD, "root", "backup"),
            "crontainer-crond+backup.prom"
        );
        assert_ne!(
            file_name(TargetKind::Crontab, "a", "b-c"),
            file_name(TargetKind::Crontab, "a-b", "c")
        );
    }

    #[test]
    fn a_refresh_answers_for_its_own_targets_files_only() {
        let every = Owned::new(TargetKind::Crontab, "alice", None);
        assert!(every.covers("crontainer-crontab-alice+one.prom"));
        assert!(!every.covers("crontainer-crontab-alice2+one.prom"));
        assert!(!every.covers("crontainer-crontab-bob+one.prom"));
        assert!(!every.covers("crontainer-crond+one.prom"));
        assert!(!every.covers("crontainer-crontab-alice+.prom"));
        assert!(!every.covers(".crontainer-crontab-alice+one.prom.XyZ"));
        let crond = Owned::new(TargetKind::CronD, "root", None);
        assert!(crond.covers("crontainer-crond+backup.prom"));
        assert!(!crond.covers("crontainer-systemd+backup.prom"));
        let one = Owned::new(TargetKind::Systemd, "root", Some("web"));
        assert!(one.covers("crontainer-systemd+web.prom"));
        assert!(!one.covers("crontainer-systemd+web2.prom"));
    }

    #[test]
    fn the_legacy_file_goes_only_when_all_its_blocks_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join(LEGACY_NAME);
        let text = "# HELP crontainer_job_running x\n# TYPE crontainer_job_running gauge\n\
                    crontainer_job_running{job=\"a\",block=\"one\"} 0\n\
                    crontainer_job_running{job=\"b\",block=\"two\"} 0\n";
        std::fs::write(&legacy, text).unwrap();
        let own = |name: &str| std::fs::write(dir.path().join(name), "").unwrap();
        own("crontainer-crontab-alice+one.prom");
        assert!(!remove_legacy_if_covered(dir.path()).unwrap());
        assert!(legacy.exists());
        own("crontainer-crond+two.prom");
        assert!(remove_legacy_if_covered(dir.path()).unwrap());
        assert!(!legacy.exists());
        // Someone else's file of that name is never touched.
        std::fs::write(&legacy, "my_metric 1\n").unwrap();
        assert!(!remove_legacy_if_covered(dir.path()).unwrap());
        assert!(legacy.exists());
    }
}
