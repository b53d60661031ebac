//! A throwaway container of the test image, with no network, whose `python` stand-in records
//! every call into a host directory the test can read (see `scripts/provision-e2e` for the
//! record layout). Docker's by default; rootful Podman's with [`Container::start_podman`].

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{IMAGE, cmd, docker, podman, random_suffix};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running container named `crontainer-e2e-<pid>-<n>-<random>`; dropping it removes it.
pub struct Container {
    name: String,
    /// The runtime that made it (docker or podman), which every later call goes through.
    runtime: &'static Path,
    /// Bind-mounted at `/rec`; removed after the container.
    rec: tempfile::TempDir,
}

/// One call of the `python` stand-in inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The arguments after `python`, byte for byte.
    pub argv: Vec<Vec<u8>>,
    /// Its working directory.
    pub cwd: String,
    /// The user it ran as (`id -un`).
    pub user: String,
    /// Its environment.
    pub env: BTreeMap<String, String>,
    /// Its pid inside the container.
    pub pid: u32,
    /// The code it exited with, or None if it has not finished (or was killed).
    pub exit: Option<i32>,
}

impl Call {
    /// The arguments as strings, for readable assertions.
    pub fn args(&self) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }
}

impl Container {
    /// Starts a container of the test image with no network.
    pub fn start() -> Container {
        Self::start_with(&[])
    }

    /// Like `start`, with extra `docker run` options (e.g. `["-e", "EXIT_CODE=3"]`).
    pub fn start_with(options: &[&str]) -> Container {
        Self::start_on(docker(), options)
    }

    /// Starts a container of the test image in rootful Podman, with no network.
    pub fn start_podman() -> Container {
        // On this kind of machine runc fails with "error setting rlimits" unless the limits
        // are given, and within the host's hard limits (`ulimit -Hn` is 20000 here); Docker's
        // daemon sets its own.
        Self::start_on(
            podman(),
            &[
                "--ulimit",
                "nofile=20000:20000",
                "--ulimit",
                "nproc=1000:1000",
            ],
        )
    }

    fn start_on(runtime: &'static Path, options: &[&str]) -> Container {
        let rec = tempfile::Builder::new()
            .prefix("crontainer-e2e-rec-")
            .tempdir()
            .expect("temp dir for the container's records");
        // The stand-in may run as the image's `app` user (uid 1000), not only as root.
        std::fs::set_permissions(rec.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod the records dir");
        let name = format!(
            "crontainer-e2e-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            random_suffix()
        );
        let container = Container { name, runtime, rec };
        cmd::run(
            Command::new(runtime)
                .args(["run", "-d", "--network", "none", "--name", &container.name])
                .arg("-v")
                .arg(format!("{}:/rec", container.rec.path().display()))
                .args(options)
                .args([IMAGE, "/bin/sleep", "100000"]),
        );
        container
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The runtime's program the container runs in.
    pub fn runtime(&self) -> &'static Path {
        self.runtime
    }

    /// Stops the container (right away: its `sleep` is pid 1 and ignores SIGTERM), so that
    /// `docker exec` into it fails as it does for a stopped app container.
    pub fn stop(&self) {
        cmd::run(Command::new(self.runtime).args(["stop", "-t", "0", &self.name]));
    }

    /// Every completed record of a call to the stand-in, in the order they were made.
    pub fn calls(&self) -> Vec<Call> {
        let mut dirs: Vec<(u64, PathBuf)> = std::fs::read_dir(self.rec.path())
            .expect("read the records dir")
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let n = entry
                    .file_name()
                    .to_str()?
                    .strip_prefix("call-")?
                    .parse()
                    .ok()?;
                Some((n, entry.path()))
            })
            .filter(|(_, dir)| dir.join("done").exists())
            .collect();
        dirs.sort();
        dirs.iter().map(|(_, dir)| read_call(dir)).collect()
    }
}

fn read_call(dir: &Path) -> Call {
    let read = |file: &str| {
        std::fs::read(dir.join(file))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(file).display()))
    };
    let text = |file: &str| String::from_utf8_lossy(&read(file)).trim_end().to_owned();
    let nul_separated = |bytes: Vec<u8>| -> Vec<Vec<u8>> {
        let mut items: Vec<Vec<u8>> = bytes.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        // Every item ends with a NUL, so the split leaves one empty item at the end.
        assert_eq!(items.pop().as_deref(), Some(&[][..]), "unterminated record");
        items
    };
    Call {
        argv: nul_separated(read("argv")),
        cwd: text("cwd"),
        user: text("user"),
        env: nul_separated(read("env"))
            .iter()
            .map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
        pid: text("pid").parse().expect("pid record"),
        // Read without insisting: the stand-in may be writing it right now.
        exit: std::fs::read_to_string(dir.join("exit"))
            .ok()
            .and_then(|s| s.trim().parse().ok()),
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        remove(self.runtime, &self.name);
    }
}

/// Removes container `name` of `runtime` at once; a warning, never a panic, when it cannot (the
/// test may already be unwinding).
pub fn remove(runtime: &Path, name: &str) {
    let mut rm = Command::new(runtime);
    rm.args(["rm", "-f", "-v"]);
    if runtime == podman() {
        // Podman's `rm -f` sends SIGTERM and waits 10 s for the `sleep` (pid 1, ignores it)
        // before SIGKILL; Docker's kills at once and has no such option.
        rm.args(["-t", "0"]);
    }
    let out = cmd::output(rm.arg(name));
    if !out.status.success() {
        eprintln!(
            "warning: could not remove container {name}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
}
