//! The crontab time grammar that both Debian's cron (3.0pl1, Vixie-based) and cronie accept
//! ([`CronExpr`]): 5 fields or a nickname, parsed into the bits and flags that Vixie cron's
//! `entry` struct holds ([`Times`]), and the legal schedules that are commonly misread
//! ([`CronExpr::warnings`]).
//!
//! It is checked strictly: whatever cron would reject, or silently read as something else than
//! it looks, is an error here, before anything is written to a crontab. One field's text is
//! parsed in `field.rs`.

use std::fmt;

use jiff::civil;

use super::ScheduleError;
use super::field::{FIELDS, Field, parse_field};
use super::words::{MONTH_FULL, join_words};

/// A crontab time specification: 5 fields or a nickname, as Debian's cron and cronie read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    /// Normalized text: fields joined by one space, or the nickname.
    pub(super) text: String,
    /// `None` for `@reboot`, which has no times.
    pub(super) times: Option<Times>,
}

/// The parsed fields, as Vixie cron's `entry` struct holds them: one bit per value, plus the
/// `*_STAR` flags that change what cron does with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Times {
    /// Bits 0..=59.
    pub(super) minute: u64,
    /// Bits 0..=23.
    pub(super) hour: u64,
    /// Bits 1..=31.
    pub(super) dom: u64,
    /// Bits 1..=12.
    pub(super) month: u64,
    /// Bits 0..=6, Sunday = 0 (a 7 in the text is folded into 0, as Vixie cron does).
    pub(super) dow: u64,
    /// Vixie's MIN_STAR: the minute field's text begins with `*`.
    pub(super) min_star: bool,
    /// Vixie's HR_STAR: the hour field's text begins with `*`.
    pub(super) hr_star: bool,
    /// Vixie's DOM_STAR: the day-of-month field's text begins with `*`.
    pub(super) dom_star: bool,
    /// Vixie's DOW_STAR: the day-of-week field's text begins with `*`.
    pub(super) dow_star: bool,
}

/// The five fields as sets of values (one bit per value, as [`Times`] holds them), and Vixie
/// cron's day rule: `days_or` when neither day field begins with `*`, so a day matches if
/// either field does; otherwise a day must match both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldBits {
    /// Bits 0..=59.
    pub minute: u64,
    /// Bits 0..=23.
    pub hour: u64,
    /// Bits 1..=31.
    pub dom: u64,
    /// Bits 1..=12.
    pub month: u64,
    /// Bits 0..=6, Sunday = 0.
    pub dow: u64,
    pub days_or: bool,
}

impl Times {
    /// A "wildcard" job for cron.c's DST handling (`e->flags & (MIN_STAR|HR_STAR)`): such jobs
    /// are not caught up after a forward jump and do run again in a repeated hour.
    pub(super) fn is_wildcard(&self) -> bool {
        self.min_star || self.hr_star
    }

    /// Vixie cron's `find_jobs`: day-of-month and day-of-week are ORed only when neither field
    /// begins with `*`; otherwise both must match (so `0 0 */2 * 1` is an AND).
    pub(super) fn day_matches(&self, date: civil::Date) -> bool {
        let dom = bit(self.dom, date.day());
        let dow = bit(self.dow, date.weekday().to_sunday_zero_offset());
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }
}

pub(super) fn bit(bits: u64, value: i8) -> bool {
    (0..64).contains(&value) && bits & (1u64 << value) != 0
}

fn range_bits(lo: u32, hi: u32) -> u64 {
    (lo..=hi).fold(0, |bits, v| bits | 1 << v)
}

const NICKNAMES: [&str; 8] = [
    "@reboot",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

impl CronExpr {
    /// Parses a 5-field crontab expression or a nickname, strictly (see the module doc).
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        // Vixie cron skips blanks (spaces and tabs) before and between fields.
        let fields: Vec<&str> = s
            .split([' ', '\t'])
            .filter(|part| !part.is_empty())
            .collect();
        if fields.is_empty() {
            return Err(ScheduleError::new(
                "The schedule is empty. Write 5 fields (minute hour day-of-month month \
                 day-of-week), e.g. \"0 3 * * *\", or a nickname such as @daily.",
            ));
        }
        if let Some(other) = s
            .chars()
            .find(|c| c.is_whitespace() && *c != ' ' && *c != '\t')
        {
            return Err(ScheduleError::new(format!(
                "The schedule \"{}\" contains the character {other:?}; cron separates fields \
                 only with spaces and tabs.",
                s.escape_debug()
            )));
        }
        if fields[0].starts_with('@') {
            if fields.len() > 1 {
                return Err(ScheduleError::new(format!(
                    "The schedule \"{s}\" has text after the nickname {}; a nickname stands \
                     alone (for an interval such as \"@every 5h\", use every = \"5h\" instead).",
                    fields[0]
                )));
            }
            return Self::parse_nickname(fields[0]);
        }
        if fields.len() != 5 {
            let hint = if fields.len() > 5 {
                " A seconds or a year field is not supported by Debian's cron or cronie (cron \
                 would read the extra fields as the start of the command)."
            } else {
                ""
            };
            return Err(ScheduleError::new(format!(
                "The schedule \"{s}\" has {} fields; cron expects exactly 5: minute, hour, \
                 day-of-month, month and day-of-week, e.g. \"30 3 * * 1-5\".{hint}",
                fields.len()
            )));
        }
        let mut bits = [0u64; 5];
        for (i, field) in FIELDS.iter().enumerate() {
            bits[i] = parse_field(*field, fields[i])?;
        }
        let times = Times {
            minute: bits[0],
            hour: bits[1],
            dom: bits[2],
            month: bits[3],
            dow: bits[4],
            min_star: fields[0].starts_with('*'),
            hr_star: fields[1].starts_with('*'),
            dom_star: fields[2].starts_with('*'),
            dow_star: fields[4].starts_with('*'),
        };
        check_date_can_occur(&fields, &times)?;
        Ok(CronExpr {
            text: fields.join(" "),
            times: Some(times),
        })
    }

    fn parse_nickname(word: &str) -> Result<Self, ScheduleError> {
        let all_dom = range_bits(1, 31);
        let all_month = range_bits(1, 12);
        let all_dow = range_bits(0, 6);
        let all_hour = range_bits(0, 23);
        let at_midnight = |dom, month, dow, dow_star| Times {
            minute: 1,
            hour: 1,
            dom,
            month,
            dow,
            min_star: false,
            hr_star: false,
            dom_star: false,
            dow_star,
        };
        // The bits and flags are those of Vixie cron 4 / ISC's entry.c, which Debian's cron
        // follows: @yearly, @monthly and @weekly set DOW_STAR (so the days are ANDed), @daily
        // sets no flag, and @hourly sets HR_STAR, which makes it a wildcard job for DST.
        let times = match word {
            "@reboot" => None,
            "@yearly" | "@annually" => Some(at_midnight(1 << 1, 1 << 1, all_dow, true)),
            "@monthly" => Some(at_midnight(1 << 1, all_month, all_dow, true)),
            "@weekly" => Some(at_midnight(all_dom, all_month, 1, true)),
            "@daily" | "@midnight" => Some(at_midnight(all_dom, all_month, all_dow, false)),
            "@hourly" => Some(Times {
                minute: 1,
                hour: all_hour,
                dom: all_dom,
                month: all_month,
                dow: all_dow,
                min_star: false,
                hr_star: true,
                dom_star: false,
                dow_star: false,
            }),
            _ => {
                let lower = word.to_ascii_lowercase();
                let hint = if NICKNAMES.contains(&lower.as_str()) {
                    format!(" Debian's cron matches nicknames case-sensitively: write {lower}.")
                } else if lower == "@every" {
                    " For an interval, use every = \"5h\" instead of schedule.".to_string()
                } else {
                    String::new()
                };
                return Err(ScheduleError::new(format!(
                    "The schedule nickname {word} is not one cron knows; it accepts {}.{hint}",
                    NICKNAMES.join(", ")
                )));
            }
        };
        Ok(CronExpr {
            text: word.to_string(),
            times,
        })
    }

    /// The normalized expression: fields joined by one space, or the nickname.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is `@reboot` (runs when cron starts, never at a time).
    pub fn is_reboot(&self) -> bool {
        self.times.is_none()
    }

    /// The matching values of the five fields and how cron combines the two day fields, for a
    /// scheduler other than cron that must fire at exactly the same minutes (systemd's
    /// `OnCalendar=`, `src/systemd/calendar.rs`). `None` for `@reboot`, which has no times.
    pub fn field_bits(&self) -> Option<FieldBits> {
        self.times.map(|t| FieldBits {
            minute: t.minute,
            hour: t.hour,
            dom: t.dom,
            month: t.month,
            dow: t.dow,
            days_or: !(t.dom_star || t.dow_star),
        })
    }

    /// The 5 fields' texts, or `None` for a nickname.
    pub(super) fn field_texts(&self) -> Option<Vec<&str>> {
        (!self.text.starts_with('@')).then(|| self.text.split(' ').collect())
    }

    /// Legal schedules that are commonly misread, each as one or two sentences.
    pub fn warnings(&self) -> Vec<String> {
        let Some(times) = &self.times else {
            return vec![
                "@reboot runs when the cron daemon starts, which at boot may be before dockerd \
                 and the container are up, so `docker exec` can fail with \"is not running\"."
                    .to_string(),
            ];
        };
        let Some(texts) = self.field_texts() else {
            return Vec::new();
        };
        let mut warnings = Vec::new();
        // `*/S` restarts at the top of its field's range (Vixie sets bits first..last by S), so
        // when S does not divide the range, the last gap before the restart is shorter.
        let restarts = [
            (
                Field::Minute,
                texts[0],
                60,
                "minutes",
                "the top of the hour",
                "m",
            ),
            (Field::Hour, texts[1], 24, "hours", "midnight", "h"),
        ];
        for (field, text, span, unit, boundary, suffix) in restarts {
            let Some(step) = text.strip_prefix("*/").and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if span % step == 0 {
                continue;
            }
            let bits = if field == Field::Minute {
                times.minute
            } else {
                times.hour
            };
            let values: Vec<u32> = (0..span).filter(|v| bits & (1 << v) != 0).collect();
            let last = *values.last().unwrap_or(&0);
            let list = values
                .iter()
                .map(|v| format!("{v:02}"))
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(format!(
                "`{}` fires at {unit} {list}: the gap across {boundary} is {} {unit}, not \
                 {step}; use every = \"{step}{suffix}\" for an exact interval.",
                self.text,
                span - last,
            ));
        }
        let dom_all = times.dom == range_bits(1, 31);
        let dow_all = times.dow == range_bits(0, 6);
        if !times.dom_star && !times.dow_star {
            warnings.push(format!(
                "`{}` restricts both day-of-month and day-of-week, so cron runs it on the days \
                 of the month OR on the days of the week (not only on days that are both).",
                self.text
            ));
        } else if (times.dom_star && !dom_all && !times.dow_star)
            || (times.dow_star && !dow_all && !times.dom_star)
        {
            warnings.push(format!(
                "In `{}` one of day-of-month and day-of-week begins with `*`, so cron runs it \
                 only on days that match both fields (had neither begun with `*`, it would \
                 run on days matching either).",
                self.text
            ));
        }
        // Day 29-31 silently skip the months that lack them.
        let short: Vec<&str> = (1..=12i8)
            .filter(|m| bit(times.month, *m))
            .filter(|m| {
                let max = days_in_month_max(*m);
                (1..=31).any(|d| bit(times.dom, d) && d > max)
            })
            .map(|m| MONTH_FULL[m as usize - 1])
            .collect();
        if !times.dom_star && !short.is_empty() && times.dow_star {
            warnings.push(format!(
                "`{}` names a day that {} lack(s) (or February has only in leap years); cron \
                 skips those months rather than running on their last day.",
                self.text,
                join_words(&short)
            ));
        }
        warnings
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The most days a month can have (February: 29, in leap years).
fn days_in_month_max(month: i8) -> i8 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Vixie cron accepts a day-of-month that no selected month has (`0 0 30 2 *`) and then never
/// runs the job (or, when day-of-week is restricted too, runs it only on those weekdays).
fn check_date_can_occur(fields: &[&str], times: &Times) -> Result<(), ScheduleError> {
    let possible = (1..=12i8)
        .any(|m| bit(times.month, m) && (1..=days_in_month_max(m)).any(|d| bit(times.dom, d)));
    if possible {
        return Ok(());
    }
    let consequence = if times.dom_star || times.dow_star {
        "so cron would never run this job"
    } else {
        "so cron would run this job only on the days in the day-of-week field, which is \
         unlikely to be what was meant"
    };
    Err(ScheduleError::new(format!(
        "The day-of-month field \"{}\" never occurs in the month field \"{}\" (no such date \
         exists), {consequence}. Choose days that exist in those months.",
        fields[2], fields[3]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_support::expr;

    /// The accept/reject boundary, checked against Debian's `crontab` program (3.0pl1-162) by
    /// `debian_crontab_agrees_with_the_table` (ignored: needs root and cron). Columns: the
    /// expression, whether Debian's `crontab` accepts it, whether we do. Where Debian accepts
    /// and we reject, cron would silently misread the line.
    const BOUNDARY: &[(&str, bool, bool)] = &[
        ("* * * * *", true, true),
        ("*\t*\t*\t*\t*", true, true),
        (" 0 3 * * *", true, true),
        ("*/0 * * * *", false, false),
        ("60 * * * *", false, false),
        ("* 24 * * *", false, false),
        ("* * 0 * *", false, false),
        ("* * 32 * *", false, false),
        ("* * * 13 *", false, false),
        ("* * * * 8", false, false),
        ("* * * * 7", true, true),
        ("* * * * 0", true, true),
        ("* * * * 0-7", true, true),
        ("* * * * 5-7", true, true),
        ("L * * * *", false, false),
        ("* * L * *", false, false),
        ("* * * * 5L", false, false),
        ("* * 15W * *", false, false),
        ("* * ? * *", false, false),
        ("* * * * 1#2", true, false),
        ("20-5 * * * *", true, false),
        ("* * * * 7-0", true, false),
        ("* * * dec-jan *", true, false),
        ("5/10 * * * *", false, false),
        ("0-59/10 * * * *", true, true),
        ("0 0 * * * *", false, false),
        ("* * * * * *", false, false),
        ("0 0 * * * * 2020", false, false),
        ("*/60 * * * *", true, false),
        ("*/61 * * * *", true, false),
        ("*/24 * * * *", true, true),
        ("* */24 * * *", true, false),
        ("0-5/100 * * * *", true, false),
        ("0 0 30 2 *", true, false),
        ("0 0 31 4,6 *", true, false),
        ("0 0 31 * *", true, true),
        ("0 0 29 2 *", true, true),
        ("* * * JAN *", true, true),
        ("* * * jan-mar *", true, true),
        ("* * * jan-3 *", true, true),
        ("* * * * mon-fri", true, true),
        ("* * * * MON,wed", true, true),
        ("* * * * Sun", true, true),
        ("* * * * sun-sat", true, true),
        ("* * * * mon-fri/2", true, true),
        ("* * * * */mon", false, false),
        ("* * * * SUNDAY", false, false),
        ("* * * January *", false, false),
        ("1,2,3 * * * *", true, true),
        ("1,,2 * * * *", false, false),
        (",1 * * * *", false, false),
        ("1, * * * *", false, false),
        ("*/5,7 * * * *", true, true),
        ("1-5/2,*/3 * * * *", true, true),
        ("*-5 * * * *", true, false),
        ("*/5/2 * * * *", true, false),
        ("1-5-7 * * * *", true, false),
        ("-5 * * * *", false, false),
        ("5-60 * * * *", false, false),
        ("0x10 * * * *", false, false),
        ("010 * * * *", true, true),
        ("1-59/0 * * * *", false, false),
        ("* * * */0 *", false, false),
        ("* * */2 * 1", true, true),
        ("@reboot", true, true),
        ("@yearly", true, true),
        ("@annually", true, true),
        ("@monthly", true, true),
        ("@weekly", true, true),
        ("@daily", true, true),
        ("@midnight", true, true),
        ("@hourly", true, true),
        ("@HOURLY", false, false),
        ("@every", false, false),
    ];

    #[test]
    fn boundary_table_matches_our_parser() {
        for (line, _debian, ours) in BOUNDARY {
            let got = CronExpr::parse(line);
            assert_eq!(got.is_ok(), *ours, "{line:?}: {got:?}");
        }
    }

    /// Runs Debian's real `crontab` for a throwaway user on each line of [`BOUNDARY`].
    #[test]
    #[ignore = "needs root, cron and docker: see README"]
    fn debian_crontab_agrees_with_the_table() {
        use std::process::Command;

        struct User(String);
        impl Drop for User {
            fn drop(&mut self) {
                // Only this test's user and crontab: never anyone else's.
                let _ = Command::new("crontab").args(["-u", &self.0, "-r"]).output();
                let _ = Command::new("userdel").args(["-r", &self.0]).output();
            }
        }

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("ctsched-{}-{}", std::process::id(), nanos % 100_000);
        let status = Command::new("useradd")
            .args(["-m", &name])
            .status()
            .expect("useradd runs");
        assert!(status.success(), "useradd {name} failed");
        let user = User(name);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut disagreements = Vec::new();
        for (i, (line, debian, _ours)) in BOUNDARY.iter().enumerate() {
            let file = dir.path().join(format!("crontab-{i}"));
            std::fs::write(&file, format!("{line} /bin/true\n")).expect("write crontab file");
            let out = Command::new("crontab")
                .arg("-u")
                .arg(&user.0)
                .arg(&file)
                .output()
                .expect("crontab runs");
            if out.status.success() != *debian {
                disagreements.push(format!(
                    "{line:?}: crontab exited with {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        assert!(disagreements.is_empty(), "{disagreements:#?}");
    }

    #[track_caller]
    fn check_normalized(input: &str, want: &str) {
        assert_eq!(expr(input).as_str(), want, "{input:?}");
    }

    #[test]
    fn normalized_text() {
        check_normalized("* * * * *", "* * * * *");
        check_normalized("  0\t3  * *   1-5 ", "0 3 * * 1-5");
        check_normalized("0 9 * JAN Mon", "0 9 * JAN Mon");
        check_normalized("@daily", "@daily");
        check_normalized(" @hourly\t", "@hourly");
    }

    #[track_caller]
    fn check_rejected(input: &str, want_in_message: &[&str]) {
        let err = CronExpr::parse(input).expect_err(input).to_string();
        for want in want_in_message {
            assert!(err.contains(want), "{input:?}: {err:?} lacks {want:?}");
        }
        assert!(err.ends_with('.'), "{input:?}: not a sentence: {err:?}");
    }

    #[test]
    fn rejections_say_what_and_where() {
        check_rejected("", &["empty", "5 fields"]);
        check_rejected("   ", &["empty"]);
        check_rejected(
            "*/0 * * * *",
            &["minute field \"*/0\"", "step", "is 0", "0-59"],
        );
        check_rejected(
            "60 * * * *",
            &["minute field", "60 is out of range", "0-59"],
        );
        check_rejected("* 24 * * *", &["hour field", "0-23"]);
        check_rejected("* * 0 * *", &["day-of-month field", "1-31"]);
        check_rejected("* * 32 * *", &["day-of-month field", "32 is out of range"]);
        check_rejected("* * * 13 *", &["month field", "jan-dec"]);
        check_rejected(
            "* * * * 8",
            &["day-of-week field", "0 and 7 are both Sunday"],
        );
        check_rejected("L * * * *", &["minute field", "Quartz"]);
        check_rejected("* * L * *", &["day-of-month field", "Quartz"]);
        check_rejected("* * 15W * *", &["day-of-month", "Quartz"]);
        check_rejected("* * ? * *", &["`?`", "write `*`"]);
        check_rejected("* * * * 1#2", &["day-of-week", "`1#2`", "silently"]);
        check_rejected(
            "20-5 * * * *",
            &["minute", "`20-5` runs backwards", "never"],
        );
        check_rejected(
            "5/10 * * * *",
            &["minute", "step without a range", "`5-59/10`"],
        );
        check_rejected("0 0 * * * *", &["6 fields", "exactly 5", "seconds"]);
        check_rejected("0 0 * * * * 2020", &["7 fields"]);
        check_rejected("0 0 * *", &["4 fields", "exactly 5"]);
        check_rejected("*/60 * * * *", &["minute", "only one value", "every"]);
        check_rejected("* */24 * * *", &["hour", "only one value"]);
        check_rejected("* * * * */7", &["day-of-week", "only one value"]);
        check_rejected("0 0 30 2 *", &["\"30\"", "\"2\"", "never run"]);
        check_rejected("0 0 31 4,6 *", &["never"]);
        check_rejected(
            "0 0 30 feb mon",
            &["only on the days in the day-of-week field"],
        );
        check_rejected("* * * January *", &["not a month name", "`feb`"]);
        check_rejected("* * * * SUNDAY", &["day-of-week name"]);
        check_rejected("1,,2 * * * *", &["empty list element"]);
        check_rejected("*-5 * * * *", &["`*` cannot be part of a range"]);
        check_rejected("*/5/2 * * * *", &["step `/5/2`"]);
        check_rejected("1-5-7 * * * *", &["more than one `-`"]);
        check_rejected("0x10 * * * *", &["`0x10` is not a number"]);
        check_rejected("a * * * *", &["minute", "`a` is not a number"]);
        check_rejected("@HOURLY", &["case-sensitively", "@hourly"]);
        check_rejected("@every 5h", &["every = \"5h\""]);
        check_rejected("@fortnightly", &["@reboot", "@hourly"]);
        check_rejected("0 3 * * *\n", &["spaces and tabs"]);
    }

    #[test]
    fn star_flags_follow_the_first_character() {
        let t = expr("0 0 */2 * 1").times.unwrap();
        assert!(t.dom_star && !t.dow_star && !t.min_star && !t.hr_star);
        // `0 0 */2 * 1` is an AND: odd days that are Mondays.
        assert!(t.day_matches(civil::date(2024, 1, 1))); // Monday, day 1
        assert!(!t.day_matches(civil::date(2024, 1, 8))); // Monday, day 8
        assert!(!t.day_matches(civil::date(2024, 1, 3))); // Wednesday, day 3
        // `0 0 1 * 1` is an OR: day 1 or any Monday.
        let t = expr("0 0 1 * 1").times.unwrap();
        assert!(t.day_matches(civil::date(2024, 1, 8)));
        assert!(t.day_matches(civil::date(2024, 2, 1))); // Thursday
        assert!(!t.day_matches(civil::date(2024, 1, 3)));
        // `1-31` is not `*` for the OR rule: Vixie checks the first character only.
        let t = expr("0 0 1-31 * 1").times.unwrap();
        assert!(!t.dom_star);
        assert!(expr("*/5 3 * * *").times.unwrap().is_wildcard());
        assert!(expr("5 * * * *").times.unwrap().is_wildcard());
        assert!(!expr("5 3 * * *").times.unwrap().is_wildcard());
        assert_eq!(expr("0 0 * * 7").times.unwrap().dow, 1);
    }

    #[test]
    fn nicknames_set_the_flags_debian_sets() {
        let t = expr("@hourly").times.unwrap();
        assert!(t.hr_star && !t.min_star && t.is_wildcard());
        assert_eq!((t.minute, t.hour), (1, range_bits(0, 23)));
        for fixed in [
            "@daily",
            "@midnight",
            "@weekly",
            "@monthly",
            "@yearly",
            "@annually",
        ] {
            let t = expr(fixed).times.unwrap();
            assert!(!t.is_wildcard(), "{fixed}");
            assert_eq!((t.minute, t.hour), (1, 1), "{fixed}");
        }
        let weekly = expr("@weekly").times.unwrap();
        assert!(weekly.day_matches(civil::date(2024, 1, 7))); // Sunday
        assert!(!weekly.day_matches(civil::date(2024, 1, 1)));
        let monthly = expr("@monthly").times.unwrap();
        assert!(monthly.day_matches(civil::date(2024, 5, 1)));
        assert!(!monthly.day_matches(civil::date(2024, 5, 5))); // a Sunday, not day 1
        assert!(expr("@reboot").is_reboot());
        assert!(!expr("@daily").is_reboot());
    }

    #[track_caller]
    fn check_warnings(input: &str, want: &[&str]) {
        let warnings = expr(input).warnings();
        let all = warnings.join("\n");
        for w in want {
            assert!(all.contains(w), "{input:?}: {all:?} lacks {w:?}");
        }
        if want.is_empty() {
            assert!(warnings.is_empty(), "{input:?}: {warnings:?}");
        }
    }

    #[test]
    fn warnings_for_misread_schedules() {
        check_warnings(
            "0 */5 * * *",
            &[
                "fires at hours 00, 05, 10, 15, 20",
                "gap across midnight is 4 hours",
                "every = \"5h\"",
            ],
        );
        check_warnings(
            "*/7 * * * *",
            &[
                "the gap across the top of the hour is 4 minutes",
                "every = \"7m\"",
            ],
        );
        check_warnings("@reboot", &["before dockerd"]);
        check_warnings("0 0 1 * 1", &["OR on the days of the week"]);
        check_warnings("0 0 */2 * 1", &["only on days that match both"]);
        check_warnings("0 0 31 * *", &["skips those months", "April"]);
        check_warnings("*/15 * * * *", &[]);
        check_warnings("0 */6 * * *", &[]);
        check_warnings("30 9 * * 1-5", &[]);
        check_warnings("@daily", &[]);
    }
}
