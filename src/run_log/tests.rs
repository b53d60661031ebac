//! Tests of the log lines and of reading them back from the end of a log.

use super::*;
use std::io::Write as _;

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
            run: None,
            ping: None,
            reason: None,
            signal: None,
            stopped: None,
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
            run: None,
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
    // The healthchecks ping's outcome, in the order the shell writes the keys.
    let mut pinged = end(T, J, 3, 7, None);
    if let Event::End { ping, run, .. } = &mut pinged.event {
        *ping = Some(Ping::Failed);
        *run = RunId::parse("4130-1764451688");
    }
    parses(
        &p(
            "[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 end exit=3 ping=failed run=4130-1764451688 seconds=7 by=cron",
        ),
        Some(pinged.clone()),
    );
    if let Event::End { ping, .. } = &mut pinged.event {
        *ping = Some(Ping::Ok);
    }
    parses(&p(&pinged.to_string()), Some(pinged));
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
        b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 seconds=1 ping=OK by=cron",
        b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 seconds=1 ping= by=cron",
        b"[crontainer] 2026-11-29T14:00:00Z j end exit=0 ping=ok ping=ok seconds=1 by=cron",
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
    assert_eq!(Trigger::CatchUp.to_string(), "catch-up");
}

#[test]
fn catch_up_records_are_read() {
    let p = |l: &str| l.as_bytes().to_vec();
    parses(
        &p("[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=9 by=catch-up"),
        Some(start(T, J, Some(9), Trigger::CatchUp)),
    );
    let skip =
        parse_line(b"[crontainer] 2026-11-29T14:00:00Z j skip reason=no-missed-slot by=catch-up")
            .unwrap();
    assert_eq!(skip.by, Trigger::CatchUp);
    assert_eq!(
        skip.event,
        Event::Skip {
            reason: "no-missed-slot".into(),
            run: None
        }
    );
    for bad in ["by=catch-upx", "by=catch_up", "by=catch-up:root"] {
        let line = format!("[crontainer] 2026-11-29T14:00:00Z j start {bad}");
        assert_eq!(parse_line(line.as_bytes()), None, "{bad}");
    }
    let record = start(T, J, Some(9), Trigger::CatchUp);
    assert!(record.to_string().ends_with(" by=catch-up"), "{record}");
    assert_eq!(parse_line(record.to_string().as_bytes()), Some(record));
}

#[test]
fn json() {
    let run = LastRun {
        started: Some(start(T, J, Some(7), alice())),
        ended: Some(end("2026-11-29T14:00:07Z", J, 0, 7, None)),
        last_skip: None,
        run: Some(RunId {
            pid: 7,
            started: at(T).as_second(),
        }),
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
            "run": format!("7-{}", at(T).as_second()),
        })
    );
}

#[test]
fn timed_out_and_succeeded() {
    let after = |exit, seconds, timeout| LastRun {
        started: Some(start(T, J, None, Trigger::Cron)),
        ended: Some(end(T, J, exit, seconds, timeout)),
        last_skip: None,
        run: None,
    };
    let ended = |exit, timeout| after(exit, 60, timeout);
    let cases = [
        (ended(0, None), false, Some(true)),
        (ended(0, Some(60)), false, Some(true)),
        (ended(1, Some(60)), false, Some(false)),
        (ended(124, None), false, Some(false)),
        (ended(124, Some(60)), true, Some(false)),
        (ended(137, Some(60)), true, Some(false)),
        (ended(143, Some(60)), true, Some(false)),
        (ended(125, Some(60)), false, Some(false)),
        // One second short: the two stamps round; killed well before the limit: not a timeout
        // (the container restarted under the run).
        (after(137, 59, Some(60)), true, Some(false)),
        (after(137, 12, Some(60)), false, Some(false)),
        (after(143, 0, Some(60)), false, Some(false)),
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
    assert_eq!(after(137, 12, Some(60)).killed_early(), Some((137, 12)));
    assert_eq!(after(137, 60, Some(60)).killed_early(), None);
    assert_eq!(after(137, 12, None).killed_early(), None);
}

#[test]
fn the_runners_reasons_are_read_and_said() {
    let last = |line: &str| LastRun {
        started: Some(start(T, J, None, Trigger::Cron)),
        ended: Some(parse_line(line.as_bytes()).expect(line)),
        last_skip: None,
        run: None,
    };
    let cases = [
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=130 seconds=2 reason=interrupted signal=INT run=7-1764424800 by=cron",
            false,
            Some("interrupted by SIGINT"),
        ),
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=124 seconds=2 timeout=2 reason=timeout run=7-1764424800 by=cron",
            true,
            Some("timed out"),
        ),
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=124 seconds=2 timeout=2 reason=timeout stopped=no run=7-1764424800 by=cron",
            true,
            Some("timed out, and could not be stopped in the container: it may still run there"),
        ),
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=69 seconds=0 reason=no_container run=7-1764424800 by=cron",
            false,
            Some("no container"),
        ),
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=143 seconds=2 reason=client_gone signal=TERM run=7-1764424800 by=cron",
            false,
            Some("its runtime client was killed by SIGTERM; the job was stopped in the container"),
        ),
        // 0.2's timeout: only the exit code says so.
        (
            "[crontainer] 2026-11-29T14:00:02Z j end exit=137 timeout=2 run=7-1764424800 seconds=2 by=cron",
            true,
            None,
        ),
    ];
    for (line, timed_out, reason) in cases {
        let run = last(line);
        assert_eq!(run.timed_out(), timed_out, "{line}");
        assert_eq!(run.end_reason().as_deref(), reason, "{line}");
    }
    // A value the runner never writes is no record at all.
    for bad in ["reason=Timeout", "signal=int", "stopped=maybe", "reason="] {
        let line =
            format!("[crontainer] 2026-11-29T14:00:02Z j end exit=1 seconds=2 {bad} by=cron");
        assert_eq!(parse_line(line.as_bytes()), None, "{line}");
    }
}

// ----- Reading files -----

fn log_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

fn last_run_with(path: &Path, job: &str, chunk: usize) -> (LastRun, u64) {
    match scan(path, job, None, chunk).unwrap() {
        Some(scan) => (scan.last, scan.reader.bytes_read),
        None => (LastRun::default(), 0),
    }
}

/// The simple truth the backward reader must agree with: the whole file, forwards. The newest
/// start is the run; the end that names it is its end, or for ends that name no run (0.1's), the
/// first end after it; skips that name another run are not its.
fn forward(bytes: &[u8], job: &str) -> (LastRun, Option<Vec<u8>>) {
    let mut started = None;
    let mut ends: Vec<Record> = Vec::new();
    let mut skips: Vec<Record> = Vec::new();
    let mut skip_any = None;
    let mut output = None;
    let mut offset = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if let Some((at, record)) = parse_record(line) {
            if record.job == job {
                match record.event {
                    Event::Start { .. } => {
                        started = Some(record);
                        ends.clear();
                        skips.clear();
                        output = Some(bytes[offset + at..].to_vec());
                    }
                    Event::End { .. } => ends.push(record),
                    Event::Skip { .. } => {
                        skip_any = Some(record.clone());
                        skips.push(record);
                    }
                }
            }
        }
        offset += line.len() + 1;
    }
    let names = |r: &Record| match &r.event {
        Event::End { run, .. } | Event::Skip { run, .. } => *run,
        Event::Start { .. } => None,
    };
    let Some(started) = started else {
        let last = LastRun {
            last_skip: skip_any,
            ..LastRun::default()
        };
        return (last, output);
    };
    let run = RunId::of_start(&started);
    let (ended, last_skip) = match run {
        Some(id) => {
            let ended = ends
                .iter()
                .rev()
                .find(|r| names(r) == Some(id))
                .cloned()
                .or_else(|| {
                    ends.iter()
                        .all(|r| names(r).is_none())
                        .then(|| ends.first().cloned())
                        .flatten()
                });
            let skip = skips
                .iter()
                .rev()
                .find(|r| names(r).is_none() || names(r) == Some(id))
                .cloned();
            (ended, skip)
        }
        None => (ends.first().cloned(), skips.last().cloned()),
    };
    let last = LastRun {
        started: Some(started),
        ended,
        last_skip,
        run,
    };
    (last, output)
}

fn forward_tail(bytes: &[u8], n: usize) -> Vec<u8> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if bytes.is_empty() {
        lines.clear();
    }
    let keep = lines.len().saturating_sub(n);
    let from: usize = lines[..keep].iter().map(|l| l.len() + 1).sum();
    bytes[from.min(bytes.len())..].to_vec()
}

#[track_caller]
fn agrees_with_forward(bytes: &[u8], job: &str, chunk: usize) {
    let file = log_file(bytes);
    let (expected, expected_output) = forward(bytes, job);
    let (got, _) = last_run_with(file.path(), job, chunk);
    assert_eq!(got, expected, "last_run, chunk {chunk}");
    let output = last_run_output_with(file.path(), job, None, chunk).unwrap();
    assert_eq!(output, expected_output, "last_run_output, chunk {chunk}");
    for n in 0..6 {
        assert_eq!(
            tail_lines_with(file.path(), n, chunk).unwrap(),
            forward_tail(bytes, n),
            "tail_lines {n}, chunk {chunk}"
        );
    }
}

const LOG: &str = "\
[crontainer] 2026-11-29T09:00:00Z main_pipeline_v2 start pid=10 by=cron
old output
[crontainer] 2026-11-29T09:00:05Z main_pipeline_v2 end exit=1 seconds=5 by=cron
[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start pid=1234 by=cron
[crontainer] 2026-11-29T14:00:00Z backup start pid=99 by=cron
processing...
[crontainer] 2026-11-29T14:00:02Z backup end exit=0 seconds=2 by=cron
progress 99%[crontainer] 2026-11-29T14:00:07Z main_pipeline_v2 end exit=0 seconds=7 by=cron
[crontainer] 2026-11-29T15:00:00Z main_pipeline_v2 skip reason=running by=cron
";

#[test]
fn last_run_of_a_shared_log() {
    let file = log_file(LOG.as_bytes());
    let run = last_run(file.path(), J).unwrap();
    assert_eq!(
        run,
        LastRun {
            started: Some(start(T, J, Some(1234), Trigger::Cron)),
            ended: Some(end("2026-11-29T14:00:07Z", J, 0, 7, None)),
            last_skip: Some(skip("2026-11-29T15:00:00Z", J, "running")),
            run: Some(RunId {
                pid: 1234,
                started: at(T).as_second(),
            }),
        }
    );
    assert_eq!(run.succeeded(), Some(true));
    let output = last_run_output(file.path(), J, None).unwrap().unwrap();
    assert!(output.starts_with(b"[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start"));
    assert!(LOG.as_bytes().ends_with(&output));
    let backup = last_run(file.path(), "backup").unwrap();
    assert_eq!(backup.succeeded(), Some(true));
    assert_eq!(backup.last_skip, None);
    assert_eq!(last_run(file.path(), "other").unwrap(), LastRun::default());
    assert_eq!(last_run_output(file.path(), "other", None).unwrap(), None);
    assert_eq!(
        tail_lines(file.path(), 2).unwrap(),
        LOG.lines()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .fold(Vec::new(), |mut v, l| {
                v.extend_from_slice(l.as_bytes());
                v.push(b'\n');
                v
            })
    );
}

#[test]
fn every_chunk_size_agrees_with_forward() {
    let crlf = LOG.replace('\n', "\r\n");
    let unterminated = LOG.trim_end();
    let running =
        "old\n[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron\nhalf a line";
    let glued_start =
        "other job's output[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron\nout\n";
    let logs = [
        LOG,
        &crlf,
        unterminated,
        running,
        glued_start,
        "",
        "\n",
        "no records",
    ];
    for log in logs {
        let chunks = (1..=48).chain([64, 100, 127, 128, 129, 256, 500, LOG.len(), 4096]);
        for chunk in chunks {
            agrees_with_forward(log.as_bytes(), J, chunk);
            agrees_with_forward(log.as_bytes(), "backup", chunk);
        }
    }
}

#[test]
fn record_straddling_chunks_in_a_long_line() {
    // The record sits at the end of a line much longer than a record, in every position
    // relative to the chunk boundaries.
    for pad in 0..40 {
        let mut log = b"x".repeat(3 * MAX_RECORD_LEN + pad);
        log.extend_from_slice(
            b"[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start by=cron\nafter\n",
        );
        for chunk in [1, 7, 64, 100, 1000, 4096] {
            agrees_with_forward(&log, J, chunk);
        }
    }
}

#[test]
fn missing_file_never_ran() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.log");
    assert_eq!(last_run(&path, J).unwrap(), LastRun::default());
    assert_eq!(last_run_output(&path, J, None).unwrap(), None);
    assert_eq!(tail_lines(&path, 10).unwrap(), b"");
}

#[test]
fn other_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // Reading a directory fails with EISDIR at the first read.
    let err = last_run(dir.path(), J).unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn appended_after_open_is_not_read() {
    let file = log_file(LOG.as_bytes());
    let mut reader = Backward::open(file.path(), 16).unwrap().unwrap();
    let mut appender = std::fs::OpenOptions::new()
        .append(true)
        .open(file.path())
        .unwrap();
    appender
        .write_all(b"[crontainer] 2026-11-29T16:00:00Z main_pipeline_v2 start by=cron\n")
        .unwrap();
    let first = reader.next_line_tail().unwrap().unwrap();
    assert_eq!(first.end, LOG.len() as u64);
    assert_eq!(first.bytes, b"");
    let second = reader.next_line_tail().unwrap().unwrap();
    assert_eq!(
        parse_line(&second.bytes),
        Some(skip("2026-11-29T15:00:00Z", J, "running"))
    );
}

#[test]
fn large_log_reads_only_its_end() {
    const FILLER: u64 = 100 * 1024 * 1024;
    let file = tempfile::NamedTempFile::new().unwrap();
    // Sparse: 100 MiB of zeros (one huge line with no newline) costs no disk.
    file.as_file().set_len(FILLER).unwrap();
    let mut handle = std::fs::OpenOptions::new()
        .append(true)
        .open(file.path())
        .unwrap();
    // Glued straight after the filler, so finding its line's beginning would mean reading
    // all 100 MiB: the reader must stop at the record instead.
    handle.write_all(LOG.as_bytes()).unwrap();
    handle.flush().unwrap();

    let (run, read) = last_run_with(file.path(), J, CHUNK_LEN);
    assert_eq!(run.started, Some(start(T, J, Some(1234), Trigger::Cron)));
    assert!(read <= CHUNK_LEN as u64, "read {read} bytes");

    let (run, read) = last_run_with(file.path(), "backup", CHUNK_LEN);
    assert_eq!(run.succeeded(), Some(true));
    assert!(read <= CHUNK_LEN as u64, "read {read} bytes");

    let output = last_run_output(file.path(), J, None).unwrap().unwrap();
    assert!(LOG.as_bytes().ends_with(&output));

    // A job that never ran here needs the whole file, in bounded memory.
    let (run, read) = last_run_with(file.path(), "other", CHUNK_LEN);
    assert_eq!(run, LastRun::default());
    assert_eq!(read, FILLER + LOG.len() as u64);

    let mut reader = Backward::open(file.path(), CHUNK_LEN).unwrap().unwrap();
    assert_eq!(reader.start_of_last_lines(3).unwrap(), {
        let lines: Vec<&str> = LOG.lines().collect();
        let kept: usize = lines[lines.len() - 3..].iter().map(|l| l.len() + 1).sum();
        FILLER + (LOG.len() - kept) as u64
    });
    assert!(reader.bytes_read <= CHUNK_LEN as u64);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn job() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(J.to_owned()),
            Just("backup".to_owned()),
            "[a-z0-9_-]{1,12}"
        ]
    }

    fn trigger() -> impl Strategy<Value = Trigger> {
        prop_oneof![
            Just(Trigger::Cron),
            Just(Trigger::CatchUp),
            "[a-z][a-z0-9._@-]{0,20}".prop_map(|user| Trigger::RunNow { user }),
        ]
    }

    fn run_id() -> impl Strategy<Value = Option<RunId>> {
        proptest::option::of(
            (any::<u32>(), 0i64..4_000_000_000).prop_map(|(pid, started)| RunId { pid, started }),
        )
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            proptest::option::of(any::<u32>()).prop_map(|pid| Event::Start { pid }),
            (
                any::<i32>(),
                any::<u64>(),
                proptest::option::of(any::<u64>()),
                run_id(),
                proptest::option::of(prop_oneof![Just(Ping::Ok), Just(Ping::Failed)]),
                (
                    proptest::option::of("[a-z_-]{1,12}"),
                    proptest::option::of("[A-Z]{1,6}"),
                    proptest::option::of(any::<bool>()),
                ),
            )
                .prop_map(
                    |(exit, seconds, timeout, run, ping, (reason, signal, stopped))| Event::End {
                        exit,
                        seconds,
                        timeout,
                        run,
                        ping,
                        reason,
                        signal,
                        stopped,
                    },
                ),
            ("[a-z_]{1,10}", run_id()).prop_map(|(reason, run)| Event::Skip { reason, run }),
        ]
    }

    fn record() -> impl Strategy<Value = Record> {
        // Years 1970 to 2096: what `date +%F` writes with four digits.
        (0i64..4_000_000_000, job(), event(), trigger()).prop_map(|(second, job, event, by)| {
            Record {
                at: Timestamp::from_second(second).unwrap(),
                job,
                event,
                by,
            }
        })
    }

    /// Output as jobs write it: any bytes, biased towards newlines, CRs and markers.
    fn output() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..20),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(MARKER.to_vec()),
            Just(b"[crontainer] 2026-11-29T14:00:00Z main_pipeline_v2 start".to_vec()),
            (0usize..3000).prop_map(|n| b"y".repeat(n)),
        ];
        proptest::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
    }

    fn log() -> impl Strategy<Value = Vec<u8>> {
        let item = (output(), record(), any::<bool>());
        (proptest::collection::vec(item, 0..12), output()).prop_map(|(items, trailer)| {
            let mut log = Vec::new();
            for (output, record, crlf) in items {
                log.extend_from_slice(&output);
                log.extend_from_slice(record.to_string().as_bytes());
                log.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            log.extend_from_slice(&trailer);
            log
        })
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(record in record()) {
            prop_assert_eq!(parse_line(record.to_string().as_bytes()), Some(record));
        }

        #[test]
        fn parse_line_never_panics(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_line(&line);
        }

        #[test]
        fn backward_reader_agrees_with_forward_parse(
            log in log(),
            job in prop_oneof![Just(J.to_owned()), Just("backup".to_owned())],
            chunk in prop_oneof![1usize..80, 80usize..5000],
        ) {
            agrees_with_forward(&log, &job, chunk);
        }
    }
}
