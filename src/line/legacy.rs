//! The frozen, parse-only reader of the lines crontainer 0.1 and 0.2 wrote: self-contained
//! shell programs (the guard, `flock`, the start and end lines, `docker exec`), pinned by
//! `tests/fixtures/blocks-v0.1` and `blocks-v0.2`. They keep firing as they are until `install`
//! upgrades them to runner lines; until then every command reads them: `status` their guard,
//! `run-now` their command, the block reader their catch-up line. Nothing here renders a line,
//! and nothing may change what it accepts: a host upgraded from 0.2 holds exactly these.

use crate::schedule::Guard;

use super::read::parse_line;

/// What a 0.2 catch-up line's command starts with (it marked its runs `by=catch-up`).
const CATCH_UP_BY: &str = "CRONTAINER_BY=catch-up;";

/// What only a 0.2 line that pings a healthcheck wrote onto its end line.
const PING_KEY: &str = " ping=$g";

/// Whether a crontab text holds a 0.2 line that pings a healthcheck, hence its URL.
pub fn holds_ping(text: &str) -> bool {
    text.contains(PING_KEY)
}

/// The host programs a 0.1/0.2 line runs besides the runtime, in the order `doctor` lists them:
/// each is written into the line by absolute path (`/usr/bin/flock -n 9`, `$(/usr/bin/date`).
pub const HOST_PROGRAMS: [&str; 6] = ["flock", "date", "tail", "sleep", "curl", "wc"];

/// The absolute paths of the [`HOST_PROGRAMS`] a 0.1/0.2 line's text names, as `(program,
/// path)`, each once, in the order they stand.
pub fn host_programs(text: &str) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)));
    for word in words.filter(|w| w.starts_with('/')) {
        let name = word.rsplit('/').next().unwrap_or_default();
        if let Some(program) = HOST_PROGRAMS.iter().find(|p| **p == name)
            && !found.iter().any(|(_, path)| path == word)
        {
            found.push((program, word.to_owned()));
        }
    }
    found
}

/// Splits a 0.1/0.2 command (`%` unescaped) into its guard, if any, and the rest:
/// `[ $(($(DATE +%s)/SLOT%EVERY)) = 0 ] || exit 0; REST`.
pub fn split_guard(command: &str) -> (Option<Guard>, &str) {
    let parse = || -> Option<(Guard, &str)> {
        let rest = command.strip_prefix("[ $(($(")?;
        let (_, rest) = rest.split_once(" +%s)/")?;
        let (slot, rest) = rest.split_once('%')?;
        let (every, rest) = rest.split_once(")) = 0 ] || exit 0; ")?;
        let guard = Guard {
            slot_seconds: slot.parse().ok()?,
            every_slots: every.parse().ok()?,
        };
        Some((guard, rest))
    };
    match parse() {
        Some((guard, rest)) => (Some(guard), rest),
        None => (None, command),
    }
}

/// Whether `catch_up` (active, not paused) is the 0.2 catch-up line of the 0.2 job line `line`:
/// an `@reboot` line for the same user that marks its runs `by=catch-up` and runs the same job
/// command under the same lock.
pub fn is_catch_up_of(catch_up: &str, line: &str, with_user: bool) -> bool {
    let (Some(c), Some(l)) = (parse_line(catch_up, with_user), parse_line(line, with_user)) else {
        return false;
    };
    let tail = |command: &str| {
        command
            .find(" -n 9 || ")
            .map(|at| command[at..].to_string())
    };
    c.cron == "@reboot"
        && c.user == l.user
        && c.command.starts_with(CATCH_UP_BY)
        && tail(&c.command).is_some()
        && tail(&c.command) == tail(l.body())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines `tests/fixtures/blocks-v0.2` holds read as 0.2 wrote them: the guard of an
    /// interval, the catch-up line of its job.
    #[test]
    fn the_0_2_fixture_lines_read_back() {
        let text = include_str!("../../tests/fixtures/blocks-v0.2/crontab-ctprobe.txt");
        let lines: Vec<&str> = text.lines().collect();
        let pipeline = lines
            .iter()
            .position(|l| l.contains("id=main_pipeline_v2 "))
            .unwrap();
        let parsed = parse_line(lines[pipeline + 1], false).unwrap();
        assert_eq!(
            split_guard(&parsed.command).0,
            Some(Guard {
                slot_seconds: 3600,
                every_slots: 5
            })
        );
        assert!(holds_ping(lines[pipeline + 1]));
        let reports = lines
            .iter()
            .position(|l| l.contains("id=reports "))
            .unwrap();
        assert!(is_catch_up_of(
            &crate::shell::unescape_percent(lines[reports + 2]),
            lines[reports + 1],
            false
        ));
        assert!(!is_catch_up_of(
            lines[reports + 2],
            lines[pipeline + 1],
            false
        ));
    }

    #[test]
    fn the_host_programs_of_the_0_2_fixture_lines() {
        let text = include_str!("../../tests/fixtures/blocks-v0.2/crontab-ctprobe.txt");
        let line = |id: &str| {
            let lines: Vec<&str> = text.lines().collect();
            let at = lines
                .iter()
                .position(|l| l.contains(&format!("id={id} ")))
                .unwrap();
            host_programs(lines[at + 1])
        };
        let at = |names: &[&'static str]| -> Vec<(&'static str, String)> {
            names
                .iter()
                .map(|n| (*n, format!("/usr/bin/{n}")))
                .collect()
        };
        assert_eq!(
            line("main_pipeline_v2"),
            at(&["date", "tail", "flock", "curl", "wc"])
        );
        assert_eq!(line("nightly"), at(&["tail", "date", "flock"]));
        // The catch-up line waits for its container with `sleep`.
        let reboot = text.lines().find(|l| l.starts_with("@reboot ")).unwrap();
        assert_eq!(
            host_programs(reboot),
            at(&["tail", "date", "sleep", "flock"])
        );
        // A runner line names none.
        assert_eq!(
            host_programs(
                "0 * * * * /usr/bin/crontainer exec j --log /l --runtime /usr/bin/docker -- c p"
            ),
            []
        );
    }
}
