//! The orphaned run of an installed job: its runner and runtime client were killed and the job
//! goes on in the container (`exec/orphan.rs` says how it is found, and why on the host). Asked
//! with the runtime root trusts for the job's block (`commands::trust::runtime_for`), and only
//! for a run the log gives no end and whose lock no one holds.

use crate::commands::installed::Installed;
use crate::commands::trust;
use crate::config::ContainerRef;
use crate::exec::orphan::{self, Orphan};
use crate::line::{Entry, ParsedLine};
use crate::run_log::{self, LastRun, LockFile};

/// The orphan `entry`'s last run (`lock`, its lock file; `last`, from its log) left, if any.
pub(super) fn orphaned(
    entry: &Entry,
    installed: &Installed,
    parsed: Option<&ParsedLine>,
    lock: &LockFile,
    last: &LastRun,
) -> Option<Orphan> {
    if !orphan::left_going(last, lock) {
        return None;
    }
    // 0.1 and 0.2 lines mark no run: their own watcher stops the job.
    let mut args = parsed?.runner()?.ok()?.args;
    let (runtime, env) =
        trust::runtime_for(trust::written_by(&installed.target).as_deref(), entry).ok()?;
    args.runtime = runtime;
    orphan::of_last_run(&args, &env, lock, last)
}

/// The problem an orphan is, in words.
pub(super) fn problem(job: &str, container: Option<&ContainerRef>, orphan: &Orphan) -> String {
    let container = match container {
        Some(ContainerRef::Name(name)) => format!("container {name}"),
        Some(service) => service.to_string(),
        None => "its container".to_string(),
    };
    format!(
        "an orphaned run of {job} is still going in {container} (pid {}, started {}): its runner \
         was killed",
        orphan.found.pid,
        orphan.run.started_at().strftime(run_log::TIMESTAMP_FORMAT)
    )
}
