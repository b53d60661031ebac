//! Containers of the shell-less image `crontainer-e2e-bare` (built by `scripts/provision-e2e`:
//! /bin/busybox alone, no applet links, so no `sh`, `kill` nor `sleep`), with no network and
//! unique names, removed when dropped: what a distroless or `FROM scratch` container offers.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{cmd, podman, random_suffix};

/// The shell-less image `scripts/provision-e2e` builds.
pub const BARE_IMAGE: &str = "crontainer-e2e-bare:latest";

/// A running container of the shell-less image, its one process `busybox sleep`; removed when
/// dropped.
pub struct Bare {
    runtime: &'static Path,
    pub name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Bare {
    pub fn start(runtime: &'static Path) -> Bare {
        // The name the provisioning's leftover cleanup knows: crontainer-e2e-<pid>-<n>-<hex>.
        let name = format!(
            "crontainer-e2e-{}-{}-{}",
            std::process::id(),
            9000 + COUNTER.fetch_add(1, Ordering::Relaxed),
            random_suffix()
        );
        let mut run = Command::new(runtime);
        run.args(["run", "-d", "--network", "none", "--name", &name]);
        if runtime == podman() {
            // runc fails with "error setting rlimits" on this kind of machine unless given
            // (see support/container.rs).
            run.args([
                "--ulimit",
                "nofile=20000:20000",
                "--ulimit",
                "nproc=1000:1000",
            ]);
        }
        cmd::run(run.args([BARE_IMAGE, "/bin/busybox", "sleep", "100000"]));
        Bare { runtime, name }
    }

    /// The command lines of the container's processes, as the runtime's `top` lists them.
    pub fn processes(&self) -> String {
        let out = cmd::run(Command::new(self.runtime).args(["top", &self.name]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        super::container::remove(self.runtime, &self.name);
    }
}

/// Fails, saying why, unless `runtime` has the shell-less image.
pub fn require_bare_image(runtime: &Path) {
    let image = cmd::output(Command::new(runtime).args(["image", "inspect", BARE_IMAGE]));
    assert!(
        image.status.success(),
        "{} has no image {BARE_IMAGE}: run `sudo scripts/provision-e2e` first (see README)",
        runtime.display()
    );
}
