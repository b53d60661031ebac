//! The lines a config would install in a target, the metrics line beside them, and the warnings
//! they carry (values and secret URLs readable by others, a binary that will not stay).

use anyhow::{Context, Result};

use crate::config::{Config, TargetKind};
use crate::cron_table::Target;
use crate::line::{self, Entry, Tools};
use crate::runtime;

/// Renders every job of the config for `target`.
pub(crate) fn render_entries(
    config: &Config,
    tools: &Tools,
    target: &Target,
    run_as: &str,
) -> Result<Vec<Entry>> {
    let user_column = target.with_user_column().then_some(run_as);
    config
        .jobs
        .iter()
        .map(|job| {
            line::render_job(job, tools, user_column, &config.name).map_err(|e| {
                crate::error::bad_input(format!("{}:{}: {e:#}", config.path.display(), job.line))
            })
        })
        .collect()
}

/// Whether every local user can read the lines once installed: a cron.d file (0644 unless it
/// holds a URL), and root's systemd units, whose `ExecStart=` any user reads over D-Bus
/// (`systemctl show`) whatever the unit file's mode. A user's crontab and user units are theirs.
fn readable_by_all(kind: TargetKind, target: &Target) -> bool {
    match target {
        Target::Systemd(units) => units.user().is_none(),
        _ => kind == TargetKind::CronD,
    }
}

/// How every local user reads what `target` holds, for the warnings below.
fn how_all_read(target: &Target) -> &'static str {
    match target {
        Target::Systemd(_) => " (`systemctl show -p ExecStart`, whatever the files' mode)",
        _ => "",
    }
}

/// `env` values are written into the line: a cron.d file and root's systemd units are readable
/// by every local user, and the `docker exec -e` command line is in everyone's process list
/// while the job runs.
pub(crate) fn env_warnings(config: &Config, kind: TargetKind, target: &Target) -> Vec<String> {
    if !readable_by_all(kind, target) {
        return Vec::new();
    }
    config
        .jobs
        .iter()
        .filter(|job| !job.env.is_empty())
        .map(|job| {
            format!(
                "job {:?}: the values of `env` ({}) are written into {}, which every local user \
                 can read{}, and show in the process list while the job runs; keep secrets in a \
                 file only the job's user can read, named by `env_file`",
                job.id,
                job.env.keys().cloned().collect::<Vec<_>>().join(", "),
                target.describe(),
                how_all_read(target)
            )
        })
        .collect()
}

/// A healthcheck URL is a secret (whoever has it can report the check's runs, or silence an
/// alert): in a cron.d file it would be readable by every local user, so the file is written
/// 0600 (see `cron_table::cron_d`), but the line, URL included, still shows in the process list
/// while the job runs. Root's systemd units cannot hide it: their `ExecStart=` is public.
pub(crate) fn healthcheck_warnings(
    config: &Config,
    kind: TargetKind,
    target: &Target,
) -> Vec<String> {
    if !readable_by_all(kind, target) {
        return Vec::new();
    }
    // One warning for the file, whatever the number of jobs that ping.
    let ids: Vec<String> = config
        .jobs
        .iter()
        .filter(|job| job.healthcheck.is_some())
        .map(|job| format!("{:?}", job.id))
        .collect();
    let who = match ids.as_slice() {
        [] => return Vec::new(),
        [one] => format!("job {one}: its `healthcheck` URL is a secret and is"),
        _ => format!(
            "jobs {}: their `healthcheck` URLs are secrets and are",
            ids.join(", ")
        ),
    };
    if let Target::Systemd(_) = target {
        return vec![format!(
            "{who} written into {}, whose `ExecStart=` every local user can read{}, and it \
             shows in the process list (`ps`) while a job runs; for a URL only root can read, \
             use target = \"cron.d\"",
            target.describe(),
            how_all_read(target)
        )];
    }
    vec![format!(
        "{who} written into {}, which is therefore made readable by root alone (mode 0600; \
         cron still reads it); it still shows in the process list (`ps`) of every local user \
         while a job runs",
        target.describe()
    )]
}

/// Says when the binary the runner lines name lies where it will not stay (a build or temp
/// directory): every job's line, and the metrics line (`textfile`), would then fail once it goes.
/// One warning for all of them: they run the same binary.
pub(crate) fn binary_warnings(tools: &Tools, textfile: Option<&line::Textfile>) -> Vec<String> {
    if !runtime::is_temporary_binary(&tools.crontainer) {
        return Vec::new();
    }
    let metrics = match textfile {
        Some(t) => format!(
            ", and the metrics line fails every minute (the file in {} goes stale)",
            t.dir.display()
        ),
        None => String::new(),
    };
    vec![format!(
        "the cron lines run this crontainer binary, {}, which looks temporary (a build output \
         or a temp directory): when it goes, no job runs{metrics}; install it for good (`cargo \
         install --path .`, or the .deb's /usr/bin/crontainer) and run `crontainer install` from \
         there",
        tools.crontainer.display()
    )]
}

/// The block's metrics line for `[monitoring] textfile_dir`, if the config sets one: this very
/// crontainer binary, every minute, writing the gauges of the config's block (in `kind` of
/// `run_as`) to its own file in `DIR`. (A binary that will not stay is warned about with the
/// job lines', [`binary_warnings`].)
pub(crate) fn textfile_line(
    config: &Config,
    kind: TargetKind,
    run_as: &str,
    target: &Target,
    tools: &Tools,
) -> Result<(Option<line::Textfile>, Vec<String>)> {
    let Some(dir) = &config.textfile_dir else {
        return Ok((None, Vec::new()));
    };
    let exe = tools.crontainer.clone();
    let config_path = std::path::absolute(&config.path)
        .with_context(|| format!("could not make {} absolute", config.path.display()))?;
    let kind_word = match kind {
        TargetKind::Crontab => "crontab",
        TargetKind::CronD => "cron.d",
        TargetKind::Systemd => "systemd",
    };
    let textfile = line::Textfile::render(
        &exe,
        &config_path,
        kind_word,
        run_as,
        dir,
        target.with_user_column().then_some(run_as),
        tools.escape_percent,
    );
    Ok((Some(textfile), Vec::new()))
}
