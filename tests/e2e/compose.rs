//! Compose services by name (`service = ...` instead of `container = ...`): the line finds the
//! running container of the service by Compose's labels each time it fires. The containers are
//! made with `docker run --label com.docker.compose.project=P --label
//! com.docker.compose.service=S` (what Compose itself sets), with a unique P and S per test, so
//! no other test's containers can match.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::path::Path;

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, NEVER, RootDir,
    assert_one_seed_call, assert_one_seed_run, cron_d_config, log_lines, path_str, random_suffix,
    read_log, status_job, toml_str, wait_for_event,
};

/// A container of the test image that Compose would call service `service` of `project`.
fn service_container(project: &str, service: &str) -> Container {
    Container::start_with(&[
        "--label",
        &format!("com.docker.compose.project={project}"),
        "--label",
        &format!("com.docker.compose.service={service}"),
    ])
}

/// One `[[job]]` table running the seed job's command in `service` (of `project`, if given).
fn service_job_toml(
    id: &str,
    service: &str,
    project: Option<&str>,
    log: &Path,
    schedule: &str,
) -> String {
    let project = project
        .map(|p| format!("project = \"{p}\"\n"))
        .unwrap_or_default();
    format!(
        "[[job]]\nid = \"{id}\"\nservice = \"{service}\"\n{project}\
         command = [\"python\", \"main_v2.py\"]\nschedule = \"{schedule}\"\nlog = {log}\n",
        log = toml_str(log.to_str().expect("utf-8 log path")),
    )
}

/// The scenarios that wait for the cron daemon, on threads of their own so they share a minute
/// (as `product_cron::cron_fires_installed_jobs` does). A failure names its scenario.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_fires_service_jobs_into_the_container_found_by_labels() {
    support::require_provisioned();
    let scenarios: [(&str, fn()); 3] = [
        (
            "recreated service container",
            service_job_fires_into_the_container_running_when_cron_fires,
        ),
        (
            "no container running",
            service_job_with_no_running_container_logs_why_and_status_is_unhealthy,
        ),
        (
            "service in two projects",
            service_job_without_project_refuses_to_pick_between_two_projects,
        ),
    ];
    support::run_scenarios(&scenarios);
}

fn service_job_fires_into_the_container_running_when_cron_fires() {
    let project = format!("p{}", random_suffix());
    let service = format!("backend{}", random_suffix());
    let first = service_container(&project, &service);
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("svc.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &service_job_toml("svc", &service, None, &log, "* * * * *"),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{out:?}");
    let text = std::fs::read_to_string(file.path()).expect("install wrote the cron.d file");
    assert!(
        text.contains(&format!(
            "# crontainer:job id=svc service={service} project={project} runtime="
        )),
        "the marker names the service, pinned at install to the one project running it:\n{text}"
    );
    assert!(
        !text.contains(first.name()),
        "the line names no container:\n{text}"
    );
    // Recreated under a new name, as `docker compose up` does after a change: the line must
    // find the new one when it fires.
    drop(first);
    let second = service_container(&project, &service);

    let log_text = wait_for_event(&log, "svc", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    let plain = tool.expect(["status", "-c", path_str(&config)], 0);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    assert_one_seed_run(&log_text, "svc", "cron", "0");
    assert_one_seed_call(&second, 0);
    let job = status_job(&status, "svc");
    assert_eq!(job["container"], second.name(), "{job:#}");
    assert_eq!(job["container_state"], "running", "{job:#}");
    assert_eq!(job["service"]["service"], service.as_str(), "{job:#}");
    assert_eq!(code, Some(0), "{status:#}");
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.contains(&format!(
            "{} running (service {service} of project {project})",
            second.name()
        )),
        "{plain}"
    );
}

fn service_job_with_no_running_container_logs_why_and_status_is_unhealthy() {
    let project = format!("p{}", random_suffix());
    let service = format!("gone{}", random_suffix());
    // A stopped container of the service does not count.
    let stopped = service_container(&project, &service);
    stopped.stop();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("none.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &service_job_toml("none", &service, Some(&project), &log, "* * * * *"),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "job \"none\": right now, service {service} of project {project} has no running \
             container (each firing fails with exit 69)"
        )),
        "install warns: {stderr}"
    );

    let log_text = wait_for_event(&log, "none", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    let doctor = tool.output(["doctor", "--json", "-c", path_str(&config)]);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let doctor: serde_json::Value = serde_json::from_slice(&doctor.stdout).expect("doctor JSON");
    let check = doctor["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["check"] == "container of none"))
        .unwrap_or_else(|| panic!("no container check: {doctor:#}"));
    assert_eq!(check["verdict"], "fail", "{check:#}");
    assert_eq!(
        check["detail"],
        format!(
            "service {service} of project {project} has no running container (each firing \
             fails with exit 69)"
        ),
        "{check:#}"
    );

    let lines = log_lines(&log, "none");
    let end = lines.iter().find(|l| l.event == "end").expect("end line");
    assert_eq!(end.field("exit"), "69", "log:\n{log_text}");
    assert_eq!(end.field("reason"), "no_container", "log:\n{log_text}");
    assert_eq!(end.field("by"), "cron", "log:\n{log_text}");
    assert!(stopped.calls().is_empty());
    let job = status_job(&status, "none");
    assert_eq!(job["container"], serde_json::Value::Null, "{job:#}");
    assert_eq!(
        job["container_state"], "has no running container (each firing fails with exit 69)",
        "{job:#}"
    );
    assert_eq!(job["healthy"], false, "{job:#}");
    assert_eq!(code, Some(1), "{status:#}");
}

fn service_job_without_project_refuses_to_pick_between_two_projects() {
    let service = format!("twice{}", random_suffix());
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("twice.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &service_job_toml("twice", &service, None, &log, "* * * * *"),
    ));
    // Installed while nothing runs the service, the job stays without a project (install
    // would pin it to one, or refuse two); then two projects start it.
    tool.expect(["install", "-c", path_str(&config)], 0);
    let a = service_container(&format!("a{}", random_suffix()), &service);
    let b = service_container(&format!("b{}", random_suffix()), &service);

    let log_text = wait_for_event(&log, "twice", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let lines = log_lines(&log, "twice");
    let end = lines.iter().find(|l| l.event == "end").expect("end line");
    assert_eq!(end.field("exit"), "78", "log:\n{log_text}");
    assert_eq!(end.field("reason"), "several_projects", "log:\n{log_text}");
    assert!(a.calls().is_empty() && b.calls().is_empty(), "no pick");
    let job = status_job(&status, "twice");
    let state = job["container_state"].as_str().unwrap_or_default();
    assert!(
        state.starts_with("runs in several Compose projects"),
        "{job:#}"
    );
    assert_eq!(code, Some(1), "{status:#}");
}

/// `run-now` runs the line as cron would: in the first container `docker ps` lists (the newest)
/// of the service in the given project, which is the one `status` names.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn run_now_runs_in_the_newest_container_of_the_service_and_status_names_it() {
    support::require_provisioned();
    let project = format!("p{}", random_suffix());
    let service = format!("web{}", random_suffix());
    let older = service_container(&project, &service);
    let newer = service_container(&project, &service);
    // Same service in another project: the job names its project, so it is not a candidate.
    let other = service_container(&format!("q{}", random_suffix()), &service);
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("web.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &service_job_toml("web", &service, Some(&project), &log, NEVER),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let (_, status) = tool.status_json(&config);
    let out = tool.output(["run-now", "web", "-c", path_str(&config)]);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    assert_eq!(out.status.code(), Some(0), "{out:?}\n{}", read_log(&log));
    assert_one_seed_call(&newer, 0);
    assert!(older.calls().is_empty() && other.calls().is_empty());
    assert_eq!(
        status_job(&status, "web")["container"],
        newer.name(),
        "{status:#}"
    );
}

/// A project brought up by the real `docker-compose` (Debian's 1.29) from a local image with no
/// network; `down` when dropped.
struct ComposeProject {
    dir: tempfile::TempDir,
    name: String,
}

impl ComposeProject {
    fn up() -> ComposeProject {
        let dir = tempfile::tempdir().expect("temp dir for the compose file");
        std::fs::write(
            dir.path().join("docker-compose.yml"),
            format!(
                "version: \"3\"\nservices:\n  backend:\n    image: {}\n    \
                 command: [\"/bin/sleep\", \"100000\"]\n    network_mode: none\n",
                support::IMAGE
            ),
        )
        .expect("write the compose file");
        let project = ComposeProject {
            dir,
            name: format!("ce2e{}", random_suffix()),
        };
        project.compose(&["up", "-d"]);
        project
    }

    fn compose(&self, args: &[&str]) {
        support::cmd::run(
            std::process::Command::new("/usr/bin/docker-compose")
                .current_dir(self.dir.path())
                .args(["-p", &self.name])
                .args(args),
        );
    }

    /// The id of the project's one running `backend` container.
    fn backend_id(&self) -> String {
        let out = support::cmd::run(std::process::Command::new(support::docker()).args([
            "ps",
            "-q",
            "--no-trunc",
            "-f",
            &format!("label=com.docker.compose.project={}", self.name),
        ]));
        let ids = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            !ids.is_empty() && !ids.contains('\n'),
            "one container: {ids:?}"
        );
        ids
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        let _ = std::process::Command::new("/usr/bin/docker-compose")
            .current_dir(self.dir.path())
            .args(["-p", &self.name, "down", "-t", "0"])
            .output();
    }
}

/// With real Compose: the job finds the service's container, again after `up --force-recreate`
/// replaced it, and fails with the clear reason once the service is stopped.
#[test]
#[ignore = "needs root, cron, docker and docker-compose: see README"]
fn real_compose_service_is_found_again_after_recreate_and_not_once_stopped() {
    support::require_provisioned();
    let project = ComposeProject::up();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("compose.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &service_job_toml("compose", "backend", Some(&project.name), &log, NEVER),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let run_now = || tool.output(["run-now", "compose", "-c", path_str(&config)]);

    let first = project.backend_id();
    let (_, status) = tool.status_json(&config);
    let ran = run_now();
    project.compose(&["up", "-d", "--force-recreate"]);
    let second = project.backend_id();
    let (_, recreated_status) = tool.status_json(&config);
    let ran_again = run_now();
    project.compose(&["stop", "-t", "0"]);
    let stopped = run_now();
    let (code, stopped_status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let log_text = read_log(&log);
    assert_ne!(first, second, "recreated");
    let name = format!("{}_backend_1", project.name);
    assert_eq!(status_job(&status, "compose")["container"], name.as_str());
    assert_eq!(ran.status.code(), Some(0), "{ran:?}\n{log_text}");
    assert!(
        String::from_utf8_lossy(&ran.stderr).contains(&format!(
            "crontainer: notice: job \"compose\": service backend of project {} resolves to \
             container {name}\n",
            project.name
        )),
        "run-now says where it runs: {ran:?}"
    );
    assert_eq!(
        status_job(&recreated_status, "compose")["container_state"],
        "running"
    );
    assert_eq!(
        ran_again.status.code(),
        Some(0),
        "{ran_again:?}\n{log_text}"
    );
    assert_eq!(stopped.status.code(), Some(69), "{stopped:?}\n{log_text}");
    let ends: Vec<(String, String)> = log_lines(&log, "compose")
        .iter()
        .filter(|l| l.event == "end")
        .map(|l| (l.field("exit").to_owned(), l.field("by").to_owned()))
        .collect();
    assert_eq!(ends.len(), 3, "{log_text}");
    assert_eq!(ends[2].0, "69", "{log_text}");
    assert!(
        log_text.contains("reason=no_container"),
        "the log says why:\n{log_text}"
    );
    assert_eq!(
        log_text.matches("hello from python main_v2.py").count(),
        2,
        "two runs reached the container:\n{log_text}"
    );
    assert_eq!(code, Some(1), "{stopped_status:#}");
}
