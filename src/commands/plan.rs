//! `crontainer plan`: what `install` would write, the schedules in words and the next runs.
//! Changes nothing; the same rendering as `install`, so what it shows is what gets written.

use anyhow::Result;

use crate::block;
use crate::cli::PlanArgs;
use crate::commands;
use crate::config::ContainerRef;
use crate::cron_table::Target;
use crate::error::ExitCode;
use crate::line::{
    self, EXIT_NO_CONTAINER, EXIT_SEVERAL_PROJECTS, PROJECT_LABEL, REASON_NO_CONTAINER,
    REASON_SEVERAL_PROJECTS, SERVICE_LABEL,
};
use crate::runtime;
use crate::schedule;
use crate::ui::{self, format_time};

pub(crate) fn run(args: &PlanArgs) -> Result<ExitCode> {
    let config = commands::trust::load_required_config(args.config.config.as_deref())?;
    let (kind, user) = commands::installed::target_settings(Some(&config), &args.target);
    // The keys that depend on the target are checked for the one `--target` chose.
    let config = config.with_target(kind)?;
    let (resolved, refused) = Target::resolve_for_plan(kind, user.as_ref(), &config.name)?;
    // Plan works on a machine without Docker: a missing tool is a warning here, an error in
    // install, and the line shows the path it would use.
    let (tools, missing) = runtime::resolve_tools(&config.runtime);
    let mut warnings: Vec<String> = missing.into_iter().map(|m| m.message).collect();
    warnings.extend(refused);
    warnings.extend(commands::change::render::env_warnings(
        &config,
        kind,
        &resolved.target,
    ));
    warnings.extend(commands::change::render::healthcheck_warnings(
        &config,
        kind,
        &resolved.target,
    ));
    let entries = commands::change::render::render_entries(
        &config,
        &tools,
        &resolved.target,
        &resolved.run_as,
    )?;
    let (textfile, textfile_warnings) = commands::change::render::textfile_line(
        &config,
        kind,
        &resolved.run_as,
        &resolved.target,
        &tools,
    )?;
    warnings.extend(textfile_warnings);
    warnings.extend(commands::change::render::binary_warnings(
        &tools,
        textfile.as_ref(),
    ));
    let body = line::render_body_with(&entries, textfile.as_ref());
    let text = block::upsert("", &config.name, &body)?;
    let now = commands::now()?;
    commands::note_time_zone(&now);

    let mut jobs = Vec::new();
    for (job, entry) in config.jobs.iter().zip(&entries) {
        let rendered = job.schedule.render();
        let next = schedule::next_runs(&rendered, &now, args.next);
        if let schedule::Schedule::Cron(expr) = &job.schedule {
            warnings.extend(
                expr.warnings()
                    .into_iter()
                    .map(|w| format!("job {:?}: {w}", job.id)),
            );
        }
        jobs.push((job, entry, rendered, next));
    }

    if args.json {
        let jobs: Vec<PlannedJob> = jobs
            .iter()
            .map(|(job, entry, rendered, next)| PlannedJob {
                id: &job.id,
                description: job.description.as_deref(),
                container: job.container.name(),
                service: match &job.container {
                    ContainerRef::Service { service, project } => Some(PlannedService {
                        service,
                        project: project.as_deref(),
                        found_by: how_found(&job.container, &tools.runtime),
                    }),
                    ContainerRef::Name(_) => None,
                },
                command: &job.command,
                schedule: rendered.cron.as_str(),
                every: entry.marker.every.as_deref(),
                words: schedule::describe(&job.schedule),
                log: &job.log,
                lock: &entry.marker.lock,
                marker: entry.marker.to_line(),
                line: &entry.line,
                line_bytes: entry.line.len(),
                catch_up_line: entry.catch_up.as_deref(),
                next_runs: next.iter().map(|z| z.timestamp().to_string()).collect(),
            })
            .collect();
        ui::print_document(&PlanDocument {
            config: &config.path,
            target: kind,
            r#where: resolved.target.describe(),
            run_as: &resolved.run_as,
            block: &config.name,
            text: &text,
            jobs,
            metrics_line: textfile.as_ref().map(|t| t.line.as_str()),
            warnings: &warnings,
            units: match &resolved.target {
                crate::cron_table::Target::Systemd(units) => units
                    .unit_files(&text)?
                    .into_iter()
                    .map(|(path, text)| PlannedUnit {
                        path,
                        text: ui::mask_urls(&text),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        });
        return Ok(ExitCode::Success);
    }

    for warning in &warnings {
        ui::warn(warning);
    }
    // The healthcheck URLs masked, as in every diff and JSON document (`ui::mask_urls`).
    print!("{}", ui::mask_urls(&text));
    println!();
    println!(
        "# would be written to {}, running as {}; nothing was changed.",
        resolved.target.describe(),
        resolved.run_as
    );
    if let crate::cron_table::Target::Systemd(units) = &resolved.target {
        // The units themselves, as `install` writes them from the block above.
        for (path, text) in units.unit_files(&text)? {
            println!("#");
            println!("# {}:", path.display());
            for line in ui::mask_urls(&text).lines() {
                match line {
                    "" => println!("#"),
                    line => println!("#   {line}"),
                }
            }
        }
    }
    if let Some(textfile) = &textfile {
        println!("#");
        println!(
            "# metrics:     every minute, the block's gauges into {} for node_exporter",
            textfile.dir.display()
        );
    }
    for (job, _, _, next) in &jobs {
        println!("#");
        match &job.description {
            Some(desc) => println!("# {}: {desc}", job.id),
            None => println!("# {}", job.id),
        }
        println!(
            "#   runs:      {} in {}",
            shell_words(&job.command),
            job.container
        );
        if let ContainerRef::Service { .. } = &job.container {
            println!(
                "#   container: {}",
                how_found(&job.container, &tools.runtime)
            );
        }
        println!("#   schedule:  {}", schedule::describe(&job.schedule));
        println!("#   log:       {}", job.log.display());
        if let Some(timeout) = job.timeout {
            println!(
                "#   timeout:   stopped inside the container after {} (its end line says \
                 reason=timeout)",
                ui::human_duration(timeout)
            );
        }
        if job.catch_up {
            let window = job.catch_up_within.map_or(String::new(), |w| {
                format!(" and that slot is at most {} old", ui::human_duration(w))
            });
            println!(
                "#   catch-up:  after a boot, once the container runs, if the host was down at \
                 the last slot{window}"
            );
        }
        match job.concurrency.as_deref() {
            Some("replace") => println!(
                "#   overlap:   a firing while a run goes stops that run (inside the container \
                 too), then starts"
            ),
            Some("allow") => {
                println!("#   overlap:   a firing while a run goes starts another beside it")
            }
            _ => {}
        }
        if let Some(retries) = job.retries.filter(|&n| n > 0) {
            println!(
                "#   retries:   up to {retries} more attempts while it fails, the first after {}, \
                 each next wait doubled",
                ui::human_duration(job.retry_delay.unwrap_or(crate::exec::DEFAULT_RETRY_DELAY))
            );
        }
        if let Some(url) = &job.healthcheck {
            println!(
                "#   pings:     {} at the start and at the end of each run",
                ui::mask_urls(url)
            );
        }
        if next.is_empty() {
            println!("#   next runs: none (fires only when cron starts)");
        } else {
            for (i, at) in next.iter().enumerate() {
                let label = if i == 0 { "next runs:" } else { "" };
                println!("#   {label:<10} {}", format_time(at, &now));
            }
        }
    }
    Ok(ExitCode::Success)
}

/// How the line finds a Compose service's container, in words, naming the runtime it asks (a40f190
/// printed a literal `RUNTIME ps`, issue 25 item 9).
fn how_found(container: &ContainerRef, runtime: &std::path::Path) -> String {
    let ContainerRef::Service { service, project } = container else {
        return String::new();
    };
    let labels = match project {
        Some(p) => format!("{SERVICE_LABEL}={service} and {PROJECT_LABEL}={p}"),
        None => format!("{SERVICE_LABEL}={service}"),
    };
    let several = match project {
        Some(_) => String::new(),
        None => format!(
            "; if the service runs in several projects, it logs \
             reason={REASON_SEVERAL_PROJECTS} and exits {EXIT_SEVERAL_PROJECTS} (set `project`)"
        ),
    };
    format!(
        "found each time it fires: the first running container that `{} ps` lists (Docker \
         lists the newest first) with the labels {labels}; if none runs, the run logs \
         reason={REASON_NO_CONTAINER} and exits {EXIT_NO_CONTAINER}{several}",
        runtime.display()
    )
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| crate::shell::quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `plan --json`: the block as `install` would write it, and each job.
#[derive(serde::Serialize)]
struct PlanDocument<'a> {
    config: &'a std::path::Path,
    target: crate::config::TargetKind,
    r#where: String,
    run_as: &'a str,
    block: &'a str,
    /// The whole block, as written.
    text: &'a str,
    jobs: Vec<PlannedJob<'a>>,
    metrics_line: Option<&'a str>,
    warnings: &'a [String],
    /// target systemd: the unit files `install` writes, as `{"path", "text"}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    units: Vec<PlannedUnit>,
}

/// One unit file of `plan --json` (target systemd).
#[derive(serde::Serialize)]
struct PlannedUnit {
    path: std::path::PathBuf,
    text: String,
}

/// One job of `plan --json`.
#[derive(serde::Serialize)]
struct PlannedJob<'a> {
    id: &'a str,
    description: Option<&'a str>,
    /// The container's name; None for a Compose service.
    container: Option<&'a str>,
    service: Option<PlannedService<'a>>,
    command: &'a [String],
    /// The cron schedule the line fires on.
    schedule: &'a str,
    every: Option<&'a str>,
    words: String,
    log: &'a std::path::Path,
    lock: &'a std::path::Path,
    marker: String,
    line: &'a str,
    line_bytes: usize,
    catch_up_line: Option<&'a str>,
    /// RFC 3339 UTC.
    next_runs: Vec<String>,
}

/// A Compose service a job runs in, and how its container is found at each firing.
#[derive(serde::Serialize)]
struct PlannedService<'a> {
    service: &'a str,
    project: Option<&'a str>,
    found_by: String,
}
