//! The rules for single config values: job ids, block and container names, users, env names, log
//! paths, healthcheck URLs, durations. One rule, one place: every command that checks a name
//! calls these.

/// Characters that cron implementations treat differently or that would break the one-line
/// contract: CR and LF end the line (a CR would even run as part of the command), NUL cuts it,
/// and a backslash is folded by Debian's cron (`\\` becomes `\`) but kept by cronie.
pub(super) fn forbidden_char(value: &str) -> Option<&'static str> {
    value.chars().find_map(|c| match c {
        '\n' => Some("a line feed"),
        '\r' => Some("a carriage return"),
        '\0' => Some("a NUL byte"),
        '\\' => Some(
            "a backslash (Debian's cron folds `\\\\` to `\\`, cronie does not, so it cannot \
             reach the container reliably)",
        ),
        _ => None,
    })
}

/// A job id: lowercase letters, digits, `_` and `-`, at most 64 bytes. The one rule for ids in the
/// config and in the log lines read back.
pub fn is_job_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A name for the block and the cron.d file: the block's rule (`block::is_valid_name`), at most
/// 64 bytes. Debian's cron ignores cron.d files whose names hold anything but letters, digits,
/// `_` and `-` (a dotted name is silently skipped), which the rule keeps out.
pub fn is_block_name(s: &str) -> bool {
    s.len() <= 64 && crate::block::is_valid_name(s)
}

/// Docker's rule for container names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), which also covers IDs.
/// It keeps option-like values such as `--privileged` from ever reaching the command line.
pub(super) fn is_container_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && s.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// A user for `docker exec -u`: a name or uid, optionally `:group` or `:gid`.
pub(super) fn is_exec_user(s: &str) -> bool {
    let part = |p: &str| {
        let mut bytes = p.bytes();
        matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    };
    match s.split_once(':') {
        Some((user, group)) => part(user) && part(group),
        None => part(s),
    }
}

/// A host account name as `useradd` accepts it by default.
pub fn is_unix_user(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && s.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub(super) fn is_env_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A log path: absolute, a file, and free of whitespace so the marker comment can carry it.
pub(super) fn check_log_path(value: &str) -> std::result::Result<(), String> {
    if !value.starts_with('/') {
        return Err(
            "must be an absolute path (cron runs jobs from the user's home directory)".into(),
        );
    }
    if value.ends_with('/') {
        return Err("must name a file, not a directory".into());
    }
    if value.split('/').any(|part| part == "..") {
        return Err("must not contain `..`".into());
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "must not contain whitespace or control characters (found {c:?})"
        ));
    }
    if let Some(what) = forbidden_char(value) {
        return Err(format!("must not contain {what}"));
    }
    // The logrotate file names each log as written, and logrotate reads `*`, `?`, `[...]` and
    // `{a,b}` as patterns: `copytruncate` would then rotate other programs' logs.
    if let Some(c) = value.chars().find(|c| "*?[]{}".contains(*c)) {
        return Err(format!(
            "must not contain the glob character {c:?} (logrotate would read the path as a \
             pattern and rotate other files)"
        ));
    }
    Ok(())
}

/// A healthchecks.io-style ping URL (healthchecks.io, or a self-hosted server speaking its
/// protocol). The line appends `/start`, `/<exit code>` and `?rid=<run id>` to it, so it may hold
/// no query or fragment and must not end with `/`; it goes into the line as one single-quoted
/// word, so no quote, whitespace or control character either.
pub fn check_healthcheck(value: &str) -> std::result::Result<(), String> {
    let accepted = "accepted: an http:// or https:// URL such as \"https://hc-ping.com/<uuid>\"";
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return Err(format!(
            "{value:?} must start with http:// or https://; {accepted}"
        ));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{value:?} names no host; {accepted}"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "'\"`\\".contains(*c))
    {
        return Err(format!(
            "must not contain {c:?} (no whitespace, quotes, backslashes or control characters); \
             {accepted}"
        ));
    }
    if let Some(c) = value.chars().find(|c| *c == '?' || *c == '#') {
        return Err(format!(
            "must not contain {c:?}: the line appends `/start`, `/<exit code>` and \
             `?rid=<run id>` to the URL; {accepted}"
        ));
    }
    if value.ends_with('/') {
        return Err(format!(
            "{value:?} must not end with `/`: the line appends `/start` and `/<exit code>` to it; \
             {accepted}"
        ));
    }
    Ok(())
}

/// `[defaults] healthcheck`, a project's ping-key URL (each job pings `<URL>/<job id>`): the
/// rules of [`check_healthcheck`], with an example that `[defaults]` accepts, and no empty value
/// (which turns pings off only in a job).
pub(super) fn check_default_healthcheck(value: &str) -> std::result::Result<(), String> {
    let example = "\"https://hc-ping.com/<ping-key>\"";
    if value.is_empty() {
        return Err(format!(
            "\"\" turns pings off only in a job's `healthcheck`; for no pings at all leave \
             `healthcheck` out of [defaults]; accepted here: a project's ping-key URL such as \
             {example}"
        ));
    }
    check_healthcheck(value).map_err(|m| m.replace("\"https://hc-ping.com/<uuid>\"", example))
}

/// Whether the URL's last path segment is a UUID (8-4-4-4-12 hex digits): a check's own ping
/// URL, not a project's ping-key URL that job ids can be appended to as slugs.
pub(super) fn ends_with_uuid(url: &str) -> bool {
    let last = url.rsplit('/').next().unwrap_or("");
    let groups: Vec<&str> = last.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses a timeout such as "90s", "30m", "4h", "1d", "1h30m" into seconds.
pub fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    let accepted = "use a number with a unit s, m, h or d, e.g. \"30m\", \"4h\" or \"1h30m\"";
    let mut total: u64 = 0;
    let mut digits = String::new();
    if text.is_empty() {
        return Err(format!("is empty; {accepted}"));
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(format!("has an unexpected {c:?}; {accepted}")),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("has a unit without a number; {accepted}"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("is too large; {accepted}"))?;
    }
    if !digits.is_empty() {
        return Err(format!("has a number without a unit; {accepted}"));
    }
    if total == 0 {
        return Err(format!("must be at least 1s; {accepted}"));
    }
    Ok(total)
}
