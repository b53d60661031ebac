//! systemd timers as a target (issue #23): a job as a `.service` that runs the runner once and a
//! `.timer` that fires it when cron would, rendered and read back. Pure: nothing here starts
//! `systemctl` or touches a file; the target that writes the units and drives `systemctl` sits
//! with the cron tables.
//!
//! - `calendar.rs`: a cron schedule as `OnCalendar=` expressions firing at the same minutes;
//! - `unit.rs`: the units' names and texts, and their strict reader;
//! - this file: one job into its two units ([`render_units`]).
//!
//! It stands above `line`: the service carries the job's marker and the runner words that
//! `line` renders for a cron line, one copy of each.

pub mod calendar;
pub mod unit;

#[cfg(test)]
mod tests;

use std::path::Path;

use anyhow::Result;

use crate::config::Job;
use crate::error::bad_input;
use crate::line::render::{marker, runner_args};
use crate::schedule::Schedule;

pub use calendar::on_calendar;
pub use unit::{
    JobUnits, Service, Timer, parse_unit_name, read_service, read_timer, service_text, timer_text,
    unit_base,
};

/// Where a job's units go and who runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTools<'a> {
    /// The crontainer binary `ExecStart=` runs, by absolute path.
    pub crontainer: &'a Path,
    /// The container runtime, by absolute path.
    pub runtime: &'a Path,
    /// `User=` for a system unit whose jobs run as another user than root; None for root's own
    /// jobs and for a user's units (their manager runs them as that user).
    pub user: Option<&'a str>,
}

/// A job's service and timer for block `block`, not yet installed nor paused.
pub fn render_units(job: &Job, block: &str, tools: &UnitTools) -> Result<JobUnits> {
    let base = unit_base(block, &job.id).map_err(bad_input)?;
    let rendered = job.schedule.render();
    let calendar = on_calendar(&rendered.cron).ok_or_else(|| {
        bad_input(format!(
            "job {:?}: @reboot has no time for a systemd timer; with target = \"systemd\" use \
             a schedule or `every`, and `catch_up = true` for the firings missed while the host \
             was off",
            job.id
        ))
    })?;
    if let Some(jitter) = job.jitter
        && let Some(guard) = rendered.guard
        && jitter >= guard.slot_seconds
    {
        // The runner's guard keeps a firing by the epoch slot it starts in: a delay as long
        // as a slot moves it into the next one, which the guard skips.
        return Err(bad_input(format!(
            "job {:?}: `jitter` must be shorter than {}s for every = \"{}\": the runner keeps \
             every {}th firing of a {}s slot, and a later start falls into a slot it skips",
            job.id,
            guard.slot_seconds,
            match &job.schedule {
                Schedule::Every(interval) => interval.to_string(),
                Schedule::Cron(expr) => expr.as_str().to_string(),
            },
            guard.every_slots,
            guard.slot_seconds
        )));
    }
    let service = Service {
        block: block.to_string(),
        marker: marker(job, tools.runtime),
        binary: tools.crontainer.to_path_buf(),
        args: runner_args(job, tools.runtime),
        user: tools.user.map(str::to_string),
    };
    let timer = Timer {
        block: block.to_string(),
        job: job.id.clone(),
        calendar,
        persistent: job.catch_up,
        jitter: job.jitter,
    };
    Ok(JobUnits {
        base,
        service: service_text(&service),
        timer: timer_text(&timer),
    })
}
