//! An orphaned run: its runner and its runtime client were both killed (SIGKILL, the OOM killer),
//! so nothing on the host holds the job's lock or will write its end line, while the job goes on
//! in the container (killing `docker exec` never stops what it started, moby#9098). 0.2's line
//! had a watcher inside the container for this; the runner has none, so it is found instead, and
//! shown (principle 7: no run goes on unseen): `status` names it and is unhealthy, and the next
//! firing skips with `reason=orphaned` under `concurrency = "forbid"` (the default: never two runs
//! at once, as if the lock were still held), stops it under `"replace"`, and runs beside it under
//! `"allow"`.
//!
//! It is looked for only when the job's last run (the one its lock file names) was left by its
//! runner (its mark is still in the lock file: [`left_going`]) and no one holds the lock: one
//! `inspect` of the container then, nothing on a healthy firing or status.
//!
//! Where: on the host, not inside the container. Every exec carries the run's mark
//! (`CRONTAINER_MARK=MARK`, `child::MARK_VAR`: random, kept in the lock file's second line, never
//! the run id, so the job cannot print an end line for its run and escape this) in its environment, and the job's processes
//! are in the cgroup of the container's first process (the pid `inspect` gives). Reading their
//! `/proc/PID/environ` there works for any container, a distroless one with no program to run
//! included (`RUNTIME exec C cat /proc/*/environ` needs a `cat` and a shell's glob), and for
//! Docker and Podman alike, rootless ones included: the kernel lets root, and the user owning a
//! rootless runtime's user namespace, read those files. A user who may not read them (a member of
//! the `docker` group looking at a rootful container's processes) sees no orphan: the status says
//! only that the run has no end line, as before. Neither does anyone for a run whose lock file
//! holds no mark (a 0.2 line's, whose own watcher stops its job).

use std::path::Path;

use super::stop::{self, Found};
use crate::run_log::{self, Event, LockFile, RunId};

/// A run left in the container without its runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphan {
    pub(crate) run: RunId,
    /// Its first process (the exec's; its children carry the mark too).
    pub(crate) found: Found,
    /// The container it runs in.
    pub(crate) target: super::container::Target,
}

/// Whether `last`, the last run of a job, may still run in the container: it has no end line,
/// or an end line saying it could not be stopped there (`stopped=no`).
pub(crate) fn may_still_run(last: &run_log::LastRun) -> bool {
    match &last.ended {
        None => last.run.is_some(),
        Some(record) => matches!(
            record.event,
            Event::End {
                stopped: Some(false),
                ..
            }
        ),
    }
}

/// Whether the run the lock file names may have been left going by its runner: the runner takes
/// its mark out of the lock file right after its end line (and keeps it when the job could not be
/// stopped), so a mark still there says the runner never finished, whatever the log holds. A job
/// that guessed its run id and printed an end line for it (the id is not secret: a pid and a
/// second) hides nothing here. Without a mark (a 0.2 line's run), the log says
/// ([`may_still_run`]).
pub(crate) fn left_going(last: &run_log::LastRun, lock: &LockFile) -> bool {
    (lock.run.is_some() && lock.mark.is_some()) || may_still_run(last)
}

/// The process of the run marked `mark` in the container whose first process is `init`: in that
/// process's cgroup, with the mark in its environment; the earliest started of them. `proc` is
/// `/proc` and `sys` `/sys/fs/cgroup` (copies in tests).
pub(crate) fn find(proc: &Path, sys: &Path, init: i32, mark: &str) -> Option<Found> {
    let mark = super::child::mark_var(mark);
    stop::in_cgroup_of(proc, sys, init)?
        .into_iter()
        .filter(|(pid, _)| {
            std::fs::read(proc.join(pid.to_string()).join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == mark.as_bytes()))
        })
        .min_by_key(|(pid, fields)| (fields.started, *pid))
        .map(|(pid, fields)| Found {
            pid,
            group: fields.group,
            ns_pid: stop::ns_pid(proc, pid),
            verified: true,
        })
}

/// The orphan of `run`, marked `mark`, in the container of `target`, looked for in the host's
/// /proc.
pub(crate) fn find_in(target: &super::container::Target, run: RunId, mark: &str) -> Option<Orphan> {
    let init = i32::try_from(target.init_pid).ok().filter(|p| *p > 0)?;
    find(Path::new("/proc"), Path::new(stop::SYS_CGROUP), init, mark)
        .filter(|found| stop::alive(found.pid))
        .map(|found| Orphan {
            run,
            found,
            target: target.clone(),
        })
}

/// The orphan the last run of the job `args` describes left, if any: `lock` is what its lock file
/// says (the run and its mark), `last` what the log says of it. The caller knows no one holds the
/// lock. `env` is the runtime's environment, `args.runtime` the runtime asked (for `status` as
/// root, its own, never one a user's block names).
pub(crate) fn of_last_run(
    args: &crate::runner_args::RunnerArgs,
    env: &crate::runtime::Env,
    lock: &LockFile,
    last: &run_log::LastRun,
) -> Option<Orphan> {
    let (run, mark) = (lock.run?, lock.mark.as_deref()?);
    if !left_going(last, lock) {
        return None;
    }
    let target = super::container::resolve(args, env).ok()?;
    find_in(&target, run, mark)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::stop::tests::{CONTAINER, MARK, NONCE, SHIM_AND_INIT, environ, proc};

    /// A run.
    const RUN: RunId = RunId {
        pid: 42,
        started: 1796400000,
    };

    #[test]
    fn the_orphan_is_the_first_process_in_the_container_carrying_the_runs_mark() {
        let mut entries = SHIM_AND_INIT.to_vec();
        // The run's exec and its child, both with the mark; another run's; one without.
        entries.extend([
            (701, 500, 701, 101, CONTAINER, &["sh", "-c", "work"][..]),
            (702, 701, 701, 102, CONTAINER, &["work"]),
            (703, 500, 703, 99, CONTAINER, &["work"]),
            (704, 500, 704, 98, CONTAINER, &["work"]),
        ]);
        let dir = proc(&entries);
        environ(&dir, 701, &format!("PATH=/bin\0{MARK}\0"));
        environ(&dir, 702, &format!("{MARK}\0"));
        environ(&dir, 703, &format!("{MARK}1\0"));
        let no_sys = dir.path().join("no-sys");
        assert_eq!(
            find(dir.path(), &no_sys, 501, NONCE),
            Some(Found {
                pid: 701,
                group: 701,
                ns_pid: Some(601),
                verified: true,
            })
        );
        // Another container (another first process's cgroup) holds none of it.
        environ(&dir, 500, &format!("{MARK}\0"));
        assert_eq!(find(dir.path(), &no_sys, 500, NONCE).map(|f| f.pid), None);
        // Gone from the container: no orphan.
        for pid in [701, 702] {
            std::fs::remove_dir_all(dir.path().join(pid.to_string())).unwrap();
        }
        assert_eq!(find(dir.path(), &no_sys, 501, NONCE), None);
    }

    #[test]
    fn only_a_run_without_an_end_or_one_not_stopped_or_still_marked_may_still_run() {
        let record = |event| run_log::Record {
            at: jiff::Timestamp::UNIX_EPOCH,
            job: "j".into(),
            event,
            by: run_log::Trigger::Cron,
        };
        let end = |stopped| {
            record(Event::End {
                exit: 124,
                seconds: 1,
                timeout: None,
                run: Some(RUN),
                ping: None,
                reason: None,
                signal: None,
                stopped,
            })
        };
        let last = |ended, run| run_log::LastRun {
            ended,
            run,
            ..Default::default()
        };
        // A mark left in the lock file: the runner never finished, whatever the log says.
        let lock = |mark: Option<&str>| LockFile {
            run: Some(RUN),
            mark: mark.map(str::to_owned),
        };
        let ended = last(Some(end(None)), Some(RUN));
        assert!(left_going(&ended, &lock(Some(NONCE))));
        assert!(!left_going(&ended, &lock(None)));
        assert!(left_going(&last(None, Some(RUN)), &lock(None)));
        assert!(may_still_run(&last(None, Some(RUN))));
        assert!(may_still_run(&last(Some(end(Some(false))), Some(RUN))));
        assert!(!may_still_run(&last(Some(end(None)), Some(RUN))));
        assert!(!may_still_run(&last(None, None)));
    }
}
