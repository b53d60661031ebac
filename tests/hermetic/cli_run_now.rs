//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `run-now`, which runs the installed line's own command as cron would: exit codes, the lock,
//! hostile values. How a timeout stops the job inside the container is the runner's
//! (`tests/hermetic/runner.rs`).

use crate::common::{Env, fails, ok, stderr_of, stdout_of};

#[test]
fn run_now_runs_the_installed_line_and_passes_on_its_exit_code() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    let out = stdout_of(&output);
    assert!(out.contains("stdout: hello from the container"), "{out}");
    assert!(out.contains("stderr: warning from the container"), "{out}");
    let log = env.read("logs/main.log");
    let user = Env::user();
    assert!(log.contains("main_pipeline_v2 start pid="), "{log}");
    // The end line names its run: the start's pid and second.
    let pid = log
        .split("main_pipeline_v2 start pid=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no start pid in {log}"));
    assert!(
        crate::common::any_seconds(&log)
            .contains(&format!("main_pipeline_v2 end exit=3 seconds=N run={pid}-")),
        "{log}"
    );
    assert!(log.contains(" seconds="), "{log}");
    assert!(log.contains(&format!("by=run-now:{user}")), "{log}");
    assert_eq!(
        env.docker_calls(),
        vec![vec!["ai-video-backend", "python", "main_v2.py"]]
    );
}

#[test]
fn run_now_of_a_running_job_exits_75_and_starts_nothing() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let lock = env.path("logs/main.log.lock");
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&lock)
        .unwrap();
    let _held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    // `concurrency = "forbid"` (the default): the runner would skip; run-now says so first.
    let err = fails(
        env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config),
        75,
    );
    assert_eq!(
        err,
        format!(
            "crontainer: job \"main_pipeline_v2\" is already running, pid {}; nothing was \
             started\n",
            std::process::id()
        )
    );
    assert!(env.docker_calls().is_empty());
    assert_eq!(env.read("logs/main.log"), "", "nothing was logged");
}

#[test]
fn run_now_of_an_unknown_job_is_a_usage_error() {
    let env = Env::new();
    let config = env.simple_config("");
    let err = fails(env.cmd(["run-now", "nope", "-c"]).arg(&config), 2);
    assert!(err.contains("job \"nope\" is not installed"), "{err}");
}

/// Hostile values in every field that reaches the line arrive in the container byte for byte,
/// and nothing runs on the host. Run through `run-now`, which runs the installed line's own
/// command with /bin/sh as cron does (the e2e tests fire the same through the real cron).
#[test]
fn hostile_values_reach_the_container_literally() {
    let env = Env::new();
    // Relative, so short enough for 998 bytes: run-now starts the shell in the user's home as
    // cron does, so that is where a `touch pwned` that got through would land.
    let home = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .dir;
    let canary = home.join("pwned");
    assert!(
        !canary.exists(),
        "remove the stale {} first",
        canary.display()
    );
    let hostile = [
        "$(touch pwned)".to_string(),
        "`touch pwned`".to_string(),
        "; touch pwned".to_string(),
        "| touch pwned".to_string(),
        "& touch pwned &".to_string(),
        "> pwned".to_string(),
        "<>".to_string(),
        "'single'".to_string(),
        "\"double\"".to_string(),
        "it's \"quoted\"".to_string(),
        "100%".to_string(),
        "%%d %s".to_string(),
        "*".to_string(),
        "$HOME".to_string(),
        "${PATH}".to_string(),
        "two  spaces".to_string(),
        " leading and trailing ".to_string(),
        "non-ascii: été ✓ 日本".to_string(),
        "-e X".to_string(),
        "--privileged".to_string(),
        "#not a comment".to_string(),
        "~".to_string(),
        "!!".to_string(),
        "".to_string(),
    ];
    let toml_str = |s: &str| toml::Value::String(s.to_string()).to_string();
    let command: Vec<String> = std::iter::once("python".to_string())
        .chain(hostile.iter().cloned())
        .collect();
    // The env carries one of them (all of them twice would not fit in cron's 998 bytes, with
    // the watcher and the newline check every line carries); the argv carries them all.
    let env_values = &hostile[..1];
    let env_table: Vec<String> = env_values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{i} = {}", toml_str(v)))
        .collect();
    let config = env.config(&format!(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n\
         command = [{}]\nworkdir = {}\nenv = {{ {} }}\n",
        command
            .iter()
            .map(|c| toml_str(c))
            .collect::<Vec<_>>()
            .join(", "),
        toml_str("/srv/$(touch pwned)/%/'q'"),
        env_table.join(", "),
    ));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "j", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let calls = env.docker_calls();
    assert_eq!(calls.len(), 1);
    let mut expected = vec!["-w".to_string(), "/srv/$(touch pwned)/%/'q'".to_string()];
    let mut envs: Vec<(String, String)> = env_values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}"), v.clone()))
        .collect();
    envs.sort();
    for (k, v) in envs {
        expected.push("-e".to_string());
        expected.push(format!("{k}={v}"));
    }
    expected.push("c".to_string());
    expected.extend(command);
    assert_eq!(calls[0], expected);
    assert!(!canary.exists(), "a hostile value ran on the host");
}
