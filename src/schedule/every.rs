//! True intervals (`every = "5h"`, [`Interval`]) and how they are rendered into a cron
//! expression plus an optional epoch-slot guard ([`Guard`]), because cron itself cannot say
//! "every 5 hours": `0 */5 * * *` fires at 00, 05, 10, 15 and 20, a 4-hour gap across midnight.

use std::fmt;

use jiff::Timestamp;

use super::{CronExpr, Rendered, ScheduleError};

/// The line fires its command only when `(unix_time / slot_seconds) % every_slots == 0`.
///
/// Slots are counted from the Unix epoch, not from local midnight, so the spacing stays exact
/// across midnight, month ends, DST changes and time zones whose offset is not a whole hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub slot_seconds: u64,
    pub every_slots: u64,
}

impl Guard {
    /// The interval this guard (with its cron line) implements, to describe an installed line.
    pub fn interval(&self) -> Interval {
        Interval {
            minutes: (self.slot_seconds * self.every_slots / 60).max(1),
        }
    }

    /// Whether a firing at `ts` passes the guard (what the installed line's test computes).
    pub fn allows(&self, ts: Timestamp) -> bool {
        let slot = i64::try_from(self.slot_seconds).unwrap_or(i64::MAX).max(1);
        let every = i64::try_from(self.every_slots).unwrap_or(i64::MAX).max(1);
        ts.as_second().div_euclid(slot).rem_euclid(every) == 0
    }
}

/// A true interval in whole minutes: at least 1 minute, at most 366 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub(super) minutes: u64,
}

const MAX_INTERVAL_MINUTES: u64 = 366 * 24 * 60;

impl Interval {
    /// Parses "15m", "90m", "5h", "2d", "1h30m": numbers with units d, h, m, largest first,
    /// each unit at most once.
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        let example = "e.g. \"15m\", \"5h\", \"1h30m\" or \"2d\"";
        if s.is_empty() {
            return Err(ScheduleError::new(format!(
                "The interval is empty; write a number and a unit (m, h or d), {example}."
            )));
        }
        let mut minutes: u64 = 0;
        let mut last_rank = u8::MAX;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (number, after) = rest.split_at(digits);
            let Some(unit) = after.chars().next() else {
                return Err(ScheduleError::new(format!(
                    "The interval \"{s}\" is missing a unit after {number}; use m (minutes), h \
                     (hours) or d (days), e.g. \"{number}h\"."
                )));
            };
            if number.is_empty() {
                return Err(ScheduleError::new(format!(
                    "The interval \"{s}\" has {unit:?} where a number was expected; write a \
                     number and a unit, {example}."
                )));
            }
            let (rank, per_unit) = match unit {
                'd' => (2, 24 * 60),
                'h' => (1, 60),
                'm' => (0, 1),
                's' => {
                    return Err(ScheduleError::new(format!(
                        "The interval \"{s}\" uses seconds; cron fires at most once a minute, \
                         so use whole minutes (m), hours (h) or days (d)."
                    )));
                }
                'w' => {
                    return Err(ScheduleError::new(format!(
                        "The interval \"{s}\" uses weeks; write days instead, e.g. \"7d\"."
                    )));
                }
                other => {
                    return Err(ScheduleError::new(format!(
                        "The interval \"{s}\" has the unknown unit {other:?}; use m (minutes), \
                         h (hours) or d (days), {example}."
                    )));
                }
            };
            if rank >= last_rank {
                return Err(ScheduleError::new(format!(
                    "The interval \"{s}\" repeats a unit or has them out of order; write each \
                     unit once, largest first, e.g. \"1d2h30m\"."
                )));
            }
            last_rank = rank;
            let value: u64 = number.parse().unwrap_or(u64::MAX);
            minutes = value
                .checked_mul(per_unit)
                .and_then(|v| v.checked_add(minutes))
                .unwrap_or(u64::MAX);
            rest = &after[unit.len_utf8()..];
        }
        if minutes == 0 {
            return Err(ScheduleError::new(format!(
                "The interval \"{s}\" is zero; it must be at least 1m."
            )));
        }
        if minutes > MAX_INTERVAL_MINUTES {
            return Err(ScheduleError::new(format!(
                "The interval \"{s}\" is longer than 366d; for rarer jobs use a schedule such \
                 as \"@yearly\"."
            )));
        }
        Ok(Interval { minutes })
    }

    /// The length in minutes.
    pub fn minutes(&self) -> u64 {
        self.minutes
    }

    /// The cron line and guard that fire exactly every interval.
    ///
    /// Plain cron where the interval divides its cron field evenly (so cron's restart at the top
    /// of the hour or day leaves no short gap); otherwise cron fires at the needed granularity
    /// and the guard keeps every N-th slot counted from the Unix epoch.
    ///
    /// The plain hour forms (`0 */h * * *` for h = 2, 3, 4, 6, 8, 12 and `0 0 * * *` for 1d)
    /// follow the local clock: they fire at the same local times every day and need no guard,
    /// but on a DST change day one gap is an hour shorter or longer (cron skips or repeats that
    /// local hour). Minute forms and guarded forms are exact in every zone.
    pub fn render(&self) -> Rendered {
        let m = self.minutes;
        let (expr, guard) = if m == 1 {
            ("* * * * *".to_string(), None)
        } else if m < 60 && 60 % m == 0 {
            (format!("*/{m} * * * *"), None)
        } else if m % 60 == 0 && 24 % (m / 60) == 0 {
            match m / 60 {
                1 => ("0 * * * *".to_string(), None),
                24 => ("0 0 * * *".to_string(), None),
                h => (format!("0 */{h} * * *"), None),
            }
        } else if m % 60 == 0 {
            // Hourly firing at minute 0 of each local hour; in a +05:30 or +05:45 zone that is
            // :30 or :15 past the UTC hour, still one firing per epoch hour slot, so keeping
            // every h-th slot gives exact h-hour spacing.
            (
                "0 * * * *".to_string(),
                Some(Guard {
                    slot_seconds: 3600,
                    every_slots: m / 60,
                }),
            )
        } else {
            // Fire every g minutes, where g divides both the interval and the hour; then every
            // firing falls in its own g-minute epoch slot whatever the zone's offset (offsets are
            // whole multiples of 15 minutes, and g-minute local marks are g minutes apart).
            let g = gcd(m, 60);
            let expr = if g == 1 {
                "* * * * *".to_string()
            } else {
                format!("*/{g} * * * *")
            };
            (
                expr,
                Some(Guard {
                    slot_seconds: 60 * g,
                    every_slots: m / g,
                }),
            )
        };
        Rendered {
            cron: CronExpr::parse(&expr).expect("rendered intervals are valid cron"),
            guard,
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Canonical form: largest units first, zero units left out: "1h30m", "5h", "2d", "1d1h".
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.minutes / (24 * 60);
        let hours = self.minutes / 60 % 24;
        let minutes = self.minutes % 60;
        if days > 0 {
            write!(f, "{days}d")?;
        }
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Schedule;
    use crate::schedule::test_support::expr;

    #[track_caller]
    fn check_interval(input: &str, minutes: u64, canonical: &str) {
        let iv = Interval::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(iv.minutes(), minutes, "{input:?}");
        assert_eq!(iv.to_string(), canonical, "{input:?}");
        assert_eq!(
            Interval::parse(canonical),
            Ok(iv),
            "{canonical:?} round trip"
        );
    }

    #[test]
    fn intervals_parse_and_print_canonically() {
        check_interval("1m", 1, "1m");
        check_interval("15m", 15, "15m");
        check_interval("90m", 90, "1h30m");
        check_interval("1h30m", 90, "1h30m");
        check_interval("5h", 300, "5h");
        check_interval("24h", 1440, "1d");
        check_interval("2d", 2880, "2d");
        check_interval("1d1h", 1500, "1d1h");
        check_interval("1d0h5m", 1445, "1d5m");
        check_interval("366d", 366 * 1440, "366d");
        check_interval("0h1m", 1, "1m");
    }

    #[track_caller]
    fn check_bad_interval(input: &str, want: &[&str]) {
        let err = Interval::parse(input).expect_err(input).to_string();
        for w in want {
            assert!(err.contains(w), "{input:?}: {err:?} lacks {w:?}");
        }
    }

    #[test]
    fn interval_errors() {
        check_bad_interval(
            "5",
            &[
                "\"5\"",
                "missing a unit",
                "m (minutes), h (hours) or d (days)",
                "\"5h\"",
            ],
        );
        check_bad_interval("", &["empty"]);
        check_bad_interval("0m", &["zero", "at least 1m"]);
        check_bad_interval("367d", &["longer than 366d"]);
        check_bad_interval("30s", &["seconds"]);
        check_bad_interval("2w", &["7d"]);
        check_bad_interval("5x", &["unknown unit 'x'"]);
        check_bad_interval("h", &["where a number was expected"]);
        check_bad_interval("30m1h", &["largest first"]);
        check_bad_interval("1h1h", &["repeats a unit"]);
        check_bad_interval(" 5h", &["where a number was expected"]);
        check_bad_interval("99999999999999999999d", &["longer than 366d"]);
    }

    #[track_caller]
    fn check_render(every: &str, cron: &str, guard: Option<(u64, u64)>) {
        let iv = Interval::parse(every).unwrap();
        let r = iv.render();
        assert_eq!(r.cron.as_str(), cron, "{every}");
        let got = r.guard.map(|g| (g.slot_seconds, g.every_slots));
        assert_eq!(got, guard, "{every}");
        if let Some(g) = r.guard {
            assert_eq!(g.interval(), iv, "{every}: guard's interval");
        }
        assert_eq!(Schedule::Every(iv).render(), r);
    }

    #[test]
    fn interval_rendering() {
        check_render("1m", "* * * * *", None);
        check_render("15m", "*/15 * * * *", None);
        check_render("30m", "*/30 * * * *", None);
        check_render("60m", "0 * * * *", None);
        check_render("2h", "0 */2 * * *", None);
        check_render("12h", "0 */12 * * *", None);
        check_render("1d", "0 0 * * *", None);
        check_render("5h", "0 * * * *", Some((3600, 5)));
        check_render("2d", "0 * * * *", Some((3600, 48)));
        check_render("90m", "*/30 * * * *", Some((1800, 3)));
        check_render("7m", "* * * * *", Some((60, 7)));
        check_render("45m", "*/15 * * * *", Some((900, 3)));
        check_render("1h1m", "* * * * *", Some((60, 61)));
        let cron = expr("0 */5 * * *");
        assert_eq!(
            Schedule::Cron(cron.clone()).render(),
            Rendered { cron, guard: None }
        );
    }
}
