//! The container runtime (docker or podman) and the host tools the cron line runs: resolved
//! once to absolute paths, because cron's PATH is only `/usr/bin:/bin` while docker often lives
//! in /usr/local/bin or /snap/bin.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::config::ContainerRef;
use crate::error::bad_input;
use crate::line::{
    EXIT_NO_CONTAINER, EXIT_SEVERAL_PROJECTS, PROJECT_LABEL, REASON_NO_CONTAINER,
    REASON_SEVERAL_PROJECTS, SERVICE_LABEL, Tools,
};
use crate::process::Cmd;

/// Names the binary the runner lines name, in place of this one: for tests, whose lines must
/// not depend on where the checkout is; never warned about as temporary.
pub(crate) const ENV_EXE: &str = "CRONTAINER_EXE";

/// The crontainer binary a runner line names: this one, by its canonical path (or
/// `$CRONTAINER_EXE`).
pub(crate) fn own_binary() -> PathBuf {
    match std::env::var_os(ENV_EXE) {
        Some(exe) if !exe.is_empty() => PathBuf::from(exe),
        _ => std::env::current_exe()
            .and_then(std::fs::canonicalize)
            .unwrap_or_else(|_| PathBuf::from("/usr/bin/crontainer")),
    }
}

/// Whether `exe` lies where it will not stay: a cargo build directory (`target/debug`,
/// `target/release`), /tmp or /var/tmp; a line naming it breaks at the next `cargo clean` or
/// reboot. Never for `$CRONTAINER_EXE`.
pub(crate) fn is_temporary_binary(exe: &Path) -> bool {
    if std::env::var_os(ENV_EXE).is_some_and(|e| !e.is_empty()) {
        return false;
    }
    let parts: Vec<_> = exe.components().map(|c| c.as_os_str()).collect();
    let in_build_dir = parts
        .windows(2)
        .any(|w| w[0] == "target" && (w[1] == "debug" || w[1] == "release"));
    in_build_dir || exe.starts_with("/tmp") || exe.starts_with("/var/tmp")
}

/// A program the line needs, found or not.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) found: bool,
}

/// Resolves `name` (a bare name looked up on PATH, or an absolute path). When it cannot be
/// found, `fallback` is the path that would be used.
pub(crate) fn find(name: &str, fallback: &str) -> Found {
    if name.starts_with('/') {
        let path = PathBuf::from(name);
        let found = is_executable(&path);
        return Found { path, found };
    }
    // Looked up on PATH once per run and name: install resolves the tools again for each
    // comparison with what is installed, and each lookup asks about every PATH entry.
    static FOUND: std::sync::Mutex<std::collections::BTreeMap<String, Option<PathBuf>>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let path = FOUND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_string())
        .or_insert_with(|| which::which(name).ok())
        .clone();
    match path {
        Some(path) => Found { path, found: true },
        None => Found {
            path: PathBuf::from(fallback),
            found: false,
        },
    }
}

pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A program that could not be found, and what to say about it.
#[derive(Debug, Clone)]
pub(crate) struct Missing {
    pub(crate) message: String,
}

/// The programs a runner line names, and the runtime when it could not be found. The line runs
/// the crontainer binary, which runs the runtime: nothing else of the host (0.2's lines needed
/// flock, date, tail, sleep, curl and wc; `doctor` checks those only where such lines remain).
pub(crate) fn resolve_tools(runtime: &str) -> (Tools, Option<Missing>) {
    let runtime_fallback = if runtime.starts_with('/') {
        runtime.to_string()
    } else {
        format!("/usr/bin/{runtime}")
    };
    let found = find(runtime, &runtime_fallback);
    let missing = (!found.found).then(|| Missing {
        message: format!(
            "`{runtime}` was not found on PATH; the line would use {} (set `[defaults] runtime` \
             to its absolute path if it is installed elsewhere)",
            found.path.display()
        ),
    });
    (
        Tools {
            runtime: found.path,
            crontainer: own_binary(),
            escape_percent: !crate::host::cron_daemon().is_some_and(|d| d.starts_with("busybox")),
        },
        missing,
    )
}

/// Like [`resolve_tools`], but a runtime not found is an error: `install` must not write a line
/// that fails at 3 a.m.
pub(crate) fn require_tools(runtime: &str) -> Result<Tools> {
    match resolve_tools(runtime) {
        (tools, None) => Ok(tools),
        (_, Some(missing)) => Err(bad_input(missing.message)),
    }
}

/// Why `user`'s jobs cannot reach the containers crontainer sees through `runtime`, if they
/// cannot. Docker: the user may not use the daemon's socket. Podman has no daemon: each user has
/// a store of their own (rootless), so jobs run as another user than the one running crontainer
/// would look for the container in that user's store, while `install`, `status` and `run-now`
/// look in ours (as root: the rootful one, which only root's jobs reach).
pub(crate) fn access_warning(
    runtime: &Path,
    env: &Env,
    user: &nix::unistd::User,
) -> Option<String> {
    if !is_podman(runtime) {
        let host = env.get("DOCKER_HOST").map(String::as_str);
        return crate::host::daemon_access_warning(runtime, host, user);
    }
    let me = nix::unistd::geteuid();
    (user.uid != me).then(|| {
        let me = crate::host::current_user();
        format!(
            "the jobs run as {user} but podman has no daemon they share with {me}: they will \
             look for their containers in {user}'s own (rootless) podman, not in {me}'s that \
             crontainer checks, and fail: run them as {me} (`[cron] user = \"{me}\"`), or, if \
             the containers are {user}'s, install as {user} into {user}'s own crontab",
            user = user.name
        )
    })
}

/// The runtime client's own variables from the config (`runtime_env`), as the line exports them.
pub(crate) type Env = std::collections::BTreeMap<String, String>;

/// A call of the runtime's client as the cron line makes it: none of the client variables a
/// login shell may carry, only the config's `runtime_env`. The one way crontainer runs it.
pub(crate) fn client(runtime: &Path, env: &Env) -> Cmd {
    let mut cmd = Cmd::new(runtime);
    for var in DOCKER_CLIENT_VARS {
        cmd = cmd.env_remove(var);
    }
    for (name, value) in env {
        cmd = cmd.env(name, value);
    }
    cmd
}

/// Whether the runtime is Podman (by its file name, as for Docker's socket shortcut).
pub(crate) fn is_podman(runtime: &Path) -> bool {
    runtime.file_name() == Some(std::ffi::OsStr::new("podman"))
}

/// A container's state as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ContainerState {
    Running,
    /// Exists but is not running (created, exited, paused, restarting, dead).
    Stopped(String),
    Missing,
    /// The runtime did not answer (daemon down, no permission).
    Unknown(String),
    /// A Compose service that resolves to no container now: why, in words.
    Unresolved(String),
}

impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerState::Running => f.write_str("running"),
            ContainerState::Stopped(status) => write!(f, "not running ({status})"),
            ContainerState::Missing => f.write_str("missing (no such container)"),
            ContainerState::Unknown(why) => write!(f, "unknown: {why}"),
            ContainerState::Unresolved(why) => f.write_str(why),
        }
    }
}

/// The runtime clients' variables a login shell may carry but cron does not: whatever crontainer
/// asks the runtime, it asks the daemon (or, for podman, the store) that the cron line will
/// reach. Docker's, and podman's that point it at a remote service or another config (podman
/// 4.3 obeys `CONTAINER_HOST` and `CONTAINER_CONNECTION`; the name predates podman support).
pub(crate) const DOCKER_CLIENT_VARS: [&str; 9] = [
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "DOCKER_API_VERSION",
    "CONTAINER_HOST",
    "CONTAINER_CONNECTION",
    "CONTAINERS_CONF",
];

/// Asks the runtime for the state of each container. For docker, straight from the daemon's
/// socket (one small HTTP request per container, no client process: starting the docker CLI
/// costs ~20 ms, most of what `status` and `install` take); otherwise, or when the socket
/// cannot be reached, one `inspect` call of the runtime's CLI.
pub(crate) fn container_states(runtime: &Path, env: &Env, names: &[&str]) -> Vec<ContainerState> {
    if names.is_empty() {
        return Vec::new();
    }
    let socket = crate::host::docker_socket(env.get("DOCKER_HOST").map(String::as_str));
    if let (true, Some(socket)) = (
        runtime.file_name() == Some(std::ffi::OsStr::new("docker")),
        socket,
    ) {
        // One request per distinct container (many jobs often share one).
        let mut unique: Vec<&str> = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let states: std::io::Result<Vec<_>> = unique
            .iter()
            .map(|name| state_from_socket(&socket, name))
            .collect();
        if let Ok(states) = states {
            return names
                .iter()
                .map(|name| states[unique.binary_search(name).expect("deduplicated")].clone())
                .collect();
        }
    }
    states_from_cli(runtime, env, names)
}

/// One job's container as it resolves now (see [`resolve_containers`]).
pub(crate) fn resolve_container(
    runtime: &Path,
    env: &Env,
    r: &ContainerRef,
) -> (String, ContainerState) {
    resolve_containers(runtime, env, &[r]).remove(0)
}

/// Each job's container as it resolves now, with its state: a named container as it is, a
/// Compose service's to the running container its line would pick (its name, `Running`) or to
/// `ContainerState::Unresolved` saying why none. One inspect call for the names and one `ps`
/// call for the services.
pub(crate) fn resolve_containers(
    runtime: &Path,
    env: &Env,
    refs: &[&ContainerRef],
) -> Vec<(String, ContainerState)> {
    let names: Vec<&str> = refs.iter().filter_map(|r| r.name()).collect();
    let mut states = container_states(runtime, env, &names).into_iter();
    let listed = if refs.iter().any(|r| r.name().is_none()) {
        Some(running_service_containers(runtime, env))
    } else {
        None
    };
    refs.iter()
        .map(|r| match r {
            ContainerRef::Name(name) => (name.clone(), states.next().expect("one state per name")),
            ContainerRef::Service { service, project } => {
                let resolved = match listed.as_ref().expect("listed for services") {
                    Ok(list) => {
                        resolve_service(list, service, project.as_deref()).map_err(|u| u.state())
                    }
                    Err(why) => Err(ContainerState::Unknown(why.clone())),
                };
                match resolved {
                    // Listed but paused or restarting: the exec will fail, and say so.
                    Ok(found) if found.state == "running" => {
                        (found.name.clone(), ContainerState::Running)
                    }
                    Ok(found) => (
                        found.name.clone(),
                        ContainerState::Stopped(found.state.clone()),
                    ),
                    Err(state) => (r.to_string(), state),
                }
            }
        })
        .collect()
}

/// A container `RUNTIME ps` lists (running, or paused or restarting) that Compose's labels tie to
/// a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceContainer {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) project: String,
    pub(crate) service: String,
    /// `running`, `paused`, `restarting`, as `ps` says.
    pub(crate) state: String,
}

/// The label Compose puts on the containers of `compose run` (`True`), which are not the
/// service's own.
pub(crate) const ONEOFF_LABEL: &str = "com.docker.compose.oneoff";

/// The separator of the `ps` format below: none of Docker's ids, Compose's project and service
/// names, nor container names holds it.
const PS_SEPARATOR: char = '/';

/// Every container `RUNTIME ps` lists with a Compose service label, in its order (the order the
/// cron line picks from); the runtime's error when it does not answer.
pub(crate) fn running_service_containers(
    runtime: &Path,
    env: &Env,
) -> std::result::Result<Vec<ServiceContainer>, String> {
    let format = format!(
        "{{{{.ID}}}}{PS_SEPARATOR}{{{{.Label \"{PROJECT_LABEL}\"}}}}{PS_SEPARATOR}{{{{.Label \"{SERVICE_LABEL}\"}}}}{PS_SEPARATOR}{{{{.State}}}}{PS_SEPARATOR}{{{{.Names}}}}{PS_SEPARATOR}{{{{.Label \"{ONEOFF_LABEL}\"}}}}"
    );
    // Full ids: the runner execs by id, and a prefix could name another container.
    let cmd = client(runtime, env).args([
        "ps".to_string(),
        "--no-trunc".into(),
        "-f".into(),
        format!("label={SERVICE_LABEL}"),
        "--format".into(),
        format,
    ]);
    let output = cmd.output().map_err(|e| format!("{e:#}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "`{} ps` failed: {}",
            runtime.display(),
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(5, PS_SEPARATOR);
            let id = parts.next()?.to_string();
            let project = parts.next()?.to_string();
            let service = parts.next()?.to_string();
            let state = parts.next()?.to_string();
            // The names, then the one-off label (`True` on `compose run`'s containers).
            let rest = parts.next()?;
            let (name, oneoff) = match rest.rsplit_once(PS_SEPARATOR) {
                Some((name, label)) if matches!(label, "" | "True" | "False") => {
                    (name, label == "True")
                }
                _ => (rest, false),
            };
            // `docker compose run` makes one-off containers with the service's labels: a job
            // of the service must never run in one of those.
            (!oneoff).then(|| ServiceContainer {
                id,
                project,
                service,
                state,
                name: name.to_string(),
            })
        })
        .collect())
}

/// Why a Compose service resolves to no container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// No container of the service is listed (in its project, when given).
    NoContainer,
    /// No `project` given, and the service runs in these several projects.
    SeveralProjects(Vec<String>),
}

impl Unresolved {
    /// The exit code and the end line's `reason=` of a firing that finds this.
    pub(crate) fn exit_and_reason(&self) -> (i32, &'static str) {
        match self {
            Unresolved::NoContainer => (EXIT_NO_CONTAINER, REASON_NO_CONTAINER),
            Unresolved::SeveralProjects(_) => (EXIT_SEVERAL_PROJECTS, REASON_SEVERAL_PROJECTS),
        }
    }

    /// As `status` shows it, worded to follow "service NAME".
    pub(crate) fn state(&self) -> ContainerState {
        ContainerState::Unresolved(match self {
            Unresolved::NoContainer => format!(
                "has no running container (each firing fails with exit {EXIT_NO_CONTAINER})"
            ),
            Unresolved::SeveralProjects(projects) => format!(
                "runs in several Compose projects ({}): each firing fails with exit \
                 {EXIT_SEVERAL_PROJECTS} until the job sets `project`",
                projects.join(", ")
            ),
        })
    }
}

/// The container a service job runs in, the one rule of the runner and of `status`: the first
/// listed container of the service (in `project` when given), never a one-off (`compose run`'s:
/// [`running_service_containers`] leaves them out); none, or (no `project`) the service running
/// in several projects, is [`Unresolved`].
pub(crate) fn resolve_service<'a>(
    listed: &'a [ServiceContainer],
    service: &str,
    project: Option<&str>,
) -> std::result::Result<&'a ServiceContainer, Unresolved> {
    let mut matching = listed
        .iter()
        .filter(|c| c.service == service && project.is_none_or(|p| c.project == p));
    let Some(first) = matching.next() else {
        return Err(Unresolved::NoContainer);
    };
    let mut projects = vec![first.project.clone()];
    for c in matching {
        if !projects.contains(&c.project) {
            projects.push(c.project.clone());
        }
    }
    if projects.len() > 1 {
        return Err(Unresolved::SeveralProjects(projects));
    }
    Ok(first)
}

/// Whether an inspected container (`GET /containers/NAME/json`, or `inspect`'s JSON) is the one
/// named `name` itself: its name (Docker's with a leading `/`, Podman's without) or its full id.
/// Docker and Podman also answer for a unique prefix of an id, so with no container named `db`,
/// `db` finds one whose id starts with `db`: a job must never run there.
pub(crate) fn is_exactly(inspected: &serde_json::Value, name: &str) -> bool {
    let own = inspected["Name"]
        .as_str()
        .map(|n| n.trim_start_matches('/'));
    own == Some(name) || inspected["Id"].as_str() == Some(name)
}

/// One container as the runner needs it, exactly the one named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inspected {
    /// The full id: the runner execs by it, so the container cannot change under it.
    pub(crate) id: String,
    /// `running`, `exited`, ...
    pub(crate) status: String,
    /// The host pid of its first process (0 when not running): the runner finds the job's
    /// processes among those of its cgroup.
    pub(crate) pid: u32,
}

/// Inspects the container named exactly `name` (see [`is_exactly`]): `Ok(None)` when there is
/// none, `Err` with the runtime's words when it does not answer. Straight from Docker's socket
/// when it can, else one `inspect` call.
pub(crate) fn inspect(
    runtime: &Path,
    env: &Env,
    name: &str,
) -> std::result::Result<Option<Inspected>, String> {
    let body = match docker_socket_for(runtime, env).and_then(|s| get_json(&s, name).ok()) {
        Some((200, body)) => body,
        Some((404, _)) => return Ok(None),
        Some((_, body)) => {
            return Err(body["message"]
                .as_str()
                .unwrap_or("the daemon answered an error")
                .to_string());
        }
        None => {
            let output = client(runtime, env)
                .args(["inspect", "--type", "container", "--", name])
                .output()
                .map_err(|e| format!("{e:#}"))?;
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !output.status.success() {
                if stderr.contains("No such") || stderr.contains("no such") {
                    return Ok(None);
                }
                return Err(stderr.trim().to_string());
            }
            let list: serde_json::Value = serde_json::from_slice(&output.stdout)
                .map_err(|e| format!("`{} inspect` printed no JSON: {e}", runtime.display()))?;
            list[0].clone()
        }
    };
    if !is_exactly(&body, name) {
        return Ok(None);
    }
    Ok(Some(Inspected {
        id: body["Id"].as_str().unwrap_or_default().to_string(),
        status: body["State"]["Status"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        pid: body["State"]["Pid"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
    }))
}

/// Docker's socket, for a `docker` runtime whose socket is at hand.
fn docker_socket_for(runtime: &Path, env: &Env) -> Option<PathBuf> {
    if runtime.file_name() != Some(std::ffi::OsStr::new("docker")) {
        return None;
    }
    crate::host::docker_socket(env.get("DOCKER_HOST").map(String::as_str))
}

/// `GET /containers/NAME/json` over the Docker daemon's unix socket: the status code and body.
fn get_json(socket: &Path, name: &str) -> std::io::Result<(u16, serde_json::Value)> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(std::time::Duration::from_secs(10)))?;
    // HTTP/1.0: the daemon answers without chunking and closes the connection.
    // One write: a request split over several could be answered (and the connection closed)
    // before its end arrives.
    let request = format!("GET /containers/{name}/json HTTP/1.0\r\nHost: docker\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(invalid)?;
    let head = String::from_utf8_lossy(&response[..split]);
    let code: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(invalid)?;
    let body: serde_json::Value =
        serde_json::from_slice(&response[split + 4..]).unwrap_or(serde_json::Value::Null);
    Ok((code, body))
}

/// `GET /containers/NAME/json` over the Docker daemon's unix socket.
fn state_from_socket(socket: &Path, name: &str) -> std::io::Result<ContainerState> {
    let (code, body) = get_json(socket, name)?;
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    Ok(match code {
        // The daemon also answers for a unique prefix of an id: that is another container.
        200 if !is_exactly(&body, name) => ContainerState::Missing,
        200 => match body["State"]["Status"].as_str() {
            Some("running") => ContainerState::Running,
            Some(status) => ContainerState::Stopped(status.to_string()),
            None => return Err(invalid()),
        },
        404 => ContainerState::Missing,
        _ => ContainerState::Unknown(
            body["message"]
                .as_str()
                .unwrap_or("the daemon answered an error")
                .to_string(),
        ),
    })
}

/// One `RUNTIME inspect` call for all the containers.
fn states_from_cli(runtime: &Path, env: &Env, names: &[&str]) -> Vec<ContainerState> {
    let mut unique: Vec<&str> = names.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let cmd = client(runtime, env)
        .args([
            "inspect",
            "--type",
            "container",
            "--format",
            "{{.Id}} {{.Name}} {{.State.Status}}",
        ])
        .args(&unique);
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => return vec![ContainerState::Unknown(format!("{e:#}")); names.len()],
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let daemon_down = !output.status.success()
        && !stderr.contains("No such")
        && !stderr.contains("no such")
        && stdout.trim().is_empty();
    names
        .iter()
        .map(|name| {
            if daemon_down {
                return ContainerState::Unknown(stderr.trim().to_string());
            }
            let status = stdout.lines().find_map(|line| {
                let mut parts = line.split(' ');
                let (id, n, status) = (parts.next()?, parts.next()?, parts.next()?);
                let n = n.trim_start_matches('/');
                // Exactly: `inspect` also takes a prefix of an id, another container's.
                (n == *name || id == *name).then(|| status.to_string())
            });
            match status {
                Some(s) if s == "running" => ContainerState::Running,
                Some(s) => ContainerState::Stopped(s),
                None => ContainerState::Missing,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-request-per-connection fake of the Docker daemon's socket.
    fn fake_daemon(
        dir: &Path,
        requests: usize,
        answers: Vec<(&'static str, &'static str)>,
    ) -> PathBuf {
        let socket = dir.join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    let n = stream.read(&mut buf).unwrap();
                    assert!(n > 0, "the request ended early");
                    request.extend_from_slice(&buf[..n]);
                }
                let request = String::from_utf8_lossy(&request).to_string();
                let (status, body) = answers
                    .iter()
                    .find(|(name, _)| request.starts_with(&format!("GET /containers/{name}/json ")))
                    .map(|(_, body)| ("200 OK", *body))
                    .unwrap_or(("404 Not Found", r#"{"message":"No such container"}"#));
                let response =
                    format!("HTTP/1.0 {status}\r\nContent-Type: application/json\r\n\r\n{body}");
                stream.write_all(response.as_bytes()).unwrap();
            }
        });
        socket
    }

    #[test]
    fn podman_jobs_run_as_another_user_are_warned_about() {
        let podman = Path::new("/usr/bin/podman");
        let me = nix::unistd::User::from_uid(nix::unistd::geteuid())
            .unwrap()
            .expect("the current user has a passwd entry");
        assert_eq!(access_warning(podman, &Env::new(), &me), None);
        let mut other = me.clone();
        other.uid = nix::unistd::Uid::from_raw(me.uid.as_raw().wrapping_add(1));
        other.name = "someone-else".into();
        let warning = access_warning(podman, &Env::new(), &other).expect("a warning");
        assert!(
            warning.starts_with("the jobs run as someone-else but podman has no daemon"),
            "{warning}"
        );
        assert!(
            warning.contains(&format!("`[cron] user = \"{}\"`", me.name)),
            "{warning}"
        );
    }

    #[test]
    fn a_service_resolves_to_the_first_listed_container_of_one_project() {
        let listed: Vec<ServiceContainer> = [
            ("1", "shop-web-2", "shop", "web"),
            ("2", "blog-db-1", "blog", "db"),
            ("3", "shop-web-1", "shop", "web"),
            ("4", "blog-web-1", "blog", "web"),
        ]
        .iter()
        .map(|(id, name, project, service)| ServiceContainer {
            id: id.to_string(),
            name: name.to_string(),
            project: project.to_string(),
            service: service.to_string(),
            state: "running".to_string(),
        })
        .collect();
        let name = |service: &str, project: Option<&str>| {
            resolve_service(&listed, service, project)
                .map(|c| c.name.clone())
                .map_err(|u| u.state())
        };
        assert_eq!(name("web", Some("shop")), Ok("shop-web-2".into()));
        assert_eq!(name("web", Some("blog")), Ok("blog-web-1".into()));
        assert_eq!(name("db", None), Ok("blog-db-1".into()));
        assert_eq!(
            name("web", None),
            Err(ContainerState::Unresolved(
                "runs in several Compose projects (shop, blog): each firing fails with exit 78 \
                 until the job sets `project`"
                    .into()
            ))
        );
        for (service, project) in [("cache", None), ("db", Some("shop"))] {
            assert_eq!(
                name(service, project),
                Err(ContainerState::Unresolved(
                    "has no running container (each firing fails with exit 69)".into()
                ))
            );
        }
    }

    #[test]
    fn states_come_from_the_daemon_socket() {
        let dir = tempfile::tempdir().unwrap();
        let socket = fake_daemon(
            dir.path(),
            4,
            vec![
                ("web", r#"{"Name":"/web","State":{"Status":"running"}}"#),
                ("db", r#"{"Name":"/db","State":{"Status":"exited"}}"#),
                // No container is named `ab`: the daemon answers with one whose id starts so.
                (
                    "ab",
                    r#"{"Id":"ab12","Name":"/other","State":{"Status":"running"}}"#,
                ),
            ],
        );
        let states: Vec<_> = ["web", "db", "gone", "ab"]
            .iter()
            .map(|name| state_from_socket(&socket, name).unwrap())
            .collect();
        assert_eq!(
            states,
            [
                ContainerState::Running,
                ContainerState::Stopped("exited".into()),
                ContainerState::Missing,
                ContainerState::Missing
            ]
        );
        assert!(state_from_socket(&dir.path().join("absent.sock"), "web").is_err());
    }
}
