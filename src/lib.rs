//! crontainer turns a TOML file of jobs into system cron entries that `docker exec` a command
//! inside a running container, with logging, and lets its user see (`status`), trigger
//! (`run-now`) and remove (`uninstall`) them. See `README.md` and `DESIGN.md`.

pub mod block;
pub mod run_log;
pub mod schedule;

use std::ffi::OsString;

/// Parses the command line, runs the command, prints any error once and returns the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(_args: I) -> i32 {
    0
}
