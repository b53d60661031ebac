//! The next runs of a rendered schedule in a time zone ([`next_runs`]), following the Vixie/ISC
//! `cron.c` main loop that Debian runs: the matching civil minutes, then the instants at which
//! cron really runs them, DST catch-up and repeats included, then the guard.

use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

use super::Rendered;
use super::grammar::{Times, bit};

/// How far ahead [`next_runs`] looks. A job on February 29 that must also be a Monday can wait
/// 40 years (2072 to 2112, as 2100 is no leap year).
const SEARCH_YEARS: i16 = 50;

/// The next `n` times strictly after `after` at which the job's command really runs, in
/// `after`'s time zone, as Debian's cron fires them, guard included. `@reboot` has none.
///
/// Times come back in order; two runs can share an instant (after a DST jump, cron catches up
/// each skipped minute of a fixed-time job at once).
pub fn next_runs(rendered: &Rendered, after: &ZonedDateTime, n: usize) -> Vec<ZonedDateTime> {
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
        .map(|ts| ts.to_zoned_datetime(tz.clone()))
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

/// The lowest set bit at or above `from`.
fn next_bit(bits: u64, from: i8) -> Option<i8> {
    if !(0..64).contains(&from) {
        return None;
    }
    let masked = bits & (!0u64 << from);
    (masked != 0).then(|| masked.trailing_zeros() as i8)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::field::{DOW_NAMES, MONTH_NAMES};
    use crate::schedule::test_support::expr;
    use crate::schedule::{CronExpr, Interval, Schedule};
    use proptest::prelude::*;

    fn zoned(s: &str) -> ZonedDateTime {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or_else(|e| panic!("time zone {name}: {e}"))
    }

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
        // Not a timed test (performance is measured by `scripts/bench`, see
        // docs/ARCHITECTURE.md): it prints how long 100 searches for 3 leap days take, which is
        // quick only because the search skips whole months.
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
        // croner treats only an exact `*` as unrestricted; Vixie cron looks at the first
        // character. Ask croner for an AND whenever Vixie's flags make one.
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .dom_and_dow(times.dom_star || times.dow_star)
            .build()
            .parse(expr.as_str())
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
            let ours: Vec<i64> = next_runs(&expr.clone().into_rendered(), &after.to_zoned_datetime(TimeZone::UTC), 5)
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
                    .to_zoned_datetime(TimeZone::UTC)
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
        let got: Vec<i64> = next_runs(
            rendered,
            &start.to_zoned_datetime(tz.clone()),
            want.len() + 1,
        )
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
}
