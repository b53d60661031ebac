//! A cron schedule as systemd `OnCalendar=` expressions that fire at exactly the minutes cron
//! fires ([`on_calendar`]).
//!
//! The fields become explicit value lists (runs of three or more as `a..b`), never cron's step
//! syntax: systemd's `/` repeats from the start value to the end of the whole range, which is
//! cron's meaning only for some fields, so lists leave nothing to interpretation. Vixie cron's
//! day rule (day-of-month and day-of-week are ORed when neither field begins with `*`, else
//! ANDed) has no single-expression form in systemd, which always ANDs the weekday with the
//! date; an OR becomes two `OnCalendar=` lines, one per day field, and a timer with several
//! elapses at the earliest of them (a minute both match fires once).
//!
//! An `every` interval renders through its cron expression ([`crate::schedule::Schedule::render`])
//! and keeps the runner's epoch-slot guard (`--every` in `ExecStart=`), exactly as the cron line
//! does, so the gaps stay exact across midnight.
//!
//! Time zones: both fire in the host's local time. At a DST change they differ: Debian's cron
//! catches up a fixed-time job whose minute a forward jump skipped and runs a wildcard job again
//! in a repeated hour; systemd skips a time that does not exist and fires a repeated time once.

use crate::schedule::{CronExpr, FieldBits};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The `OnCalendar=` values (one, or two for cron's day-of-month OR day-of-week rule) that fire
/// when `expr` does; `None` for `@reboot`, which has no time.
pub fn on_calendar(expr: &CronExpr) -> Option<Vec<String>> {
    let bits = expr.field_bits()?;
    let time = format!(
        "{}:{}:00",
        list(bits.hour, 0, 23, two_digits),
        list(bits.minute, 0, 59, two_digits)
    );
    let month = list(bits.month, 1, 12, plain);
    let all_dom = full(bits.dom, 1, 31);
    let all_dow = full(bits.dow, 0, 6);
    let date = |dom: &str| format!("*-{month}-{dom}");
    let dom = list(bits.dom, 1, 31, plain);
    let dow = weekdays(&bits);
    let lines = if bits.days_or && !all_dom && !all_dow {
        vec![
            format!("{} {time}", date(&dom)),
            format!("{dow} {} {time}", date("*")),
        ]
    } else if bits.days_or || all_dow {
        // An OR with one field unrestricted matches every day; an AND with every weekday is
        // the day-of-month alone.
        let dom = if bits.days_or { "*".to_string() } else { dom };
        vec![format!("{} {time}", date(&dom))]
    } else {
        vec![format!("{dow} {} {time}", date(&dom))]
    };
    Some(lines)
}

fn weekdays(bits: &FieldBits) -> String {
    let days: Vec<u32> = (0..7).filter(|d| bits.dow & (1 << d) != 0).collect();
    // Monday first: systemd's ranges run Mon..Sun, so Sunday (cron's 0) cannot start one.
    let mut monday_first: Vec<u32> = days.iter().copied().filter(|d| *d != 0).collect();
    if days.contains(&0) {
        monday_first.push(7);
    }
    runs(&monday_first)
        .into_iter()
        .map(|(lo, hi)| {
            let name = |d: u32| WEEKDAYS[(d % 7) as usize];
            if lo == hi {
                name(lo).to_string()
            } else if hi == lo + 1 {
                format!("{},{}", name(lo), name(hi))
            } else {
                format!("{}..{}", name(lo), name(hi))
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn plain(v: u32) -> String {
    v.to_string()
}

fn two_digits(v: u32) -> String {
    format!("{v:02}")
}

fn full(bits: u64, lo: u32, hi: u32) -> bool {
    (lo..=hi).all(|v| bits & (1 << v) != 0)
}

/// The values of `bits` within `lo..=hi` as a systemd list: `*` when all are set, runs of three
/// or more as `a..b`.
fn list(bits: u64, lo: u32, hi: u32, show: fn(u32) -> String) -> String {
    if full(bits, lo, hi) {
        return "*".to_string();
    }
    let values: Vec<u32> = (lo..=hi).filter(|v| bits & (1 << v) != 0).collect();
    runs(&values)
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => show(a),
            1 => format!("{},{}", show(a), show(b)),
            _ => format!("{}..{}", show(a), show(b)),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Sorted values as runs of consecutive ones: `[1, 2, 3, 7]` is `[(1, 3), (7, 7)]`.
fn runs(values: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in values {
        match out.last_mut() {
            Some((_, hi)) if *hi + 1 == v => *hi = v,
            _ => out.push((v, v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(cron: &str, expected: &[&str]) {
        let expr = CronExpr::parse(cron).unwrap();
        assert_eq!(on_calendar(&expr).unwrap(), expected, "for {cron:?}");
    }

    #[test]
    fn fields_become_lists() {
        case("* * * * *", &["*-*-* *:*:00"]);
        case("0 */5 * * *", &["*-*-* 00,05,10,15,20:00:00"]);
        case(
            "*/15 9-17 * * 1-5",
            &["Mon..Fri *-*-* 09..17:00,15,30,45:00"],
        );
        case("30 3 * jan,jul sun", &["Sun *-1,7-* 03:30:00"]);
        case("0 0 * * 0,6", &["Sat,Sun *-*-* 00:00:00"]);
        case("0 0 * * 5-7", &["Fri..Sun *-*-* 00:00:00"]);
        case("0 12 31 * *", &["*-*-31 12:00:00"]);
        case("@daily", &["*-*-* 00:00:00"]);
        case("@hourly", &["*-*-* *:00:00"]);
        case("@weekly", &["Sun *-*-* 00:00:00"]);
        case("@monthly", &["*-*-1 00:00:00"]);
        case("@yearly", &["*-1-1 00:00:00"]);
    }

    #[test]
    fn days_are_ored_only_when_both_are_restricted() {
        // Vixie: both restricted, neither starting with `*`: either day field.
        case("0 0 1,15 * 1", &["*-*-1,15 00:00:00", "Mon *-*-* 00:00:00"]);
        case("0 0 1-7 2 5", &["*-2-1..7 00:00:00", "Fri *-2-* 00:00:00"]);
        // A day field beginning with `*` makes it an AND, even with a step.
        case("0 0 */10 * 1", &["Mon *-*-1,11,21,31 00:00:00"]);
        case("0 0 1 * */2", &["Tue,Thu,Sat,Sun *-*-1 00:00:00"]);
    }

    #[test]
    fn reboot_has_no_calendar() {
        assert_eq!(on_calendar(&CronExpr::parse("@reboot").unwrap()), None);
    }
}
