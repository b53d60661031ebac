//! Where the block lives: a user's crontab (through the `crontab` program) or a file in
//! `/etc/cron.d`. Both read the whole text, let the caller edit it (`block.rs`), and write it
//! back safely; the caller holds [`Target::lock`] across the read-edit-write.

mod cron_d;
mod crontab;
mod lock_file;
mod systemd;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nix::fcntl::Flock;

use crate::config::{TargetKind, UserName};
use crate::error::bad_input;

pub(crate) use cron_d::CronD;
pub(crate) use crontab::Crontab;
pub(crate) use systemd::{Finding, Systemd, TimerState, doctor_all as systemd_doctor};

/// Environment overrides, for tests and unusual hosts.
pub(crate) const ENV_CROND_DIR: &str = "CRONTAINER_CROND_DIR";
pub(crate) const ENV_STATE_DIR: &str = "CRONTAINER_STATE_DIR";
/// Where the targets' lock files are made, instead of /run/lock (for tests: each its own, so no
/// lock file another user's run left there is in the way).
pub(crate) const ENV_LOCK_DIR: &str = "CRONTAINER_LOCK_DIR";

/// A target's lock, held by this process until dropped ([`Target::lock`]).
pub(crate) struct Locked {
    _flock: Flock<File>,
    key: String,
}

impl Drop for Locked {
    fn drop(&mut self) {
        held().remove(&self.key);
    }
}

/// The targets whose lock this process holds, by key, with their text once read under it.
fn held() -> std::sync::MutexGuard<'static, std::collections::BTreeMap<String, Option<String>>> {
    static HELD: std::sync::Mutex<std::collections::BTreeMap<String, Option<String>>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many backups of each target are kept.
const KEEP_BACKUPS: usize = 10;

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Crontab(Crontab),
    CronD(CronD),
    Systemd(Systemd),
}

/// Which crontab or cron.d file a target is: what two targets are compared and grouped by.
/// Their descriptions are for people, and a target for "my crontab" (no `-u`) is the same as
/// one naming me.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TargetId {
    /// The crontab's owner.
    Crontab(String),
    /// The cron.d file's path.
    CronD(PathBuf),
    /// The units' directory and the block.
    Systemd(PathBuf, String),
}

impl TargetId {
    /// The current user's own crontab.
    pub(crate) fn my_crontab() -> TargetId {
        TargetId::Crontab(crate::host::current_user())
    }
}

/// The user and target the command acts on, resolved from flags, config and who we are.
pub(crate) struct Resolved {
    pub(crate) target: Target,
    /// The user the jobs run as (the crontab's owner, or the cron.d user column).
    pub(crate) run_as: String,
}

impl Target {
    /// Builds the target from its kind, the user (flag or config) and the block name.
    pub(crate) fn resolve(
        kind: TargetKind,
        user: Option<&UserName>,
        name: &str,
    ) -> Result<Resolved> {
        let user = user.map(UserName::as_str);
        if let Some(user) = user {
            if nix::unistd::User::from_name(user).ok().flatten().is_none() {
                return Err(bad_input(format!(
                    "user {user:?} does not exist on this host"
                )));
            }
        }
        match kind {
            TargetKind::Crontab => {
                let me = crate::host::current_user();
                let other = user.filter(|u| *u != me);
                if other.is_some() && !crate::host::is_root() {
                    return Err(bad_input(format!(
                        "editing {}'s crontab needs root (`crontab -u` is root only); run with \
                         sudo, or drop --user / `[cron] user` to use your own crontab",
                        other.unwrap_or_default()
                    )));
                }
                let run_as = user.map(str::to_string).unwrap_or(me);
                Ok(Resolved {
                    target: Target::Crontab(Crontab::new(other.map(str::to_string))),
                    run_as,
                })
            }
            TargetKind::CronD => {
                let dir = cron_d_dir();
                let run_as = user.unwrap_or("root").to_string();
                Ok(Resolved {
                    target: Target::CronD(CronD::new(dir, name)),
                    run_as,
                })
            }
            TargetKind::Systemd => {
                // Root: system units, run as `user` (as a cron.d line); anyone else: their own
                // user units, which their manager runs as them.
                let me = crate::host::current_user();
                if crate::host::is_root() {
                    let run_as = user.unwrap_or("root").to_string();
                    return Ok(Resolved {
                        target: Target::Systemd(Systemd::new(name, None)?),
                        run_as,
                    });
                }
                if let Some(other) = user.filter(|u| *u != me) {
                    return Err(bad_input(format!(
                        "{other}'s systemd units need root (system units with `User={other}`); \
                         run with sudo, or drop --user / `[cron] user` to use your own user \
                         units"
                    )));
                }
                Ok(Resolved {
                    target: Target::Systemd(Systemd::new(name, Some(me.clone()))?),
                    run_as: me,
                })
            }
        }
    }

    /// Like [`Target::resolve`], for `plan`, which must work on any machine for any user: a
    /// user name `install` refuses anywhere is an error here too, but what holds only on this
    /// host (the user exists, root is needed) is returned as a warning.
    pub(crate) fn resolve_for_plan(
        kind: TargetKind,
        user: Option<&UserName>,
        name: &str,
    ) -> Result<(Resolved, Option<String>)> {
        Ok(match Self::resolve(kind, user, name) {
            Ok(resolved) => (resolved, None),
            Err(e) => (
                Self::fallback_for_plan(kind, user, name),
                Some(format!("install here would refuse: {e}")),
            ),
        })
    }

    fn fallback_for_plan(kind: TargetKind, user: Option<&UserName>, name: &str) -> Resolved {
        let run_as = user.map(UserName::to_string);
        match kind {
            TargetKind::Crontab => Resolved {
                target: Target::Crontab(Crontab::new(run_as.clone())),
                run_as: run_as.unwrap_or_else(crate::host::current_user),
            },
            TargetKind::CronD => Resolved {
                target: Target::CronD(CronD::new(PathBuf::from("/etc/cron.d"), name)),
                run_as: run_as.unwrap_or_else(|| "root".to_string()),
            },
            TargetKind::Systemd => Resolved {
                target: Target::Systemd(
                    Systemd::new(name, None).expect("system units need no HOME"),
                ),
                run_as: run_as.unwrap_or_else(|| "root".to_string()),
            },
        }
    }

    pub(crate) fn kind(&self) -> TargetKind {
        match self {
            Target::Crontab(_) => TargetKind::Crontab,
            Target::CronD(_) => TargetKind::CronD,
            Target::Systemd(_) => TargetKind::Systemd,
        }
    }

    /// In the user's words: "deploy's crontab", "/etc/cron.d/crontainer".
    pub(crate) fn describe(&self) -> String {
        match self {
            Target::Crontab(c) => c.describe(),
            Target::CronD(c) => c.path().display().to_string(),
            Target::Systemd(s) => s.describe(),
        }
    }

    /// Which crontab or cron.d file this is.
    pub(crate) fn id(&self) -> TargetId {
        match self {
            Target::Crontab(c) => TargetId::Crontab(c.owner()),
            Target::CronD(c) => TargetId::CronD(c.path().to_path_buf()),
            Target::Systemd(s) => TargetId::Systemd(s.dir().to_path_buf(), s.name().to_string()),
        }
    }

    /// Whether both are the same crontab or cron.d file (they share one lock).
    pub(crate) fn same_as(&self, other: &Target) -> bool {
        self.id() == other.id()
    }

    /// A short name for file names (locks, backups).
    fn key(&self) -> String {
        match self {
            Target::Crontab(c) => format!("crontab-{}", c.owner()),
            Target::CronD(c) => format!("cron.d-{}", c.name()),
            Target::Systemd(s) => match s.user() {
                Some(user) => format!("systemd-user-{user}-{}", s.name()),
                None => format!("systemd-{}", s.name()),
            },
        }
    }

    /// The lock's name: the target's key, and for a cron.d directory other than /etc/cron.d
    /// (`$CRONTAINER_CROND_DIR`, tests) that directory too, so a test's lock is neither root's
    /// private one for the real /etc/cron.d nor another test's.
    fn lock_key(&self) -> String {
        match self {
            Target::CronD(c) => {
                let dir = c.path().parent().unwrap_or(Path::new("/"));
                if dir == Path::new("/etc/cron.d") {
                    return self.key();
                }
                let dir: String = dir
                    .to_string_lossy()
                    .chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || ".-".contains(ch) {
                            ch
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("{}-{dir}", self.key())
            }
            Target::Crontab(_) | Target::Systemd(_) => self.key(),
        }
    }

    /// The timer of `job` when this target keeps its jobs as systemd units (None for cron, or
    /// when systemd cannot say).
    pub(crate) fn timer_state(&self, job: &str) -> Option<TimerState> {
        match self {
            Target::Systemd(s) => s.timer_state(job),
            Target::Crontab(_) | Target::CronD(_) => None,
        }
    }

    /// Lines in this target carry a user column.
    pub(crate) fn with_user_column(&self) -> bool {
        match self {
            Target::CronD(_) => true,
            Target::Systemd(s) => s.with_user_column(),
            Target::Crontab(_) => false,
        }
    }

    /// The whole current text; empty when there is none. While this process holds the
    /// target's [`Target::lock`], the text is read once and remembered (and replaced by what
    /// [`Target::write`] wrote): no one else may change it then, and a command that reads it to
    /// decide and again to edit runs `crontab -l` once.
    pub(crate) fn read(&self) -> Result<String> {
        let key = self.key();
        if let Some(Some(text)) = held().get(&key) {
            return Ok(text.clone());
        }
        let text = match self {
            Target::Crontab(c) => c.read(),
            Target::CronD(c) => c.read(),
            Target::Systemd(s) => s.read(),
        }?;
        if let Some(known) = held().get_mut(&key) {
            *known = Some(text.clone());
        }
        Ok(text)
    }

    /// Replaces the whole text (an empty text removes a cron.d file, or the crontab's content).
    pub(crate) fn write(&self, text: &str) -> Result<()> {
        // Until written and read back, the remembered text is no longer known to be current.
        let key = self.key();
        if let Some(known) = held().get_mut(&key) {
            *known = None;
        }
        if let Target::Systemd(s) = self {
            // systemd is told by `daemon-reload`; the units are read back by the writer.
            s.write(text)?;
            if let Some(known) = held().get_mut(&key) {
                *known = Some(text.to_string());
            }
            return Ok(());
        }
        self.write_once(text)?;
        // Debian's cron reloads when the newest mtime of its spool dir, /etc/crontab and
        // /etc/cron.d differs from the one it saw at its last load, compared in whole seconds.
        // A change in the same second as that load, after it, is never noticed (cronie stores
        // `now - 1` to avoid this). Cron loads when it wakes at the top of each minute, so a
        // write in the first seconds of a minute is written again in the next second, which
        // gives the directory a newer mtime. The clock is the one tests fix (`host::clock`), so
        // how often a command runs `crontab` never depends on when a test runs.
        let now = crate::host::clock::now().unwrap_or_else(|_| jiff::Timestamp::now());
        if now.as_second().rem_euclid(60) < 3 {
            // The next second of the file system's clock, whatever time the decision was made at.
            let rest = 1_000_000_000 - i64::from(jiff::Timestamp::now().subsec_nanosecond());
            std::thread::sleep(std::time::Duration::from_nanos(rest as u64 + 20_000_000));
            self.write_once(text)?;
        }
        // Both backends read back what they wrote and compare it.
        if let Some(known) = held().get_mut(&key) {
            *known = Some(text.to_string());
        }
        Ok(())
    }

    fn write_once(&self, text: &str) -> Result<()> {
        match self {
            Target::Crontab(c) => c.write(text),
            Target::CronD(c) => c.write(text),
            Target::Systemd(s) => s.write(text),
        }
    }

    /// An exclusive lock held across read, edit and write, so two crontainer processes never
    /// lose each other's edits (the `crontab` program itself has no lock). Issue 26: the file in
    /// /run/lock is opened without following a symlink, is private (0600, its crontab's owner's
    /// or root's, so no other user can hold it), and the wait is bounded and names the holder.
    /// Held until the returned guard is dropped; this process must not ask for it twice
    /// meanwhile (flock(2) would wait for itself).
    pub(crate) fn lock(&self) -> Result<Locked> {
        let flock = self.flock()?;
        let key = self.key();
        held().insert(key.clone(), None);
        Ok(Locked { _flock: flock, key })
    }

    fn flock(&self) -> Result<Flock<File>> {
        // /run/lock (world-writable, sticky, cleared at boot) is shared by every user who may
        // edit the same crontab; where it is missing or not writable, the temp dir.
        let dir = if let Some(dir) = std::env::var_os(ENV_LOCK_DIR).filter(|d| !d.is_empty()) {
            PathBuf::from(dir)
        } else if nix::unistd::access("/run/lock", nix::unistd::AccessFlags::W_OK).is_ok() {
            PathBuf::from("/run/lock")
        } else {
            std::env::temp_dir()
        };
        let path = dir.join(format!("crontainer-{}.lock", self.lock_key()));
        // Who may edit this target, hence own its lock: the crontab's owner (and root).
        let owner = match self {
            Target::Crontab(c) => nix::unistd::User::from_name(&c.owner()).ok().flatten(),
            Target::CronD(_) => None,
            Target::Systemd(s) => s
                .user()
                .and_then(|u| nix::unistd::User::from_name(u).ok().flatten()),
        };
        let file = lock_file::open(&path, owner.as_ref())?;
        lock_file::wait_for(file, &path, lock_file::wait())
    }

    /// Saves `text` (the content before a change) as a timestamped backup, keeping the last
    /// [`KEEP_BACKUPS`]; returns its path.
    pub(crate) fn backup(&self, text: &str) -> Result<PathBuf> {
        let dir = state_dir()?.join("backups");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("could not create the backup directory {}", dir.display()))?;
        // DirBuilder's mode only applies to a new directory: an existing one is made private
        // too, since backups hold whole crontabs.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("could not make {} private (mode 0700)", dir.display()))?;
        let stamp = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%S%.fZ")
            .to_string();
        let prefix = format!("{}.", self.key());
        let path = dir.join(format!("{prefix}{stamp}"));
        write_atomically(&path, text.as_bytes(), 0o600).context("could not save the backup")?;
        let mut old: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path())
            .collect();
        old.sort();
        let excess = old.len().saturating_sub(KEEP_BACKUPS);
        for path in &old[..excess] {
            let _ = std::fs::remove_file(path);
        }
        Ok(path)
    }
}

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

/// Writes `bytes` to `path` fully or not at all: a temp file in the same directory (named
/// `.crontainer-*`: Debian's cron skips dotted names in /etc/cron.d while it is written), with
/// `mode`, owned by root when we are root, fsynced, then renamed into place.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("/"));
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".crontainer-")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
        if crate::host::is_root() {
            std::os::unix::fs::fchown(tmp.as_file(), Some(0), Some(0))?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().with_context(|| format!("could not write {}", path.display()))
}

/// Where backups go: `$CRONTAINER_STATE_DIR`, else /var/lib/crontainer for root, else
/// `$XDG_STATE_HOME/crontainer` or `~/.local/state/crontainer`.
pub(crate) fn state_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_STATE_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if crate::host::is_root() {
        return Ok(PathBuf::from("/var/lib/crontainer"));
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("crontainer"));
    }
    let home = std::env::var_os("HOME").filter(|d| !d.is_empty()).context(
        "cannot find a state directory for backups: set HOME, XDG_STATE_HOME or CRONTAINER_STATE_DIR",
    )?;
    Ok(PathBuf::from(home).join(".local/state/crontainer"))
}

/// Overrides /var/spool/cron/crontabs, where Debian's cron keeps one crontab per user (tests).
pub(crate) const ENV_SPOOL_DIR: &str = "CRONTAINER_SPOOL_DIR";

/// The directory of cron.d files: `$CRONTAINER_CROND_DIR` or /etc/cron.d.
pub(crate) fn cron_d_dir() -> PathBuf {
    std::env::var_os(ENV_CROND_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/cron.d"))
}

/// Every file in the cron.d directory that holds a crontainer block, by name, sorted. A block
/// lives in the file named after it, but any file holding one is listed, so a copy made by hand
/// or by another tool is seen too. Files cron itself skips (dotted names, crontainer's own
/// temp files) are left out; an unreadable directory is an error, never "no blocks".
pub(crate) fn cron_d_files_with_blocks() -> Result<Vec<String>> {
    let dir = cron_d_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("could not list {}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("could not list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains('.') || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        // Read errors (a file root alone may read) are left to the reader, which names them.
        let holds = std::fs::read(entry.path())
            .map(|bytes| {
                bytes
                    .windows(b"crontainer:".len())
                    .any(|w| w == b"crontainer:")
            })
            .unwrap_or(true);
        if holds {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Cron's spool directory: `$CRONTAINER_SPOOL_DIR`, else Debian's /var/spool/cron/crontabs, else
/// cronie's /var/spool/cron (Debian's when neither exists).
fn spool_dir() -> PathBuf {
    match std::env::var_os(ENV_SPOOL_DIR).filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => ["/var/spool/cron/crontabs", "/var/spool/cron"]
            .into_iter()
            .map(PathBuf::from)
            .find(|d| d.is_dir())
            .unwrap_or_else(|| PathBuf::from("/var/spool/cron/crontabs")),
    }
}

/// Whether [`crontab_users`] lists every crontab of this host: as root, with the spool
/// directory there (busybox on Alpine keeps crontabs in /etc/crontabs, which is not read).
pub(crate) fn spool_lists_every_crontab() -> bool {
    crate::host::is_root() && spool_dir().is_dir()
}

/// The users who have a crontab, from cron's spool directory (`$CRONTAINER_SPOOL_DIR`, else
/// Debian's /var/spool/cron/crontabs, else cronie's /var/spool/cron), sorted. Only root may list
/// it; the crontabs themselves are read through `crontab -u USER -l`, never from the spool, so
/// whatever cron the host runs reads and writes its own format. Names that are not user names
/// (cron's temp files) or not users of this host are left out.
pub(crate) fn crontab_users() -> Result<Vec<UserName>> {
    let dir = spool_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e).with_context(|| {
                format!("could not list the users' crontabs in {}", dir.display())
            });
        }
    };
    let mut users: Vec<UserName> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str()?.parse::<UserName>().ok())
        .filter(|name| nix::unistd::User::from_name(name).ok().flatten().is_some())
        .collect();
    users.sort();
    Ok(users)
}

/// Every block kept as systemd units that this user's target holds (root: the system units;
/// anyone else: their own user units), each resolved as [`Target::resolve`] would, its jobs run
/// as `user` (root's default: root). No block: none.
pub(crate) fn systemd_targets(user: Option<&UserName>) -> Result<Vec<Resolved>> {
    let probe = Target::resolve(TargetKind::Systemd, user, "crontainer")?;
    let Target::Systemd(units) = &probe.target else {
        unreachable!("a systemd target resolves to systemd units")
    };
    systemd::blocks_in(units.dir())?
        .into_iter()
        .map(|block| Target::resolve(TargetKind::Systemd, user, &block))
        .collect()
}

/// Which program fires a target's jobs: a cron daemon (crontab, cron.d) or systemd's manager
/// (its timers). `status --json` names it as `schedulers[].kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SchedulerKind {
    Cron,
    Systemd,
}

impl SchedulerKind {
    /// In the user's words: "cron daemon", "systemd".
    pub(crate) fn name(self) -> &'static str {
        match self {
            SchedulerKind::Cron => "cron daemon",
            SchedulerKind::Systemd => "systemd",
        }
    }
}

/// What fires the jobs of some targets, and whether it runs.
pub(crate) struct Scheduler {
    pub(crate) kind: SchedulerKind,
    /// How it runs, in words; None: it does not, so nothing fires.
    pub(crate) running: Option<String>,
    /// How to start it.
    pub(crate) start: &'static str,
}

/// What fires the jobs of `targets`: the cron daemon for crontabs and cron.d files (and when
/// there is no target), systemd for units; both, cron's first, when `targets` hold both (root's
/// `--all-users`). A host that schedules only with systemd needs no cron daemon.
pub(crate) fn scheduler_kinds<'a>(
    targets: impl IntoIterator<Item = &'a Target>,
) -> Vec<SchedulerKind> {
    let targets: Vec<&Target> = targets.into_iter().collect();
    let mut kinds = Vec::new();
    if targets.is_empty() || targets.iter().any(|t| !matches!(t, Target::Systemd(_))) {
        kinds.push(SchedulerKind::Cron);
    }
    if targets.iter().any(|t| matches!(t, Target::Systemd(_))) {
        kinds.push(SchedulerKind::Systemd);
    }
    kinds
}

/// [`scheduler_kinds`] of `targets`, each asked whether it runs (systemd: the manager of the
/// first block of units).
pub(crate) fn schedulers<'a>(targets: impl IntoIterator<Item = &'a Target>) -> Vec<Scheduler> {
    let targets: Vec<&Target> = targets.into_iter().collect();
    let units = targets.iter().find_map(|t| match t {
        Target::Systemd(units) => Some(units),
        _ => None,
    });
    scheduler_kinds(targets.iter().copied())
        .into_iter()
        .map(|kind| Scheduler {
            kind,
            running: match kind {
                SchedulerKind::Cron => crate::host::cron_daemon(),
                SchedulerKind::Systemd => units.and_then(|u| u.manager_state()),
            },
            start: match kind {
                SchedulerKind::Cron => "`systemctl start cron` or `cron`",
                SchedulerKind::Systemd => {
                    "boot with systemd as PID 1; for user units, log in or \
                     `loginctl enable-linger USER`"
                }
            },
        })
        .collect()
}
