//! `crontainer status [JOB]`: every job at a glance, from what is installed; the config, when
//! found, only adds drift detection. Exit 0 only when everything is healthy, so it can serve as
//! a monitoring check.

use std::io::IsTerminal;

use anyhow::Result;
use jiff::Zoned;
use serde_json::{Value, json};

use crate::cli::StatusArgs;
use crate::commands::{self, Installed};
use crate::config::{self, Config};
use crate::cron_line::{self, Entry};
use crate::error::{ExitCode, bad_input};
use crate::host;
use crate::run_log::{self, Event, LastRun};
use crate::runtime::{self, ContainerState};
use crate::schedule::{self, Interval, Schedule};
use crate::ui::{self, JSON_VERSION, format_time, human_bytes};

/// Everything `status` knows about one job.
struct JobStatus {
    id: String,
    description: Option<String>,
    /// Where it is installed, or None.
    installed: Option<String>,
    /// What differs from the config (empty: in step, or no config to compare with).
    drift: Vec<String>,
    words: String,
    cron: Option<String>,
    next_run: Option<Zoned>,
    paused: Option<cron_line::Paused>,
    last: LastRun,
    /// An environment assignment above the job's block that changes how its line runs.
    environment: Option<String>,
    /// A firing cron should have started (after the line was installed, more than the grace
    /// period ago) with no start or skip since.
    missed: Option<Zoned>,
    last_error: Option<String>,
    running: Option<u32>,
    container: Option<(String, ContainerState)>,
    log: Option<(std::path::PathBuf, Option<u64>)>,
}

impl JobStatus {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.installed.is_none() {
            problems.push("not installed: run `crontainer install`".to_string());
        }
        problems.extend(self.drift.iter().cloned());
        problems.extend(self.environment.iter().cloned());
        match &self.container {
            Some((name, state)) if *state != ContainerState::Running => {
                problems.push(format!("container {name} is {state}"));
            }
            _ => {}
        }
        if let Some(missed) = &self.missed {
            problems.push(commands::missed_words(missed));
        }
        if self.last.timed_out() {
            problems.push("the last run timed out".to_string());
        } else if self.last.succeeded() == Some(false) {
            problems.push(format!("the last run failed ({})", end_summary(&self.last)));
        } else if let (Some(started), None, None) =
            (self.last.started_at(), &self.last.ended, self.running)
        {
            problems.push(format!(
                "the run started at {} did not finish (no end line): it was killed, or the \
                 host went down",
                started.strftime(run_log::TIMESTAMP_FORMAT)
            ));
        }
        if let Some(e) = &self.last_error {
            problems.push(format!("cannot read the log: {e}"));
        }
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

pub fn run(args: &StatusArgs) -> Result<ExitCode> {
    let config = config::load_optional(args.config.config.as_deref())?;
    let (kind, user) = commands::target_settings(config.as_ref(), &args.target);
    let name = config.as_ref().map(|c| c.name.clone());
    let installed = commands::read_installed(kind, user.as_deref(), name.as_deref())?;
    let now = commands::now()?;

    let mut jobs: Vec<JobStatus> = installed
        .entries
        .iter()
        .map(|(block, entry)| installed_status(entry, block, &installed, config.as_ref(), &now))
        .collect();
    if let Some(config) = &config {
        for job in &config.jobs {
            if !jobs.iter().any(|j| j.id == job.id) {
                jobs.push(config_only_status(job));
            }
        }
    }
    if let Some(only) = &args.job {
        jobs.retain(|j| &j.id == only);
        if jobs.is_empty() {
            return Err(bad_input(format!(
                "job {only:?} is neither installed in {} nor in the config",
                installed.target.describe()
            )));
        }
    }

    // One inspect call per runtime for all containers.
    let mut by_runtime: Vec<(std::path::PathBuf, Vec<usize>)> = Vec::new();
    for (i, entry) in jobs.iter().enumerate() {
        let Some(runtime) = installed
            .entries
            .iter()
            .find(|(_, e)| e.marker.id == entry.id)
            .map(|(_, e)| e.marker.runtime.clone())
        else {
            continue;
        };
        match by_runtime.iter_mut().find(|(r, _)| *r == runtime) {
            Some((_, list)) => list.push(i),
            None => by_runtime.push((runtime, vec![i])),
        }
    }
    let mut runtime_answers = None;
    for (runtime, indexes) in &by_runtime {
        let names: Vec<String> = indexes
            .iter()
            .filter_map(|&i| jobs[i].container.as_ref().map(|(n, _)| n.clone()))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let states = runtime::container_states(runtime, &refs);
        runtime_answers = Some(
            !states
                .iter()
                .any(|s| matches!(s, ContainerState::Unknown(_))),
        );
        for (&i, state) in indexes.iter().zip(states) {
            if let Some((_, s)) = jobs[i].container.as_mut() {
                *s = state;
            }
        }
    }
    let cron = host::cron_daemon();
    let healthy =
        jobs.iter().all(|j| j.problems().is_empty()) && cron.is_some() && !jobs.is_empty();

    if args.json {
        ui::print_json(&json!({
            "version": JSON_VERSION,
            "healthy": healthy,
            "where": installed.target.describe(),
            "config": config.as_ref().map(|c| &c.path),
            "cron_daemon": cron,
            "runtime_answers": runtime_answers,
            "jobs": jobs.iter().map(|j| job_json(j, &now)).collect::<Vec<_>>(),
        }));
    } else if jobs.is_empty() {
        println!(
            "no crontainer jobs in {} and no config found: `crontainer install -c FILE` writes \
             them (or pass -c, --target, --user to look elsewhere)",
            installed.target.describe()
        );
        print_host(
            &installed,
            cron.as_deref(),
            runtime_answers,
            config.as_ref(),
        );
    } else if std::io::stdout().is_terminal() {
        print_table(&jobs, &now);
        print_host(
            &installed,
            cron.as_deref(),
            runtime_answers,
            config.as_ref(),
        );
    } else {
        for job in &jobs {
            print_plain(job, &now);
        }
        print_host(
            &installed,
            cron.as_deref(),
            runtime_answers,
            config.as_ref(),
        );
    }
    Ok(if healthy {
        ExitCode::Success
    } else {
        ExitCode::Failure
    })
}

fn installed_status(
    entry: &Entry,
    block: &str,
    installed: &Installed,
    config: Option<&Config>,
    now: &Zoned,
) -> JobStatus {
    let parsed = cron_line::parse_line(entry.active_line(), installed.target.with_user_column());
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
    let next_run = rendered
        .as_ref()
        .filter(|_| !entry.is_paused())
        .and_then(|r| schedule::next_runs(r, now, 1).into_iter().next());
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
                if let Ok(found) = commands::drift(
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
    let lock_run = run_log::lock_run(&entry.marker.lock);
    let (last, last_error) =
        match run_log::last_run_of(&entry.marker.log, &entry.marker.id, lock_run) {
            Ok(last) => (last, None),
            Err(e) => (LastRun::default(), Some(format!("{e:#}"))),
        };
    let missed = if entry.is_paused() {
        None
    } else {
        commands::missed_firing(
            rendered.as_ref(),
            entry.marker.installed.as_deref(),
            &last,
            now,
            entry.marker.grace.unwrap_or(crate::config::DEFAULT_GRACE),
        )
    };
    let log_size = std::fs::metadata(&entry.marker.log).ok().map(|m| m.len());
    // Reading /proc/locks can stall for an RCU grace period (~10 ms); a run that logged its end
    // is not running (a new run writes its start line right after taking the lock), so only
    // look when the last start has no end.
    let running = match last.ended {
        Some(_) => None,
        None => host::lock_holder(&entry.marker.lock),
    };
    JobStatus {
        id: entry.marker.id.clone(),
        description: entry.marker.description.clone(),
        installed: Some(format!("{} (block {block})", installed.target.describe())),
        drift,
        words,
        cron: parsed.map(|p| p.cron),
        next_run,
        paused: entry.marker.paused.clone(),
        last,
        environment: commands::environment_problem(installed, block),
        missed,
        last_error,
        running,
        container: Some((
            entry.marker.container.clone(),
            ContainerState::Unknown("not asked".into()),
        )),
        log: Some((entry.marker.log.clone(), log_size)),
    }
}

fn config_only_status(job: &crate::config::Job) -> JobStatus {
    JobStatus {
        id: job.id.clone(),
        description: job.description.clone(),
        installed: None,
        drift: Vec::new(),
        words: schedule::describe(&job.schedule),
        cron: Some(job.schedule.render().cron.as_str().to_string()),
        next_run: None,
        paused: None,
        last: run_log::last_run_of(&job.log, &job.id, run_log::lock_run(&job.lock()))
            .unwrap_or_default(),
        environment: None,
        missed: None,
        last_error: None,
        running: host::lock_holder(&job.lock()),
        container: None,
        log: Some((
            job.log.clone(),
            std::fs::metadata(&job.log).ok().map(|m| m.len()),
        )),
    }
}

fn end_summary(last: &LastRun) -> String {
    match &last.ended {
        Some(run_log::Record {
            event: Event::End { exit, seconds, .. },
            ..
        }) => {
            let timed_out = if last.timed_out() { ", timed out" } else { "" };
            format!(
                "exit {exit}, took {}{timed_out}",
                ui::human_duration(*seconds)
            )
        }
        _ => "no end line".to_string(),
    }
}

fn last_run_text(job: &JobStatus, now: &Zoned) -> String {
    let Some(started_at) = job.last.started_at() else {
        return "never ran (no start line in the log)".to_string();
    };
    let at = format_time(&started_at.to_zoned(now.time_zone().clone()), now);
    let outcome = match (&job.last.ended, job.running) {
        (Some(_), _) => end_summary(&job.last),
        (None, Some(_)) => "running now".to_string(),
        (None, None) => "no end line: it was killed, or the host went down".to_string(),
    };
    // Without a start record (rotated out of the log), the lock file still says when.
    let by = job
        .last
        .started
        .as_ref()
        .map(|s| format!(" {}", s.by.started_by()))
        .unwrap_or_default();
    let mut text = format!("{at}{by}, {outcome}");
    if let Some(skip) = &job.last.last_skip {
        text.push_str(&format!(
            "; a firing at {} was skipped (previous run still going)",
            skip.at
        ));
    }
    text
}

fn job_json(job: &JobStatus, now: &Zoned) -> Value {
    let record = |r: &Option<run_log::Record>| {
        r.as_ref()
            .map(|r| json!({"at": r.at.to_string(), "by": r.by.to_string(), "event": r.event}))
    };
    json!({
        "id": job.id,
        "description": job.description,
        "healthy": job.problems().is_empty(),
        "problems": job.problems(),
        "installed": job.installed.is_some(),
        "where": job.installed,
        "in_step": job.drift.is_empty(),
        "schedule": job.cron,
        "words": job.words,
        "next_run": job.next_run.as_ref().map(|z| z.timestamp().to_string()),
        "paused": job.paused,
        "last_run": {
            "started": record(&job.last.started),
            "ended": record(&job.last.ended),
            "skipped": record(&job.last.last_skip),
            "succeeded": job.last.succeeded(),
            "timed_out": job.last.timed_out(),
            "summary": last_run_text(job, now),
        },
        "running": job.running.is_some(),
        "running_pid": job.running,
        "container": job.container.as_ref().map(|(n, _)| n),
        "container_state": job.container.as_ref().map(|(_, s)| s.to_string()),
        "log": job.log.as_ref().map(|(p, _)| p),
        "log_bytes": job.log.as_ref().and_then(|(_, s)| *s),
    })
}

fn print_plain(job: &JobStatus, now: &Zoned) {
    match &job.description {
        Some(d) => println!("{}: {d}", job.id),
        None => println!("{}", job.id),
    }
    let row = |k: &str, v: &str| println!("  {k:<10} {v}");
    row("installed:", job.installed.as_deref().unwrap_or("no"));
    if !job.drift.is_empty() {
        row("drift:", &job.drift.join("; "));
    }
    row(
        "schedule:",
        &format!("{} ({})", job.words, job.cron.as_deref().unwrap_or("?")),
    );
    if let Some(paused) = &job.paused {
        row(
            "paused:",
            &format!(
                "since {} by {}: `crontainer resume {}`",
                paused.at, paused.by, job.id
            ),
        );
    }
    row(
        "next run:",
        &job.next_run
            .as_ref()
            .map(|z| format_time(z, now))
            .unwrap_or_else(|| {
                if job.paused.is_some() {
                    "none: paused".into()
                } else {
                    "none".into()
                }
            }),
    );
    row("last run:", &last_run_text(job, now));
    row(
        "running:",
        &job.running
            .map(|p| format!("yes (pid {p})"))
            .unwrap_or_else(|| "no".into()),
    );
    if let Some((name, state)) = &job.container {
        row("container:", &format!("{name} {state}"));
    }
    if let Some((path, size)) = &job.log {
        let size = size
            .map(human_bytes)
            .unwrap_or_else(|| "not created yet".into());
        row("log:", &format!("{} ({size})", path.display()));
    }
    let problems = job.problems();
    row(
        "health:",
        &if problems.is_empty() {
            "ok".to_string()
        } else {
            problems.join("; ")
        },
    );
}

fn print_table(jobs: &[JobStatus], now: &Zoned) {
    let rows: Vec<[String; 6]> = jobs
        .iter()
        .map(|j| {
            let problems = j.problems();
            [
                j.id.clone(),
                match (problems.is_empty(), &j.paused) {
                    (false, _) => "PROBLEM".into(),
                    (true, Some(_)) => "paused".into(),
                    (true, None) => "ok".into(),
                },
                j.words.clone(),
                j.next_run
                    .as_ref()
                    .map(|z| format_time(z, now))
                    .unwrap_or_else(|| "-".into()),
                match j.last.started_at() {
                    None => "never".into(),
                    Some(_) if j.running.is_some() && j.last.ended.is_none() => {
                        "running now".into()
                    }
                    Some(at) => {
                        let ago = (now.timestamp().as_second() - at.as_second()).max(0) as u64;
                        let ago = if ago < 60 {
                            "just now".to_string()
                        } else {
                            format!("{} ago", ui::human_duration(ago))
                        };
                        format!("{ago}, {}", end_summary(&j.last))
                    }
                },
                j.container
                    .as_ref()
                    .map(|(n, s)| format!("{n} {s}"))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = [
        "JOB",
        "HEALTH",
        "SCHEDULE",
        "NEXT RUN",
        "LAST RUN",
        "CONTAINER",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    for job in jobs {
        for problem in job.problems() {
            println!("{}: {problem}", job.id);
        }
    }
}

fn print_host(
    installed: &Installed,
    cron: Option<&str>,
    runtime_answers: Option<bool>,
    config: Option<&Config>,
) {
    println!(
        "host: cron daemon {}; container runtime {}; jobs read from {}{}",
        cron.map(|c| format!("running: {c}")).unwrap_or_else(|| {
            "NOT running: nothing will fire (start it: `systemctl start cron` or `cron`)".into()
        }),
        match runtime_answers {
            Some(true) => "answers",
            Some(false) => "does NOT answer",
            None => "not asked",
        },
        installed.target.describe(),
        config
            .map(|c| format!(", compared with {}", c.path.display()))
            .unwrap_or_default()
    );
}
