//! The run log: the start, end and skip lines that an installed cron line appends to a job's log
//! around the job's own output, and reading the last run back from the end of that log.
//!
//! The shell line 0.2 wrote (see `line/legacy.rs`) writes, with `echo` and `date -u +%FT%TZ`:
//!
//! ```text
//! [crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron
//! ...whatever the job printed...
//! [crontainer] 2026-11-29T14:00:07Z main_pipeline_v2 end exit=0 seconds=7 by=cron
//! [crontainer] 2026-11-29T19:00:09Z main_pipeline_v2 end exit=0 ping=ok run=4130-1764451688 seconds=9 by=cron
//! [crontainer] 2026-11-29T15:00:00Z main_pipeline_v2 skip reason=running by=cron
//! ```
//!
//! The runner (`crontainer exec`, `src/exec/`) writes the same lines through [`Record`]; on an end
//! line it also says why a run ended other than by itself: `reason=timeout`, `reason=interrupted
//! signal=INT`, `reason=no_container`, and `stopped=no` when the job could not be stopped in the
//! container.
//!
//! This module owns that format: [`Record`]'s `Display` is exactly what the shell writes, and
//! [`parse_line`] reads it back strictly (unknown keys are ignored so that a newer line can be read
//! by an older binary). A job's output need not end with a newline, so a record may be glued
//! after output text on the same physical line; the record is the text after the last
//! `[crontainer] ` marker of the line.
//!
//! Logs grow without bound (docs/ARCHITECTURE.md: `status` on a 1 GiB log must cost what it costs on a
//! 1 KiB one), so everything here reads the file backwards from the size it had when opened, in
//! chunks, and stops as soon as it has what it needs. Only the last [`MAX_RECORD_LEN`] bytes of
//! each line are ever held while scanning, however long the line.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;

mod lock_file;
mod previous;
mod rotated;

pub use lock_file::{LOCK_READ, LockFile, MARK_LEN, lock_run};
pub use previous::previous_end;

/// What every record line starts with (the text before it on the same line, if any, is the
/// unterminated output of a job).
const MARKER: &[u8] = b"[crontainer] ";

/// The longest record (from its marker to the end of the line, without a trailing CR) that is
/// recognised. The shell writes ~100 bytes; the bound lets the backward reader keep only the
/// tail of each line, and [`parse_line`] applies the same bound so both always agree.
pub const MAX_RECORD_LEN: usize = 1024;

/// How much of the log is read per step when reading backwards.
const CHUNK_LEN: usize = 64 * 1024;

/// `date -u +%FT%TZ`, which is what the shell line writes.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

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
        /// The run this end belongs to; None in lines crontainer 0.1 wrote.
        #[serde(skip_serializing_if = "Option::is_none")]
        run: Option<RunId>,
        /// How the run's healthchecks pings went; None for a job without a `healthcheck`.
        #[serde(skip_serializing_if = "Option::is_none")]
        ping: Option<Ping>,
        /// Why the run ended other than by the job's own exit: `timeout`, `interrupted` (with
        /// `signal`), `no_container`, `several_projects`; None for a job that ended by itself.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The signal (`INT`, `TERM`, `HUP`) that interrupted the runner, with
        /// `reason=interrupted`.
        #[serde(skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        /// `Some(false)` (`stopped=no`) when the runner could not stop the job inside the
        /// container: it may still run there, and the lock stays held until it ends.
        #[serde(skip_serializing_if = "Option::is_none")]
        stopped: Option<bool>,
    },
    /// A firing was skipped, e.g. `reason=running` when the previous run still held the lock.
    Skip {
        reason: String,
        /// The run that held the lock; None in lines crontainer 0.1 wrote.
        #[serde(skip_serializing_if = "Option::is_none")]
        run: Option<RunId>,
    },
}

/// How a run's healthchecks ping went (`ping=ok|failed` on its end line): `Failed` when the
/// end ping failed, so healthchecks may not know how the run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ping {
    Ok,
    Failed,
}

impl fmt::Display for Ping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ping::Ok => "ok",
            Ping::Failed => "failed",
        })
    }
}

/// Which run a record belongs to: the pid of the line's shell and the second its start line was
/// written, `PID-EPOCH` in the log (`run=4130-1764451688`). The start line carries both already
/// (`pid=` and its time); the line writes the id into its lock file when the run starts and onto
/// its end line, and a firing skipped for that run reads it back from the lock file. A job's
/// output cannot know it, so a forged record never pairs with a real run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunId {
    pub pid: u32,
    pub started: i64,
}

impl RunId {
    /// The id of the run a start record opened; None for a start without a pid.
    pub fn of_start(record: &Record) -> Option<RunId> {
        match record.event {
            Event::Start { pid: Some(pid) } => Some(RunId {
                pid,
                started: record.at.as_second(),
            }),
            _ => None,
        }
    }

    pub fn parse(text: &str) -> Option<RunId> {
        let (pid, started) = text.split_once('-')?;
        Some(RunId {
            pid: parse_unsigned(pid)?,
            started: parse_unsigned(started)?,
        })
    }

    /// When the run started.
    pub fn started_at(&self) -> Timestamp {
        Timestamp::from_second(self.started).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.pid, self.started)
    }
}

impl Serialize for RunId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who started a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// The cron daemon (`by=cron`).
    Cron,
    /// `crontainer run-now` (`by=run-now:<user>`).
    RunNow { user: String },
    /// The job's `@reboot` line after a boot, for a firing missed while the host was down
    /// (`by=catch-up`).
    CatchUp,
}

impl Trigger {
    /// Who started a run, as a sentence says it: "by cron", "run-now by alice".
    pub fn started_by(&self) -> String {
        match self {
            Trigger::Cron => "by cron".to_string(),
            Trigger::RunNow { user } => format!("run-now by {user}"),
            Trigger::CatchUp => "by the catch-up after a boot".to_string(),
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Cron => f.write_str("cron"),
            Trigger::RunNow { user } => write!(f, "run-now by {user}"),
            Trigger::CatchUp => f.write_str("catch-up"),
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
    /// The line the shell writes, without its newline, its fields in a canonical order (the
    /// shell puts `timeout` and `run` before `seconds`; the parser takes any order).
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
                run,
                ping,
                reason,
                signal,
                stopped,
            } => {
                write!(f, "end exit={exit} seconds={seconds}")?;
                if let Some(timeout) = timeout {
                    write!(f, " timeout={timeout}")?;
                }
                if let Some(ping) = ping {
                    write!(f, " ping={ping}")?;
                }
                if let Some(reason) = reason {
                    write!(f, " reason={reason}")?;
                }
                if let Some(signal) = signal {
                    write!(f, " signal={signal}")?;
                }
                if let Some(stopped) = stopped {
                    f.write_str(if *stopped {
                        " stopped=yes"
                    } else {
                        " stopped=no"
                    })?;
                }
                if let Some(run) = run {
                    write!(f, " run={run}")?;
                }
            }
            Event::Skip { reason, run } => {
                write!(f, "skip reason={reason}")?;
                if let Some(run) = run {
                    write!(f, " run={run}")?;
                }
            }
        }
        match &self.by {
            Trigger::Cron => f.write_str(" by=cron"),
            Trigger::RunNow { user } => write!(f, " by=run-now:{user}"),
            Trigger::CatchUp => f.write_str(" by=catch-up"),
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
    if !crate::config::is_job_id(job) {
        return None;
    }
    let event = words.next()?;

    let mut pid = None;
    let mut exit = None;
    let mut seconds = None;
    let mut timeout = None;
    let mut reason = None;
    let mut run = None;
    let mut ping = None;
    let mut end_reason = None;
    let mut signal = None;
    let mut stopped = None;
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
            ("end", "ping") => set_once(
                &mut ping,
                match value {
                    "ok" => Ping::Ok,
                    "failed" => Ping::Failed,
                    _ => return None,
                },
            ),
            ("end", "reason")
                if is_word(value, |b| b.is_ascii_lowercase() || b == b'_' || b == b'-') =>
            {
                set_once(&mut end_reason, value.to_owned())
            }
            ("end", "signal") if is_word(value, |b| b.is_ascii_uppercase()) => {
                set_once(&mut signal, value.to_owned())
            }
            ("end", "reason" | "signal") => return None,
            ("end", "stopped") => set_once(
                &mut stopped,
                match value {
                    "yes" => true,
                    "no" => false,
                    _ => return None,
                },
            ),
            ("skip", "reason") if !value.is_empty() => set_once(&mut reason, value.to_owned()),
            ("skip", "reason") => return None,
            ("end" | "skip", "run") => set_once(&mut run, RunId::parse(value)?),
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
            run,
            ping,
            reason: end_reason,
            signal,
            stopped,
        },
        "skip" => Event::Skip {
            reason: reason?,
            run,
        },
        _ => return None,
    };
    Some(Record {
        at,
        job: job.to_owned(),
        event,
        by: by?,
    })
}

/// A non-empty value made only of the bytes `ok` allows.
fn is_word(value: &str, ok: impl Fn(u8) -> bool) -> bool {
    !value.is_empty() && value.bytes().all(ok)
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

fn parse_trigger(value: &str) -> Option<Trigger> {
    match value {
        "cron" => return Some(Trigger::Cron),
        "catch-up" => return Some(Trigger::CatchUp),
        _ => {}
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
    /// The start record of the last run (None if it never ran, or its start was rotated away).
    pub started: Option<Record>,
    /// The end record of that run (none while it runs, or if it was killed before it could log
    /// one); always `None` when neither `started` nor `run` is known.
    pub ended: Option<Record>,
    /// The last skip while that run held the lock, or of a catch-up after a boot that found
    /// nothing missed since it (`reason=no-missed-slot`); any skip after the last start for
    /// lines that do not name their run, or if it never started in this log.
    pub last_skip: Option<Record>,
    /// Which run it is: named by the lock file, or the start record's pid and time.
    pub run: Option<RunId>,
}

/// The end line's `reason=` of a run the runner stopped at its timeout, and of one it stopped
/// because it was itself interrupted (`signal=` says by what).
pub const REASON_TIMEOUT: &str = "timeout";
pub const REASON_INTERRUPTED: &str = "interrupted";
/// A later firing of a `concurrency = "replace"` job stopped the run.
pub const REASON_REPLACED: &str = "replaced";
/// The skip line's `reason=` of a firing that found the last run still going in the container,
/// though its runner and client were killed (`exec/orphan.rs`).
pub const REASON_ORPHANED: &str = "orphaned";
/// The end line's `reason=` of a run whose runtime client was killed (`signal=` by what) or
/// ended while the job still ran in the container: the runner stopped the job (exit 128+N, or
/// 143 as by its SIGTERM).
pub const REASON_CLIENT_GONE: &str = "client_gone";

/// Exit codes of a command stopped by `timeout`: coreutils exits 124, busybox 143 (SIGTERM), and
/// 137 (SIGKILL) after `-k`.
const TIMEOUT_EXITS: [i32; 3] = [124, 137, 143];

impl LastRun {
    /// Whether the last run was stopped by its timeout. The runner says so itself
    /// (`reason=timeout`); a 0.2 line only by its end: `timeout=N`, an exit code `timeout` gives,
    /// and a run that lasted the timeout (the end's seconds, counted from the start line, are at
    /// least the limit; one second of slack for the rounding of two whole-second stamps). A run
    /// killed sooner was stopped by something else: its container restarted or stopped (issue
    /// 25), see [`LastRun::killed_early`].
    pub fn timed_out(&self) -> bool {
        match &self.ended {
            Some(Record {
                event:
                    Event::End {
                        reason: Some(reason),
                        ..
                    },
                ..
            }) => reason == REASON_TIMEOUT,
            Some(Record {
                event:
                    Event::End {
                        exit,
                        timeout: Some(limit),
                        seconds,
                        ..
                    },
                ..
            }) => TIMEOUT_EXITS.contains(exit) && seconds + 1 >= *limit,
            _ => false,
        }
    }

    /// Why the last run ended other than by the job's own exit, as its end line says (the
    /// runner's `reason=`, `signal=` and `stopped=no`), in words: "interrupted by SIGINT",
    /// "timed out, and could not be stopped in the container". None for a run that ended by
    /// itself, or a 0.2 line's.
    pub fn end_reason(&self) -> Option<String> {
        let Some(Record {
            event:
                Event::End {
                    reason: Some(reason),
                    signal,
                    stopped,
                    ..
                },
            ..
        }) = &self.ended
        else {
            return None;
        };
        let mut words = match (reason.as_str(), signal) {
            (REASON_TIMEOUT, _) => "timed out".to_string(),
            (REASON_INTERRUPTED, Some(signal)) => format!("interrupted by SIG{signal}"),
            (REASON_INTERRUPTED, None) => "interrupted".to_string(),
            (REASON_CLIENT_GONE, Some(signal)) => format!(
                "its runtime client was killed by SIG{signal}; the job was stopped in the container"
            ),
            (REASON_CLIENT_GONE, None) => {
                "its runtime client ended alone; the job was stopped in the container".to_string()
            }
            (other, _) => other.replace('_', " "),
        };
        if *stopped == Some(false) {
            words.push_str(", and could not be stopped in the container: it may still run there");
        }
        Some(words)
    }

    /// The exit code and seconds of a run that a signal ended (137: KILL, 143: TERM) before its
    /// timeout could: the container restarted or stopped under it, or someone killed it. A
    /// runner's end line that names its reason says what happened itself ([`LastRun::end_reason`]).
    pub fn killed_early(&self) -> Option<(i32, u64)> {
        match &self.ended {
            Some(Record {
                event:
                    Event::End {
                        exit: exit @ (137 | 143),
                        timeout: Some(limit),
                        seconds,
                        reason: None,
                        ..
                    },
                ..
            }) if seconds + 1 < *limit => Some((*exit, *seconds)),
            _ => None,
        }
    }

    /// When the last run started: its start record, or the lock file when the start was rotated
    /// out of the log.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.started
            .as_ref()
            .map(|s| s.at)
            .or_else(|| self.run.map(|r| r.started_at()))
    }

    /// How the last run's healthchecks pings went, once it has ended with a `ping=` key.
    pub fn ping(&self) -> Option<Ping> {
        match &self.ended {
            Some(Record {
                event: Event::End { ping, .. },
                ..
            }) => *ping,
            _ => None,
        }
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

/// Reads only the end of the log, backwards, until it has found the last start of `job` (or
/// reached the start of the file). A missing file is a job that never ran. Records are paired by
/// the run they name, so a job's output that imitates them changes nothing; see [`last_run_of`].
pub fn last_run(path: &Path, job: &str) -> anyhow::Result<LastRun> {
    last_run_of(path, job, None)
}

/// The last run of `job`, when the lock file names it (`run`, from [`lock_run`]): only that run's
/// start, end and skip records count, whatever else the log holds (a forged record cannot carry
/// the run's id). When its start is no longer in the log (a rotation by copytruncate), the
/// previous generation `<log>.1` is read too. Without `run` (a line of crontainer 0.1, or a lock
/// file we may not read), the newest start is the run, paired with the end that names it, or for
/// 0.1's ends, which name no run, the first end after it.
pub fn last_run_of(path: &Path, job: &str, run: Option<RunId>) -> anyhow::Result<LastRun> {
    let mut last = scan(path, job, run, CHUNK_LEN)?
        .map(|s| s.last)
        .unwrap_or_default();
    if let (Some(run), None) = (run, &last.started) {
        let mut rotated = path.as_os_str().to_owned();
        rotated.push(".1");
        if let Some(older) = scan(Path::new(&rotated), job, Some(run), CHUNK_LEN)? {
            last.started = older.last.started;
            last.ended = last.ended.or(older.last.ended);
            last.last_skip = last.last_skip.or(older.last.last_skip);
        }
    }
    Ok(last)
}

/// The bytes of the last run's output: from the last run's start record (inclusive; not any
/// unterminated output of another job glued before it) to the end of the file as it was when
/// opened. `None` if the job never started in this log, or the log does not exist.
pub fn last_run_output(
    path: &Path,
    job: &str,
    run: Option<RunId>,
) -> anyhow::Result<Option<Vec<u8>>> {
    match last_run_output_with(path, job, run, CHUNK_LEN)? {
        Some(bytes) => Ok(Some(bytes)),
        None => rotated::output_across_rotation(path, job, run),
    }
}

fn last_run_output_with(
    path: &Path,
    job: &str,
    run: Option<RunId>,
    chunk: usize,
) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(scan) = scan(path, job, run, chunk)? else {
        return Ok(None);
    };
    let Some(from) = scan.start_offset else {
        return Ok(None);
    };
    read_range(&scan.reader.file, from, scan.reader.size)
        .map(Some)
        .with_context(|| format!("could not read log {}", path.display()))
}

/// The last `n` lines of the file (the final newline, if any, ends the last line rather than
/// starting an empty one), read from the end. A missing file has no lines.
pub fn tail_lines(path: &Path, n: usize) -> anyhow::Result<Vec<u8>> {
    tail_lines_with(path, n, CHUNK_LEN)
}

fn tail_lines_with(path: &Path, n: usize, chunk: usize) -> anyhow::Result<Vec<u8>> {
    let context = || format!("could not read log {}", path.display());
    let Some(mut reader) = Backward::open(path, chunk).with_context(context)? else {
        return Ok(Vec::new());
    };
    let from = reader.start_of_last_lines(n).with_context(context)?;
    read_range(&reader.file, from, reader.size).with_context(context)
}

fn read_range(file: &File, from: u64, to: u64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(to - from).map_err(io::Error::other)?;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, from)?;
    Ok(bytes)
}

struct Scan {
    last: LastRun,
    /// Where the marker of the last run's start record is.
    start_offset: Option<u64>,
    reader: Backward,
}

/// `None` if the log does not exist. With `known`, only that run's records count; without it,
/// the newest start is the run (see [`last_run_of`]).
fn scan(
    path: &Path,
    job: &str,
    known: Option<RunId>,
    chunk: usize,
) -> anyhow::Result<Option<Scan>> {
    let context = || format!("could not read log {}", path.display());
    let Some(mut reader) = Backward::open(path, chunk).with_context(context)? else {
        return Ok(None);
    };
    let mut last = LastRun {
        run: known,
        ..LastRun::default()
    };
    let mut start_offset = None;
    // The end records after the start, newest first.
    let mut ends: Vec<Record> = Vec::new();
    let mut skips: Vec<Record> = Vec::new();
    while let Some(tail) = reader.next_line_tail().with_context(context)? {
        let Some((at, record)) = parse_record(&tail.bytes) else {
            continue;
        };
        if record.job != job {
            continue;
        }
        match &record.event {
            Event::Start { .. } => {
                let id = RunId::of_start(&record);
                if known.is_some() && id != known {
                    // Not the run the lock file names: another job's output, or forged.
                    continue;
                }
                start_offset = Some(tail.end - tail.bytes.len() as u64 + at as u64);
                last.run = id;
                last.started = Some(record);
                break;
            }
            Event::End { run, .. } => {
                if known.is_none() || *run == known {
                    ends.push(record);
                }
            }
            Event::Skip { run, .. } => {
                if known.is_none() || *run == known {
                    skips.push(record);
                }
            }
        }
    }
    let names_run = |record: &Record| match &record.event {
        Event::End { run, .. } | Event::Skip { run, .. } => *run,
        Event::Start { .. } => None,
    };
    if last.run.is_some() {
        // The end that names this run; going backwards, the first one met is the newest.
        last.ended = ends.iter().find(|r| names_run(r) == last.run).cloned();
        if last.ended.is_none()
            && last.started.is_some()
            && ends.iter().all(|r| names_run(r).is_none())
        {
            // Lines of crontainer 0.1 name no run: the first end after the start.
            last.ended = ends.last().cloned();
        }
        last.last_skip = skips
            .into_iter()
            .find(|r| names_run(r).is_none() || names_run(r) == last.run);
    } else {
        // No run known, or a start without a pid: the first end after the start, if any.
        if last.started.is_some() {
            last.ended = ends.last().cloned();
        }
        last.last_skip = skips.into_iter().next();
    }
    Ok(Some(Scan {
        last,
        start_offset,
        reader,
    }))
}

/// The last bytes of one line: at most `MAX_RECORD_LEN + 1` (room for a CR), ending where the
/// line ends (before its newline).
struct LineTail {
    bytes: Vec<u8>,
    /// File offset just past the last byte of the line.
    end: u64,
}

/// Reads a file backwards in chunks, from the size it had when opened: bytes appended later
/// (the job still writing) are not looked at, so one call sees one consistent prefix.
struct Backward {
    file: File,
    size: u64,
    chunk: usize,
    /// Holds the file's bytes from `buf_start`.
    buf: Vec<u8>,
    buf_start: u64,
    /// Everything before this offset is still to be scanned.
    cursor: u64,
    /// Whether `cursor` is in the middle of a line whose tail was already given out.
    mid_line: bool,
    /// Whether the line at offset 0 was given out.
    exhausted: bool,
    /// How many bytes were read from the file, so tests can check that only the end was read.
    bytes_read: u64,
}

impl Backward {
    /// `None` if the file does not exist.
    fn open(path: &Path, chunk: usize) -> io::Result<Option<Backward>> {
        assert!(chunk > 0, "chunk length must be positive");
        // A regular file only, opened without waiting: a log a user turned into a FIFO must
        // not hang root's `status` (issue 26).
        let Some(file) = crate::safe_file::open_regular(path)? else {
            return Ok(None);
        };
        let size = file.metadata()?.len();
        Ok(Some(Backward {
            file,
            size,
            chunk,
            buf: Vec::new(),
            buf_start: size,
            cursor: size,
            mid_line: false,
            exhausted: false,
            bytes_read: 0,
        }))
    }

    /// The bytes from the buffer's start up to `end`, reading the chunk before `end` if the
    /// buffer does not reach back past it. `end` must be positive and never grow between calls.
    fn before(&mut self, end: u64) -> io::Result<&[u8]> {
        if end <= self.buf_start {
            let start = end.saturating_sub(self.chunk as u64);
            // The chunk is at most `self.chunk` long, so it fits a usize.
            self.buf.resize((end - start) as usize, 0);
            self.file.read_exact_at(&mut self.buf, start)?;
            self.bytes_read += end - start;
            self.buf_start = start;
        }
        Ok(&self.buf[..(end - self.buf_start) as usize])
    }

    /// The offset of the last newline before `end`, if any, reading backwards as needed.
    fn last_newline_before(&mut self, mut end: u64) -> io::Result<Option<u64>> {
        while end > 0 {
            let bytes = self.before(end)?;
            if let Some(i) = bytes.iter().rposition(|&b| b == b'\n') {
                return Ok(Some(self.buf_start + i as u64));
            }
            end = self.buf_start;
        }
        Ok(None)
    }

    /// The tail of the line before the cursor, then moves the cursor past it; `None` once the
    /// first line of the file was given. A line's beginning is only looked for when the next
    /// line is asked for, so a huge line whose tail holds what the caller wanted costs nothing
    /// more.
    fn next_line_tail(&mut self) -> io::Result<Option<LineTail>> {
        if self.mid_line {
            self.mid_line = false;
            match self.last_newline_before(self.cursor)? {
                Some(newline) => self.cursor = newline,
                None => self.exhausted = true,
            }
        }
        if self.exhausted {
            return Ok(None);
        }
        let end = self.cursor;
        let want = MAX_RECORD_LEN + 1;
        let mut bytes = Vec::new();
        let mut at = end;
        loop {
            if at == 0 {
                self.exhausted = true;
                break;
            }
            let segment = self.before(at)?;
            let segment_start = at - segment.len() as u64;
            let newline = segment.iter().rposition(|&b| b == b'\n');
            let from = newline.map_or(0, |i| i + 1);
            let room = want - bytes.len();
            if segment.len() - from > room {
                let piece = &segment[segment.len() - room..];
                bytes.splice(0..0, piece.iter().copied());
                at -= room as u64;
                self.mid_line = true;
                break;
            }
            bytes.splice(0..0, segment[from..].iter().copied());
            if let Some(i) = newline {
                at = segment_start + i as u64;
                break;
            }
            at = segment_start;
        }
        self.cursor = at;
        Ok(Some(LineTail { bytes, end }))
    }

    /// The offset where the last `n` lines of the file begin.
    fn start_of_last_lines(&mut self, n: usize) -> io::Result<u64> {
        if n == 0 {
            return Ok(self.size);
        }
        let mut end = self.size;
        // A final newline ends the last line; it does not start another one.
        if end > 0 && self.before(end)?.last() == Some(&b'\n') {
            end -= 1;
        }
        for _ in 0..n {
            match self.last_newline_before(end)? {
                Some(newline) => end = newline,
                None => return Ok(0),
            }
        }
        Ok(end + 1)
    }
}

#[cfg(test)]
mod tests;
