//! Support for the end-to-end tests: real Docker containers, the real cron daemon, and the
//! crontab of a dedicated test user. The README's "Tests" says what these tests are for;
//! `scripts/provision-e2e` sets the machine up (cron, dockerd with no network, the registry-free
//! image `crontainer-e2e:latest`, the user `crontainer-e2e`).
//!
//! Every guard here removes what it made when dropped, also when the test panics, and touches
//! nothing it did not make: containers and cron.d files get unique names, and the test user's
//! crontab is saved before and restored after.

pub mod bare;
pub mod binary;
pub mod cmd;
pub mod container;
pub mod cron;
pub mod engine;
pub mod healthchecks;
pub mod history;
pub mod job_line;
pub mod killing;
pub mod product;
pub mod run_log;
pub mod seed;
pub mod wait;

pub use bare::{Bare, require_bare_image};
pub use binary::crontainer_bin;
pub use container::{Call, Container};
pub use cron::{
    CronDAlone, CronDFile, CronDGuard, CronDShare, RootDir, TestCrontab, UserDir,
    unique_cron_d_name,
};
pub use engine::Engine;
pub(crate) use engine::each_engine;
pub use history::Ledgers;
pub use job_line::JobLine;
pub use killing::{SLEEPS_A_MINUTE, clients_of_run, runner_pid, sleeps_in, start_detached};
pub use product::{Crontainer, NEVER, cron_d_config, job_toml, status_job, toml_str};
pub use run_log::{RunLogLine, log_lines, mask_number_after, read_log, wait_for_event};
pub use seed::{assert_one_seed_call, assert_one_seed_run, assert_status_after_cron_run};
pub use wait::{CRON_FIRE_TIMEOUT, POLL, wait_until};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The image `scripts/provision-e2e` builds.
pub const IMAGE: &str = "crontainer-e2e:latest";

/// The user whose crontab the tests own, and as whom cron.d test lines run.
pub const TEST_USER: &str = "crontainer-e2e";

/// Cron's PATH on Debian (and cronie): the product resolves its runtime against it at install
/// time, so the tests do too.
pub const CRON_PATH: &str = "/usr/bin:/bin";

/// The docker client that a cron job finds, used for everything the tests do with docker.
///
/// Resolved once against cron's PATH rather than ours: some machines also have a newer client in
/// `/usr/local/bin` (this one does, 28.x next to Debian's 20.10), and only the one in cron's PATH
/// is guaranteed to be what a fired job runs.
pub fn docker() -> &'static Path {
    static DOCKER: OnceLock<PathBuf> = OnceLock::new();
    DOCKER.get_or_init(|| {
        which::which_in("docker", Some(CRON_PATH), "/").unwrap_or_else(|e| {
            panic!("no docker in cron's PATH {CRON_PATH} ({e}): run scripts/provision-e2e")
        })
    })
}

/// The rootful Podman client, found the same way as [`docker`].
pub fn podman() -> &'static Path {
    static PODMAN: OnceLock<PathBuf> = OnceLock::new();
    PODMAN.get_or_init(|| {
        which::which_in("podman", Some(CRON_PATH), "/").unwrap_or_else(|e| {
            panic!("no podman in cron's PATH {CRON_PATH} ({e}): run scripts/provision-e2e")
        })
    })
}

/// [`require_provisioned`], and Podman has the test image.
pub fn require_provisioned_podman() {
    require_provisioned();
    let image = cmd::output(Command::new(podman()).args(["image", "inspect", IMAGE]));
    assert!(
        image.status.success(),
        "podman has no image {IMAGE}: run `sudo scripts/provision-e2e` first (see README)\n{}",
        String::from_utf8_lossy(&image.stderr).trim()
    );
}

/// Fails the test with a clear message unless the machine is provisioned: root, a cron daemon,
/// an answering dockerd, the test image and the test user.
pub fn require_provisioned() {
    const HINT: &str = "run `sudo scripts/provision-e2e` first (see README)";
    assert!(
        nix::unistd::geteuid().is_root(),
        "e2e tests must run as root: {HINT}"
    );
    assert!(
        cmd::output(Command::new("pgrep").args(["-x", "cron"]))
            .status
            .success(),
        "no cron daemon is running: {HINT}"
    );
    let image = cmd::output(Command::new(docker()).args(["image", "inspect", IMAGE]));
    assert!(
        image.status.success(),
        "docker image {IMAGE} is missing or dockerd is not answering: {HINT}\n{}",
        String::from_utf8_lossy(&image.stderr).trim()
    );
    assert!(
        matches!(nix::unistd::User::from_name(TEST_USER), Ok(Some(_))),
        "no user {TEST_USER}: {HINT}"
    );
}

/// A short random suffix, so names from a crashed earlier run (same pid reused) never collide.
pub fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:06x}", hasher.finish() & 0xff_ffff)
}

/// Runs each scenario on a thread of its own, so that all of them wait for the same cron minute
/// (libtest runs only as many tests at once as the machine has CPUs, which would queue them one
/// minute after another), and fails naming every scenario that failed.
pub fn run_scenarios(scenarios: &[(&str, fn())]) {
    run_each(scenarios.iter().copied());
}

/// [`run_scenarios`] for scenarios that are closures (a scenario given its runtime).
pub fn run_each<'a, F: FnOnce() + Send + 'static>(
    scenarios: impl IntoIterator<Item = (&'a str, F)>,
) {
    let running: Vec<_> = scenarios
        .into_iter()
        .map(|(name, scenario)| {
            let thread = std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(scenario)
                .expect("spawn a scenario thread");
            (name, thread)
        })
        .collect();
    let count = running.len();
    let failed: Vec<String> = running
        .into_iter()
        .filter_map(|(name, thread)| {
            let panic = thread.join().err()?;
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Some(format!("{name}: {message}"))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {count} scenarios failed:\n\n{}",
        failed.len(),
        failed.join("\n\n")
    );
}

/// `path` as a `&str`, for command lines and configs (the tests' paths are UTF-8).
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
