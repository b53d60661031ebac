//! One file per subcommand. The folders hold what several commands share: `installed/` what is
//! installed (the blocks, drift, finding a job), `change/` what a command writes into a target,
//! `trust/` what root trusts, and `job_status/` the one picture of a job that `status` and
//! `metrics` both report. This file keeps the clock and the log follower.

pub(crate) mod change;
pub(crate) mod doctor;
pub(crate) mod history;
pub(crate) mod install;
pub(crate) mod installed;
pub(crate) mod job_status;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod pause;
pub(crate) mod plan;
pub(crate) mod run_now;
pub(crate) mod status;
pub(crate) mod trust;
pub(crate) mod uninstall;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use jiff::ZonedDateTime;

/// Fixes "now" for reproducible output in tests and examples (an RFC 3339 timestamp).
pub(crate) const ENV_NOW: &str = "CRONTAINER_NOW";

/// The current time in cron's time zone (`host::cron_time_zone`, not the shell's `TZ`), or
/// `$CRONTAINER_NOW` in that zone.
pub(crate) fn now() -> Result<ZonedDateTime> {
    let tz = crate::host::cron_time_zone().zone;
    match std::env::var(ENV_NOW) {
        Ok(value) if !value.is_empty() => {
            let ts: jiff::Timestamp = value
                .parse()
                .with_context(|| format!("{ENV_NOW}={value:?} is not an RFC 3339 timestamp"))?;
            Ok(ts.to_zoned_datetime(tz))
        }
        _ => Ok(ZonedDateTime::now().with_time_zone(tz)),
    }
}

/// When the shell's `TZ` names another zone than cron's: the times shown are cron's, which the
/// user may not expect. `plan`, `status` and `metrics` say so on stderr.
pub(crate) fn time_zone_difference(now: &ZonedDateTime) -> Option<String> {
    let shell = std::env::var("TZ").ok().filter(|tz| !tz.is_empty())?;
    let cron = crate::host::cron_time_zone();
    let name = shell.strip_prefix(':').unwrap_or(&shell);
    let theirs = jiff::tz::TimeZone::get(name)
        .or_else(|_| jiff::tz::TimeZone::posix(name))
        .ok();
    // `UTC` and `Etc/UTC` are one zone: compare offsets now and half a year on (DST).
    let later = now.timestamp() + jiff::SignedDuration::from_hours(183 * 24);
    let same = theirs.is_some_and(|tz| {
        [now.timestamp(), later]
            .iter()
            .all(|&t| tz.to_offset(t) == cron.zone.to_offset(t))
    });
    (!same).then(|| {
        format!(
            "times are in cron's time zone {} (from {}), not TZ={shell}: cron fires by its own",
            cron.name, cron.source
        )
    })
}

/// Says [`time_zone_difference`] on stderr, if any.
pub(crate) fn note_time_zone(now: &ZonedDateTime) {
    if let Some(note) = time_zone_difference(now) {
        crate::ui::notice(&note);
    }
}

/// The most [`Follower::pump`] reads at once.
const PUMP_MAX: u64 = 4 << 20;

/// Copies what is appended to a file onto stdout.
pub(crate) struct Follower {
    pub(crate) offset: u64,
}

impl Follower {
    pub(crate) fn pump(&mut self, path: &Path) -> Result<()> {
        // A regular file only, without waiting: the log's path is in a block its user wrote.
        let Ok(Some(mut file)) = crate::safe_file::open_regular(path) else {
            return Ok(());
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            // Truncated (logrotate copytruncate): start again from the top.
            self.offset = 0;
        }
        if len == self.offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.offset))?;
        // At most a few MiB per call: the rest comes with the next one.
        let want = (len - self.offset).min(PUMP_MAX);
        let mut buf = Vec::with_capacity(want as usize);
        file.take(want).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        let mut out = std::io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
        Ok(())
    }
}
