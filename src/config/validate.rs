//! The whole file into a [`Config`]: defaults applied, every value checked, and one error naming
//! the file, the line, the key, what was wrong and what is accepted ([`Ctx::key_error`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use toml::Spanned;

use super::checks::*;
use super::raw::*;
use super::*;
use crate::error::bad_input;
use crate::schedule::{CronExpr, Interval, Schedule};

/// The most `retries` a job may ask for: with the delay doubling, 10 retries after 30s already
/// wait 8.5 hours.
const MAX_RETRIES: u32 = 10;

/// toml's message, one line, without the names of our internal structs ("expected struct
/// RawDefaults with 4 elements" says nothing to a user).
pub(super) fn plain_toml_message(message: &str) -> String {
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

pub(super) struct Ctx<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    /// The target a `--target` flag chose over `[cron] target`.
    pub(super) target: Option<TargetKind>,
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

    pub(super) fn error_at(&self, offset: usize, message: &str) -> anyhow::Error {
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

    pub(super) fn validate(&self, raw: RawConfig) -> Result<Config> {
        let target = match raw.cron.target.as_ref() {
            None => TargetKind::Crontab,
            Some(t) => match t.get_ref().as_str() {
                "crontab" => TargetKind::Crontab,
                "cron.d" => TargetKind::CronD,
                "systemd" => TargetKind::Systemd,
                other => {
                    return Err(self.key_error(
                        t,
                        "cron.target",
                        &format!("is {other:?}; accepted: \"crontab\", \"cron.d\" or \"systemd\""),
                    ));
                }
            },
        };
        let target = self.target.unwrap_or(target);
        let user = match raw.cron.user {
            None => None,
            Some(u) => match u.get_ref().parse::<UserName>() {
                Ok(user) => Some(user),
                Err(e) => return Err(self.key_error(&u, "cron.user", &e)),
            },
        };
        let name = match raw.cron.name {
            Some(n) if n.get_ref().parse::<BlockName>().is_err() => {
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
            Some(n) => n.get_ref().parse().expect("checked above"),
            None => "crontainer".parse().expect("a block name"),
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
                check_default_healthcheck(h.get_ref()).map_err(|m| self.key_error(&h, key, &m))?;
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
        let history_limit =
            self.history_limit(raw.defaults.history_limit, "defaults.history_limit")?;
        let failed_history_limit = self.history_limit(
            raw.defaults.failed_history_limit,
            "defaults.failed_history_limit",
        )?;
        let mut jobs: Vec<Job> = Vec::with_capacity(raw.job.len());
        for raw_job in raw.job {
            let jitter = raw_job.jitter.clone();
            let reboot = raw_job.schedule.clone();
            let concurrency = raw_job.concurrency.clone();
            let catch_up = raw_job.catch_up.clone();
            let mut job =
                self.validate_job(raw_job, &log_dir, default_healthcheck.as_deref(), &jobs)?;
            job.runtime_env = runtime_env.clone();
            job.history_limit = job.history_limit.or(history_limit);
            job.failed_history_limit = job.failed_history_limit.or(failed_history_limit);
            self.systemd_keys(&job, target, jitter.as_ref(), reboot.as_ref())?;
            if let Some(catch_up) = catch_up.filter(|_| target == TargetKind::Systemd)
                && let RawCatchUp::Within(within) = catch_up.get_ref()
            {
                // `Persistent=true` runs a missed firing however old it is: systemd has no
                // window, and the runner never sees a boot to judge one.
                return Err(self.key_error(
                    &catch_up,
                    &format!("job {:?}: catch_up", job.id),
                    &format!(
                        "is a window ({within:?}), which a systemd timer cannot keep: its \
                         `Persistent=true` runs a missed firing however old; use \
                         `catch_up = true`, or target = \"crontab\" or \"cron.d\""
                    ),
                ));
            }
            if let Some(policy) = concurrency.filter(|_| target == TargetKind::Systemd)
                && policy.get_ref() != "forbid"
            {
                // A timer starts its oneshot service only when it is not running: the firing
                // never reaches the runner, which alone can replace a run or run beside it.
                return Err(self.key_error(
                    &policy,
                    &format!("job {:?}: concurrency", job.id),
                    &format!(
                        "{:?} needs a cron target: systemd starts a job's service only while it \
                         is not running, so a firing during a run is dropped; use \"forbid\" \
                         or target = \"crontab\" or \"cron.d\"",
                        policy.get_ref()
                    ),
                ));
            }
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
            source: self.text.to_string(),
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
        let jitter = match raw.jitter {
            Some(j) => Some(parse_duration(j.get_ref()).map_err(|m| {
                self.key_error(&j, &key("jitter"), &format!("{:?} {m}", j.get_ref()))
            })?),
            None => None,
        };
        let grace = match raw.grace {
            Some(g) => parse_duration(g.get_ref()).map_err(|m| {
                self.key_error(&g, &key("grace"), &format!("{:?} {m}", g.get_ref()))
            })?,
            None => DEFAULT_GRACE,
        };
        let (catch_up, catch_up_within) = match raw.catch_up {
            None => (false, None),
            Some(c) => match c.get_ref() {
                RawCatchUp::On(on) => (*on, None),
                RawCatchUp::Within(w) => {
                    let within = parse_duration(w).map_err(|m| {
                        self.key_error(
                            &c,
                            &key("catch_up"),
                            &format!("{w:?} {m}; or true for any missed firing"),
                        )
                    })?;
                    (true, Some(within))
                }
            },
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
        let concurrency = match raw.concurrency {
            Some(c) => match c.get_ref().as_str() {
                "forbid" => None,
                "replace" | "allow" => Some(c.into_inner()),
                other => {
                    return Err(self.key_error(
                        &c,
                        &key("concurrency"),
                        &format!(
                            "is {other:?}; accepted: \"forbid\" (skip a firing while the previous \
                             run goes, the default), \"replace\" (stop it, then run) or \
                             \"allow\" (run side by side)"
                        ),
                    ));
                }
            },
            None => None,
        };
        let retries = match raw.retries {
            Some(r) => match u32::try_from(*r.get_ref()) {
                Ok(n) if n <= MAX_RETRIES => Some(n),
                _ => {
                    return Err(self.key_error(
                        &r,
                        &key("retries"),
                        &format!("must be a number from 0 to {MAX_RETRIES}"),
                    ));
                }
            },
            None => None,
        };
        let retry_delay = match raw.retry_delay {
            Some(d) if retries.is_none() => {
                return Err(self.key_error(
                    &d,
                    &key("retry_delay"),
                    "is set without `retries`: say how many times to try again (retries = 2)",
                ));
            }
            Some(d) => Some(parse_duration(d.get_ref()).map_err(|m| {
                self.key_error(&d, &key("retry_delay"), &format!("{:?} {m}", d.get_ref()))
            })?),
            None => None,
        };
        let history_limit = self.history_limit(raw.history_limit, &key("history_limit"))?;
        let failed_history_limit =
            self.history_limit(raw.failed_history_limit, &key("failed_history_limit"))?;
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
            jitter,
            line,
            runtime_env: BTreeMap::new(),
            catch_up,
            catch_up_within,
            healthcheck,
            history_limit,
            failed_history_limit,
            concurrency,
            retries,
            retry_delay,
        })
    }

    /// A run history limit: a number of records from 0 to 100000 (a bound that keeps `history`
    /// and the runner's compaction within their benchmarks).
    fn history_limit(&self, value: Option<Spanned<i64>>, key: &str) -> Result<Option<usize>> {
        let Some(value) = value else {
            return Ok(None);
        };
        match usize::try_from(*value.get_ref()) {
            Ok(n) if n <= 100_000 => Ok(Some(n)),
            _ => Err(self.key_error(&value, key, "must be a number from 0 to 100000")),
        }
    }

    /// What only a systemd timer can do (`jitter`), and what it cannot (`@reboot`): checked
    /// with the target, which a job alone does not know.
    fn systemd_keys(
        &self,
        job: &Job,
        target: TargetKind,
        jitter: Option<&Spanned<String>>,
        schedule: Option<&Spanned<String>>,
    ) -> Result<()> {
        let key = |k: &str| format!("job {:?}: {k}", job.id);
        if let Some(jitter) = jitter {
            if target != TargetKind::Systemd {
                return Err(self.key_error(
                    jitter,
                    &key("jitter"),
                    "needs target = \"systemd\" (a timer's `RandomizedDelaySec=`); cron has \
                     no random delay",
                ));
            }
            let guard = job.schedule.render().guard;
            if let (Some(seconds), Some(guard)) = (job.jitter, guard)
                && seconds >= guard.slot_seconds
            {
                // The runner's guard keeps a firing by the epoch slot it starts in: a delay
                // as long as a slot moves it into the next one, which the guard skips.
                return Err(self.key_error(
                    jitter,
                    &key("jitter"),
                    &format!(
                        "must be shorter than {}s with this `every`: the runner keeps one \
                         firing in {} of {}s slots, and a start delayed into the next slot is \
                         skipped",
                        guard.slot_seconds, guard.every_slots, guard.slot_seconds
                    ),
                ));
            }
        }
        if let Some(schedule) = schedule
            && target == TargetKind::Systemd
            && matches!(&job.schedule, Schedule::Cron(expr) if expr.is_reboot())
        {
            return Err(self.key_error(
                schedule,
                &key("schedule"),
                "is @reboot, which has no time for a systemd timer; use a schedule or `every`, \
                 with `catch_up = true` for the firings missed while the host was off",
            ));
        }
        Ok(())
    }
}
