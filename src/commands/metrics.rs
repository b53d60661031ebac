//! `crontainer metrics [--textfile DIR]`: every installed job's state as Prometheus gauges, in
//! the text exposition format, for node_exporter's textfile collector (or anything that reads
//! that format). The values are the ones `status` shows (`commands::job_status`), as numbers.
//!
//! A value crontainer does not know (a job that never ran has no last start; a paused job no next
//! run) is left out rather than written as NaN: Prometheus' own advice for a series with no
//! value, and an alert like `time() - crontainer_job_last_success_timestamp_seconds > 86400`
//! then never compares against a made-up number.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::MetricsArgs;
use crate::commands::job_status::JobStatus;
use crate::commands::{self, job_status};
use crate::error::ExitCode;
use crate::run_log::{Event, Record};
use crate::ui;

/// The file written into the textfile collector's directory. node_exporter reads only `*.prom`
/// files there, so the temp file beside it (another name) is never read half written.
pub const TEXTFILE_NAME: &str = "crontainer.prom";

/// One gauge: its name, its HELP text, and its value for a job (None: left out).
struct Gauge {
    name: &'static str,
    help: &'static str,
    value: fn(&JobStatus) -> Option<i64>,
}

/// Every gauge, in the order they are written. The README's "Monitoring" section explains each.
const GAUGES: &[Gauge] = &[
    Gauge {
        name: "crontainer_job_last_start_timestamp_seconds",
        help: "When the job's last run started (unix seconds).",
        value: |j| j.last.started_at().map(|t| t.as_second()),
    },
    Gauge {
        name: "crontainer_job_last_end_timestamp_seconds",
        help: "When the job's last run ended (unix seconds); absent while it runs or when it \
               never logged an end.",
        value: |j| j.last.ended.as_ref().map(|r| r.at.as_second()),
    },
    Gauge {
        name: "crontainer_job_last_success_timestamp_seconds",
        help: "When the job's last run ended with exit 0 (unix seconds); absent when the last \
               run failed or has not ended (only the last run is read from the log).",
        value: |j| {
            (j.last.succeeded() == Some(true))
                .then(|| j.last.ended.as_ref().map(|r| r.at.as_second()))
                .flatten()
        },
    },
    Gauge {
        name: "crontainer_job_last_exit_code",
        help: "The exit code of the job's last run (124, 137 or 143 with a timeout: timed out).",
        value: |j| end_of(j).map(|(exit, _)| i64::from(exit)),
    },
    Gauge {
        name: "crontainer_job_last_duration_seconds",
        help: "How long the job's last run took, in seconds.",
        value: |j| end_of(j).map(|(_, seconds)| i64::try_from(seconds).unwrap_or(i64::MAX)),
    },
    Gauge {
        name: "crontainer_job_running",
        help: "1 while a run of the job holds its lock, else 0.",
        value: |j| Some(i64::from(j.running.is_some())),
    },
    Gauge {
        name: "crontainer_job_paused",
        help: "1 when the job is paused (`crontainer pause`), else 0.",
        value: |j| Some(i64::from(j.paused.is_some())),
    },
    Gauge {
        name: "crontainer_job_missed",
        help: "1 when cron should have started the job more than its grace period ago and did \
               not, else 0.",
        value: |j| Some(i64::from(j.missed.is_some())),
    },
    Gauge {
        name: "crontainer_job_healthy",
        help: "1 when `crontainer status` finds no problem with the job, else 0.",
        value: |j| Some(i64::from(j.problems().is_empty())),
    },
    Gauge {
        name: "crontainer_job_next_run_timestamp_seconds",
        help: "When cron will next start the job (unix seconds); absent when paused.",
        value: |j| j.next_run.as_ref().map(|z| z.timestamp().as_second()),
    },
    Gauge {
        name: "crontainer_job_usual_duration_seconds",
        help: "The median duration of the job's successful runs (its run history's newest 100; \
               absent under 5 of them).",
        value: |j| j.durations.usual.map(|u| seconds(u.p50_seconds)),
    },
    Gauge {
        name: "crontainer_job_usual_duration_p95_seconds",
        help: "The 95th percentile duration of the job's successful runs (as the median).",
        value: |j| j.durations.usual.map(|u| seconds(u.p95_seconds)),
    },
    Gauge {
        name: "crontainer_job_history_failures",
        help: "Failed runs in the job's run history (its newest records, about a thousand); \
               absent without a run history.",
        value: |j| j.durations.failures.map(|n| seconds(n as u64)),
    },
];

fn seconds(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The exit code and seconds of the last run's end record.
fn end_of(job: &JobStatus) -> Option<(i32, u64)> {
    match &job.last.ended {
        Some(Record {
            event: Event::End { exit, seconds, .. },
            ..
        }) => Some((*exit, *seconds)),
        _ => None,
    }
}

pub fn run(args: &MetricsArgs) -> Result<ExitCode> {
    let (config, scope) = commands::config_and_installed(
        args.config.config.as_deref(),
        &args.target,
        args.block.name.as_deref(),
        args.all_users,
    )?;
    let now = commands::now()?;
    commands::note_time_zone(&now);
    let mut jobs = Vec::new();
    for installed in &scope.installed {
        let mut these = job_status::installed_statuses(installed, config.as_ref(), &now);
        // One inspect call for all containers, as `status` makes: a stopped container makes a
        // job unhealthy there, so it must here too.
        job_status::ask_containers(&mut these, installed);
        jobs.extend(these);
    }
    // A damaged block has no jobs to report; it is not hidden either.
    for damaged in scope.damaged() {
        ui::warn(&damaged);
    }
    let text = exposition(&jobs);
    match &args.textfile {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(dir) => {
            let path = write_textfile(dir, &text)?;
            ui::say(&format!(
                "wrote {} job(s) to {}",
                jobs.len(),
                path.display()
            ));
        }
    }
    Ok(ExitCode::Success)
}

/// The gauges of `jobs` in the text exposition format: per gauge its HELP and TYPE lines (always,
/// so the file documents itself even before a first run), then one sample per job that has a
/// value; a family's samples must stay together.
fn exposition(jobs: &[JobStatus]) -> String {
    let mut text = String::new();
    for gauge in GAUGES {
        text.push_str(&format!("# HELP {} {}\n", gauge.name, gauge.help));
        text.push_str(&format!("# TYPE {} gauge\n", gauge.name));
        for (job, value) in jobs.iter().filter_map(|j| (gauge.value)(j).map(|v| (j, v))) {
            text.push_str(&format!(
                "{}{{job=\"{}\",block=\"{}\"}} {value}\n",
                gauge.name,
                label_value(&job.id),
                label_value(job.block.as_deref().unwrap_or_default())
            ));
        }
    }
    text
}

/// A label value as the exposition format writes it: backslash, double quote and line feed
/// escaped. Job ids and block names are plain words today; this keeps a future one from
/// breaking the file.
fn label_value(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Writes `text` to `DIR/crontainer.prom` atomically: a temp file in the same directory, synced,
/// then renamed over it, so node_exporter reads the old file or the new one, never a part.
fn write_textfile(dir: &Path, text: &str) -> Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;

    let path = dir.join(TEXTFILE_NAME);
    let context = || format!("could not write {}", path.display());
    let mut file = tempfile::Builder::new()
        .prefix(".crontainer.prom.")
        .tempfile_in(dir)
        .with_context(context)?;
    file.write_all(text.as_bytes()).with_context(context)?;
    // tempfile creates 0600; node_exporter runs as its own user and must read it.
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(context)?;
    file.as_file().sync_all().with_context(context)?;
    file.persist(&path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::label_value;

    #[track_caller]
    fn case(raw: &str, written: &str) {
        assert_eq!(label_value(raw), written);
    }

    #[test]
    fn label_values_are_escaped() {
        case("main_pipeline_v2", "main_pipeline_v2");
        case(r"a\b", r"a\\b");
        case("a\"b", "a\\\"b");
        case("a\nb", r"a\nb");
    }
}
