//! How long a job usually takes, and the judgements `status` makes with it: a run going far past
//! its usual duration, a run that ended far faster than usual, and a run that hangs while its
//! next firings are skipped. The thresholds live here, once, and README ("What `status` calls
//! unhealthy") states them.

use serde::Serialize;

use super::runs::{Run, runs};
use super::summary::percentile;
use super::{Entry, Kind};
use crate::ui::human_duration;

/// Fewer successful runs than this say nothing about what is usual.
pub const MIN_RUNS: usize = 5;
/// The usual duration is that of the newest this many successful runs.
pub const WINDOW: usize = 100;
/// A run is far past its usual duration beyond this many times its p95 ...
pub const LONG_FACTOR: u64 = 2;
/// ... and at least this much past the p95 (seconds), so a 5 s job taking 11 s is not news.
pub const LONG_FLOOR: u64 = 10 * 60;
/// A successful run is far faster than usual below the p5 divided by this ...
pub const FAST_DIVISOR: u64 = 4;
/// ... only for a job whose p5 is at least this long (seconds): a short job's variance is noise.
pub const FAST_FLOOR: u64 = 60;
/// A run still going that made this many firings skip hangs, when it also runs past
/// [`LONG_FACTOR`] x p95 (or when there is no usual duration to compare with).
pub const HUNG_SKIPS: usize = 3;

/// The usual duration of a job's successful runs, in seconds (nearest-rank percentiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usual {
    pub runs: usize,
    pub p5_seconds: u64,
    pub p50_seconds: u64,
    pub p95_seconds: u64,
}

impl Usual {
    /// From the newest [`WINDOW`] successful runs; None under [`MIN_RUNS`]. A retried run's
    /// duration spans its attempts ([`super::runs`]): what a run going now is measured by.
    pub fn of(runs: &[Run<'_>]) -> Option<Usual> {
        let mut durations: Vec<u64> = runs
            .iter()
            .rev()
            .filter(|r| r.succeeded())
            .filter_map(|r| r.seconds())
            .take(WINDOW)
            .collect();
        if durations.len() < MIN_RUNS {
            return None;
        }
        durations.sort_unstable();
        Some(Usual {
            runs: durations.len(),
            p5_seconds: percentile(&durations, 5)?,
            p50_seconds: percentile(&durations, 50)?,
            p95_seconds: percentile(&durations, 95)?,
        })
    }

    /// A run going for `elapsed` seconds is far past this.
    pub fn far_past(&self, elapsed: u64) -> bool {
        elapsed > self.p95_seconds.saturating_mul(LONG_FACTOR)
            && elapsed >= self.p95_seconds.saturating_add(LONG_FLOOR)
    }

    /// A successful run that took `seconds` was far faster than this.
    pub fn far_faster(&self, seconds: u64) -> bool {
        self.p5_seconds >= FAST_FLOOR && seconds.saturating_mul(FAST_DIVISOR) < self.p5_seconds
    }
}

/// A run going for `elapsed` seconds that made `skipped` firings skip hangs.
pub fn hung(skipped: usize, elapsed: u64, usual: Option<&Usual>) -> bool {
    skipped >= HUNG_SKIPS
        && usual.is_none_or(|u| elapsed > u.p95_seconds.saturating_mul(LONG_FACTOR))
}

/// What `status` and `metrics` say about a job's durations, from its run history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// How long its successful runs usually take (the runs before the last, or before the one
    /// going now); None under [`MIN_RUNS`] of them.
    pub usual: Option<Usual>,
    /// How long the run going now has been running.
    pub running_seconds: Option<u64>,
    /// How many firings the run going now made skip.
    pub skipped_while_running: usize,
    /// How long the last run took, when it succeeded.
    pub last_succeeded_seconds: Option<u64>,
    /// Failed runs in the history read (a retried run once, by its last attempt; not the run
    /// going now); None without a run history.
    pub failures: Option<usize>,
}

impl Durations {
    /// From a job's records (oldest first) and, for a run going now, its id and how long it has
    /// been going.
    pub fn of(entries: &[Entry], running: Option<(&str, u64)>) -> Durations {
        let all = runs(entries);
        // The run going now has no result yet: its failed attempts so far are not a failure.
        let ended: Vec<Run<'_>> = all
            .into_iter()
            .filter(|r| running.is_none_or(|(id, _)| r.id() != Some(id)))
            .collect();
        let (before, last) = match (running, ended.split_last()) {
            (None, Some((last, before))) => (before, Some(last)),
            _ => (&ended[..], None),
        };
        Durations {
            usual: Usual::of(before),
            running_seconds: running.map(|(_, elapsed)| elapsed),
            skipped_while_running: running.map_or(0, |(run, _)| skipped_for(entries, run)),
            last_succeeded_seconds: last.filter(|r| r.succeeded()).and_then(|r| r.seconds()),
            failures: Some(ended.iter().filter(|r| r.failed()).count()),
        }
    }

    /// What makes the job unhealthy here: a hang, a run far past its usual duration, or a last
    /// run far faster than usual.
    pub fn problem(&self) -> Option<String> {
        let usual_words = |u: &Usual| {
            format!(
                "usually {} (p95 {})",
                human_duration(u.p50_seconds),
                human_duration(u.p95_seconds)
            )
        };
        if let Some(elapsed) = self.running_seconds {
            if hung(self.skipped_while_running, elapsed, self.usual.as_ref()) {
                return Some(format!(
                    "running for {} while {} firings were skipped: it may hang{} (a `timeout` \
                     would stop it)",
                    human_duration(elapsed),
                    self.skipped_while_running,
                    self.usual
                        .as_ref()
                        .map(|u| format!("; {}", usual_words(u)))
                        .unwrap_or_default()
                ));
            }
            let usual = self.usual.as_ref()?;
            return usual.far_past(elapsed).then(|| {
                format!(
                    "running for {}; {}: far past its usual duration",
                    human_duration(elapsed),
                    usual_words(usual)
                )
            });
        }
        let (usual, seconds) = (self.usual.as_ref()?, self.last_succeeded_seconds?);
        usual.far_faster(seconds).then(|| {
            format!(
                "the last run succeeded in {}; {}: far faster than usual, did it do its work?",
                human_duration(seconds),
                usual_words(usual)
            )
        })
    }

    /// "about 40m (p95 42m, over 12 runs)", when known.
    pub fn usual_words(&self) -> Option<String> {
        self.usual.as_ref().map(|u| {
            format!(
                "about {} (p95 {}, over {} runs)",
                human_duration(u.p50_seconds),
                human_duration(u.p95_seconds),
                u.runs
            )
        })
    }
}

/// The firings skipped because run `run` (`PID-EPOCH`) held the lock.
pub fn skipped_for(entries: &[Entry], run: &str) -> usize {
    entries
        .iter()
        .filter(|e| e.kind == Kind::Skip && e.run.as_deref() == Some(run))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usual(p5: u64, p95: u64) -> Usual {
        Usual {
            runs: 10,
            p5_seconds: p5,
            p50_seconds: (p5 + p95) / 2,
            p95_seconds: p95,
        }
    }

    #[test]
    fn thresholds() {
        let forty_minutes = usual(38 * 60, 42 * 60);
        assert!(!forty_minutes.far_past(84 * 60));
        assert!(forty_minutes.far_past(84 * 60 + 1));
        // A short job needs the floor too: 5 s usually, 11 s is not far past, 11 minutes is.
        let short = usual(4, 5);
        assert!(!short.far_past(11));
        assert!(short.far_past(10 * 60 + 5));
        assert!(forty_minutes.far_faster(2));
        assert!(!forty_minutes.far_faster(10 * 60));
        assert!(!short.far_faster(0), "under the floor, never too fast");
        assert!(hung(3, 60, None));
        assert!(!hung(2, 3600, None));
        assert!(!hung(14, 84 * 60, Some(&forty_minutes)));
        assert!(hung(14, 84 * 60 + 1, Some(&forty_minutes)));
    }
}
