//! Whether a firing runs, decided from the runner's arguments and an injected clock, never the
//! OS: who started it (`by=`), the exact-interval guard of an `--every` line, the timeout, and
//! the catch-up decision of an `@reboot` line. Pure, so every decision is tested with any
//! instant and time zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::run_log::{RunId, Trigger};
use crate::runner_args::RunnerArgs;
use crate::schedule::{CronExpr, Interval, Rendered, next_runs};

/// The variable that says who started a run (`run-now:USER`, `catch-up`); unset under cron.
/// `run-now` sets it, and 0.2's lines read it too, so it keeps its name and values.
pub(crate) const ENV_BY: &str = "CRONTAINER_BY";

/// Who started this firing: `--catch-up` is always the catch-up; otherwise `CRONTAINER_BY`
/// as the 0.2 line read it (`run-now:USER`, `catch-up`), and cron when it is unset or unknown.
pub(crate) fn trigger(args: &RunnerArgs, by: Option<&str>) -> Trigger {
    if args.catch_up {
        return Trigger::CatchUp;
    }
    match by {
        Some("catch-up") => Trigger::CatchUp,
        Some(value) => match value.strip_prefix("run-now:") {
            Some(user) if !user.is_empty() && !user.contains(char::is_whitespace) => {
                Trigger::RunNow {
                    user: user.to_owned(),
                }
            }
            _ => Trigger::Cron,
        },
        None => Trigger::Cron,
    }
}

/// The schedule a line fires on, as `plan` computes it: `--every`'s rendered cron line and
/// guard, or `--schedule`'s expression. None when the line names neither.
pub(crate) fn rendered(args: &RunnerArgs) -> Result<Option<Rendered>, String> {
    if let Some(every) = &args.every {
        let interval = Interval::parse(every).map_err(|e| format!("--every {every:?}: {e}"))?;
        return Ok(Some(interval.render()));
    }
    match &args.schedule {
        Some(text) => {
            let cron = CronExpr::parse(text).map_err(|e| format!("--schedule {text:?}: {e}"))?;
            Ok(Some(Rendered { cron, guard: None }))
        }
        None => Ok(None),
    }
}

/// Whether a cron firing at `now` is one the exact-interval guard lets through: the same guard
/// the renderer produces for `--every` (one copy, `schedule::Guard`). A run started by hand or
/// by the catch-up is never held back by it: it is not a firing of the cron line's slots.
pub(crate) fn guard_allows(rendered: Option<&Rendered>, by: &Trigger, now: Timestamp) -> bool {
    match (rendered.and_then(|r| r.guard.as_ref()), by) {
        (Some(guard), Trigger::Cron) => guard.allows(now),
        _ => true,
    }
}

/// `--timeout` in seconds.
pub(crate) fn timeout(args: &RunnerArgs) -> Result<Option<u64>, String> {
    args.timeout
        .as_deref()
        .map(|t| crate::config::parse_duration(t).map_err(|e| format!("--timeout {t:?} {e}")))
        .transpose()
}

/// `--catch-up-within` in seconds.
pub(crate) fn catch_up_within(args: &RunnerArgs) -> Result<Option<u64>, String> {
    args.catch_up_within
        .as_deref()
        .map(|w| {
            crate::config::parse_duration(w).map_err(|e| format!("--catch-up-within {w:?} {e}"))
        })
        .transpose()
}

/// The delay before the first retry when `--retry-delay` does not say.
pub(crate) const DEFAULT_RETRY_DELAY: u64 = 30;

/// `--retry-delay` in seconds.
pub(crate) fn retry_delay(args: &RunnerArgs) -> Result<u64, String> {
    match args.retry_delay.as_deref() {
        None => Ok(DEFAULT_RETRY_DELAY),
        Some(d) => crate::config::parse_duration(d).map_err(|e| format!("--retry-delay {d:?} {e}")),
    }
}

/// `--since`, an RFC 3339 instant.
pub(crate) fn since(args: &RunnerArgs) -> Result<Option<Timestamp>, String> {
    args.since
        .as_deref()
        .map(|s| {
            s.parse::<Timestamp>()
                .map_err(|e| format!("--since {s:?} is not an RFC 3339 time: {e}"))
        })
        .transpose()
}

/// What a catch-up line does at a boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CatchUp {
    /// A firing was due at `due` and no run started since: run once now.
    Run { due: Timestamp },
    /// Nothing was missed: no firing fell between the last run (or the install) and now.
    NothingMissed,
}

/// Whether a boot at `now` must run the job: only if a firing of `rendered` (guard included,
/// DST handled as `plan` and cron do, in `tz`) fell after the last run started (`last`, the lock
/// file's run id) and after the install (`since`), and at or before `now`. A job that never ran
/// and has no `since` runs. Any number of boots in one slot run it at most once, as the run
/// writes its id into the lock file before it starts.
pub(crate) fn catch_up(
    rendered: &Rendered,
    last: Option<RunId>,
    since: Option<Timestamp>,
    now: Timestamp,
    tz: &TimeZone,
) -> CatchUp {
    let after = match (last.map(|r| r.started_at()), since) {
        (Some(a), Some(b)) => a.max(b),
        (Some(a), None) | (None, Some(a)) => a,
        // Never ran and no install time: any firing of the past year was missed.
        (None, None) => Timestamp::from_second(now.as_second() - 366 * 86_400).unwrap_or(now),
    };
    let after_zoned = after.to_zoned_datetime(tz.clone());
    match next_runs(rendered, &after_zoned, 1).first() {
        Some(next) if next.timestamp() <= now => CatchUp::Run {
            due: next.timestamp(),
        },
        _ => CatchUp::NothingMissed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> RunnerArgs {
        let mut all = vec!["j", "--log", "/l/j.log", "--runtime", "/usr/bin/docker"];
        all.extend_from_slice(words);
        all.extend_from_slice(&["--", "c", "p"]);
        RunnerArgs::from_words(all).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn run(pid: u32, started: &str) -> Option<RunId> {
        Some(RunId {
            pid,
            started: at(started).as_second(),
        })
    }

    #[test]
    fn who_started_it() {
        let cron = args(&[]);
        assert_eq!(trigger(&cron, None), Trigger::Cron);
        assert_eq!(
            trigger(&cron, Some("run-now:alice")),
            Trigger::RunNow {
                user: "alice".into()
            }
        );
        assert_eq!(trigger(&cron, Some("catch-up")), Trigger::CatchUp);
        // A value that would not read back as a record is cron's, never a forged word.
        assert_eq!(trigger(&cron, Some("run-now:a b")), Trigger::Cron);
        assert_eq!(trigger(&cron, Some("run-now:")), Trigger::Cron);
        assert_eq!(
            trigger(&args(&["--catch-up"]), Some("run-now:alice")),
            Trigger::CatchUp
        );
    }

    #[test]
    fn the_guard_is_the_renderers_and_holds_back_only_cron() {
        // 5h: cron fires every hour, the guard keeps every 5th hour since the epoch.
        let five = rendered(&args(&["--every", "5h"])).unwrap();
        let guard = five
            .as_ref()
            .and_then(|r| r.guard)
            .expect("5h needs a guard");
        assert_eq!(
            guard,
            Interval::parse("5h").unwrap().render().guard.unwrap()
        );
        let through = at("1970-01-01T05:00:00Z");
        let held = at("1970-01-01T06:00:00Z");
        assert!(guard_allows(five.as_ref(), &Trigger::Cron, through));
        assert!(!guard_allows(five.as_ref(), &Trigger::Cron, held));
        let alice = Trigger::RunNow {
            user: "alice".into(),
        };
        assert!(guard_allows(five.as_ref(), &alice, held));
        assert!(guard_allows(five.as_ref(), &Trigger::CatchUp, held));
        // 15m renders as plain cron: no guard at all.
        let fifteen = rendered(&args(&["--every", "15m"])).unwrap();
        assert!(guard_allows(fifteen.as_ref(), &Trigger::Cron, held));
        assert!(guard_allows(None, &Trigger::Cron, held));
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            timeout(&args(&["--timeout", "4x"])),
            Err(
                "--timeout \"4x\" has an unexpected 'x'; use a number with a unit s, m, h or d, \
                 e.g. \"30m\", \"4h\" or \"1h30m\""
                    .into()
            )
        );
        assert_eq!(timeout(&args(&["--timeout", "1h30m"])), Ok(Some(5400)));
        assert!(rendered(&args(&["--every", "5x"])).is_err());
        assert!(since(&args(&["--catch-up", "--since", "yesterday"])).is_err());
    }

    #[test]
    fn catch_up_runs_once_per_missed_slot() {
        let utc = TimeZone::UTC;
        let daily = Rendered {
            cron: CronExpr::parse("0 3 * * *").unwrap(),
            guard: None,
        };
        let since = Some(at("2026-12-01T12:00:00Z"));
        // The host was down at 03:00 on the 3rd; the last run was on the 2nd.
        let boot = at("2026-12-03T08:00:00Z");
        assert_eq!(
            catch_up(&daily, run(7, "2026-12-02T03:00:00Z"), since, boot, &utc),
            CatchUp::Run {
                due: at("2026-12-03T03:00:00Z")
            }
        );
        // A second boot in the same slot finds the catch-up's own run in the lock file.
        assert_eq!(
            catch_up(
                &daily,
                run(9, "2026-12-03T08:00:01Z"),
                since,
                at("2026-12-03T09:00:00Z"),
                &utc
            ),
            CatchUp::NothingMissed
        );
        // Installed after the last slot: nothing before the install is missed.
        assert_eq!(
            catch_up(
                &daily,
                None,
                Some(at("2026-12-03T04:00:00Z")),
                at("2026-12-03T08:00:00Z"),
                &utc
            ),
            CatchUp::NothingMissed
        );
        // Never ran, installed before the slot: it runs.
        assert_eq!(
            catch_up(&daily, None, since, boot, &utc),
            CatchUp::Run {
                due: at("2026-12-02T03:00:00Z")
            }
        );
    }

    #[test]
    fn catch_up_follows_the_guard_and_the_local_clock() {
        // Every 5h: slots at epoch multiples of 5h (…, 2026-12-03T05:00Z, 10:00Z, …).
        let five = Interval::parse("5h").unwrap().render();
        let last = run(1, "2026-12-03T05:00:00Z");
        assert_eq!(
            catch_up(
                &five,
                last,
                None,
                at("2026-12-03T09:59:00Z"),
                &TimeZone::UTC
            ),
            CatchUp::NothingMissed
        );
        assert_eq!(
            catch_up(
                &five,
                last,
                None,
                at("2026-12-03T10:30:00Z"),
                &TimeZone::UTC
            ),
            CatchUp::Run {
                due: at("2026-12-03T10:00:00Z")
            }
        );
        // 03:00 local in New York is 08:00Z in winter: a boot at 07:00Z missed nothing yet.
        let ny = TimeZone::get("America/New_York").unwrap();
        let daily = Rendered {
            cron: CronExpr::parse("0 3 * * *").unwrap(),
            guard: None,
        };
        let last = run(1, "2026-12-02T08:00:00Z");
        assert_eq!(
            catch_up(&daily, last, None, at("2026-12-03T07:00:00Z"), &ny),
            CatchUp::NothingMissed
        );
        assert_eq!(
            catch_up(&daily, last, None, at("2026-12-03T08:00:00Z"), &ny),
            CatchUp::Run {
                due: at("2026-12-03T08:00:00Z")
            }
        );
    }
}
