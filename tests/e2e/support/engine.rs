//! One scenario, every container runtime (issue 24): the product scenarios that hold for Docker
//! and rootful Podman alike are written once, taking an [`Engine`], and run for each, as
//! ripgrep's `rgtest!` runs each of its tests per regex engine. [`each_engine!`] makes the
//! `#[test]`s: `SCENARIO::docker` and `SCENARIO::podman`.
//!
//! What differs is here: how a container is started, which program the line runs, as whom the
//! jobs run (Podman has no daemon: a job sees the containers of its own user, so Podman's jobs
//! run as root, where the containers are; Docker's as the test user), and the runtime's own
//! words for a stopped container.

use std::path::{Path, PathBuf};

use super::{Container, CronDGuard, RootDir, TEST_USER, UserDir, cron_d_config, docker, podman};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    /// Fails, saying why, unless the machine is provisioned for this runtime.
    pub fn require_provisioned(self) {
        match self {
            Engine::Docker => super::require_provisioned(),
            Engine::Podman => super::require_provisioned_podman(),
        }
    }

    /// A container of the test image in this runtime, with no network.
    pub fn start(self) -> Container {
        match self {
            Engine::Docker => Container::start(),
            Engine::Podman => Container::start_podman(),
        }
    }

    /// The runtime's program in cron's PATH, which the line runs.
    pub fn program(self) -> &'static Path {
        match self {
            Engine::Docker => docker(),
            Engine::Podman => podman(),
        }
    }

    /// The user the jobs run as.
    pub fn job_user(self) -> &'static str {
        match self {
            Engine::Docker => TEST_USER,
            Engine::Podman => "root",
        }
    }

    /// A directory that [`Engine::job_user`] may log into, and only that user (or root).
    pub fn log_dir(self) -> LogDir {
        match self {
            Engine::Docker => LogDir::User(UserDir::new()),
            Engine::Podman => LogDir::Root(RootDir::new()),
        }
    }

    /// A config for `/etc/cron.d/<file>` whose `jobs` run through this runtime as
    /// [`Engine::job_user`].
    pub fn cron_d_config(self, file: &CronDGuard, jobs: &str) -> String {
        match self {
            Engine::Docker => cron_d_config(file.name(), Some(TEST_USER), jobs),
            Engine::Podman => podman_cron_d_config(file, None, jobs),
        }
    }

    /// A login shell's variables pointing the runtime's client elsewhere, which cron never
    /// has: crontainer must ask the runtime the cron line reaches, whatever they say.
    pub fn remote_client_env(self) -> [(&'static str, &'static str); 2] {
        match self {
            Engine::Docker => [
                ("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
                ("DOCKER_CONTEXT", "nonexistent"),
            ],
            Engine::Podman => [
                ("CONTAINER_HOST", "unix:///nonexistent/podman.sock"),
                ("CONTAINER_CONNECTION", "nonexistent"),
            ],
        }
    }
}

/// A config for `/etc/cron.d/<file>` whose jobs run through podman, as `user` (None: root).
pub fn podman_cron_d_config(file: &CronDGuard, user: Option<&str>, jobs: &str) -> String {
    let text = cron_d_config(file.name(), user, jobs);
    let podman_text = text.replace("runtime = \"docker\"", "runtime = \"podman\"");
    assert_ne!(text, podman_text, "cron_d_config names its runtime");
    podman_text
}

/// A log directory for the jobs' user (see [`Engine::log_dir`]).
pub enum LogDir {
    User(UserDir),
    Root(RootDir),
}

impl LogDir {
    /// A path inside this directory.
    pub fn join(&self, name: &str) -> PathBuf {
        match self {
            LogDir::User(dir) => dir.join(name),
            LogDir::Root(dir) => dir.join(name),
        }
    }
}

/// `each_engine!(fn SCENARIO(engine) { ... })`: a module `SCENARIO` with the scenario and one
/// `#[ignore]`d test per runtime, `docker` and `podman`, each of which first checks that the
/// machine is provisioned for it.
macro_rules! each_engine {
    ($(#[$doc:meta])* fn $name:ident($engine:ident) $body:block) => {
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::support::Engine;

            fn scenario($engine: Engine) $body

            #[test]
            #[ignore = "needs root, cron and docker: see README"]
            fn docker() {
                Engine::Docker.require_provisioned();
                scenario(Engine::Docker);
            }

            #[test]
            #[ignore = "needs root, cron and podman: see README"]
            fn podman() {
                Engine::Podman.require_provisioned();
                scenario(Engine::Podman);
            }
        }
    };
}
pub(crate) use each_engine;
