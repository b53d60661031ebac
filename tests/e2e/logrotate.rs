//! Log rotation through the host's real logrotate: the file `install` writes into
//! /etc/logrotate.d is accepted by `logrotate -d`, a forced rotation keeps the running line
//! logging into the same path (copytruncate), and `status` shows the run after it.

use std::process::Command;

use crate::support::{self, Container, CronDGuard, Crontainer, UserDir};

/// Removes /etc/logrotate.d/crontainer-crond+<name> when dropped, also after a panic.
struct LogrotateGuard(std::path::PathBuf);

impl Drop for LogrotateGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn logrotate_accepts_the_file_and_status_follows_a_forced_rotation() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let rotate_file =
        std::path::PathBuf::from(format!("/etc/logrotate.d/crontainer-crond+{}", file.name()));
    assert!(
        !rotate_file.exists(),
        "{} exists already",
        rotate_file.display()
    );
    let _guard = LogrotateGuard(rotate_file.clone());
    let log = dir.join("rot.log");
    let config = tool.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nname = \"{}\"\nuser = \"{}\"\n[defaults]\nrotate_keep = 2\n\
         [[job]]\nid = \"rot\"\ncontainer = \"{}\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         schedule = \"0 0 1 1 *\"\nlog = \"{}\"\n",
        file.name(),
        support::TEST_USER,
        container.name(),
        log.display()
    ));
    // The real /etc/logrotate.d for this one test (the harness points others elsewhere).
    let run = |args: &[&str]| {
        let mut cmd = tool.cmd(args);
        cmd.arg("-c")
            .arg(&config)
            .env_remove("CRONTAINER_LOGROTATE_DIR");
        cmd.output().unwrap()
    };
    let out = run(&["install"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&rotate_file).expect("install wrote the logrotate file");
    assert!(text.contains(&format!("{} {{", log.display())), "{text}");

    let state = dir.join("logrotate.state");
    let debug = Command::new("logrotate")
        .arg("-d")
        .arg("-s")
        .arg(&state)
        .arg(&rotate_file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&debug.stderr).to_string()
        + &String::from_utf8_lossy(&debug.stdout);
    assert!(debug.status.success(), "logrotate -d refused it:\n{said}");
    assert!(
        !said.to_lowercase().contains("error"),
        "logrotate -d:\n{said}"
    );

    let out = run(&["run-now", "rot"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let forced = Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(&state)
        .arg(&rotate_file)
        .output()
        .unwrap();
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let rotated = dir.join("rot.log.1");
    assert!(rotated.exists(), "no rotated copy");
    assert!(
        std::fs::read_to_string(&rotated)
            .unwrap()
            .contains(" rot end exit=0 ")
    );
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        0,
        "copytruncate empties the log in place"
    );

    // Right after the rotation the log is empty, yet the last run is still known: the lock
    // file names it and `rot.log.1` holds its lines (so no rotation makes a run look missed).
    let status: serde_json::Value =
        serde_json::from_slice(&run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["jobs"][0]["last_run"]["succeeded"], true,
        "{status:#}"
    );
    assert!(
        status["jobs"][0]["last_run"]["started"]["by"]
            .as_str()
            .is_some_and(|by| by.starts_with("run-now")),
        "{status:#}"
    );
    let out = run(&["run-now", "rot"]);
    assert_eq!(out.status.code(), Some(0));
    let status: serde_json::Value =
        serde_json::from_slice(&run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["jobs"][0]["last_run"]["succeeded"], true,
        "{status:#}"
    );
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains(" rot start pid=")
    );

    let out = run(&["uninstall"]);
    assert!(out.status.success());
    assert!(
        !rotate_file.exists(),
        "uninstall removes the logrotate file"
    );
}
