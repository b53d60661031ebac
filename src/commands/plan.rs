//! `crontainer plan`: what `install` would write, the schedules in words and the next runs.
//! Changes nothing; the same rendering as `install`, so what it shows is what gets written.

use anyhow::Result;
use serde_json::json;

use crate::block;
use crate::cli::PlanArgs;
use crate::commands;
use crate::config;
use crate::cron_line;
use crate::cron_table::Target;
use crate::error::ExitCode;
use crate::runtime;
use crate::schedule;
use crate::ui::{self, JSON_VERSION, format_time};

pub fn run(args: &PlanArgs) -> Result<ExitCode> {
    let config = config::load_located(args.config.config.as_deref())?;
    let (kind, user) = commands::target_settings(Some(&config), &args.target);
    let resolved = Target::resolve_for_plan(kind, user.as_deref(), &config.name);
    // Plan works on a machine without Docker: a missing tool is a warning here, an error in
    // install, and the line shows the path it would use.
    let (tools, missing) = runtime::resolve_tools(&config.runtime, config.pings());
    let mut warnings: Vec<String> = missing.into_iter().map(|m| m.message).collect();
    warnings.extend(commands::env_warnings(&config, kind, &resolved.target));
    warnings.extend(commands::healthcheck_warnings(
        &config,
        kind,
        &resolved.target,
    ));
    let entries = commands::render_entries(&config, &tools, &resolved.target, &resolved.run_as)?;
    let body = cron_line::render_body(&entries);
    let text = block::upsert("", &config.name, &body)?;
    let now = commands::now()?;

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
                    "container": job.container,
                    "command": job.command,
                    "schedule": rendered.cron.as_str(),
                    "every": entry.marker.every,
                    "words": schedule::describe(&job.schedule),
                    "log": job.log,
                    "lock": entry.marker.lock,
                    "marker": entry.marker.to_line(),
                    "line": entry.line,
                    "line_bytes": entry.line.len(),
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
        println!("#   schedule:  {}", schedule::describe(&job.schedule));
        println!("#   log:       {}", job.log.display());
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

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| crate::shell::quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}
