//! The job policies of issue #22 run by `crontainer exec` directly against real Docker and
//! rootful Podman (the runner's scenarios' containers and jobs, `runner.rs`): retries, the
//! `replace` and `allow` concurrency policies, and the catch-up with and without a window. They
//! are tested hermetically too (`tests/hermetic/policies.rs`, `history.rs`); these are the
//! real engines' evidence.
//!
//! Needs a provisioned machine; run with `cargo test -- --include-ignored` as root.

use std::path::Path;
use std::process::Command;

use crate::runner::{Job, Scenario, assert_exit, run_all, wait_for_process};
use crate::support::{self, Bare, cmd, docker, podman, require_bare_image};

/// The records of the job's run history (each a JSON object), in order, but for the record
/// the runner writes as each attempt starts (`"end": null`), which its end record supersedes:
/// every attempt here ends, as `started_records` checks.
fn ledger(job: &Job) -> Vec<serde_json::Value> {
    all_records(job)
        .into_iter()
        .filter(|v| !(v["kind"] == "run" && v["end"].is_null()))
        .collect()
}

/// Every record of the job's run history, in order.
fn all_records(job: &Job) -> Vec<serde_json::Value> {
    std::fs::read_dir(job.dir.path().join("history"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect::<String>()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The attempts whose start was recorded, in order.
fn started_records(job: &Job) -> Vec<u64> {
    all_records(job)
        .iter()
        .filter(|v| v["kind"] == "run" && v["end"].is_null())
        .map(|v| v["attempt"].as_u64().unwrap())
        .collect()
}

fn two_catch_up_boots_in_one_slot_run_once(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    // Yearly, installed in 2020: a slot was missed, once.
    let boot = [
        "--catch-up",
        "--schedule",
        "0 0 1 1 *",
        "--since",
        "2020-06-01T00:00:00Z",
    ];
    for _ in 0..2 {
        assert_exit(
            &job.run(
                &boot,
                &[&container.name, "/bin/busybox", "echo", "caught up"],
            ),
            0,
        );
    }
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=catch-up\n\
         caught up\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=catch-up\n\
         [crontainer] T j skip reason=no-missed-slot run=N-N by=catch-up\n"
    );
}

fn retries_run_the_job_again_in_the_container_and_pass_the_last_exit_on(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    // Each attempt leaves a line in the container: three attempts, three lines.
    let out = job.run(
        &["--retries", "2", "--retry-delay", "1s"],
        &[
            &container.name,
            "/bin/busybox",
            "sh",
            "-c",
            "/bin/busybox echo tried >> /attempts; exit 3",
        ],
    );
    assert_exit(&out, 3);
    let attempts = cmd::run(Command::new(runtime).args([
        "exec",
        &container.name,
        "/bin/busybox",
        "cat",
        "/attempts",
    ]));
    assert_eq!(
        String::from_utf8_lossy(&attempts.stdout),
        "tried\ntried\ntried\n"
    );
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         crontainer: attempt 1 of 3 ended with exit 3; attempt 2 in 1s\n\
         crontainer: attempt 2 of 3 ended with exit 3; attempt 3 in 2s\n\
         [crontainer] T j end exit=3 seconds=N run=N-N by=cron\n"
    );
    let attempts: Vec<(u64, i64)> = ledger(&job)
        .iter()
        .map(|v| (v["attempt"].as_u64().unwrap(), v["exit"].as_i64().unwrap()))
        .collect();
    assert_eq!(attempts, [(1, 3), (2, 3), (3, 3)]);
    assert_eq!(
        started_records(&job),
        [1, 2, 3],
        "each attempt recorded as it started"
    );
}

fn replace_stops_the_running_run_inside_the_container(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    let first = job
        .command(
            &["--concurrency", "replace"],
            &[&container.name, "/bin/busybox", "sleep", "304"],
        )
        .spawn()
        .unwrap();
    wait_for_process(&container, "sleep 304");
    let second = job.run(
        &["--concurrency", "replace"],
        &[&container.name, "/bin/busybox", "echo", "second"],
    );
    assert_exit(&second, 0);
    assert_exit(&first.wait_with_output().unwrap(), 138);
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=138 seconds=N reason=replaced run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         second\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
    let left = container.processes();
    assert!(!left.contains("sleep 304"), "still running:\n{left}");
}

fn allow_runs_side_by_side_each_with_its_own_run_id(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    let allow = ["--concurrency", "allow"];
    let first = job
        .command(&allow, &[&container.name, "/bin/busybox", "sleep", "306"])
        .spawn()
        .unwrap();
    wait_for_process(&container, "sleep 306");
    // The second firing runs while the first still does (`forbid` would skip it with 75).
    let second = job.run(&allow, &[&container.name, "/bin/busybox", "echo", "second"]);
    assert_exit(&second, 0);
    let running = container.processes();
    assert!(
        running.contains("sleep 306"),
        "the first run ended:\n{running}"
    );
    // The first ends by a signal, which stops its job inside the container.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(first.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_exit(&first.wait_with_output().unwrap(), 143);
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         second\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n\
         [crontainer] T j end exit=143 seconds=N reason=interrupted signal=TERM run=N-N by=cron\n"
    );
    // Both in the run history, each with its own run id.
    let runs: Vec<(String, i64, Option<String>)> = ledger(&job)
        .iter()
        .map(|v| {
            assert_eq!(v["kind"], "run", "{v}");
            (
                v["run"].as_str().unwrap().to_owned(),
                v["exit"].as_i64().unwrap(),
                v["reason"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        runs.iter()
            .map(|(_, exit, reason)| (*exit, reason.as_deref()))
            .collect::<Vec<_>>(),
        [(0, None), (143, Some("interrupted"))],
        "{runs:?}"
    );
    assert_ne!(runs[0].0, runs[1].0, "one run id for both: {runs:?}");
    let left = container.processes();
    assert!(!left.contains("sleep 306"), "still running:\n{left}");
}

fn a_catch_up_runs_only_for_a_firing_missed_within_its_window(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let window = ["--catch-up", "--catch-up-within", "6h"];
    // Yearly, installed in 2020: the firing missed is months old, outside 6 hours.
    let old = Job::new(runtime);
    let since = ["--schedule", "0 0 1 1 *", "--since", "2020-06-01T00:00:00Z"];
    assert_exit(
        &old.run(
            &[&window[..], &since[..]].concat(),
            &[&container.name, "/bin/busybox", "touch", "/outside"],
        ),
        0,
    );
    assert_eq!(
        old.normalized_log(),
        "[crontainer] T j skip reason=outside-window by=catch-up\n"
    );
    // Every minute, installed an hour ago: the firing missed is within the minute.
    let recent = Job::new(runtime);
    let an_hour_ago = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let since = ["--schedule", "* * * * *", "--since", &an_hour_ago];
    assert_exit(
        &recent.run(
            &[&window[..], &since[..]].concat(),
            &[&container.name, "/bin/busybox", "touch", "/inside"],
        ),
        0,
    );
    assert_eq!(
        recent.normalized_log(),
        "[crontainer] T j start pid=N by=catch-up\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=catch-up\n"
    );
    // In the container: the one inside the window ran, the other did not.
    let ls = cmd::output(Command::new(runtime).args([
        "exec",
        &container.name,
        "/bin/busybox",
        "ls",
        "/inside",
        "/outside",
    ]));
    assert_eq!(
        String::from_utf8_lossy(&ls.stdout),
        "/inside\n",
        "{}",
        String::from_utf8_lossy(&ls.stderr)
    );
    let kinds = |job: &Job| {
        ledger(job)
            .iter()
            .map(|v| {
                format!(
                    "{} {} {}",
                    v["kind"].as_str().unwrap(),
                    v["trigger"].as_str().unwrap(),
                    v["reason"].as_str().unwrap_or("-")
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&old), ["skip catch-up outside-window"]);
    assert_eq!(kinds(&recent), ["run catch-up -"]);
}

const SCENARIOS: &[(&str, Scenario)] = &[
    ("catch-up", two_catch_up_boots_in_one_slot_run_once),
    (
        "catch-up window",
        a_catch_up_runs_only_for_a_firing_missed_within_its_window,
    ),
    (
        "retries",
        retries_run_the_job_again_in_the_container_and_pass_the_last_exit_on,
    ),
    (
        "replace",
        replace_stops_the_running_run_inside_the_container,
    ),
    ("allow", allow_runs_side_by_side_each_with_its_own_run_id),
];

#[test]
#[ignore = "needs root and docker: see README"]
fn the_policies_on_docker() {
    support::require_provisioned();
    require_bare_image(docker());
    run_all(docker(), SCENARIOS);
}

#[test]
#[ignore = "needs root and podman: see README"]
fn the_policies_on_podman() {
    support::require_provisioned_podman();
    require_bare_image(podman());
    run_all(podman(), SCENARIOS);
}
