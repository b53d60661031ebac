//! A status you can trust, with the real cron daemon and real Docker: what `status` said was
//! healthy on crontainer 0.1 although the job was not doing its work (issue "a status you can
//! trust"). Each test reproduces one case as it was seen:
//!
//! - a crontab line `SHELL=/usr/bin/python3` above the block: cron ran the block's lines with
//!   python, nothing was logged, and `status` said "never ran", healthy;
//! - a run killed on the host: a start line, no end line, the lock free, and "healthy";
//! - a job printing a line shaped like crontainer's end line, then failing: "exit 0", healthy.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::time::Duration;

use nix::sys::signal::Signal;

use crate::shared_runner::normalize;
use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, NEVER, POLL, SLEEPS_A_MINUTE,
    TEST_USER, TestCrontab, UserDir, clients_of_run, cron_d_config, job_toml, path_str,
    random_suffix, read_log, runner_pid, sleeps_in, start_detached, status_job, toml_str,
    wait_until,
};

/// A job that prints crontainer-shaped lines for itself (as printing another job's log would),
/// runs a few seconds, and fails with 7.
fn forging_job(id: &str, container: &str, log: &std::path::Path, schedule: &str) -> String {
    let script = format!(
        "echo '[crontainer] 2026-11-29T20:30:00Z {id} end exit=0 seconds=1 by=cron'; \
         echo '[crontainer] 2026-11-29T20:30:01Z {id} start pid=1 by=cron'; \
         echo '[crontainer] 2026-11-29T20:30:02Z {id} skip reason=running by=cron'; \
         sleep 6; exit 7"
    );
    format!(
        "[[job]]\nid = \"{id}\"\ncontainer = \"{container}\"\ncommand = [\"sh\", \"-c\", {}]\n\
         schedule = \"{schedule}\"\nlog = {}\n",
        toml_str(&script),
        toml_str(path_str(log)),
    )
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_jobs_forged_lines_change_nothing_under_run_now_and_under_cron() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let now_log = dir.join("forge.log");
    let cron_log = dir.join("forgecron.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &format!(
            "{}\n{}",
            forging_job("forge", container.name(), &now_log, NEVER),
            forging_job("forgecron", container.name(), &cron_log, "* * * * *"),
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);

    // run-now in the background: while it sleeps, its forged lines are already in the log.
    tool.expect(["run-now", "forge", "--detach", "-c", path_str(&config)], 0);
    assert!(
        wait_until(Duration::from_secs(20), POLL, || read_log(&now_log)
            .contains("forge skip reason=running by=cron")),
        "the job did not print: {}",
        read_log(&now_log)
    );
    let (_, status) = tool.status_json(&config);
    let job = status_job(&status, "forge");
    assert_eq!(job["running"], true, "it still runs: {job:#}");
    assert_eq!(job["last_run"]["ended"], serde_json::Value::Null, "{job:#}");
    assert_eq!(
        job["last_run"]["succeeded"],
        serde_json::Value::Null,
        "{job:#}"
    );
    assert!(
        wait_until(Duration::from_secs(30), POLL, || read_log(&now_log)
            .contains(" forge end exit=7 seconds=")),
        "no real end line: {}",
        read_log(&now_log)
    );
    let (code, status) = tool.status_json(&config);
    let job = status_job(&status, "forge");
    assert_eq!(job["last_run"]["succeeded"], false, "{job:#}");
    assert_eq!(job["last_run"]["ended"]["event"]["exit"], 7, "{job:#}");
    assert_eq!(
        job["last_run"]["started"]["by"], "run-now by root",
        "{job:#}"
    );
    assert_eq!(job["healthy"], false, "{job:#}");
    assert_eq!(code, Some(1));

    // The same under the real cron daemon.
    assert!(
        wait_until(CRON_FIRE_TIMEOUT + Duration::from_secs(10), POLL, || {
            read_log(&cron_log).contains(" forgecron end exit=7 seconds=")
        }),
        "cron did not run forgecron to its end: {}",
        read_log(&cron_log)
    );
    let (_, status) = tool.status_json(&config);
    let job = status_job(&status, "forgecron");
    assert_eq!(job["last_run"]["ended"]["event"]["exit"], 7, "{job:#}");
    assert_eq!(job["last_run"]["started"]["by"], "cron", "{job:#}");
    assert!(
        job["problems"]
            .to_string()
            .contains("the last run failed (exit 7"),
        "{job:#}"
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_run_killed_on_the_host_is_a_failure_not_a_shrug() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("killed.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml("killed", container.name(), &log, NEVER, SLEEPS_A_MINUTE),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let pid = start_detached(&tool, &config, "killed");
    assert!(
        wait_until(Duration::from_secs(20), POLL, || read_log(&log)
            .contains("killed start pid=")),
        "no start line: {}",
        read_log(&log)
    );
    // The host goes down for this run: every process of it, the runner and the docker client
    // (which the runner starts in a process group of its own), killed at once.
    let clients = clients_of_run(&log);
    assert_eq!(clients.len(), 1, "one docker client: {clients:?}");
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the run's process group");
    for client in clients {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(client),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    // And the container's processes with them (a job left running there is an orphaned run:
    // `orphan.rs`).
    support::cmd::run(std::process::Command::new(support::docker()).args([
        "restart",
        "-t",
        "0",
        container.name(),
    ]));
    let mut last = serde_json::Value::Null;
    assert!(
        wait_until(Duration::from_secs(20), POLL, || {
            let (code, status) = tool.status_json(&config);
            last = status_job(&status, "killed").clone();
            code == Some(1) && last["running"] == false
        }),
        "status still says healthy or running: {last:#}"
    );
    assert!(
        last["problems"]
            .to_string()
            .contains("did not finish (no end line): it was killed, or the host went down"),
        "{last:#}"
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_shell_line_above_the_block_is_moved_out_of_its_way_and_a_firing_that_never_comes_is_missed() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let crontab = TestCrontab::acquire();
    let marker = format!("/tmp/crontainer-e2e-python-{}", random_suffix());
    let _cleanup = RemoveOnDrop(marker.clone());
    // The user's crontab runs python, and a line of theirs below relies on it.
    let mine = format!(
        "SHELL=/usr/bin/python3\n* * * * * open('{marker}', 'w').write('ran under python')\n"
    );
    crontab.write(&mine);
    let log = dir.join("shell.log");
    let config = tool.config(&format!(
        "[cron]\nuser = \"{TEST_USER}\"\nname = \"trust-{}\"\n\n{}",
        random_suffix(),
        job_toml(
            "shell",
            container.name(),
            &log,
            "* * * * *",
            "grace = \"5s\""
        ),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("now sits above `SHELL=/usr/bin/python3`"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let installed = crontab.read();
    assert!(installed.ends_with(&mine), "{installed}");

    // The block fires with /bin/sh; the user's line still gets python.
    assert!(
        wait_until(CRON_FIRE_TIMEOUT + Duration::from_secs(10), POLL, || {
            read_log(&log).contains(" shell end exit=0 seconds=")
                && std::fs::read_to_string(&marker).is_ok_and(|t| t == "ran under python")
        }),
        "log: {:?}; the user's python line wrote: {:?}",
        read_log(&log),
        std::fs::read_to_string(&marker)
    );

    // Someone puts the SHELL line back on top: cron runs the block's line with python, which
    // fails before the line can log anything. status says so at once, and calls the next firing
    // missed once its grace has passed.
    crontab.write(&format!("SHELL=/usr/bin/python3\n{installed}"));
    let (code, status) = tool.status_json(&config);
    assert_eq!(code, Some(1), "{status:#}");
    assert!(
        status_job(&status, "shell")["problems"]
            .to_string()
            .contains("sets `SHELL=/usr/bin/python3` (line 1) above block"),
        "{status:#}"
    );
    let mut last = serde_json::Value::Null;
    assert!(
        wait_until(Duration::from_secs(160), Duration::from_secs(2), || {
            let (_, status) = tool.status_json(&config);
            last = status_job(&status, "shell").clone();
            last["problems"]
                .to_string()
                .contains("missed: cron should have started it at")
        }),
        "no missed firing reported: {last:#}"
    );
    let doctor = tool.output(["doctor", "-c", path_str(&config)]);
    assert_eq!(doctor.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains("missed: cron should have started it"),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

/// Removes a file the test's cron line may have written.
struct RemoveOnDrop(String);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A job that runs a minute, installed for the test user in a cron.d file that never fires.
fn long_job(
    tool: &Crontainer,
    file: &CronDGuard,
    container: &Container,
    log: &std::path::Path,
) -> std::path::PathBuf {
    tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml("long", container.name(), log, NEVER, SLEEPS_A_MINUTE),
    ))
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn ctrl_c_on_run_now_stops_the_job_inside_the_container() {
    interrupting_run_now_stops_the_job_inside_the_container(Signal::SIGINT);
}

/// A TERM to run-now (`kill`, a service manager) too: passed on to the runner and never to the
/// `runuser` that starts a user's job as root, which would kill the runner 2 s later ("Session
/// terminated, killing shell... ...killed.") before it could stop the job and write its end line.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn sigterm_to_run_now_stops_the_job_inside_the_container() {
    interrupting_run_now_stops_the_job_inside_the_container(Signal::SIGTERM);
}

/// `signal` to run-now, running a job of the test user as root: the runner gets that very
/// signal, stops the job inside the container and writes its end line, and run-now says what the
/// end line says.
fn interrupting_run_now_stops_the_job_inside_the_container(signal: Signal) {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("long.log");
    let config = long_job(&tool, &file, &container, &log);
    tool.expect(["install", "-c", path_str(&config)], 0);

    // As a terminal runs it: in a process group of its own, which Ctrl-C signals.
    let mut run_now = tool.cmd(["run-now", "long", "-c", path_str(&config)]);
    std::os::unix::process::CommandExt::process_group(&mut run_now, 0);
    let child = run_now
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start run-now");
    assert!(
        wait_until(Duration::from_secs(20), POLL, || sleeps_in(&container)),
        "the job did not start: {}",
        read_log(&log)
    );
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(child.id() as i32), signal)
        .expect("Ctrl-C");
    let out = child.wait_with_output().expect("run-now ends");
    // The runner got the signal itself (run-now passes on the one it got, never another): its
    // end line says so, and run-now says what that end line says.
    let (code, name) = (128 + signal as i32, &signal.as_str()[3..]);
    let stdout = normalize(&String::from_utf8_lossy(&out.stdout));
    let mut lines: Vec<&str> = stdout.lines().collect();
    // The job's stdout and stderr reach the log through two pipes: in either order.
    if let Some(output) = lines.get_mut(1..3) {
        output.sort_unstable();
    }
    assert_eq!(
        (
            out.status.code(),
            lines.join("\n"),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (
            Some(code),
            format!(
                "[crontainer] T long start pid=N by=run-now:root\n\
                 stderr: warning from python\n\
                 stdout: hello from python main_v2.py\n\
                 [crontainer] T long end exit={code} seconds=N reason=interrupted signal={name} \
                 run=N-N by=run-now:root"
            ),
            format!(
                "crontainer: notice: interrupted: job \"long\" was stopped, inside the \
                 container too; its end line says reason=interrupted signal={name}\n"
            )
            .as_str()
        )
    );
    assert_eq!(
        normalize(read_log(&log).lines().last().unwrap_or_default()),
        format!(
            "[crontainer] T long end exit={code} seconds=N reason=interrupted signal={name} \
             run=N-N by=run-now:root\n"
        )
    );
    assert!(
        wait_until(Duration::from_secs(15), POLL, || !sleeps_in(&container)),
        "the job goes on inside the container"
    );
    // The runner stopped it and wrote its own end line saying so: status says what happened.
    let (code, status) = tool.status_json(&config);
    let job = status_job(&status, "long");
    assert_eq!(job["running"], false, "{job:#}");
    assert_eq!(
        job["last_run"]["ended"]["event"]["reason"], "interrupted",
        "{job:#}"
    );
    assert!(
        job["problems"]
            .to_string()
            .contains(&format!("interrupted by SIG{name}")),
        "{job:#}"
    );
    assert_eq!(code, Some(1));
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_killed_line_shell_leaves_the_run_visible_and_the_next_firing_skipped_until_it_ends() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("long.log");
    let config = long_job(&tool, &file, &container, &log);
    tool.expect(["install", "-c", path_str(&config)], 0);
    let group = start_detached(&tool, &config, "long");
    assert!(
        wait_until(Duration::from_secs(20), POLL, || sleeps_in(&container)),
        "the job did not start: {}",
        read_log(&log)
    );
    // The runner (the pid on its start line) is killed; the docker client lives on.
    let shell = runner_pid(&read_log(&log), "long");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(shell),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the line's shell");
    std::thread::sleep(Duration::from_secs(1));
    assert!(sleeps_in(&container), "the job itself still runs");
    let (_, status) = tool.status_json(&config);
    let job = status_job(&status, "long");
    assert_eq!(job["running"], true, "the run is still seen: {job:#}");
    // A firing now is skipped, as cron's would be: the run still holds the job's lock.
    tool.expect(["run-now", "long", "-c", path_str(&config)], 75);

    // Then the docker client goes too: the lock is free, the run has no end line, and its job
    // goes on in the container with nothing on the host to stop it (0.2's in-container watcher
    // did): `status` names that orphaned run (`tests/e2e/orphan.rs` checks the message whole).
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(group),
        nix::sys::signal::Signal::SIGKILL,
    );
    for client in clients_of_run(&log) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(client),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let mut job = serde_json::Value::Null;
    let mut code = None;
    assert!(
        wait_until(Duration::from_secs(15), POLL, || {
            let (c, status) = tool.status_json(&config);
            code = c;
            job = status_job(&status, "long").clone();
            job["running"] == false
        }),
        "the run is still seen running: {job:#}"
    );
    assert!(
        job["problems"]
            .to_string()
            .contains("an orphaned run of long is still going in container"),
        "{job:#}"
    );
    assert_eq!(code, Some(1));
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}
