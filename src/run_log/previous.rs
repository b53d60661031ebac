//! The run before a running one: while a run is going, its start has no end yet, and a
//! monitor that shows only that run loses the last outcome for the whole run (issue 25: an
//! alert on `time() - crontainer_job_last_success_timestamp_seconds` went empty during every run
//! of a `* * * * *` job). The previous run's end lies just before the running run's start
//! record: between them the line writes only skip records.
//!
//! The end is taken only as the first record of the job met going back from the running run's
//! start, and paired with its run by the id it names: a job's output comes before its own end
//! line, so it cannot put a forged end in that place.

use std::path::Path;

use anyhow::Context as _;

use super::{Backward, CHUNK_LEN, Event, Record, RunId, parse_record};

/// How many lines past the running run's start are looked at for the previous end: only skip
/// records belong there, so a log without one that close has no previous end to show.
const LOOK_BACK_LINES: usize = 256;

/// The end record of the run before `running`, read from `path` (and from `<path>.1` when a
/// copytruncate rotation moved the running start there); None when the job's record just before
/// the running start is not an end that names its run (it never ended, or 0.1 wrote it).
pub fn previous_end(path: &Path, job: &str, running: RunId) -> anyhow::Result<Option<Record>> {
    let mut rotated = path.as_os_str().to_owned();
    rotated.push(".1");
    let mut passed_start = false;
    for file in [path, Path::new(&rotated)] {
        match previous_end_in(file, job, running, &mut passed_start, CHUNK_LEN)? {
            Found::End(record) => return Ok(Some(record)),
            Found::Nothing => return Ok(None),
            Found::NotHere => {}
        }
    }
    Ok(None)
}

enum Found {
    End(Record),
    /// Looked where the end should be, and it is not there.
    Nothing,
    /// The file ended first: go on in the older one.
    NotHere,
}

fn previous_end_in(
    path: &Path,
    job: &str,
    running: RunId,
    passed_start: &mut bool,
    chunk: usize,
) -> anyhow::Result<Found> {
    let context = || format!("could not read log {}", path.display());
    let Some(mut reader) = Backward::open(path, chunk).with_context(context)? else {
        return Ok(Found::NotHere);
    };
    let mut looked = 0;
    while let Some(tail) = reader.next_line_tail().with_context(context)? {
        if *passed_start {
            looked += 1;
            if looked > LOOK_BACK_LINES {
                return Ok(Found::Nothing);
            }
        }
        let Some((_, record)) = parse_record(&tail.bytes) else {
            continue;
        };
        if record.job != job {
            continue;
        }
        match &record.event {
            Event::Start { .. } if !*passed_start => {
                *passed_start = RunId::of_start(&record) == Some(running);
            }
            Event::Start { .. } => return Ok(Found::Nothing),
            Event::End { run: Some(run), .. } if *passed_start => {
                return Ok(if *run != running {
                    Found::End(record)
                } else {
                    Found::Nothing
                });
            }
            Event::End { .. } if *passed_start => return Ok(Found::Nothing),
            _ => {}
        }
    }
    Ok(Found::NotHere)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "j";

    fn log(lines: &[&str]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for line in lines {
            std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()).unwrap();
        }
        file
    }

    const RUNNING: RunId = RunId {
        pid: 20,
        started: 1_764_428_460,
    };
    const START_1: &str = "[crontainer] 2025-11-29T15:00:00Z j start pid=10 by=cron";
    const END_1: &str =
        "[crontainer] 2025-11-29T15:00:03Z j end exit=3 seconds=3 run=10-1764428400 by=cron";
    const START_2: &str = "[crontainer] 2025-11-29T15:01:00Z j start pid=20 by=cron";

    #[track_caller]
    fn case(lines: &[&str], want: Option<&str>) {
        let file = log(lines);
        let got = previous_end(file.path(), JOB, RUNNING).unwrap();
        assert_eq!(got.map(|r| r.to_string()), want.map(str::to_string));
    }

    #[test]
    fn the_end_just_before_the_running_start_is_the_previous_run() {
        let skip =
            "[crontainer] 2025-11-29T15:00:30Z j skip reason=running run=10-1764428400 by=cron";
        case(&[START_1, "out", END_1, START_2, "more"], Some(END_1));
        case(&[START_1, END_1, skip, START_2], Some(END_1));
        // The previous run never ended: no end to show, not an older one.
        let end_0 =
            "[crontainer] 2025-11-29T14:59:03Z j end exit=0 seconds=3 run=9-1764428340 by=cron";
        case(&[end_0, START_1, "out", START_2], None);
        // Only the running run: nothing before it.
        case(&[START_2, "out"], None);
        // The running start is not in the log (nor a rotated one).
        case(&[START_1, END_1], None);
    }

    #[test]
    fn output_of_the_running_run_cannot_stand_for_the_previous_end() {
        let forged =
            "[crontainer] 2025-11-29T15:01:01Z j end exit=0 seconds=1 run=10-1764428400 by=cron";
        case(&[START_1, END_1, START_2, forged], Some(END_1));
    }

    #[test]
    fn a_rotation_during_the_run_moves_the_search_into_the_older_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.log");
        std::fs::write(&path, "output after the rotation\n").unwrap();
        std::fs::write(
            dir.path().join("j.log.1"),
            format!("{START_1}\n{END_1}\n{START_2}\nout\n"),
        )
        .unwrap();
        let got = previous_end(&path, JOB, RUNNING).unwrap();
        assert_eq!(got.map(|r| r.to_string()), Some(END_1.to_string()));
    }
}
