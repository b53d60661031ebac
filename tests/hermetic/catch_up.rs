//! `catch_up = true` and `[monitoring] textfile_dir`: the catch-up (`@reboot`) line run by
//! `/bin/sh` as cron would, against the fake docker and a `date` whose clock the test sets,
//! finds the very slot `plan` says cron fires last, in zones a whole, half and three quarters of
//! an hour off UTC; and the block's extra lines survive install, pause, resume and uninstall.

use std::path::Path;
use std::process::Command;

use crate::common::{Env, stderr_of, stdout_of};

/// `date` with its clock at `$FAKE_NOW` (unix seconds), but for `-r FILE`, which reads a file's
/// time; everything else (`TZ`, formats) is the real one's.
const FAKE_DATE: &str = r#"#!/bin/sh
case " $* " in *" -r "*) exec /usr/bin/date "$@" ;; esac
exec /usr/bin/date -d "@$FAKE_NOW" "$@"
"#;

fn seconds(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{time}: {e}"))
        .as_second()
}

/// Writes the lock file as the line leaves it when a run starts: the run's id, `PID-EPOCH`.
fn set_last_start(lock: &Path, at: i64) {
    std::fs::write(lock, format!("4242-{at}\n")).unwrap();
}

/// The command of an installed `@reboot` line as cron hands it to `/bin/sh` (`\%` back to `%`;
/// a crontab line, so no user column).
fn reboot_command(line: &str) -> String {
    line.strip_prefix("@reboot ")
        .unwrap_or_else(|| panic!("not an @reboot line: {line}"))
        .replace("\\%", "%")
}

/// Runs `command` with `/bin/sh -c` in cron's environment, the clock at `now`, in `zone`.
fn run_as_cron(env: &Env, command: &str, zone: &str, now: i64) -> std::process::Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("SHELL", "/bin/sh")
        .env("TZ", zone)
        .env("FAKE_NOW", now.to_string())
        .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
        .current_dir(env.dir.path())
        .output()
        .unwrap()
}

#[test]
fn the_catch_up_line_finds_the_slot_cron_fired_last_in_every_zone() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("clock")).unwrap();
    env.write_exe("clock/date", FAKE_DATE);
    let log = env.path("logs/j.log");
    let lock = env.path("logs/j.log.lock");
    let mut failures = Vec::new();
    let mut cases = 0;
    for every in [
        "1m", "7m", "15m", "45m", "90m", "2h", "5h", "1d", "2d", "1h1m",
    ] {
        let config = env.config(&format!(
            "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\n\
             every = \"{every}\"\ncatch_up = true\nlog = \"{{dir}}/logs/j.log\"\n"
        ));
        let minutes = i64::try_from(
            crontainer::schedule::Interval::parse(every)
                .unwrap()
                .minutes(),
        )
        .unwrap();
        for zone in [
            "UTC",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "America/St_Johns",
            "America/New_York",
        ] {
            for now in ["2026-07-15T13:37:23Z", "2026-01-20T02:11:09Z"] {
                cases += 1;
                let now = seconds(now);
                // The firings `plan` computes (as cron's main loop fires them) in a window
                // that ends after `now`: the last one up to `now` is the slot to catch up.
                let window_start = now - 2 * minutes * 60 - 3600;
                // `plan` computes in cron's time zone: the fake daemon's `TZ`.
                std::fs::write(env.path("proc/2/environ"), format!("TZ={zone}\0")).unwrap();
                let plan = env
                    .cmd(["plan", "--json", "--next", "400", "-c"])
                    .arg(&config)
                    .env(
                        "PATH",
                        format!(
                            "{}:{}:/usr/bin:/bin",
                            env.path("clock").display(),
                            env.path("bin").display()
                        ),
                    )
                    .env("TZ", zone)
                    .env(
                        "CRONTAINER_NOW",
                        jiff::Timestamp::from_second(window_start)
                            .unwrap()
                            .to_string(),
                    )
                    .output()
                    .unwrap();
                assert!(plan.status.success(), "{}", stderr_of(&plan));
                let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
                let job = &plan["jobs"][0];
                let slot = job["next_runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| seconds(t.as_str().unwrap()))
                    .filter(|t| *t <= now)
                    .max()
                    .unwrap_or_else(|| panic!("{every} {zone}: no firing before now: {job}"));
                let command = reboot_command(job["catch_up_line"].as_str().unwrap());
                assert!(
                    command.contains(&env.path("clock/date").display().to_string()),
                    "the line runs the fake clock: {command}"
                );
                // Last started one second before the slot: missed, so it runs, once.
                for (last_start, runs) in [(slot - 1, true), (slot, false)] {
                    let _ = std::fs::remove_file(&log);
                    set_last_start(&lock, last_start);
                    let out = run_as_cron(&env, &command, zone, now);
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    let started = text.matches(" j start pid=").count();
                    let ran = out.status.success()
                        && started == usize::from(runs)
                        && text.contains(" j end exit=0 ") == runs
                        && text.contains(&format!(
                            " j skip reason=no-missed-slot run=4242-{last_start} by=catch-up"
                        )) != runs
                        && (!runs || text.contains(" by=catch-up\n"))
                        // The run's start names no run: the previous one's id is not its own.
                        && !text
                            .lines()
                            .any(|l| l.contains(" j start ") && l.contains(" run="));
                    if !ran {
                        failures.push(format!(
                            "every {every} in {zone} at {now}, last start {last_start} (slot \
                             {slot}): wanted {}, exit {:?}, log:\n{text}{}",
                            if runs { "one run" } else { "no run" },
                            out.status.code(),
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A config with two jobs (one catching up) and the metrics line, into `prom`.
fn two_jobs(env: &Env) -> std::path::PathBuf {
    std::fs::create_dir_all(env.path("prom")).unwrap();
    env.config(
        "[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\n\
         [[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\n\
         catch_up = true\nlog = \"{dir}/logs/a.log\"\n\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"y\"]\nevery = \"1h\"\n\
         log = \"{dir}/logs/b.log\"\n",
    )
}

#[test]
fn install_writes_the_catch_up_and_metrics_lines_and_pause_resume_uninstall_keep_them_right() {
    let env = Env::new();
    let config = two_jobs(&env);
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The test binary lives in cargo's target/ directory: a line that runs it is fragile.
    assert!(
        stderr_of(&out).contains("which looks temporary"),
        "{}",
        stderr_of(&out)
    );
    let installed = env.crontab().unwrap();
    let lines: Vec<&str> = installed.lines().collect();
    let exe = assert_cmd::cargo::cargo_bin("crontainer");
    let prom = env.path("prom");
    let metrics_line = format!(
        "* * * * * {} metrics -q -c {} --target crontab --user {} --textfile {}",
        exe.display(),
        config.display(),
        Env::user(),
        prom.display()
    );
    assert_eq!(
        lines[lines.len() - 3..],
        [
            format!("# crontainer:metrics textfile={}", prom.display()).as_str(),
            metrics_line.as_str(),
            "# END crontainer:crontainer"
        ],
        "{installed}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("@reboot ")).count(),
        1
    );
    let marker_a = lines.iter().position(|l| l.contains("job id=a ")).unwrap();
    assert!(lines[marker_a].contains(" catch_up=true"), "{installed}");
    assert!(lines[marker_a + 2].starts_with("@reboot CRONTAINER_BY=catch-up;"));
    // Idempotent, like every line crontainer writes.
    let again = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert!(
        stdout_of(&again).contains("is up to date"),
        "{}",
        stdout_of(&again)
    );
    let status = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert!(
        !stdout_of(&status).contains("drifted"),
        "{}",
        stdout_of(&status)
    );

    // Pause comments out both of a's lines, and nothing else; resume gives the bytes back.
    let paused = env.cmd(["pause", "a", "-c"]).arg(&config).output().unwrap();
    assert!(paused.status.success(), "{}", stderr_of(&paused));
    let text = env.crontab().unwrap();
    assert!(
        text.contains("\n#paused# @reboot CRONTAINER_BY=catch-up;"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("#paused# ")).count(),
        2
    );
    assert!(text.contains(&format!("\n{metrics_line}\n")), "{text}");
    let resumed = env
        .cmd(["resume", "a", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", stderr_of(&resumed));
    assert_eq!(env.crontab().unwrap(), installed);

    // Removing a job keeps the metrics line; removing the block removes it.
    let out = env
        .cmd(["uninstall", "a", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = env.crontab().unwrap();
    assert!(
        !text.contains("@reboot") && !text.contains("job id=a "),
        "{text}"
    );
    assert!(text.contains(&format!("\n{metrics_line}\n")), "{text}");
    let out = env.cmd(["uninstall", "-c"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!env.crontab().unwrap_or_default().contains("crontainer"));
}

#[test]
fn plan_shows_both_lines_and_install_refuses_a_missing_textfile_dir() {
    let env = Env::new();
    let config = two_jobs(&env);
    let plan = env.cmd(["plan", "-c"]).arg(&config).output().unwrap();
    assert!(plan.status.success(), "{}", stderr_of(&plan));
    let text = stdout_of(&plan);
    assert!(text.contains("\n@reboot CRONTAINER_BY=catch-up;"), "{text}");
    assert!(text.contains(" metrics -q -c "), "{text}");
    assert!(text.contains("#   catch-up:  after a boot"), "{text}");

    std::fs::remove_dir(env.path("prom")).unwrap();
    env.set_crontab("# mine\n");
    let before = env.snapshot();
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("`monitoring.textfile_dir`")
            && stderr_of(&out).contains("is not a directory"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn status_reads_a_run_of_the_installed_catch_up_line() {
    let env = Env::new();
    // The seed job's command and interval; a short log path, as the temp dir's is long.
    let config = env.config(
        "[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"ai-video-backend\"\n\
         command = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\ncatch_up = true\n\
         log = \"{dir}/m.log\"\n",
    );
    env.install(&config);
    let line = env
        .crontab()
        .unwrap()
        .lines()
        .find(|l| l.starts_with("@reboot "))
        .map(reboot_command)
        .unwrap();
    // Installed and never started: the slots before were missed.
    assert_eq!(env.read("m.log.lock"), "");
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.docker_calls().len(), 1, "one run");
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let last = &json["jobs"][0]["last_run"];
    assert_eq!(last["started"]["by"], "catch-up", "{json:#}");
    assert_eq!(last["ended"]["by"], "catch-up", "{json:#}");
    assert!(
        last["summary"]
            .as_str()
            .unwrap()
            .contains("by the catch-up after a boot"),
        "{last:#}"
    );

    // Run again: the run just now is the last start, so there is nothing to catch up.
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(env.docker_calls().len(), 1, "still one run");
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let summary = json["jobs"][0]["last_run"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("after a boot found no missed firing"),
        "{summary}\n{}",
        env.read("m.log")
    );
}
