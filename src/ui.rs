//! What crontainer says to a person: the verbosity set once by `run`, warnings and notices on
//! stderr, messages and JSON on stdout, diffs, and times in words. It imports nothing of ours,
//! so every layer may use it (the process wrapper reads `verbose` to echo commands).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicI8, Ordering};

/// The version of every `--json` document's shape; raised when a field changes meaning.
pub(crate) const JSON_VERSION: u32 = 1;

static VERBOSITY: AtomicI8 = AtomicI8::new(0);

/// -1 for `--quiet`, 1 for `--verbose`, 0 otherwise; set once by `run`.
pub(crate) fn set_verbosity(level: i8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub(crate) fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) < 0
}

pub(crate) fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) > 0
}

/// A warning on stderr, unless `--quiet`.
pub(crate) fn warn(message: &str) {
    if !quiet() {
        eprintln!("crontainer: warning: {message}");
    }
}

/// A notice on stderr, unless `--quiet`.
pub(crate) fn notice(message: &str) {
    if !quiet() {
        eprintln!("crontainer: notice: {message}");
    }
}

/// A message for a person on stdout (diffs, "installed ..."), unless `--quiet`.
pub(crate) fn say(message: &str) {
    if !quiet() {
        print!("{message}");
        if !message.is_empty() && !message.ends_with('\n') {
            println!();
        }
    }
}

/// Colors only on a terminal, and never with `NO_COLOR` set.
pub(crate) fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A unified diff of two texts, colored when asked, its URLs masked ([`mask_urls`]).
pub(crate) fn diff(old: &str, new: &str, label: &str, color: bool) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{label} (before)"), &format!("{label} (after)"))
        .to_string();
    let text = mask_urls(&text);
    if !color {
        return text;
    }
    text.lines()
        .map(|line| match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m\n"),
            Some(b'-') if !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m\n"),
            Some(b'@') => format!("\x1b[36m{line}\x1b[0m\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// A `--json` document: its shape's `version` ([`JSON_VERSION`]) beside the command's own typed
/// fields, so no command can print one without it.
#[derive(serde::Serialize)]
struct Document<'a, T> {
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// Prints a command's typed `--json` document on stdout, with `version`. Its keys are printed
/// sorted, as every document has been since the first (built as a `serde_json::Value`, whose
/// map keeps keys sorted), whatever the order of the type's fields.
pub(crate) fn print_document<T: serde::Serialize>(body: &T) {
    let value = serde_json::to_value(Document {
        version: JSON_VERSION,
        body,
    })
    .expect("documents serialize");
    print_json(&value);
}

/// Prints a JSON document on stdout, its URLs masked ([`mask_urls`]).
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(value: &T) {
    let text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    println!("{}", mask_urls(&text));
}

/// `text` with the path of every `http://` and `https://` URL hidden but for its last 4
/// characters (`https://hc-ping.com/…/4f5a`): a healthcheck URL is a secret (whoever has it can
/// report runs and silence the check's alerts; a cron.d file holding one is 0600), and diffs,
/// `plan` and JSON end up in terminals, CI logs and Ansible's output. The host stays, and the
/// tail tells two URLs apart. A URL ends where a config value may not go on (whitespace, a
/// quote, a backslash, `?`, `#`).
pub(crate) fn mask_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme).map(|i| (i, scheme.len())))
        .min()
    {
        let (at, scheme) = at;
        let url_start = at + scheme;
        let len = rest[url_start..]
            .find(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '\'' | '"' | '\\' | '?' | '#')
            })
            .unwrap_or(rest.len() - url_start);
        let url = &rest[url_start..url_start + len];
        out.push_str(&rest[..url_start]);
        match url.split_once('/') {
            Some((host, path)) if !path.is_empty() => {
                let chars: Vec<char> = path.chars().collect();
                let tail: String = if chars.len() > 4 {
                    chars[chars.len() - 4..].iter().collect()
                } else {
                    String::new()
                };
                out.push_str(host);
                out.push_str("/…");
                if !tail.is_empty() {
                    out.push('/');
                    out.push_str(&tail);
                }
            }
            _ => out.push_str(url),
        }
        rest = &rest[url_start + len..];
    }
    out.push_str(rest);
    out
}

/// "2026-11-29 15:00 UTC (in 52m)", "... (5m ago)", or "... (just now)" for the last minute.
pub(crate) fn format_time(at: &jiff::ZonedDateTime, now: &jiff::ZonedDateTime) -> String {
    let when = at.strftime("%Y-%m-%d %H:%M %Z");
    let seconds = at.timestamp().as_second() - now.timestamp().as_second();
    if seconds > 0 {
        format!("{when} (in {})", human_duration(seconds.unsigned_abs()))
    } else if seconds > -60 {
        format!("{when} (just now)")
    } else {
        format!("{when} ({} ago)", human_duration(seconds.unsigned_abs()))
    }
}

/// "3d4h", "2h13m", "52m", "40s".
pub(crate) fn human_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h{m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d{h}h"),
    }
}

/// "1.5 KiB".
pub(crate) fn human_bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1048576 => format!("{:.1} KiB", n as f64 / 1024.0),
        1048576..1073741824 => format!("{:.1} MiB", n as f64 / 1048576.0),
        _ => format!("{:.1} GiB", n as f64 / 1073741824.0),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_urls;

    #[track_caller]
    fn case(text: &str, shown: &str) {
        assert_eq!(mask_urls(text), shown);
    }

    #[test]
    fn urls_are_masked_but_for_their_host_and_last_four_characters() {
        case(
            "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a",
            "https://hc-ping.com/…/4f5a",
        );
        case(
            "'http://hc.local:8000/ping/KEY/job_a'\"/$1?rid=x\"",
            "'http://hc.local:8000/…/ob_a'\"/$1?rid=x\"",
        );
        case(
            "a https://x.io/abc and https://y.io/ and http://z.io",
            "a https://x.io/… and https://y.io/ and http://z.io",
        );
        case(
            "--ping https://h.io/1234567 --",
            "--ping https://h.io/…/4567 --",
        );
        case("no url here", "no url here");
        case("\"https://h.io/é€ab\\\"", "\"https://h.io/…\\\"");
    }
}
