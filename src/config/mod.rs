//! The TOML config: its schema, defaults and validation, and where it is found.
//!
//! The raw serde structs mirror the file exactly (unknown keys are errors, so a typo is never
//! silently ignored); [`Config::parse`] turns them into the validated [`Config`] the rest of the
//! program uses, or one error naming the file, the line, the key, what was wrong and what is
//! accepted.
//! The parts: [`raw`] the serde mirror of the file, [`checks`] the rules for single values (ids,
//! names, paths, URLs, durations), [`validate`] the whole file into a [`Config`].

mod checks;
mod names;
mod raw;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::bad_input;
use crate::schedule::Schedule;

pub use checks::{check_healthcheck, is_block_name, is_job_id, is_unix_user, parse_duration};
pub use names::{BlockName, JobId, JobSpec, UserName};
use raw::RawConfig;
use validate::{Ctx, plain_toml_message};

/// Where the config is looked for when `-c` is not given.
pub const ENV_CONFIG: &str = "CRONTAINER_CONFIG";
pub const LOCAL_CONFIG: &str = "crontainer.toml";
pub const SYSTEM_CONFIG: &str = "/etc/crontainer/crontainer.toml";

/// Where logs go when the config names neither `log` nor `log_dir`: crontainer's own directory,
/// where no program reads a file as code, so install may create a job's log there for the job's
/// user even though that user cannot write the directory.
pub const DEFAULT_LOG_DIR: &str = "/var/log/crontainer";

/// Which cron table the jobs go into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TargetKind {
    /// A user's crontab, through the `crontab` program.
    #[serde(rename = "crontab")]
    Crontab,
    /// The file `/etc/cron.d/<name>`, with a user column.
    #[serde(rename = "cron.d")]
    CronD,
    /// A systemd service and timer per job: root's in /etc/systemd/system (run as `user`),
    /// a user's in ~/.config/systemd/user.
    #[serde(rename = "systemd")]
    Systemd,
}

/// The validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub target: TargetKind,
    /// Whose crontab, or the user column of the cron.d file; None: the invoking user
    /// (crontab) or root (cron.d).
    pub user: Option<UserName>,
    /// Names the managed block and the cron.d file.
    pub name: BlockName,
    /// `docker`, `podman`, or an absolute path; resolved to an absolute path when rendering.
    pub runtime: String,
    /// How the host's logrotate rotates the jobs' logs (root installs).
    pub rotate: Rotate,
    /// The runtime client's own environment (`DOCKER_HOST` for rootless Docker, `CONTAINER_HOST`
    /// for remote Podman): the line exports it, and crontainer sets it on every call it makes.
    pub runtime_env: BTreeMap<String, String>,
    /// `[monitoring] textfile_dir`: the block gets a line that refreshes
    /// the block's metrics file in `DIR` every minute for node_exporter's textfile collector.
    pub textfile_dir: Option<PathBuf>,
    pub jobs: Vec<Job>,
    /// The text it was validated from: a `--target` flag that overrides `[cron] target`
    /// validates it again for that target ([`Config::with_target`]).
    source: String,
}

/// Log rotation settings: rotate a log when it exceeds `size`, keep `keep` old copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotate {
    /// A logrotate size: digits with an optional k, M or G suffix.
    pub size: String,
    pub keep: u32,
}

impl Default for Rotate {
    fn default() -> Rotate {
        Rotate {
            size: "10M".to_string(),
            keep: 5,
        }
    }
}

/// Where a job runs: a container by name, or the running container of a Compose service, which
/// the line looks up by Compose's labels each time it fires (Compose names containers
/// `PROJECT-SERVICE-N`, and a recreated or scaled service changes them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerRef {
    Name(String),
    /// `project` None: whichever single project has the service when the line fires.
    Service {
        service: String,
        project: Option<String>,
    },
}

impl ContainerRef {
    /// The container's name, when the job names one.
    pub fn name(&self) -> Option<&str> {
        match self {
            ContainerRef::Name(name) => Some(name),
            ContainerRef::Service { .. } => None,
        }
    }
}

impl std::fmt::Display for ContainerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerRef::Name(name) => f.write_str(name),
            ContainerRef::Service {
                service,
                project: Some(project),
            } => write!(f, "service {service} of project {project}"),
            ContainerRef::Service {
                service,
                project: None,
            } => write!(f, "service {service}"),
        }
    }
}

/// One validated job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub description: Option<String>,
    pub container: ContainerRef,
    /// The argv run in the container; never a shell string.
    pub command: Vec<String>,
    pub schedule: Schedule,
    pub log: PathBuf,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub env: BTreeMap<String, String>,
    /// A file of `NAME=value` lines the runtime reads (`docker exec --env-file`): the values stay
    /// out of the cron line and the process list, where `env` values are visible to every user.
    pub env_file: Option<PathBuf>,
    /// Seconds; the process inside the container is stopped when it runs over.
    pub timeout: Option<u64>,
    /// Seconds a firing may start late before `status` calls it missed.
    pub grace: u64,
    /// `jitter` (target systemd): each firing starts up to this many seconds late, at random
    /// (the timer's `RandomizedDelaySec=`), so many hosts do not hit a shared service at once.
    pub jitter: Option<u64>,
    /// The config line of its `id`, for errors found after loading (a line too long for cron).
    pub line: usize,
    /// `[defaults] runtime_env`, which the job's line exports.
    pub runtime_env: BTreeMap<String, String>,
    /// `catch_up = true`: an `@reboot` line runs the job once after a boot when a firing was
    /// due while the host was down.
    pub catch_up: bool,
    /// `catch_up = "6h"`: the catch-up runs only for a missed firing at most this old
    /// (seconds); None: any missed firing since the last run (`catch_up = true`).
    pub catch_up_within: Option<u64>,
    /// The healthchecks.io-style ping URL the line pings at each run's start and end (see
    /// [`check_healthcheck`]); None: no pings.
    pub healthcheck: Option<String>,
    /// How many successful runs the run history keeps (`history_limit`); None: the runner's
    /// default (`history::DEFAULT_SUCCEEDED`), and no flag on the line.
    pub history_limit: Option<usize>,
    /// How many failed runs, and skipped firings, the run history keeps
    /// (`failed_history_limit`).
    pub failed_history_limit: Option<usize>,
    /// `concurrency = "replace"` or `"allow"` (None: `"forbid"`, the default, today's skip).
    pub concurrency: Option<String>,
    /// `retries = N`: the runner runs a failed command up to N more times.
    pub retries: Option<u32>,
    /// `retry_delay`, in seconds: the wait before the first retry, doubled for each next one.
    pub retry_delay: Option<u64>,
}

/// How late a firing may start before it counts as missed: cron starts jobs within the first
/// seconds of the minute, but a loaded host or a cron restart can delay it.
pub const DEFAULT_GRACE: u64 = 5 * 60;

impl Job {
    /// The job's overlap lock: the line takes it with `flock -n` before it runs.
    pub fn lock(&self) -> PathBuf {
        lock_path(&self.log)
    }
}

/// The lock file of a job whose log is `log`: the log's path plus `.lock`, so the two sit side by
/// side and one `log` setting places both.
pub fn lock_path(log: &Path) -> PathBuf {
    let mut lock = log.as_os_str().to_owned();
    lock.push(".lock");
    PathBuf::from(lock)
}

/// Finds the config: `-c`, then `$CRONTAINER_CONFIG`, then `./crontainer.toml`, then
/// `/etc/crontainer/crontainer.toml`. Returns None when none of the defaults exists.
pub fn locate(explicit: Option<&Path>, env_value: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(value));
    }
    [LOCAL_CONFIG, SYSTEM_CONFIG]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The error for "no config anywhere".
pub fn not_found() -> anyhow::Error {
    bad_input(format!(
        "no config found: pass -c FILE, set {ENV_CONFIG}, or create ./{LOCAL_CONFIG} or \
         {SYSTEM_CONFIG} (see config.example.toml)"
    ))
}

impl Config {
    /// Reads and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = std::fs::read(path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ if path.is_dir() => "it is a directory, not a file".to_string(),
                _ => e.to_string(),
            };
            bad_input(format!("cannot read config {}: {why}", path.display()))
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            bad_input(format!(
                "{}: not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config `text`, naming `path` in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        Config::parse_as(text, path, None)
    }

    /// This config for target `kind` (a `--target` flag's): the keys that depend on the target
    /// (`jitter`, `@reboot`, `concurrency`, a `catch_up` window) are checked again for it, with
    /// the file and line of the one that does not fit.
    pub fn with_target(&self, kind: TargetKind) -> Result<Config> {
        if kind == self.target {
            return Ok(self.clone());
        }
        Config::parse_as(&self.source, &self.path, Some(kind))
    }

    fn parse_as(text: &str, path: &Path, target: Option<TargetKind>) -> Result<Config> {
        let ctx = Ctx { text, path, target };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = plain_toml_message(e.message());
            match e.span() {
                Some(span) => ctx.error_at(span.start, &message),
                None => bad_input(format!("{}: {message}", path.display())),
            }
        })?;
        ctx.validate(raw)
    }

    /// Whether some job pings a healthcheck, so the line needs `curl`.
    pub fn pings(&self) -> bool {
        self.jobs.iter().any(|j| j.healthcheck.is_some())
    }

    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }
}

/// The config named on the command line or found in the usual places; None when there is none
/// (commands that work from what is installed). A named or found config that is invalid is
/// still an error.
pub fn load_optional(explicit: Option<&Path>) -> Result<Option<Config>> {
    match locate(explicit, std::env::var_os(ENV_CONFIG).as_deref()) {
        Some(path) => Config::load(&path).map(Some),
        None => Ok(None),
    }
}

/// Like [`load_optional`], for commands that need a config: none found is an error.
pub fn load_located(explicit: Option<&Path>) -> Result<Config> {
    load_optional(explicit)?.ok_or_else(not_found)
}
