//! The container runtime (docker or podman) and the host tools the cron line runs: resolved
//! once to absolute paths, because cron's PATH is only `/usr/bin:/bin` while docker often lives
//! in /usr/local/bin or /snap/bin.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::cron_line::Tools;
use crate::error::bad_input;
use crate::process::Cmd;

/// A program the line needs, found or not.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub found: bool,
}

/// Resolves `name` (a bare name looked up on PATH, or an absolute path). When it cannot be
/// found, `fallback` is the path that would be used.
pub fn find(name: &str, fallback: &str) -> Found {
    if name.starts_with('/') {
        let path = PathBuf::from(name);
        let found = is_executable(&path);
        return Found { path, found };
    }
    match which::which(name) {
        Ok(path) => Found { path, found: true },
        Err(_) => Found {
            path: PathBuf::from(fallback),
            found: false,
        },
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The tools for the line, and a note for each that could not be found.
pub fn resolve_tools(runtime: &str) -> (Tools, Vec<String>) {
    let runtime_fallback = if runtime.starts_with('/') {
        runtime.to_string()
    } else {
        format!("/usr/bin/{runtime}")
    };
    let found = [
        (runtime, find(runtime, &runtime_fallback)),
        ("flock", find("flock", "/usr/bin/flock")),
        ("date", find("date", "/usr/bin/date")),
    ];
    let missing = found
        .iter()
        .filter(|(_, f)| !f.found)
        .map(|(name, f)| {
            let hint = match *name {
                "flock" => " (Debian: util-linux)",
                "date" => " (coreutils)",
                _ => {
                    " (set `[defaults] runtime` to its absolute path if it is installed elsewhere)"
                }
            };
            format!(
                "`{name}` was not found on PATH; the line would use {}{hint}",
                f.path.display()
            )
        })
        .collect();
    let [(_, runtime), (_, flock), (_, date)] = found;
    (
        Tools {
            runtime: runtime.path,
            flock: flock.path,
            date: date.path,
        },
        missing,
    )
}

/// Like [`resolve_tools`], but a missing tool is an error: `install` must not write a line
/// that fails at 3 a.m.
pub fn require_tools(runtime: &str) -> Result<Tools> {
    let (tools, missing) = resolve_tools(runtime);
    if missing.is_empty() {
        Ok(tools)
    } else {
        Err(bad_input(missing.join("; ")))
    }
}

/// A container's state as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerState {
    Running,
    /// Exists but is not running (created, exited, paused, restarting, dead).
    Stopped(String),
    Missing,
    /// The runtime did not answer (daemon down, no permission).
    Unknown(String),
}

impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerState::Running => f.write_str("running"),
            ContainerState::Stopped(status) => write!(f, "not running ({status})"),
            ContainerState::Missing => f.write_str("missing (no such container)"),
            ContainerState::Unknown(why) => write!(f, "unknown: {why}"),
        }
    }
}

/// Asks the runtime for the state of each container, in one `inspect` call.
pub fn container_states(runtime: &Path, names: &[&str]) -> Vec<ContainerState> {
    if names.is_empty() {
        return Vec::new();
    }
    let cmd = Cmd::new(runtime)
        .args([
            "inspect",
            "--type",
            "container",
            "--format",
            "{{.Id}} {{.Name}} {{.State.Status}}",
        ])
        .args(names);
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
                (n == *name || id.starts_with(name)).then(|| status.to_string())
            });
            match status {
                Some(s) if s == "running" => ContainerState::Running,
                Some(s) => ContainerState::Stopped(s),
                None => ContainerState::Missing,
            }
        })
        .collect()
}
