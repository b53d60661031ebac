//! crontainer sees what cron does, with the real cron daemon and Docker: the time zone is the
//! daemon's whatever `TZ` the shell has, the end line starts a line of its own after output
//! that did not end one, a running job's lock does not move under it, and `runtime_env`
//! reaches cron's firing, `run-now`, `status` and `doctor` alike.

use std::time::Duration;

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, NEVER, POLL, RootDir, TEST_USER,
    UserDir, cron_d_config, job_toml, path_str, read_log, status_job, toml_str, wait_for_event,
    wait_until,
};

fn next_run(tool: &Crontainer, config: &std::path::Path, tz: Option<&str>) -> (String, String) {
    let mut cmd = tool.cmd(["plan", "--json", "-c", path_str(config)]);
    match tz {
        Some(tz) => cmd.env("TZ", tz),
        None => cmd.env_remove("TZ"),
    };
    let out = support::cmd::output(&mut cmd);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        doc["jobs"][0]["next_runs"][0].as_str().unwrap().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn plan_shows_the_instant_cron_fires_whatever_tz_the_shell_has() {
    support::require_provisioned();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml("midnight", "c1", &dir.join("m.log"), "0 0 * * *", ""),
    ));
    // The real daemon's zone (its environment, else /etc/localtime), whatever the shell says.
    let (crons, quiet) = next_run(&tool, &config, None);
    let other = if crons.ends_with("T00:00:00Z") {
        "America/New_York"
    } else {
        "UTC"
    };
    let (shown, note) = next_run(&tool, &config, Some(other));
    assert_eq!(shown, crons, "TZ={other} moved the instant: {note}");
    assert!(note.contains("cron's time zone"), "{note}");
    assert!(!quiet.contains("time zone"), "{quiet}");
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn the_end_line_starts_its_own_line_after_output_without_a_newline() {
    support::require_provisioned();
    let container = Container::start();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("partial.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &format!(
            "[[job]]\nid = \"partial\"\ncontainer = \"{}\"\n\
             command = [\"sh\", \"-c\", \"printf 'progress 100%%'; exit 4\"]\n\
             schedule = \"{NEVER}\"\nlog = {}\n",
            container.name(),
            toml_str(path_str(&log))
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    tool.expect(["run-now", "partial", "-c", path_str(&config)], 4);
    let text = read_log(&log);
    assert!(text.contains("progress 100%\n[crontainer] "), "{text}");
    assert!(
        text.lines()
            .filter(|l| l.contains("[crontainer]"))
            .all(|l| l.starts_with("[crontainer] ")),
        "{text}"
    );
    let (code, status) = tool.status_json(&config);
    assert_eq!(code, Some(1), "{status:#}");
    let job = status_job(&status, "partial");
    assert_eq!(job["last_run"]["succeeded"], false, "{status:#}");
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn install_refuses_to_move_the_lock_of_a_running_job() {
    support::require_provisioned();
    let container = Container::start();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let job = |log: &std::path::Path| {
        cron_d_config(
            file.name(),
            None,
            &job_toml(
                "long",
                container.name(),
                log,
                NEVER,
                "env = { SLEEP_SECONDS = \"30\" }",
            ),
        )
    };
    let config = tool.config(&job(&dir.join("before.log")));
    tool.expect(["install", "-c", path_str(&config)], 0);
    tool.expect(["run-now", "long", "--detach", "-c", path_str(&config)], 0);
    assert!(
        wait_until(Duration::from_secs(15), POLL, || container.calls().len()
            == 1),
        "the run did not start; log:\n{}",
        read_log(&dir.join("before.log"))
    );
    let installed = std::fs::read_to_string(file.path()).unwrap();
    let moved = tool.config(&job(&dir.join("after.log")));
    let out = tool.expect(["install", "-c", path_str(&moved)], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"long\" is running") && err.contains("before.log.lock"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(file.path()).unwrap(), installed);
    // `status` still sees the run through the lock that did not move.
    let (_, status) = tool.status_json(&config);
    assert_eq!(status_job(&status, "long")["running"], true, "{status:#}");
    // Once it ends, the move goes through.
    wait_for_event(
        &dir.join("before.log"),
        "long",
        "end",
        Duration::from_secs(60),
    );
    tool.expect(["install", "-c", path_str(&moved)], 0);
    assert!(
        std::fs::read_to_string(file.path())
            .unwrap()
            .contains("after.log")
    );
    tool.expect(["uninstall", "-c", path_str(&moved)], 0);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn runtime_env_reaches_cron_run_now_status_and_doctor() {
    support::require_provisioned();
    let container = Container::start();
    let dir = RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("remote.log");
    // Another address for the same daemon: only a client given DOCKER_HOST finds it there.
    let socket = dir.join("docker.sock");
    std::os::unix::fs::symlink("/var/run/docker.sock", &socket).unwrap();
    let config = tool.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nname = \"{}\"\n\n[defaults]\nruntime = \"docker\"\n\
         runtime_env = {{ DOCKER_HOST = \"unix://{}\" }}\n\n{}",
        file.name(),
        path_str(&socket),
        job_toml("remote", container.name(), &log, "* * * * *", "")
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let text = wait_for_event(&log, "remote", "end", CRON_FIRE_TIMEOUT);
    assert!(text.contains("remote end exit=0"), "{text}");
    tool.expect(["run-now", "remote", "-c", path_str(&config)], 0);
    let (code, status) = tool.status_json(&config);
    assert_eq!(code, Some(0), "{status:#}");
    assert_eq!(status_job(&status, "remote")["container_state"], "running");
    tool.expect(["doctor", "-c", path_str(&config)], 0);

    // The address gone: cron's next firing, run-now, status and doctor all fail alike, where
    // the shell's default socket would still answer.
    std::fs::remove_file(&socket).unwrap();
    let out = tool.output(["run-now", "remote", "-c", path_str(&config)]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(
        read_log(&log).contains("Cannot connect to the Docker daemon"),
        "{}",
        read_log(&log)
    );
    let (code, status) = tool.status_json(&config);
    assert_eq!(code, Some(1), "{status:#}");
    let state = status_job(&status, "remote")["container_state"].to_string();
    assert!(state.contains("unknown"), "{state}");
    let out = tool.output(["doctor", "-c", path_str(&config)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}
