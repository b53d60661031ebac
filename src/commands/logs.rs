//! `crontainer logs JOB`: the output of the job's last run, or the log's last lines, read from
//! the end of the log; `--follow` keeps printing what is appended.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::cli::LogsArgs;
use crate::commands::Follower;
use crate::commands::installed::lookup::find_job;
use crate::error::ExitCode;
use crate::run_log;

pub(crate) fn run(args: &LogsArgs) -> Result<ExitCode> {
    let found = find_job(&args.job, &args.scope)?;
    let log = &found.entry.marker.log;
    let bytes = match args.lines {
        Some(n) => run_log::tail_lines(log, n)?,
        None => match run_log::last_run_output(
            log,
            &found.entry.marker.id,
            run_log::lock_run(&found.entry.marker.lock),
        )? {
            Some(bytes) => bytes,
            None => {
                eprintln!(
                    "crontainer: job {:?} has not run yet (no start line in {})",
                    args.job,
                    log.display()
                );
                Vec::new()
            }
        },
    };
    std::io::stdout().write_all(&bytes)?;
    if args.follow {
        let mut follower = Follower {
            offset: std::fs::metadata(log).map(|m| m.len()).unwrap_or(0),
        };
        loop {
            follower.pump(log)?;
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(ExitCode::Success)
}
