//! One job's state as `status` and `metrics` both report it: installed where, in step with the
//! config, its schedule and next run, its last run from the log, running now, missed, and what
//! makes it unhealthy. One copy, so a job `status` calls unhealthy is the job `metrics` reports
//! with `healthy 0`. A folder rather than `commands/job_status.rs`: every file beside `mod.rs` is
//! a subcommand, and this is not one.

mod line_damage;
pub(crate) mod metrics_line;
mod orphaned;
pub(crate) mod textfile;

use jiff::ZonedDateTime;

use crate::commands::{self, installed::Installed};
use crate::config::{Config, ContainerRef, TargetKind};
use crate::exec::orphan;
use crate::host;
use crate::line::{self, Entry};
use crate::run_log::{self, Event, LastRun};
use crate::runtime::{self, ContainerState};
use crate::schedule::{self, Interval, Schedule};
use crate::ui;

/// Everything `status` and `metrics` know about one job.
pub(crate) struct JobStatus {
    pub(crate) id: String,
    pub(crate) description: Option<String>,
    /// Where it is installed, or None.
    pub(crate) installed: Option<String>,
    /// The block it is installed in, or None.
    pub(crate) block: Option<String>,
    /// The kind of target it is installed in, and the user it belongs to there (the crontab's
    /// owner, or the cron.d line's user column): with the block, what tells two copies of a
    /// job id apart on one host.
    pub(crate) target: Option<(TargetKind, String)>,
    /// What differs from the config (empty: in step, or no config to compare with).
    pub(crate) drift: Vec<String>,
    pub(crate) words: String,
    pub(crate) cron: Option<String>,
    pub(crate) next_run: Option<ZonedDateTime>,
    pub(crate) paused: Option<line::Paused>,
    pub(crate) last: LastRun,
    /// While a run is going, the end of the run before it: the last outcome known.
    pub(crate) previous: Option<run_log::Record>,
    /// An environment assignment above the job's block that changes how its line runs.
    pub(crate) environment: Option<String>,
    /// The crontainer binary the installed line runs is missing or not executable.
    pub(crate) runner: Option<String>,
    /// A systemd timer that is not in the state its job's pause says (stopped while the job
    /// is not paused, or running while it is).
    pub(crate) timer: Option<String>,
    /// A firing cron should have started (after the line was installed, more than the grace
    /// period ago) with no start or skip since.
    pub(crate) missed: Option<ZonedDateTime>,
    pub(crate) last_error: Option<String>,
    pub(crate) running: Option<u32>,
    /// The container as it resolves now (its name, or for a Compose service that resolves to
    /// none, the service in words) and its state.
    pub(crate) container: Option<(String, ContainerState)>,
    /// How the installed line finds its container.
    pub(crate) container_ref: Option<ContainerRef>,
    pub(crate) log: Option<(std::path::PathBuf, Option<u64>)>,
    /// Why the job's installed lines cannot be trusted (its block or its line edited by hand).
    pub(crate) damaged: Option<String>,
    /// Copies of the job in other blocks that fire beside it, in words.
    pub(crate) copies: Vec<String>,
    /// Its usual duration, the run going now against it, a hang (from the run history).
    pub(crate) durations: crate::history::usual::Durations,
    /// Its last run, still going in the container though its runner was killed.
    pub(crate) orphan: Option<crate::exec::orphan::Orphan>,
}

impl JobStatus {
    /// What makes the job unhealthy, in words; empty when it is healthy.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        problems.extend(self.damaged.iter().cloned());
        problems.extend(self.copies.iter().cloned());
        if self.installed.is_none() {
            problems.push("not installed: run `crontainer install`".to_string());
        }
        problems.extend(self.drift.iter().cloned());
        problems.extend(self.environment.iter().cloned());
        problems.extend(self.runner.iter().cloned());
        problems.extend(self.timer.iter().cloned());
        match &self.container {
            Some((name, state @ ContainerState::Unresolved(_))) => {
                problems.push(format!("{name} {state}"));
            }
            Some((name, state)) if *state != ContainerState::Running => {
                problems.push(format!("container {name} is {state}"));
            }
            _ => {}
        }
        if let Some(missed) = &self.missed {
            problems.push(commands::installed::drift::missed_words(missed));
        }
        if let (Some(_), Some(previous)) = (self.running, &self.previous)
            && matches!(previous.event, Event::End { exit, .. } if exit != 0)
        {
            // An alert on the last outcome must not resolve for the length of every run.
            problems.push(format!(
                "the run before the one going now failed ({})",
                end_summary(&LastRun {
                    ended: Some(previous.clone()),
                    ..LastRun::default()
                })
            ));
        }
        if self.last.timed_out() {
            problems.push(if orphan::may_still_run(&self.last) {
                "the last run timed out, and could not be stopped in the container: it may \
                 still run there"
                    .to_string()
            } else {
                "the last run timed out".to_string()
            });
        } else if let Some((exit, seconds)) = self.last.killed_early() {
            problems.push(format!(
                "the last run was killed (exit {exit}) after {}, before its timeout: its \
                 container stopped or restarted during the run, or something else killed it",
                ui::human_duration(seconds)
            ));
        } else if self.last.succeeded() == Some(false) {
            problems.push(format!("the last run failed ({})", end_summary(&self.last)));
        } else if let (Some(orphan), None) = (&self.orphan, self.running) {
            problems.push(orphaned::problem(
                &self.id,
                self.container_ref.as_ref(),
                orphan,
            ));
        } else if let (Some(started), None, None) =
            (self.last.started_at(), &self.last.ended, self.running)
        {
            problems.push(format!(
                "the run started at {} did not finish (no end line): {}",
                started.strftime(run_log::TIMESTAMP_FORMAT),
                self.why_no_end()
            ));
        }
        if self.last.ping() == Some(run_log::Ping::Failed) {
            problems.push(
                "the last run's healthcheck ping failed: healthchecks may not know how it went \
                 (check the URL, and that this host reaches it with curl)"
                    .to_string(),
            );
        }
        if let Some(e) = &self.last_error {
            problems.push(format!("cannot read the log: {e}"));
        }
        problems.extend(self.durations.problem());
        if let Some((log, _)) = &self.log {
            let dir = log.parent().unwrap_or(std::path::Path::new("/"));
            if self.installed.is_some() && !dir.is_dir() {
                problems.push(format!(
                    "the log's directory {} is missing: every run will fail before it starts \
                     (`crontainer install` creates it again)",
                    dir.display()
                ));
            }
        }
        problems
    }
}

impl JobStatus {
    /// Why a run that is not running has no end line, as far as can be seen: a log on a full
    /// disk could not take it (issue 25: that read "killed, or the host went down").
    pub(crate) fn why_no_end(&self) -> String {
        if let Some(orphan) = &self.orphan {
            return format!(
                "its runner was killed, and it still goes on in the container (pid {})",
                orphan.found.pid
            );
        }
        match self.log.as_ref().and_then(|(log, _)| full_disk(log)) {
            Some(full) => full,
            None => "it was killed, or the host went down".to_string(),
        }
    }
}

/// When the filesystem holding `log` has no block left for it, in words.
fn full_disk(log: &std::path::Path) -> Option<String> {
    let dir = log.parent()?;
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    (stat.blocks_available() == 0).then(|| {
        format!(
            "the disk holding its log is full ({} has no space left), so its end line could \
             not be written; free space there",
            dir.display()
        )
    })
}

/// The status of every job installed in `installed`, in block order.
pub(crate) fn installed_statuses(
    installed: &Installed,
    config: Option<&Config>,
    now: &ZonedDateTime,
) -> Vec<JobStatus> {
    installed
        .entries
        .iter()
        .map(|(block, entry)| installed_status(entry, block, installed, config, now))
        .collect()
}

/// The status of an installed job, from its entry in `block`; the container's state is
/// "not asked" until [`ask_containers`].
fn installed_status(
    entry: &Entry,
    block: &str,
    installed: &Installed,
    config: Option<&Config>,
    now: &ZonedDateTime,
) -> JobStatus {
    let parsed = line::parse_line(entry.active_line(), installed.target.with_user_column());
    let rendered = parsed.as_ref().and_then(|p| p.rendered());
    let schedule = match (&entry.marker.every, &rendered) {
        (Some(every), _) => Interval::parse(every).ok().map(Schedule::Every),
        (None, Some(r)) => Some(Schedule::Cron(r.cron.clone())),
        (None, None) => None,
    };
    let words = schedule
        .as_ref()
        .map(schedule::describe)
        .unwrap_or_else(|| "unreadable schedule".to_string());
    let timer = installed.target.timer_state(&entry.marker.id);
    // A systemd timer says itself when it fires next (its jitter included); cron cannot.
    let next_run = match timer.as_ref().and_then(|t| t.next) {
        Some(next) if !entry.is_paused() => Some(next.to_zoned_datetime(now.time_zone().clone())),
        _ => rendered
            .as_ref()
            .filter(|_| !entry.is_paused() && timer.as_ref().is_none_or(|t| t.active == "active"))
            .and_then(|r| schedule::next_runs(r, now, 1).into_iter().next()),
    };
    let timer_problem = timer.and_then(|t| match (entry.is_paused(), t.active.as_str()) {
        (false, "active") | (true, "inactive") => None,
        (false, state) => Some(format!(
            "its systemd timer is {state} ({}), so it will not fire: `crontainer install` \
             starts it again",
            t.enabled
        )),
        (true, state) => Some(format!(
            "it is paused, but its systemd timer is {state} ({}): `crontainer pause {}` \
             stops it",
            t.enabled, entry.marker.id
        )),
    });
    let mut drift = Vec::new();
    if let Some(config) = config {
        match config.job(&entry.marker.id) {
            None => drift.push(format!(
                "installed but not in the config {}: `crontainer uninstall {}` removes it",
                config.path.display(),
                entry.marker.id
            )),
            Some(job) => {
                let user_column = parsed.as_ref().and_then(|p| p.user.clone());
                // A config whose line cannot be rendered is reported by `plan` and `install`.
                if let Ok(found) = commands::installed::drift::drift(
                    &config.runtime,
                    job,
                    entry,
                    user_column.as_deref(),
                    installed.target.with_user_column(),
                ) {
                    drift.extend(found);
                }
            }
        }
    }
    // The lock file names the newest run the line started: its records are the only ones that
    // count, whatever the job printed.
    let lock = run_log::LockFile::read(&entry.marker.lock);
    let lock_run = lock.run;
    let (last, last_error) =
        match run_log::last_run_of(&entry.marker.log, &entry.marker.id, lock_run) {
            Ok(last) => (last, None),
            Err(e) => (LastRun::default(), Some(format!("{e:#}"))),
        };
    let log_size = std::fs::metadata(&entry.marker.log).ok().map(|m| m.len());
    // Reading /proc/locks can stall for an RCU grace period (~10 ms); a run that logged its end
    // is not running (a new run writes its start line right after taking the lock), so only
    // look when the last start has no end, or an end saying the job could not be stopped (its
    // client still holds the lock).
    let running = match last.ended {
        Some(_) if !orphan::left_going(&last, &lock) => None,
        _ => host::lock_holder(&entry.marker.lock),
    };
    // systemd drops a firing that comes while the job's service still runs (where cron's runner
    // logs a skip), and a timer's `jitter` starts a firing late: neither is a missed one. So for
    // units, a firing counts from the last run's end, none while a run goes, and the grace
    // grows by the jitter.
    let units = matches!(installed.target, crate::cron_table::Target::Systemd(_));
    let counted_from = match (&entry.marker.installed, last.ended.as_ref()) {
        (Some(at), Some(end))
            if units && at.parse::<jiff::Timestamp>().is_ok_and(|at| end.at > at) =>
        {
            Some(
                end.at
                    .strftime(crate::run_log::TIMESTAMP_FORMAT)
                    .to_string(),
            )
        }
        (at, _) => at.clone(),
    };
    let missed = if entry.is_paused() || (units && running.is_some()) {
        None
    } else {
        commands::installed::drift::missed_firing(
            rendered.as_ref(),
            counted_from.as_deref(),
            &last,
            now,
            entry.marker.grace.unwrap_or(crate::config::DEFAULT_GRACE)
                + entry.marker.jitter.unwrap_or(0),
        )
    };
    let previous = match (running, last.run) {
        (Some(_), Some(run)) => run_log::previous_end(&entry.marker.log, &entry.marker.id, run)
            .ok()
            .flatten(),
        _ => None,
    };
    let orphan = match running {
        Some(_) => None,
        None => orphaned::orphaned(entry, installed, parsed.as_ref(), &lock, &last),
    };
    let user = match installed.target.kind() {
        TargetKind::CronD | TargetKind::Systemd => parsed.as_ref().and_then(|p| p.user.clone()),
        TargetKind::Crontab => None,
    }
    .unwrap_or_else(|| installed.run_as.clone());
    let run_as = parsed.as_ref().and_then(|p| p.user.clone());
    let run_id = lock_run.map(|r| r.to_string());
    let going = match (running, last.started_at(), &run_id) {
        (Some(_), Some(started), Some(run)) => Some((
            run.as_str(),
            u64::try_from(now.timestamp().as_second() - started.as_second()).unwrap_or(0),
        )),
        _ => None,
    };
    let durations = crate::history::durations(
        &crate::history::dirs_for(Some(run_as.as_deref().unwrap_or(&installed.run_as))),
        &entry.marker.id,
        &entry.marker.log,
        going,
    );
    JobStatus {
        id: entry.marker.id.clone(),
        description: entry.marker.description.clone(),
        installed: Some(format!("{} (block {block})", installed.target.describe())),
        block: Some(block.to_string()),
        target: Some((installed.target.kind(), user)),
        drift,
        words,
        cron: parsed.map(|p| p.cron),
        next_run,
        timer: timer_problem,
        paused: entry.marker.paused.clone(),
        last,
        previous,
        environment: commands::installed::environment_problem(installed, block),
        runner: commands::installed::drift::runner_problem(
            entry,
            installed.target.with_user_column(),
        ),
        missed,
        last_error,
        running,
        container: Some((
            entry.marker.container.to_string(),
            ContainerState::Unknown("not asked".into()),
        )),
        container_ref: Some(entry.marker.container.clone()),
        log: Some((entry.marker.log.clone(), log_size)),
        damaged: line_damage::line_damage(entry, installed.target.with_user_column()),
        copies: copies(entry, block, installed),
        durations,
        orphan,
    }
}

/// The copies of `entry` in other blocks, of this target or another ([`Installed::neighbours`]),
/// that do the same work as the same user (`lookup::is_copy`, the rule `doctor` and `install`
/// apply): both fire (a block renamed and left behind), so the job is unhealthy wherever it is
/// seen.
fn copies(entry: &Entry, block: &str, installed: &Installed) -> Vec<String> {
    let mut others: Vec<(&crate::cron_table::Target, &str)> = Vec::new();
    let beside = installed
        .entries
        .iter()
        .map(|(b, e)| (&installed.target, b, e))
        .chain(installed.neighbours.iter().map(|(t, b, e)| (t, b, e)));
    for (target, other, e) in beside {
        if commands::installed::lookup::is_copy(
            (&installed.target, block, entry),
            (target, other, e),
        ) && !others.iter().any(|(t, b)| *b == other && t.same_as(target))
        {
            others.push((target, other));
        }
    }
    others
        .into_iter()
        .map(|(target, other)| {
            format!(
                "block `{other}` in {} runs the same job too, so each firing runs twice (a \
                 block left behind by a rename?): `crontainer install --replace {other}` with \
                 the config that keeps it, or `{}`",
                target.describe(),
                commands::installed::lookup::uninstall_command(target, other)
            )
        })
        .collect()
}

/// The status of a job that is in the config but not installed.
pub(crate) fn config_only_status(job: &crate::config::Job) -> JobStatus {
    JobStatus {
        id: job.id.clone(),
        description: job.description.clone(),
        installed: None,
        block: None,
        target: None,
        drift: Vec::new(),
        words: schedule::describe(&job.schedule),
        cron: Some(job.schedule.render().cron.as_str().to_string()),
        next_run: None,
        timer: None,
        paused: None,
        last: run_log::last_run_of(&job.log, &job.id, run_log::lock_run(&job.lock()))
            .unwrap_or_default(),
        previous: None,
        environment: None,
        runner: None,
        missed: None,
        last_error: None,
        running: host::lock_holder(&job.lock()),
        container: None,
        container_ref: None,
        log: Some((
            job.log.clone(),
            std::fs::metadata(&job.log).ok().map(|m| m.len()),
        )),
        damaged: None,
        copies: Vec::new(),
        durations: Default::default(),
        orphan: None,
    }
}

/// A job whose marker is still readable in a block that is not (`why`): nothing of it can be
/// trusted but its id, and it is unhealthy.
pub(crate) fn damaged_status(id: &str, block: &str, installed: &Installed, why: &str) -> JobStatus {
    JobStatus {
        id: id.to_string(),
        description: None,
        installed: Some(format!("{} (block {block})", installed.target.describe())),
        block: Some(block.to_string()),
        target: Some((installed.target.kind(), installed.run_as.clone())),
        drift: Vec::new(),
        words: "unreadable schedule".to_string(),
        cron: None,
        next_run: None,
        timer: None,
        paused: None,
        last: LastRun::default(),
        previous: None,
        environment: None,
        runner: None,
        missed: None,
        last_error: None,
        running: None,
        container: None,
        container_ref: None,
        log: None,
        damaged: Some(format!("its block cannot be read: {why}")),
        copies: Vec::new(),
        durations: Default::default(),
        orphan: None,
    }
}

/// How the last run ended, in words (`exit 3, took 2 s`, then `, healthcheck ping ok` when the
/// job pings).
pub(crate) fn end_summary(last: &LastRun) -> String {
    match &last.ended {
        Some(run_log::Record {
            event: Event::End { exit, seconds, .. },
            ..
        }) => {
            let timed_out = match last.end_reason() {
                Some(reason) => format!(", {reason}"),
                None if last.timed_out() => ", timed out".to_string(),
                None => String::new(),
            };
            let ping = last
                .ping()
                .map(|p| format!(", healthcheck ping {p}"))
                .unwrap_or_default();
            format!(
                "exit {exit}, took {}{timed_out}{ping}",
                ui::human_duration(*seconds)
            )
        }
        _ => "no end line".to_string(),
    }
}

/// Fills in the container (a Compose service's as it resolves now) and its state of every job in
/// `jobs` installed in `installed`, with one inspect call (and one `ps` call for services) per
/// runtime for all their containers. Whether the runtimes answered (None when none was asked).
pub(crate) fn ask_containers(jobs: &mut [JobStatus], installed: &Installed) -> Option<bool> {
    type Asked = std::result::Result<(std::path::PathBuf, runtime::Env), String>;
    // As root, a block a user wrote is asked about with root's own runtime, or not at all.
    let written_by = commands::trust::written_by(&installed.target);
    let mut by_runtime: Vec<(Asked, Vec<usize>)> = Vec::new();
    for (i, entry) in jobs.iter().enumerate() {
        let Some(runtime) = installed
            .entries
            .iter()
            .find(|(block, e)| e.marker.id == entry.id && entry.block.as_ref() == Some(block))
            .map(|(_, e)| commands::trust::runtime_for(written_by.as_deref(), e))
        else {
            continue;
        };
        match by_runtime.iter_mut().find(|(r, _)| *r == runtime) {
            Some((_, list)) => list.push(i),
            None => by_runtime.push((runtime, vec![i])),
        }
    }
    let mut runtime_answers = None;
    for (asked, indexes) in &by_runtime {
        let indexes: Vec<usize> = indexes
            .iter()
            .copied()
            .filter(|&i| jobs[i].container_ref.is_some())
            .collect();
        let (runtime, env) = match asked {
            Ok(asked) => asked,
            Err(why) => {
                for &i in &indexes {
                    let name = jobs[i]
                        .container_ref
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    jobs[i].container = Some((name, ContainerState::Unknown(why.clone())));
                }
                continue;
            }
        };
        let refs: Vec<ContainerRef> = indexes
            .iter()
            .filter_map(|&i| jobs[i].container_ref.clone())
            .collect();
        let refs: Vec<&ContainerRef> = refs.iter().collect();
        let resolved = runtime::resolve_containers(runtime, env, &refs);
        runtime_answers = Some(
            !resolved
                .iter()
                .any(|(_, s)| matches!(s, ContainerState::Unknown(_))),
        );
        for (&i, found) in indexes.iter().zip(resolved) {
            jobs[i].container = Some(found);
        }
    }
    runtime_answers
}
