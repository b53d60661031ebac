//! What is installed: the crontainer blocks of a target (or of every target a command may see),
//! each with its parsed entries and what could not be read. `drift` compares an installed job
//! with its config and its firings; `lookup` finds the job a user names, and its copies.

pub(crate) mod drift;
pub(crate) mod lookup;

use std::path::Path;

use anyhow::Result;

use crate::block;
use crate::cli::{TargetArg, TargetArgs};
use crate::commands::trust;
use crate::config::{self, Config, TargetKind};
use crate::cron_table::{Target, TargetId};
use crate::error::bad_input;
use crate::line::{self, Entry};

/// The jobs installed in a target, with the block each sits in.
pub(crate) struct Installed {
    pub(crate) target: Target,
    pub(crate) run_as: String,
    pub(crate) entries: Vec<(String, Entry)>,
    /// Environment assignments above a block (its name, the line number and text): cron
    /// applies them to the block's lines too.
    pub(crate) assignments: Vec<(String, usize, String)>,
    /// The blocks' metrics lines (`[monitoring] textfile_dir`), by block.
    pub(crate) textfiles: Vec<(String, crate::line::Textfile)>,
    /// When one block was asked for, the jobs of the other blocks in the same text (read
    /// anyway), with where they are: where a copy that a rename left behind goes on firing;
    /// [`Scope::read_neighbours_elsewhere`] adds those of the other targets a copy may be in.
    pub(crate) neighbours: Vec<(Target, String, Entry)>,
    /// What could not be read here: a block someone edited by hand is refused alone, and the
    /// others stay usable; a damaged marker makes the whole text unreadable.
    pub(crate) damaged: Vec<Damaged>,
}

impl Installed {
    /// Whether a block was found here, readable or not: then what fires this target (a cron
    /// daemon, systemd) matters, which it does not for an empty crontab `--all-users` read.
    pub(crate) fn holds_blocks(&self) -> bool {
        !self.entries.is_empty() || !self.textfiles.is_empty() || !self.damaged.is_empty()
    }
}

/// A block (None: the whole text) that could not be read, and why.
pub(crate) struct Damaged {
    pub(crate) block: Option<String>,
    pub(crate) error: String,
    /// The ids of the job markers still readable in it: jobs that `metrics` reports unhealthy
    /// rather than dropping (an alert on `healthy == 0` would resolve).
    pub(crate) jobs: Vec<String>,
    /// The whole target could not be read (not damaged: this user may not read it).
    pub(crate) unreadable: bool,
}

impl Damaged {
    /// In words, with where it is.
    pub(crate) fn describe(&self, target: &Target) -> String {
        match &self.block {
            Some(block) => format!("block `{block}` in {}: {}", target.describe(), self.error),
            // The error names the target already.
            None if self.unreadable => self.error.clone(),
            None => format!("{}: {}", target.describe(), self.error),
        }
    }
}

/// The crontainer blocks a command acts on, each with its parsed entries: block `name`, or every
/// block in `text` when None. Lazy, so a command that stops at the block it wants never reads
/// the ones after it; a block with lines someone added by hand is an error, never guessed at.
pub(crate) fn parse_blocks<'a>(
    text: &'a str,
    name: Option<&str>,
    with_user: bool,
) -> Result<impl Iterator<Item = Result<(String, Vec<Entry>)>> + 'a> {
    let names = match name {
        Some(name) => vec![name.to_string()],
        None => block::names(text)?,
    };
    Ok(names.into_iter().filter_map(move |name| {
        let body = match block::find(text, &name) {
            Ok(Some(body)) => body,
            Ok(None) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        Some(line::parse_body(&body, with_user, &name).map(|entries| (name, entries)))
    }))
}

/// Where a command looks for installed jobs, and what it found there: one crontab, the cron.d
/// file of one block, every cron.d file holding a block, or (`--all-users`) all of them.
pub(crate) struct Scope {
    /// Where it looked, in words ("root's crontab", "/etc/cron.d").
    pub(crate) label: String,
    pub(crate) installed: Vec<Installed>,
}

impl Scope {
    /// Every installed job: where, in which block.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Installed, &str, &Entry)> {
        self.installed.iter().flat_map(|installed| {
            installed
                .entries
                .iter()
                .map(move |(block, entry)| (installed, block.as_str(), entry))
        })
    }

    /// What could not be read, in words.
    pub(crate) fn damaged(&self) -> Vec<String> {
        self.installed
            .iter()
            .flat_map(|i| i.damaged.iter().map(|d| d.describe(&i.target)))
            .collect()
    }

    /// The blocks found, each with where it is, in order.
    pub(crate) fn blocks(&self) -> Vec<(&Installed, &str)> {
        self.block_indexes()
            .into_iter()
            .map(|(i, block)| (&self.installed[i], block))
            .collect()
    }

    /// Gives each target read the jobs of the blocks elsewhere that could be copies of its own
    /// (`lookup::is_copy`: run as the same user), as [`Installed::neighbours`]: the other
    /// targets of the scope, every cron.d file, every block of the systemd units this user
    /// keeps (root: the system units), and the crontab of each user its jobs run as.
    /// A block renamed into a new cron.d file or new units, or moved from a crontab into one,
    /// and left behind fires every job twice, and `status` must see it from either side (issue
    /// 25). What cannot be read here is left out: these are only the places a copy may be.
    pub(crate) fn read_neighbours_elsewhere(&mut self) {
        let mut users: Vec<String> = Vec::new();
        for (installed, _, entry) in self.entries() {
            if let Some(user) = lookup::runs_as(&installed.target, entry)
                && !users.contains(&user)
            {
                users.push(user);
            }
        }
        if users.is_empty() {
            return;
        }
        let me = crate::host::current_user();
        let mut elsewhere: Vec<Target> = cron_d_targets(None, None)
            .unwrap_or_default()
            .into_iter()
            .chain(crate::cron_table::systemd_targets(None).unwrap_or_default())
            .map(|r| r.target)
            .collect();
        for user in users {
            // Another user's crontab is root's to read only.
            if (user == me || crate::host::is_root())
                && let Ok(user) = user.parse::<config::UserName>()
            {
                elsewhere.extend(
                    Target::resolve(TargetKind::Crontab, Some(&user), "crontainer")
                        .map(|r| r.target),
                );
            }
        }
        let mut pool: Vec<(Target, String, Entry)> = self
            .installed
            .iter()
            .flat_map(|i| {
                i.entries
                    .iter()
                    .map(|(b, e)| (i.target.clone(), b.clone(), e.clone()))
            })
            .collect();
        for target in elsewhere {
            if self.installed.iter().any(|i| i.target.same_as(&target))
                || pool.iter().any(|(t, _, _)| t.same_as(&target))
            {
                continue;
            }
            if let Ok(text) = target.read() {
                let with_user = target.with_user_column();
                pool.extend(blocks_of(&target, &text, with_user, None));
            }
        }
        for installed in &mut self.installed {
            installed.neighbours.extend(
                pool.iter()
                    .filter(|(t, _, _)| !t.same_as(&installed.target))
                    .cloned(),
            );
        }
    }

    /// The blocks found, each with the index of its target in `installed`, in order.
    pub(crate) fn block_indexes(&self) -> Vec<(usize, &str)> {
        let mut blocks: Vec<(usize, &str)> = Vec::new();
        for (i, installed) in self.installed.iter().enumerate() {
            for (block, _) in &installed.entries {
                if !blocks.contains(&(i, block.as_str())) {
                    blocks.push((i, block));
                }
            }
        }
        blocks
    }
}

/// The installed jobs where the config and flags point: block `name` (the flag, else the
/// config's), or every block there. Without a name, a cron.d target means every file of
/// /etc/cron.d that holds a block; `all_users` (root only) means every user's crontab and
/// every such file.
pub(crate) fn scope(
    config: Option<&Config>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<Scope> {
    let name = name.or_else(|| config.map(|c| c.name.as_str()));
    scope_at(config, flags, name, all_users)
}

/// Like [`scope`], but every block where the config points when `name` is None (what `doctor`
/// checks: the config's block and any other beside it).
pub(crate) fn scope_at(
    config: Option<&Config>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<Scope> {
    let (kind, user) = target_settings(config, flags);
    let mut targets = Vec::new();
    let label;
    if all_users {
        if !crate::host::is_root() {
            return Err(bad_input(
                "--all-users reads every user's crontab, which only root may: run it with sudo",
            ));
        }
        for user in crate::cron_table::crontab_users()? {
            targets.push(Target::resolve(
                TargetKind::Crontab,
                Some(&user),
                "crontainer",
            )?);
        }
        if !targets
            .iter()
            .any(|r| r.target.id() == TargetId::my_crontab())
        {
            targets.push(Target::resolve(TargetKind::Crontab, None, "crontainer")?);
        }
        targets.extend(cron_d_targets(user.as_deref(), name)?);
        targets.extend(crate::cron_table::systemd_targets(None).unwrap_or_default());
        label = format!(
            "every user's crontab, {} and root's systemd units",
            crate::cron_table::cron_d_dir().display()
        );
    } else if kind == TargetKind::CronD && name.is_none() {
        // The same checks of --user as for one file.
        Target::resolve(kind, user.as_ref(), "crontainer")?;
        targets.extend(cron_d_targets(user.as_deref(), None)?);
        label = crate::cron_table::cron_d_dir().display().to_string();
    } else if kind == TargetKind::Systemd && name.is_none() {
        let probe = Target::resolve(kind, user.as_ref(), "crontainer")?;
        label = probe
            .target
            .describe()
            .replace("crontainer-crontainer-*", "crontainer-*");
        let all = crate::cron_table::systemd_targets(user.as_ref())?;
        if all.is_empty() {
            targets.push(probe);
        }
        targets.extend(all);
    } else {
        let resolved = Target::resolve(kind, user.as_ref(), name.unwrap_or("crontainer"))?;
        label = resolved.target.describe();
        targets.push(resolved);
    }
    // Where several targets are read, one that cannot be (a cron.d file holding a healthcheck
    // URL is root's alone) is said, and the others are shown; one target asked for by name
    // must be read, or the command fails.
    let several = all_users
        || targets.len() > 1
        || (matches!(kind, TargetKind::CronD | TargetKind::Systemd) && name.is_none());
    let installed = targets
        .into_iter()
        .map(|resolved| match several {
            true => Ok(read_or_damaged(resolved, name)),
            false => read_target(resolved, name),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Scope { label, installed })
}

/// Every cron.d file holding a block (block `name`'s file when given), its lines run as `user`
/// (root when None) unless their user column says otherwise.
fn cron_d_targets(
    user: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<crate::cron_table::Resolved>> {
    let files = match name {
        Some(name) => vec![name.to_string()],
        None => crate::cron_table::cron_d_files_with_blocks()?,
    };
    Ok(files
        .into_iter()
        .map(|file| crate::cron_table::Resolved {
            target: Target::CronD(crate::cron_table::CronD::new(
                crate::cron_table::cron_d_dir(),
                &file,
            )),
            run_as: user.unwrap_or("root").to_string(),
        })
        .collect())
}

/// Every block crontainer can read on this host, for the checks that must see them all (a log
/// two blocks share, a renamed block left behind): as root, every user's crontab and every
/// cron.d file; otherwise one's own crontab and the cron.d files. A target that cannot be read
/// is recorded as damaged, not an error: these checks must not stop a command.
pub(crate) fn everything_readable() -> Vec<Installed> {
    let mut targets = Vec::new();
    // Root's listing of cron's spool names every crontab there is, root's own included: one
    // not listed does not exist, and needs no `crontab -l` to say so.
    let mut listed = false;
    if crate::host::is_root()
        && let Ok(users) = crate::cron_table::crontab_users()
    {
        listed = crate::cron_table::spool_lists_every_crontab();
        for user in users {
            targets.extend(Target::resolve(TargetKind::Crontab, Some(&user), "crontainer").ok());
        }
    }
    if !listed
        && !targets
            .iter()
            .any(|r| r.target.id() == TargetId::my_crontab())
    {
        targets.extend(Target::resolve(TargetKind::Crontab, None, "crontainer").ok());
    }
    targets.extend(cron_d_targets(None, None).unwrap_or_default());
    targets.extend(crate::cron_table::systemd_targets(None).unwrap_or_default());
    targets
        .into_iter()
        .map(|resolved| read_or_damaged(resolved, None))
        .collect()
}

/// [`read_target`], with a target that cannot be read recorded as damaged rather than failing.
fn read_or_damaged(resolved: crate::cron_table::Resolved, name: Option<&str>) -> Installed {
    let target = resolved.target.clone();
    let run_as = resolved.run_as.clone();
    read_target(resolved, name).unwrap_or_else(|e| Installed {
        target,
        run_as,
        entries: Vec::new(),
        assignments: Vec::new(),
        textfiles: Vec::new(),
        neighbours: Vec::new(),
        damaged: vec![Damaged {
            block: None,
            error: format!("{e:#}"),
            jobs: Vec::new(),
            unreadable: true,
        }],
    })
}

/// The config, when one is named or found, and the jobs installed where it (or the flags) point:
/// its block, or every crontainer block there. What the commands that report start from.
pub(crate) fn config_and_installed(
    config: Option<&Path>,
    flags: &TargetArgs,
    name: Option<&str>,
    all_users: bool,
) -> Result<(Option<Config>, Scope)> {
    let config = trust::load_config(config)?;
    let scope = scope(config.as_ref(), flags, name, all_users)?;
    Ok((config, scope))
}

/// Reads block `name` (every block when None) of a resolved target. A block that cannot be
/// read is recorded in `damaged` and the others are read on; only a target that cannot be read
/// at all (`crontab -l` failing) is an error.
fn read_target(resolved: crate::cron_table::Resolved, name: Option<&str>) -> Result<Installed> {
    let text = resolved.target.read()?;
    let mut installed = Installed {
        target: resolved.target,
        run_as: resolved.run_as,
        entries: Vec::new(),
        assignments: Vec::new(),
        textfiles: Vec::new(),
        neighbours: Vec::new(),
        damaged: Vec::new(),
    };
    let names = match name {
        Some(name) => vec![name.to_string()],
        None => match block::names(&text) {
            Ok(names) => names,
            Err(e) => {
                installed.damaged.push(Damaged {
                    block: None,
                    error: e.to_string(),
                    jobs: Vec::new(),
                    unreadable: false,
                });
                return Ok(installed);
            }
        },
    };
    let with_user = installed.target.with_user_column();
    for name in names {
        let body = match block::find(&text, &name) {
            Ok(Some(body)) => body,
            Ok(None) => continue,
            Err(e) => {
                installed.damaged.push(Damaged {
                    block: None,
                    error: e.to_string(),
                    jobs: Vec::new(),
                    unreadable: false,
                });
                break;
            }
        };
        match line::parse_body(&body, with_user, &name) {
            Ok(parsed) => {
                for (line, assignment) in block::assignments_above(&text, &name)? {
                    installed.assignments.push((name.clone(), line, assignment));
                }
                if let Some(textfile) = crate::line::parse_textfile(&body, with_user) {
                    installed.textfiles.push((name.clone(), textfile));
                }
                installed
                    .entries
                    .extend(parsed.into_iter().map(|entry| (name.clone(), entry)));
            }
            Err(e) => installed.damaged.push(Damaged {
                block: Some(name),
                error: format!("{e:#}"),
                jobs: body
                    .iter()
                    .filter_map(|l| crate::line::Marker::parse(l))
                    .map(|m| m.id)
                    .collect(),
                unreadable: false,
            }),
        }
    }
    if let Some(name) = name {
        let this = installed.target.clone();
        installed
            .neighbours
            .extend(blocks_of(&this, &text, with_user, Some(name)));
    }
    Ok(installed)
}

/// The jobs of the readable blocks in `text` of `target`, but `except`'s.
fn blocks_of(
    target: &Target,
    text: &str,
    with_user: bool,
    except: Option<&str>,
) -> Vec<(Target, String, Entry)> {
    let mut found = Vec::new();
    for name in block::names(text).unwrap_or_default() {
        if Some(name.as_str()) == except {
            continue;
        }
        let Ok(Some(body)) = block::find(text, &name) else {
            continue;
        };
        if let Ok(parsed) = crate::line::parse_body(&body, with_user, &name) {
            found.extend(
                parsed
                    .into_iter()
                    .map(|entry| (target.clone(), name.clone(), entry)),
            );
        }
    }
    found
}

/// What an environment assignment above block `name` does to it, in words for `status` and
/// `doctor`; None when the block has none above it.
pub(crate) fn environment_problem(installed: &Installed, name: &str) -> Option<String> {
    let above: Vec<String> = installed
        .assignments
        .iter()
        .filter(|(block, _, _)| block == name)
        .map(|(_, line, text)| format!("`{text}` (line {line})"))
        .collect();
    (!above.is_empty()).then(|| {
        format!(
            "{} sets {} above block `{name}`, and cron runs the block's lines with it: \
             `crontainer install` moves the block above it",
            installed.target.describe(),
            above.join(", ")
        )
    })
}

/// The target kind and user: flags first, then the config, then the defaults.
pub(crate) fn target_settings(
    config: Option<&Config>,
    flags: &TargetArgs,
) -> (TargetKind, Option<config::UserName>) {
    let kind = match flags.target {
        Some(TargetArg::Crontab) => TargetKind::Crontab,
        Some(TargetArg::CronD) => TargetKind::CronD,
        Some(TargetArg::Systemd) => TargetKind::Systemd,
        None => config.map_or(TargetKind::Crontab, |c| c.target),
    };
    let user = flags
        .user
        .clone()
        .or_else(|| config.and_then(|c| c.user.clone()));
    (kind, user)
}
