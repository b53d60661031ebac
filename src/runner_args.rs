//! The runner's command line: what an installed line passes to `crontainer exec`, and the one
//! definition both sides use. The line renderer writes a job as these words
//! ([`RunnerArgs::to_words`]); the runner (`crontainer exec`) parses them with clap; every reader
//! of an installed line (status, run-now, doctor, install's upgrade) parses the line's words back
//! with the same definition ([`RunnerArgs::from_words`]), so what is rendered, run and read cannot
//! drift apart.
//!
//! **A stable interface.** A line one release writes must run under every later release
//! (`../shared/DESIGN.md`, principle 1): flags may be added, never removed, renamed or given
//! another meaning. `tests/fixtures/runner-lines/` pins the exact lines a release writes.
//!
//! The shape, for the seed job:
//!
//! ```text
//! /usr/bin/crontainer exec main_pipeline_v2 --every 5h --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- ai-video-backend python main_v2.py
//! ```
//!
//! Everything after `--` is the container (unless `--service` names a Compose service) and then
//! the command's argv, each word one literal argument. The words are pure data here: shell
//! quoting and cron's `%` escaping belong to the line renderer.

use std::path::PathBuf;

use clap::Args;

/// One job's firing, as the installed line states it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Args)]
pub struct RunnerArgs {
    /// The job's id (the marker's `id=`); it names the job on every log line.
    #[arg(value_name = "JOB")]
    pub job: String,
    /// The block the line is installed in (the config's `[cron] name`), recorded with each run in
    /// the run history. Lines written before it existed have none: their records say no block.
    #[arg(long, value_name = "BLOCK")]
    pub block: Option<String>,
    /// An interval cron cannot express ("5h", "90m"): only every N-th firing slot since the Unix
    /// epoch runs, so the gaps stay exact; the other firings exit 0 at once, writing nothing.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,
    /// Stop the command inside the container after this long ("4h", "90s", "1h30m"); the end
    /// line then says `reason=timeout`.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// A healthchecks.io-style ping URL: pinged at the start (`/start`) and at the end (`/EXIT`,
    /// with the output's tail); a failed ping never changes the exit code.
    #[arg(long, value_name = "URL")]
    pub ping: Option<String>,
    /// How many successful runs the job's run history keeps (`history_limit`; default 1000).
    #[arg(long, value_name = "N")]
    pub history_limit: Option<usize>,
    /// How many failed runs, and how many skipped firings, the run history keeps
    /// (`failed_history_limit`; default 1000).
    #[arg(long, value_name = "N")]
    pub failed_history_limit: Option<usize>,
    /// What a firing does while the previous run still goes: `forbid` (the default: skip,
    /// exit 75), `replace` (stop the running run, inside the container too, then start; its end
    /// line says `reason=replaced`), `allow` (run side by side, each with its own run id).
    #[arg(long, value_name = "POLICY", value_parser = ["forbid", "replace", "allow"])]
    pub concurrency: Option<String>,
    /// Run the command again up to N more times while it fails (not after a timeout, an
    /// interruption or a stop that failed): each attempt is logged and recorded, the last
    /// attempt's exit code is the run's, one start and one end ping for the whole run.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// How long to wait before the first retry ("30s", the default), doubled for each next one.
    #[arg(long, value_name = "DURATION", requires = "retries")]
    pub retry_delay: Option<String>,
    /// The job's log; its lock is the same path plus `.lock`.
    #[arg(long, value_name = "PATH")]
    pub log: PathBuf,
    /// The container runtime (docker or podman), by absolute path.
    #[arg(long, value_name = "PATH")]
    pub runtime: PathBuf,
    /// A variable for the runtime client itself (`[defaults] runtime_env`, e.g. DOCKER_HOST);
    /// repeatable.
    #[arg(long = "runtime-env", value_name = "NAME=VALUE")]
    pub runtime_env: Vec<String>,
    /// Run in the running container of this Compose service instead of a named container: the
    /// words after `--` are then the command alone.
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// The Compose project of `--service`.
    #[arg(long, value_name = "PROJECT", requires = "service")]
    pub project: Option<String>,
    /// A variable set in the container for the command (`exec -e`); repeatable.
    #[arg(short = 'e', long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A file of NAME=VALUE lines the runtime reads (`exec --env-file`).
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// The command's working directory in the container (`exec -w`).
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The user the command runs as in the container (`exec -u`).
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// This is the job's catch-up line (`@reboot`): wait for the container, then run only if a
    /// firing was due since the last run and since `--since`; its runs are `by=catch-up`.
    #[arg(long)]
    pub catch_up: bool,
    /// The job's cron schedule, for a catch-up line (the `@reboot` line's own fields say nothing
    /// of it); `--every` stands for it for an interval.
    #[arg(long, value_name = "CRON", requires = "catch_up")]
    pub schedule: Option<String>,
    /// Run the catch-up only when the missed firing is at most this old ("6h"), as Kubernetes'
    /// `startingDeadlineSeconds`; an older one is `skip reason=outside-window`.
    #[arg(long, value_name = "DURATION", requires = "catch_up")]
    pub catch_up_within: Option<String>,
    /// When the job was installed (RFC 3339, UTC): a catch-up line runs nothing for a firing due
    /// before it.
    #[arg(long, value_name = "TIME", requires = "catch_up")]
    pub since: Option<String>,
    /// `CONTAINER COMMAND...`, or `COMMAND...` with `--service`.
    #[arg(last = true, required = true, value_name = "CONTAINER COMMAND")]
    pub argv: Vec<String>,
}

/// Parses the runner's words alone (the subcommand's arguments, without `crontainer exec`).
#[derive(Debug, clap::Parser)]
#[command(name = "crontainer exec", no_binary_name = true)]
struct Words {
    #[command(flatten)]
    args: RunnerArgs,
}

impl RunnerArgs {
    /// The container the words name, when `--service` does not stand for it.
    pub fn container(&self) -> Option<&str> {
        match self.service {
            Some(_) => None,
            None => self.argv.first().map(String::as_str),
        }
    }

    /// The command's argv inside the container.
    pub fn command(&self) -> &[String] {
        match self.service {
            Some(_) => &self.argv,
            None => self.argv.get(1..).unwrap_or(&[]),
        }
    }

    /// The arguments of `crontainer exec`, in the order the line shows them: the job and its
    /// block, what
    /// decides whether and how long it runs, where it logs, the runtime, then the container and
    /// the command after `--`.
    pub fn to_words(&self) -> Vec<String> {
        let mut words = vec![self.job.clone()];
        let mut flag = |name: &str, value: &str| {
            words.push(format!("--{name}"));
            words.push(value.to_owned());
        };
        if let Some(block) = &self.block {
            flag("block", block);
        }
        if let Some(every) = &self.every {
            flag("every", every);
        }
        if let Some(timeout) = &self.timeout {
            flag("timeout", timeout);
        }
        if let Some(ping) = &self.ping {
            flag("ping", ping);
        }
        if let Some(policy) = &self.concurrency {
            flag("concurrency", policy);
        }
        if let Some(n) = self.retries {
            flag("retries", &n.to_string());
        }
        if let Some(delay) = &self.retry_delay {
            flag("retry-delay", delay);
        }
        if let Some(n) = self.history_limit {
            flag("history-limit", &n.to_string());
        }
        if let Some(n) = self.failed_history_limit {
            flag("failed-history-limit", &n.to_string());
        }
        flag("log", &self.log.to_string_lossy());
        flag("runtime", &self.runtime.to_string_lossy());
        for var in &self.runtime_env {
            flag("runtime-env", var);
        }
        if let Some(service) = &self.service {
            flag("service", service);
        }
        if let Some(project) = &self.project {
            flag("project", project);
        }
        for var in &self.env {
            flag("env", var);
        }
        if let Some(env_file) = &self.env_file {
            flag("env-file", &env_file.to_string_lossy());
        }
        if let Some(workdir) = &self.workdir {
            flag("workdir", workdir);
        }
        if let Some(user) = &self.user {
            flag("user", user);
        }
        if let Some(schedule) = &self.schedule {
            flag("schedule", schedule);
        }
        if let Some(within) = &self.catch_up_within {
            flag("catch-up-within", within);
        }
        if let Some(since) = &self.since {
            flag("since", since);
        }
        if self.catch_up {
            words.push("--catch-up".to_owned());
        }
        words.push("--".to_owned());
        words.extend(self.argv.iter().cloned());
        words
    }

    /// Reads the words back (what follows `crontainer exec` on a line), or says why they are not
    /// a runner's.
    pub fn from_words<I, S>(words: I) -> Result<RunnerArgs, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser as _;
        Words::try_parse_from(words)
            .map(|w| w.args)
            .map_err(|e| e.render().to_string().trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> RunnerArgs {
        RunnerArgs {
            job: "main_pipeline_v2".into(),
            every: Some("5h".into()),
            log: "/var/log/crontainer/main_pipeline_v2.log".into(),
            runtime: "/usr/bin/docker".into(),
            argv: vec![
                "ai-video-backend".into(),
                "python".into(),
                "main_v2.py".into(),
            ],
            ..RunnerArgs::default()
        }
    }

    #[test]
    fn the_seed_jobs_words_read_in_order() {
        assert_eq!(
            seed().to_words().join(" "),
            "main_pipeline_v2 --every 5h --log /var/log/crontainer/main_pipeline_v2.log \
             --runtime /usr/bin/docker -- ai-video-backend python main_v2.py"
        );
    }

    #[test]
    fn every_field_survives_words_and_back() {
        let all = RunnerArgs {
            job: "j".into(),
            block: Some("crontainer".into()),
            every: Some("90m".into()),
            timeout: Some("4h".into()),
            ping: Some("https://hc-ping.com/x".into()),
            concurrency: Some("replace".into()),
            retries: Some(2),
            retry_delay: Some("1m".into()),
            history_limit: Some(50),
            failed_history_limit: Some(0),
            log: "/l/j.log".into(),
            runtime: "/usr/bin/podman".into(),
            runtime_env: vec!["DOCKER_HOST=unix:///x".into(), "A=b c".into()],
            service: Some("worker".into()),
            project: Some("app".into()),
            env: vec!["A=1".into(), "B=--not-a-flag".into()],
            env_file: Some("/etc/app.env".into()),
            workdir: Some("/app".into()),
            user: Some("app".into()),
            catch_up: true,
            schedule: Some("0 3 * * *".into()),
            catch_up_within: Some("6h".into()),
            since: Some("2026-12-04T10:00:00Z".into()),
            argv: vec!["--".into(), "-e".into(), "it's %d".into(), String::new()],
        };
        assert_eq!(RunnerArgs::from_words(all.to_words()), Ok(all.clone()));
        assert_eq!(all.container(), None);
        assert_eq!(all.command(), &all.argv[..]);
        assert_eq!(RunnerArgs::from_words(seed().to_words()), Ok(seed()));
        assert_eq!(seed().container(), Some("ai-video-backend"));
        assert_eq!(seed().command(), ["python", "main_v2.py"]);
    }

    #[test]
    fn the_block_follows_the_job_and_a_line_without_it_still_reads() {
        let with_block = RunnerArgs {
            block: Some("crontainer".into()),
            ..seed()
        };
        assert_eq!(
            with_block.to_words().join(" "),
            "main_pipeline_v2 --block crontainer --every 5h --log \
             /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- \
             ai-video-backend python main_v2.py"
        );
        // 0.3's line, as it was shipped (tests/fixtures/runner-lines-v0.3): no block.
        let shipped = "main_pipeline_v2 --every 5h --log /var/log/crontainer/main_pipeline_v2.log \
                       --runtime /usr/bin/docker -- ai-video-backend python main_v2.py";
        assert_eq!(
            RunnerArgs::from_words(shipped.split(' ')),
            Ok(RunnerArgs {
                block: None,
                ..seed()
            })
        );
    }

    #[test]
    fn words_without_a_container_or_log_are_refused() {
        assert!(RunnerArgs::from_words(["j", "--log", "/l", "--runtime", "/d"]).is_err());
        assert!(RunnerArgs::from_words(["j", "--runtime", "/d", "--", "c", "p"]).is_err());
        assert!(
            RunnerArgs::from_words([
                "j",
                "--since",
                "x",
                "--log",
                "/l",
                "--runtime",
                "/d",
                "--",
                "c"
            ])
            .is_err()
        );
    }
}
