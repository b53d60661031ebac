//! Reading a job's log as the tests see it: the job's own output, between crontainer's start and
//! end lines (`[crontainer] <UTC time> <job id> <event> key=value... by=<who>`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::{POLL, wait_until};

/// The whole log, lossily decoded; empty if the file does not exist (yet).
pub fn read_log(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => panic!("cannot read log {}: {e}", path.display()),
    }
}

/// One of crontainer's own lines in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLogLine {
    /// As written, e.g. `2026-11-29T14:20:00Z`.
    pub time: String,
    pub job: String,
    /// `start`, `end` or `skip`.
    pub event: String,
    /// The `key=value` words, e.g. `exit` → `0`, `by` → `cron`.
    pub fields: BTreeMap<String, String>,
}

impl RunLogLine {
    /// crontainer's lines in `log`, in order; every other line is the job's own output.
    pub fn parse_all(log: &str) -> Vec<RunLogLine> {
        log.lines().filter_map(Self::parse).collect()
    }

    /// `line` as one of crontainer's lines, or None if it is the job's output.
    pub fn parse(line: &str) -> Option<RunLogLine> {
        let mut words = line.strip_prefix("[crontainer] ")?.split(' ');
        let time = words.next()?.to_owned();
        let job = words.next()?.to_owned();
        let event = words.next()?.to_owned();
        let fields = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(RunLogLine {
            time,
            job,
            event,
            fields,
        })
    }

    /// The value of `key`, panicking with the whole line if it is missing.
    #[track_caller]
    pub fn field(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("no {key}= in {self:?}"))
    }
}

/// The crontainer lines of `log` for job `id`.
pub fn log_lines(log: &Path, id: &str) -> Vec<RunLogLine> {
    RunLogLine::parse_all(&read_log(log))
        .into_iter()
        .filter(|l| l.job == id)
        .collect()
}

/// Waits (bounded) until `log` has a line for `id` with `event`, and returns the log.
#[track_caller]
pub fn wait_for_event(log: &Path, id: &str, event: &str, timeout: Duration) -> String {
    let seen = || log_lines(log, id).iter().any(|l| l.event == event);
    assert!(
        wait_until(timeout, POLL, seen),
        "no `{event}` line for {id} within {timeout:?}; log so far:\n{}",
        read_log(log)
    );
    read_log(log)
}

/// `text` with the number after the first `after` replaced by `N` (a pid the test cannot know).
pub fn mask_number_after(text: &str, after: &str) -> String {
    match text.split_once(after) {
        Some((before, rest)) => {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{before}{after}N{rest}")
        }
        None => text.to_owned(),
    }
}
