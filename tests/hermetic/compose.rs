//! Hermetic tests of Compose services (`service = ...`): the installed line's lookup, run by
//! `run-now` against the fake docker's `ps` (containers from `FAKE_DOCKER_PS`, listed in that
//! order), and `status` and `metrics` resolving the service to the same container.

use crate::common::{Env, ok, stderr_of};

/// Two replicas of `web` in project `shop` (the newest listed first), and `db` of `blog`.
const LISTED: &str =
    "aaa111 shop web shop-web-2\nbbb222 shop web shop-web-1\nccc333 blog db blog-db-1";

fn service_config(env: &Env, keys: &str) -> std::path::PathBuf {
    env.config(&format!(
        "[[job]]\nid = \"svc\"\n{keys}\ncommand = [\"python\", \"main_v2.py\"]\n\
         every = \"5h\"\nlog = \"{{dir}}/logs/svc.log\"\n"
    ))
}

/// `crontainer metrics`' healthy gauge of the job, with the fake's containers.
fn healthy_gauge(env: &Env, config: &std::path::Path, listed: &str) -> String {
    let out = env
        .cmd(["metrics", "-c"])
        .arg(config)
        .env("FAKE_DOCKER_PS", listed)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                r#"crontainer_job_healthy{job="svc",block="crontainer",target="crontab",user=""#,
            )?
            .split_once("\"} ")
            .map(|(_, value)| value)
        })
        .unwrap_or_else(|| panic!("no healthy gauge: {out:?}"))
        .to_string()
}

/// `run-now svc` and `status --json` with the fake's containers: (run-now's output, the log,
/// status's exit code and the job's status).
fn run_and_status(
    env: &Env,
    config: &std::path::Path,
    listed: &str,
) -> (std::process::Output, String, Option<i32>, serde_json::Value) {
    let run = env
        .cmd(["run-now", "svc", "-c"])
        .arg(config)
        .env("FAKE_DOCKER_PS", listed)
        .output()
        .unwrap();
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(config)
        .env("FAKE_DOCKER_PS", listed)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let job = doc["jobs"][0].clone();
    (run, env.read("logs/svc.log"), status.status.code(), job)
}

#[test]
fn the_line_and_status_pick_the_first_listed_container_of_the_service() {
    for (keys, id, name) in [
        ("service = \"web\"", "aaa111", "shop-web-2"),
        (
            "service = \"web\"\nproject = \"shop\"",
            "aaa111",
            "shop-web-2",
        ),
        ("service = \"db\"", "ccc333", "blog-db-1"),
    ] {
        let env = Env::new();
        let config = service_config(&env, keys);
        ok(env
            .cmd(["install", "-c"])
            .arg(&config)
            .env("FAKE_DOCKER_PS", LISTED));
        let (run, log, code, job) = run_and_status(&env, &config, LISTED);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{keys}: {}\n{log}",
            stderr_of(&run)
        );
        assert_eq!(
            env.docker_calls(),
            vec![vec![id, "python", "main_v2.py"]],
            "{keys}"
        );
        assert!(
            stderr_of(&run).contains(&format!("resolves to container {name}\n")),
            "{keys}: {}",
            stderr_of(&run)
        );
        assert_eq!(job["container"], name, "{keys}: {job:#}");
        assert_eq!(job["container_state"], "running", "{keys}: {job:#}");
        assert_eq!(code, Some(0), "{keys}: {job:#}");
        assert_eq!(healthy_gauge(&env, &config, LISTED), "1", "{keys}");
        // The same job once its service has no running container.
        assert_eq!(healthy_gauge(&env, &config, ""), "0", "{keys}");
    }
}

#[test]
fn a_service_in_two_projects_without_project_runs_nowhere_and_says_why() {
    let env = Env::new();
    let config = service_config(&env, "service = \"web\"");
    let listed = format!("{LISTED}\nddd444 blog web blog-web-1");
    // Install refuses to pick a project for it (`runner_line.rs`); installed while nothing ran
    // it, the job stays unpinned, and a second project starting the service later makes each
    // firing fail rather than pick one.
    let install = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert_eq!(install.status.code(), Some(0));
    assert_eq!(
        stderr_of(&install),
        "crontainer: warning: job \"svc\": right now, service web has no running container \
         (each firing fails with exit 69)\n"
    );
    let (run, log, code, job) = run_and_status(&env, &config, &listed);
    assert_eq!(run.status.code(), Some(78), "{}\n{log}", stderr_of(&run));
    assert!(env.docker_calls().is_empty(), "no pick");
    assert!(
        crate::common::any_seconds(&log)
            .contains(" svc end exit=78 seconds=N reason=several_projects run="),
        "{log}"
    );
    assert_eq!(
        job["container_state"],
        "runs in several Compose projects (shop, blog): each firing fails with exit 78 until \
         the job sets `project`",
        "{job:#}"
    );
    assert_eq!(job["container"], serde_json::Value::Null, "{job:#}");
    assert_eq!(code, Some(1));
}

#[test]
fn a_service_with_no_running_container_logs_why_and_status_is_unhealthy() {
    for (keys, listed) in [
        ("service = \"web\"\nproject = \"blog\"", LISTED),
        ("service = \"cache\"", LISTED),
        ("service = \"web\"", ""),
    ] {
        let env = Env::new();
        let config = service_config(&env, keys);
        let install = env
            .cmd(["install", "-c"])
            .arg(&config)
            .env("FAKE_DOCKER_PS", listed)
            .output()
            .unwrap();
        assert_eq!(install.status.code(), Some(0), "{keys}");
        assert!(
            stderr_of(&install)
                .contains(" has no running container (each firing fails with exit 69)\n"),
            "{keys}: {}",
            stderr_of(&install)
        );
        let (run, log, code, job) = run_and_status(&env, &config, listed);
        assert_eq!(
            run.status.code(),
            Some(69),
            "{keys}: {}\n{log}",
            stderr_of(&run)
        );
        assert!(env.docker_calls().is_empty(), "{keys}");
        assert!(
            crate::common::any_seconds(&log)
                .contains(" svc end exit=69 seconds=N reason=no_container run="),
            "{keys}: {log}"
        );
        assert_eq!(
            job["container_state"], "has no running container (each firing fails with exit 69)",
            "{keys}: {job:#}"
        );
        assert_eq!(code, Some(1), "{keys}");
        assert_eq!(healthy_gauge(&env, &config, listed), "0", "{keys}");
        let text = env
            .cmd(["status", "-c"])
            .arg(&config)
            .env("FAKE_DOCKER_PS", listed)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains(" has no running container (each firing fails with exit 69)"),
            "{keys}: {text}"
        );
    }
}
