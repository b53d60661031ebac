//! One field of a crontab expression: its bounds and names as Vixie cron knows them, and the
//! parser from the field's text (`*`, `N`, `N-M`, `*/S`, `N-M/S`, lists) to one bit per value,
//! with an error, naming the field and what it accepts, for whatever cron would reject or
//! silently misread.

use std::fmt;

use super::ScheduleError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

pub(super) const FIELDS: [Field; 5] = [
    Field::Minute,
    Field::Hour,
    Field::DayOfMonth,
    Field::Month,
    Field::DayOfWeek,
];

pub(super) const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
pub(super) const DOW_NAMES: [&str; 8] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];

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

const SYNTAX: &str = "`*`, `N`, `N-M`, `*/S`, `N-M/S` and comma-separated lists of these";

fn field_error(field: Field, text: &str, problem: impl fmt::Display) -> ScheduleError {
    ScheduleError::new(format!(
        "The {} field \"{text}\" is invalid: {problem}. The {} field accepts {}, written as \
         {SYNTAX}.",
        field.name(),
        field.name(),
        field.accepted()
    ))
}

pub(super) fn parse_field(field: Field, text: &str) -> Result<u64, ScheduleError> {
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
