//! A job as a systemd service and timer ([`JobUnits`]), and reading them back ([`read_service`],
//! [`read_timer`]).
//!
//! The service runs the runner once (`Type=oneshot`) with the very words a cron line would carry
//! ([`crate::line::render::runner_args`], [`RunnerArgs::to_words`]); the timer fires it on the
//! job's calendar (`calendar.rs`). Each unit starts with a header naming its block; the service
//! also carries the job's marker comment, exactly as a cron block does
//! ([`crate::line::Marker`]), so `status` works from what is installed. Reading is strict: a unit
//! is parsed into its parts and rendered again, and anything but the same bytes is "edited by
//! hand", never guessed at.
//!
//! Names: `crontainer-BLOCK-JOB.service` and `.timer`, each part escaped as `systemd-escape`
//! does (`-` as `\x2d`; block names and job ids hold nothing else it escapes), so the one bare
//! `-` after the block separates it from the job: block `a-b` job `c` and block `a` job `b-c`
//! never share a unit.

use std::path::{Path, PathBuf};

use crate::line::Marker;
use crate::runner_args::RunnerArgs;

/// What every crontainer unit's name starts with.
pub const UNIT_PREFIX: &str = "crontainer-";

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

/// What a service unit says: the block, the job's marker, the runner, the user it runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub block: String,
    pub marker: Marker,
    /// The crontainer binary, by absolute path.
    pub binary: PathBuf,
    pub args: RunnerArgs,
    /// `User=` of a system unit whose job runs as another user than root.
    pub user: Option<String>,
}

/// What a timer unit says: when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub block: String,
    pub job: String,
    /// One or two `OnCalendar=` values (`calendar::on_calendar`).
    pub calendar: Vec<String>,
    /// `catch_up`: `Persistent=true`, a firing missed while the host was off runs at boot.
    pub persistent: bool,
    /// `jitter`: `RandomizedDelaySec=`, in seconds.
    pub jitter: Option<u64>,
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

fn header(block: &str) -> String {
    format!(
        "# Managed by crontainer (block {block}): edit its config and run `crontainer install`; \
         do not edit."
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

/// Splits what [`exec_word`] writes back into words; None for anything else.
fn split_exec(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let (raw, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut word = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i + 1,
                    (_, '\\') => word.push(chars.next()?.1),
                    (_, c) => word.push(c),
                }
            };
            (word, &quoted[end..])
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        words.push(raw.replace("%%", "%").replace("$$", "$"));
        rest = match after.strip_prefix(' ') {
            Some(next) if !next.is_empty() => next,
            Some(_) => return None,
            None if after.is_empty() => after,
            None => return None,
        };
    }
    Some(words)
}

/// The service unit's text.
pub fn service_text(service: &Service) -> String {
    let mut exec = vec![
        exec_word(&service.binary.to_string_lossy()),
        "exec".to_string(),
    ];
    exec.extend(service.args.to_words().iter().map(|w| exec_word(w)));
    let user = match &service.user {
        Some(user) => format!("User={user}\n"),
        None => String::new(),
    };
    format!(
        "{}\n{}\n[Unit]\nDescription=crontainer job {}/{}\n\n[Service]\nType=oneshot\n{user}\
         ExecStart={}\n# The runner stops the job inside the container on SIGTERM; its own \
         --timeout bounds a run.\nKillMode=mixed\nTimeoutStartSec=infinity\n",
        header(&service.block),
        service.marker.to_line(),
        service.block,
        service.marker.id,
        exec.join(" "),
    )
}

/// The timer unit's text.
pub fn timer_text(timer: &Timer) -> String {
    let mut text = format!(
        "{}\n[Unit]\nDescription=crontainer job {}/{} (timer)\n\n[Timer]\n",
        header(&timer.block),
        timer.block,
        timer.job
    );
    for calendar in &timer.calendar {
        text.push_str(&format!("OnCalendar={calendar}\n"));
    }
    // systemd's default accuracy is a minute: a job due at 03:00 could start at 03:00:59. Cron
    // starts on the minute, and the runner's guard counts slots from that instant.
    text.push_str("AccuracySec=1s\n");
    if timer.persistent {
        text.push_str("Persistent=true\n");
    }
    if let Some(jitter) = timer.jitter {
        text.push_str(&format!("RandomizedDelaySec={jitter}s\n"));
    }
    text.push_str("\n[Install]\nWantedBy=timers.target\n");
    text
}

/// The value of `key=` on its own line of `text`, when exactly one line has it.
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

fn block_of(text: &str) -> Option<String> {
    let first = text.lines().next()?;
    let block = first
        .strip_prefix("# Managed by crontainer (block ")?
        .split_once(')')?
        .0;
    (header(block) == first).then(|| block.to_string())
}

/// A service unit read back: the parts [`service_text`] renders again into the same bytes, or
/// why it is not one crontainer wrote.
pub fn read_service(text: &str) -> Result<Service, String> {
    let edited = || "not as crontainer writes it (edited by hand?)".to_string();
    let block = block_of(text).ok_or_else(edited)?;
    let marker = text
        .lines()
        .nth(1)
        .and_then(Marker::parse)
        .ok_or("its marker comment is missing or damaged")?;
    let [exec] = values(text, "ExecStart")[..] else {
        return Err("it has no single ExecStart= line".to_string());
    };
    let words = split_exec(exec).ok_or("its ExecStart= is not quoted as crontainer quotes")?;
    let (binary, rest) = match &words[..] {
        [binary, exec, rest @ ..] if exec == "exec" && Path::new(binary).is_absolute() => {
            (PathBuf::from(binary), rest)
        }
        _ => return Err("its ExecStart= does not run `/ABS/crontainer exec`".to_string()),
    };
    let args = RunnerArgs::from_words(rest)?;
    let user = match values(text, "User")[..] {
        [] => None,
        [user] => Some(user.to_string()),
        _ => return Err(edited()),
    };
    let service = Service {
        block,
        marker,
        binary,
        args,
        user,
    };
    if service_text(&service) != text {
        return Err(edited());
    }
    if service.args.job != service.marker.id || service.args.log != service.marker.log {
        return Err("its ExecStart= disagrees with its marker (job id or log)".to_string());
    }
    Ok(service)
}

/// A timer unit of `job` read back, strictly as [`read_service`].
pub fn read_timer(text: &str, job: &str) -> Result<Timer, String> {
    let block = block_of(text).ok_or("not as crontainer writes it (edited by hand?)")?;
    let jitter = match values(text, "RandomizedDelaySec")[..] {
        [] => None,
        [value] => Some(
            value
                .strip_suffix('s')
                .and_then(|n| n.parse().ok())
                .ok_or("its RandomizedDelaySec= is not a number of seconds")?,
        ),
        _ => return Err("it has two RandomizedDelaySec= lines".to_string()),
    };
    let timer = Timer {
        block,
        job: job.to_string(),
        calendar: values(text, "OnCalendar")
            .into_iter()
            .map(str::to_string)
            .collect(),
        persistent: values(text, "Persistent") == ["true"],
        jitter,
    };
    if timer_text(&timer) != text {
        return Err("not as crontainer writes it (edited by hand?)".to_string());
    }
    Ok(timer)
}
