//! What a job's runs add up to: runs, failures, success rate, the usual duration (p50, p95), and
//! the recent durations at a glance as a one-line sparkline (scaled from the shortest to the
//! longest shown, see [`sparkline`]). Pure: `history`, and later `status`
//! and `metrics`, compute the same numbers here.

use serde::Serialize;

use super::runs::runs;
use super::{Entry, Kind};

/// The numbers of a set of runs (skipped firings are not runs; the attempts of a run with
/// retries are one run, its last attempt deciding, see [`super::runs`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub failures: usize,
    pub skipped: usize,
    /// Runs that took more than one attempt.
    pub retried: usize,
    /// Runs that did not finish (their runner was killed, the host went down), among the
    /// failures.
    pub did_not_finish: usize,
    /// Successful runs over runs, 0 to 1; None without a run.
    pub success_rate: Option<f64>,
    /// The median duration of the runs, in seconds (nearest rank; a retried run's from its
    /// first attempt's start to its last's end).
    pub p50_seconds: Option<u64>,
    /// The 95th percentile duration, in seconds (nearest rank).
    pub p95_seconds: Option<u64>,
}

impl Summary {
    /// Of `entries`, leaving out run `going` (the lock's, while held): it has no result yet.
    pub fn of(entries: &[Entry], going: Option<&str>) -> Summary {
        let runs: Vec<_> = runs(entries)
            .into_iter()
            .filter(|r| going.is_none_or(|id| r.id() != Some(id)))
            .collect();
        let failures = runs.iter().filter(|r| r.failed()).count();
        let mut durations: Vec<u64> = runs.iter().filter_map(|r| r.seconds()).collect();
        durations.sort_unstable();
        Summary {
            runs: runs.len(),
            failures,
            skipped: entries.iter().filter(|e| e.kind == Kind::Skip).count(),
            retried: runs.iter().filter(|r| r.attempts.len() > 1).count(),
            did_not_finish: runs.iter().filter(|r| !r.ended()).count(),
            success_rate: (!runs.is_empty())
                .then(|| (runs.len() - failures) as f64 / runs.len() as f64),
            p50_seconds: percentile(&durations, 50),
            p95_seconds: percentile(&durations, 95),
        }
    }
}

/// The nearest-rank percentile `p` (1 to 100) of sorted values: the smallest value with at
/// least p% of the values at or below it.
pub fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The bars of a sparkline, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The same eight levels where the terminal cannot show block characters.
const ASCII_BARS: [char; 8] = ['_', '.', ',', '-', '=', '+', '*', '#'];

/// One character per duration, scaled from the shortest to the longest shown, not from zero: a
/// 40-minute job that takes 38 to 45 minutes would be a row of full bars from zero, and its
/// variation is what the line is for. The price: a job whose runs differ by a second shows that
/// second at full height, so the sparkline shows the shape, and the p50 and p95 beside it the
/// size. Durations all equal are a flat row of the lowest bar.
pub fn sparkline(durations: &[u64], utf8: bool) -> String {
    let bars = if utf8 { BARS } else { ASCII_BARS };
    let min = durations.iter().copied().min().unwrap_or(0);
    let range = durations.iter().copied().max().unwrap_or(0) - min;
    durations
        .iter()
        .map(|&d| {
            let level = ((d - min) * 7 + range / 2).checked_div(range).unwrap_or(0);
            bars[usize::try_from(level).unwrap_or(7).min(7)]
        })
        .collect()
}

/// Whether the locale is UTF-8 (`LC_ALL`, else `LC_CTYPE`, else `LANG`, the first set): the
/// sparkline falls back to ASCII otherwise, as in the C locale cron gives its jobs.
pub fn utf8_locale(var: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
        .map(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), Some(10));
        assert_eq!(percentile(&v, 95), Some(19));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn a_sparkline_scales_from_the_shortest_to_the_longest() {
        assert_eq!(sparkline(&[10, 20, 10, 10, 80, 10], true), "▁▂▁▁█▁");
        assert_eq!(sparkline(&[10, 20, 10, 10, 80, 10], false), "_.__#_");
        // A 40-minute job taking 38 to 45 minutes shows its variation, not four full bars.
        let minutes = [38, 45, 40, 42, 38].map(|m| m * 60);
        assert_eq!(sparkline(&minutes, true), "▁█▃▅▁");
        assert_eq!(sparkline(&[2400, 2400], true), "▁▁");
        assert_eq!(sparkline(&[0, 0], true), "▁▁");
        assert_eq!(sparkline(&[], true), "");
    }

    #[test]
    fn the_locale_decides_utf8() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(utf8_locale(env(&[("LANG", "en_US.UTF-8")])));
        assert!(!utf8_locale(env(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(utf8_locale(env(&[("LC_ALL", ""), ("LC_CTYPE", "C.utf8")])));
        assert!(!utf8_locale(env(&[])));
    }
}
