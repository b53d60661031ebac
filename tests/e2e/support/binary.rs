//! The crontainer binary the e2e tests install from, so the lines they install name a binary
//! that cron's user can execute and that root's cron may run: a copy of the build
//! (`assert_cmd::cargo::cargo_bin`), made once per test process, in a directory chain that is
//! root's alone and 0755 outside the checkout (which may sit under a 0700 directory, and whose
//! `target/` install rightly warns about). Copies left by earlier test processes are removed.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the copies live: one directory per test process, `run-PID`.
const ROOT: &str = "/var/lib/crontainer-e2e-bin";

/// The copy of the built binary for this test process; the installs run it, so the runner lines
/// they write name it.
pub fn crontainer_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(ROOT);
        std::fs::DirBuilder::new()
            .mode(0o755)
            .recursive(true)
            .create(root)
            .unwrap_or_else(|e| panic!("cannot create {ROOT} ({e}): the e2e tests run as root"));
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        remove_stale_copies(root);
        let dir = root.join(format!("run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
        let bin = dir.join("crontainer");
        // Copied to a temp name and renamed, so a cron firing never runs a half-written binary.
        let partial = dir.join(".crontainer.partial");
        std::fs::copy(assert_cmd::cargo::cargo_bin("crontainer"), &partial)
            .unwrap_or_else(|e| panic!("cannot copy the built crontainer into {ROOT}: {e}"));
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&partial, &bin).unwrap();
        bin
    })
}

/// Removes the copies of test processes that are gone (their lines were removed with them).
fn remove_stale_copies(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("run-")
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
