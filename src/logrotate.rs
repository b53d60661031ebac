//! Log rotation through the host's logrotate: for root installs, one file per installed block,
//! keyed by target, user and block (`/etc/logrotate.d/crontainer-crontab-<user>+<block>`, or
//! `crontainer-crond+<block>`: a cron.d block is its own file there, whatever user its lines run
//! as), so the same block name in two users' crontabs, or in a crontab and in cron.d, never
//! shares one. `+` appears in neither a user nor a block name, so no two keys meet. 0.1 wrote
//! `crontainer-<block>`: that file is replaced (or removed with the block) only when it is ours
//! for this block, its header naming the block and every log it rotates being the block's.
//!
//! `copytruncate` rotates by copying the log and truncating it in place, so a running job's
//! `>>` keeps writing to the same file (a `create` rotation would leave it writing into the
//! renamed copy). logrotate refuses a log whose directory is writable by a non-root user unless
//! the stanza names that user with `su`, so each stanza carries its directory's owner.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::{Rotate, TargetKind};

/// Overrides /etc/logrotate.d (for tests).
pub(crate) const ENV_DIR: &str = "CRONTAINER_LOGROTATE_DIR";

/// Whose rotation file: a block in a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) kind: TargetKind,
    /// The crontab's owner, or the user a cron.d block's lines run as.
    pub(crate) user: String,
    pub(crate) block: String,
}

fn dir() -> PathBuf {
    std::env::var_os(ENV_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/logrotate.d"))
}

/// The file for a block.
pub(crate) fn path(owner: &Owner) -> PathBuf {
    dir().join(match owner.kind {
        TargetKind::Crontab => format!("crontainer-crontab-{}+{}", owner.user, owner.block),
        TargetKind::CronD => format!("crontainer-crond+{}", owner.block),
        TargetKind::Systemd => format!("crontainer-systemd+{}", owner.block),
    })
}

/// The file crontainer 0.1 wrote for block `name`, whatever its target and user.
pub(crate) fn legacy_path(name: &str) -> PathBuf {
    dir().join(format!("crontainer-{name}"))
}

/// Whether the 0.1 file of `name` is ours for this block: its header names the block and every
/// log it rotates is one of `logs` (the block's, installed or about to be).
pub(crate) fn legacy_is_ours(name: &str, logs: &[PathBuf]) -> bool {
    let Ok(text) = std::fs::read_to_string(legacy_path(name)) else {
        return false;
    };
    let header_ok = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# crontainer:"))
        .is_some_and(|rest| rest.split(' ').next() == Some(name));
    header_ok && rotated_logs(&text).iter().all(|log| logs.contains(log))
}

/// The logs the block's file rotates now (none when it has no file).
pub(crate) fn rotated(owner: &Owner) -> Vec<PathBuf> {
    std::fs::read_to_string(path(owner))
        .map(|text| rotated_logs(&text))
        .unwrap_or_default()
}

/// The logs a file written by crontainer rotates: the paths that open its stanzas.
fn rotated_logs(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|l| l.strip_suffix(" {"))
        .map(PathBuf::from)
        .collect()
}

/// A change to a rotation file, as `--json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Change {
    pub(crate) path: PathBuf,
    /// "write" or "remove".
    pub(crate) action: &'static str,
}

/// Whether crontainer manages rotation here: as root (or with the directory overridden).
pub(crate) fn enabled() -> bool {
    crate::host::is_root() || std::env::var_os(ENV_DIR).is_some()
}

/// The first line: whose file it is and the settings, so a later `uninstall JOB` without a
/// config can rewrite it.
fn header(owner: &Owner, rotate: &Rotate) -> String {
    format!(
        "# crontainer:{} target={} user={} size={} keep={}",
        owner.block,
        match owner.kind {
            TargetKind::Crontab => "crontab",
            TargetKind::CronD => "cron.d",
            TargetKind::Systemd => "systemd",
        },
        owner.user,
        rotate.size,
        rotate.keep
    )
}

/// The settings recorded in an existing file.
pub(crate) fn parse_settings(text: &str) -> Option<Rotate> {
    let first = text.lines().next()?.strip_prefix("# crontainer:")?;
    let mut rotate = Rotate::default();
    for field in first.split(' ').skip(1) {
        match field.split_once('=')? {
            ("size", v) => rotate.size = v.to_string(),
            ("keep", v) => rotate.keep = v.parse().ok()?,
            ("target" | "user", _) => {}
            _ => return None,
        }
    }
    Some(rotate)
}

/// `su USER GROUP` when the log's directory is not root's alone.
fn su_line(log: &Path) -> Option<String> {
    let dir = log.parent()?;
    let meta = std::fs::metadata(dir).ok()?;
    if meta.uid() == 0 && meta.mode() & 0o022 == 0 {
        return None;
    }
    let user = crate::host::user_name(meta.uid());
    let group = crate::host::group_name(meta.gid());
    // logrotate's `su` takes names; an owner without one gets no `su` line.
    if user == meta.uid().to_string() || group == meta.gid().to_string() {
        return None;
    }
    Some(format!("\tsu {user} {group}\n"))
}

/// The file's text for these logs.
pub(crate) fn render(owner: &Owner, logs: &[PathBuf], rotate: &Rotate) -> String {
    render_with(owner, logs, rotate, true)
}

/// The text; `su` lines only where logrotate runs as root (it refuses `su` otherwise).
fn render_with(owner: &Owner, logs: &[PathBuf], rotate: &Rotate, su: bool) -> String {
    let mut text = format!(
        "{}\n# Managed by crontainer: rotates the logs of block `{}`; `crontainer uninstall` removes it.\n",
        header(owner, rotate),
        owner.block
    );
    for log in logs {
        text.push_str(&format!(
            "{} {{\n{}\tsize {}\n\trotate {}\n\tcopytruncate\n\tmissingok\n\tnotifempty\n\tcompress\n\tdelaycompress\n}}\n",
            log.display(),
            su.then(|| su_line(log)).flatten().unwrap_or_default(),
            rotate.size,
            rotate.keep
        ));
    }
    text
}

/// Writes (or, with no logs, removes) the block's file, and the 0.1 file when it is ours for
/// this block (`legacy_logs`: every log the block has had, so one it rotated is recognised);
/// what changed, or with `dry_run` what would.
pub(crate) fn sync(
    owner: &Owner,
    logs: &[PathBuf],
    legacy_logs: &[PathBuf],
    rotate: &Rotate,
    dry_run: bool,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let legacy = legacy_path(&owner.block);
    if legacy.exists() && legacy_is_ours(&owner.block, legacy_logs) {
        if !dry_run {
            std::fs::remove_file(&legacy)
                .with_context(|| format!("could not remove {}", legacy.display()))?;
        }
        changes.push(Change {
            path: legacy,
            action: "remove",
        });
    }
    let path = path(owner);
    let old = std::fs::read_to_string(&path).ok();
    if logs.is_empty() {
        if old.is_some() {
            if !dry_run {
                std::fs::remove_file(&path)
                    .with_context(|| format!("could not remove {}", path.display()))?;
            }
            changes.push(Change {
                path,
                action: "remove",
            });
        }
        return Ok(changes);
    }
    let text = render(owner, logs, rotate);
    if old.as_deref() != Some(text.as_str()) {
        if !dry_run {
            // logrotate skips a config file that others may write.
            crate::cron_table::write_atomically(&path, text.as_bytes(), 0o644)?;
        }
        changes.push(Change {
            path,
            action: "write",
        });
    }
    Ok(changes)
}

/// The settings of a block's file (or, failing that, of its 0.1 file), if one exists.
pub(crate) fn existing_settings(owner: &Owner) -> Option<Rotate> {
    [path(owner), legacy_path(&owner.block)]
        .iter()
        .find_map(|p| parse_settings(&std::fs::read_to_string(p).ok()?))
}

/// What to tell a user whose install cannot write /etc/logrotate.d: a file, and what runs
/// logrotate on it every hour as that user, working as printed (no `su`, which logrotate allows
/// only as root; a state file of the user's own, since the system one is root's). What runs it
/// is what fires the block's jobs: a crontab line, or for a user's systemd units (hosts without
/// a cron daemon) a timer of the user's own manager in `target`'s directory, its name outside
/// crontainer's `crontainer-` units so no command takes it for a block.
pub(crate) fn advice_without_root(
    owner: &Owner,
    target: &crate::cron_table::Target,
    logs: &[PathBuf],
    rotate: &Rotate,
) -> String {
    let logrotate = crate::runtime::find("logrotate", "/usr/sbin/logrotate").path;
    let conf = render_with(owner, logs, rotate, false);
    match target {
        crate::cron_table::Target::Systemd(units) if units.user().is_some() => {
            advice_with_user_timer(owner, units.dir(), &conf, &logrotate)
        }
        _ => advice_with_crontab_line(owner, &conf, &logrotate),
    }
}

fn advice_with_crontab_line(owner: &Owner, conf: &str, logrotate: &Path) -> String {
    format!(
        "logs are not rotated: /etc/logrotate.d is root's (`sudo crontainer install` writes \
         {}). To rotate them as {} instead, run\n  mkdir -p ~/.config/crontainer ~/.local/state \
         && cat > ~/.config/crontainer/logrotate-{block}.conf <<'EOF'\n{conf}EOF\nand add this \
         line to your crontab (`crontab -e`):\n  17 * * * * {} -s \
         $HOME/.local/state/crontainer-logrotate.state \
         $HOME/.config/crontainer/logrotate-{block}.conf",
        path(owner).display(),
        owner.user,
        logrotate.display(),
        block = owner.block
    )
}

/// For a user's systemd units: a service and a timer in `dir`, the user's unit directory.
fn advice_with_user_timer(owner: &Owner, dir: &Path, conf: &str, logrotate: &Path) -> String {
    let unit = format!("logrotate-crontainer-{}", owner.block);
    let at = |name: String| crate::shell::quote(&dir.join(name).display().to_string());
    format!(
        "logs are not rotated: /etc/logrotate.d is root's. To rotate them as {user} with a \
         timer of {user}'s systemd manager instead, run\n  mkdir -p ~/.config/crontainer \
         ~/.local/state {dir} && cat > ~/.config/crontainer/logrotate-{block}.conf \
         <<'EOF'\n{conf}EOF\n  cat > {service} <<'EOF'\n[Unit]\nDescription=Rotate the logs \
         of crontainer block {block}\n\n[Service]\nType=oneshot\nExecStart={logrotate} -s \
         %h/.local/state/crontainer-logrotate.state \
         %h/.config/crontainer/logrotate-{block}.conf\nEOF\n  cat > {timer} <<'EOF'\n\
         [Unit]\nDescription=Rotate the logs of crontainer block {block} every hour\n\n\
         [Timer]\nOnCalendar=*-*-* *:17:00\n\n[Install]\nWantedBy=timers.target\nEOF\n  \
         systemctl --user daemon-reload && systemctl --user enable --now {unit}.timer",
        user = owner.user,
        dir = crate::shell::quote(&dir.display().to_string()),
        block = owner.block,
        service = at(format!("{unit}.service")),
        timer = at(format!("{unit}.timer")),
        logrotate = logrotate.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn key(kind: TargetKind, user: &str, block: &str, file: &str) {
        let owner = Owner {
            kind,
            user: user.into(),
            block: block.into(),
        };
        assert_eq!(path(&owner).file_name().unwrap().to_str(), Some(file));
    }

    #[test]
    fn files_are_keyed_by_target_user_and_block_and_never_meet() {
        use TargetKind::{CronD, Crontab};
        key(Crontab, "deploy", "web", "crontainer-crontab-deploy+web");
        key(Crontab, "root", "web", "crontainer-crontab-root+web");
        key(CronD, "root", "web", "crontainer-crond+web");
        key(CronD, "deploy", "web", "crontainer-crond+web");
        // With `-` as the separator these two would share a file.
        key(Crontab, "a-b", "c", "crontainer-crontab-a-b+c");
        key(Crontab, "a", "b-c", "crontainer-crontab-a+b-c");
        // Not a 0.1 name, whatever the block is called.
        key(Crontab, "u", "crond", "crontainer-crontab-u+crond");
    }

    /// A user's systemd units get a timer of the user's manager, not a crontab line (a host
    /// that fires jobs with systemd may have no cron daemon), as text to paste whole.
    #[test]
    fn a_systemd_user_is_told_to_rotate_with_a_user_timer() {
        let owner = Owner {
            kind: TargetKind::Systemd,
            user: "deploy".into(),
            block: "web".into(),
        };
        let conf = "# conf\n";
        assert_eq!(
            advice_with_user_timer(
                &owner,
                Path::new("/home/deploy/.config/systemd/user"),
                conf,
                Path::new("/usr/sbin/logrotate")
            ),
            "logs are not rotated: /etc/logrotate.d is root's. To rotate them as deploy with a \
             timer of deploy's systemd manager instead, run\n\
             \x20 mkdir -p ~/.config/crontainer ~/.local/state /home/deploy/.config/systemd/user \
             && cat > ~/.config/crontainer/logrotate-web.conf <<'EOF'\n\
             # conf\n\
             EOF\n\
             \x20 cat > /home/deploy/.config/systemd/user/logrotate-crontainer-web.service <<'EOF'\n\
             [Unit]\n\
             Description=Rotate the logs of crontainer block web\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart=/usr/sbin/logrotate -s %h/.local/state/crontainer-logrotate.state \
             %h/.config/crontainer/logrotate-web.conf\n\
             EOF\n\
             \x20 cat > /home/deploy/.config/systemd/user/logrotate-crontainer-web.timer <<'EOF'\n\
             [Unit]\n\
             Description=Rotate the logs of crontainer block web every hour\n\
             \n\
             [Timer]\n\
             OnCalendar=*-*-* *:17:00\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n\
             EOF\n\
             \x20 systemctl --user daemon-reload && systemctl --user enable --now \
             logrotate-crontainer-web.timer"
        );
        // Not a name crontainer's own units have: no command takes it for block `logrotate`.
        assert_eq!(
            crate::systemd::parse_unit_name("logrotate-crontainer-web.timer"),
            None
        );
        // A directory with a space stays one word.
        assert!(
            advice_with_user_timer(&owner, Path::new("/home/a b/u"), conf, Path::new("/l"))
                .contains("cat > '/home/a b/u/logrotate-crontainer-web.timer' <<'EOF'\n"),
        );
    }

    #[test]
    fn settings_round_trip_through_the_header() {
        let rotate = Rotate {
            size: "500k".into(),
            keep: 12,
        };
        let owner = Owner {
            kind: TargetKind::Crontab,
            user: "deploy".into(),
            block: "web".into(),
        };
        let text = render(&owner, &[PathBuf::from("/var/log/a.log")], &rotate);
        assert!(
            text.starts_with("# crontainer:web target=crontab user=deploy "),
            "{text}"
        );
        assert_eq!(
            rotated_logs(&text),
            vec![PathBuf::from("/var/log/a.log")],
            "{text}"
        );
        assert_eq!(parse_settings(&text), Some(rotate));
        assert!(text.contains("/var/log/a.log {\n"), "{text}");
        assert!(text.contains("\tcopytruncate\n"), "{text}");
    }
}
