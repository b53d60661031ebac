//! A block kept as systemd units (issue #23): per job `crontainer-BLOCK-JOB.service` and
//! `.timer` (`src/systemd/`), in /etc/systemd/system for root, in ~/.config/systemd/user for a
//! user, driven with `systemctl` (`--user` for a user).
//!
//! To every command it looks like a cron.d file holding one block: [`Systemd::read`] puts the
//! block back together from the entries its units carry (`systemd::read_entry`), and
//! [`Systemd::write`] takes a block's text apart into units. So `status`, `run-now`, `pause`,
//! `uninstall`, drift and the backups work on it unchanged. Writing touches only this block's
//! own units (each written to a temp file in the directory and renamed), removes those no
//! longer in the block, runs `daemon-reload`, then enables and starts each timer (`enable
//! --now`), or stops and disables a paused one, so a pause survives `install`.
//!
//! Root's units go only into a directory that root alone may change (`host::loose_for_root`),
//! and a unit is read without following a symlink (`safe_file`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::process::Cmd;
use crate::systemd::{
    JobUnits, METRICS_UNIT, UNIT_PREFIX, parse_unit_name, read_entry, read_metrics, render_entry,
    render_metrics, unit_base,
};

/// Overrides the units' directory (tests).
pub const ENV_SYSTEMD_DIR: &str = "CRONTAINER_SYSTEMD_DIR";

/// A unit is a few kilobytes; a bigger file is not one crontainer wrote.
const MAX_UNIT: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Systemd {
    dir: PathBuf,
    name: String,
    /// The user whose manager runs the units (`systemctl --user`); None: the system manager.
    user: Option<String>,
}

impl Systemd {
    /// Root's system units, or the calling user's own (`user`).
    pub(crate) fn new(name: &str, user: Option<String>) -> Result<Systemd> {
        let dir = match std::env::var_os(ENV_SYSTEMD_DIR).filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None if user.is_none() => PathBuf::from("/etc/systemd/system"),
            None => {
                let home = std::env::var_os("HOME")
                    .filter(|d| !d.is_empty())
                    .context("cannot find the user's systemd units: HOME is not set")?;
                std::env::var_os("XDG_CONFIG_HOME")
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(home).join(".config"))
                    .join("systemd/user")
            }
        };
        Ok(Systemd {
            dir,
            name: name.to_string(),
            user,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// System units carry the user a job runs as, as a cron.d line does (`User=`).
    pub(crate) fn with_user_column(&self) -> bool {
        self.user.is_none()
    }

    /// "systemd units crontainer-BLOCK-* in /etc/systemd/system".
    pub(crate) fn describe(&self) -> String {
        let base = unit_base(&self.name, "").unwrap_or_default();
        format!("systemd units {base}* in {}", self.dir.display())
    }

    /// `systemctl`, or `systemctl --user` for a user's units.
    pub(crate) fn systemctl(&self) -> Cmd {
        let cmd = Cmd::new("systemctl");
        match self.user {
            Some(_) => cmd.arg("--user"),
            None => cmd,
        }
    }

    /// This block's unit files in the directory, by file name, sorted.
    fn own_files(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("could not list {}", self.dir.display()));
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("could not list {}", self.dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if parse_unit_name(&name).is_some_and(|(block, _, _)| block == self.name) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn read_unit(&self, file: &str) -> Result<String> {
        let path = self.dir.join(file);
        let bytes = crate::safe_file::read_bounded(&path, MAX_UNIT)
            .with_context(|| format!("could not read {}", path.display()))?
            .with_context(|| format!("{} is missing", path.display()))?;
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
    }

    /// The block as a cron.d file would hold it, put together from the units' entries; empty
    /// when the block has no unit. A unit crontainer did not write as it stands is an error
    /// naming it, never guessed at.
    pub(crate) fn read(&self) -> Result<String> {
        let files = self.own_files()?;
        let mut entries = Vec::new();
        let mut textfile = None;
        for file in files.iter().filter(|f| f.ends_with(".service")) {
            let (_, job, _) = parse_unit_name(file).unwrap_or_default();
            let timer = file.replace(".service", ".timer");
            if !files.contains(&timer) {
                bail!(
                    "{} has no timer {timer} beside it; run `crontainer install` to write it \
                     again, or `crontainer uninstall {job}`",
                    self.dir.join(file).display()
                );
            }
            let service_text = self.read_unit(file)?;
            let timer_text = self.read_unit(&timer)?;
            let damaged = |why: String| {
                crate::error::bad_input(format!(
                    "the units of job {job:?} in {} are {why}; delete {file} and {timer} and \
                     run `crontainer install` again",
                    self.dir.display()
                ))
            };
            // The block's metrics units, told apart from a job's by their first line.
            if let Some(metrics) = read_metrics(
                &self.name,
                &service_text,
                &timer_text,
                self.with_user_column(),
            )
            .map_err(|why| {
                crate::error::bad_input(format!(
                    "the metrics units of block `{}` in {} are {why}; delete {file} and {timer} \
                     and run `crontainer install` again",
                    self.name,
                    self.dir.display()
                ))
            })? {
                textfile = Some(metrics);
                continue;
            }
            let entry = read_entry(
                &self.name,
                &service_text,
                &timer_text,
                self.with_user_column(),
            )
            .map_err(damaged)?;
            entries.push(entry);
        }
        if let Some(orphan) = files
            .iter()
            .find(|f| f.ends_with(".timer") && !files.contains(&f.replace(".timer", ".service")))
        {
            bail!(
                "{} has no service beside it; delete it and run `crontainer install` again",
                self.dir.join(orphan).display()
            );
        }
        if entries.is_empty() && textfile.is_none() {
            return Ok(String::new());
        }
        entries.sort_by_key(|(position, _)| *position);
        let entries: Vec<_> = entries.into_iter().map(|(_, entry)| entry).collect();
        let body = crate::line::render_body_with(&entries, textfile.as_ref());
        Ok(crate::block::upsert("", &self.name, &body)?)
    }

    /// Makes the units say `text` (a block's text, as [`Systemd::read`] gives; empty: no unit),
    /// then has systemd load them and start or stop each timer.
    /// The units a block's text (as [`Systemd::read`] gives it) stands for, each with whether
    /// its job is paused and whether it holds a secret (a healthcheck URL).
    fn wanted(&self, text: &str) -> Result<Vec<(JobUnits, bool, bool)>> {
        let entries = match crate::block::find(text, &self.name)? {
            None if text.trim().is_empty() => Vec::new(),
            None => bail!(
                "internal error: the text for {} holds no block {}",
                self.describe(),
                self.name
            ),
            Some(body) => {
                if crate::block::upsert("", &self.name, &body)? != text {
                    bail!(
                        "internal error: the text for {} holds lines outside its block",
                        self.describe()
                    );
                }
                crate::line::parse_body(&body, self.with_user_column(), &self.name)?
            }
        };
        let mut wanted = Vec::new();
        let textfile = match crate::block::find(text, &self.name)? {
            Some(body) => crate::line::parse_textfile(&body, self.with_user_column()),
            None => None,
        };
        if let Some(textfile) = &textfile {
            if entries.iter().any(|e| e.marker.id == METRICS_UNIT) {
                return Err(crate::error::bad_input(format!(
                    "job \"{METRICS_UNIT}\" of block `{}` would share its units' name with the \
                     block's metrics units ([monitoring] textfile_dir); rename the job",
                    self.name
                )));
            }
            let units = render_metrics(&self.name, textfile, self.with_user_column())
                .map_err(crate::error::bad_input)?;
            wanted.push((units, false, false));
        }
        for (i, entry) in entries.iter().enumerate() {
            let units = render_entry(&self.name, i + 1, entry, self.with_user_column())
                .map_err(crate::error::bad_input)?;
            wanted.push((
                units,
                entry.is_paused(),
                crate::line::holds_ping(&entry.line),
            ));
        }
        Ok(wanted)
    }

    /// The unit files a block's text stands for, by path, as `install` would write them.
    pub(crate) fn unit_files(&self, text: &str) -> Result<Vec<(PathBuf, String)>> {
        Ok(self
            .wanted(text)?
            .into_iter()
            .flat_map(|(units, _, _)| {
                [
                    (self.dir.join(units.service_name()), units.service.clone()),
                    (self.dir.join(units.timer_name()), units.timer),
                ]
            })
            .collect())
    }

    pub(crate) fn write(&self, text: &str) -> Result<()> {
        let wanted = self.wanted(text)?;
        self.check_dir()?;
        if !wanted.is_empty() && self.manager_state().is_none() {
            // Units no manager loads fire nothing: refuse before writing one.
            bail!(
                "no systemd {} manager answers `{}`, so no timer would fire; nothing changed. \
                 Boot with systemd as PID 1 (for user units: log in, or `sudo loginctl \
                 enable-linger USER`), or use target = \"crontab\" or \"cron.d\"",
                if self.user.is_some() {
                    "user"
                } else {
                    "system"
                },
                self.systemctl().arg("is-system-running").display()
            );
        }
        let existing = self.own_files()?;
        let keep: Vec<String> = wanted
            .iter()
            .flat_map(|(u, _, _)| [u.service_name(), u.timer_name()])
            .collect();
        // Stop and disable the timers that go, while their files still say what they are.
        let going: Vec<&String> = existing.iter().filter(|f| !keep.contains(f)).collect();
        let going_timers: Vec<&String> = going
            .iter()
            .copied()
            .filter(|f| f.ends_with(".timer"))
            .collect();
        if !going_timers.is_empty() {
            self.systemctl()
                .args(["disable", "--now", "--no-reload"])
                .args(&going_timers)
                .run()?;
        }
        for file in &going {
            let path = self.dir.join(file);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("could not remove {}", path.display()));
                }
                _ => {}
            }
        }
        if !wanted.is_empty() {
            self.make_dir()?;
        }
        for (units, _, secret) in &wanted {
            // A healthcheck URL is a secret: a unit holding one is its owner's alone.
            let mode = if *secret || self.user.is_some() {
                0o600
            } else {
                0o644
            };
            for (file, text) in [
                (units.service_name(), &units.service),
                (units.timer_name(), &units.timer),
            ] {
                let path = self.dir.join(&file);
                if existing.contains(&file) && self.read_unit(&file).ok().as_ref() == Some(text) {
                    continue;
                }
                super::write_atomically(&path, text.as_bytes(), mode)?;
            }
        }
        self.systemctl().arg("daemon-reload").run()?;
        let (paused, active): (Vec<_>, Vec<_>) = wanted.iter().partition(|(_, p, _)| *p);
        let names = |list: &[&(JobUnits, bool, bool)]| -> Vec<String> {
            list.iter().map(|(u, _, _)| u.timer_name()).collect()
        };
        if !active.is_empty() {
            self.systemctl()
                .args(["enable", "--now"])
                .args(names(&active))
                .run()?;
        }
        if !paused.is_empty() {
            self.systemctl()
                .args(["disable", "--now"])
                .args(names(&paused))
                .run()?;
        }
        let back = self.read()?;
        if back != text {
            bail!(
                "{} read back differs from what was written; check the directory",
                self.describe()
            );
        }
        Ok(())
    }

    /// Root writes its units only into a directory that root alone may change: whoever may
    /// write it could swap in a unit that systemd runs as root.
    fn check_dir(&self) -> Result<()> {
        if crate::host::is_root()
            && let Some(loose) = crate::host::loose_for_root(&self.dir, true)
        {
            bail!(
                "{} is not root's alone: {}; root's systemd units go only where no other user \
                 can change them. Fix: {}",
                self.dir.display(),
                loose.describe(),
                loose.fix()
            );
        }
        Ok(())
    }

    fn make_dir(&self) -> Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&self.dir)
            .with_context(|| format!("could not create {}", self.dir.display()))
    }
}

use std::os::unix::fs::DirBuilderExt;

/// The blocks that have units in `dir`, sorted: for a command without a config, which must see
/// every block of its target.
pub(crate) fn blocks_in(dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("could not list {}", dir.display())),
    };
    let mut blocks: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(UNIT_PREFIX)
                .then(|| parse_unit_name(&name).map(|(block, _, _)| block))
                .flatten()
        })
        .collect();
    blocks.sort();
    blocks.dedup();
    Ok(blocks)
}

/// A job's timer as its manager reports it (`systemctl show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimerState {
    /// `ActiveState`: "active" while it waits to fire.
    pub(crate) active: String,
    /// `UnitFileState`: "enabled", or "disabled" while the job is paused.
    pub(crate) enabled: String,
    /// `NextElapseUSecRealtime`: when it fires next; None when it will not (stopped).
    pub(crate) next: Option<jiff::Timestamp>,
}

impl Systemd {
    /// The timer of `job` as systemd sees it; None when systemctl cannot say (no manager).
    pub(crate) fn timer_state(&self, job: &str) -> Option<TimerState> {
        let timer = format!("{}.timer", unit_base(&self.name, job).ok()?);
        // systemctl 252 prints the time as "Fri 2026-12-04 19:48:00 UTC" in its zone, whatever
        // `--timestamp=`; in UTC it is one format to read.
        let out = self
            .systemctl()
            .env("TZ", "UTC")
            .arg("show")
            .args(["-p", "ActiveState", "-p", "UnitFileState"])
            .args(["-p", "NextElapseUSecRealtime", &timer])
            .run()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        Some(TimerState {
            active: value("ActiveState")?,
            enabled: value("UnitFileState").unwrap_or_default(),
            next: value("NextElapseUSecRealtime").and_then(|v| parse_utc(&v)),
        })
    }

    /// The manager's state (`systemctl is-system-running`: running, degraded, ...), or None
    /// when no systemd answers: then no timer fires.
    pub(crate) fn manager_state(&self) -> Option<String> {
        let out = self.systemctl().arg("is-system-running").output().ok()?;
        let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // It exits non-zero for "degraded" too, which still runs timers.
        let manager = match &self.user {
            Some(user) => format!("{user}'s user manager"),
            None => "the system manager".to_string(),
        };
        matches!(
            state.as_str(),
            "running" | "degraded" | "starting" | "initializing" | "maintenance"
        )
        .then(|| format!("{manager} is {state}"))
    }
}

/// A time as `systemctl show` prints it in UTC: "Fri 2026-12-04 19:48:00 UTC"; None for an
/// empty value (a stopped timer) or anything else.
fn parse_utc(text: &str) -> Option<jiff::Timestamp> {
    let civil = text.split_once(' ')?.1.strip_suffix(" UTC")?;
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", civil).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

/// What `doctor` finds about a block's units and their manager.
pub(crate) enum Finding {
    Ok(String),
    /// What is wrong, and the fix.
    Warn(String, String),
    Fail(String, String),
}

impl Systemd {
    /// Whether the user's manager outlives their sessions (`loginctl enable-linger`): without
    /// it, a user's timers stop at logout. None for system units, which need no session.
    pub(crate) fn lingering(&self) -> Option<bool> {
        let user = self.user.as_deref()?;
        Some(Path::new("/var/lib/systemd/linger").join(user).exists())
    }

    /// The checks of `doctor` for this block: its manager runs, its units pass `systemd-analyze
    /// verify`, and a user's manager lingers.
    pub(crate) fn doctor(&self) -> Vec<(&'static str, Finding)> {
        let mut found = vec![(
            "systemd",
            match self.manager_state() {
                Some(state) => Finding::Ok(state),
                None => Finding::Fail(
                    format!(
                        "no systemd {} manager answers `{}`: no timer fires",
                        if self.user.is_some() {
                            "user"
                        } else {
                            "system"
                        },
                        self.systemctl().arg("is-system-running").display()
                    ),
                    "boot with systemd as PID 1, or use target = \"crontab\" or \"cron.d\"; \
                     for user units, log in or `sudo loginctl enable-linger USER`"
                        .to_string(),
                ),
            },
        )];
        let files: Vec<PathBuf> = self
            .own_files()
            .unwrap_or_default()
            .iter()
            .map(|f| self.dir.join(f))
            .collect();
        if !files.is_empty() {
            let mut verify = Cmd::new("systemd-analyze");
            if self.user.is_some() {
                verify = verify.arg("--user");
            }
            let verify = verify.args(["verify", "--man=no"]).args(&files);
            found.push((
                "units",
                match verify.output() {
                    Ok(out) if out.status.success() && out.stderr.is_empty() => Finding::Ok(
                        format!("{} unit files pass `systemd-analyze verify`", files.len()),
                    ),
                    Ok(out) => Finding::Fail(
                        format!("{:#}", verify.failed(&out)),
                        "run `crontainer install` to write them again".to_string(),
                    ),
                    Err(e) => Finding::Warn(
                        format!("could not check the units: {e:#}"),
                        "install systemd's systemd-analyze".to_string(),
                    ),
                },
            ));
        }
        if let (Some(user), Some(lingers)) = (self.user.as_deref(), self.lingering()) {
            found.push((
                "lingering",
                if lingers {
                    Finding::Ok(format!(
                        "on: {user}'s timers fire while {user} is logged out"
                    ))
                } else {
                    Finding::Warn(
                        format!("off: {user}'s timers stop when {user}'s last session ends"),
                        format!("`sudo loginctl enable-linger {user}`"),
                    )
                },
            ));
        }
        found
    }
}

/// `doctor`'s checks of several blocks' units: their manager and lingering once (the first
/// block's: every block of one target shares them), the units of each block, named by block
/// when there are several.
pub(crate) fn doctor_all(blocks: &[Systemd]) -> Vec<(String, Finding)> {
    let mut found = Vec::new();
    for (n, block) in blocks.iter().enumerate() {
        for (what, finding) in block.doctor() {
            if n > 0 && what != "units" {
                continue;
            }
            let what = if blocks.len() > 1 && what == "units" {
                format!("units of block `{}`", block.name)
            } else {
                what.to_string()
            };
            found.push((what, finding));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_elapse_as_systemctl_prints_it() {
        assert_eq!(
            super::parse_utc("Fri 2026-12-04 19:48:00 UTC").map(|t| t.as_second()),
            Some(1_796_413_680)
        );
        assert_eq!(super::parse_utc(""), None);
        assert_eq!(super::parse_utc("Fri 2026-12-04 19:48:00 CET"), None);
    }
}
