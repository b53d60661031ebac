//! Healthchecks pings end to end: the real cron daemon fires lines that `crontainer install`
//! wrote with a `healthcheck` URL, `docker exec` runs the job in a real container, and the
//! runner pings a recording HTTP server on 127.0.0.1 that speaks the healthchecks.io
//! protocol (https://healthchecks.io/docs/http_api/): `/ping/<uuid>/start`, `/ping/<uuid>/<exit
//! status>`, the `rid` query parameter, the POST body logged. With the server down (port closed)
//! or hanging (it never answers), the job's exit code and log are those of a job without pings,
//! and the hang holds the run ~10 s at most.
//!
//! The scenarios share one cron minute, each on its own thread (as in `product_cron`).
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`, which installs curl); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::healthchecks::{Healthchecks, UUID};
use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, TEST_USER, UserDir, cron_d_config,
    job_toml, log_lines, path_str, read_log, status_job, wait_for_event,
};

/// A free loopback port that nothing listens on: connections to it are refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_fired_jobs_ping_healthchecks_and_a_dead_server_changes_nothing() {
    support::require_provisioned();
    let scenarios: [(&str, fn()); 2] = [
        (
            "server up",
            the_server_gets_start_and_end_with_run_id_exit_and_output,
        ),
        (
            "server down or hanging",
            a_closed_or_hanging_server_leaves_exit_code_and_log_as_without_pings,
        ),
    ];
    support::run_scenarios(&scenarios);
}

fn the_server_gets_start_and_end_with_run_id_exit_and_output() {
    let server = Healthchecks::start();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("pinged.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml(
            "pinged",
            container.name(),
            &log,
            "* * * * *",
            &format!(
                "healthcheck = \"{}\"\nenv = {{ EXIT_CODE = \"3\" }}",
                server.url()
            ),
        ),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("its `healthcheck` URL is a secret"),
        "{out:?}"
    );
    // The URL is a secret: the file is root's alone, and cron reads it all the same.
    let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let text = wait_for_event(&log, "pinged", "end", CRON_FIRE_TIMEOUT);
    let lines = log_lines(&log, "pinged");
    let end = lines.iter().find(|l| l.event == "end").unwrap().clone();
    assert_eq!(end.field("exit"), "3", "{text}");
    assert_eq!(end.field("ping"), "ok", "{text}");
    assert_eq!(end.field("by"), "cron", "{text}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let (start, ended) = (&requests[0], &requests[1]);
    assert_eq!(start.path, format!("/ping/{UUID}/start"), "{requests:?}");
    // The runner's run id as healthchecks takes it, a UUID (the server answers 400 to anything
    // else, and the end line says ping=ok), the same on both pings.
    assert!(start.query.starts_with("rid="), "{requests:?}");
    assert_eq!(ended.method, "POST");
    assert_eq!(ended.path, format!("/ping/{UUID}/3"), "the exit code");
    assert_eq!(ended.query, start.query, "the same run");
    // The output tail: what the job printed in the container, both streams, and nothing else.
    assert!(
        ended
            .body
            .contains("stdout: hello from python main_v2.py\n")
            && ended.body.contains("stderr: warning from python\n"),
        "{:?}",
        ended.body
    );
    assert!(!ended.body.contains("[crontainer]"), "{:?}", ended.body);

    let (code, status) = tool.status_json(&config);
    let job = status_job(&status, "pinged");
    assert_eq!(code, Some(1), "the run failed: {job:#}");
    assert_eq!(job["last_run"]["ping"], "ok", "{job:#}");

    // The cron line is paused, so no second firing races `run-now`, which pings the same way.
    tool.expect(["pause", "pinged", "-c", path_str(&config)], 0);
    tool.expect(["run-now", "pinged", "-c", path_str(&config)], 3);
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    let lines = log_lines(&log, "pinged");
    let end = lines.iter().rfind(|l| l.event == "end").unwrap().clone();
    assert!(end.field("by").starts_with("run-now:"), "{end:?}");
    assert_eq!(requests[2].path, format!("/ping/{UUID}/start"));
    assert!(requests[2].query.starts_with("rid="), "{requests:?}");
    assert_ne!(
        requests[2].query, requests[0].query,
        "another run, another rid"
    );
    assert_eq!(requests[3].path, format!("/ping/{UUID}/3"));
    assert_eq!(requests[3].query, requests[2].query);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

fn a_closed_or_hanging_server_leaves_exit_code_and_log_as_without_pings() {
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    // Accepts connections (the kernel's backlog) and never answers a request.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging_port = hanging.local_addr().unwrap().port();
    let jobs = [
        ("plain", String::new()),
        (
            "refused",
            format!(
                "healthcheck = \"http://127.0.0.1:{}/ping/{UUID}\"",
                closed_port()
            ),
        ),
        (
            "hanging",
            format!("healthcheck = \"http://127.0.0.1:{hanging_port}/ping/{UUID}\""),
        ),
    ];
    let logs: Vec<PathBuf> = jobs
        .iter()
        .map(|(id, _)| dir.join(&format!("{id}.log")))
        .collect();
    let tables: String = jobs
        .iter()
        .zip(&logs)
        .map(|((id, extra), log)| {
            job_toml(
                id,
                container.name(),
                log,
                "* * * * *",
                &format!("{extra}\nenv = {{ EXIT_CODE = \"5\" }}"),
            )
        })
        .collect();
    let config = tool.config(&cron_d_config(file.name(), Some(TEST_USER), &tables));
    tool.expect(["install", "-c", path_str(&config)], 0);
    for ((id, _), log) in jobs.iter().zip(&logs) {
        // The hanging server holds its run ~10 s; the firing is still within the timeout.
        wait_for_event(log, id, "end", CRON_FIRE_TIMEOUT);
    }
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    drop(file);
    drop(hanging);

    // Each log, with the job id, times, pids, run ids and durations taken out, is the plain one
    // plus `ping=failed` on the end line. The job's two streams race each other to the log, so
    // its output lines are compared in sorted order.
    let shape = |log: &Path, id: &str| -> String {
        let text = read_log(log);
        let (mut records, mut output): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.starts_with("[crontainer] "));
        output.sort_unstable();
        records.append(&mut output);
        records
            .into_iter()
            .map(|line| {
                line.split(' ')
                    .map(|word| {
                        let key = word.split('=').next().unwrap();
                        match key {
                            "pid" | "run" | "seconds" => format!("{key}=N"),
                            _ if word == id => "ID".to_string(),
                            _ if word.ends_with('Z') && word.contains('T') => "TIME".to_string(),
                            _ => word.to_string(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let plain = shape(&logs[0], "plain");
    assert!(plain.contains(" end exit=5 "), "{plain}");
    for ((id, _), log) in jobs.iter().zip(&logs).skip(1) {
        assert_eq!(
            shape(log, id),
            plain.replace(" seconds=N run=", " seconds=N ping=failed run="),
            "{id}: {}",
            read_log(log)
        );
    }
    let seconds = |log: &Path, id: &str| -> u64 {
        let lines = log_lines(log, id);
        let end = lines.iter().find(|l| l.event == "end").unwrap();
        end.field("seconds").parse().unwrap()
    };
    let plain = seconds(&logs[0], "plain");
    assert!(
        seconds(&logs[1], "refused") <= plain + 1,
        "a refused connection fails at once"
    );
    // Two pings of at most 2 s, a 1 s pause and 2 s more each; a second's rounding.
    let hung = seconds(&logs[2], "hanging");
    assert!(
        hung <= plain + 11,
        "held {hung} s against {plain} s without pings"
    );
}
