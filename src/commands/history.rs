//! `crontainer history [JOB]`: a job's past runs, from the run history the runner keeps
//! (`crate::history`), or, for a job without one (0.1 and 0.2 lines keep none), from what its
//! log still holds, within the limits its line sets; then what they add up to. `--all-users`
//! (root) covers every user's blocks and /etc/cron.d, as `status --all-users` does: a user's
//! ledger and log are opened as any file a user may influence (`safe_file`: no symlink followed,
//! a regular file only, a bounded read), parsed as data, and shown with their control characters
//! escaped; one that cannot be read is said for its job, and the others are shown.

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
    /// The run going now: the lock's run id, while the lock is held.
    going: Option<String>,
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
        let parsed = line::parse_line(entry.active_line(), installed.target.with_user_column());
        // What the ledger keeps, as the runner compacts it; a 0.1/0.2 line sets none.
        let limits = parsed
            .as_ref()
            .and_then(|p| p.runner()?.ok())
            .map(|runner| history::Limits::of_line(&runner.args))
            .unwrap_or_default();
        let run_as = parsed
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
        // The file holds more than the limits between two compactions: shown are the records
        // the limits keep, no more.
        let entries: Vec<Entry> = limits
            .keep(entries)
            .into_iter()
            .filter(|e| since.is_none_or(|s| e.start >= s))
            .collect();
        // A run that has not ended is going now or did not finish: the lock says which (read
        // only then: /proc/locks can stall for ~10 ms).
        let going = history::runs::runs(&entries)
            .iter()
            .any(|r| !r.ended())
            .then(|| {
                crate::host::lock_holder(&entry.marker.lock)?;
                crate::run_log::lock_run(&entry.marker.lock).map(|r| r.to_string())
            })
            .flatten();
        // A failed run is one whose last attempt failed, or that did not finish; all its
        // attempts are shown.
        let entries = match args.failed {
            true => {
                let runs = of_run(&entries, going.as_deref());
                entries
                    .into_iter()
                    .zip(runs)
                    .filter(|(_, run)| {
                        run.is_some_and(|r| {
                            matches!(r.result, RunResult::Failed | RunResult::DidNotFinish)
                        })
                    })
                    .map(|(e, _)| e)
                    .collect()
            }
            false => entries,
        };
        jobs.push(JobHistory {
            job: id.clone(),
            block: block.to_owned(),
            place: installed.target.describe(),
            source,
            entries,
            going,
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
                    "summary": Summary::of(&j.entries, j.going.as_deref()),
                    "records": records(&j.entries, j.going.as_deref(), args.lines),
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
fn newest<T>(entries: &[T], n: usize) -> &[T] {
    &entries[entries.len().saturating_sub(n)..]
}

/// What a run's records add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunResult {
    Succeeded,
    Failed,
    /// Its last attempt has no end record, and the lock says it is the run going now.
    Running,
    /// Its last attempt has no end record, and it is not going: killed, or the host went down.
    DidNotFinish,
}

impl RunResult {
    fn word(self) -> &'static str {
        match self {
            RunResult::Succeeded => "ok",
            RunResult::Failed => "failed",
            RunResult::Running => "running",
            RunResult::DidNotFinish => "did not finish",
        }
    }
}

/// What a run record says of its run ([`history::runs`]).
#[derive(Debug, Clone, Copy)]
struct OfRun {
    /// How many attempts its run made.
    attempts: u32,
    /// Whether it is its run's last attempt, the one that decides the run's result.
    last: bool,
    /// A start record whose attempt's end record supersedes it (not shown in the table).
    superseded: bool,
    result: RunResult,
}

/// Per record, what it says of its run; None for a skip. `going`: the run going now.
fn of_run(entries: &[Entry], going: Option<&str>) -> Vec<Option<OfRun>> {
    let mut out = vec![None; entries.len()];
    for run in history::runs::runs(entries) {
        let result = match (run.ended(), run.succeeded()) {
            (true, true) => RunResult::Succeeded,
            (true, false) => RunResult::Failed,
            (false, _) if going.is_some() && run.id() == going => RunResult::Running,
            (false, _) => RunResult::DidNotFinish,
        };
        let of = |last, superseded| OfRun {
            attempts: run.attempts_made(),
            last,
            superseded,
            result,
        };
        let last = run.at[run.at.len() - 1];
        for &at in &run.at {
            out[at] = Some(of(at == last, false));
        }
        for &at in &run.superseded {
            out[at] = Some(of(false, true));
        }
    }
    out
}

/// The last `n` records for `--json`: each as the ledger has it, and for a run's record how
/// many attempts its run made, whether it is the last one (which decides the run's result) or a
/// start record its end record superseded, and the run's result.
fn records(entries: &[Entry], going: Option<&str>, n: usize) -> Vec<serde_json::Value> {
    let runs = of_run(entries, going);
    newest(entries, n)
        .iter()
        .zip(newest(&runs, n))
        .map(|(e, run)| {
            let mut record = serde_json::to_value(e).unwrap_or_default();
            if let serde_json::Value::Object(fields) = &mut record {
                fields.insert("attempts".into(), json!(run.map(|r| r.attempts)));
                fields.insert("last_attempt".into(), json!(run.map(|r| r.last)));
                fields.insert("superseded".into(), json!(run.map(|r| r.superseded)));
                fields.insert("run_result".into(), json!(run.map(|r| r.result.word())));
            }
            record
        })
        .collect()
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
    // A start record its end record superseded is the same attempt: the end record is shown.
    let (shown, runs): (Vec<&Entry>, Vec<Option<OfRun>>) = j
        .entries
        .iter()
        .zip(of_run(&j.entries, j.going.as_deref()))
        .filter(|(_, run)| !run.is_some_and(|r| r.superseded))
        .unzip();
    let rows: Vec<[String; 5]> = newest(&shown, n)
        .iter()
        .zip(newest(&runs, n))
        .map(|(e, run)| {
            [
                e.start
                    .to_zoned_datetime(now.time_zone().clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string(),
                printable(&e.trigger),
                e.seconds.map(human_duration).unwrap_or_else(|| "-".into()),
                printable(&result(e, *run)),
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
    let s = Summary::of(&j.entries, j.going.as_deref());
    let duration = |d: Option<u64>| d.map(human_duration).unwrap_or_else(|| "-".into());
    out.push_str(&format!(
        "  {} runs, {} failed{}, {} success, usually {} (p95 {}){}\n",
        s.runs,
        s.failures,
        match s.did_not_finish {
            0 => String::new(),
            n => format!(" ({n} did not finish)"),
        },
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
    let recent: Vec<u64> = history::runs::runs(&j.entries)
        .iter()
        .filter_map(|r| r.seconds())
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

/// "ok", "exit 3", "exit 124 (timeout)", "skipped (running)"; an attempt with no end record
/// "running" or "did not finish"; an attempt of a run that made several says which: "exit 3
/// (attempt 1/3)", "ok (attempt 3/3)".
fn result(e: &Entry, run: Option<OfRun>) -> String {
    let (word, why) = match (e.kind, e.exit, &e.reason) {
        (Kind::Skip, _, reason) => ("skipped".to_owned(), reason.clone()),
        // Not its run's last attempt, yet no end record: the record was not written.
        (Kind::Run, _, _) if e.is_start() => (
            run.filter(|r| r.last)
                .map_or("no end recorded", |r| r.result.word())
                .to_owned(),
            None,
        ),
        (Kind::Run, Some(0), None) => ("ok".to_owned(), None),
        (Kind::Run, Some(code), reason) => (format!("exit {code}"), reason.clone()),
        (Kind::Run, None, Some(reason)) => (reason.clone(), None),
        (Kind::Run, None, None) => ("-".to_owned(), None),
    };
    let attempt = run
        .filter(|r| r.attempts > 1)
        .map(|r| format!("attempt {}/{}", e.attempt, r.attempts));
    let notes: Vec<String> = why.into_iter().chain(attempt).collect();
    match notes.is_empty() {
        true => word,
        false => format!("{word} ({})", notes.join(", ")),
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
