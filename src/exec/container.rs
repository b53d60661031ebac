//! Which container a firing runs in, found exactly, once, before the `exec`: a named container
//! only if its name (or full id) is the one the line gives (the runtime also answers for a
//! prefix of another container's id), a Compose service's by the one lookup in
//! `runtime::resolve_service`. The runner then execs by the full id, so the container cannot
//! change between the lookup and the run.

use std::time::Duration;

use crate::line::{EXIT_NO_CONTAINER, REASON_NO_CONTAINER};
use crate::runner_args::RunnerArgs;
use crate::runtime::{self, Env, Inspected};

/// The container a firing runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The full id, for `exec`.
    pub(crate) id: String,
    /// The host pid of the container's first process (0 if unknown): its cgroup holds the job.
    pub(crate) init_pid: u32,
}

/// Why a firing has no container to run in: the words for the log, the exit code and the end
/// line's `reason=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unavailable {
    pub(crate) message: String,
    pub(crate) exit: i32,
    pub(crate) reason: &'static str,
}

/// The runtime client's variables from the line's `--runtime-env` words.
pub(crate) fn runtime_env(args: &RunnerArgs) -> Env {
    args.runtime_env
        .iter()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// Finds the container the line names, exactly.
pub(crate) fn resolve(args: &RunnerArgs, env: &Env) -> Result<Target, Unavailable> {
    let runtime = &args.runtime;
    let unavailable = |message: String| Unavailable {
        message,
        exit: EXIT_NO_CONTAINER,
        reason: REASON_NO_CONTAINER,
    };
    if let Some(service) = &args.service {
        let listed = runtime::running_service_containers(runtime, env).map_err(unavailable)?;
        let project = args.project.as_deref();
        return match runtime::resolve_service(&listed, service, project) {
            Ok(found) => {
                // The pid is for stopping the job; a failed inspect only loses that.
                let init_pid = runtime::inspect(runtime, env, &found.id)
                    .ok()
                    .flatten()
                    .map_or(0, |i| i.pid);
                Ok(Target {
                    id: found.id.clone(),
                    init_pid,
                })
            }
            Err(why) => {
                let (exit, reason) = why.exit_and_reason();
                let words = match project {
                    Some(project) => format!("service {service} of project {project}"),
                    None => format!("service {service}"),
                };
                Err(Unavailable {
                    message: format!("crontainer: {words} {}", why.state()),
                    exit,
                    reason,
                })
            }
        };
    }
    let name = args.container().unwrap_or_default();
    match runtime::inspect(runtime, env, name) {
        Ok(Some(Inspected { id, status, pid })) if status == "running" => {
            Ok(Target { id, init_pid: pid })
        }
        Ok(Some(Inspected { status, .. })) => Err(unavailable(format!(
            "crontainer: container {name} is not running ({status})"
        ))),
        Ok(None) => Err(unavailable(format!(
            "crontainer: no container is named {name}"
        ))),
        Err(why) => Err(unavailable(format!(
            "crontainer: {} could not say whether container {name} runs: {why}",
            runtime.display()
        ))),
    }
}

/// How long a catch-up waits for its container after a boot (dockerd and a restart policy bring
/// it up), asking every [`WAIT_STEP`]; then it goes on, and a container still down fails the run
/// visibly, as a cron firing would.
pub(crate) const WAIT_FOR: Duration = Duration::from_secs(300);
pub(crate) const WAIT_STEP: Duration = Duration::from_secs(5);

/// Waits until the container resolves, at most [`WAIT_FOR`]; `said` is called once, before the
/// first wait, so the log says why the run starts late.
pub(crate) fn wait_for(args: &RunnerArgs, env: &Env, mut said: impl FnMut(&Unavailable)) {
    let mut waited = Duration::ZERO;
    let mut told = false;
    while let Err(why) = resolve(args, env) {
        if waited >= WAIT_FOR {
            return;
        }
        if !told {
            said(&why);
            told = true;
        }
        std::thread::sleep(WAIT_STEP);
        waited += WAIT_STEP;
    }
}
