//! The runs a log still holds, as ledger records: for blocks 0.1 and 0.2 wrote (their shell
//! lines keep no ledger) and for runner jobs that have not run since the upgrade. Only what the
//! log kept through rotation is there; each end line carries its duration, so a start line is
//! not needed (a run whose start was rotated away still counts).

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::{Entry, Kind, trigger_word};
use crate::run_log::{self, Event};

/// The most of a log's end that is read: the default rotation keeps 10 MiB per file.
const MAX_READ: u64 = 64 * 1024 * 1024;

/// The records of job `job` in the log at `path`, oldest first; None when there is no log.
pub fn read(path: &Path, job: &str) -> Result<Option<Vec<Entry>>> {
    // A user's log, read as root too: non-blocking, a regular file only, no symlink followed.
    let Some(mut file) = crate::safe_file::open_regular(path)
        .with_context(|| format!("could not open {}", path.display()))?
    else {
        return Ok(None);
    };
    let from = file.metadata()?.len().saturating_sub(MAX_READ);
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    file.take(MAX_READ).read_to_end(&mut bytes)?;
    Ok(Some(entries(&bytes, job)))
}

/// The records in a log's text.
pub fn entries(bytes: &[u8], job: &str) -> Vec<Entry> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(run_log::parse_line)
        .filter(|r| r.job == job)
        .filter_map(|record| {
            let trigger = trigger_word(&record.by);
            let base = |kind, start| Entry {
                kind,
                job: job.to_owned(),
                block: String::new(),
                run: None,
                trigger,
                start,
                end: None,
                seconds: None,
                exit: None,
                reason: None,
                ping: None,
                attempt: 1,
            };
            match record.event {
                Event::Start { .. } => None,
                Event::End {
                    exit,
                    seconds,
                    run,
                    ping,
                    reason,
                    ..
                } => {
                    let start = record
                        .at
                        .checked_sub(jiff::SignedDuration::from_secs(
                            i64::try_from(seconds).unwrap_or(0),
                        ))
                        .unwrap_or(record.at);
                    Some(Entry {
                        run: run.map(|r| r.to_string()),
                        end: Some(record.at),
                        seconds: Some(seconds),
                        exit: Some(exit),
                        reason,
                        ping: ping.map(|p| p.to_string()),
                        ..base(Kind::Run, start)
                    })
                }
                Event::Skip { reason, run } => Some(Entry {
                    run: run.map(|r| r.to_string()),
                    reason: Some(reason),
                    ..base(Kind::Skip, record.at)
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_02_log_gives_its_runs_and_skips() {
        let log = b"[crontainer] 2026-11-29T14:00:00Z j start pid=1234 by=cron\n\
            out\n\
            [crontainer] 2026-11-29T14:00:07Z j end exit=0 seconds=7 by=cron\n\
            [crontainer] 2026-11-29T15:00:00Z j skip reason=running by=cron\n\
            [crontainer] 2026-11-29T15:00:00Z other end exit=0 seconds=7 by=cron\n\
            [crontainer] 2026-11-29T19:00:09Z j end exit=2 ping=failed run=4130-1764451688 seconds=9 by=run-now:alice\n";
        let got: Vec<String> = entries(log, "j")
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        assert_eq!(
            got,
            [
                r#"{"kind":"run","job":"j","block":"","run":null,"trigger":"cron","start":"2026-11-29T14:00:00Z","end":"2026-11-29T14:00:07Z","seconds":7,"exit":0,"reason":null,"ping":null,"attempt":1}"#,
                r#"{"kind":"skip","job":"j","block":"","run":null,"trigger":"cron","start":"2026-11-29T15:00:00Z","end":null,"seconds":null,"exit":null,"reason":"running","ping":null,"attempt":1}"#,
                r#"{"kind":"run","job":"j","block":"","run":"4130-1764451688","trigger":"run-now:alice","start":"2026-11-29T19:00:00Z","end":"2026-11-29T19:00:09Z","seconds":9,"exit":2,"reason":null,"ping":"failed","attempt":1}"#,
            ]
        );
    }
}
