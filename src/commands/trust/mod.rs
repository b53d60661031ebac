//! What root trusts of what it reads (issue 17, then issue 26's five ways in): the config it acts
//! on, checked before anything in it is used, and the blocks of other users, whose markers name
//! a runtime and its variables that root never takes from them. A folder rather than
//! `commands/trust.rs`: every file beside `mod.rs` is a subcommand, and this is not one.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::{self, Config};
use crate::cron_table::Target;
use crate::error::bad_input;
use crate::host;
use crate::line::{Entry, Tools};
use crate::runtime;

pub(crate) mod files;

/// The config named by `-c`, `$CRONTAINER_CONFIG` or found in the usual places, trusted before
/// a byte of it is read: as root, a config that a user other than root may change (the file,
/// or any directory above it) is refused, whatever the command. Issue 26: root's `doctor` in a
/// directory a user could write ran the runtime of a `./crontainer.toml` planted there.
pub(crate) fn load_config(explicit: Option<&Path>) -> Result<Option<Config>> {
    match locate_trusted(explicit)? {
        Some(path) => Config::load(&path).map(Some),
        None => Ok(None),
    }
}

/// Where the config is (see [`load_config`]), refused as root when a user other than root may
/// change it; None when there is none.
pub(crate) fn locate_trusted(explicit: Option<&Path>) -> Result<Option<PathBuf>> {
    let from_env = std::env::var_os(config::ENV_CONFIG).filter(|v| !v.is_empty());
    let Some(path) = config::locate(explicit, from_env.as_deref()) else {
        return Ok(None);
    };
    let found_here =
        explicit.is_none() && from_env.is_none() && path == Path::new(config::LOCAL_CONFIG);
    require_trusted_config(&path, found_here)?;
    Ok(Some(path))
}

/// Like [`load_config`], for the commands that need one.
pub(crate) fn load_required_config(explicit: Option<&Path>) -> Result<Config> {
    load_config(explicit)?.ok_or_else(config::not_found)
}

/// As root, refuses a config at `path` that a user other than root may change. `found_here`: it
/// is `./crontainer.toml`, found in the current directory rather than named.
pub(crate) fn require_trusted_config(path: &Path, found_here: bool) -> Result<()> {
    if !host::is_root() {
        return Ok(());
    }
    let Some(loose) = host::loose_for_root(path, false) else {
        return Ok(());
    };
    if found_here {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        return Err(bad_input(format!(
            "refusing ./{} in {}: {} may be changed by a user other than root, who could then \
             choose the programs root runs; run crontainer from a directory only root may \
             write, or name a root-owned config with -c (such as {})",
            config::LOCAL_CONFIG,
            dir.display(),
            loose.describe(),
            config::SYSTEM_CONFIG
        )));
    }
    Err(bad_input(format!(
        "refusing the config {}: {} may be changed by a user other than root, who could then \
         choose the programs root's cron runs and the files it writes; fix: {}, or keep the \
         config in a root-owned directory such as /etc/crontainer",
        path.display(),
        loose.describe(),
        loose.fix()
    )))
}

/// The user other than root who may write `target`'s text, if any: the owner of a crontab that
/// is not root's, or whoever may change a cron.d file that is not root's alone.
pub(crate) fn written_by(target: &Target) -> Option<String> {
    match target {
        Target::Crontab(c) => Some(c.owner()).filter(|owner| owner != "root"),
        Target::CronD(c) => host::loose_for_root(c.path(), false).map(|l| l.owner),
    }
}

/// The runtime and its client variables to ask about an installed job's container, for a block
/// `written_by` a user other than root (None: root's own, or we are not root). As that user,
/// or for root's own blocks, the marker's. As root reading a user's block: never the marker's
/// path nor its `runtime_env` (issue 26: root's `status --all-users` ran the user's
/// `runtime=/home/sec1/bin/evil`); root's own docker for a block that names docker, and
/// otherwise no answer, with the reason.
pub(crate) fn runtime_for(
    written_by: Option<&str>,
    entry: &Entry,
) -> std::result::Result<(PathBuf, runtime::Env), String> {
    let marker = (
        entry.marker.runtime.clone(),
        entry.marker.runtime_env.clone(),
    );
    let Some(user) = written_by.filter(|_| host::is_root()) else {
        return Ok(marker);
    };
    let ask_as_user = format!("`crontainer status` as {user} asks it");
    if !entry.marker.runtime_env.is_empty() {
        return Err(format!(
            "not asked: block of {user}'s sets runtime_env ({}), which root does not take from a \
             user; {ask_as_user}",
            entry
                .marker
                .runtime_env
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match entry.marker.runtime.file_name().and_then(|n| n.to_str()) {
        Some("docker") => {
            let found = runtime::find("docker", "/usr/bin/docker");
            if found.found {
                Ok((found.path, runtime::Env::new()))
            } else {
                Err(format!(
                    "not asked: root has no docker on its PATH; {ask_as_user}"
                ))
            }
        }
        Some("podman") => Err(format!(
            "not asked: {user}'s podman containers are in {user}'s own store, not root's; \
             {ask_as_user}"
        )),
        _ => Err(format!(
            "not asked: the runtime {} is {user}'s choice, which root does not run; \
             {ask_as_user}",
            entry.marker.runtime.display()
        )),
    }
}

/// As root, crontainer trusts only what root controls: the config (it chooses the programs
/// root's cron runs and the files it appends to) and the programs the line runs, with every
/// directory above them. cron itself refuses a cron.d file that is not root's alone; a config
/// that a normal user may edit would hand that user root's cron. A non-root install is its own
/// user's business.
pub(crate) fn require_root_controlled(config: &Config, tools: &Tools) -> Result<()> {
    if !crate::host::is_root() {
        return Ok(());
    }
    require_trusted_config(&config.path, false)?;
    // The runner lines run the crontainer binary, which runs the runtime: both as root.
    for (what, path, other) in [
        (
            "runtime",
            &tools.runtime,
            "use a root-owned runtime (`[defaults] runtime`)",
        ),
        (
            "crontainer",
            &tools.crontainer,
            "run `crontainer install` from a root-owned binary (`cargo install --path .` as \
             root, or the .deb's /usr/bin/crontainer)",
        ),
    ] {
        if let Some(loose) = crate::host::loose_for_root(path, false) {
            return Err(bad_input(format!(
                "refusing the {what} program {}: {} may be changed by a user other than root, and \
                 root's cron would run it at every firing; fix: {}, or {other}",
                path.display(),
                loose.describe(),
                loose.fix()
            )));
        }
    }
    Ok(())
}
