//! Hermetic CLI tests: crontainer sees what cron does, not what the shell running it says. The
//! time zone is cron's, the end line starts a line of its own, the lock does not move under a
//! running job, the runtime's environment reaches every call, and `plan` checks what `install`
//! checks.

use crate::common::{Env, fails, fails_with, ok, stderr_of, stdout_of};

/// A config with one job that fires at midnight.
fn midnight_config(env: &Env) -> std::path::PathBuf {
    env.config(
        "[[job]]\nid = \"daily\"\ncontainer = \"c1\"\ncommand = [\"true\"]\n\
         schedule = \"0 0 * * *\"\nlog = \"{dir}/logs/daily.log\"\n",
    )
}

fn plan_next_run(env: &Env, config: &std::path::Path, shell_tz: &str) -> (String, String) {
    let output = env
        .cmd(["plan", "--json", "-c"])
        .arg(config)
        .env("TZ", shell_tz)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let next = doc["jobs"][0]["next_runs"][0].as_str().unwrap().to_string();
    (next, stderr_of(&output))
}

#[test]
fn plan_follows_the_cron_daemons_time_zone_not_the_shells() {
    let env = Env::new();
    // The fake cron daemon (pid 2) runs with TZ=Asia/Tokyo: midnight there is 15:00 UTC.
    std::fs::write(
        env.path("proc/2/environ"),
        "PATH=/usr/bin:/bin\0TZ=Asia/Tokyo\0",
    )
    .unwrap();
    let config = midnight_config(&env);
    let (next, stderr) = plan_next_run(&env, &config, "America/New_York");
    assert_eq!(next, "2026-11-29T15:00:00Z", "{stderr}");
    // The shell's zone differs from cron's: said once, on stderr.
    assert!(stderr.contains("Asia/Tokyo"), "{stderr}");
    // With the shell in cron's zone, nothing to say and the same instant.
    let (same, quiet) = plan_next_run(&env, &config, "Asia/Tokyo");
    assert_eq!(same, next);
    assert!(!quiet.contains("time zone"), "{quiet}");
}

#[test]
fn status_shows_next_runs_in_crons_time_zone() {
    let env = Env::new();
    std::fs::write(env.path("proc/2/environ"), "TZ=Asia/Tokyo\0").unwrap();
    let config = midnight_config(&env);
    env.install(&config);
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .env("TZ", "America/New_York")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let next = doc["jobs"][0]["next_run"].as_str().unwrap_or_default();
    assert!(next.starts_with("2026-11-29T15:00:00"), "{doc:#}");
}

#[test]
fn the_end_line_starts_its_own_line_after_output_without_a_newline() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_PARTIAL", "progress 100%")
        .env("FAKE_EXIT", "4")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr_of(&output));
    let log = env.read("logs/main.log");
    assert!(log.contains("\nprogress 100%\n[crontainer] "), "{log}");
    for line in log.lines().filter(|l| l.contains("[crontainer]")) {
        assert!(line.starts_with("[crontainer] "), "{log}");
    }
    // And the run reads back as the failure it was.
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&status)).unwrap();
    let last = &doc["jobs"][0]["last_run"];
    assert_eq!(last["succeeded"], false, "{doc:#}");
    assert!(last["summary"].as_str().unwrap().contains('4'), "{doc:#}");
}

#[test]
fn install_refuses_to_move_the_lock_of_a_running_job() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let before = env.crontab().unwrap();
    // A run holds the job's lock, as the line's `flock -n 9` does while the job runs.
    let lock = env.path("logs/main.log.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&lock)
        .unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("logs/main.log", "logs/moved.log");
    std::fs::write(&config, text).unwrap();
    let err = fails(env.cmd(["install", "-c"]).arg(&config), 2);
    assert!(err.contains("main_pipeline_v2"), "{err}");
    assert!(err.contains("running"), "{err}");
    assert!(err.contains("main.log.lock"), "{err}");
    assert_eq!(env.crontab().unwrap(), before, "nothing changed");
    // Once the run is over, the same install goes through.
    drop(held);
    ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(env.crontab().unwrap().contains("moved.log.lock"));
}

#[test]
fn runtime_env_reaches_the_line_run_now_and_status() {
    let env = Env::new();
    let config = env.config(
        "[defaults]\nruntime_env = { DOCKER_HOST = \"unix:///run/user/1000/docker.sock\" }\n\
         [[job]]\nid = \"daily\"\ncontainer = \"c1\"\ncommand = [\"true\"]\n\
         schedule = \"0 0 * * *\"\nlog = \"{dir}/logs/daily.log\"\n",
    );
    env.install(&config);
    let crontab = env.crontab().unwrap();
    assert!(
        crontab
            .contains(" --runtime-env DOCKER_HOST=unix:///run/user/1000/docker.sock -- c1 true\n"),
        "{crontab}"
    );
    ok(env.cmd(["run-now", "daily", "-c"]).arg(&config));
    ok(env.cmd(["status", "-c"]).arg(&config));
    // Without the config, from what is installed alone.
    ok(&mut env.cmd(["status"]));
    let seen = env.read("docker-env");
    for call in ["exec", "inspect"] {
        assert!(
            seen.lines()
                .any(|l| l == format!("{call} unix:///run/user/1000/docker.sock")),
            "{call}: {seen}"
        );
    }
    assert!(
        !seen.lines().any(|l| l.ends_with(' ')),
        "a call without DOCKER_HOST: {seen}"
    );
}

#[test]
fn runtime_env_is_validated() {
    let env = Env::new();
    for (value, expected) in [
        ("{ \"1X\" = \"a\" }", "runtime_env"),
        ("{ DOCKER_HOST = \"a b\" }", "runtime_env.DOCKER_HOST"),
        ("{ DOCKER_HOST = \"it's\" }", "runtime_env.DOCKER_HOST"),
    ] {
        let config = env.config(&format!(
            "[defaults]\nruntime_env = {value}\n[[job]]\nid = \"daily\"\ncontainer = \"c1\"\n\
             command = [\"true\"]\nschedule = \"0 0 * * *\"\nlog = \"{{dir}}/logs/daily.log\"\n"
        ));
        fails_with(env.cmd(["plan", "-c"]).arg(&config), 2, expected);
    }
}

#[test]
fn plan_refuses_the_user_install_refuses() {
    let env = Env::new();
    let config = env.simple_config("");
    let err = fails(env.cmd(["plan", "--user", "a b", "-c"]).arg(&config), 2);
    assert!(err.contains("a b"), "{err}");
    let err = fails(env.cmd(["install", "--user", "a b", "-c"]).arg(&config), 2);
    assert!(err.contains("a b"), "{err}");
}

#[test]
fn a_line_too_long_names_the_jobs_config_line() {
    let env = Env::new();
    let long = "x".repeat(900);
    let config = env.config(&format!(
        "[cron]\nname = \"long\"\n\n[[job]]\nid = \"long_one\"\ncontainer = \"c1\"\n\
         command = [\"echo\", \"{long}\"]\nschedule = \"0 0 * * *\"\nlog = \"{{dir}}/logs/l.log\"\n"
    ));
    let err = fails(env.cmd(["plan", "-c"]).arg(&config), 2);
    assert!(err.contains("config.toml:5:"), "{err}");
    assert!(err.contains("998"), "{err}");
}
