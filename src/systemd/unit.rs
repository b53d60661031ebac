//! A job's entry (its marker and cron line, as a block holds them) as a systemd service and timer
//! ([`render_entry`]), and the entry read back from them ([`read_entry`]).
//!
//! The service runs the runner once (`Type=oneshot`) with the very words of the job's cron line
//! (read with `line`'s own reader); the timer fires it on the line's schedule (`calendar.rs`).
//! The service carries, as comments, exactly what the block would: the marker, the cron line and
//! the catch-up line, so every command that reads a block reads these units the same way
//! (`status`, `run-now`, `pause`, `uninstall`). Reading is strict: the entry is taken from the
//! comments, its units rendered again, and anything but the same bytes is "edited by hand",
//! never guessed at.
//!
//! Names: `crontainer-BLOCK-JOB.service` and `.timer`, each part escaped as `systemd-escape`
//! does (`-` as `\x2d`; block names and job ids hold nothing else it escapes), so the one bare
//! `-` after the block separates it from the job: block `a-b` job `c` and block `a` job `b-c`
//! never share a unit.
//!
//! The block's metrics line (`[monitoring] textfile_dir`) becomes `crontainer-BLOCK-metrics`
//! ([`render_metrics`], [`read_metrics`]): the same words, every minute, carried as comments
//! the same way. A job whose id is `metrics` would share that name, so the two are refused
//! together (`cron_table::systemd`).

use crate::line::read::split_words;
use crate::line::{
    Entry, MARKER_PREFIX, Marker, PAUSED_PREFIX, Textfile, parse_line, parse_textfile,
};

use super::calendar::on_calendar;

/// What every crontainer unit's name starts with.
pub const UNIT_PREFIX: &str = "crontainer-";

/// The comments of a service that carry the job's cron line and catch-up line.
const LINE_PREFIX: &str = "# crontainer:line ";
const CATCH_UP_PREFIX: &str = "# crontainer:catch-up ";

/// What stands for the job id in the name of the block's metrics units.
pub const METRICS_UNIT: &str = "metrics";

/// The comment of the metrics service that carries the block's metrics line.
const METRICS_LINE_PREFIX: &str = "# crontainer:metrics-line ";

/// systemd refuses unit names longer than this (`UNIT_NAME_MAX`).
const UNIT_NAME_MAX: usize = 255;

/// The two units of one job, named and rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobUnits {
    /// `crontainer-BLOCK-JOB`, escaped; the units are this plus `.service` and `.timer`.
    pub base: String,
    pub service: String,
    pub timer: String,
}

impl JobUnits {
    pub fn service_name(&self) -> String {
        format!("{}.service", self.base)
    }

    pub fn timer_name(&self) -> String {
        format!("{}.timer", self.base)
    }
}

/// `a-b` as `systemd-escape` writes it: `a\x2db`.
fn escape(part: &str) -> String {
    part.replace('-', "\\x2d")
}

fn unescape(part: &str) -> String {
    part.replace("\\x2d", "-")
}

/// `crontainer-BLOCK-JOB`, or why systemd cannot take it (a name over 255 bytes).
pub fn unit_base(block: &str, job: &str) -> Result<String, String> {
    let base = format!("{UNIT_PREFIX}{}-{}", escape(block), escape(job));
    if base.len() + ".service".len() > UNIT_NAME_MAX {
        return Err(format!(
            "job {job:?} of block {block:?}: its unit name {base}.service is {} bytes, over the \
             {UNIT_NAME_MAX} systemd accepts (each `-` is written `\\x2d`); shorten the job id \
             or `cron.name`",
            base.len() + ".service".len()
        ));
    }
    Ok(base)
}

/// The block, job and kind (`service` or `timer`) a crontainer unit's file name stands for.
pub fn parse_unit_name(file_name: &str) -> Option<(String, String, &str)> {
    let (base, kind) = file_name.rsplit_once('.')?;
    if kind != "service" && kind != "timer" {
        return None;
    }
    let (block, job) = base.strip_prefix(UNIT_PREFIX)?.split_once('-')?;
    let (block, job) = (unescape(block), unescape(job));
    (unit_base(&block, &job).ok()? == base).then_some((block, job, kind))
}

fn header(block: &str, position: usize) -> String {
    format!(
        "# Managed by crontainer (block {block}, job {position}): edit its config and run \
         `crontainer install`; do not edit."
    )
}

/// A word of `ExecStart=` as systemd splits it: bare when it holds only safe characters, else
/// in double quotes with `\` and `"` escaped; `%` (a specifier) as `%%` and `$` (a variable) as
/// `$$` either way, so systemd hands the runner exactly the job's words.
fn exec_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=,+@-".contains(&b));
    let specials = word.replace('%', "%%").replace('$', "$$");
    if safe {
        specials
    } else {
        format!(
            "\"{}\"",
            specials.replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

/// The units of the job `entry` at `position` (1, 2, ...: the block's order) in `block`;
/// `with_user`: its lines carry a user column (system units), which becomes `User=`.
pub fn render_entry(
    block: &str,
    position: usize,
    entry: &Entry,
    with_user: bool,
) -> Result<JobUnits, String> {
    let id = &entry.marker.id;
    let base = unit_base(block, id)?;
    let parsed = parse_line(entry.active_line(), with_user)
        .ok_or_else(|| format!("job {id:?}: {:?} is not a cron line", entry.line))?;
    let runner = match parsed.runner() {
        Some(Ok(runner)) => runner,
        Some(Err(why)) => return Err(format!("job {id:?}: {why}")),
        None => {
            return Err(format!(
                "job {id:?}: a line of crontainer 0.1 or 0.2 has no systemd form; install it \
                 again to write runner lines"
            ));
        }
    };
    let expr =
        crate::schedule::CronExpr::parse(&parsed.cron).map_err(|e| format!("job {id:?}: {e}"))?;
    let calendar = on_calendar(&expr).ok_or_else(|| {
        format!(
            "job {id:?}: @reboot has no time for a systemd timer; with target = \"systemd\" use a \
             schedule or `every`, and `catch_up = true` for the firings missed while the host \
             was off"
        )
    })?;
    let mut exec = vec![exec_word(&runner.binary.to_string_lossy()), "exec".into()];
    exec.extend(runner.args.to_words().iter().map(|w| exec_word(w)));
    let mut comments = vec![
        header(block, position),
        entry.marker.to_line(),
        format!("{LINE_PREFIX}{}", entry.line),
    ];
    comments.extend(
        entry
            .catch_up
            .iter()
            .map(|l| format!("{CATCH_UP_PREFIX}{l}")),
    );
    let user = match &parsed.user {
        Some(user) => format!("User={user}\n"),
        None => String::new(),
    };
    let service = format!(
        "{}\n[Unit]\nDescription=crontainer job {block}/{id}\n\n[Service]\nType=oneshot\n{user}\
         ExecStart={}\n# The runner stops the job inside the container on SIGTERM; its own \
         --timeout bounds a run.\nKillMode=mixed\nTimeoutStartSec=infinity\n",
        comments.join("\n"),
        exec.join(" "),
    );
    let mut timer = format!(
        "{}\n[Unit]\nDescription=crontainer job {block}/{id} (timer)\n\n[Timer]\n",
        header(block, position)
    );
    for calendar in &calendar {
        timer.push_str(&format!("OnCalendar={calendar}\n"));
    }
    // systemd's default accuracy is a minute: a job due at 03:00 could start at 03:00:59. Cron
    // starts on the minute, and the runner's guard counts slots from that instant.
    timer.push_str("AccuracySec=1s\n");
    if entry.catch_up.is_some() {
        timer.push_str("Persistent=true\n");
    }
    if let Some(jitter) = entry.marker.jitter {
        timer.push_str(&format!("RandomizedDelaySec={jitter}s\n"));
    }
    timer.push_str("\n[Install]\nWantedBy=timers.target\n");
    Ok(JobUnits {
        base,
        service,
        timer,
    })
}

/// The job's entry and its position in the block, read back from its two units: what
/// [`render_entry`] renders again into the same bytes, or why they are not units crontainer
/// wrote for `block`.
pub fn read_entry(
    block: &str,
    service: &str,
    timer: &str,
    with_user: bool,
) -> Result<(usize, Entry), String> {
    let edited = || "not as crontainer writes it (edited by hand?)".to_string();
    let mut lines = service.lines();
    let position: usize = lines
        .next()
        .and_then(|first| {
            first
                .strip_prefix(&format!("# Managed by crontainer (block {block}, job "))?
                .split_once(')')?
                .0
                .parse()
                .ok()
        })
        .ok_or_else(edited)?;
    let marker = lines
        .next()
        .filter(|l| l.starts_with(MARKER_PREFIX))
        .and_then(Marker::parse)
        .ok_or("its marker comment is missing or damaged")?;
    let line = lines
        .next()
        .and_then(|l| l.strip_prefix(LINE_PREFIX))
        .ok_or("its cron line comment is missing")?
        .to_string();
    let catch_up = lines
        .next()
        .and_then(|l| l.strip_prefix(CATCH_UP_PREFIX))
        .map(str::to_string);
    let entry = Entry {
        marker,
        line,
        catch_up,
    };
    let units = render_entry(block, position, &entry, with_user)?;
    if units.service != service || units.timer != timer {
        return Err(edited());
    }
    if entry.line.starts_with(PAUSED_PREFIX) != entry.is_paused() {
        return Err(edited());
    }
    Ok((position, entry))
}

fn metrics_header(block: &str) -> String {
    format!(
        "# Managed by crontainer (block {block}, metrics): edit its config and run `crontainer \
         install`; do not edit."
    )
}

/// The units of the block's metrics line: its command's words as `ExecStart=` (one rendering:
/// the line's own, split as the shell would), every minute on the minute as cron runs it.
pub fn render_metrics(
    block: &str,
    textfile: &Textfile,
    with_user: bool,
) -> Result<JobUnits, String> {
    let base = unit_base(block, METRICS_UNIT)?;
    let not_ours = || {
        format!(
            "the metrics line {:?} is not one crontainer writes",
            textfile.line
        )
    };
    let parsed = parse_line(&textfile.line, with_user)
        .filter(|p| p.cron == "* * * * *")
        .ok_or_else(not_ours)?;
    let words = split_words(&parsed.command).ok_or_else(not_ours)?;
    let exec: Vec<String> = words.iter().map(|w| exec_word(w)).collect();
    let user = match &parsed.user {
        Some(user) => format!("User={user}\n"),
        None => String::new(),
    };
    let header = metrics_header(block);
    let service = format!(
        "{header}\n{}\n{METRICS_LINE_PREFIX}{}\n[Unit]\nDescription=crontainer metrics of block \
         {block}\n\n[Service]\nType=oneshot\n{user}ExecStart={}\n",
        textfile.marker(),
        textfile.line,
        exec.join(" "),
    );
    let timer = format!(
        "{header}\n[Unit]\nDescription=crontainer metrics of block {block} (timer)\n\n[Timer]\n\
         OnCalendar=*-*-* *:*:00\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n"
    );
    Ok(JobUnits {
        base,
        service,
        timer,
    })
}

/// The block's metrics line read back from its units; None when they are not metrics units
/// (a job's), an error when they are but not as [`render_metrics`] writes them.
pub fn read_metrics(
    block: &str,
    service: &str,
    timer: &str,
    with_user: bool,
) -> Result<Option<Textfile>, String> {
    let mut lines = service.lines();
    if lines.next() != Some(metrics_header(block).as_str()) {
        return Ok(None);
    }
    let edited = || "not as crontainer writes them (edited by hand?)".to_string();
    let marker = lines.next().ok_or_else(edited)?.to_string();
    let line = lines
        .next()
        .and_then(|l| l.strip_prefix(METRICS_LINE_PREFIX))
        .ok_or_else(edited)?
        .to_string();
    let textfile = parse_textfile(&[marker, line], with_user).ok_or_else(edited)?;
    let units = render_metrics(block, &textfile, with_user)?;
    if units.service != service || units.timer != timer {
        return Err(edited());
    }
    Ok(Some(textfile))
}
