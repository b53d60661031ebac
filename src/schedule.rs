//! Schedules: when a job runs, in the two forms a job can give, and what cron will really do
//! with them.
//!
//! This module owns:
//!
//! - the crontab time grammar that both Debian's cron (3.0pl1, Vixie-based) and cronie accept
//!   ([`CronExpr`]), checked strictly: whatever cron would reject, or silently read as something
//!   else than it looks, is an error here, before anything is written to a crontab;
//! - true intervals (`every = "5h"`, [`Interval`]) and how they are rendered into a cron
//!   expression plus an optional epoch-slot guard ([`Rendered`], [`Guard`]), because cron itself
//!   cannot say "every 5 hours";
//! - the next runs of a rendered schedule in a time zone, following the Vixie/ISC `cron.c` main
//!   loop that Debian runs, DST catch-up and repeats included ([`next_runs`]);
//! - the schedule in plain English for `status` ([`describe`]).
//!
//! It is pure: it never touches the OS, except for the time zone its caller passes in.

use std::fmt;

use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, Zoned};

/// A schedule that cron (or the config) rejects, with a message made of complete sentences that
/// name the field and say what is accepted. The caller prefixes the file, key and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    message: String,
}

impl ScheduleError {
    fn new(message: impl Into<String>) -> Self {
        ScheduleError {
            message: message.into(),
        }
    }

    /// The message, without any prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScheduleError {}

/// A job's schedule as the config gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `schedule = "..."`: a 5-field crontab expression or a nickname.
    Cron(CronExpr),
    /// `every = "..."`: a true interval.
    Every(Interval),
}

impl Schedule {
    /// What goes into the crontab: a cron expression renders to itself, with no guard.
    pub fn render(&self) -> Rendered {
        match self {
            Schedule::Cron(expr) => Rendered {
                cron: expr.clone(),
                guard: None,
            },
            Schedule::Every(interval) => interval.render(),
        }
    }
}

/// A schedule as installed: the cron expression of the line, and the guard that the line itself
/// evaluates at fire time (if any) to skip all but every N-th firing slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub cron: CronExpr,
    pub guard: Option<Guard>,
}

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
    fn allows(&self, ts: Timestamp) -> bool {
        let slot = i64::try_from(self.slot_seconds).unwrap_or(i64::MAX).max(1);
        let every = i64::try_from(self.every_slots).unwrap_or(i64::MAX).max(1);
        ts.as_second().div_euclid(slot).rem_euclid(every) == 0
    }
}

// ---------------------------------------------------------------------------------------------
// The crontab expression
// ---------------------------------------------------------------------------------------------

/// A crontab time specification: 5 fields or a nickname, as Debian's cron and cronie read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    /// Normalized text: fields joined by one space, or the nickname.
    text: String,
    /// `None` for `@reboot`, which has no times.
    times: Option<Times>,
}

/// The parsed fields, as Vixie cron's `entry` struct holds them: one bit per value, plus the
/// `*_STAR` flags that change what cron does with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Times {
    /// Bits 0..=59.
    minute: u64,
    /// Bits 0..=23.
    hour: u64,
    /// Bits 1..=31.
    dom: u64,
    /// Bits 1..=12.
    month: u64,
    /// Bits 0..=6, Sunday = 0 (a 7 in the text is folded into 0, as Vixie cron does).
    dow: u64,
    /// Vixie's MIN_STAR: the minute field's text begins with `*`.
    min_star: bool,
    /// Vixie's HR_STAR: the hour field's text begins with `*`.
    hr_star: bool,
    /// Vixie's DOM_STAR: the day-of-month field's text begins with `*`.
    dom_star: bool,
    /// Vixie's DOW_STAR: the day-of-week field's text begins with `*`.
    dow_star: bool,
}

impl Times {
    /// A "wildcard" job for cron.c's DST handling (`e->flags & (MIN_STAR|HR_STAR)`): such jobs
    /// are not caught up after a forward jump and do run again in a repeated hour.
    fn is_wildcard(&self) -> bool {
        self.min_star || self.hr_star
    }

    /// Vixie cron's `find_jobs`: day-of-month and day-of-week are ORed only when neither field
    /// begins with `*`; otherwise both must match (so `0 0 */2 * 1` is an AND).
    fn day_matches(&self, date: civil::Date) -> bool {
        let dom = bit(self.dom, date.day());
        let dow = bit(self.dow, date.weekday().to_sunday_zero_offset());
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }
}

fn bit(bits: u64, value: i8) -> bool {
    (0..64).contains(&value) && bits & (1u64 << value) != 0
}

/// The lowest set bit at or above `from`.
fn next_bit(bits: u64, from: i8) -> Option<i8> {
    if !(0..64).contains(&from) {
        return None;
    }
    let masked = bits & (!0u64 << from);
    (masked != 0).then(|| masked.trailing_zeros() as i8)
}

fn range_bits(lo: u32, hi: u32) -> u64 {
    (lo..=hi).fold(0, |bits, v| bits | 1 << v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const FIELDS: [Field; 5] = [
    Field::Minute,
    Field::Hour,
    Field::DayOfMonth,
    Field::Month,
    Field::DayOfWeek,
];

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DOW_NAMES: [&str; 8] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
        }
    }

    /// The values Vixie cron accepts (FIRST_* and LAST_* in cron.h).
    fn bounds(self) -> (u32, u32) {
        match self {
            Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 7),
        }
    }

    fn accepted(self) -> &'static str {
        match self {
            Field::Minute => "0-59",
            Field::Hour => "0-23",
            Field::DayOfMonth => "1-31",
            Field::Month => "1-12 or the names jan-dec",
            Field::DayOfWeek => "0-7 (0 and 7 are both Sunday) or the names sun-sat",
        }
    }

    /// Names, indexed from the field's first value.
    fn names(self) -> Option<&'static [&'static str]> {
        match self {
            Field::Month => Some(&MONTH_NAMES),
            Field::DayOfWeek => Some(&DOW_NAMES[..7]),
            _ => None,
        }
    }
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

const SYNTAX: &str = "`*`, `N`, `N-M`, `*/S`, `N-M/S` and comma-separated lists of these";

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

    /// The 5 fields' texts, or `None` for a nickname.
    fn field_texts(&self) -> Option<Vec<&str>> {
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

fn field_error(field: Field, text: &str, problem: impl fmt::Display) -> ScheduleError {
    ScheduleError::new(format!(
        "The {} field \"{text}\" is invalid: {problem}. The {} field accepts {}, written as \
         {SYNTAX}.",
        field.name(),
        field.name(),
        field.accepted()
    ))
}

fn parse_field(field: Field, text: &str) -> Result<u64, ScheduleError> {
    let mut bits = 0u64;
    for element in text.split(',') {
        if element.is_empty() {
            return Err(field_error(
                field,
                text,
                "it has an empty list element (a doubled, leading or trailing comma)",
            ));
        }
        bits |= parse_element(field, text, element)?;
    }
    Ok(fold_sunday(field, bits))
}

/// Vixie cron: "make sundays equivalent" (bit 7 also sets bit 0).
fn fold_sunday(field: Field, bits: u64) -> u64 {
    if field == Field::DayOfWeek && bits & (1 << 7) != 0 {
        (bits & !(1 << 7)) | 1
    } else {
        bits
    }
}

fn parse_element(field: Field, text: &str, element: &str) -> Result<u64, ScheduleError> {
    let err = |problem: String| field_error(field, text, problem);
    // Extensions from Quartz and other schedulers. Debian's cron rejects `L`, `W` and `?`, but
    // it silently reads `1#2` as `1` (get_number stops at `#` and the rest of the field is
    // skipped), so every one of them is an error here.
    if element.contains('#') {
        return Err(err(format!(
            "`{element}` (\"the Nth weekday of the month\") is not cron syntax; Debian's cron \
             would silently read it as the part before `#`"
        )));
    }
    if element.contains('?') {
        return Err(err(
            "`?` is Quartz syntax for \"no specific value\"; in cron write `*`".to_string(),
        ));
    }
    let (range, step) = match element.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (element, None),
    };
    let (lo, hi) = if range == "*" {
        field.bounds()
    } else if let Some((a, b)) = range.split_once('-') {
        let a = parse_value(field, text, a, element)?;
        let b = parse_value(field, text, b, element)?;
        if a > b {
            // Vixie's set_range loops from a to b and so sets nothing: the job never runs.
            return Err(err(format!(
                "the range `{range}` runs backwards; cron would never run it (write the smaller \
                 value first, or a list such as `{range_list}`)",
                range_list = range.replace('-', ",")
            )));
        }
        (a, b)
    } else {
        let v = parse_value(field, text, range, element)?;
        if step.is_some() {
            // Vixie 3.0 / Debian's get_range accepts a step only after a range or `*`.
            return Err(err(format!(
                "`{element}` has a step without a range; Debian's cron rejects it: write \
                 `{range}-{}/{}` or `*/{}`",
                field.bounds().1,
                step.unwrap_or(""),
                step.unwrap_or("")
            )));
        }
        (v, v)
    };
    let step_value = match step {
        None => 1,
        Some(s) if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u32>().unwrap_or(0)
        }
        Some(s) => {
            return Err(err(format!(
                "the step `/{s}` in `{element}` is not a number (a step is written once, as \
                 digits, after `*` or a range)"
            )));
        }
    };
    if step_value == 0 {
        return Err(err(format!("the step in `{element}` is 0")));
    }
    let bits = (lo..=hi)
        .step_by(step_value as usize)
        .fold(0u64, |bits, v| bits | 1 << v);
    if step.is_some() && fold_sunday(field, bits).count_ones() == 1 {
        // Vixie cron accepts `*/60` and fires once an hour; nobody means that.
        return Err(err(format!(
            "the step in `{element}` is larger than the range it steps through, so it selects \
             only one value; write that value, or for an exact interval use every = \"...\""
        )));
    }
    Ok(bits)
}

/// One number or name inside an element.
fn parse_value(field: Field, text: &str, value: &str, element: &str) -> Result<u32, ScheduleError> {
    let err = |problem: String| field_error(field, text, problem);
    let (lo, hi) = field.bounds();
    if value.is_empty() {
        return Err(err(format!("`{element}` is missing a number")));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let n = value.trim_start_matches('0');
        let n: u32 = if n.is_empty() {
            0
        } else if n.len() > 3 {
            u32::MAX
        } else {
            n.parse().unwrap_or(u32::MAX)
        };
        if n < lo || n > hi {
            return Err(err(format!("{value} is out of range")));
        }
        return Ok(n);
    }
    if let Some(names) = field.names() {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(value)) {
            return Ok(lo + i as u32);
        }
    }
    if value == "*" {
        return Err(err(format!(
            "`*` cannot be part of a range in `{element}` (write `*` or `*/S` alone)"
        )));
    }
    let upper = value.to_ascii_uppercase();
    let digits_then = |suffix: char| {
        upper
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
    };
    if digits_then('L') || digits_then('W') || upper == "LW" {
        return Err(err(format!(
            "`{value}` (last day / nearest weekday) is Quartz syntax; Debian's cron and cronie \
             reject it"
        )));
    }
    if value.contains('-') || value.contains('/') {
        return Err(err(format!(
            "`{element}` has more than one `-` or `/`; an element is `N`, `N-M`, `*/S` or `N-M/S`"
        )));
    }
    if field.names().is_some() && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(err(format!(
            "`{value}` is not a {} name (names are the first three letters, e.g. `{}`)",
            field.name(),
            field.names().map_or("", |n| n[1])
        )));
    }
    Err(err(format!("`{value}` is not a number")))
}

// ---------------------------------------------------------------------------------------------
// Intervals
// ---------------------------------------------------------------------------------------------

/// A true interval in whole minutes: at least 1 minute, at most 366 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    minutes: u64,
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
    /// follow the local clock, as DESIGN.md's rule asks: on a DST change day one gap is an hour
    /// shorter or longer. Minute forms and guarded forms are exact in every zone.
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

// ---------------------------------------------------------------------------------------------
// Next runs
// ---------------------------------------------------------------------------------------------

/// How far ahead [`next_runs`] looks. A job on February 29 that must also be a Monday can wait
/// 40 years (2072 to 2112, as 2100 is no leap year).
const SEARCH_YEARS: i16 = 50;

/// The next `n` times strictly after `after` at which the job's command really runs, in
/// `after`'s time zone, as Debian's cron fires them, guard included. `@reboot` has none.
///
/// Times come back in order; two runs can share an instant (after a DST jump, cron catches up
/// each skipped minute of a fixed-time job at once).
pub fn next_runs(rendered: &Rendered, after: &Zoned, n: usize) -> Vec<Zoned> {
    let Some(times) = &rendered.cron.times else {
        return Vec::new();
    };
    if n == 0 {
        return Vec::new();
    }
    let tz = after.time_zone().clone();
    let after_ts = after.timestamp();
    let day = jiff::Span::new().days(1);
    let minute = jiff::Span::new().minutes(1);
    // Start a day early in civil time: a repeated (fold) hour runs civil times that are
    // earlier than `after`'s at instants later than it.
    let local = after.datetime();
    let Ok(start) = local.checked_sub(day) else {
        return Vec::new();
    };
    let mut cursor = start.date().at(start.hour(), start.minute(), 0, 0);
    let last_year = local.year().saturating_add(SEARCH_YEARS).min(9998);
    let mut found: Vec<Timestamp> = Vec::new();
    let mut stop_after: Option<civil::DateTime> = None;
    while let Some(dt) = next_match(times, cursor, last_year) {
        if stop_after.is_some_and(|stop| dt > stop) {
            break;
        }
        let mut added = false;
        for ts in firings(times, &tz, dt) {
            if ts > after_ts && rendered.guard.is_none_or(|g| g.allows(ts)) {
                found.push(ts);
                added = true;
            }
        }
        if added && found.len() >= n {
            found.sort();
            found.truncate(n);
            // Civil times more than a day past the n-th run cannot run before it.
            stop_after = tz.to_datetime(found[n - 1]).checked_add(day).ok();
        }
        match dt.checked_add(minute) {
            Ok(next) => cursor = next,
            Err(_) => break,
        }
    }
    found.sort();
    found.truncate(n);
    found
        .into_iter()
        .map(|ts| ts.to_zoned(tz.clone()))
        .collect()
}

/// The first civil minute at or after `from` whose fields match, skipping whole months, days and
/// hours that cannot match; `None` past the end of `last_year`.
fn next_match(times: &Times, from: civil::DateTime, last_year: i16) -> Option<civil::DateTime> {
    let mut date = from.date();
    let mut hour = from.hour();
    let mut minute = from.minute();
    loop {
        if date.year() > last_year {
            return None;
        }
        if !bit(times.month, date.month()) {
            date = date.last_of_month().tomorrow().ok()?;
            (hour, minute) = (0, 0);
            continue;
        }
        if !times.day_matches(date) {
            date = date.tomorrow().ok()?;
            (hour, minute) = (0, 0);
            continue;
        }
        match next_bit(times.hour, hour) {
            None => {
                date = date.tomorrow().ok()?;
                (hour, minute) = (0, 0);
                continue;
            }
            Some(h) if h != hour => (hour, minute) = (h, 0),
            Some(_) => {}
        }
        match next_bit(times.minute, minute) {
            Some(m) => return Some(date.at(hour, m, 0, 0)),
            None if hour == 23 => {
                date = date.tomorrow().ok()?;
                (hour, minute) = (0, 0);
            }
            None => (hour, minute) = (hour + 1, 0),
        }
    }
}

/// The instants at which cron runs a job for the matching local minute `dt`.
///
/// Debian's cron (cron.c's main loop, from Vixie cron 4 / ISC) counts local-clock minutes
/// (`clockTime = (now + GMToff) / 60`) and classifies each wakeup by `timeDiff`, the local
/// minutes since the last minute it ran jobs for:
/// - 1: the normal case, run the minute's jobs;
/// - 2..=5 ("small"): run every job of each missed minute, now;
/// - 6..=180 ("medium", DST starts): wildcard jobs only for the current minute, fixed-time jobs
///   for each missed minute, now;
/// - -180..=0 ("negative", DST ends): wildcard jobs only, until the clock catches up;
/// - beyond ±180 ("large"): the clock was set; run the current minute's jobs, nothing missed.
///
/// A job is a wildcard job when its minute or hour field begins with `*`.
///
/// One simplification: cron.c's `set_time` refreshes GMToff only when `tm_isdst` flips, so an
/// offset change without a DST flag change (a zone changing its standard time) is not seen
/// until cron restarts; this uses the zone's real offset at every instant.
fn firings(times: &Times, tz: &TimeZone, dt: civil::DateTime) -> Vec<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => {
            offset.to_timestamp(dt).ok().into_iter().collect()
        }
        AmbiguousOffset::Gap { before, after } => {
            let skipped = i64::from(after.seconds() - before.seconds()) / 60;
            let time_diff = skipped + 1;
            if time_diff > 180 || (time_diff > 5 && times.is_wildcard()) {
                return Vec::new();
            }
            // Runs at the first real minute after the jump.
            let Ok(mut t0) = before.to_timestamp(dt) else {
                return Vec::new();
            };
            for _ in 0..=skipped {
                match t0.checked_sub(jiff::SignedDuration::from_secs(60)) {
                    Ok(prev) if tz.to_offset(prev) == after => t0 = prev,
                    _ => break,
                }
            }
            vec![t0]
        }
        AmbiguousOffset::Fold { before, after } => {
            let repeated = i64::from(before.seconds() - after.seconds()) / 60;
            let first = before.to_timestamp(dt).ok();
            let second = after.to_timestamp(dt).ok();
            // The first repeated minute gives timeDiff = 1 - repeated.
            let rerun = times.is_wildcard() || 1 - repeated < -180;
            first.into_iter().chain(second.filter(|_| rerun)).collect()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

const MONTH_FULL: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DOW_FULL: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The schedule in plain English: short for common shapes, and a precise generic phrasing
/// otherwise (never wrong, even if long).
pub fn describe(schedule: &Schedule) -> String {
    match schedule {
        Schedule::Every(interval) => describe_interval(interval),
        Schedule::Cron(expr) => describe_cron(expr),
    }
}

fn describe_interval(interval: &Interval) -> String {
    let m = interval.minutes;
    let (count, unit) = if m % (24 * 60) == 0 {
        (m / (24 * 60), "day")
    } else if m % 60 == 0 {
        (m / 60, "hour")
    } else {
        (m, "minute")
    };
    if count == 1 {
        format!("every {unit}")
    } else {
        format!("every {count} {unit}s")
    }
}

fn describe_cron(expr: &CronExpr) -> String {
    let Some(times) = &expr.times else {
        return "at boot (when cron starts)".to_string();
    };
    match expr.text.as_str() {
        "@hourly" => return "every hour".to_string(),
        "@daily" | "@midnight" => return "every day at 00:00".to_string(),
        _ => {}
    }
    let texts = expr.field_texts();
    let minute_text = texts.as_ref().map_or("", |t| t[0]);
    let hour_text = texts.as_ref().map_or("", |t| t[1]);
    let minutes = values(times.minute, 0, 59);
    let hours = values(times.hour, 0, 23);
    let all_minutes = minutes.len() == 60;
    let all_hours = hours.len() == 24;
    let step_of = |text: &str, span: u32| {
        text.strip_prefix("*/")
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|s| span % s == 0)
    };
    // "every 5th hour" is how people read `*/5` in hours; the precise hours are in warnings().
    let hour_step = hour_text
        .strip_prefix("*/")
        .and_then(|s| s.parse::<u32>().ok());

    // The time of day.
    let mut clock_times = false;
    let time = if all_minutes && all_hours {
        "every minute".to_string()
    } else if let (Some(step), true) = (step_of(minute_text, 60), all_hours) {
        format!("every {step} minutes")
    } else if minutes == [0] && all_hours {
        "every hour".to_string()
    } else if minutes.len() == 1 && all_hours {
        format!("at minute {} past every hour", minutes[0])
    } else if let (1, Some(step)) = (minutes.len(), hour_step) {
        format!("at minute {} past every {} hour", minutes[0], ordinal(step))
    } else if minutes.len() * hours.len() <= 6 {
        clock_times = true;
        let list: Vec<String> = hours
            .iter()
            .flat_map(|h| minutes.iter().map(move |m| format!("{h:02}:{m:02}")))
            .collect();
        format!("at {}", join_words(&list))
    } else {
        let minute_part = if all_minutes {
            "every minute".to_string()
        } else {
            format!("at minute {}", compress(&minutes, |v| v.to_string()))
        };
        let hour_part = if all_hours {
            "every hour".to_string()
        } else {
            format!("hour {}", compress(&hours, |v| v.to_string()))
        };
        if all_minutes {
            format!("every minute of {hour_part}")
        } else {
            format!("{minute_part} past {hour_part}")
        }
    };

    // The days.
    let doms = values(times.dom, 1, 31);
    let dows = values(times.dow, 0, 6);
    let months = values(times.month, 1, 12);
    let all_doms = doms.len() == 31;
    let all_dows = dows.len() == 7;
    let dom_phrase = || format!("day {} of the month", compress(&doms, |v| v.to_string()));
    let dow_phrase = || compress(&dows, |v| DOW_FULL[v as usize].to_string());
    let days = if let ([d], [m], true) = (doms.as_slice(), months.as_slice(), all_dows) {
        // One date a year, e.g. @yearly.
        Some(format!("on {d} {}", MONTH_FULL[*m as usize - 1]))
    } else if times.dom_star || times.dow_star {
        match (all_doms, all_dows) {
            (true, true) => None,
            (false, true) => Some(format!("on {}", dom_phrase())),
            (true, false) => Some(format!("on {}", dow_phrase())),
            (false, false) => Some(format!(
                "on {} when that day is also a {}",
                dom_phrase(),
                join_or(
                    &dows
                        .iter()
                        .map(|v| DOW_FULL[*v as usize])
                        .collect::<Vec<_>>()
                )
            )),
        }
    } else if all_doms || all_dows {
        // OR with an all-days field: every day.
        None
    } else {
        Some(format!("on {} and on every {}", dom_phrase(), dow_phrase()))
    };
    let one_date = doms.len() == 1 && months.len() == 1 && all_dows;
    let month = (months.len() != 12 && !one_date).then(|| {
        format!(
            "in {}",
            compress(&months, |v| MONTH_FULL[v as usize - 1].to_string())
        )
    });

    let mut words = if clock_times && days.is_none() {
        format!("every day {time}")
    } else {
        time
    };
    for part in [days, month].into_iter().flatten() {
        words.push(' ');
        words.push_str(&part);
    }
    words
}

fn values(bits: u64, lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).filter(|v| bits & (1 << v) != 0).collect()
}

/// "1st", "2nd", "5th", "12th", "22nd".
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Runs of 3 or more consecutive values become "A through B"; the rest are listed.
fn compress(values: &[u32], name: impl Fn(u32) -> String) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{} through {}", name(values[i]), name(values[j])));
        } else {
            parts.extend(values[i..=j].iter().map(|v| name(*v)));
        }
        i = j + 1;
    }
    join_words(&parts)
}

/// "a", "a and b", "a, b and c".
fn join_words<S: AsRef<str>>(items: &[S]) -> String {
    join_with(items, "and")
}

/// "a", "a or b", "a, b or c".
fn join_or<S: AsRef<str>>(items: &[S]) -> String {
    join_with(items, "or")
}

fn join_with<S: AsRef<str>>(items: &[S], last_joiner: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} {last_joiner} {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn expr(s: &str) -> CronExpr {
        CronExpr::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn zoned(s: &str) -> Zoned {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or_else(|e| panic!("time zone {name}: {e}"))
    }

    // -----------------------------------------------------------------------------------------
    // Grammar
    // -----------------------------------------------------------------------------------------

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

    // -----------------------------------------------------------------------------------------
    // Intervals
    // -----------------------------------------------------------------------------------------

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

    // -----------------------------------------------------------------------------------------
    // Next runs
    // -----------------------------------------------------------------------------------------

    fn runs(rendered: &Rendered, after: &str, n: usize) -> Vec<String> {
        next_runs(rendered, &zoned(after), n)
            .iter()
            .map(|z| z.strftime("%Y-%m-%d %H:%M %:z").to_string())
            .collect()
    }

    #[track_caller]
    fn check_runs(schedule: &str, after: &str, want: &[&str]) {
        let r = Schedule::Cron(expr(schedule)).render();
        assert_eq!(
            runs(&r, after, want.len()),
            want,
            "{schedule} after {after}"
        );
    }

    #[test]
    fn next_runs_in_utc() {
        let at = "2024-01-31T10:15:00+00:00[UTC]";
        check_runs(
            "* * * * *",
            at,
            &["2024-01-31 10:16 +00:00", "2024-01-31 10:17 +00:00"],
        );
        check_runs(
            "*/20 * * * *",
            at,
            &["2024-01-31 10:20 +00:00", "2024-01-31 10:40 +00:00"],
        );
        check_runs("15 10 * * *", at, &["2024-02-01 10:15 +00:00"]);
        check_runs(
            "0 0 29 2 *",
            at,
            &["2024-02-29 00:00 +00:00", "2028-02-29 00:00 +00:00"],
        );
        check_runs(
            "0 0 31 * *",
            at,
            &["2024-03-31 00:00 +00:00", "2024-05-31 00:00 +00:00"],
        );
        check_runs(
            "@yearly",
            at,
            &["2025-01-01 00:00 +00:00", "2026-01-01 00:00 +00:00"],
        );
        check_runs("@weekly", at, &["2024-02-04 00:00 +00:00"]);
        check_runs(
            "@monthly",
            at,
            &["2024-02-01 00:00 +00:00", "2024-03-01 00:00 +00:00"],
        );
        // AND: odd days that are Mondays. OR: the 1st, or any Monday.
        check_runs(
            "0 0 */2 * 1",
            at,
            &["2024-02-05 00:00 +00:00", "2024-02-19 00:00 +00:00"],
        );
        check_runs(
            "0 0 1 * 1",
            at,
            &["2024-02-01 00:00 +00:00", "2024-02-05 00:00 +00:00"],
        );
        check_runs(
            "30 9 * * 1-5",
            "2024-02-02T09:30:00+00:00[UTC]",
            &["2024-02-05 09:30 +00:00"],
        );
        check_runs("0 0 29 2 1", at, &["2024-02-05 00:00 +00:00"]);
        // 2100 is not a leap year.
        check_runs(
            "0 0 29 2 *",
            "2096-03-01T00:00:00+00:00[UTC]",
            &["2104-02-29 00:00 +00:00"],
        );
        assert!(next_runs(&expr("@reboot").clone().into_rendered(), &zoned(at), 3).is_empty());
        assert!(next_runs(&expr("* * * * *").into_rendered(), &zoned(at), 0).is_empty());
    }

    impl CronExpr {
        fn into_rendered(self) -> Rendered {
            Rendered {
                cron: self,
                guard: None,
            }
        }
    }

    #[test]
    fn yearly_job_is_found_by_skipping_not_scanning() {
        // Not a timed test (see DESIGN.md, Performance): it prints how long 100 searches for
        // 3 leap days take, which is quick only because the search skips whole months.
        let r = expr("0 0 29 2 *").into_rendered();
        let after = zoned("2024-03-01T00:00:00+00:00[UTC]");
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(next_runs(&r, &after, 3).len(), 3);
        }
        eprintln!("100 x 3 leap-day runs: {:?}", start.elapsed());
    }

    #[test]
    fn dst_in_new_york() {
        // 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST.
        let before_spring = "2024-03-10T00:00:00-05:00[America/New_York]";
        // A fixed-time job in the skipped hour runs right after the jump, once per minute.
        check_runs(
            "30 2 * * *",
            before_spring,
            &["2024-03-10 03:00 -04:00", "2024-03-11 02:30 -04:00"],
        );
        check_runs(
            "0,30 2 * * *",
            before_spring,
            &[
                "2024-03-10 03:00 -04:00",
                "2024-03-10 03:00 -04:00",
                "2024-03-11 02:00 -04:00",
            ],
        );
        // A wildcard job's skipped minutes do not run.
        check_runs("*/30 2 * * *", before_spring, &["2024-03-11 02:00 -04:00"]);
        check_runs(
            "0 * * * *",
            "2024-03-10T00:30:00-05:00[America/New_York]",
            &["2024-03-10 01:00 -05:00", "2024-03-10 03:00 -04:00"],
        );
        let before_fall = "2024-11-03T00:00:00-04:00[America/New_York]";
        // A fixed-time job in the repeated hour runs only the first time...
        check_runs(
            "30 1 * * *",
            before_fall,
            &["2024-11-03 01:30 -04:00", "2024-11-04 01:30 -05:00"],
        );
        // ...a wildcard job both times.
        check_runs(
            "30 * * * *",
            before_fall,
            &[
                "2024-11-03 00:30 -04:00",
                "2024-11-03 01:30 -04:00",
                "2024-11-03 01:30 -05:00",
                "2024-11-03 02:30 -05:00",
            ],
        );
        // Starting inside the repeated hour, after its first pass.
        check_runs(
            "45 1 * * *",
            "2024-11-03T01:10:00-05:00[America/New_York]",
            &["2024-11-04 01:45 -05:00"],
        );
        check_runs(
            "*/30 * * * *",
            "2024-11-03T01:10:00-05:00[America/New_York]",
            &["2024-11-03 01:30 -05:00", "2024-11-03 02:00 -05:00"],
        );
    }

    /// Runs of an interval are exactly that interval apart.
    #[track_caller]
    fn check_exact_spacing(every: &str, zone: &str, after: &str, count: usize) {
        let iv = Interval::parse(every).unwrap();
        let after = zoned(after).with_time_zone(tz(zone));
        let got = next_runs(&iv.render(), &after, count);
        assert_eq!(got.len(), count, "{every} in {zone}");
        for pair in got.windows(2) {
            let gap = pair[1].timestamp().as_second() - pair[0].timestamp().as_second();
            assert_eq!(
                gap,
                iv.minutes() as i64 * 60,
                "{every} in {zone}: {} -> {}",
                pair[0],
                pair[1]
            );
        }
        // The first run is no later than one interval away.
        let first = got[0].timestamp().as_second() - after.timestamp().as_second();
        assert!(
            first > 0 && first <= iv.minutes() as i64 * 60,
            "{every} in {zone}: first after {first}s"
        );
    }

    #[test]
    fn intervals_are_exact_across_midnight_offsets_and_dst() {
        for every in ["5h", "90m", "7m", "2d", "45m", "1h1m", "15m", "3h", "1d"] {
            for zone in [
                "UTC",
                "Asia/Kolkata",
                "Asia/Kathmandu",
                "America/New_York",
                "Europe/Berlin",
            ] {
                // 3h and 1d render to plain `0 */3 * * *` and `0 0 * * *` (the interval divides
                // the day), which follow the local clock: a DST day makes one gap an hour
                // shorter or longer.
                let plain_local = every == "3h" || every == "1d";
                if plain_local && (zone == "America/New_York" || zone == "Europe/Berlin") {
                    continue;
                }
                for after in [
                    "2024-03-09T12:07:00+00:00[UTC]",
                    "2024-11-02T12:07:00+00:00[UTC]",
                    "2024-03-30T12:07:00+00:00[UTC]",
                    "2024-10-26T12:07:00+00:00[UTC]",
                ] {
                    let count = if every.ends_with('m') && every != "90m" {
                        400
                    } else {
                        40
                    };
                    check_exact_spacing(every, zone, after, count);
                }
            }
        }
    }

    #[test]
    fn five_hours_in_kathmandu_from_a_known_start() {
        // 2024-01-01 00:00 UTC is slot 473_352 of 3600 s; 473_352 % 5 == 2, so the first kept
        // slot starts at 03:00 UTC, 08:45 in Kathmandu (+05:45), where `0 * * * *` fires at :00
        // local = :15 UTC: 03:15 UTC = 09:00 local.
        let r = Interval::parse("5h").unwrap().render();
        assert_eq!(
            runs(&r, "2024-01-01T05:45:00+05:45[Asia/Kathmandu]", 3),
            [
                "2024-01-01 09:00 +05:45",
                "2024-01-01 14:00 +05:45",
                "2024-01-01 19:00 +05:45"
            ]
        );
    }

    // -----------------------------------------------------------------------------------------
    // Oracles
    // -----------------------------------------------------------------------------------------

    /// A crontab field: `*`, `*/S`, `N`, `N-M`, `N-M/S` or a list of them; names sometimes.
    fn field(lo: u32, hi: u32, names: Option<&'static [&'static str]>) -> BoxedStrategy<String> {
        let value = (lo..=hi, any::<bool>()).prop_map(move |(v, named)| match names {
            Some(n) if named && (v - lo) < n.len() as u32 => n[(v - lo) as usize].to_uppercase(),
            _ => v.to_string(),
        });
        let element = prop_oneof![
            3 => value.clone(),
            2 => (lo..=hi, lo..=hi).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
            1 => (lo..=hi, lo..=hi, 1..=(hi - lo)).prop_map(|(a, b, s)| format!("{}-{}/{s}", a.min(b), a.max(b))),
            1 => (1..=(hi - lo)).prop_map(|s| format!("*/{s}")),
        ];
        prop_oneof![
            2 => Just("*".to_string()),
            3 => element.clone(),
            1 => prop::collection::vec(element, 2..=3).prop_map(|v| v.join(",")),
        ]
        .boxed()
    }

    /// Random valid 5-field expressions. Hours lean towards 0-4, where DST changes happen, and
    /// days towards `*`, so that DST days match often enough for the simulation to bite.
    fn expression() -> impl Strategy<Value = CronExpr> {
        let hour = prop_oneof![field(0, 23, None), field(0, 4, None)];
        let mostly_star =
            |f: BoxedStrategy<String>| prop_oneof![2 => Just("*".to_string()), 1 => f];
        (
            field(0, 59, None),
            hour,
            mostly_star(field(1, 31, None)),
            mostly_star(field(1, 12, Some(&MONTH_NAMES))),
            mostly_star(field(0, 7, Some(&DOW_NAMES))),
        )
            .prop_filter_map("cron rejects it", |(mi, h, dom, mo, dow)| {
                CronExpr::parse(&format!("{mi} {h} {dom} {mo} {dow}")).ok()
            })
    }

    fn croner_next(expr: &CronExpr, after: Timestamp, n: usize) -> Vec<i64> {
        use chrono::TimeZone as _;
        let times = expr.times.unwrap();
        let mut builder = croner::Cron::new(expr.as_str());
        // croner treats only an exact `*` as unrestricted; Vixie cron looks at the first
        // character. Ask croner for an AND whenever Vixie's flags make one.
        if times.dom_star || times.dow_star {
            builder.with_dom_and_dow();
        }
        let cron = builder
            .parse()
            .unwrap_or_else(|e| panic!("croner rejects {expr}: {e}"));
        let mut t = chrono::Utc.timestamp_opt(after.as_second(), 0).unwrap();
        let mut out = Vec::new();
        for _ in 0..n {
            t = cron.find_next_occurrence(&t, false).unwrap();
            out.push(t.timestamp());
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn agrees_with_croner_in_utc(expr in expression(), minutes in 0i64..(40 * 365 * 1440)) {
            let after = Timestamp::from_second(1_577_836_800 + minutes * 60 + 17).unwrap();
            let ours: Vec<i64> = next_runs(&expr.clone().into_rendered(), &after.to_zoned(TimeZone::UTC), 5)
                .iter()
                .map(|z| z.timestamp().as_second())
                .collect();
            prop_assert_eq!(ours, croner_next(&expr, after, 5), "{}", expr);
        }
    }

    /// Vixie cron's matcher, written again from entry.c/cron.c for the simulation.
    fn vixie_matches(t: &Times, dt: civil::DateTime) -> bool {
        let has = |bits: u64, v: i8| bits >> v & 1 == 1;
        let dom = has(t.dom, dt.day());
        let dow = has(t.dow, dt.weekday().to_sunday_zero_offset());
        has(t.minute, dt.minute())
            && has(t.hour, dt.hour())
            && has(t.month, dt.month())
            && if t.dom_star || t.dow_star {
                dom && dow
            } else {
                dom || dow
            }
    }

    /// A minute-by-minute simulation of cron.c's main loop (Vixie 4 / ISC, as Debian runs it):
    /// the jobs that run at each real minute in (start, end], guard applied.
    fn simulate_cron(
        rendered: &Rendered,
        tz: &TimeZone,
        start: Timestamp,
        end: Timestamp,
    ) -> Vec<i64> {
        let t = rendered.cron.times.unwrap();
        let wild = t.min_star || t.hr_star;
        // clockTime = (time + GMToff) / 60: minutes of the local clock.
        let clock =
            |ts: Timestamp| (ts.as_second() + i64::from(tz.to_offset(ts).seconds())).div_euclid(60);
        let mut now = start.as_second().div_euclid(60) * 60;
        let mut time_running = clock(Timestamp::from_second(now).unwrap());
        let mut virtual_time = time_running;
        let mut fired = Vec::new();
        while now < end.as_second() {
            now += 60;
            let real = Timestamp::from_second(now).unwrap();
            let clock_time = clock(real);
            if clock_time == time_running {
                continue; // cron sleeps on
            }
            time_running = clock_time;
            let mut find_jobs = |vtime: i64, do_wild: bool, do_non_wild: bool| {
                let dt = Timestamp::from_second(vtime * 60)
                    .unwrap()
                    .to_zoned(TimeZone::UTC)
                    .datetime();
                if vixie_matches(&t, dt) && ((do_non_wild && !wild) || (do_wild && wild)) {
                    fired.push(now);
                }
            };
            let time_diff = time_running - virtual_time;
            if time_diff == 1 {
                virtual_time = time_running;
                find_jobs(virtual_time, true, true);
            } else if !(-180..=180).contains(&time_diff) {
                virtual_time = time_running;
                find_jobs(time_running, true, true);
            } else if time_diff > 5 {
                find_jobs(time_running, true, false);
                loop {
                    virtual_time += 1;
                    find_jobs(virtual_time, false, true);
                    if virtual_time >= time_running {
                        break;
                    }
                }
            } else if time_diff > 0 {
                loop {
                    virtual_time += 1;
                    find_jobs(virtual_time, true, true);
                    if virtual_time >= time_running {
                        break;
                    }
                }
            } else {
                find_jobs(time_running, true, false);
            }
        }
        fired
            .into_iter()
            .filter(|s| {
                rendered
                    .guard
                    .is_none_or(|g| g.allows(Timestamp::from_second(*s).unwrap()))
            })
            .collect()
    }

    /// DST transitions of 2024-2027 in a zone.
    fn transitions(zone: &TimeZone) -> Vec<Timestamp> {
        let from = Timestamp::from_second(1_704_067_200).unwrap(); // 2024-01-01
        zone.following(from)
            .take(8)
            .map(|t| t.timestamp())
            .collect()
    }

    fn check_against_simulation(
        rendered: &Rendered,
        zone: &str,
        which: usize,
        lead_minutes: i64,
    ) -> Result<(), TestCaseError> {
        let tz = tz(zone);
        let transition = transitions(&tz)[which];
        let start = transition
            .checked_sub(jiff::SignedDuration::from_mins(lead_minutes))
            .unwrap();
        let end = transition
            .checked_add(jiff::SignedDuration::from_hours(30))
            .unwrap();
        let want = simulate_cron(rendered, &tz, start, end);
        let got: Vec<i64> = next_runs(rendered, &start.to_zoned(tz.clone()), want.len() + 1)
            .iter()
            .map(|z| z.timestamp().as_second())
            .filter(|s| *s <= end.as_second())
            .collect();
        prop_assert_eq!(
            got,
            want,
            "{} in {} around {}",
            rendered.cron,
            zone,
            transition
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn agrees_with_cron_c_across_dst(
            expr in expression(),
            zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York"]),
            which in 0usize..8,
            lead in 4 * 60i64..(36 * 60),
        ) {
            check_against_simulation(&expr.into_rendered(), zone, which, lead)?;
        }

        #[test]
        fn guarded_intervals_agree_with_cron_c_across_dst(
            minutes in prop::sample::select(vec![7u64, 45, 61, 90, 100, 300, 420, 1500, 2880]),
            zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York"]),
            which in 0usize..8,
            lead in 4 * 60i64..(36 * 60),
        ) {
            let rendered = Interval { minutes }.render();
            check_against_simulation(&rendered, zone, which, lead)?;
        }
    }

    #[test]
    fn nicknames_agree_with_cron_c_across_dst() {
        for nick in ["@hourly", "@daily", "@weekly", "@monthly", "@yearly"] {
            for zone in ["Europe/Berlin", "America/New_York"] {
                for which in 0..8 {
                    check_against_simulation(&expr(nick).into_rendered(), zone, which, 26 * 60)
                        .unwrap();
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Words
    // -----------------------------------------------------------------------------------------

    #[track_caller]
    fn check_words(schedule: &str, want: &str) {
        let schedule = match Interval::parse(schedule) {
            Ok(iv) => Schedule::Every(iv),
            Err(_) => Schedule::Cron(expr(schedule)),
        };
        assert_eq!(describe(&schedule), want);
    }

    #[test]
    fn words() {
        check_words("5h", "every 5 hours");
        check_words("90m", "every 90 minutes");
        check_words("15m", "every 15 minutes");
        check_words("1h", "every hour");
        check_words("2d", "every 2 days");
        check_words("1d", "every day");
        check_words("* * * * *", "every minute");
        check_words("*/15 * * * *", "every 15 minutes");
        check_words("0 * * * *", "every hour");
        check_words("@hourly", "every hour");
        check_words("0 0 * * *", "every day at 00:00");
        check_words("@daily", "every day at 00:00");
        check_words("15 3 * * 1", "at 03:15 on Monday");
        check_words("0 0 1 * *", "at 00:00 on day 1 of the month");
        check_words("@monthly", "at 00:00 on day 1 of the month");
        check_words("@weekly", "at 00:00 on Sunday");
        check_words("@yearly", "at 00:00 on 1 January");
        check_words("0 12 25 12 *", "at 12:00 on 25 December");
        check_words("0 */5 * * *", "at minute 0 past every 5th hour");
        check_words("@reboot", "at boot (when cron starts)");
        check_words("30 9 * * 1-5", "at 09:30 on Monday through Friday");
        check_words(
            "30 9 * * mon,wed,fri",
            "at 09:30 on Monday, Wednesday and Friday",
        );
        check_words("0 9,17 * * *", "every day at 09:00 and 17:00");
        check_words("5 * * * *", "at minute 5 past every hour");
        check_words(
            "0 0 1 * 1",
            "at 00:00 on day 1 of the month and on every Monday",
        );
        check_words(
            "0 0 */2 * 1",
            "at 00:00 on day 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29 and 31 of the month when that day is also a Monday",
        );
        check_words(
            "0 12 * jun-aug *",
            "every day at 12:00 in June through August",
        );
        check_words(
            "*/7 * * * *",
            "at minute 0, 7, 14, 21, 28, 35, 42, 49 and 56 past every hour",
        );
        check_words("* 3 * * *", "every minute of hour 3");
        check_words(
            "0-10 1-5 * * *",
            "at minute 0 through 10 past hour 1 through 5",
        );
        check_words("0 0 1-31 * 1", "every day at 00:00");
    }
}
