//! Runs, not records: a job with `retries` writes one record per attempt, all with the run's id,
//! and the run is what `history`, `status` and `metrics` count. Its last attempt decides its
//! result (an earlier attempt failed, or it would not have been tried again), and its duration
//! is from its first attempt's start to its last attempt's end, retry delays included: what the
//! log's end line says (`seconds=`), what a log-only history reads, and what `status` measures
//! of a run going now, so a run going now is compared with like.

use super::{Entry, Kind};

/// The records of one run, oldest first; never empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<'a> {
    pub attempts: Vec<&'a Entry>,
    /// Where each attempt's record is in the records the run was found in.
    pub at: Vec<usize>,
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

    pub fn succeeded(&self) -> bool {
        self.last().succeeded()
    }

    pub fn failed(&self) -> bool {
        !self.succeeded()
    }

    /// First attempt's start to last attempt's end, in seconds; one attempt's own duration.
    pub fn seconds(&self) -> Option<u64> {
        let (first, last) = (self.first(), self.last());
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
}

/// The runs among `entries` (skips are not runs): records of one run id make one run, a record
/// without a run id is a run of its own. Ordered by their last record, so the newest run to end
/// is last.
pub fn runs(entries: &[Entry]) -> Vec<Run<'_>> {
    indices(entries)
        .into_iter()
        .map(|at| Run {
            attempts: at.iter().map(|&i| &entries[i]).collect(),
            at,
        })
        .collect()
}

/// [`runs`], as the indices of each run's records in `entries`.
fn indices(entries: &[Entry]) -> Vec<Vec<usize>> {
    let mut by_id: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (at, entry) in entries.iter().enumerate() {
        if entry.kind != Kind::Run {
            continue;
        }
        match entry.run.as_deref() {
            Some(id) if by_id.contains_key(id) => groups[by_id[id]].push(at),
            id => {
                if let Some(id) = id {
                    by_id.insert(id, groups.len());
                }
                groups.push(vec![at]);
            }
        }
    }
    // A group's last index is its newest record.
    groups.sort_by_key(|at| at[at.len() - 1]);
    groups
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
}
