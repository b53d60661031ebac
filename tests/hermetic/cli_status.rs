//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! what the CLI reports about installed jobs: `status`, `doctor` and `logs`.

use crate::common::{Env, ok, stderr_of, stdout_of};

#[test]
fn status_reports_installed_jobs_their_last_run_and_the_container() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));

    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed last run is unhealthy: {}",
        stderr_of(&output)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let job = &doc["jobs"][0];
    assert_eq!(job["id"], "main_pipeline_v2");
    assert_eq!(job["installed"], true);
    assert_eq!(job["in_step"], true);
    assert_eq!(job["container_state"], "running");
    assert_eq!(job["running"], false);
    assert_eq!(job["last_run"]["succeeded"], false);
    assert!(
        job["problems"].to_string().contains("exit 3"),
        "{}",
        job["problems"]
    );

    // Drift: change the command in the config.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("main_v2.py", "main_v3.py");
    std::fs::write(&config, text).unwrap();
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(doc["jobs"][0]["in_step"], false);
    assert!(
        doc["jobs"][0]["problems"]
            .to_string()
            .contains("command differs"),
        "{}",
        doc["jobs"][0]["problems"]
    );
}

#[test]
fn status_says_when_the_container_is_missing_or_the_daemon_is_down() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    for (state, expected) in [
        ("missing", "missing"),
        ("exited", "not running (exited)"),
        ("down", "unknown"),
    ] {
        let output = env
            .cmd(["status", "--json", "-c"])
            .arg(&config)
            .env("FAKE_DOCKER_STATE", state)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{state}");
        let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
        let got = doc["jobs"][0]["container_state"].as_str().unwrap();
        assert!(got.starts_with(expected), "{state}: {got}");
    }
}

#[test]
fn status_plain_output_when_piped() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    let out = stdout_of(&output);
    assert!(
        out.starts_with("main_pipeline_v2: Main Video Pipeline (main_v2.py)\n"),
        "{out}"
    );
    assert!(out.contains("  last run:  never ran"), "{out}");
    assert!(
        out.contains("  container: ai-video-backend running"),
        "{out}"
    );
    assert!(out.contains("host: cron daemon "), "{out}");
}

#[test]
fn doctor_checks_the_host_and_the_installed_jobs() {
    let env = Env::new();
    let config = env.simple_config("");
    let output = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "not installed yet");
    assert!(
        stdout_of(&output).contains("FAIL  job main_pipeline_v2: in the config but not installed"),
        "{}",
        stdout_of(&output)
    );

    ok(env.cmd(["install", "-c"]).arg(&config));
    let out = ok(env.cmd(["doctor", "-c"]).arg(&config));
    for expected in [
        "ok    cron daemon: running: cron (pid 2)",
        "ok    container runtime:",
        "ok    job main_pipeline_v2: installed and in step",
        "ok    log of main_pipeline_v2:",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }

    env.no_cron_daemon();
    let output = env
        .cmd(["doctor", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["checks"][0]["check"], "cron daemon");
    assert_eq!(doc["checks"][0]["verdict"], "fail");

    // status says so too, and exits 1.
    let output = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout_of(&output).contains("cron daemon NOT running"),
        "{}",
        stdout_of(&output)
    );
}

#[test]
fn logs_prints_the_last_run_or_the_last_lines() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["logs", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr_of(&output).contains("has not run yet"),
        "{}",
        stderr_of(&output)
    );
    for exit in ["3", "0"] {
        let output = env
            .cmd(["run-now", "main_pipeline_v2", "-c"])
            .arg(&config)
            .env("FAKE_EXIT", exit)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(exit.parse().unwrap()));
    }
    let last = ok(env.cmd(["logs", "main_pipeline_v2", "-c"]).arg(&config));
    assert_eq!(
        last.matches(" start pid=").count(),
        1,
        "only the last run: {last}"
    );
    assert!(last.contains("stdout: hello from the container"), "{last}");
    assert!(last.contains(" end exit=0 "), "{last}");
    assert!(!last.contains(" end exit=3 "), "{last}");
    let tail = ok(env
        .cmd(["logs", "main_pipeline_v2", "-n", "2", "-c"])
        .arg(&config));
    assert_eq!(tail.lines().count(), 2, "{tail}");
    assert!(
        tail.lines().last().unwrap().contains(" end exit=0 "),
        "{tail}"
    );
}
