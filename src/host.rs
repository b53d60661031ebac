//! Facts about the host, read without disturbing anything: who is running crontainer, whether a
//! cron daemon runs, whether a job's lock is held (from /proc/locks, so looking never takes the
//! lock: a cron firing at that moment must not be skipped because we looked), and who may write
//! a file or reach the Docker daemon's socket, and what a user other than root could change
//! (with `accounts`: which users and groups are the system's, trusted with root's output
//! directories). It imports only the bottom layer (`shell`, for a path in a fix).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Result;

pub(crate) mod accounts;
pub(crate) mod clock;
pub(crate) mod group;

/// Who is running crontainer (asked once per run: a target's name, its lock and the checks
/// ask it again and again, and each asks nsswitch.conf and /etc/passwd).
pub(crate) fn current_user() -> String {
    user_name(nix::unistd::geteuid().as_raw())
}

pub(crate) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Overrides /proc for [`cron_daemon`] (for tests).
pub(crate) const ENV_PROC: &str = "CRONTAINER_PROC";

/// The cron daemon running on this host, if any: Debian's `cron`, cronie's `crond`, or
/// busybox's `crond` applet, with its pid and, where we may read it, its binary. Only a process
/// of the host's own PID namespace counts: a `crond` inside a container is seen in /proc too,
/// but it does not read the host's crontabs.
pub(crate) fn cron_daemon() -> Option<String> {
    find_cron_daemon().map(|d| d.description.clone())
}

/// The cron daemon found in /proc: its pid directory and how to name it.
struct CronDaemon {
    dir: PathBuf,
    description: String,
}

/// Looked up once per run: `status` and `install` ask for it several times (the line's `%`
/// escaping, the time zone, the report).
fn find_cron_daemon() -> Option<&'static CronDaemon> {
    static DAEMON: std::sync::OnceLock<Option<CronDaemon>> = std::sync::OnceLock::new();
    DAEMON.get_or_init(scan_for_cron_daemon).as_ref()
}

fn scan_for_cron_daemon() -> Option<CronDaemon> {
    let proc = PathBuf::from(std::env::var_os(ENV_PROC).unwrap_or_else(|| "/proc".into()));
    let ours = std::fs::read_link("/proc/self/ns/pid").ok();
    // The pid Debian's cron and cronie write, asked first: one process looked at instead of
    // every process of the host (hundreds on a Docker host). Only the real /proc: a test's
    // fake one has no such file behind it.
    let pidfile = std::env::var_os(ENV_PROC)
        .is_none()
        .then(|| std::fs::read_to_string("/run/crond.pid").ok())
        .flatten()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .map(|pid| proc.join(pid.to_string()));
    let entries = std::fs::read_dir(&proc).ok()?;
    let all = entries.flatten().map(|entry| entry.path()).filter(|path| {
        path.file_name()
            .is_some_and(|n| n.to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
    });
    for path in pidfile.into_iter().chain(all) {
        let name = path.file_name().unwrap_or_default().to_os_string();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        let comm = comm.trim();
        let what = match comm {
            "cron" | "crond" => comm.to_string(),
            "busybox" => {
                let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
                if cmdline.split(|&b| b == 0).nth(1) != Some(b"crond") {
                    continue;
                }
                "busybox crond".to_string()
            }
            _ => continue,
        };
        // Another user's namespace link is unreadable without root: then it may be ours.
        let theirs = std::fs::read_link(path.join("ns/pid")).ok();
        if let (Some(ours), Some(theirs)) = (&ours, &theirs) {
            if ours != theirs {
                continue;
            }
        }
        let binary = std::fs::read_link(path.join("exe"))
            .map(|exe| format!(", {}", exe.display()))
            .unwrap_or_default();
        return Some(CronDaemon {
            dir: path,
            description: format!("{what} (pid {}{binary})", name.to_string_lossy()),
        });
    }
    None
}

/// Overrides /etc for [`cron_time_zone`] (for tests: the host's own zone files then play no
/// part).
pub(crate) const ENV_ETC: &str = "CRONTAINER_ETC";

/// The time zone cron fires jobs in, and where it was read.
#[derive(Debug, Clone)]
pub(crate) struct CronZone {
    pub(crate) zone: jiff::tz::TimeZone,
    /// The zone's name as found (`Europe/Berlin`, `UTC`, a POSIX string).
    pub(crate) name: String,
    /// Where it was read: "the cron daemon's TZ", "/etc/localtime", ...
    pub(crate) source: String,
}

/// The time zone cron computes its schedules in, whatever `TZ` the shell running crontainer
/// has: the daemon's own `TZ` when its environment is readable (root, or a daemon of our own),
/// else the system's (`/etc/localtime`, then Debian's `/etc/timezone`), else UTC. Every time
/// `plan`, `status` and `metrics` show or compute is in it, so they agree with the firings.
pub(crate) fn cron_time_zone() -> CronZone {
    static ZONE: std::sync::OnceLock<CronZone> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| {
        let etc = PathBuf::from(std::env::var_os(ENV_ETC).unwrap_or_else(|| "/etc".into()));
        let daemon_tz = find_cron_daemon().and_then(|d| {
            let environ = std::fs::read(d.dir.join("environ")).ok()?;
            environ
                .split(|&b| b == 0)
                .find_map(|var| var.strip_prefix(b"TZ="))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        });
        daemon_tz
            .filter(|tz| !tz.is_empty())
            .and_then(|tz| named_zone(&tz, "the cron daemon's TZ"))
            .or_else(|| localtime_zone(&etc))
            .or_else(|| {
                let name = std::fs::read_to_string(etc.join("timezone")).ok()?;
                named_zone(name.trim(), &etc.join("timezone").display().to_string())
            })
            .unwrap_or_else(|| CronZone {
                zone: jiff::tz::TimeZone::UTC,
                name: "UTC".into(),
                source: "no TZ, /etc/localtime or /etc/timezone".into(),
            })
    })
    .clone()
}

/// A `TZ` value as libc reads it: `:NAME` or `NAME` from the zoneinfo database, or a POSIX rule
/// such as `EST5EDT`.
fn named_zone(tz: &str, source: &str) -> Option<CronZone> {
    let name = tz.strip_prefix(':').unwrap_or(tz);
    let zone = if name.starts_with('/') {
        jiff::tz::TimeZone::tzif(name, &std::fs::read(name).ok()?).ok()?
    } else {
        jiff::tz::TimeZone::get(name)
            .or_else(|_| jiff::tz::TimeZone::posix(name))
            .ok()?
    };
    Some(CronZone {
        zone,
        name: name.to_string(),
        source: source.to_string(),
    })
}

/// `/etc/localtime`, named after the zoneinfo file it links to.
fn localtime_zone(etc: &Path) -> Option<CronZone> {
    let path = etc.join("localtime");
    let data = std::fs::read(&path).ok()?;
    let name = std::fs::read_link(&path)
        .ok()
        .and_then(|p| {
            p.to_string_lossy()
                .split("zoneinfo/")
                .nth(1)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "the zone in /etc/localtime".to_string());
    Some(CronZone {
        zone: jiff::tz::TimeZone::tzif(&name, &data).ok()?,
        name,
        source: path.display().to_string(),
    })
}

/// When the host booted, from /proc/stat's `btime` (seconds since the epoch).
pub(crate) fn boot_time() -> Option<jiff::Timestamp> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let seconds = stat.lines().find_map(|l| l.strip_prefix("btime "))?;
    jiff::Timestamp::from_second(seconds.trim().parse().ok()?).ok()
}

/// The pid holding a flock(2) lock on `path`, if any, read from /proc/locks.
pub(crate) fn lock_holder(path: &Path) -> Option<u32> {
    let meta = std::fs::metadata(path).ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    lock_holder_in(&locks, meta.dev(), meta.ino())
}

/// The pid holding a flock(2) lock on the file `meta` describes (from an open file, so no path is
/// followed again), if any.
pub(crate) fn lock_holder_of(meta: &std::fs::Metadata) -> Option<u32> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    lock_holder_in(&locks, meta.dev(), meta.ino())
}

/// A process in words for a message: "pid 1234 (flock, user deploy)", as far as /proc tells.
pub(crate) fn describe_pid(pid: u32) -> String {
    let dir = PathBuf::from(format!("/proc/{pid}"));
    let comm = std::fs::read_to_string(dir.join("comm")).ok();
    let user = std::fs::metadata(&dir).ok().map(|m| user_name(m.uid()));
    match (comm, user) {
        (Some(comm), Some(user)) => format!("pid {pid} ({}, user {user})", comm.trim()),
        _ => format!("pid {pid}"),
    }
}

/// Finds a FLOCK on (dev, ino) in the text of /proc/locks, whose lines read
/// `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF` (device as hex major:minor).
fn lock_holder_in(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let (major, minor) = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev));
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Blocked waiters are listed as `1: -> FLOCK ...`; only holders count.
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let pid: u32 = fields.get(4)?.parse().ok()?;
        let mut id = fields.get(5)?.split(':');
        let maj = u64::from_str_radix(id.next()?, 16).ok()?;
        let min = u64::from_str_radix(id.next()?, 16).ok()?;
        let inode: u64 = id.next()?.parse().ok()?;
        (maj == major && min == minor && inode == ino).then_some(pid)
    })
}

/// Overrides the Docker daemon's socket that states are read from (for tests: a path that does
/// not exist makes crontainer ask the `docker` program instead).
pub(crate) const ENV_DOCKER_SOCKET: &str = "CRONTAINER_DOCKER_SOCKET";

/// The Docker daemon's socket that cron's line reaches: the `unix://` path of the config's
/// `DOCKER_HOST` (`runtime_env`), else the default (cron's environment has no `DOCKER_HOST`).
/// None when `DOCKER_HOST` names no local socket (`tcp://`, `ssh://`).
pub(crate) fn docker_socket(docker_host: Option<&str>) -> Option<PathBuf> {
    match docker_host {
        Some(host) => host.strip_prefix("unix://").map(PathBuf::from),
        None => Some(
            std::env::var_os(ENV_DOCKER_SOCKET)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock")),
        ),
    }
}

/// Cron runs the line as `user` with no `DOCKER_HOST` but the config's, so the docker client
/// talks to /var/run/docker.sock or that socket: a user who may not write it (not root, not in
/// the socket's group) gets "permission denied" at every firing.
pub(crate) fn daemon_access_warning(
    runtime: &Path,
    docker_host: Option<&str>,
    user: &nix::unistd::User,
) -> Option<String> {
    if runtime.file_name() != Some(std::ffi::OsStr::new("docker")) {
        return None;
    }
    let socket = docker_socket(docker_host)?;
    let meta = std::fs::metadata(&socket).ok()?;
    (!writable_by(&meta, user)).then(|| {
        format!(
            "{} may not use {} (owned by group {}), so its jobs will fail with \"permission \
             denied\": add it to that group (`sudo usermod -aG docker {}`), or run the jobs as \
             root",
            user.name,
            socket.display(),
            nix::unistd::Group::from_gid(meta.gid().into())
                .ok()
                .flatten()
                .map_or_else(|| meta.gid().to_string(), |g| g.name),
            user.name
        )
    })
}

/// Whether `user` may write a file with these permission bits (ACLs aside).
pub(crate) fn writable_by(meta: &std::fs::Metadata, user: &nix::unistd::User) -> bool {
    if user.uid.is_root() {
        return true;
    }
    let mode = meta.mode();
    if meta.uid() == user.uid.as_raw() {
        return mode & 0o200 != 0;
    }
    let cname = std::ffi::CString::new(user.name.as_str()).unwrap_or_default();
    let in_group = nix::unistd::getgrouplist(&cname, user.gid)
        .map(|groups| groups.iter().any(|g| g.as_raw() == meta.gid()))
        .unwrap_or(user.gid.as_raw() == meta.gid());
    if in_group {
        return mode & 0o020 != 0;
    }
    mode & 0o002 != 0
}

/// A path someone other than root could change: a file or directory along the way to something
/// root trusts, with its owner and mode, to name in the refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loose {
    pub(crate) path: PathBuf,
    pub(crate) owner: String,
    pub(crate) mode: u32,
    /// Why its group is not trusted, when that is the reason (a directory of system accounts).
    pub(crate) group: Option<String>,
}

impl Loose {
    /// "PATH (owned by deploy, mode 0775)", and why its group is not trusted when that is why.
    pub(crate) fn describe(&self) -> String {
        let group = self
            .group
            .as_ref()
            .map(|why| format!(": {why}"))
            .unwrap_or_default();
        format!(
            "{} (owned by {}, mode {:04o}{group})",
            self.path.display(),
            self.owner,
            self.mode & 0o7777
        )
    }

    /// The commands that hand it to root.
    pub(crate) fn fix(&self) -> String {
        let path = crate::shell::quote(&self.path.to_string_lossy());
        format!("`sudo chown root:root {path} && sudo chmod go-w {path}`")
    }
}

/// The first of `path` and the directories above it that a user other than root could change or
/// replace: owned by someone else, or writable by group or others. This is cron's own rule for
/// the files it runs as root (Debian's cron and cronie skip a cron.d file that is not root's or
/// that group or others may write) applied to every directory on the way, like sshd's
/// StrictModes: whoever may write a directory may swap what lies in it. For what root runs or
/// reads its orders from (the config, the programs, an env file).
///
/// A root-owned sticky directory (`/tmp`) is fine on the way: no one else may replace or rename
/// the root-owned entry below it. `strict_dir` takes that exception away from `path` itself, for
/// a directory in which files are still to be created (a log's), where anyone may create the
/// name first. Both the path as written and the one its symlinks resolve to are checked. None
/// when everything is root's, or when `path` does not exist (the caller checks what it needs).
pub(crate) fn loose_for_root(path: &Path, strict_dir: bool) -> Option<Loose> {
    loose_along(path, strict_dir, false)
}

/// [`loose_for_root`] for a directory root's jobs write their output into (a log's, the metrics
/// file's), where system accounts are trusted too (`accounts`: owned by one, or writable by a
/// system group no person is in): Ubuntu's `/var/log` is `root:syslog 0775`, Debian's
/// `/var/lib/prometheus` is `prometheus`'s. A directory a person may write is still refused.
pub(crate) fn loose_for_root_output(dir: &Path, strict_dir: bool) -> Option<Loose> {
    loose_along(dir, strict_dir, true)
}

fn loose_along(path: &Path, strict_dir: bool, system_ok: bool) -> Option<Loose> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let resolved = std::fs::canonicalize(&absolute).ok()?;
    for chain in [&absolute, &resolved] {
        let mut ancestors: Vec<&Path> = chain.ancestors().collect();
        ancestors.reverse();
        for (i, step) in ancestors.iter().enumerate() {
            // A symlink's own owner and mode do not matter: only whoever may write the directory
            // it sits in (checked as the step before) can change it; what it points to is checked
            // in the resolved chain.
            let Ok(meta) = std::fs::symlink_metadata(step) else {
                return None;
            };
            if meta.file_type().is_symlink() {
                continue;
            }
            let last = i + 1 == ancestors.len();
            if let Some(group) = why_loose(&meta, last && strict_dir, system_ok) {
                return Some(Loose {
                    path: step.to_path_buf(),
                    owner: user_name(meta.uid()),
                    mode: meta.mode(),
                    group,
                });
            }
        }
    }
    None
}

/// Whether one step of a path is loose (Some), and then why its group is not trusted when that
/// is the reason.
fn why_loose(
    meta: &std::fs::Metadata,
    strict_dir: bool,
    system_ok: bool,
) -> Option<Option<String>> {
    let mode = meta.mode();
    let owner_ok = meta.uid() == 0 || (system_ok && accounts::is_system_user(meta.uid()));
    let sticky_ok = meta.is_dir() && mode & 0o1000 != 0 && !strict_dir;
    if !owner_ok {
        return Some(None);
    }
    if sticky_ok || mode & 0o022 == 0 {
        return None;
    }
    if mode & 0o002 != 0 || !system_ok {
        return Some(None);
    }
    accounts::why_not_system_group(meta.gid()).map(Some)
}

/// A uid's user name, or the number when it has none.
pub(crate) fn user_name(uid: u32) -> String {
    static NAMES: Names = Names::new(std::collections::BTreeMap::new());
    remembered(&NAMES, uid, || {
        nix::unistd::User::from_uid(uid.into())
            .ok()
            .flatten()
            .map(|u| u.name)
    })
}

/// A gid's group name, or the number when it has none.
pub(crate) fn group_name(gid: u32) -> String {
    static NAMES: Names = Names::new(std::collections::BTreeMap::new());
    remembered(&NAMES, gid, || {
        nix::unistd::Group::from_gid(gid.into())
            .ok()
            .flatten()
            .map(|g| g.name)
    })
}

type Names = std::sync::Mutex<std::collections::BTreeMap<u32, String>>;

/// `id`'s name from `names`, looked up once per run: each lookup reads nsswitch.conf and
/// /etc/passwd or /etc/group, and an install of 200 jobs asks about the same owner for each.
fn remembered(names: &Names, id: u32, lookup: impl FnOnce() -> Option<String>) -> String {
    let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
    names
        .entry(id)
        .or_insert_with(|| lookup().unwrap_or_else(|| id.to_string()))
        .clone()
}

/// What a user needs of a path: to pass through a directory, to write, or to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    Search,
    Write,
    Read,
}

impl Need {
    fn flags(self) -> nix::unistd::AccessFlags {
        match self {
            Need::Search => nix::unistd::AccessFlags::X_OK,
            Need::Write => nix::unistd::AccessFlags::W_OK,
            Need::Read => nix::unistd::AccessFlags::R_OK,
        }
    }

    pub(crate) fn words(self) -> &'static str {
        match self {
            Need::Search => "enter (search, `x`)",
            Need::Write => "write",
            Need::Read => "read",
        }
    }
}

/// A path `user` was refused, and what was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Denied {
    pub(crate) path: PathBuf,
    pub(crate) need: Need,
}

impl Denied {
    /// "/root (owned by root, mode 0700) does not let deploy enter (search, `x`) it".
    pub(crate) fn describe(&self, user: &str) -> String {
        let what = std::fs::metadata(&self.path).map_or_else(
            |_| self.path.display().to_string(),
            |meta| {
                format!(
                    "{} (owned by {}, mode {:04o})",
                    self.path.display(),
                    user_name(meta.uid()),
                    meta.mode() & 0o7777
                )
            },
        );
        format!("{what} does not let {user} {} it", self.need.words())
    }
}

/// The first existing directory above `path` that `user` may not enter, or `path` itself when it
/// exists and `user` may not do `need` with it. Checked as that user, by the kernel: a child
/// process drops to the user's uid, gid and groups and asks access(2) for each, so ACLs,
/// read-only mounts and every directory on the way count, as they will when cron runs the job
/// (a mode-bit guess misses them: issue 13, a log under /root, 0700, was "writable"). Without
/// root the check runs in this process, as the user it is.
pub(crate) fn denied_as(
    user: &nix::unistd::User,
    path: &Path,
    need: Need,
) -> Result<Option<Denied>> {
    let checks = access_checks(path, need);
    // Answered from what `prefetch_access` asked already, or by one child of its own.
    let cached: Option<Vec<bool>> = {
        let known = ACCESS.lock().unwrap_or_else(|e| e.into_inner());
        checks
            .iter()
            .map(|(p, n)| known.get(&(user.uid.as_raw(), p.clone(), *n)).copied())
            .collect()
    };
    let first = match cached {
        Some(allowed) => allowed.iter().position(|ok| !ok),
        None => first_denied(user, &checks)?,
    };
    Ok(first.map(|i| Denied {
        path: checks[i].0.clone(),
        need: checks[i].1,
    }))
}

/// What [`denied_as`] asks for `path`: search permission on every existing directory above it,
/// from the root down, then `need` on the path itself when it exists.
fn access_checks(path: &Path, need: Need) -> Vec<(PathBuf, Need)> {
    let mut checks: Vec<(PathBuf, Need)> = path
        .ancestors()
        .skip(1)
        .filter(|dir| dir_exists(dir))
        .map(|dir| (dir.to_path_buf(), Need::Search))
        .collect();
    checks.reverse();
    if path.exists() {
        checks.push((path.to_path_buf(), need));
    }
    checks
}

/// Whether `dir` exists, remembered once seen: an install of 200 jobs in one log directory asks
/// it of the same five ancestors about 1,500 times, a stat(2) each. Only a directory seen is
/// remembered: one created later in the same run (a log directory) must then count.
fn dir_exists(dir: &Path) -> bool {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.contains(dir) {
        return true;
    }
    let exists = dir.exists();
    if exists {
        seen.insert(dir.to_path_buf());
    }
    exists
}

/// Answers of the kernel, as a user, to (uid, path, need), kept for this process: an install
/// of many jobs asks them all of one child ([`prefetch_access`]) instead of one child each.
static ACCESS: std::sync::Mutex<std::collections::BTreeMap<(u32, PathBuf, Need), bool>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Asks, in one child process that becomes `user`, everything [`denied_as`] will later ask for
/// these paths, so those calls need no process of their own (a fork costs ~0.3 ms; 200 jobs
/// asked three times each cost half a second). Only as root for another user: otherwise
/// [`denied_as`] asks in this process anyway.
pub(crate) fn prefetch_access(user: &nix::unistd::User, targets: &[(PathBuf, Need)]) -> Result<()> {
    use anyhow::Context;
    let me = nix::unistd::geteuid();
    if me == user.uid || !me.is_root() {
        return Ok(());
    }
    let mut checks: Vec<(PathBuf, Need)> = targets
        .iter()
        .flat_map(|(path, need)| access_checks(path, *need))
        .collect();
    checks.sort();
    checks.dedup();
    if checks.is_empty() {
        return Ok(());
    }
    let paths: Vec<(std::ffi::CString, nix::unistd::AccessFlags)> = checks
        .iter()
        .map(|(p, need)| {
            std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
                .map(|c| (c, need.flags()))
                .with_context(|| format!("{} holds a NUL byte", p.display()))
        })
        .collect::<Result<_>>()?;
    let groups = user_groups(user)?;
    let (read_end, write_end) = nix::unistd::pipe().context("cannot make a pipe")?;
    // SAFETY: the child only makes system calls (setgroups, setgid, setuid, access, write,
    // _exit) on data prepared above, then exits without returning.
    match unsafe { nix::unistd::fork() }.context("cannot fork to check access as the job's user")? {
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let code = if nix::unistd::setgroups(&groups).is_err()
                || nix::unistd::setgid(user.gid).is_err()
                || nix::unistd::setuid(user.uid).is_err()
            {
                255
            } else {
                let mut code = 0;
                for (p, flags) in &paths {
                    let answer = if nix::unistd::access(p.as_c_str(), *flags).is_ok() {
                        b"1"
                    } else {
                        b"0"
                    };
                    if nix::unistd::write(&write_end, answer) != Ok(1) {
                        code = 254;
                        break;
                    }
                }
                code
            };
            // SAFETY: as in `first_denied`.
            unsafe { nix::libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(write_end);
            let mut answers = Vec::with_capacity(checks.len());
            std::io::Read::read_to_end(&mut std::fs::File::from(read_end), &mut answers)
                .context("cannot read the access checks")?;
            let status =
                nix::sys::wait::waitpid(child, None).context("cannot wait for the access check")?;
            if status != nix::sys::wait::WaitStatus::Exited(child, 0)
                || answers.len() != checks.len()
            {
                anyhow::bail!(
                    "could not check access as {} (uid {}): the checking process ended with \
                     {status:?}",
                    user.name,
                    user.uid
                );
            }
            let mut known = ACCESS.lock().unwrap_or_else(|e| e.into_inner());
            for ((path, need), answer) in checks.into_iter().zip(answers) {
                known.insert((user.uid.as_raw(), path, need), answer == b'1');
            }
            Ok(())
        }
    }
}

/// The groups `user` has, for the child that becomes them.
fn user_groups(user: &nix::unistd::User) -> Result<Vec<nix::unistd::Gid>> {
    use anyhow::Context;
    let name = std::ffi::CString::new(user.name.as_str())
        .with_context(|| format!("user name {:?} holds a NUL byte", user.name))?;
    nix::unistd::getgrouplist(&name, user.gid)
        .with_context(|| format!("cannot read the groups of {}", user.name))
}

/// The index of the first check `user` fails, asked of the kernel as that user.
fn first_denied(user: &nix::unistd::User, checks: &[(PathBuf, Need)]) -> Result<Option<usize>> {
    use anyhow::Context;
    use nix::unistd::{ForkResult, access};
    // Prepared before the fork: after it, the child may only make system calls (another thread
    // may hold the allocator's lock at the moment of the fork).
    let paths: Vec<(std::ffi::CString, nix::unistd::AccessFlags)> = checks
        .iter()
        .map(|(p, need)| {
            std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
                .map(|c| (c, need.flags()))
                .with_context(|| format!("{} holds a NUL byte", p.display()))
        })
        .collect::<Result<_>>()?;
    let first = |paths: &[(std::ffi::CString, nix::unistd::AccessFlags)]| {
        paths
            .iter()
            .position(|(p, flags)| access(p.as_c_str(), *flags).is_err())
    };
    let me = nix::unistd::geteuid();
    if me == user.uid || !me.is_root() {
        return Ok(first(&paths));
    }
    let groups = user_groups(user)?;
    // The child's exit code: 0 all allowed, 1 + the index of the first refused (at most 253
    // checks: a path has fewer components), 255 when it could not become the user.
    // SAFETY: the child only makes system calls (setgroups, setgid, setuid, access, _exit) on
    // data prepared above, then exits without returning.
    match unsafe { nix::unistd::fork() }.context("cannot fork to check access as the job's user")? {
        ForkResult::Child => {
            let code = if nix::unistd::setgroups(&groups).is_err()
                || nix::unistd::setgid(user.gid).is_err()
                || nix::unistd::setuid(user.uid).is_err()
            {
                255
            } else {
                first(&paths).map_or(0, |i| (i + 1).min(254) as i32)
            };
            // SAFETY: _exit(2) ends the child at once, without running this process's atexit
            // handlers or flushing its buffers, which belong to the parent.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            match nix::sys::wait::waitpid(child, None)
                .context("cannot wait for the access check")?
            {
                nix::sys::wait::WaitStatus::Exited(_, 0) => Ok(None),
                nix::sys::wait::WaitStatus::Exited(_, code) if code < 255 => {
                    Ok(Some(code as usize - 1))
                }
                status => anyhow::bail!(
                    "could not check access as {} (uid {}): the checking process ended with \
                     {status:?}",
                    user.name,
                    user.uid
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_holder_of_a_flock() {
        let dev = nix::sys::stat::makedev(0xfd, 1);
        let locks = "1: POSIX  ADVISORY  WRITE 99 fd:01:5678 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 4321 fd:01:5678 0 EOF\n";
        assert_eq!(lock_holder_in(locks, dev, 5678), Some(1234));
        assert_eq!(lock_holder_in(locks, dev, 5679), None);
        assert_eq!(
            lock_holder_in(locks, nix::sys::stat::makedev(0xfd, 2), 5678),
            None
        );
    }

    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// For the tests that change owners or ask as another user: the reason they are
    /// `#[ignore]`d, said again when one is run without root.
    const NEEDS_ROOT: &str = "needs root (chown, and access asked as nobody): CI runs it with \
                              --include-ignored as root";

    /// The user `nobody`, which the tests that need another user ask as.
    fn nobody() -> nix::unistd::User {
        assert!(is_root(), "{NEEDS_ROOT}");
        nix::unistd::User::from_name("nobody")
            .ok()
            .flatten()
            .expect("these tests ask as the user nobody, which this host lacks")
    }

    #[test]
    #[ignore = "needs root (chown, and access asked as nobody): CI runs it with --include-ignored as root"]
    fn a_path_is_roots_alone_only_when_every_step_is() {
        assert!(is_root(), "{NEEDS_ROOT}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        chmod(&file, 0o644);
        chmod(dir.path(), 0o755);
        let loose =
            |path: &Path, strict| loose_for_root(path, strict).map(|l| (l.path, l.mode & 0o7777));
        assert_eq!(loose(&file, false), None);
        chmod(dir.path(), 0o775);
        assert_eq!(loose(&file, false), Some((dir.path().to_path_buf(), 0o775)));
        // Sticky like /tmp: fine on the way, not for the directory a file is still to be made in.
        chmod(dir.path(), 0o1777);
        assert_eq!(loose(&file, false), None);
        assert_eq!(
            loose(dir.path(), true),
            Some((dir.path().to_path_buf(), 0o1777))
        );
        chmod(dir.path(), 0o755);
        // What a symlink points to counts, not the link.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(loose(&link, false), None);
        nix::unistd::chown(&file, Some(65534.into()), None).unwrap();
        assert_eq!(loose(&link, false), Some((file.clone(), 0o644)));
        assert_eq!(loose(&dir.path().join("missing"), false), None);
        // A system account's directory (uid 1 is `daemon`, below any UID_MIN) is trusted with
        // root's output, never with what root obeys; a person's range (nobody is 65534) never.
        let output = |path: &Path| loose_for_root_output(path, true).map(|l| l.path);
        nix::unistd::chown(dir.path(), Some(1.into()), None).unwrap();
        assert_eq!(output(dir.path()), None);
        assert_eq!(
            loose(dir.path(), true),
            Some((dir.path().to_path_buf(), 0o755))
        );
        nix::unistd::chown(dir.path(), Some(65534.into()), None).unwrap();
        assert_eq!(output(dir.path()), Some(dir.path().to_path_buf()));
        // Writable by others is refused whoever owns it.
        nix::unistd::chown(dir.path(), Some(0.into()), None).unwrap();
        chmod(dir.path(), 0o757);
        assert_eq!(output(dir.path()), Some(dir.path().to_path_buf()));
    }

    #[test]
    #[ignore = "needs root (chown, and access asked as nobody): CI runs it with --include-ignored as root"]
    fn access_is_asked_as_the_user_along_the_whole_path() {
        let nobody = nobody();
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("x");
        std::fs::create_dir(&inner).unwrap();
        chmod(&inner, 0o777);
        let file = inner.join("f");
        std::fs::write(&file, "").unwrap();
        chmod(&file, 0o644);
        chmod(dir.path(), 0o755);
        let denied = |need| {
            denied_as(&nobody, &file, need)
                .unwrap()
                .map(|d| (d.path, d.need))
        };
        assert_eq!(denied(Need::Read), None);
        assert_eq!(denied(Need::Write), Some((file.clone(), Need::Write)));
        // The directory above refuses passage, though the file's own directory is open to all.
        chmod(dir.path(), 0o700);
        assert_eq!(
            denied(Need::Read),
            Some((dir.path().to_path_buf(), Need::Search))
        );
        let root = nix::unistd::User::from_uid(0.into()).unwrap().unwrap();
        assert_eq!(denied_as(&root, &file, Need::Write).unwrap(), None);
    }

    #[test]
    #[ignore = "needs root (chown, and access asked as nobody): CI runs it with --include-ignored as root"]
    fn prefetched_answers_are_the_ones_asked_one_by_one() {
        let nobody = nobody();
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let open = dir.path().join("open");
        let shut = dir.path().join("shut");
        for (sub, mode) in [(&open, 0o777), (&shut, 0o700)] {
            std::fs::create_dir(sub).unwrap();
            chmod(sub, mode);
            std::fs::write(sub.join("f"), "").unwrap();
            chmod(&sub.join("f"), 0o666);
        }
        let targets: Vec<(PathBuf, Need)> = [&open, &shut]
            .into_iter()
            .flat_map(|sub| [(sub.join("f"), Need::Write), (sub.join("g"), Need::Read)])
            .collect();
        let one_by_one: Vec<_> = targets
            .iter()
            .map(|(p, n)| denied_as(&nobody, p, *n).unwrap().map(|d| (d.path, d.need)))
            .collect();
        prefetch_access(&nobody, &targets).unwrap();
        let prefetched: Vec<_> = targets
            .iter()
            .map(|(p, n)| denied_as(&nobody, p, *n).unwrap().map(|d| (d.path, d.need)))
            .collect();
        assert_eq!(prefetched, one_by_one);
        assert_eq!(one_by_one[0], None);
        assert_eq!(one_by_one[2], Some((shut.clone(), Need::Search)));
    }

    #[test]
    fn sees_a_real_lock_and_its_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.lock");
        let file = std::fs::File::create(&path).unwrap();
        assert_eq!(lock_holder(&path), None);
        let locked = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| e)
            .unwrap();
        assert_eq!(lock_holder(&path), Some(std::process::id()));
        drop(locked);
        assert_eq!(lock_holder(&path), None);
    }
}
