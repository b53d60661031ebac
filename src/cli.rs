//! What the user typed: the clap definitions, kept apart from what the program needs
//! (`config/`). Every field's `///` doc is its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{BlockName, JobSpec, UserName};

/// Turn a TOML file of jobs into cron entries that `docker exec` a command inside a running
/// container, with logging; see them (`status`), trigger one (`run-now`), remove them
/// (`uninstall`).
///
/// Each installed cron line is short and says what runs: the schedule, this binary by absolute
/// path with `exec`, the job's id, its log and runtime, then the container and the command
/// (`0 * * * * /usr/bin/crontainer exec JOB --every 5h --log LOG --runtime /usr/bin/docker --
/// CONTAINER COMMAND...`). The runner does the rest; it never reads the config. Keep the binary
/// where the lines name it: `status` and `doctor` fail when it is gone.
///
/// Typical use: `crontainer plan` to see what would be written, `sudo crontainer install`,
/// `crontainer status`, `crontainer run-now JOB`.
///
/// Exit codes: 0 success; 1 failure or unhealthy; 2 bad usage or config (nothing changed);
/// run-now: the job's own exit code, or 75 when the job is already running (and its
/// `concurrency` is forbid).
#[derive(Debug, Parser)]
#[command(name = "crontainer", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Print only errors and the data asked for (no diffs, notes or warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Also print each program crontainer runs (crontab, docker, ...) on stderr.
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print what `install` would write (the managed block, or the whole /etc/cron.d file), the
    /// schedule in words and the next runs; changes nothing.
    Plan(PlanArgs),
    /// Write the jobs into the crontab (or /etc/cron.d, or systemd units); idempotent, shows the
    /// change as a diff, keeps a backup, touches nothing outside crontainer's block.
    Install(InstallArgs),
    /// Remove crontainer's block, or one job, from the crontab (or /etc/cron.d, or its systemd
    /// units); logs stay.
    Uninstall(UninstallArgs),
    /// Show each job: installed and in step, schedule, next and last run, running now, the
    /// container's state; and whether its scheduler (cron or systemd) runs. Exit 0 only when all
    /// is healthy.
    Status(StatusArgs),
    /// Run an installed job now, exactly as cron would (same line, lock and log), streaming its
    /// output; exits with the job's exit code. A run going already is treated as by the job's
    /// `concurrency`: forbid exits 75, replace stops it first, allow runs beside it. Ctrl-C stops
    /// the job, inside the container too (`--detach` leaves it running).
    #[command(name = "run-now")]
    RunNow(RunNowArgs),
    /// Print the output of a job's last run (or the log's last lines), optionally following it.
    Logs(LogsArgs),
    /// Show a job's past runs (every job's without JOB): start, trigger, duration, exit or why
    /// it ended, ping; then runs, failures, success rate, the usual duration (p50, p95) and the
    /// recent durations as a sparkline. From the run history the runner keeps, which log
    /// rotation does not delete; for jobs 0.1 and 0.2 installed, from what their logs still hold.
    History(HistoryArgs),
    /// Stop a job from firing without losing it: its line stays in the block, commented out.
    Pause(PauseArgs),
    /// Let a paused job fire again: its line is restored exactly.
    Resume(PauseArgs),
    /// Print a shell completion script: `crontainer completions bash >
    /// /etc/bash_completion.d/crontainer`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `crontainer man | man -l -`.
    Man,
    /// Print every installed job's state as Prometheus gauges, or write them for node_exporter's
    /// textfile collector (`--textfile DIR`).
    ///
    /// Text exposition format, labels `job` and `block`: last start, end and success times, last
    /// exit code and duration, running, paused, missed, healthy (as `status` judges it), next run.
    /// Times are unix seconds; a value not known yet (no run, no next run) is left out, never
    /// NaN. Exit 0 whatever the jobs' health: it is in the gauges. For node_exporter, run
    /// `crontainer metrics -q -c CONFIG --textfile /var/lib/prometheus/node-exporter` from cron
    /// every minute: `[monitoring] textfile_dir` in the config makes `install` add that line.
    Metrics(MetricsArgs),
    /// Check the host: a cron daemon running, the runtime answering, flock and date present, the
    /// time zone, each installed block intact and in step with the config, logs writable.
    Doctor(DoctorArgs),
    /// Run one firing of a job: what every installed cron line runs. A stable interface: a
    /// line one release writes runs under every later one.
    ///
    /// Read a line as: the job's id; `--every` (only every N-th firing slot since the Unix epoch
    /// runs, the others exit 0 at once) and `--timeout`; `--ping`, a healthchecks URL; `--log`
    /// (the lock is LOG.lock); the runtime; then after `--` the container and the command, each
    /// word one literal argument, run with `RUNTIME exec -i` (no shell needed in the container).
    /// With `--service` the words after `--` are the command alone. `--catch-up` marks a job's
    /// @reboot line: it runs once only if a firing was missed since the last run and `--since`.
    ///
    /// A firing appends a start and an end line to the log around the job's output; a timeout
    /// or SIGTERM, SIGINT or SIGHUP stops the command inside the container and says so on the
    /// end line. Exit codes: the job's own; 75 when the previous run still holds the lock;
    /// 69 no running container; 78 a service in several Compose projects; 124 the timeout;
    /// 128+N stopped by signal N; 2 bad arguments.
    Exec(Box<crate::runner_args::RunnerArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Look in every user's crontab, /etc/cron.d and root's systemd units (root only), not only
    /// in one target.
    #[arg(long, conflicts_with_all = ["target", "user"])]
    pub(crate) all_users: bool,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PauseArgs {
    /// The job's id; `BLOCK/JOB` when several blocks hold that id.
    pub(crate) job: JobSpec,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Print one JSON document on stdout (with "changed": true/false) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Only this job (`BLOCK/JOB` names it in one block).
    pub(crate) job: Option<JobSpec>,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Look in every user's crontab, /etc/cron.d and root's systemd units (root only), not only
    /// in one target.
    #[arg(long, conflicts_with_all = ["target", "user"])]
    pub(crate) all_users: bool,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Look in every user's crontab, /etc/cron.d and root's systemd units (root only), not only
    /// in one target.
    #[arg(long, conflicts_with_all = ["target", "user"])]
    pub(crate) all_users: bool,
    /// Write each block's file in DIR, `crontainer-crontab-USER+BLOCK.prom`,
    /// `crontainer-crond+BLOCK.prom` or `crontainer-systemd+BLOCK.prom` (through a temp file in
    /// DIR and a rename, so a reader never sees half of it) instead of printing: the directory
    /// node_exporter's `--collector.textfile.directory` reads.
    #[arg(long, value_name = "DIR")]
    pub(crate) textfile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RunNowArgs {
    /// The job's id; `BLOCK/JOB` when several blocks hold that id.
    pub(crate) job: JobSpec,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Start it in the background exactly as cron would and return at once; it goes on after
    /// this shell ends.
    #[arg(long)]
    pub(crate) detach: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// The job's id; `BLOCK/JOB` when several blocks hold that id.
    pub(crate) job: JobSpec,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// The last N lines of the log instead of the last run's output.
    #[arg(short = 'n', long, value_name = "N")]
    pub(crate) lines: Option<usize>,
    /// Keep printing what is appended to the log (Ctrl-C to stop).
    #[arg(short, long)]
    pub(crate) follow: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Only this job (`BLOCK/JOB` names it in one block); default: every job of the scope.
    pub(crate) job: Option<JobSpec>,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Every user's jobs, /etc/cron.d's and root's systemd units' (root only), not only one
    /// target's: their run histories are read as data, never through a symlink.
    #[arg(long, conflicts_with_all = ["target", "user"])]
    pub(crate) all_users: bool,
    /// Show the last N records of each job (the summary counts them all).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 20)]
    pub(crate) lines: usize,
    /// Only runs since WHEN: an RFC 3339 time, a date (2026-11-29, in cron's time zone), or a
    /// duration ago ("24h", "7d").
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,
    /// Only failed runs.
    #[arg(long)]
    pub(crate) failed: bool,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which installed blocks a command reads: the config's, overridden by the target flags, or the
/// one `--name` gives. One struct, so every command that reads blocks takes the same flags.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ScopeArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArg,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Only the block of this name (a config's `[cron] name`); default: the config's block, or
    /// every crontainer block in the target (in /etc/cron.d, every file holding one).
    #[arg(long, value_name = "BLOCK")]
    pub(crate) name: Option<BlockName>,
}

/// Where the config comes from.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ConfigArg {
    /// The config file. Default: $CRONTAINER_CONFIG, then ./crontainer.toml, then
    /// /etc/crontainer/crontainer.toml.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// Which cron table to act on; each overrides the config's `[cron]` table.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TargetArgs {
    /// `crontab`: a user's crontab through the crontab program; `cron.d`: the file
    /// /etc/cron.d/<name> (root only); `systemd`: a .service and .timer per job, root's in
    /// /etc/systemd/system, a user's in ~/.config/systemd/user.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub(crate) target: Option<TargetArg>,
    /// Whose crontab (needs root for another user), or the user root's cron.d lines and
    /// systemd units run as.
    #[arg(long, value_name = "USER")]
    pub(crate) user: Option<UserName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TargetArg {
    #[value(name = "crontab")]
    Crontab,
    #[value(name = "cron.d")]
    CronD,
    #[value(name = "systemd")]
    Systemd,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArg,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// How many next runs to list per job.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub(crate) next: usize,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArg,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Show the change and the checks, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print one JSON document on stdout (with "changed": true/false) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Remove block OLD (this config under its former name, or in its former target) in the
    /// same install, so its jobs do not go on firing beside the new ones.
    #[arg(long, value_name = "OLD")]
    pub(crate) replace: Option<BlockName>,
}

#[derive(Debug, Args)]
pub(crate) struct UninstallArgs {
    /// Remove only this job's lines (`BLOCK/JOB` names it in one block); default: the whole
    /// block.
    pub(crate) job: Option<JobSpec>,
    /// The config whose block to remove. Without one (and none found), the target's only block;
    /// when it has several, name one with --name or remove them all with --all.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The block to remove (the config's `[cron] name`); overrides the config.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<BlockName>,
    /// Every crontainer block in the target (in /etc/cron.d, every file holding one).
    #[arg(long, conflicts_with_all = ["name", "config"])]
    pub(crate) all: bool,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Show the change, write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print one JSON document on stdout (with "changed": true/false) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}
