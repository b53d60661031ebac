//! Facts about the host, read without disturbing anything: who is running crontainer, whether a
//! cron daemon runs, whether a job's lock is held (from /proc/locks, so looking never takes the
//! lock: a cron firing at that moment must not be skipped because we looked), and who may write
//! a file or reach the Docker daemon's socket. It imports nothing of ours above `ui`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Who is running crontainer.
pub fn current_user() -> String {
    let uid = nix::unistd::geteuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Overrides /proc for [`cron_daemon`] (for tests).
pub const ENV_PROC: &str = "CRONTAINER_PROC";

/// The cron daemon running on this host, if any: Debian's `cron`, cronie's `crond`, or
/// busybox's `crond` applet, with its pid and, where we may read it, its binary. Only a process
/// of the host's own PID namespace counts: a `crond` inside a container is seen in /proc too,
/// but it does not read the host's crontabs.
pub fn cron_daemon() -> Option<String> {
    let proc = std::env::var_os(ENV_PROC).unwrap_or_else(|| "/proc".into());
    let ours = std::fs::read_link("/proc/self/ns/pid").ok();
    let entries = std::fs::read_dir(proc).ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        let comm = comm.trim();
        let what = match comm {
            "cron" | "crond" => comm.to_string(),
            "busybox" => {
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                if cmdline.split(|&b| b == 0).nth(1) != Some(b"crond") {
                    continue;
                }
                "busybox crond".to_string()
            }
            _ => continue,
        };
        // Another user's namespace link is unreadable without root: then it may be ours.
        let theirs = std::fs::read_link(entry.path().join("ns/pid")).ok();
        if let (Some(ours), Some(theirs)) = (&ours, &theirs) {
            if ours != theirs {
                continue;
            }
        }
        let binary = std::fs::read_link(entry.path().join("exe"))
            .map(|exe| format!(", {}", exe.display()))
            .unwrap_or_default();
        return Some(format!("{what} (pid {}{binary})", name.to_string_lossy()));
    }
    None
}

/// When the host booted, from /proc/stat's `btime` (seconds since the epoch).
pub fn boot_time() -> Option<jiff::Timestamp> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let seconds = stat.lines().find_map(|l| l.strip_prefix("btime "))?;
    jiff::Timestamp::from_second(seconds.trim().parse().ok()?).ok()
}

/// The pid holding a flock(2) lock on `path`, if any, read from /proc/locks.
pub fn lock_holder(path: &Path) -> Option<u32> {
    let meta = std::fs::metadata(path).ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    lock_holder_in(&locks, meta.dev(), meta.ino())
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
pub const ENV_DOCKER_SOCKET: &str = "CRONTAINER_DOCKER_SOCKET";

/// The Docker daemon's socket that cron's line reaches (no `DOCKER_HOST` under cron).
pub fn docker_socket() -> PathBuf {
    std::env::var_os(ENV_DOCKER_SOCKET)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
}

/// Cron runs the line as `user` with no `DOCKER_HOST`, so the docker client talks to
/// /var/run/docker.sock: a user who may not write it (not root, not in the socket's group)
/// gets "permission denied" at every firing.
pub fn daemon_access_warning(runtime: &Path, user: &nix::unistd::User) -> Option<String> {
    if runtime.file_name() != Some(std::ffi::OsStr::new("docker")) {
        return None;
    }
    let socket = docker_socket();
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
pub fn writable_by(meta: &std::fs::Metadata, user: &nix::unistd::User) -> bool {
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
