//! `crontainer status [JOB]`: every job at a glance, from what is installed; the config, when
//! found, only adds drift detection. Exit 0 only when everything is healthy, so it can serve as
//! a monitoring check.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;
use jiff::ZonedDateTime;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands;
use crate::commands::job_status::{self, JobStatus, end_summary, metrics_line};
use crate::config::{Config, ContainerRef};
use crate::error::{ExitCode, bad_input};
use crate::line::Paused;
use crate::run_log;
use crate::runtime::ContainerState;
use crate::ui::{self, JSON_VERSION, format_time, human_bytes};

pub(crate) fn run(args: &StatusArgs) -> Result<ExitCode> {
    let (name, only) =
        commands::installed::lookup::block_and_job(args.job.as_ref(), args.scope.name.as_deref())?;
    let (config, mut scope) = commands::installed::config_and_installed(
        args.scope.config.config.as_deref(),
        &args.scope.target,
        name.as_deref(),
        args.all_users,
    )?;
    // A copy of a job in another block, wherever it is, makes both unhealthy.
    scope.read_neighbours_elsewhere();
    let now = commands::now()?;
    commands::note_time_zone(&now);

    let mut jobs = Vec::new();
    let mut runtime_answers = None;
    for installed in &scope.installed {
        let mut these = job_status::installed_statuses(installed, config.as_ref(), &now);
        if let Some(only) = &only {
            these.retain(|j| &j.id == only);
        }
        if let Some(answers) = job_status::ask_containers(&mut these, installed) {
            runtime_answers = Some(answers && runtime_answers.unwrap_or(true));
        }
        jobs.extend(these);
    }
    if let Some(config) = &config {
        for job in &config.jobs {
            if !jobs.iter().any(|j| j.id == job.id) && only.as_ref().is_none_or(|o| *o == job.id) {
                jobs.push(job_status::config_only_status(job));
            }
        }
    }
    // A block someone edited by hand is unhealthy, and the others are still reported.
    let damaged = scope.damaged();
    if let Some(only) = &only
        && jobs.is_empty()
        && damaged.is_empty()
    {
        return Err(bad_input(format!(
            "job {only:?} is neither installed in {} nor in the config",
            scope.label
        )));
    }

    // What fires the jobs found; when none is (nothing installed yet), what would fire the
    // targets looked at. Every user's crontab is looked at by --all-users, but a host whose
    // blocks are all systemd units needs no cron daemon.
    let holding: Vec<&crate::cron_table::Target> = scope
        .installed
        .iter()
        .filter(|i| i.holds_blocks())
        .map(|i| &i.target)
        .collect();
    let schedulers = if holding.is_empty() {
        crate::cron_table::schedulers(scope.installed.iter().map(|i| &i.target))
    } else {
        crate::cron_table::schedulers(holding)
    };
    // `cron_daemon` as before `schedulers`: the first one's state.
    let cron = schedulers.first().and_then(|s| s.running.clone());
    let now_real = std::time::SystemTime::now();
    let metrics_problems: Vec<String> = scope
        .installed
        .iter()
        .flat_map(|i| metrics_line::problems(i, now_real))
        .collect();
    let healthy = jobs.iter().all(|j| j.problems().is_empty())
        && damaged.is_empty()
        && metrics_problems.is_empty()
        && schedulers.iter().all(|s| s.running.is_some())
        && !jobs.is_empty();

    if args.json {
        ui::print_json(&StatusDoc {
            version: JSON_VERSION,
            healthy,
            place: &scope.label,
            config: config.as_ref().map(|c| c.path.as_path()),
            cron_daemon: cron.as_deref(),
            schedulers: schedulers
                .iter()
                .map(|s| SchedulerDoc {
                    kind: s.kind,
                    running: s.running.as_deref(),
                })
                .collect(),
            runtime_answers,
            damaged: &damaged,
            metrics_problems: &metrics_problems,
            jobs: jobs.iter().map(|j| job_doc(j, &now)).collect(),
        });
    } else {
        if jobs.is_empty() && damaged.is_empty() {
            println!(
                "no crontainer jobs in {} and no config found: `crontainer install -c FILE` \
                 writes them (or pass -c, --target, --user to look elsewhere)",
                scope.label
            );
        } else if std::io::stdout().is_terminal() {
            print_table(&jobs, &now);
        } else {
            for job in &jobs {
                print_plain(job, &now);
            }
        }
        for installed in &scope.installed {
            for damaged in &installed.damaged {
                let what = if damaged.unreadable {
                    "CANNOT READ"
                } else {
                    "DAMAGED"
                };
                println!("{what} {}", damaged.describe(&installed.target));
            }
        }
        for problem in &metrics_problems {
            println!("PROBLEM {problem}");
        }
        print_host(&scope.label, &schedulers, runtime_answers, config.as_ref());
    }
    Ok(if healthy {
        ExitCode::Success
    } else {
        ExitCode::Failure
    })
}

fn last_run_text(job: &JobStatus, now: &ZonedDateTime) -> String {
    let Some(started_at) = job.last.started_at() else {
        return "never ran (no start line in the log)".to_string();
    };
    let at = format_time(&started_at.to_zoned_datetime(now.time_zone().clone()), now);
    let outcome = match (&job.last.ended, job.running) {
        (Some(_), _) => end_summary(&job.last),
        (None, Some(_)) => "running now".to_string(),
        (None, None) => format!("no end line: {}", job.why_no_end()),
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
        text.push_str(&match &skip.event {
            run_log::Event::Skip { reason, .. } if reason == "no-missed-slot" => format!(
                "; the catch-up at {} after a boot found no missed firing",
                skip.at
            ),
            _ => format!(
                "; a firing at {} was skipped (previous run still going)",
                skip.at
            ),
        });
    }
    text
}

/// `status --json`: one typed document, so the fields the README lists cannot drift.
#[derive(Serialize)]
struct StatusDoc<'a> {
    version: u32,
    healthy: bool,
    #[serde(rename = "where")]
    place: &'a str,
    config: Option<&'a Path>,
    /// How the first of `schedulers` runs, whichever it is (the name is older than the systemd
    /// target: kept as it was, `schedulers` says which).
    cron_daemon: Option<&'a str>,
    /// What fires the jobs: the cron daemon, systemd, or both (`--all-users` on a host with
    /// crontabs and units).
    schedulers: Vec<SchedulerDoc<'a>>,
    runtime_answers: Option<bool>,
    /// Blocks (or whole targets) that could not be read.
    damaged: &'a [String],
    /// What keeps a block's metrics line from working, or its file fresh.
    metrics_problems: &'a [String],
    jobs: Vec<JobDoc<'a>>,
}

/// What fires the jobs: `kind` "cron" or "systemd", and how it runs (null: it does not, so
/// nothing fires).
#[derive(Serialize)]
struct SchedulerDoc<'a> {
    kind: crate::cron_table::SchedulerKind,
    running: Option<&'a str>,
}

#[derive(Serialize)]
struct JobDoc<'a> {
    id: &'a str,
    description: Option<&'a str>,
    healthy: bool,
    problems: Vec<String>,
    installed: bool,
    #[serde(rename = "where")]
    place: Option<&'a str>,
    in_step: bool,
    schedule: Option<&'a str>,
    words: &'a str,
    next_run: Option<String>,
    paused: Option<&'a Paused>,
    last_run: LastRunDoc<'a>,
    running: bool,
    running_pid: Option<u32>,
    container: Option<&'a str>,
    container_state: Option<String>,
    service: Option<ServiceDoc<'a>>,
    log: Option<&'a Path>,
    log_bytes: Option<u64>,
    /// Its usual duration, the run going now against it, a hang (from the run history).
    durations: &'a crate::history::usual::Durations,
}

#[derive(Serialize)]
struct LastRunDoc<'a> {
    started: Option<RecordDoc<'a>>,
    ended: Option<RecordDoc<'a>>,
    skipped: Option<RecordDoc<'a>>,
    succeeded: Option<bool>,
    timed_out: bool,
    ping: Option<run_log::Ping>,
    summary: String,
}

#[derive(Serialize)]
struct RecordDoc<'a> {
    at: String,
    by: String,
    event: &'a run_log::Event,
}

impl<'a> RecordDoc<'a> {
    fn of(record: &'a Option<run_log::Record>) -> Option<RecordDoc<'a>> {
        record.as_ref().map(|r| RecordDoc {
            at: r.at.to_string(),
            by: r.by.to_string(),
            event: &r.event,
        })
    }
}

#[derive(Serialize)]
struct ServiceDoc<'a> {
    service: &'a str,
    project: Option<&'a str>,
}

fn job_doc<'a>(job: &'a JobStatus, now: &ZonedDateTime) -> JobDoc<'a> {
    let problems = job.problems();
    JobDoc {
        id: &job.id,
        description: job.description.as_deref(),
        healthy: problems.is_empty(),
        problems,
        installed: job.installed.is_some(),
        place: job.installed.as_deref(),
        in_step: job.drift.is_empty(),
        schedule: job.cron.as_deref(),
        words: &job.words,
        next_run: job.next_run.as_ref().map(|z| z.timestamp().to_string()),
        paused: job.paused.as_ref(),
        last_run: LastRunDoc {
            started: RecordDoc::of(&job.last.started),
            ended: RecordDoc::of(&job.last.ended),
            skipped: RecordDoc::of(&job.last.last_skip),
            succeeded: job.last.succeeded(),
            timed_out: job.last.timed_out(),
            ping: job.last.ping(),
            summary: last_run_text(job, now),
        },
        running: job.running.is_some(),
        running_pid: job.running,
        container: job
            .container
            .as_ref()
            .filter(|(_, s)| !matches!(s, ContainerState::Unresolved(_)))
            .map(|(n, _)| n.as_str()),
        container_state: job.container.as_ref().map(|(_, s)| s.to_string()),
        service: match &job.container_ref {
            Some(ContainerRef::Service { service, project }) => Some(ServiceDoc {
                service,
                project: project.as_deref(),
            }),
            _ => None,
        },
        log: job.log.as_ref().map(|(p, _)| p.as_path()),
        log_bytes: job.log.as_ref().and_then(|(_, s)| *s),
        durations: &job.durations,
    }
}

/// The container and its state; for a Compose service, also which service it was found for.
fn container_words(job: &JobStatus, name: &str, state: &ContainerState) -> String {
    match (&job.container_ref, state) {
        (Some(service @ ContainerRef::Service { .. }), ContainerState::Running) => {
            format!("{name} {state} ({service})")
        }
        _ => format!("{name} {state}"),
    }
}

fn print_plain(job: &JobStatus, now: &ZonedDateTime) {
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
    if let Some(usual) = job.durations.usual_words() {
        row("usually:", &format!("takes {usual}"));
    }
    let running_for = |p: u32| match job.durations.running_seconds {
        Some(s) => format!("yes (pid {p}), for {}", ui::human_duration(s)),
        None => format!("yes (pid {p})"),
    };
    row(
        "running:",
        &job.running.map(running_for).unwrap_or_else(|| "no".into()),
    );
    if let Some((name, state)) = &job.container {
        row("container:", &container_words(job, name, state));
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

fn print_table(jobs: &[JobStatus], now: &ZonedDateTime) {
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
                    .map(|(n, s)| container_words(j, n, s))
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
    label: &str,
    schedulers: &[crate::cron_table::Scheduler],
    runtime_answers: Option<bool>,
    config: Option<&Config>,
) {
    // With two schedulers, one that is down stops its own jobs, not the other's.
    let nothing = match schedulers.len() {
        1 => "nothing will fire",
        _ => "none of its jobs will fire",
    };
    let schedulers: Vec<String> = schedulers
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.kind.name(),
                match &s.running {
                    Some(how) => format!("running: {how}"),
                    None => format!("NOT running: {nothing} (start it: {})", s.start),
                }
            )
        })
        .collect();
    println!(
        "host: {}; container runtime {}; jobs read from {}{}",
        schedulers.join("; "),
        match runtime_answers {
            Some(true) => "answers",
            Some(false) => "does NOT answer",
            None => "not asked",
        },
        label,
        config
            .map(|c| format!(", compared with {}", c.path.display()))
            .unwrap_or_default()
    );
}
