//! Stopping the job inside the container, not only the runtime's client: killing `docker exec`
//! leaves the process it started running in the container (moby#9098), and the container may
//! have no shell to help. The job's process is found on the host: it is in the container's
//! cgroup (the one `/proc/INIT/cgroup` names, cgroup v1 or v2 alike, compared whole), its parent
//! is not (the runtime's shim or conmon started it, as it starts every `exec`), and it started
//! after the client did; the command line breaks a tie. Its process group (each `exec` is a
//! session of its own) gets SIGTERM, then SIGKILL after a grace. Where the runner may not signal
//! it (a job of another user), `RUNTIME exec ID kill` does it inside, by the pid the container
//! knows (`NSpid`). When nothing works the caller says so on the end line and keeps the lock.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::container::Target;
use crate::runtime::{self, Env};

/// How long the job has to end after SIGTERM before SIGKILL.
pub(crate) const GRACE: Duration = Duration::from_secs(10);

/// The job's process as found on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) pid: i32,
    /// Its process group (the session the exec started).
    pub(crate) group: i32,
    /// Its pid inside the container's pid namespace.
    pub(crate) ns_pid: Option<i32>,
    /// Its environment carries this run's mark (`CRONTAINER_MARK=MARK`): it is this run's, not
    /// another run's of the same command. False where the environment cannot be read (another
    /// user's process, for a runner that is not root).
    pub(crate) verified: bool,
}

/// The fields of `/proc/PID/stat` after the command's closing parenthesis: state is the first.
fn stat_fields(proc: &Path, pid: i32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
    let after = &text[text.rfind(')')? + 1..];
    Some(after.split_whitespace().map(str::to_owned).collect())
}

/// When a process started, in clock ticks since boot (`/proc/PID/stat` field 22).
pub(crate) fn start_ticks(pid: i32) -> Option<u64> {
    stat_fields(Path::new("/proc"), pid)?.get(19)?.parse().ok()
}

/// The job's process in the container whose first process is `init`, started at or after
/// `after` (ticks): one whose environment holds `mark` (this run's) first; a process whose
/// environment is readable and lacks it is another run's and never picked; then one whose
/// command line is `argv`. `proc` is `/proc` and `sys`
/// `/sys/fs/cgroup` (copies in tests).
pub(crate) fn find(
    proc: &Path,
    sys: &Path,
    init: i32,
    after: u64,
    argv: &[String],
    mark: &str,
) -> Option<Found> {
    let cgroup_of = |pid: i32| std::fs::read(proc.join(pid.to_string()).join("cgroup")).ok();
    let theirs = cgroup_of(init)?;
    let mut candidates: Vec<(bool, u64, Found)> = Vec::new();
    for (pid, stat) in in_cgroup_of(proc, sys, init)? {
        // Started by the runtime from outside the container: an exec, not one of the job's
        // children nor the container's own processes.
        if stat.started < after || cgroup_of(stat.parent).as_ref() == Some(&theirs) {
            continue;
        }
        let verified = match std::fs::read(proc.join(pid.to_string()).join("environ")) {
            Ok(environ) => {
                if !environ.split(|b| *b == 0).any(|v| v == mark.as_bytes()) {
                    continue;
                }
                true
            }
            // It ended since its `stat` was read: nothing to stop (and its process group,
            // signalled, could be someone else's by now). Under load, with many processes
            // coming and going beside the container, this was the one taken.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(nix::libc::ESRCH) =>
            {
                continue;
            }
            // Another user's process: its environment cannot tell.
            Err(_) => false,
        };
        let cmdline = std::fs::read(proc.join(pid.to_string()).join("cmdline")).unwrap_or_default();
        let same = cmdline
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .eq(argv.iter().map(|a| a.as_bytes()).filter(|w| !w.is_empty()));
        candidates.push((
            same,
            stat.started,
            Found {
                pid,
                group: stat.group,
                ns_pid: ns_pid(proc, pid),
                verified,
            },
        ));
    }
    // This run's first, then the same command line, then the earliest after the client.
    candidates.sort_by_key(|(same, started, found)| (!found.verified, !same, *started));
    candidates.into_iter().next().map(|(_, _, found)| found)
}

/// What `/proc/PID/stat` says of a process in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) parent: i32,
    pub(crate) group: i32,
    /// When it started, in clock ticks since boot.
    pub(crate) started: u64,
}

/// The processes in the cgroup of `init` (the container's first process), `init` aside, each
/// with its [`Stat`]; None when `init`'s cgroup cannot be read (it is gone).
pub(crate) fn in_cgroup_of(proc: &Path, sys: &Path, init: i32) -> Option<Vec<(i32, Stat)>> {
    let cgroup_of = |pid: i32| std::fs::read(proc.join(pid.to_string()).join("cgroup")).ok();
    let theirs = cgroup_of(init)?;
    let mut found = Vec::new();
    for pid in pids_near(proc, sys, &theirs)? {
        if pid == init || cgroup_of(pid).as_ref() != Some(&theirs) {
            continue;
        }
        let Some(fields) = stat_fields(proc, pid) else {
            continue;
        };
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<i64>().ok());
        let (Some(parent), Some(group), Some(started)) = (field(1), field(2), field(19)) else {
            continue;
        };
        found.push((
            pid,
            Stat {
                parent: i32::try_from(parent).unwrap_or(0),
                group: i32::try_from(group).unwrap_or(pid),
                started: u64::try_from(started).unwrap_or(0),
            },
        ));
    }
    Some(found)
}

/// The processes that may be in the cgroup `/proc/INIT/cgroup` names (`theirs`): its
/// `cgroup.procs` under `sys` (`/sys/fs/cgroup`), a v1 controller's (`pids` first) or the v2
/// hierarchy's (alone, or `unified` beside v1), read in one go; or, when none can be read, every
/// process in `proc`. Each is checked against `theirs` anyway.
fn pids_near(proc: &Path, sys: &Path, theirs: &[u8]) -> Option<Vec<i32>> {
    let text = String::from_utf8_lossy(theirs);
    let mut dirs = Vec::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            dirs.push(sys.join("unified").join(path));
            dirs.push(sys.join(path));
        } else {
            for c in controllers.split(',') {
                let dir = sys.join(c.trim_start_matches("name=")).join(path);
                if c == "pids" {
                    dirs.insert(0, dir);
                } else {
                    dirs.push(dir);
                }
            }
        }
    }
    for dir in dirs {
        if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
            let pids: Vec<i32> = procs.lines().filter_map(|l| l.parse().ok()).collect();
            if !pids.is_empty() {
                return Some(pids);
            }
        }
    }
    Some(
        std::fs::read_dir(proc)
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect(),
    )
}

/// Whether the job the client `client_started` ran is still in the container after its client
/// ended: the client was stopped alone (Docker 28's CLI exits 0 on SIGTERM and leaves the job
/// running, moby#9098).
pub(crate) fn still_running(
    target: &Target,
    client_started: u64,
    argv: &[String],
    mark: &str,
) -> bool {
    // Only a process known to be this run's: a client that ended with a code is believed
    // unless its job is certainly still there (another run of the same command may be).
    find_on_host(target, client_started, argv, mark).is_some_and(|f| f.verified && alive(f.pid))
}

/// [`find`] in the host's /proc, in the container of `target` (None when its first process is
/// unknown).
fn find_on_host(target: &Target, after: u64, argv: &[String], mark: &str) -> Option<Found> {
    let init = i32::try_from(target.init_pid).ok().filter(|p| *p > 0)?;
    find(
        Path::new("/proc"),
        Path::new(SYS_CGROUP),
        init,
        after,
        argv,
        mark,
    )
}

/// Where the cgroup hierarchies are mounted.
pub(crate) const SYS_CGROUP: &str = "/sys/fs/cgroup";

/// The pid a process has in the innermost pid namespace (`NSpid:` of `/proc/PID/status`).
pub(crate) fn ns_pid(proc: &Path, pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(proc.join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

pub(crate) fn alive(pid: i32) -> bool {
    // A zombie is gone for our purpose: it runs nothing.
    stat_fields(Path::new("/proc"), pid).is_some_and(|f| f.first().map(String::as_str) != Some("Z"))
}

/// How the stop went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The job is gone from the container (or was already).
    Yes,
    /// It may still run there: why.
    No(String),
}

/// Stops the job the client `client_started` (ticks) runs in `target`: TERM to its process
/// group, KILL after [`GRACE`].
pub(crate) fn stop(
    runtime_path: &Path,
    env: &Env,
    target: &Target,
    client_started: u64,
    argv: &[String],
    mark: &str,
) -> Stopped {
    if target.init_pid == 0 {
        return Stopped::No("the container's first process is unknown".into());
    }
    let Some(found) = find_on_host(target, client_started, argv, mark) else {
        // Not in the container (any more): it ended, or never started.
        return Stopped::Yes;
    };
    stop_found(runtime_path, env, target, &found)
}

/// Stops `found`, a job's process in `target`: TERM to its process group, KILL after [`GRACE`].
pub(crate) fn stop_found(
    runtime_path: &Path,
    env: &Env,
    target: &Target,
    found: &Found,
) -> Stopped {
    for (signal, wait) in [(Signal::SIGTERM, GRACE), (Signal::SIGKILL, GRACE)] {
        if let Err(why) = signal_group(runtime_path, env, target, found, signal) {
            return Stopped::No(why);
        }
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if !alive(found.pid) {
                return Stopped::Yes;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Stopped::No(format!("process {} still runs after SIGKILL", found.pid))
}

/// Signals the job's process group from the host, or, when the runner may not (EPERM), from
/// inside the container with its `kill`.
fn signal_group(
    runtime_path: &Path,
    env: &Env,
    target: &Target,
    found: &Found,
    signal: Signal,
) -> Result<(), String> {
    match nix::sys::signal::killpg(Pid::from_raw(found.group), signal) {
        Ok(()) => return Ok(()),
        Err(nix::errno::Errno::ESRCH) => return Ok(()),
        Err(nix::errno::Errno::EPERM) => {}
        Err(e) => return Err(format!("kill: {e}")),
    }
    let Some(ns_pid) = found.ns_pid else {
        return Err(format!("not allowed to signal process {}", found.pid));
    };
    let name = signal.as_str().trim_start_matches("SIG");
    // No `--`: busybox's kill refuses it, and after `-s` a negative number is a group.
    let group = format!("-{ns_pid}");
    let output = runtime::client(runtime_path, env)
        .args(["exec", &target.id, "kill", "-s", name, &group])
        .output();
    match output {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "not allowed to signal process {}, and `kill` in the container failed: {}{}",
            found.pid,
            String::from_utf8_lossy(&o.stdout).trim(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// This run's mark, as the lock file keeps it.
    pub(crate) const NONCE: &str = "0123456789abcdef0123456789abcdef";

    /// This run's mark, as the exec sets it.
    pub(crate) const MARK: &str = "CRONTAINER_MARK=0123456789abcdef0123456789abcdef";

    /// The cgroup of the fake container, and its first process's.
    pub(crate) const CONTAINER: &str = "0::/system.slice/docker-abc.scope\n";

    /// The runtime's shim, on the host (it starts every exec), and the container's first
    /// process (501), which it started.
    pub(crate) const SHIM_AND_INIT: [Process<'static>; 2] = [
        (
            500,
            1,
            500,
            10,
            "0::/system.slice/containerd.service\n",
            &["shim"],
        ),
        (501, 500, 501, 11, CONTAINER, &["busybox", "sleep", "1d"]),
    ];

    /// One process of a fake /proc: pid, parent, group, start ticks, cgroup, cmdline words.
    pub(crate) type Process<'a> = (i32, i32, i32, u64, &'a str, &'a [&'a str]);

    pub(crate) fn proc(entries: &[Process]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (pid, parent, group, started, cgroup, argv) in entries {
            let p = dir.path().join(pid.to_string());
            std::fs::create_dir(&p).unwrap();
            // Fields after the command: state ppid pgrp session ... starttime is the 20th.
            let mut fields = vec!["S".to_string(), parent.to_string(), group.to_string()];
            fields.extend((0..16).map(|_| "0".to_string()));
            fields.push(started.to_string());
            std::fs::write(
                p.join("stat"),
                format!("{pid} (a b) {}\n", fields.join(" ")),
            )
            .unwrap();
            std::fs::write(p.join("cgroup"), cgroup).unwrap();
            let mut cmdline = argv.join("\0");
            cmdline.push('\0');
            std::fs::write(p.join("cmdline"), cmdline).unwrap();
            std::fs::write(
                p.join("status"),
                format!("Name:\tx\nNSpid:\t{pid}\t{}\n", pid - 100),
            )
            .unwrap();
            // An environment that cannot be read (another user's, for a runner that is not
            // root): reading a directory fails, and not as a process that is gone would.
            std::fs::create_dir(p.join("environ")).unwrap();
        }
        dir
    }

    /// Gives process `pid` of the fake /proc `dir` the environment `vars` (`N=V\0`...).
    pub(crate) fn environ(dir: &tempfile::TempDir, pid: i32, vars: &str) {
        let path = dir.path().join(pid.to_string()).join("environ");
        let _ = std::fs::remove_dir(&path);
        std::fs::write(path, vars).unwrap();
    }

    /// [`find`] in the fake /proc `dir` (no cgroup hierarchy: every process is looked at), for
    /// this run's [`MARK`].
    fn find_in(dir: &tempfile::TempDir, init: i32, after: u64, argv: &[&str]) -> Option<Found> {
        let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        find(
            dir.path(),
            &dir.path().join("no-sys"),
            init,
            after,
            &argv,
            MARK,
        )
    }

    #[test]
    fn the_job_is_the_exec_in_the_containers_cgroup_started_after_the_client() {
        let c = CONTAINER;
        let host = "0::/user.slice\n";
        let mut entries = vec![(1, 0, 1, 1, "0::/init.scope\n", &["/sbin/init"][..])];
        entries.extend(SHIM_AND_INIT);
        entries.extend([
            // An old exec of the same command.
            (600, 500, 600, 50, c, &["sleep", "60"][..]),
            // The client, on the host.
            (
                700,
                650,
                700,
                100,
                host,
                &["docker", "exec", "-i", "abc", "sleep", "60"],
            ),
            // Another exec started after ours, with another command.
            (702, 500, 702, 102, c, &["other"]),
            // Ours, and its child (whose parent is in the container).
            (701, 500, 701, 101, c, &["sleep", "60"]),
            (703, 701, 701, 103, c, &["sleep", "60"]),
        ]);
        let dir = proc(&entries);
        let argv = ["sleep", "60"];
        assert_eq!(
            find_in(&dir, 501, 100, &argv),
            Some(Found {
                pid: 701,
                group: 701,
                ns_pid: Some(601),
                verified: false,
            })
        );
        // A command that re-executed itself under another name is still found.
        assert_eq!(
            find_in(&dir, 501, 100, &["python"]).map(|f| f.pid),
            Some(701)
        );
        assert_eq!(find_in(&dir, 501, 200, &argv), None);
        assert_eq!(find_in(&dir, 9, 100, &argv), None);
        // One that ended since its `stat` was read (its environment gone with it) is never
        // taken, though its command line is the job's: the exec after it is.
        std::fs::remove_dir(dir.path().join("701").join("environ")).unwrap();
        assert_eq!(find_in(&dir, 501, 100, &argv).map(|f| f.pid), Some(702));
    }

    #[test]
    fn another_runs_process_of_the_same_command_is_never_taken_for_this_runs() {
        let mut entries = SHIM_AND_INIT.to_vec();
        // Another job's run of the same command, started with ours.
        entries.extend([
            (701, 500, 701, 101, CONTAINER, &["sleep", "60"][..]),
            (702, 500, 702, 101, CONTAINER, &["sleep", "60"]),
        ]);
        let dir = proc(&entries);
        environ(
            &dir,
            701,
            "PATH=/bin\0CRONTAINER_MARK=fedcba9876543210fedcba9876543210\0",
        );
        environ(&dir, 702, &format!("PATH=/bin\0{MARK}\0"));
        let argv = ["sleep", "60"];
        let found = find_in(&dir, 501, 100, &argv);
        assert_eq!(found.map(|f| (f.pid, f.verified)), Some((702, true)));
        // Ours gone, the other's is never ours.
        std::fs::remove_dir_all(dir.path().join("702")).unwrap();
        assert_eq!(find_in(&dir, 501, 100, &argv), None);
    }
}
