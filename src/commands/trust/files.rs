//! The rules for the files a job's line names, checked before `install` creates anything and by
//! `doctor`: the log and its lock, the `env_file`, and the metrics line's directory and binary.

use std::path::Path;

use anyhow::Result;

use crate::config::{self, Config, Job};
use crate::error::bad_input;

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
