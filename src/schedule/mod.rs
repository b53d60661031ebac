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
//!
//! The module is split by concept, one file each; callers use the re-exports here
//! (`crate::schedule::CronExpr`, ...), never the files:
//!
//! - `grammar.rs`: the crontab expression ([`CronExpr`]): parsing, nicknames, warnings, and the
//!   matching bits and flags that Vixie cron keeps for it; `field.rs` parses one of its five
//!   fields (bounds, names, ranges, steps) into those bits;
//! - `every.rs`: intervals and their epoch-slot guard ([`Interval`], [`Guard`]);
//! - `next.rs`: the next runs, as cron's main loop fires them across DST changes ([`next_runs`]);
//! - `words.rs`: the schedule in plain English ([`describe`]);
//! - this file: the types they share ([`Schedule`], [`Rendered`], [`ScheduleError`]).

use std::fmt;

mod every;
mod field;
mod grammar;
mod next;
mod words;

pub use every::{Guard, Interval};
pub use grammar::{CronExpr, FieldBits};
pub use next::next_runs;
pub use words::describe;

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

/// Test helpers shared by the sub-modules' tests.
#[cfg(test)]
mod test_support {
    use super::CronExpr;

    pub(super) fn expr(s: &str) -> CronExpr {
        CronExpr::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }
}
