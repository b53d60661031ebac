//! A job line edited by hand under an intact marker: the block still parses (the marker is
//! crontainer's), but the line no longer does what the marker says, so nothing `status` reads
//! from the marker (container, log, schedule) can be trusted. Issue 25: a line changed to
//! `0 0 31 2 *` and another container read "unreadable schedule ... health: ok", showing the
//! marker's container. Checked whether or not a config is found (with one, drift says more).
//!
//! Only what every line crontainer ever wrote holds is checked, so a block of an older release
//! is never called damaged: the schedule is one cron accepts, and the line names the marker's
//! runtime, log and container (each as written into the line, one word).

use crate::config::ContainerRef;
use crate::line::Entry;
use crate::schedule::CronExpr;
use crate::shell;

/// How the line disagrees with its marker, if it does.
pub(crate) fn line_damage(entry: &Entry, with_user: bool) -> Option<String> {
    let said = |what: String| {
        Some(format!(
            "its line was edited by hand under crontainer's marker ({what}): what runs is not \
             what the marker says; `crontainer install` writes it again (or `crontainer \
             uninstall {}` removes it)",
            entry.marker.id
        ))
    };
    let Some(parsed) = crate::line::parse_line(entry.active_line(), with_user) else {
        return said("it is not a cron line".to_string());
    };
    if CronExpr::parse(&parsed.cron).is_err() {
        return said(format!(
            "its schedule `{}` is not one crontainer writes",
            parsed.cron
        ));
    }
    // The runtime and the log as they appear in the line (0.1's lines redirect with `>>LOG`,
    // so they are looked for as text); the container as a word of its own.
    let runtime = shell::quote(&entry.marker.runtime.display().to_string());
    if !parsed.command.contains(&runtime) {
        return said(format!(
            "it does not run {}",
            entry.marker.runtime.display()
        ));
    }
    let log = shell::quote(&entry.marker.log.display().to_string());
    if !parsed.command.contains(&log) {
        return said(format!("it does not log to {}", entry.marker.log.display()));
    }
    if let ContainerRef::Name(name) = &entry.marker.container
        && !parsed.command.split(' ').any(|w| w == shell::quote(name))
    {
        return said(format!("it does not run in container {name}"));
    }
    None
}
