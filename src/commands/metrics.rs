//! `crontainer metrics [--textfile DIR]`: every installed job's state as Prometheus gauges, in
//! the text exposition format, for node_exporter's textfile collector (or anything that reads
//! that format). The values are the ones `status` shows (`commands::job_status`), as numbers.
//!
//! A value crontainer does not know (a job that never ran has no last start; a paused job no next
//! run) is left out rather than written as NaN: Prometheus' own advice for a series with no
//! value, and an alert like `time() - crontainer_job_last_success_timestamp_seconds > 86400`
//! then never compares against a made-up number.

use std::io::Write;

use anyhow::{Result, anyhow};

use crate::cli::MetricsArgs;
use crate::commands::job_status::{JobStatus, textfile};
use crate::commands::{self, job_status};
use crate::config::TargetKind;
use crate::error::ExitCode;
use crate::run_log::{Event, Record};
use crate::ui;

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
        help: "When the job's last finished run ended (unix seconds; while a run is going, the \
               one before it); absent when it never logged an end.",
        value: |j| finished(j).map(|r| r.at.as_second()),
    },
    Gauge {
        name: "crontainer_job_last_success_timestamp_seconds",
        help: "When the job's last finished run ended with exit 0 (unix seconds); absent when \
               it failed or never ended (only that run is read from the log).",
        value: |j| {
            end_of(j)
                .filter(|(exit, _)| *exit == 0)
                .and(finished(j).map(|r| r.at.as_second()))
        },
    },
    Gauge {
        name: "crontainer_job_last_exit_code",
        help: "The exit code of the job's last finished run (124, 137 or 143 with a timeout: \
               timed out).",
        value: |j| end_of(j).map(|(exit, _)| i64::from(exit)),
    },
    Gauge {
        name: "crontainer_job_last_duration_seconds",
        help: "How long the job's last finished run took, in seconds.",
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
        help: "Failed runs in the job's run history (its newest records, about a thousand; a \
               run with retries counts once, as its last attempt ended); absent without a run \
               history.",
        value: |j| j.durations.failures.map(|n| seconds(n as u64)),
    },
];

fn seconds(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The end record of the last run that finished: the last run's, or while it is going, the
/// previous run's, so the outcome gauges never vanish during a run.
fn finished(job: &JobStatus) -> Option<&Record> {
    match (&job.last.ended, job.running) {
        (Some(end), _) => Some(end),
        (None, Some(_)) => job.previous.as_ref(),
        (None, None) => None,
    }
}

/// The exit code and seconds of the last finished run's end record.
fn end_of(job: &JobStatus) -> Option<(i32, u64)> {
    match finished(job) {
        Some(Record {
            event: Event::End { exit, seconds, .. },
            ..
        }) => Some((*exit, *seconds)),
        _ => None,
    }
}

/// One block's gauges: where it is, whether it could be read, and its jobs.
struct BlockMetrics {
    kind: TargetKind,
    /// The crontab's owner, or the user a cron.d block's lines run as.
    user: String,
    block: String,
    damaged: bool,
    jobs: Vec<JobStatus>,
}

impl BlockMetrics {
    fn labels(&self) -> String {
        format!(
            "block=\"{}\",target=\"{}\",user=\"{}\"",
            label_value(&self.block),
            kind_word(self.kind),
            label_value(&self.user)
        )
    }
}

fn kind_word(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Crontab => "crontab",
        TargetKind::CronD => "cron.d",
        TargetKind::Systemd => "systemd",
    }
}

pub(crate) fn run(args: &MetricsArgs) -> Result<ExitCode> {
    let (config, mut scope) = commands::installed::config_and_installed(
        args.scope.config.config.as_deref(),
        &args.scope.target,
        args.scope.name.as_deref(),
        args.all_users,
    )?;
    // A copy of a job in another block, wherever it is, makes both unhealthy.
    scope.read_neighbours_elsewhere();
    let now = commands::now()?;
    commands::note_time_zone(&now);
    let mut blocks: Vec<BlockMetrics> = Vec::new();
    let mut unreadable = Vec::new();
    for installed in &scope.installed {
        let mut these = job_status::installed_statuses(installed, config.as_ref(), &now);
        // One inspect call for all containers, as `status` makes: a stopped container makes a
        // job unhealthy there, so it must here too.
        job_status::ask_containers(&mut these, installed);
        let at = blocks.len();
        for job in these {
            let block = job.block.clone().unwrap_or_default();
            match blocks[at..].iter_mut().find(|b| b.block == block) {
                Some(found) => found.jobs.push(job),
                None => blocks.push(BlockMetrics {
                    kind: installed.target.kind(),
                    user: installed.run_as.clone(),
                    block,
                    damaged: false,
                    jobs: vec![job],
                }),
            }
        }
        // A damaged block is not dropped (an alert on `healthy == 0` would resolve): it gets
        // `crontainer_block_damaged 1`, and its jobs whose marker is readable `healthy 0`.
        for damaged in &installed.damaged {
            let described = damaged.describe(&installed.target);
            ui::warn(&described);
            match &damaged.block {
                Some(block) => blocks.push(BlockMetrics {
                    kind: installed.target.kind(),
                    user: installed.run_as.clone(),
                    block: block.clone(),
                    damaged: true,
                    jobs: damaged
                        .jobs
                        .iter()
                        .map(|id| job_status::damaged_status(id, block, installed, &damaged.error))
                        .collect(),
                }),
                None => unreadable.push(described),
            }
        }
    }
    match &args.textfile {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(exposition(&blocks.iter().collect::<Vec<_>>()).as_bytes())?;
            out.flush()?;
        }
        Some(dir) => {
            for block in &blocks {
                let name = textfile::file_name(block.kind, &block.user, &block.block);
                let path = textfile::write(dir, &name, &exposition(&[block]))?;
                ui::say(&format!(
                    "wrote {} job(s) to {}",
                    block.jobs.len(),
                    path.display()
                ));
            }
            if !blocks.is_empty() && textfile::remove_legacy_if_covered(dir)? {
                ui::say(&format!(
                    "removed {}, which older versions wrote for every block",
                    dir.join(textfile::LEGACY_NAME).display()
                ));
            }
        }
    }
    // What cannot be read at all has no block to put a series in: fail, so the file it would
    // have refreshed goes stale (and the staleness alert fires) instead of looking fine.
    if !unreadable.is_empty() {
        return Err(anyhow!(
            "could not read {}; its metrics were not written",
            unreadable.join("; ")
        ));
    }
    Ok(ExitCode::Success)
}

/// The gauges of `blocks` in the text exposition format: per gauge its HELP and TYPE lines
/// (always, so the file documents itself even before a first run), then one sample per job that
/// has a value; a family's samples must stay together. Then whether each block is damaged.
fn exposition(blocks: &[&BlockMetrics]) -> String {
    let mut text = String::new();
    for gauge in GAUGES {
        text.push_str(&format!("# HELP {} {}\n", gauge.name, gauge.help));
        text.push_str(&format!("# TYPE {} gauge\n", gauge.name));
        for block in blocks {
            for job in &block.jobs {
                let Some(value) = (gauge.value)(job) else {
                    continue;
                };
                let user = job.target.as_ref().map_or(&block.user, |(_, u)| u);
                text.push_str(&format!(
                    "{}{{job=\"{}\",block=\"{}\",target=\"{}\",user=\"{}\"}} {value}\n",
                    gauge.name,
                    label_value(&job.id),
                    label_value(&block.block),
                    kind_word(block.kind),
                    label_value(user)
                ));
            }
        }
    }
    text.push_str(
        "# HELP crontainer_block_damaged 1 when the block cannot be read (edited by hand): \
         `crontainer status` says how, and its jobs are not reported as they are, else 0.\n\
         # TYPE crontainer_block_damaged gauge\n",
    );
    for block in blocks {
        text.push_str(&format!(
            "crontainer_block_damaged{{{}}} {}\n",
            block.labels(),
            i64::from(block.damaged)
        ));
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
