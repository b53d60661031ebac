//! The schedule in plain English, for `status` and `plan` ([`describe`]). The grammar's
//! warnings share its month names and list joining.

use super::{CronExpr, Interval, Schedule};

pub(super) const MONTH_FULL: [&str; 12] = [
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
pub(super) fn join_words<S: AsRef<str>>(items: &[S]) -> String {
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
    use crate::schedule::test_support::expr;

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
