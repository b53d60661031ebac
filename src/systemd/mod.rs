//! systemd timers as a target (issue #23): a job as a `.service` that runs the runner once and a
//! `.timer` that fires it when cron would, rendered and read back. Pure: nothing here starts
//! `systemctl` or touches a file; the target that writes the units and drives `systemctl` sits
//! with the cron tables (`cron_table/systemd.rs`).
//!
//! - `calendar.rs`: a cron schedule as `OnCalendar=` expressions firing at the same minutes;
//! - `unit.rs`: a job's entry (marker, cron line, catch-up line: what a block holds) as its two
//!   units, their names, and the entry read back from them.
//!
//! It stands above `line`: a unit carries the entry `line` renders and reads, one copy of each,
//! so a job rendered for systemd is the job rendered for cron.

pub mod calendar;
pub mod unit;

#[cfg(test)]
mod tests;

pub use unit::{
    JobUnits, METRICS_UNIT, UNIT_PREFIX, parse_unit_name, read_entry, read_metrics, render_entry,
    render_metrics, unit_base,
};
