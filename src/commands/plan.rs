//! `crontainer plan`: what `install` would write, the schedules in words and the next runs.
//! Changes nothing; the same rendering as `install`, so what it shows is what gets written.

use anyhow::Result;
use serde_json::json;

use crate::block;
use crate::cli::PlanArgs;
use crate::commands;
use crate::config::{self, ContainerRef};
use crate::cron_table::Target;
use crate::error::ExitCode;
use crate::line::{
    self, EXIT_NO_CONTAINER, EXIT_SEVERAL_PROJECTS, PROJECT_LABEL, REASON_NO_CONTAINER,
    REASON_SEVERAL_PROJECTS, SERVICE_LABEL,
};
use crate::runtime;
use crate::schedule;
use crate::ui::{self, JSON_VERSION, format_time};

pub fn run(args: &PlanArgs) -> Result<ExitCode> {
    let config = config::load_located(args.config.config.as_deref())?;
    let (kind, user) = commands::target_settings(Some(&config), &args.target);
    let (resolved, refused) = Target::resolve_for_plan(kind, user.as_deref(), &config.name)?;
    // Plan works on a machine without Docker: a missing tool is a warning here, an error in
    // install, and the line shows the path it would use.
    let (tools, missing) = runtime::resolve_tools(&config.runtime, false);
    let mut warnings: Vec<String> = missing.into_iter().map(|m| m.message).collect();
    warnings.extend(refused);
    warnings.extend(commands::env_warnings(&config, kind, &resolved.target));
    warnings.extend(commands::healthcheck_warnings(
        &config,
        kind,
        &resolved.target,
    ));
    let entries = commands::render_entries(&config, &tools, &resolved.target, &resolved.run_as)?;
    let (textfile, textfile_warnings) =
        commands::textfile_line(&config, kind, &resolved.run_as, &resolved.target, &tools)?;
    warnings.extend(textfile_warnings);
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
        let jobs: Vec<_> = jobs
            .iter()
            .map(|(job, entry, rendered, next)| {
                json!({
                    "id": job.id,
                    "description": job.description,
                    "container": job.container.name(),
                    "service": match &job.container {
                        ContainerRef::Service { service, project } => Some(json!({"service": service, "project": project, "found_by": how_found(&job.container)})),
                        ContainerRef::Name(_) => None,
                    },
                    "command": job.command,
                    "schedule": rendered.cron.as_str(),
                    "every": entry.marker.every,
                    "words": schedule::describe(&job.schedule),
                    "log": job.log,
                    "lock": entry.marker.lock,
                    "marker": entry.marker.to_line(),
                    "line": entry.line,
                    "line_bytes": entry.line.len(),
                    "catch_up_line": entry.catch_up,
                    "next_runs": next.iter().map(|z| z.timestamp().to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        ui::print_json(&json!({
            "version": JSON_VERSION,
            "config": config.path,
            "target": kind,
            "where": resolved.target.describe(),
            "run_as": resolved.run_as,
            "block": config.name,
            "text": text,
            "jobs": jobs,
            "metrics_line": textfile.as_ref().map(|t| &t.line),
            "warnings": warnings,
        }));
        return Ok(ExitCode::Success);
    }

    for warning in &warnings {
        ui::warn(warning);
    }
    print!("{text}");
    println!();
    println!(
        "# would be written to {}, running as {}; nothing was changed.",
        resolved.target.describe(),
        resolved.run_as
    );
    if let Some(textfile) = &textfile {
        println!("#");
        println!(
            "# metrics:     every minute, crontainer.prom in {} for node_exporter",
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
            println!("#   container: {}", how_found(&job.container));
        }
        println!("#   schedule:  {}", schedule::describe(&job.schedule));
        println!("#   log:       {}", job.log.display());
        if job.catch_up {
            println!(
                "#   catch-up:  after a boot, once the container runs, if the host was down at \
                 the last slot"
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

/// How the line finds a Compose service's container, in words.
fn how_found(container: &ContainerRef) -> String {
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
        "found each time it fires: the first running container that `RUNTIME ps` lists (Docker \
         lists the newest first) with the labels {labels}; if none runs, the run logs \
         reason={REASON_NO_CONTAINER} and exits {EXIT_NO_CONTAINER}{several}"
    )
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| crate::shell::quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}
