//! A run whose runner and runtime client were both killed with SIGKILL (the OOM killer, `kill
//! -9`): nothing on the host holds its lock or will write its end line, and the job goes on in
//! the container (killing `docker exec` never stops what it started, moby#9098). Principle 7: no
//! run goes on unseen. `status` names it, over Docker and rootful Podman alike (`each_engine!`).
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::support::{
    CronDGuard, Crontainer, NEVER, POLL, SLEEPS_A_MINUTE, clients_of_run, each_engine, job_toml,
    mask_number_after, path_str, read_log, sleeps_in, start_detached, status_job, wait_until,
};

each_engine! {
    /// The runner and its runtime client are killed with SIGKILL while the job (the seed
    /// stand-in, sleeping a minute) runs: `status` says the run is still going in the
    /// container and its runner was killed, and is unhealthy. A firing then, under the default
    /// `concurrency = "forbid"`, is skipped for it (exit 75) where the runner may read the
    /// container's processes: Podman's jobs here run as root; Docker's run as the test user,
    /// who may not read a rootful container's processes (see docs/RELIABILITY.md).
    fn status_names_the_run_a_killed_runner_left_in_the_container(engine) {
        let container = engine.start();
        let dir = engine.log_dir();
        let tool = Crontainer::new();
        let file = CronDGuard::new();
        let log = dir.join("orphaned.log");
        let config = tool.config(&engine.cron_d_config(
            &file,
            &job_toml("orphaned", container.name(), &log, NEVER, SLEEPS_A_MINUTE),
        ));
        tool.expect(["install", "-c", path_str(&config)], 0);
        let group = start_detached(&tool, &config, "orphaned");
        let in_container = || sleeps_in(&container);
        assert!(
            wait_until(Duration::from_secs(30), POLL, in_container),
            "the job did not start: {}",
            read_log(&log)
        );
        let log_text = read_log(&log);
        let clients = clients_of_run(&log);
        assert_eq!(clients.len(), 1, "one runtime client: {clients:?}");
        killpg(Pid::from_raw(group), Signal::SIGKILL).expect("kill the runner's group");
        for client in clients {
            let _ = kill(Pid::from_raw(client), Signal::SIGKILL);
        }
        let started = log_text
            .split_whitespace()
            .nth(1)
            .expect("the start line's time")
            .to_owned();
        let expected = format!(
            "[\"an orphaned run of orphaned is still going in container {} (pid N, started \
             {started}): its runner was killed\"]",
            container.name()
        );
        let mut last = serde_json::Value::Null;
        let mut code = None;
        assert!(
            wait_until(Duration::from_secs(20), POLL, || {
                let (c, status) = tool.status_json(&config);
                code = c;
                last = status_job(&status, "orphaned").clone();
                mask_number_after(&last["problems"].to_string(), "(pid ") == expected
            }),
            "status does not name the orphaned run: {last:#}"
        );
        assert_eq!((code, &last["running"]), (Some(1), &serde_json::json!(false)));
        assert!(in_container(), "the job goes on in the container");

        if engine == Engine::Podman {
            let lock = std::fs::read_to_string(format!("{}.lock", log.display()))
                .expect("the lock file");
            let run = lock.lines().next().expect("the run id");
            let out = tool.output(["run-now", "orphaned", "-c", path_str(&config)]);
            let log_text = read_log(&log);
            assert_eq!(out.status.code(), Some(75), "{log_text}");
            // The last two lines, the skip record's time left out.
            let last_two: Vec<String> = log_text
                .lines()
                .rev()
                .take(2)
                .map(|l| match l.strip_prefix("[crontainer] ") {
                    Some(record) => record.split_once(' ').map_or(l, |(_, r)| r).to_owned(),
                    None => mask_number_after(l, "(pid "),
                })
                .collect();
            assert_eq!(
                last_two,
                [
                    format!("orphaned skip reason=orphaned run={run} by=run-now:root"),
                    format!(
                        "crontainer: the run {run} is still going in the container (pid N), \
                         though its runner was killed; this firing is skipped until it ends"
                    ),
                ],
                "{log_text}"
            );
        }
        tool.expect(["uninstall", "-c", path_str(&config)], 0);
    }
}
