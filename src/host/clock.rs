//! The clock every decision reads: `$CRONTAINER_NOW` (an RFC 3339 instant) where tests and
//! examples fix it, else the system's. One copy for the commands (`commands::now`, in cron's
//! zone), the runner's guard and catch-up (`exec/firing.rs`), and the target's write-again rule
//! (`cron_table`), so a test that fixes the time fixes it for all of them. Log records always
//! carry the real time.

use jiff::Timestamp;

/// Fixes "now" (an RFC 3339 instant).
pub(crate) const ENV_NOW: &str = "CRONTAINER_NOW";

/// `$CRONTAINER_NOW`, else the clock; an error naming the variable when it is not a time.
pub(crate) fn now() -> Result<Timestamp, String> {
    at(std::env::var(ENV_NOW).ok().as_deref())
}

/// `injected` (the variable's value, if set), else the clock.
pub(crate) fn at(injected: Option<&str>) -> Result<Timestamp, String> {
    match injected {
        Some(text) if !text.is_empty() => text
            .parse()
            .map_err(|e| format!("{ENV_NOW}={text:?} is not an RFC 3339 time: {e}")),
        _ => Ok(Timestamp::now()),
    }
}
