//! `crontainer history [JOB]`: a job's past runs, from the run history the runner keeps
//! (`crate::history`), or, for a job without one (0.1 and 0.2 lines keep none), from what its
//! log still holds; then what they add up to. `--all-users` (root) covers every user's blocks
//! and /etc/cron.d, as `status --all-users` does: a user's ledger and log are opened as any file
//! a user may influence (`safe_file`: no symlink followed, a regular file only, a bounded read),
//! parsed as data, and shown with their control characters escaped; one that cannot be read is
//! said for its job, and the others are shown.

use anyhow::Result;
use jiff::{Timestamp, ZonedDateTime};
use serde_json::json;

use crate::cli::HistoryArgs;
use crate::commands;
use crate::error::{ExitCode, bad_input};
use crate::history::summary::{Summary, sparkline, utf8_locale};
use crate::history::{self, Entry, Kind};
use crate::line;
use crate::ui::{self, JSON_VERSION, human_duration};

/// How many of the newest runs the sparkline shows.
const SPARK_RUNS: usize = 30;

/// One job's records, where they came from.
struct JobHistory {
    job: String,
    block: String,
    /// The target the block is in ("alice's crontab", "/etc/cron.d/nightly").
    place: String,
    /// "history" or "log".
    source: &'static str,
    entries: Vec<Entry>,
    /// Why its records could not be read (its ledger or log refused, say).
    problem: Option<String>,
}

pub(crate) fn run(args: &HistoryArgs) -> Result<ExitCode> {
    let (name, only) =
        commands::installed::lookup::block_and_job(args.job.as_ref(), args.scope.name.as_deref())?;
    let (_, scope) = commands::installed::config_and_installed(
        args.scope.config.config.as_deref(),
        &args.scope.target,
        name.as_deref(),
        args.all_users,
    )?;
    let now = commands::now()?;
    let since = args.since.as_deref().map(|w| since(w, &now)).transpose()?;
    let mut jobs = Vec::new();
    for (installed, block, entry) in scope.entries() {
        if only.as_ref().is_some_and(|o| *o != entry.marker.id) {
            continue;
        }
        let run_as = line::parse_line(entry.active_line(), installed.target.with_user_column())
            .and_then(|p| p.user)
            .unwrap_or_else(|| installed.run_as.clone());
        let id = &entry.marker.id;
        let log = &entry.marker.log;
        let dirs = history::dirs_for(Some(&run_as));
        let read = history::read(&dirs, id, log).and_then(|ledger| match ledger {
            Some(entries) => Ok(("history", entries)),
            None => Ok(("log", history::from_log::read(log, id)?.unwrap_or_default())),
        });
        let (source, entries, problem) = match read {
            Ok((source, entries)) => (source, entries, None),
            Err(e) => ("history", Vec::new(), Some(format!("{e:#}"))),
        };
        let entries = entries
            .into_iter()
            .filter(|e| since.is_none_or(|s| e.start >= s))
            .filter(|e| !args.failed || e.failed())
            .collect();
        jobs.push(JobHistory {
            job: id.clone(),
            block: block.to_owned(),
            place: installed.target.describe(),
            source,
            entries,
            problem,
        });
    }
    if let Some(only) = &only
        && jobs.is_empty()
    {
        return Err(bad_input(format!(
            "job {only:?} is not installed in {}",
            scope.label
        )));
    }
    // A job whose records could not be read is said, and the command fails once all are shown.
    let code = match jobs.iter().any(|j| j.problem.is_some()) {
        true => ExitCode::Failure,
        false => ExitCode::Success,
    };
    if args.json {
        let jobs: Vec<_> = jobs
            .iter()
            .map(|j| {
                json!({
                    "job": j.job,
                    "block": j.block,
                    "where": j.place,
                    "source": j.source,
                    "problem": j.problem,
                    "summary": Summary::of(&j.entries),
                    "records": newest(&j.entries, args.lines),
                })
            })
            .collect();
        ui::print_json(&json!({"version": JSON_VERSION, "jobs": jobs}));
        return Ok(code);
    }
    let utf8 = utf8_locale(|name| std::env::var(name).ok());
    let texts: Vec<String> = jobs
        .iter()
        .map(|j| job_text(j, args.lines, &now, utf8, args.all_users))
        .collect();
    if texts.is_empty() {
        println!("no jobs installed in {}", scope.label);
    }
    print!("{}", texts.join("\n"));
    Ok(code)
}

/// The last `n` records.
fn newest(entries: &[Entry], n: usize) -> &[Entry] {
    &entries[entries.len().saturating_sub(n)..]
}

/// A job's table and summary; `place`: its header says where its block is (`--all-users`, where
/// every user may have a block of the same name).
fn job_text(j: &JobHistory, n: usize, now: &ZonedDateTime, utf8: bool, place: bool) -> String {
    let from = if j.source == "log" {
        " (from its log: no run history yet)"
    } else {
        ""
    };
    let place = match place {
        true => format!(" in {}", j.place),
        false => String::new(),
    };
    let mut out = format!("{}/{}{place}{from}\n", j.block, j.job);
    if let Some(problem) = &j.problem {
        out.push_str(&format!(
            "  its run history cannot be read: {}\n",
            printable(problem)
        ));
        return out;
    }
    if j.entries.is_empty() {
        out.push_str("  no runs recorded\n");
        return out;
    }
    let rows: Vec<[String; 5]> = newest(&j.entries, n)
        .iter()
        .map(|e| {
            [
                e.start
                    .to_zoned_datetime(now.time_zone().clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string(),
                printable(&e.trigger),
                e.seconds.map(human_duration).unwrap_or_else(|| "-".into()),
                printable(&result(e)),
                e.ping
                    .as_deref()
                    .map(printable)
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = ["START", "TRIGGER", "DURATION", "RESULT", "PING"].map(str::to_owned);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in [&header].into_iter().chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    let s = Summary::of(&j.entries);
    let duration = |d: Option<u64>| d.map(human_duration).unwrap_or_else(|| "-".into());
    out.push_str(&format!(
        "  {} runs, {} failed, {} success, usually {} (p95 {}){}\n",
        s.runs,
        s.failures,
        s.success_rate
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "-".into()),
        duration(s.p50_seconds),
        duration(s.p95_seconds),
        match s.skipped {
            0 => String::new(),
            n => format!(", {n} skipped"),
        }
    ));
    let recent: Vec<u64> = j
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Run)
        .filter_map(|e| e.seconds)
        .collect();
    let recent = &recent[recent.len().saturating_sub(SPARK_RUNS)..];
    if !recent.is_empty() {
        out.push_str(&format!("  recent durations {}\n", sparkline(recent, utf8)));
    }
    out
}

/// `text` with its control characters escaped (`\u{1b}`): a ledger is data its job's user may
/// have written, and root's terminal takes no escape sequence from it.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// "ok", "exit 3", "exit 124 (timeout)", "skipped (running)".
fn result(e: &Entry) -> String {
    match (e.kind, e.exit, &e.reason) {
        (Kind::Skip, _, Some(reason)) => format!("skipped ({reason})"),
        (Kind::Skip, _, None) => "skipped".to_owned(),
        (Kind::Run, Some(0), None) => "ok".to_owned(),
        (Kind::Run, Some(code), None) => format!("exit {code}"),
        (Kind::Run, Some(code), Some(reason)) => format!("exit {code} ({reason})"),
        (Kind::Run, None, Some(reason)) => reason.clone(),
        (Kind::Run, None, None) => "-".to_owned(),
    }
}

/// `--since`: an RFC 3339 time, a date in cron's zone, or a duration ago.
fn since(word: &str, now: &ZonedDateTime) -> Result<Timestamp> {
    if let Ok(at) = word.parse::<Timestamp>() {
        return Ok(at);
    }
    if let Ok(date) = word.parse::<jiff::civil::Date>()
        && let Ok(at) = date.to_zoned_datetime(now.time_zone().clone())
    {
        return Ok(at.timestamp());
    }
    if let Ok(seconds) = crate::config::parse_duration(word) {
        let ago = jiff::SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX));
        return Ok(now.timestamp().checked_sub(ago).unwrap_or(Timestamp::MIN));
    }
    Err(bad_input(format!(
        "--since {word:?}: use an RFC 3339 time (2026-11-29T14:00:00Z), a date (2026-11-29) or a \
         duration ago (\"24h\", \"7d\")"
    )))
}
