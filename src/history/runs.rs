//! Runs, not records: a job with `retries` writes one record per attempt, all with the run's id,
//! and the run is what `history`, `status` and `metrics` count. Its last attempt decides its
//! result (an earlier attempt failed, or it would not have been tried again), and its duration
//! is from its first attempt's start to its last attempt's end, retry delays included: what the
//! log's end line says (`seconds=`), what a log-only history reads, and what `status` measures
//! of a run going now, so a run going now is compared with like.
//!
//! The runner also records an attempt when it starts (a run record with no end, see
//! [`Entry::is_start`]; `exec::ledger`), so that a run whose runner was killed or whose host went
//! down is not missing: the attempt's end record, once written, supersedes it; an attempt with
//! none is going now (its run id is the lock's and the lock is held) or did not finish.

use super::{Entry, Kind};

/// One run; never without an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<'a> {
    /// One record per attempt, oldest first: its end record, or for an attempt without one
    /// (going now, or killed) the record written when it started.
    pub attempts: Vec<&'a Entry>,
    /// Where each of `attempts` is in the records the run was found in.
    pub at: Vec<usize>,
    /// Where the start records are that an end record supersedes (the run keeps them, but
    /// shows and counts the end records).
    pub superseded: Vec<usize>,
}

impl<'a> Run<'a> {
    /// The first attempt's record.
    pub fn first(&self) -> &'a Entry {
        self.attempts[0]
    }

    /// The last attempt's record: it decides the run's result.
    pub fn last(&self) -> &'a Entry {
        self.attempts[self.attempts.len() - 1]
    }

    /// The run id, when the records have one (a log-only history of 0.2 lines has none).
    pub fn id(&self) -> Option<&'a str> {
        self.first().run.as_deref()
    }

    /// Whether its last attempt ended (else it is going now, or did not finish).
    pub fn ended(&self) -> bool {
        !self.last().is_start()
    }

    pub fn succeeded(&self) -> bool {
        self.last().succeeded()
    }

    /// Not succeeded: ended otherwise, or did not end (the caller leaves out a run going now).
    pub fn failed(&self) -> bool {
        !self.succeeded()
    }

    /// First attempt's start to last attempt's end, in seconds; one attempt's own duration;
    /// None for a run that did not end.
    pub fn seconds(&self) -> Option<u64> {
        let (first, last) = (self.first(), self.last());
        if !self.ended() {
            return None;
        }
        if self.attempts.len() == 1 {
            return last.seconds;
        }
        match last.end {
            Some(end) => u64::try_from(end.as_second() - first.start.as_second()).ok(),
            None => last.seconds,
        }
    }

    /// How many attempts the run made (its highest attempt number recorded).
    pub fn attempts_made(&self) -> u32 {
        self.attempts.iter().map(|e| e.attempt).max().unwrap_or(1)
    }

    /// Every record of the run: its attempts' and the start records they supersede.
    pub fn records(&self) -> impl Iterator<Item = usize> + '_ {
        self.at.iter().chain(&self.superseded).copied()
    }
}

/// The runs among `entries` (skips are not runs): records of one run id make one run, a record
/// without a run id is a run of its own. Ordered by their last record, so the newest run to
/// be recorded is last.
pub fn runs(entries: &[Entry]) -> Vec<Run<'_>> {
    let mut by_id: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    // Each run, and the index of its newest record.
    let mut groups: Vec<(usize, Run<'_>)> = Vec::new();
    for (at, entry) in entries.iter().enumerate() {
        if entry.kind != Kind::Run {
            continue;
        }
        let group = match entry.run.as_deref() {
            Some(id) if by_id.contains_key(id) => by_id[id],
            id => {
                if let Some(id) = id {
                    by_id.insert(id, groups.len());
                }
                let run = Run {
                    attempts: Vec::new(),
                    at: Vec::new(),
                    superseded: Vec::new(),
                };
                groups.push((at, run));
                groups.len() - 1
            }
        };
        let (newest, run) = &mut groups[group];
        *newest = at;
        // The start record of the same attempt, which this end record supersedes.
        let started = run
            .attempts
            .iter()
            .position(|a| a.is_start() && a.attempt == entry.attempt);
        match started {
            Some(i) if !entry.is_start() => {
                run.superseded.push(run.at[i]);
                run.attempts[i] = entry;
                run.at[i] = at;
            }
            _ => {
                run.attempts.push(entry);
                run.at.push(at);
            }
        }
    }
    groups.sort_by_key(|(newest, _)| *newest);
    groups.into_iter().map(|(_, run)| run).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(run: &str, start: i64, seconds: u64, exit: i32, attempt: u32) -> Entry {
        let start = jiff::Timestamp::from_second(start).unwrap();
        Entry {
            kind: Kind::Run,
            job: "j".to_owned(),
            block: String::new(),
            run: Some(run.to_owned()),
            trigger: "cron".to_owned(),
            start,
            end: Some(start + jiff::SignedDuration::from_secs(seconds as i64)),
            seconds: Some(seconds),
            exit: Some(exit),
            reason: None,
            ping: None,
            attempt,
        }
    }

    #[test]
    fn the_attempts_of_a_run_are_one_run_its_last_deciding() {
        let mut skip = attempt("1-1", 50, 0, 0, 1);
        skip.kind = Kind::Skip;
        let mut anonymous = attempt("x", 5, 1, 0, 1);
        anonymous.run = None;
        let entries = vec![
            anonymous.clone(),
            attempt("1-1", 10, 3, 3, 1),
            // Another run ends between two attempts (`concurrency = "allow"`).
            attempt("2-2", 12, 1, 0, 1),
            attempt("1-1", 43, 3, 3, 2),
            skip,
            attempt("1-1", 106, 4, 0, 3),
            anonymous,
        ];
        let runs = runs(&entries);
        let summary: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{:?} attempts={} ok={} seconds={:?} made={}",
                    r.id(),
                    r.attempts.len(),
                    r.succeeded(),
                    r.seconds(),
                    r.attempts_made(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "None attempts=1 ok=true seconds=Some(1) made=1",
                "Some(\"2-2\") attempts=1 ok=true seconds=Some(1) made=1",
                // 10 to 110: three attempts and the delays between them.
                "Some(\"1-1\") attempts=3 ok=true seconds=Some(100) made=3",
                "None attempts=1 ok=true seconds=Some(1) made=1",
            ]
        );
    }

    #[test]
    fn an_end_record_supersedes_its_attempts_start_record() {
        let started = |run: &str, start: i64, n: u32| Entry {
            end: None,
            seconds: None,
            exit: None,
            ..attempt(run, start, 0, 0, n)
        };
        let entries = vec![
            started("1-1", 10, 1),
            started("2-2", 12, 1),
            attempt("1-1", 10, 3, 3, 1),
            started("1-1", 43, 2),
            attempt("1-1", 43, 3, 0, 2),
            started("3-3", 60, 1),
        ];
        let runs = runs(&entries);
        let summary: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{:?} at={:?} superseded={:?} ended={} ok={} seconds={:?}",
                    r.id(),
                    r.at,
                    r.superseded,
                    r.ended(),
                    r.succeeded(),
                    r.seconds(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                // Killed, or going now: the lock tells.
                "Some(\"2-2\") at=[1] superseded=[] ended=false ok=false seconds=None",
                "Some(\"1-1\") at=[2, 4] superseded=[0, 3] ended=true ok=true seconds=Some(36)",
                "Some(\"3-3\") at=[5] superseded=[] ended=false ok=false seconds=None",
            ]
        );
    }
}
