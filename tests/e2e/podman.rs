//! The product end to end with rootful Podman instead of Docker (`runtime = "podman"`): the seed
//! job fired by the real cron daemon into a Podman container, `status` reading the container's
//! state through Podman, a stopped container (the scenarios of `product_cron`, run here with
//! `Engine::Podman`), and `doctor`'s Podman checks. `run-now` and a timeout run over both
//! runtimes in `product_run_now` and `product_timeout` (`each_engine!`: `...::podman`).
//!
//! Podman has no daemon: a job sees the containers of the user it runs as. So the lines here run
//! as root (a cron.d file with no user column of ours: root), where provisioning put the
//! containers, and one test shows that jobs run as another user are warned about.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`, which installs podman and loads the
//! test image into it); run with `cargo test -- --include-ignored` as root, as `.ci/run` does.

use crate::product_cron;
use crate::support::engine::podman_cron_d_config as podman_config;
use crate::support::{
    self, Container, CronDGuard, Crontainer, Engine, NEVER, RootDir, TEST_USER, UserDir, job_toml,
    path_str, podman,
};

// --- what cron fires, in one minute ---------------------------------------------------------------

/// Both scenarios that wait for the cron daemon, on threads of their own so they share a minute
/// (as `product_cron::cron_fires_installed_jobs` does). A failure names its scenario.
#[test]
#[ignore = "needs root, cron and podman: see README"]
fn cron_fires_jobs_into_podman_containers() {
    support::require_provisioned_podman();
    let scenarios: [(&str, fn()); 2] = [
        ("seed job into a podman container", || {
            product_cron::seed_job_installed_in_cron_d_is_fired_by_cron(Engine::Podman)
        }),
        ("stopped podman container", || {
            product_cron::job_into_a_stopped_container_logs_the_failure_and_status_says_so(
                Engine::Podman,
            )
        }),
    ];
    support::run_scenarios(&scenarios);
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
