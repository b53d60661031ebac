//! The product end to end: `crontainer install` writes the line, the real cron daemon fires it,
//! `docker exec` runs the command in a real container, and `status`, `run-now` and `uninstall`
//! read back what happened. Only the product makes the lines here (no hand-made line).
//!
//! This part: `run-now`, with no cron: its lines never fire (they are scheduled for 1 January at
//! midnight). A cron firing during a long run-now is in `product_cron`. The first scenario runs
//! over Docker and rootful Podman alike (`each_engine!`).
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::time::Duration;

use crate::support::{
    self, Container, CronDGuard, Crontainer, NEVER, POLL, TEST_USER, UserDir, assert_one_seed_call,
    assert_one_seed_run, cron_d_config, each_engine, job_toml, log_lines, path_str, read_log,
    status_job, wait_for_event, wait_until,
};

// --- 2. run-now ------------------------------------------------------------------------------

each_engine! {
    /// `run-now` streams the job's output, logs the run as `run-now:root` and exits with the
    /// job's code; it and `status` ask the runtime the cron line reaches, whatever a login
    /// shell's client variables say.
    fn run_now_streams_the_output_logs_the_run_and_exits_with_the_jobs_code(engine) {
        let container = engine.start();
        let dir = engine.log_dir();
        let tool = Crontainer::new();
        let file = CronDGuard::new();
        let log = dir.join("exits_five.log");
        let config = tool.config(&engine.cron_d_config(
            &file,
            &job_toml(
                "exits_five",
                container.name(),
                &log,
                NEVER,
                "env = { EXIT_CODE = \"5\" }",
            ),
        ));
        tool.expect(["install", "-c", path_str(&config)], 0);

        let with_remote_client = |args: &[&str]| {
            tool.cmd(args)
                .envs(engine.remote_client_env())
                .output()
                .expect("start crontainer")
        };
        let out = with_remote_client(&["run-now", "exits_five", "-c", path_str(&config)]);
        assert_eq!(out.status.code(), Some(5), "{out:?}");
        let status = with_remote_client(&["status", "--json", "-c", path_str(&config)]);
        let status: serde_json::Value =
            serde_json::from_slice(&status.stdout).expect("status JSON");
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
            " exits_five start ",
            " exits_five end exit=5 ",
        ] {
            assert!(stdout.contains(want), "run-now shows {want:?}: {stdout}");
        }
        assert_one_seed_run(&read_log(&log), "exits_five", "run-now:root", "5");
        let call = assert_one_seed_call(&container, 5);
        assert_eq!(call.env.get("EXIT_CODE").map(String::as_str), Some("5"));
    }
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn run_now_while_the_job_runs_exits_75_and_starts_nothing() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("sleeper.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml(
            "sleeper",
            container.name(),
            &log,
            NEVER,
            "env = { SLEEP_SECONDS = \"20\" }",
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);

    tool.expect(
        ["run-now", "sleeper", "--detach", "-c", path_str(&config)],
        0,
    );
    assert!(
        wait_until(Duration::from_secs(15), POLL, || container.calls().len()
            == 1),
        "the detached run did not reach the container; log:\n{}",
        read_log(&log)
    );
    let out = tool.expect(["run-now", "sleeper", "-c", path_str(&config)], 75);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{out:?}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let starts = log_lines(&log, "sleeper")
        .iter()
        .filter(|l| l.event == "start")
        .count();
    assert_eq!(starts, 1, "log:\n{}", read_log(&log));
    assert_eq!(
        container.calls().len(),
        1,
        "the second run-now started nothing"
    );
    let first = &log_lines(&log, "sleeper")[0];
    assert_eq!(first.field("by"), "run-now:root");

    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    // Removing the container ends the detached run's `docker exec`; wait for its end line so
    // no process of this test outlives it.
    drop(container);
    wait_for_event(&log, "sleeper", "end", Duration::from_secs(30));
}
