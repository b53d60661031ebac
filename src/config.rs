//! The TOML config: its schema, defaults and validation, and where it is found.
//!
//! The raw serde structs mirror the file exactly (unknown keys are errors, so a typo is never
//! silently ignored); [`Config::parse`] turns them into the validated [`Config`] the rest of the
//! program uses, or one error naming the file, the line, the key, what was wrong and what is
//! accepted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;
use toml::Spanned;

use crate::error::bad_input;
use crate::schedule::{CronExpr, Interval, Schedule};

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
}

/// The validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub target: TargetKind,
    /// Whose crontab, or the user column of the cron.d file; None: the invoking user
    /// (crontab) or root (cron.d).
    pub user: Option<String>,
    /// Names the managed block and the cron.d file.
    pub name: String,
    /// `docker`, `podman`, or an absolute path; resolved to an absolute path when rendering.
    pub runtime: String,
    /// How the host's logrotate rotates the jobs' logs (root installs).
    pub rotate: Rotate,
    /// The runtime client's own environment (`DOCKER_HOST` for rootless Docker, `CONTAINER_HOST`
    /// for remote Podman): the line exports it, and crontainer sets it on every call it makes.
    pub runtime_env: BTreeMap<String, String>,
    /// `[monitoring] textfile_dir`: the block gets a line that refreshes
    /// `DIR/crontainer.prom` every minute for node_exporter's textfile collector.
    pub textfile_dir: Option<PathBuf>,
    pub jobs: Vec<Job>,
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
    /// The config line of its `id`, for errors found after loading (a line too long for cron).
    pub line: usize,
    /// `[defaults] runtime_env`, which the job's line exports.
    pub runtime_env: BTreeMap<String, String>,
    /// `catch_up = true`: an `@reboot` line runs the job once after a boot when a firing was
    /// due while the host was down.
    pub catch_up: bool,
    /// The healthchecks.io-style ping URL the line pings at each run's start and end (see
    /// [`check_healthcheck`]); None: no pings.
    pub healthcheck: Option<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    cron: RawCron,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    monitoring: RawMonitoring,
    #[serde(default)]
    job: Vec<RawJob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    textfile_dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCron {
    target: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    runtime: Option<Spanned<String>>,
    log_dir: Option<Spanned<String>>,
    rotate_size: Option<Spanned<String>>,
    rotate_keep: Option<Spanned<i64>>,
    runtime_env: Option<BTreeMap<String, Spanned<String>>>,
    healthcheck: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    id: Spanned<String>,
    description: Option<Spanned<String>>,
    container: Option<Spanned<String>>,
    service: Option<Spanned<String>>,
    project: Option<Spanned<String>>,
    command: Spanned<Vec<Spanned<String>>>,
    schedule: Option<Spanned<String>>,
    every: Option<Spanned<String>>,
    log: Option<Spanned<String>>,
    workdir: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    env: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    env_file: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
    catch_up: Option<Spanned<bool>>,
    healthcheck: Option<Spanned<String>>,
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
        let ctx = Ctx { text, path };
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

/// toml's message, one line, without the names of our internal structs ("expected struct
/// RawDefaults with 4 elements" says nothing to a user).
fn plain_toml_message(message: &str) -> String {
    let mut text = message.trim_end().replace('\n', " ");
    for (raw, plain) in [
        ("struct RawConfig", "a table"),
        ("struct RawCron", "the [cron] table"),
        ("struct RawDefaults", "the [defaults] table"),
        ("struct RawJob", "a [[job]] table"),
        ("struct RawMonitoring", "the [monitoring] table"),
    ] {
        if let Some(at) = text.find(raw) {
            let end = text[at..].find(" with ").map_or(at + raw.len(), |w| {
                let rest = &text[at + w..];
                at + w
                    + rest
                        .find(" elements")
                        .map_or(rest.len(), |e| e + " elements".len())
            });
            text.replace_range(at..end, plain);
        }
    }
    text
}

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

/// Characters that cron implementations treat differently or that would break the one-line
/// contract: CR and LF end the line (a CR would even run as part of the command), NUL cuts it,
/// and a backslash is folded by Debian's cron (`\\` becomes `\`) but kept by cronie.
fn forbidden_char(value: &str) -> Option<&'static str> {
    value.chars().find_map(|c| match c {
        '\n' => Some("a line feed"),
        '\r' => Some("a carriage return"),
        '\0' => Some("a NUL byte"),
        '\\' => Some(
            "a backslash (Debian's cron folds `\\\\` to `\\`, cronie does not, so it cannot \
             reach the container reliably)",
        ),
        _ => None,
    })
}

/// A job id: lowercase letters, digits, `_` and `-`, at most 64 bytes. The one rule for ids in the
/// config and in the log lines read back.
pub fn is_job_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A name for the block and the cron.d file: the block's rule (`block::is_valid_name`), at most
/// 64 bytes. Debian's cron ignores cron.d files whose names hold anything but letters, digits,
/// `_` and `-` (a dotted name is silently skipped), which the rule keeps out.
pub fn is_block_name(s: &str) -> bool {
    s.len() <= 64 && crate::block::is_valid_name(s)
}

/// Docker's rule for container names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), which also covers IDs.
/// It keeps option-like values such as `--privileged` from ever reaching the command line.
fn is_container_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && s.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// A user for `docker exec -u`: a name or uid, optionally `:group` or `:gid`.
fn is_exec_user(s: &str) -> bool {
    let part = |p: &str| {
        let mut bytes = p.bytes();
        matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    };
    match s.split_once(':') {
        Some((user, group)) => part(user) && part(group),
        None => part(s),
    }
}

/// A host account name as `useradd` accepts it by default.
pub fn is_unix_user(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && s.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn is_env_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A log path: absolute, a file, and free of whitespace so the marker comment can carry it.
fn check_log_path(value: &str) -> std::result::Result<(), String> {
    if !value.starts_with('/') {
        return Err(
            "must be an absolute path (cron runs jobs from the user's home directory)".into(),
        );
    }
    if value.ends_with('/') {
        return Err("must name a file, not a directory".into());
    }
    if value.split('/').any(|part| part == "..") {
        return Err("must not contain `..`".into());
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "must not contain whitespace or control characters (found {c:?})"
        ));
    }
    if let Some(what) = forbidden_char(value) {
        return Err(format!("must not contain {what}"));
    }
    // The logrotate file names each log as written, and logrotate reads `*`, `?`, `[...]` and
    // `{a,b}` as patterns: `copytruncate` would then rotate other programs' logs.
    if let Some(c) = value.chars().find(|c| "*?[]{}".contains(*c)) {
        return Err(format!(
            "must not contain the glob character {c:?} (logrotate would read the path as a \
             pattern and rotate other files)"
        ));
    }
    Ok(())
}

/// A healthchecks.io-style ping URL (healthchecks.io, or a self-hosted server speaking its
/// protocol). The line appends `/start`, `/<exit code>` and `?rid=<run id>` to it, so it may hold
/// no query or fragment and must not end with `/`; it goes into the line as one single-quoted
/// word, so no quote, whitespace or control character either.
pub fn check_healthcheck(value: &str) -> std::result::Result<(), String> {
    let accepted = "accepted: an http:// or https:// URL such as \"https://hc-ping.com/<uuid>\"";
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return Err(format!(
            "{value:?} must start with http:// or https://; {accepted}"
        ));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{value:?} names no host; {accepted}"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "'\"`\\".contains(*c))
    {
        return Err(format!(
            "must not contain {c:?} (no whitespace, quotes, backslashes or control characters); \
             {accepted}"
        ));
    }
    if let Some(c) = value.chars().find(|c| *c == '?' || *c == '#') {
        return Err(format!(
            "must not contain {c:?}: the line appends `/start`, `/<exit code>` and \
             `?rid=<run id>` to the URL; {accepted}"
        ));
    }
    if value.ends_with('/') {
        return Err(format!(
            "{value:?} must not end with `/`: the line appends `/start` and `/<exit code>` to it; \
             {accepted}"
        ));
    }
    Ok(())
}

/// Whether the URL's last path segment is a UUID (8-4-4-4-12 hex digits): a check's own ping
/// URL, not a project's ping-key URL that job ids can be appended to as slugs.
fn ends_with_uuid(url: &str) -> bool {
    let last = url.rsplit('/').next().unwrap_or("");
    let groups: Vec<&str> = last.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses a timeout such as "90s", "30m", "4h", "1d", "1h30m" into seconds.
pub fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    let accepted = "use a number with a unit s, m, h or d, e.g. \"30m\", \"4h\" or \"1h30m\"";
    let mut total: u64 = 0;
    let mut digits = String::new();
    if text.is_empty() {
        return Err(format!("is empty; {accepted}"));
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(format!("has an unexpected {c:?}; {accepted}")),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("has a unit without a number; {accepted}"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("is too large; {accepted}"))?;
    }
    if !digits.is_empty() {
        return Err(format!("has a number without a unit; {accepted}"));
    }
    if total == 0 {
        return Err(format!("must be at least 1s; {accepted}"));
    }
    Ok(total)
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error_at(&self, offset: usize, message: &str) -> anyhow::Error {
        bad_input(format!(
            "{}:{}: {message}",
            self.path.display(),
            self.line_of(offset)
        ))
    }

    /// An error about `key` (a dotted path like `job[2].every`) at the value's position.
    fn key_error<T>(&self, value: &Spanned<T>, key: &str, message: &str) -> anyhow::Error {
        self.error_at(value.span().start, &format!("`{key}` {message}"))
    }

    /// Checks a string value that reaches the cron line.
    fn line_value(&self, value: &Spanned<String>, key: &str) -> Result<String> {
        if let Some(what) = forbidden_char(value.get_ref()) {
            return Err(self.key_error(value, key, &format!("must not contain {what}")));
        }
        Ok(value.get_ref().clone())
    }

    fn validate(&self, raw: RawConfig) -> Result<Config> {
        let target = match raw.cron.target.as_ref() {
            None => TargetKind::Crontab,
            Some(t) => match t.get_ref().as_str() {
                "crontab" => TargetKind::Crontab,
                "cron.d" => TargetKind::CronD,
                other => {
                    return Err(self.key_error(
                        t,
                        "cron.target",
                        &format!("is {other:?}; accepted: \"crontab\" or \"cron.d\""),
                    ));
                }
            },
        };
        let user = match raw.cron.user {
            Some(u) if !is_unix_user(u.get_ref()) => {
                return Err(self.key_error(
                    &u,
                    "cron.user",
                    &format!(
                        "{:?} is not a user name (lowercase letters, digits, `_`, `-`)",
                        u.get_ref()
                    ),
                ));
            }
            other => other.map(Spanned::into_inner),
        };
        let name = match raw.cron.name {
            Some(n) if !is_block_name(n.get_ref()) => {
                return Err(self.key_error(
                    &n,
                    "cron.name",
                    &format!(
                        "{:?} is not accepted: use lowercase letters, digits, `_` and `-`, \
                         starting with a letter or digit (Debian's cron silently skips \
                         /etc/cron.d files with other names, e.g. with a dot)",
                        n.get_ref()
                    ),
                ));
            }
            Some(n) => n.into_inner(),
            None => "crontainer".to_string(),
        };
        let runtime = match raw.defaults.runtime {
            None => "docker".to_string(),
            Some(r) => {
                let v = r.get_ref();
                if v == "docker"
                    || v == "podman"
                    || (v.starts_with('/')
                        && forbidden_char(v).is_none()
                        && !v.contains(char::is_whitespace))
                {
                    v.clone()
                } else {
                    return Err(self.key_error(
                        &r,
                        "defaults.runtime",
                        &format!("is {v:?}; accepted: \"docker\", \"podman\", or an absolute path such as \"/usr/bin/docker\""),
                    ));
                }
            }
        };
        let log_dir = match raw.defaults.log_dir {
            None => PathBuf::from(DEFAULT_LOG_DIR),
            Some(d) => {
                let v = d.get_ref().trim_end_matches('/');
                let v = if v.is_empty() { "/" } else { v };
                check_log_path(v).map_err(|m| self.key_error(&d, "defaults.log_dir", &m))?;
                PathBuf::from(v)
            }
        };
        let mut rotate = Rotate::default();
        if let Some(size) = raw.defaults.rotate_size {
            let v = size.get_ref();
            let digits = v.trim_end_matches(['k', 'M', 'G']);
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || v.len() - digits.len() > 1
            {
                return Err(self.key_error(
                    &size,
                    "defaults.rotate_size",
                    &format!("is {v:?}; accepted: a size such as \"500k\", \"10M\" or \"1G\""),
                ));
            }
            rotate.size = v.clone();
        }
        if let Some(keep) = raw.defaults.rotate_keep {
            match u32::try_from(*keep.get_ref()) {
                Ok(n) if (1..=1000).contains(&n) => rotate.keep = n,
                _ => {
                    return Err(self.key_error(
                        &keep,
                        "defaults.rotate_keep",
                        "must be a number from 1 to 1000",
                    ));
                }
            }
        }
        let mut runtime_env = BTreeMap::new();
        for (name, value) in raw.defaults.runtime_env.unwrap_or_default() {
            let key = format!("defaults.runtime_env.{name}");
            if !is_env_name(&name) {
                return Err(self.key_error(
                    &value,
                    "defaults.runtime_env",
                    &format!(
                        "has {name:?}, which is not a variable name: use letters, digits and \
                         `_`, not starting with a digit"
                    ),
                ));
            }
            let v = value.get_ref();
            // One word in the marker comment, where `,` separates the variables.
            if let Some(c) = v
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "'\"\\,".contains(*c))
            {
                return Err(self.key_error(
                    &value,
                    &key,
                    &format!(
                        "{v:?} has {c:?}: a runtime's address or path has no whitespace, quotes, \
                         backslashes or commas"
                    ),
                ));
            }
            if v.is_empty() {
                return Err(self.key_error(&value, &key, "is empty: leave the variable out"));
            }
            runtime_env.insert(name, v.clone());
        }
        // Checked like a log path: absolute and one plain word, as it goes into the line; that
        // it exists and who may write it is for `install` to judge.
        let textfile_dir = match raw.monitoring.textfile_dir {
            None => None,
            Some(d) => {
                let v = d.get_ref().trim_end_matches('/');
                let v = if v.is_empty() { "/" } else { v };
                check_log_path(v).map_err(|m| self.key_error(&d, "monitoring.textfile_dir", &m))?;
                Some(PathBuf::from(v))
            }
        };
        let default_healthcheck = match raw.defaults.healthcheck {
            Some(h) => {
                let key = "defaults.healthcheck";
                check_healthcheck(h.get_ref()).map_err(|m| self.key_error(&h, key, &m))?;
                if ends_with_uuid(h.get_ref()) {
                    return Err(self.key_error(
                        &h,
                        key,
                        &format!(
                            "{:?} is one check's URL, but every job would ping \
                             `<URL>/<job id>`: put a check's URL in its job's `healthcheck`, or \
                             here the project's ping-key URL (\"https://hc-ping.com/<ping-key>\"), \
                             whose checks are named by slugs equal to the job ids",
                            h.get_ref()
                        ),
                    ));
                }
                Some(h.into_inner())
            }
            None => None,
        };
        if raw.job.is_empty() {
            return Err(bad_input(format!(
                "{}: no jobs: add at least one [[job]] table (see config.example.toml)",
                self.path.display()
            )));
        }
        let mut jobs: Vec<Job> = Vec::with_capacity(raw.job.len());
        for raw_job in raw.job {
            let mut job =
                self.validate_job(raw_job, &log_dir, default_healthcheck.as_deref(), &jobs)?;
            job.runtime_env = runtime_env.clone();
            jobs.push(job);
        }
        Ok(Config {
            path: self.path.to_path_buf(),
            target,
            user,
            name,
            runtime,
            rotate,
            runtime_env,
            textfile_dir,
            jobs,
        })
    }

    /// `container`, or `service` with an optional `project`: exactly one way to find the
    /// container.
    fn container_ref(&self, raw: &RawJob, key: &dyn Fn(&str) -> String) -> Result<ContainerRef> {
        let name = |value: &Spanned<String>, k: &str, what: &str| -> Result<String> {
            let v = value.get_ref();
            if is_container_name(v) {
                Ok(v.clone())
            } else {
                Err(self.key_error(
                    value,
                    &key(k),
                    &format!("{v:?} is not {what}: Docker accepts letters, digits, `_`, `.` and `-`, starting with a letter or digit"),
                ))
            }
        };
        match (&raw.container, &raw.service, &raw.project) {
            (Some(c), None, None) => Ok(ContainerRef::Name(name(c, "container", "a container name or ID")?)),
            (Some(_), Some(s), _) => Err(self.key_error(s, &key("service"), "and `container` are both set; use one: `container` for a container by name, `service` (with an optional `project`) for the running container of a Compose service")),
            (Some(_), None, Some(p)) | (None, None, Some(p)) => Err(self.key_error(p, &key("project"), "is set without `service`: `project` names the Compose project of a `service`; with `container`, drop it")),
            (None, Some(s), p) => Ok(ContainerRef::Service {
                service: name(s, "service", "a Compose service name")?,
                project: p.as_ref().map(|p| name(p, "project", "a Compose project name")).transpose()?,
            }),
            (None, None, None) => Err(self.key_error(&raw.id, &key("container"), "is missing: set `container = \"NAME\"` (a container by name) or `service = \"NAME\"` (the running container of a Compose service)")),
        }
    }

    fn validate_job(
        &self,
        raw: RawJob,
        log_dir: &Path,
        default_healthcheck: Option<&str>,
        earlier: &[Job],
    ) -> Result<Job> {
        let id = raw.id.get_ref().clone();
        let line = self.line_of(raw.id.span().start);
        if !is_job_id(&id) {
            return Err(self.key_error(
                &raw.id,
                "job.id",
                &format!(
                    "{id:?} is not accepted: use 1 to 64 of lowercase letters, digits, `_` and `-`"
                ),
            ));
        }
        if earlier.iter().any(|j| j.id == id) {
            return Err(self.key_error(
                &raw.id,
                "job.id",
                &format!("{id:?} is used by two jobs; job ids must be unique"),
            ));
        }
        let key = |k: &str| format!("job {id:?}: {k}");
        let container = self.container_ref(&raw, &key)?;

        let description = match raw.description {
            Some(d) if d.get_ref().chars().any(char::is_control) => {
                return Err(self.key_error(
                    &d,
                    &key("description"),
                    "must be one line without control characters",
                ));
            }
            other => other
                .map(Spanned::into_inner)
                .filter(|d| !d.trim().is_empty()),
        };

        if raw.command.get_ref().is_empty() {
            return Err(self.key_error(
                &raw.command,
                &key("command"),
                "is empty: give the program and its arguments, e.g. [\"python\", \"main_v2.py\"]",
            ));
        }
        let mut command = Vec::with_capacity(raw.command.get_ref().len());
        for (i, arg) in raw.command.get_ref().iter().enumerate() {
            command.push(self.line_value(arg, &key(&format!("command[{i}]")))?);
        }
        if command[0].is_empty() {
            return Err(self.key_error(
                &raw.command,
                &key("command"),
                "starts with an empty program name",
            ));
        }

        let schedule = match (raw.schedule, raw.every) {
            (Some(s), None) => Schedule::Cron(CronExpr::parse(s.get_ref()).map_err(|e| {
                self.key_error(&s, &key("schedule"), &format!("{:?}: {e}", s.get_ref()))
            })?),
            (None, Some(e)) => Schedule::Every(Interval::parse(e.get_ref()).map_err(|err| {
                self.key_error(&e, &key("every"), &format!("{:?}: {err}", e.get_ref()))
            })?),
            (Some(s), Some(_)) => {
                return Err(self.key_error(&s, &key("schedule"), "and `every` are both set; use one: `schedule` for a cron expression, `every` for an exact interval"));
            }
            (None, None) => {
                return Err(self.key_error(&raw.id, &key("schedule"), "is missing: set `every = \"5h\"` (an exact interval) or `schedule = \"0 3 * * *\"` (a cron expression)"));
            }
        };

        let log = match raw.log {
            Some(l) => {
                check_log_path(l.get_ref()).map_err(|m| self.key_error(&l, &key("log"), &m))?;
                PathBuf::from(l.into_inner())
            }
            None => log_dir.join(format!("{id}.log")),
        };
        let lock = lock_path(&log);
        if let Some(other) = earlier
            .iter()
            .find(|j| j.log == lock || lock_path(&j.log) == log)
        {
            return Err(bad_input(format!(
                "{}: job {id:?}: its log {} collides with job {:?}'s log {} (each log's lock is \
                 the log's path plus `.lock`); give the jobs logs that are not each other's locks",
                self.path.display(),
                log.display(),
                other.id,
                other.log.display()
            )));
        }
        if let Some(other) = earlier.iter().find(|j| j.log == log) {
            // The log's lock file (`<log>.lock`) is the job's overlap lock: a shared log would
            // make two jobs skip each other.
            return Err(bad_input(format!(
                "{}: job {id:?}: its log {} is also job {:?}'s log; give each job its own `log`",
                self.path.display(),
                log.display(),
                other.id
            )));
        }

        let workdir = match raw.workdir {
            Some(w) => {
                let v = self.line_value(&w, &key("workdir"))?;
                if !v.starts_with('/') {
                    return Err(self.key_error(
                        &w,
                        &key("workdir"),
                        &format!("{v:?} must be an absolute path inside the container"),
                    ));
                }
                Some(v)
            }
            None => None,
        };
        let user = match raw.user {
            Some(u) if !is_exec_user(u.get_ref()) => {
                return Err(self.key_error(&u, &key("user"), &format!("{:?} is not accepted: a user name or uid, optionally with `:group` or `:gid`", u.get_ref())));
            }
            other => other.map(Spanned::into_inner),
        };
        let mut env = BTreeMap::new();
        if let Some(table) = raw.env {
            for (name, value) in table.into_inner() {
                if !is_env_name(&name) {
                    return Err(self.key_error(&value, &key(&format!("env.{name}")), "is not a variable name: use letters, digits and `_`, not starting with a digit"));
                }
                let v = self.line_value(&value, &key(&format!("env.{name}")))?;
                env.insert(name, v);
            }
        }
        // Checked like a log path: absolute and one plain word, as it goes into the line.
        let env_file = match raw.env_file {
            Some(f) => {
                check_log_path(f.get_ref())
                    .map_err(|m| self.key_error(&f, &key("env_file"), &m))?;
                Some(PathBuf::from(f.into_inner()))
            }
            None => None,
        };
        let timeout = match raw.timeout {
            Some(t) => Some(parse_duration(t.get_ref()).map_err(|m| {
                self.key_error(&t, &key("timeout"), &format!("{:?} {m}", t.get_ref()))
            })?),
            None => None,
        };
        let grace = match raw.grace {
            Some(g) => parse_duration(g.get_ref()).map_err(|m| {
                self.key_error(&g, &key("grace"), &format!("{:?} {m}", g.get_ref()))
            })?,
            None => DEFAULT_GRACE,
        };
        let catch_up = match raw.catch_up {
            Some(c) => *c.get_ref(),
            None => false,
        };
        // A job's own URL is used as it is; `[defaults]` holds a project's ping-key URL, and
        // each job pings the check whose slug is its id. An empty value turns pings off.
        let healthcheck = match raw.healthcheck {
            Some(h) if h.get_ref().is_empty() => None,
            Some(h) => {
                check_healthcheck(h.get_ref())
                    .map_err(|m| self.key_error(&h, &key("healthcheck"), &m))?;
                Some(h.into_inner())
            }
            None => default_healthcheck.map(|base| format!("{base}/{id}")),
        };
        Ok(Job {
            id,
            description,
            container,
            command,
            schedule,
            log,
            workdir,
            user,
            env,
            env_file,
            timeout,
            grace,
            line,
            runtime_env: BTreeMap::new(),
            catch_up,
            healthcheck,
        })
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
