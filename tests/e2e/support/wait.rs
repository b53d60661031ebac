//! Waiting for the cron daemon, with a bound: a test that waits forever tells nothing.

use std::time::{Duration, Instant};

/// How long a `* * * * *` line may take to fire. Debian's cron rereads changed crontabs and
/// cron.d files at the top of each minute, then runs that minute's jobs, so a line installed at
/// any moment fires within 60 s; the rest is slack for a busy machine.
pub const CRON_FIRE_TIMEOUT: Duration = Duration::from_secs(90);

/// How often to look while waiting.
pub const POLL: Duration = Duration::from_millis(250);

/// Calls `done` every `poll` until it returns true (then returns true) or `timeout` has passed
/// (then returns false, after one last look).
pub fn wait_until(timeout: Duration, poll: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(poll);
    }
}
