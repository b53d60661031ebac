//! `crontainer doctor`: checks the host for everything the installed lines need when they fire,
//! and says what to fix. Exit 0 only when nothing failed.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::cli::DoctorArgs;
use crate::commands;
use crate::config::{self, ContainerRef};
use crate::cron_line::{self, Entry};
use crate::error::ExitCode;
use crate::host;
use crate::run_log;
use crate::runtime::{self, ContainerState};
use crate::ui::{self, JSON_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

struct Check {
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

pub fn run(args: &DoctorArgs) -> Result<ExitCode> {
    let mut checks = Vec::new();
    let config = match config::load_optional(args.config.config.as_deref()) {
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

    checks.push(match host::cron_daemon() {
        Some(daemon) => check("cron daemon", Verdict::Ok, format!("running: {daemon}"), None),
        None => check(
            "cron daemon",
            Verdict::Fail,
            "no cron daemon is running: nothing will fire",
            Some("start it: `systemctl enable --now cron` (Debian), `systemctl enable --now crond` (cronie), or run `cron`".into()),
        ),
    });

    let runtime_name = config.as_ref().map_or("docker", |c| c.runtime.as_str());
    let pings = config.as_ref().is_some_and(|c| c.pings());
    let (tools, missing) = runtime::resolve_tools(runtime_name, pings);
    let ping_tools = [
        (runtime::Tool::Curl, "curl", &tools.curl),
        (runtime::Tool::Wc, "wc", &tools.wc),
    ];
    for (tool, name, path) in [
        (runtime::Tool::Flock, "flock", &tools.flock),
        (runtime::Tool::Date, "date", &tools.date),
        (runtime::Tool::Tail, "tail", &tools.tail),
    ]
    .into_iter()
    .chain(ping_tools.into_iter().filter(|_| pings))
    {
        checks.push(if missing.iter().any(|m| m.tool == tool) {
            check(
                name,
                Verdict::Fail,
                format!("`{name}` was not found on PATH"),
                Some("install util-linux and coreutils (and curl for `healthcheck`)".into()),
            )
        } else {
            check(name, Verdict::Ok, path.display().to_string(), None)
        });
    }
    let no_env = runtime::Env::new();
    let runtime_env = config.as_ref().map_or(&no_env, |c| &c.runtime_env);
    checks.push(runtime_check(runtime_name, &tools.runtime, runtime_env));
    if let Some(config) = &config
        && host::is_root()
    {
        checks.push(match commands::require_root_controlled(config, &tools) {
            Ok(()) => check(
                "root's inputs",
                Verdict::Ok,
                "the config and the programs the line runs are root's alone",
                None,
            ),
            Err(e) => check("root's inputs", Verdict::Fail, format!("{e:#}"), None),
        });
    }
    checks.push(time_zone_check());

    let (kind, user) = commands::target_settings(config.as_ref(), &args.target);
    let name = config.as_ref().map(|c| c.name.clone());
    match commands::read_installed(kind, user.as_deref(), name.as_deref()) {
        Err(e) => checks.push(check(
            "installed block",
            Verdict::Fail,
            format!("{e:#}"),
            None,
        )),
        Ok(installed) => {
            let label = installed.target.describe();
            if installed.entries.is_empty() {
                checks.push(check(
                    "installed block",
                    Verdict::Warn,
                    format!("no crontainer jobs in {label}"),
                    Some("run `crontainer install`".into()),
                ));
            } else {
                checks.push(check(
                    "installed block",
                    Verdict::Ok,
                    format!("{} job(s) in {label}, intact", installed.entries.len()),
                    None,
                ));
            }
            if let Some(config) = &config {
                let user_column = installed
                    .target
                    .with_user_column()
                    .then_some(installed.run_as.as_str());
                for job in &config.jobs {
                    let current = installed
                        .entries
                        .iter()
                        .find(|(_, e)| e.marker.id == job.id)
                        .map(|(_, e)| e);
                    let drift = current.map(|c| {
                        commands::drift(
                            &config.runtime,
                            job,
                            c,
                            user_column,
                            installed.target.with_user_column(),
                        )
                    });
                    checks.push(match drift {
                        None => check(
                            &format!("job {}", job.id),
                            Verdict::Fail,
                            format!("in the config but not installed in {label}"),
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
            }
            let now = commands::now()?;
            let mut blocks: Vec<&str> = Vec::new();
            for (block, entry) in &installed.entries {
                if !blocks.contains(&block.as_str()) {
                    blocks.push(block);
                    if let Some(problem) = commands::environment_problem(&installed, block) {
                        checks.push(check(
                            &format!("environment of block {block}"),
                            Verdict::Fail,
                            problem,
                            Some("run `crontainer install`".into()),
                        ));
                    }
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
            // A Compose service's container is found when the line fires: say which one it
            // finds now, or why it would fail.
            for (_, entry) in &installed.entries {
                if let ContainerRef::Service { .. } = &entry.marker.container {
                    let (name, state) = runtime::resolve_container(
                        &entry.marker.runtime,
                        &entry.marker.runtime_env,
                        &entry.marker.container,
                    );
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
                                "start the service (`docker compose up -d`); if it runs in several projects, set the job's `project`"
                                    .into(),
                            ),
                        ),
                    });
                }
            }
            for (_, entry) in &installed.entries {
                checks.push(log_check(
                    &entry.marker.id,
                    &entry.marker.log,
                    &installed.run_as,
                ));
            }
            let run_as = nix::unistd::User::from_name(&installed.run_as)
                .ok()
                .flatten();
            if let (Some(user), Some((_, entry))) = (run_as, installed.entries.first()) {
                let problem = runtime::access_warning(
                    &entry.marker.runtime,
                    &entry.marker.runtime_env,
                    &user,
                );
                if let Some(problem) = problem {
                    let name = if runtime::is_podman(&entry.marker.runtime) {
                        "jobs' user and podman"
                    } else {
                        "jobs' user and dockerd"
                    };
                    checks.push(check(name, Verdict::Fail, problem, None));
                }
            }
        }
    }

    let healthy = checks.iter().all(|c| c.verdict != Verdict::Fail);
    if args.json {
        ui::print_json(&json!({
            "version": JSON_VERSION,
            "healthy": healthy,
            "checks": checks.iter().map(|c| json!({"check": c.name, "verdict": c.verdict, "detail": c.detail, "fix": c.fix})).collect::<Vec<_>>(),
        }));
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
    match commands::check_log(id, log, &user) {
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
fn missed(entry: &Entry, with_user: bool, now: &jiff::Zoned) -> Option<String> {
    if entry.is_paused() {
        return None;
    }
    let rendered = cron_line::parse_line(entry.active_line(), with_user)?.rendered();
    let last = run_log::last_run_of(
        &entry.marker.log,
        &entry.marker.id,
        run_log::lock_run(&entry.marker.lock),
    )
    .ok()?;
    let due = commands::missed_firing(
        rendered.as_ref(),
        entry.marker.installed.as_deref(),
        &last,
        now,
        entry.marker.grace.unwrap_or(crate::config::DEFAULT_GRACE),
    )?;
    Some(commands::missed_words(&due))
}
