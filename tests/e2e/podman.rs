//! The product end to end with rootful Podman instead of Docker (`runtime = "podman"`): the seed
//! job fired by the real cron daemon into a Podman container, `status` reading the container's
//! state through Podman, `run-now`, a stopped container, a timeout, and `doctor`.
//!
//! Podman has no daemon: a job sees the containers of the user it runs as. So the lines here run
//! as root (a cron.d file with no user column of ours: root), where provisioning put the
//! containers, and one test shows that jobs run as another user are warned about.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`, which installs podman and loads the
//! test image into it); run with `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, NEVER, RootDir, RunLogLine,
    TEST_USER, UserDir, assert_one_seed_call, assert_one_seed_run, assert_status_after_cron_run,
    cmd, cron_d_config, docker, job_toml, log_lines, path_str, podman, read_log, status_job,
    wait_for_event,
};

/// A config for `/etc/cron.d/<file>` whose jobs run through podman, as `user` (None: root).
fn podman_config(file: &CronDGuard, user: Option<&str>, jobs: &str) -> String {
    let text = cron_d_config(file.name(), user, jobs);
    let podman_text = text.replace("runtime = \"docker\"", "runtime = \"podman\"");
    assert_ne!(text, podman_text, "cron_d_config names its runtime");
    podman_text
}

// --- what cron fires, in one minute ---------------------------------------------------------------

/// Both scenarios that wait for the cron daemon, on threads of their own so they share a minute
/// (as `product_cron::cron_fires_installed_jobs` does). A failure names its scenario.
#[test]
#[ignore = "needs root, cron and podman: see README"]
fn cron_fires_jobs_into_podman_containers() {
    support::require_provisioned_podman();
    let scenarios: [(&str, fn()); 2] = [
        (
            "seed job into a podman container",
            seed_job_is_fired_by_cron_into_a_podman_container,
        ),
        (
            "stopped podman container",
            job_into_a_stopped_podman_container_logs_the_failure_and_status_says_so,
        ),
    ];
    support::run_scenarios(&scenarios);
}

fn seed_job_is_fired_by_cron_into_a_podman_container() {
    let container = Container::start_podman();
    // The container is Podman's alone, so a `status` that asked Docker would call it missing.
    let in_docker = cmd::output(Command::new(docker()).args(["inspect", container.name()]));
    assert!(
        !in_docker.status.success(),
        "docker knows the container too"
    );
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("main_pipeline.log");
    let config = tool.config(&podman_config(
        &file,
        None,
        &job_toml("main_pipeline_v2", container.name(), &log, "* * * * *", ""),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "a podman install as root warns about nothing"
    );
    let text = std::fs::read_to_string(file.path()).expect("install wrote the cron.d file");
    let line = format!(
        "\n* * * * * root {} exec main_pipeline_v2 --log {} --runtime {} -- {} python main_v2.py\n",
        path_str(support::crontainer_bin()),
        path_str(&log),
        path_str(podman()),
        container.name()
    );
    assert!(text.contains(&line), "the line runs podman:\n{text}");

    let log_text = wait_for_event(&log, "main_pipeline_v2", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert!(!file.path().exists(), "uninstall removes the cron.d file");

    assert_one_seed_run(&log_text, "main_pipeline_v2", "cron", "0");
    assert_one_seed_call(&container, 0);
    assert_status_after_cron_run(&status, "main_pipeline_v2", 0);
    assert_eq!(code, Some(0), "all healthy, so status exits 0: {status:#}");
}

fn job_into_a_stopped_podman_container_logs_the_failure_and_status_says_so() {
    let container = Container::start_podman();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("stopped.log");
    let config = tool.config(&podman_config(
        &file,
        None,
        &job_toml("stopped", container.name(), &log, "* * * * *", ""),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    container.stop();

    let log_text = wait_for_event(&log, "stopped", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let lines = log_lines(&log, "stopped");
    let end = lines.iter().find(|l| l.event == "end").expect("end line");
    // The runner finds the container stopped before any exec, with Podman as with Docker.
    assert_eq!(end.field("exit"), "69", "log:\n{log_text}");
    assert_eq!(end.field("reason"), "no_container", "log:\n{log_text}");
    assert_eq!(end.field("by"), "cron", "log:\n{log_text}");
    assert!(
        log_text.contains(&format!(
            "\ncrontainer: container {} is not running (exited)\n",
            container.name()
        )),
        "the runner says why in the log:\n{log_text}"
    );
    let job = status_job(&status, "stopped");
    assert_eq!(job["container_state"], "not running (exited)", "{job:#}");
    assert_eq!(job["last_run"]["succeeded"], false, "{job:#}");
    assert_eq!(code, Some(1), "{status:#}");
    assert!(container.calls().is_empty());
}

// --- run-now and a timeout, with no cron (their lines never fire) --------------------------------

#[test]
#[ignore = "needs root, cron and podman: see README"]
fn podman_run_now_streams_the_output_logs_the_run_and_exits_with_the_jobs_code() {
    support::require_provisioned_podman();
    let container = Container::start_podman();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("exits_five.log");
    let config = tool.config(&podman_config(
        &file,
        None,
        &job_toml(
            "exits_five",
            container.name(),
            &log,
            NEVER,
            "env = { EXIT_CODE = \"5\" }",
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);

    // A login shell's remote-podman variables, which cron never has: crontainer asks the podman
    // the cron line reaches, so run-now and status still find the container.
    let with_remote_podman = |args: &[&str]| {
        tool.cmd(args)
            .env("CONTAINER_HOST", "unix:///nonexistent/podman.sock")
            .env("CONTAINER_CONNECTION", "nonexistent")
            .output()
            .expect("start crontainer")
    };
    let out = with_remote_podman(&["run-now", "exits_five", "-c", path_str(&config)]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let status = with_remote_podman(&["status", "--json", "-c", path_str(&config)]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    assert_eq!(
        status_job(&status, "exits_five")["container_state"],
        "running",
        "{status:#}"
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "stdout: hello from python main_v2.py",
        "stderr: warning from python",
        " exits_five end exit=5 ",
    ] {
        assert!(stdout.contains(want), "run-now shows {want:?}: {stdout}");
    }
    assert_one_seed_run(&read_log(&log), "exits_five", "run-now:root", "5");
    let call = assert_one_seed_call(&container, 5);
    assert_eq!(call.env.get("EXIT_CODE").map(String::as_str), Some("5"));
}

#[test]
#[ignore = "needs root, cron and podman: see README"]
fn podman_timeout_stops_the_job_and_its_children_inside_the_container() {
    support::require_provisioned_podman();
    let container = Container::start_podman();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("slow.log");
    let config = tool.config(&podman_config(
        &file,
        None,
        &job_toml(
            "slow",
            container.name(),
            &log,
            NEVER,
            "timeout = \"5s\"\nenv = { SLEEP_SECONDS = \"60\" }",
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let started = Instant::now();
    let out = tool.output(["run-now", "slow", "-c", path_str(&config)]);
    let took = started.elapsed();
    let (_, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    let log_text = read_log(&log);

    let code = out.status.code();
    assert!(
        matches!(code, Some(124 | 137 | 143)),
        "run-now exits with timeout's code, got {code:?}; log:\n{log_text}"
    );
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(20),
        "the run ended after {took:?}, not about 5 s"
    );
    let lines = RunLogLine::parse_all(&log_text);
    let end = lines
        .iter()
        .find(|l| l.event == "end")
        .unwrap_or_else(|| panic!("no end line:\n{log_text}"));
    assert_eq!(end.field("timeout"), "5", "log:\n{log_text}");
    let job = status_job(&status, "slow");
    assert_eq!(job["last_run"]["timed_out"], true, "{job:#}");

    // Neither the job's process nor its `sleep 60` child is left in the container.
    let calls = container.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].exit, None, "the job ran to its end: {calls:?}");
    let ps = cmd::run(Command::new(podman()).args([
        "exec",
        container.name(),
        "ps",
        "-o",
        "pid,stat,args",
    ]));
    let pid = calls[0].pid.to_string();
    let live: Vec<String> = String::from_utf8_lossy(&ps.stdout)
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|s| !s.starts_with('Z'))
        })
        .map(str::to_owned)
        .collect();
    assert!(
        !live
            .iter()
            .any(|l| l.contains("sleep 60") || l.split_whitespace().next() == Some(pid.as_str())),
        "the job or its children still run after the timeout: {live:?}"
    );
}

// --- doctor ---------------------------------------------------------------------------------------

/// The `doctor --json` check named `name`.
#[track_caller]
fn doctor_check<'a>(doctor: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doctor["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no check {name:?}: {doctor:#}"))
}

fn doctor_json(tool: &Crontainer, config: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let out = tool.output(["doctor", "--json", "-c", path_str(config)]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), json)
}

#[test]
#[ignore = "needs root, cron and podman: see README"]
fn doctor_checks_podman_and_jobs_run_as_a_user_who_cannot_see_roots_containers() {
    support::require_provisioned_podman();
    let container = Container::start_podman();
    let dir = RootDir::new();
    let tool = Crontainer::new();

    // As root, with root's (rootful) podman: healthy.
    let file = CronDGuard::new();
    let log = dir.join("doctor.log");
    let job = job_toml("doctor", container.name(), &log, NEVER, "");
    let config = tool.config(&podman_config(&file, None, &job));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let (code, doctor) = doctor_json(&tool, &config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    let runtime = doctor_check(&doctor, "container runtime");
    assert_eq!(runtime["verdict"], "ok", "{doctor:#}");
    let detail = runtime["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with(&format!("{} answers (server 4.", path_str(podman()))),
        "{doctor:#}"
    );
    assert_eq!(doctor_check(&doctor, "job doctor")["verdict"], "ok");
    assert_eq!(code, Some(0), "{doctor:#}");

    // Run as the test user, the line would ask that user's own podman, which has no such
    // container: install warns, and doctor fails the check, naming the fix.
    // (A log of its own: root's install made the first one root's.)
    let file = CronDGuard::new();
    let user_dir = UserDir::new();
    let log = user_dir.join("doctor-user.log");
    let job = job_toml("doctor", container.name(), &log, NEVER, "");
    let config = tool.config(&podman_config(&file, Some(TEST_USER), &job));
    let out = tool.expect(["install", "--json", "-c", path_str(&config)], 0);
    let installed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let (code, doctor) = doctor_json(&tool, &config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    let warnings = installed["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "the jobs run as {TEST_USER} but podman has no daemon they share with root"
        )),
        "{installed:#}"
    );
    let check = doctor_check(&doctor, "jobs' user and podman");
    assert_eq!(check["verdict"], "fail", "{doctor:#}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`[cron] user = \"root\"`")),
        "{doctor:#}"
    );
    assert_eq!(code, Some(1), "{doctor:#}");
}
