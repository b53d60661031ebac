//! The e2e harness itself, against real Docker but without cron (a few seconds): when a cron test
//! fails, these say whether to blame the machine, the harness or the line.

use std::process::Command;

use crate::support::{self, Container, cmd, docker};

/// Arguments the host shell would mangle if anything on the way evaluated them.
const TRICKY: [&str; 8] = [
    "main_v2.py",
    "two words",
    "it's",
    "$(touch /tmp/pwned) `id` $HOME",
    "100%",
    "a\nb",
    "",
    "*",
];

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn stand_in_records_each_call_exactly() {
    support::require_provisioned();
    let container = Container::start_with(&["-e", "FROM_RUN=1"]);
    cmd::run(
        Command::new(docker())
            .args(["exec", container.name(), "python"])
            .args(TRICKY),
    );
    let out = cmd::run(Command::new(docker()).args([
        "exec",
        "-u",
        "app",
        "-w",
        "/app",
        "-e",
        "EXIT_CODE=0",
        container.name(),
        "python",
    ]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "stdout: hello from python \n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "stderr: warning from python\n"
    );

    let calls = container.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].args(), TRICKY);
    assert_eq!(
        (calls[0].user.as_str(), calls[0].cwd.as_str()),
        ("root", "/")
    );
    assert_eq!(calls[0].env.get("FROM_RUN").map(String::as_str), Some("1"));
    assert_eq!(calls[0].exit, Some(0));
    assert!(calls[1].argv.is_empty());
    assert_eq!(
        (calls[1].user.as_str(), calls[1].cwd.as_str()),
        ("app", "/app")
    );
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn stand_in_exits_with_exit_code_and_stop_makes_exec_fail() {
    support::require_provisioned();
    let container = Container::start();
    let exec = |env: &str| {
        cmd::output(Command::new(docker()).args(["exec", "-e", env, container.name(), "python"]))
    };
    assert_eq!(exec("EXIT_CODE=3").status.code(), Some(3));
    assert_eq!(container.calls()[0].exit, Some(3));

    container.stop();
    let out = exec("EXIT_CODE=0");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not running"),
        "{out:?}"
    );
}

/// The run history a job leaves goes with the temp dir of its log, and nothing else does: a run
/// of the runner as root (its container missing: a run ended `no_container`) writes its ledger
/// in /var/lib/crontainer/history, outside every temp dir; dropping the log's dir removes it,
/// and a ledger of the same job id for a log elsewhere stays.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_jobs_run_history_goes_with_the_dir_of_its_log() {
    support::require_provisioned();
    let dir = support::RootDir::new();
    let log = dir.join("forgotten.log");
    let job = format!("forgotten_{}", support::random_suffix());
    let out = cmd::output(
        Command::new(support::crontainer_bin())
            .args(["exec", &job, "--log"])
            .arg(&log)
            .arg("--runtime")
            .arg(docker())
            .args(["--", "crontainer-e2e-no-such-container", "true"])
            .env_remove("CRONTAINER_HISTORY_DIR"),
    );
    assert_eq!(out.status.code(), Some(69), "{out:?}");
    let ledgers = std::path::Path::new(crontainer::history::ROOT_DIR);
    let ledger = ledgers.join(crontainer::history::file_name(&job, &log));
    let text = std::fs::read_to_string(&ledger).unwrap_or_default();
    assert!(
        text.contains("\"reason\":\"no_container\""),
        "{ledger:?}: {text:?}"
    );
    // The same job id, another log: not this dir's.
    let other = ledgers.join(crontainer::history::file_name(
        &job,
        "/elsewhere/forgotten.log".as_ref(),
    ));
    std::fs::write(&other, "").unwrap();
    drop(dir);
    let gone = !ledger.exists();
    let kept = other.exists();
    std::fs::remove_file(&other).unwrap();
    assert!(gone, "{} is still there", ledger.display());
    assert!(kept, "{} was removed", other.display());
}
