//! `crontainer doctor`: checks the host for everything the installed lines need when they fire,
//! and says what to fix. Exit 0 only when nothing failed.

use std::path::Path;

use anyhow::Result;

use crate::cli::DoctorArgs;
use crate::commands;
use crate::commands::job_status::metrics_line;
use crate::config::{self, ContainerRef};
use crate::error::ExitCode;
use crate::host;
use crate::line::{self, Entry, legacy};
use crate::run_log;
use crate::runtime::{self, ContainerState};
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// One check, as `doctor --json` lists it.
#[derive(serde::Serialize)]
struct Check {
    #[serde(rename = "check")]
    name: String,
    verdict: Verdict,
    detail: String,
    fix: Option<String>,
}

fn check(name: &str, verdict: Verdict, detail: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        name: name.to_string(),
        verdict,
        detail: detail.into(),
        fix,
    }
}

pub(crate) fn run(args: &DoctorArgs) -> Result<ExitCode> {
    let mut checks = Vec::new();
    // Trusted before anything in it is used (its runtime runs below): as root, a config a user
    // may change is reported and left unread.
    let located = match commands::trust::locate_trusted(args.scope.config.config.as_deref()) {
        Ok(path) => Ok(path),
        Err(e) => {
            checks.push(check(
                "root's inputs",
                Verdict::Fail,
                format!("{e:#}"),
                None,
            ));
            Err(())
        }
    };
    let loaded = match located {
        Ok(Some(path)) => config::Config::load(&path).map(Some),
        _ => Ok(None),
    };
    let config = match loaded {
        Ok(config) => config,
        Err(e) => {
            checks.push(check(
                "config",
                Verdict::Fail,
                format!("{e:#}"),
                Some("fix the config".into()),
            ));
            None
        }
    };

    let (kind, user) = commands::installed::target_settings(config.as_ref(), &args.scope.target);
    // What fires the jobs is checked here, once the blocks read below say which.
    let schedulers_at = checks.len();

    let runtime_name = config.as_ref().map_or("docker", |c| c.runtime.as_str());
    let (tools, _) = runtime::resolve_tools(runtime_name);
    // The host programs of 0.1/0.2 lines go here, once the blocks are read.
    let legacy_tools_at = checks.len();
    let no_env = runtime::Env::new();
    let runtime_env = config.as_ref().map_or(&no_env, |c| &c.runtime_env);
    checks.push(runtime_check(runtime_name, &tools.runtime, runtime_env));
    if let Some(config) = &config
        && host::is_root()
    {
        checks.push(
            match commands::trust::require_root_controlled(config, &tools) {
                Ok(()) => check(
                    "root's inputs",
                    Verdict::Ok,
                    "the config and the programs the line runs are root's alone",
                    None,
                ),
                Err(e) => check("root's inputs", Verdict::Fail, format!("{e:#}"), None),
            },
        );
    }
    checks.push(time_zone_check());

    // With a config: every block of its crontab, or its own cron.d file (each cron.d file is
    // a target of its own; other files' blocks are checked against it for shared logs below).
    let name = args.scope.name.as_deref().or(config
        .as_ref()
        .filter(|_| {
            matches!(
                kind,
                config::TargetKind::CronD | config::TargetKind::Systemd
            )
        })
        .map(|c| c.name.as_str()));
    let holding = match commands::installed::scope_at(
        config.as_ref(),
        &args.scope.target,
        name,
        args.all_users,
    ) {
        Err(e) => {
            checks.push(check(
                "installed blocks",
                Verdict::Fail,
                format!("{e:#}"),
                None,
            ));
            Vec::new()
        }
        Ok(scope) => {
            block_checks(&mut checks, &scope, config.as_ref())?;
            checks.splice(legacy_tools_at..legacy_tools_at, legacy_tool_checks(&scope));
            scope
                .installed
                .into_iter()
                .filter(|i| i.holds_blocks())
                .map(|i| i.target)
                .collect()
        }
    };
    let schedulers = scheduler_checks(&holding, kind, user.as_ref(), config.as_ref());
    checks.splice(schedulers_at..schedulers_at, schedulers);

    let healthy = checks.iter().all(|c| c.verdict != Verdict::Fail);
    if args.json {
        ui::print_document(&DoctorDocument {
            healthy,
            checks: &checks,
        });
    } else {
        for c in &checks {
            let mark = match c.verdict {
                Verdict::Ok => "ok  ",
                Verdict::Warn => "WARN",
                Verdict::Fail => "FAIL",
            };
            println!("{mark}  {}: {}", c.name, c.detail);
            if let (Some(fix), true) = (&c.fix, c.verdict != Verdict::Ok) {
                println!("      fix: {fix}");
            }
        }
    }
    Ok(if healthy {
        ExitCode::Success
    } else {
        ExitCode::Failure
    })
}

/// The host programs the 0.1/0.2 lines in `scope` run (`flock`, `date`, `tail`; `sleep` for a
/// catch-up line; `curl` and `wc` for a ping), each checked at the path the lines name, which is
/// what cron runs. Runner lines need none of them (the runner does it all in Rust), so a host
/// with runner lines only is not asked for them.
fn legacy_tool_checks(scope: &commands::installed::Scope) -> Vec<Check> {
    let mut named: Vec<(&'static str, String)> = Vec::new();
    for (_, _, entry) in scope.entries().filter(|(_, _, e)| e.is_legacy()) {
        for text in std::iter::once(entry.line.as_str()).chain(entry.catch_up.as_deref()) {
            for found in legacy::host_programs(text) {
                if !named.contains(&found) {
                    named.push(found);
                }
            }
        }
    }
    legacy::HOST_PROGRAMS
        .iter()
        .filter_map(|program| {
            let paths: Vec<&str> = named
                .iter()
                .filter(|(p, _)| p == program)
                .map(|(_, path)| path.as_str())
                .collect();
            let missing: Vec<&str> = paths
                .iter()
                .copied()
                .filter(|p| !runtime::is_executable(Path::new(p)))
                .collect();
            match (paths.is_empty(), missing.is_empty()) {
                (true, _) => None,
                (false, true) => Some(check(program, Verdict::Ok, paths.join(", "), None)),
                (false, false) => Some(check(
                    program,
                    Verdict::Fail,
                    format!(
                        "{} is missing or not executable: the lines of crontainer 0.1/0.2 that \
                         run it fail",
                        missing.join(", ")
                    ),
                    Some(
                        "install it (flock: util-linux; curl: curl; the others: coreutils), or \
                         run `crontainer install` to upgrade the lines to runner lines, which \
                         need none of these"
                            .into(),
                    ),
                )),
            }
        })
        .collect()
}

fn runtime_check(name: &str, path: &Path, env: &runtime::Env) -> Check {
    // The daemon (or podman store) the cron lines reach, not one a login shell points at.
    let cmd = runtime::client(path, env).args(["version", "--format", "{{.Server.Version}}"]);
    match cmd.output() {
        Ok(out) if out.status.success() => check(
            "container runtime",
            Verdict::Ok,
            format!(
                "{} answers (server {})",
                path.display(),
                String::from_utf8_lossy(&out.stdout).trim()
            ),
            None,
        ),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            // Podman has no daemon to start: when it does not answer, its own diagnosis
            // (storage, runtime, rlimits) is in `podman info`.
            let fix = if runtime::is_podman(path) {
                "run `podman info` as this user to see what podman lacks".to_string()
            } else if stderr.contains("permission denied") {
                format!(
                    "add the user to the `docker` group (`sudo usermod -aG docker {}`) and log in again",
                    crate::host::current_user()
                )
            } else if let Some(host) = env.get("DOCKER_HOST").filter(|h| !h.starts_with("unix://"))
            {
                // A remote daemon: nothing to start on this host (issue 25).
                format!(
                    "start the daemon at {host} (`[defaults] runtime_env` DOCKER_HOST), or \
                     correct `runtime_env` in the config; `DOCKER_HOST={host} {} version` shows \
                     the error",
                    path.display()
                )
            } else {
                format!("start the daemon: `systemctl start {name}`")
            };
            check(
                "container runtime",
                Verdict::Fail,
                format!("{} does not answer: {stderr}", path.display()),
                Some(fix),
            )
        }
        Err(e) => check(
            "container runtime",
            Verdict::Fail,
            format!("{e:#}"),
            Some(format!(
                "install {name}, or set `[defaults] runtime` to its absolute path"
            )),
        ),
    }
}

/// The zone cron fires in, which every time crontainer shows follows; a `TZ` in the shell that
/// names another one is worth knowing, not a fault.
fn time_zone_check() -> Check {
    let cron = host::cron_time_zone();
    let detail = format!(
        "cron's is {} (from {}); times shown follow it",
        cron.name, cron.source
    );
    let detail = match commands::now()
        .ok()
        .and_then(|now| commands::time_zone_difference(&now))
    {
        Some(_) => format!(
            "{detail}, not this shell's TZ={}",
            std::env::var("TZ").unwrap_or_default()
        ),
        None => detail,
    };
    check("time zone", Verdict::Ok, detail, None)
}

/// The log's path checked by the rules `install` applies before it creates anything, and the
/// files themselves: a missing log means every run fails to log.
fn log_check(id: &str, log: &Path, run_as: &str) -> Check {
    let name = format!("log of {id}");
    let Some(user) = nix::unistd::User::from_name(run_as).ok().flatten() else {
        return check(
            &name,
            Verdict::Fail,
            format!("user {run_as} does not exist"),
            None,
        );
    };
    let dir = log.parent().unwrap_or(Path::new("/"));
    match commands::trust::files::check_log(id, log, &user) {
        Err(e) => check(&name, Verdict::Fail, format!("{e:#}"), None),
        Ok(_) if !dir.exists() => check(
            &name,
            Verdict::Fail,
            format!("{} is missing: every run fails to log", dir.display()),
            Some("run `crontainer install` again to create it".into()),
        ),
        Ok(_) => check(
            &name,
            Verdict::Ok,
            format!("{} writable by {run_as}", log.display()),
            None,
        ),
    }
}

/// "missed: cron should have started it at ..." when a firing is overdue (as `status` says it).
fn missed(entry: &Entry, with_user: bool, now: &jiff::ZonedDateTime) -> Option<String> {
    if entry.is_paused() {
        return None;
    }
    let rendered = line::parse_line(entry.active_line(), with_user)?.rendered();
    let last = run_log::last_run_of(
        &entry.marker.log,
        &entry.marker.id,
        run_log::lock_run(&entry.marker.lock),
    )
    .ok()?;
    let due = commands::installed::drift::missed_firing(
        rendered.as_ref(),
        entry.marker.installed.as_deref(),
        &last,
        now,
        entry.marker.grace.unwrap_or(crate::config::DEFAULT_GRACE),
    )?;
    Some(commands::installed::drift::missed_words(&due))
}

/// What is installed where doctor looks: how many jobs in which blocks, blocks that cannot be
/// read, the config's jobs in step, blocks the config does not own, the same job or the same
/// log in two blocks, missed firings, logs, and whether the jobs' user reaches the runtime.
fn block_checks(
    checks: &mut Vec<Check>,
    scope: &commands::installed::Scope,
    config: Option<&config::Config>,
) -> Result<()> {
    let blocks = scope.blocks();
    let count = scope.entries().count();
    if count == 0 {
        checks.push(check(
            "installed blocks",
            Verdict::Warn,
            format!("no crontainer jobs in {}", scope.label),
            Some("run `crontainer install`".into()),
        ));
    } else {
        checks.push(check(
            "installed blocks",
            Verdict::Ok,
            format!(
                "{count} job(s) in {} block(s) in {}: {}",
                blocks.len(),
                scope.label,
                blocks
                    .iter()
                    .map(|(i, b)| format!(
                        "`{b}` ({} job(s), {})",
                        i.entries.iter().filter(|(x, _)| x == b).count(),
                        i.target.describe()
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ));
    }
    let now = std::time::SystemTime::now();
    for installed in &scope.installed {
        let problems = metrics_line::problems(installed, now);
        for problem in &problems {
            checks.push(check(
                "metrics line",
                Verdict::Fail,
                problem.clone(),
                Some(
                    "`crontainer install` again from the binary and config to keep; run the \
                     line's command by hand to see its error"
                        .into(),
                ),
            ));
        }
        if problems.is_empty() {
            for (block, line) in &installed.textfiles {
                checks.push(check(
                    "metrics line",
                    Verdict::Ok,
                    format!(
                        "block `{block}`: its binary and config are there, and its file in {} \
                         is fresh",
                        line.dir.display()
                    ),
                    None,
                ));
            }
        }
    }
    for damaged in scope.damaged() {
        checks.push(check(
            "damaged block",
            Verdict::Fail,
            damaged,
            Some("repair the lines the message names, or delete the block and run `crontainer install` again".into()),
        ));
    }
    if let Some(config) = config {
        let owns = |i: &commands::installed::Installed| {
            i.target.kind() == config.target
                && match &i.target {
                    crate::cron_table::Target::CronD(c) => c.name() == config.name,
                    crate::cron_table::Target::Systemd(s) => s.name() == config.name,
                    crate::cron_table::Target::Crontab(_) => true,
                }
        };
        for job in &config.jobs {
            let current = scope
                .entries()
                .find(|(i, b, e)| owns(i) && *b == config.name && e.marker.id == job.id);
            let drift = current.map(|(i, _, c)| {
                commands::installed::drift::drift(
                    &config.runtime,
                    job,
                    c,
                    i.target.with_user_column().then_some(i.run_as.as_str()),
                    i.target.with_user_column(),
                )
            });
            checks.push(match drift {
                None => check(
                    &format!("job {}", job.id),
                    Verdict::Fail,
                    format!("in the config but not installed in block `{}`", config.name),
                    Some("run `crontainer install`".into()),
                ),
                Some(Ok(d)) if d.is_empty() => check(
                    &format!("job {}", job.id),
                    Verdict::Ok,
                    "installed and in step with the config",
                    None,
                ),
                Some(_) => check(
                    &format!("job {}", job.id),
                    Verdict::Fail,
                    "installed, but drifted from the config",
                    Some("run `crontainer install`".into()),
                ),
            });
        }
        for (installed, block) in &blocks {
            if *block == config.name && owns(installed) {
                continue;
            }
            checks.push(check(
                &format!("block {block}"),
                Verdict::Warn,
                format!(
                    "block `{block}` in {} is not the config's (`{}` in {}); another config owns \
                     it, or it was left behind by a rename or a move",
                    installed.target.describe(),
                    config.name,
                    config.path.display()
                ),
                Some(format!(
                    "if it is left over: `crontainer install --replace {block}` with this \
                     config, or `{}`",
                    commands::installed::lookup::uninstall_command(&installed.target, block)
                )),
            ));
        }
    }
    duplicate_checks(checks, scope, config);

    let now = commands::now()?;
    let mut seen: Vec<(crate::cron_table::TargetId, &str)> = Vec::new();
    for (installed, block, entry) in scope.entries() {
        let place = (installed.target.id(), block);
        if !seen.contains(&place) {
            seen.push(place);
            if let Some(problem) = commands::installed::environment_problem(installed, block) {
                checks.push(check(
                    &format!("environment of block {block}"),
                    Verdict::Fail,
                    problem,
                    Some("run `crontainer install`".into()),
                ));
            }
            // 0.1's markers have no install time, and without one `status` cannot tell a
            // firing that never came from a job not yet due: its lines work, its silence not.
            let from_0_1 = scope
                .entries()
                .filter(|(i, b, _)| i.target.same_as(&installed.target) && *b == block)
                .any(|(_, _, e)| e.marker.installed.is_none());
            // 0.2's lines are shell programs: they run as they are, and `install` upgrades
            // them to runner lines.
            let legacy = scope
                .entries()
                .filter(|(i, b, _)| i.target.same_as(&installed.target) && *b == block)
                .any(|(_, _, e)| e.is_legacy());
            if from_0_1 {
                checks.push(check(
                    &format!("upgrade of block {block}"),
                    Verdict::Warn,
                    "installed by crontainer 0.1: its lines run, but a firing that never comes \
                     cannot be called missed until the block is installed again",
                    Some("run `crontainer install` with the config that installed it".into()),
                ));
            } else if legacy {
                checks.push(check(
                    &format!("upgrade of block {block}"),
                    Verdict::Warn,
                    "installed by crontainer 0.2: its lines are shell programs of the older \
                     kind, which run as they are; `crontainer install` upgrades them in place \
                     to runner lines (`crontainer exec ...`), keeping paused jobs paused",
                    Some("run `crontainer install` with the config that installed it".into()),
                ));
            }
        }
        if let Some(problem) =
            commands::installed::drift::runner_problem(entry, installed.target.with_user_column())
        {
            checks.push(check(
                &format!("runner of {}", entry.marker.id),
                Verdict::Fail,
                problem,
                None,
            ));
        }
        if let Some(missed) = missed(entry, installed.target.with_user_column(), &now) {
            checks.push(check(
                &format!("firings of {}", entry.marker.id),
                Verdict::Fail,
                missed,
                Some(
                    "check that the cron daemon reads this crontab (`doctor`'s other \
                     checks, cron's log) and that nothing above the block changes its shell"
                        .into(),
                ),
            ));
        }
    }
    // A Compose service's container is found when the line fires: say which one it finds now,
    // or why it would fail.
    for (installed, _, entry) in scope.entries() {
        if let ContainerRef::Service { .. } = &entry.marker.container {
            let written_by = commands::trust::written_by(&installed.target);
            let (name, state) = match commands::trust::runtime_for(written_by.as_deref(), entry) {
                Ok((runtime, env)) => {
                    runtime::resolve_container(&runtime, &env, &entry.marker.container)
                }
                Err(why) => (
                    entry.marker.container.to_string(),
                    ContainerState::Unknown(why),
                ),
            };
            let label = format!("container of {}", entry.marker.id);
            checks.push(match state {
                ContainerState::Running => check(
                    &label,
                    Verdict::Ok,
                    format!("{} resolves to {name}, running", entry.marker.container),
                    None,
                ),
                state => check(
                    &label,
                    Verdict::Fail,
                    format!("{name} {state}"),
                    Some(
                        "start the service (`docker compose up -d`); if it runs in several \
                         projects, set the job's `project`"
                            .into(),
                    ),
                ),
            });
        }
    }
    for (installed, _, entry) in scope.entries() {
        checks.push(log_check(
            &entry.marker.id,
            &entry.marker.log,
            &installed.run_as,
        ));
    }
    if let Some((installed, _, entry)) = scope.entries().next() {
        let run_as = nix::unistd::User::from_name(&installed.run_as)
            .ok()
            .flatten();
        if let Some(user) = run_as
            && let Some(problem) =
                runtime::access_warning(&entry.marker.runtime, &entry.marker.runtime_env, &user)
        {
            let name = if runtime::is_podman(&entry.marker.runtime) {
                "jobs' user and podman"
            } else {
                "jobs' user and dockerd"
            };
            checks.push(check(name, Verdict::Fail, problem, None));
        }
    }
    Ok(())
}

/// The same job id in two blocks (a copy that goes on firing) and a log or lock two jobs share
/// (one of them skips every run): among the blocks doctor looks at, or, with a config, between
/// the config's block and every block crontainer can read on the host.
fn duplicate_checks(
    checks: &mut Vec<Check>,
    scope: &commands::installed::Scope,
    config: Option<&config::Config>,
) {
    let everywhere;
    let installed: &[commands::installed::Installed] = match config {
        Some(_) => {
            everywhere = commands::installed::everything_readable();
            &everywhere
        }
        None => &scope.installed,
    };
    let all: Vec<(&crate::cron_table::Target, String, &str, &Entry)> = installed
        .iter()
        .flat_map(|i| {
            i.entries
                .iter()
                .map(move |(b, e)| (&i.target, i.target.describe(), b.as_str(), e))
        })
        .collect();
    // With a config, only what touches its block; the rest is other configs' business.
    let mine = |b: &str| config.is_none_or(|c| c.name == b);
    let place =
        |(_, w, b, _): &(&crate::cron_table::Target, String, &str, &Entry)| format!("`{b}` ({w})");
    let mut reported: Vec<String> = Vec::new();
    for (n, a) in all.iter().enumerate() {
        if !mine(a.2) {
            continue;
        }
        // Without a config every block where doctor looks counts; with one, the copies of its
        // block, wherever they are (another config elsewhere may use the same id).
        let same_id: Vec<String> = all
            .iter()
            .enumerate()
            .filter(|(m, b)| {
                *m != n
                    && b.3.marker.id == a.3.marker.id
                    && (config.is_none()
                        || commands::installed::lookup::is_copy((a.0, a.2, a.3), (b.0, b.2, b.3)))
            })
            .map(|(_, b)| place(b))
            .collect();
        let key = format!("id {}", a.3.marker.id);
        if !same_id.is_empty() && !reported.contains(&key) {
            reported.push(key);
            checks.push(check(
                &format!("duplicate job {}", a.3.marker.id),
                Verdict::Fail,
                format!(
                    "job {:?} is installed {} times: in block {} and {}; each copy fires",
                    a.3.marker.id,
                    same_id.len() + 1,
                    place(a),
                    same_id.join(", ")
                ),
                Some(
                    "remove the copies no config owns (`crontainer uninstall --name BLOCK`)".into(),
                ),
            ));
        }
        let shared: Vec<(String, std::path::PathBuf)> = all
            .iter()
            .enumerate()
            .filter(|(m, _)| *m != n)
            .filter_map(|(_, b)| {
                commands::installed::lookup::shared_file(a.3, b.3).map(|f| (place(b), f))
            })
            .collect();
        if let Some((_, file)) = shared.first() {
            let key = format!("file {}", file.display());
            if !reported.contains(&key) {
                reported.push(key);
                checks.push(check(
                    &format!("shared log {}", file.display()),
                    Verdict::Fail,
                    format!(
                        "{} is used by {} jobs: {:?} in block {} and {}; they share one lock, so \
                         one of them skips every run",
                        file.display(),
                        shared.len() + 1,
                        a.3.marker.id,
                        place(a),
                        shared
                            .iter()
                            .map(|(p, _)| p.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some("give each job its own `log`, or remove the copy no config owns".into()),
                ));
            }
        }
    }
}

/// `doctor --json`.
#[derive(serde::Serialize)]
struct DoctorDocument<'a> {
    /// No check failed.
    healthy: bool,
    checks: &'a [Check],
}

/// The checks of what fires the jobs of `holding` (the targets that hold blocks): the cron
/// daemon for crontabs and cron.d files, systemd and each block's units for units, both when
/// both hold blocks (`--all-users`). With no block installed, what the config or flags target.
fn scheduler_checks(
    holding: &[crate::cron_table::Target],
    kind: config::TargetKind,
    user: Option<&config::UserName>,
    config: Option<&config::Config>,
) -> Vec<Check> {
    use crate::cron_table::{Finding, Resolved, SchedulerKind, Target};
    let mut units: Vec<crate::cron_table::Systemd> = holding
        .iter()
        .filter_map(|t| match t {
            Target::Systemd(u) => Some(u.clone()),
            _ => None,
        })
        .collect();
    let kinds = match (holding.is_empty(), kind) {
        (true, config::TargetKind::Systemd) => vec![SchedulerKind::Systemd],
        (true, _) => vec![SchedulerKind::Cron],
        (false, _) => crate::cron_table::scheduler_kinds(holding),
    };
    let mut checks = Vec::new();
    if kinds.contains(&SchedulerKind::Cron) {
        checks.push(cron_daemon_check());
    }
    if holding.is_empty() && kind == config::TargetKind::Systemd {
        let name = config.map_or("crontainer", |c| c.name.as_str());
        match Target::resolve(kind, user, name) {
            Ok(Resolved {
                target: Target::Systemd(u),
                ..
            }) => units.push(u),
            Ok(_) => {}
            Err(e) => checks.push(check("systemd", Verdict::Fail, format!("{e:#}"), None)),
        }
    }
    checks.extend(
        crate::cron_table::systemd_doctor(&units).into_iter().map(
            |(what, finding)| match finding {
                Finding::Ok(d) => check(&what, Verdict::Ok, d, None),
                Finding::Warn(d, fix) => check(&what, Verdict::Warn, d, Some(fix)),
                Finding::Fail(d, fix) => check(&what, Verdict::Fail, d, Some(fix)),
            },
        ),
    );
    checks
}

/// The cron daemon fires every target but systemd's.
fn cron_daemon_check() -> Check {
    match host::cron_daemon() {
        Some(daemon) => check("cron daemon", Verdict::Ok, format!("running: {daemon}"), None),
        None => check(
            "cron daemon",
            Verdict::Fail,
            "no cron daemon is running: nothing will fire",
            Some("start it: `systemctl enable --now cron` (Debian), `systemctl enable --now crond` (cronie), or run `cron`".into()),
        ),
    }
}
