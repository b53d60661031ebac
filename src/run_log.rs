//! The run log: the start, end and skip lines that an installed cron line appends to a job's log
//! around the job's own output, and reading the last run back from the end of that log.
//!
//! The shell line (see `cron_line.rs`) writes, with `echo` and `date -u +%FT%TZ`:
//!
//! ```text
//! [crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron
//! ...whatever the job printed...
//! [crontainer] 2026-11-29T14:00:07Z main_pipeline_v2 end exit=0 seconds=7 by=cron
//! [crontainer] 2026-11-29T15:00:00Z main_pipeline_v2 skip reason=running by=cron
//! ```
//!
//! This module owns that format: [`Record`]'s `Display` is exactly what the shell writes, and
//! [`parse_line`] reads it back strictly (unknown keys are ignored so that a newer line can be read
//! by an older binary). A job's output need not end with a newline, so a record may be glued
//! after output text on the same physical line; the record is the text after the last
//! `[crontainer] ` marker of the line.
//!
//! Logs grow without bound (DESIGN.md: `status` on a 1 GiB log must cost what it costs on a
//! 1 KiB one), so everything here reads the file backwards from the size it had when opened, in
//! chunks, and stops as soon as it has what it needs. Only the last [`MAX_RECORD_LEN`] bytes of
//! each line are ever held while scanning, however long the line.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

/// What every record line starts with (the text before it on the same line, if any, is the
/// unterminated output of a job).
const MARKER: &[u8] = b"[crontainer] ";

/// The longest record (from its marker to the end of the line, without a trailing CR) that is
/// recognised. The shell writes ~100 bytes; the bound lets the backward reader keep only the
/// tail of each line, and [`parse_line`] applies the same bound so both always agree.
pub const MAX_RECORD_LEN: usize = 1024;

/// `date -u +%FT%TZ`, which is what the shell line writes.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// What happened to a job, as one record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Event {
    /// The job started; `pid` is the shell's pid, when the line carries one.
    Start { pid: Option<u32> },
    /// The job ended with `exit` after `seconds`; `timeout` is the configured limit, if any.
    End {
        exit: i32,
        seconds: u64,
        timeout: Option<u64>,
    },
    /// A firing was skipped, e.g. `reason=running` when the previous run still held the lock.
    Skip { reason: String },
}

/// Who started a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// The cron daemon (`by=cron`).
    Cron,
    /// `crontainer run-now` (`by=run-now:<user>`).
    RunNow { user: String },
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Cron => f.write_str("cron"),
            Trigger::RunNow { user } => write!(f, "run-now by {user}"),
        }
    }
}

/// One record line of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// When the line was written, to the second (serialized as RFC 3339, e.g.
    /// `2026-11-29T14:00:00Z`).
    #[serde(serialize_with = "serialize_timestamp")]
    pub at: Timestamp,
    /// The job id.
    pub job: String,
    pub event: Event,
    pub by: Trigger,
}

/// jiff's own serde support is behind a feature this crate does not enable; the text is the same
/// one the log holds.
fn serialize_timestamp<S: serde::Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.strftime(TIMESTAMP_FORMAT))
}

impl fmt::Display for Record {
    /// Exactly the line the shell writes, without its newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[crontainer] {} {} ",
            self.at.strftime(TIMESTAMP_FORMAT),
            self.job
        )?;
        match &self.event {
            Event::Start { pid: Some(pid) } => write!(f, "start pid={pid}")?,
            Event::Start { pid: None } => f.write_str("start")?,
            Event::End {
                exit,
                seconds,
                timeout,
            } => {
                write!(f, "end exit={exit} seconds={seconds}")?;
                if let Some(timeout) = timeout {
                    write!(f, " timeout={timeout}")?;
                }
            }
            Event::Skip { reason } => write!(f, "skip reason={reason}")?,
        }
        match &self.by {
            Trigger::Cron => f.write_str(" by=cron"),
            Trigger::RunNow { user } => write!(f, " by=run-now:{user}"),
        }
    }
}

/// Parses one line (without its newline; a trailing CR is ignored); `None` if it holds no valid
/// record.
///
/// The record is whatever follows the last `[crontainer] ` marker of the line, and it must parse
/// strictly: a timestamp exactly as `date -u +%FT%TZ` writes it, a job id of `[a-z0-9_-]+`, a known
/// event, single spaces, each known key at most once with a valid value, `by` present. Unknown
/// `key=value` pairs are ignored.
pub fn parse_line(line: &[u8]) -> Option<Record> {
    parse_record(line).map(|(_, record)| record)
}

/// [`parse_line`], also giving the index of the record's marker within `line`.
fn parse_record(line: &[u8]) -> Option<(usize, Record)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let at = rfind(line, MARKER)?;
    let text = &line[at..];
    if text.len() > MAX_RECORD_LEN {
        return None;
    }
    let text = std::str::from_utf8(&text[MARKER.len()..]).ok()?;
    if text.bytes().any(|b| b.is_ascii_control()) {
        return None;
    }
    parse_fields(text).map(|record| (at, record))
}

fn parse_fields(text: &str) -> Option<Record> {
    let mut words = text.split(' ');
    let at = parse_timestamp(words.next()?)?;
    let job = words.next()?;
    if !is_job_id(job) {
        return None;
    }
    let event = words.next()?;

    let mut pid = None;
    let mut exit = None;
    let mut seconds = None;
    let mut timeout = None;
    let mut reason = None;
    let mut by = None;
    for word in words {
        let (key, value) = word.split_once('=')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return None;
        }
        // Keys that belong to another event are unknown to this one, hence ignored.
        let known = match (event, key) {
            (_, "by") => set_once(&mut by, parse_trigger(value)?),
            ("start", "pid") => set_once(&mut pid, parse_unsigned(value)?),
            ("end", "exit") => set_once(&mut exit, parse_exit(value)?),
            ("end", "seconds") => set_once(&mut seconds, parse_unsigned(value)?),
            ("end", "timeout") => set_once(&mut timeout, parse_unsigned(value)?),
            ("skip", "reason") if !value.is_empty() => set_once(&mut reason, value.to_owned()),
            ("skip", "reason") => return None,
            _ => Some(()),
        };
        known?;
    }

    let event = match event {
        "start" => Event::Start { pid },
        "end" => Event::End {
            exit: exit?,
            seconds: seconds?,
            timeout,
        },
        "skip" => Event::Skip { reason: reason? },
        _ => return None,
    };
    Some(Record {
        at,
        job: job.to_owned(),
        event,
        by: by?,
    })
}

/// Stores `value` unless the key was already seen: a record that says two things is not trusted.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Only what `date -u +%FT%TZ` writes: formatting it back must give the same text (so no
/// fractions, offsets, lowercase `t`/`z`, or leap second 60 that would be clamped to 59).
fn parse_timestamp(word: &str) -> Option<Timestamp> {
    let at: Timestamp = word.parse().ok()?;
    (at.strftime(TIMESTAMP_FORMAT).to_string() == word).then_some(at)
}

fn is_job_id(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn parse_trigger(value: &str) -> Option<Trigger> {
    if value == "cron" {
        return Some(Trigger::Cron);
    }
    let user = value.strip_prefix("run-now:")?;
    (!user.is_empty()).then(|| Trigger::RunNow {
        user: user.to_owned(),
    })
}

/// Plain decimal digits only (`str::parse` would also take a leading `+`).
fn parse_unsigned<T: std::str::FromStr>(value: &str) -> Option<T> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn parse_exit(value: &str) -> Option<i32> {
    match value.strip_prefix('-') {
        Some(digits) => parse_unsigned::<i32>(digits).map(|n| -n),
        None => parse_unsigned(value),
    }
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The last run of one job, as the log tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LastRun {
    /// The last start of this job.
    pub started: Option<Record>,
    /// The first end of this job after that start (none while it runs, or if it was killed
    /// before it could log one); always `None` when `started` is.
    pub ended: Option<Record>,
    /// The last skip of this job after the last start (any skip, if it never started in this
    /// log, e.g. after a rotation while a run was going).
    pub last_skip: Option<Record>,
}

/// Exit codes of a command stopped by `timeout`: coreutils exits 124, busybox 143 (SIGTERM), and
/// 137 (SIGKILL) after `-k`.
const TIMEOUT_EXITS: [i32; 3] = [124, 137, 143];

impl LastRun {
    /// Whether the last run was stopped by its timeout: its end carries `timeout=N` and its exit
    /// code is one `timeout` gives.
    pub fn timed_out(&self) -> bool {
        matches!(
            &self.ended,
            Some(Record { event: Event::End { exit, timeout: Some(_), .. }, .. })
                if TIMEOUT_EXITS.contains(exit)
        )
    }

    /// `Some(exit == 0)` once the last run has ended; `None` if it never ran or has not ended.
    pub fn succeeded(&self) -> Option<bool> {
        match &self.ended {
            Some(Record {
                event: Event::End { exit, .. },
                ..
            }) => Some(*exit == 0),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn start(time: &str, job: &str, pid: Option<u32>, by: Trigger) -> Record {
        Record {
            at: at(time),
            job: job.to_owned(),
            event: Event::Start { pid },
            by,
        }
    }

    fn end(time: &str, job: &str, exit: i32, seconds: u64, timeout: Option<u64>) -> Record {
        Record {
            at: at(time),
            job: job.to_owned(),
            event: Event::End {
                exit,
                seconds,
                timeout,
            },
            by: Trigger::Cron,
        }
    }

    fn skip(time: &str, job: &str, reason: &str) -> Record {
        Record {
            at: at(time),
            job: job.to_owned(),
            event: Event::Skip {
                reason: reason.to_owned(),
            },
            by: Trigger::Cron,
        }
    }

    fn alice() -> Trigger {
        Trigger::RunNow {
            user: "alice".to_owned(),
        }
    }

    #[track_caller]
    fn parses(line: &[u8], expected: Option<Record>) {
        assert_eq!(
            parse_line(line),
            expected,
            "line: {:?}",
            String::from_utf8_lossy(line)
        );
    }

    const T: &str = "2026-11-29T14:00:00Z";
    const J: &str = "main_pipeline_v2";

    #[test]
    fn parse_line_valid() {
        let p = |l: &str| l.as_bytes().to_vec();
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron"),
            Some(start(T, J, Some(1234), Trigger::Cron)),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron"),
            Some(start(T, J, None, Trigger::Cron)),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1 by=run-now:alice"),
            Some(start(T, J, Some(1), alice())),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end exit=0 seconds=7 by=cron"),
            Some(end(T, J, 0, 7, None)),
        );
        parses(
            &p(
                "[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end exit=124 seconds=14400 timeout=14400 by=cron",
            ),
            Some(end(T, J, 124, 14400, Some(14400))),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end exit=-1 seconds=0 by=cron"),
            Some(end(T, J, -1, 0, None)),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 skip reason=running by=cron"),
            Some(skip(T, J, "running")),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron\r"),
            Some(start(T, J, Some(1234), Trigger::Cron)),
        );
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z a-b_9 start by=cron"),
            Some(start(T, "a-b_9", None, Trigger::Cron)),
        );
        // Key order is free; `by` may come first.
        parses(
            &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end by=cron seconds=7 exit=0"),
            Some(end(T, J, 0, 7, None)),
        );
    }

    #[test]
    fn parse_line_glued_after_output() {
        let line = b"progress 99%[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end exit=0 seconds=7 by=cron";
        parses(line, Some(end(T, J, 0, 7, None)));
        // Output that itself mentions the marker: the last marker counts.
        let line = b"[crontainer] junk\xff\xfe[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 skip reason=running by=cron";
        parses(line, Some(skip(T, J, "running")));
        // Invalid UTF-8 and CRs (progress bars) before the record are fine.
        let line =
            b"\xff\xc3(\r50%\r100%[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron";
        parses(line, Some(start(T, J, None, Trigger::Cron)));
        // A record followed by more text is not a record: the last marker must parse strictly.
        parses(
            b"[crontainer] 2026-11-29T14:00:00Z x start by=cron[crontainer] oops",
            None,
        );
        parses(
            b"[crontainer] 2026-11-29T14:00:00Z x start by=cron and more",
            None,
        );
    }

    #[test]
    fn parse_line_unknown_keys_are_ignored() {
        parses(
            b"[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 host=web1 by=cron new_key=",
            Some(start(T, J, Some(1234), Trigger::Cron)),
        );
        // A key of another event is unknown to this one.
        parses(
            b"[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 skip reason=running exit=zzz by=cron",
            Some(skip(T, J, "running")),
        );
    }

    #[test]
    fn parse_line_other_jobs() {
        parses(
            b"[crontainer] 2026-11-29T14:00:00Z backup start by=cron",
            Some(start(T, "backup", None, Trigger::Cron)),
        );
        for job in ["Main", "a.b", "a/b", "ü", "a b"] {
            let line = format!("[crontainer] 2026-11-29T14:00:00Z {job} start by=cron");
            parses(line.as_bytes(), None);
        }
    }

    #[test]
    fn parse_line_rejects_malformed() {
        let bad: &[&[u8]] = &[
            b"",
            b"garbage",
            b"[crontainer]",
            b"[crontainer] ",
            b"\xff\xfe\xfd",
            b"crontainer 2026-11-29T14:00:00Z j start by=cron",
            b"[Crontainer] 2026-11-29T14:00:00Z j start by=cron",
            b"[crontainer]  2026-11-29T14:00:00Z j start by=cron",
            // Timestamps other than `date -u +%FT%TZ`.
            b"[crontainer] 2026-11-29 14:00:00 j start by=cron",
            b"[crontainer] 2026-11-29T14:00:00+00:00 j start by=cron",
            b"[crontainer] 2026-11-29T14:00:00.5Z j start by=cron",
            b"[crontainer] 2026-11-29t14:00:00z j start by=cron",
            b"[crontainer] 2026-13-29T14:00:00Z j start by=cron",
            b"[crontainer] 2026-02-30T14:00:00Z j start by=cron",
            b"[crontainer] 2026-11-29T24:00:00Z j start by=cron",
            b"[crontainer] 2026-12-31T23:59:60Z j start by=cron",
            b"[crontainer] 2026-11-29T14:00Z j start by=cron",
            b"[crontainer] 1764424800 j start by=cron",
            // Events, keys and values.
            b"[crontainer] 2026-11-29T14:00:00Z j",
            b"[crontainer] 2026-11-29T14:00:00Z j begin by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=at",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=run-now:",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=run-now",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=cron by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid=x by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid=-1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid=+1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid= by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid=99999999999 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start pid=1 pid=2 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=cron ",
            b"[crontainer] 2026-11-29T14:00:00Z j start  by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start\tby=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=cron\r\r",
            b"[crontainer] 2026-11-29T14:00:00Z j start noequals by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start Key=1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start =1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j start by=run-now:\xff",
            b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j end seconds=1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 seconds=-1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j end exit=- seconds=1 by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 seconds=1 timeout= by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j skip by=cron",
            b"[crontainer] 2026-11-29T14:00:00Z j skip reason= by=cron",
        ];
        for line in bad {
            parses(line, None);
        }
    }

    #[test]
    fn parse_line_rejects_overlong_record() {
        let user = "u".repeat(MAX_RECORD_LEN);
        let line = format!("[crontainer] 2026-11-29T14:00:00Z j start by=run-now:{user}");
        parses(line.as_bytes(), None);
        let prefix = "[crontainer] 2026-11-29T14:00:00Z j start by=run-now:";
        let user = "u".repeat(MAX_RECORD_LEN - prefix.len());
        let line = format!("{prefix}{user}\r");
        assert_eq!(line.len(), MAX_RECORD_LEN + 1);
        assert!(parse_line(line.as_bytes()).is_some());
    }

    #[test]
    fn display_is_the_shell_line() {
        let lines = [
            "[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron",
            "[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=run-now:alice",
            "[crontainer] 2026-11-29T14:00:07Z main_pipeline_v2 end exit=0 seconds=7 by=cron",
            "[crontainer] 2026-11-29T15:00:00Z main_pipeline_v2 skip reason=running by=cron",
            "[crontainer] 2026-11-29T16:00:00Z main_pipeline_v2 end exit=124 seconds=14400 timeout=14400 by=run-now:alice",
        ];
        for line in lines {
            let record = parse_line(line.as_bytes()).unwrap();
            assert_eq!(record.to_string(), line);
        }
        // Subsecond precision is not in the format.
        let record = Record {
            at: at("2026-11-29T14:00:00.75Z"),
            ..start(T, J, None, Trigger::Cron)
        };
        assert_eq!(
            record.to_string(),
            "[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron"
        );
    }

    #[test]
    fn trigger_display() {
        assert_eq!(Trigger::Cron.to_string(), "cron");
        assert_eq!(alice().to_string(), "run-now by alice");
    }

    #[test]
    fn json() {
        let run = LastRun {
            started: Some(start(T, J, Some(7), alice())),
            ended: Some(end("2026-11-29T14:00:07Z", J, 0, 7, None)),
            last_skip: None,
        };
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "started": {
                    "at": "2026-11-29T14:00:00Z",
                    "job": J,
                    "event": {"kind": "start", "pid": 7},
                    "by": {"kind": "run-now", "user": "alice"},
                },
                "ended": {
                    "at": "2026-11-29T14:00:07Z",
                    "job": J,
                    "event": {"kind": "end", "exit": 0, "seconds": 7, "timeout": null},
                    "by": {"kind": "cron"},
                },
                "last_skip": null,
            })
        );
    }

    #[test]
    fn timed_out_and_succeeded() {
        let ended = |exit, timeout| LastRun {
            started: Some(start(T, J, None, Trigger::Cron)),
            ended: Some(end(T, J, exit, 1, timeout)),
            last_skip: None,
        };
        let cases = [
            (ended(0, None), false, Some(true)),
            (ended(0, Some(60)), false, Some(true)),
            (ended(1, Some(60)), false, Some(false)),
            (ended(124, None), false, Some(false)),
            (ended(124, Some(60)), true, Some(false)),
            (ended(137, Some(60)), true, Some(false)),
            (ended(143, Some(60)), true, Some(false)),
            (ended(125, Some(60)), false, Some(false)),
            (LastRun::default(), false, None),
            (
                LastRun {
                    started: Some(start(T, J, None, Trigger::Cron)),
                    ..LastRun::default()
                },
                false,
                None,
            ),
        ];
        for (run, timed_out, succeeded) in cases {
            assert_eq!(run.timed_out(), timed_out, "{run:?}");
            assert_eq!(run.succeeded(), succeeded, "{run:?}");
        }
    }
}
