//! `catch_up = true` and `[monitoring] textfile_dir` for real: the `@reboot` line that `install`
//! wrote into /etc/cron.d, run by `/bin/sh -c` as the job's user as cron runs it at boot, against
//! a real Docker container, with the clock moved past a slot (`faketime`) and without; and the
//! metrics line fired by the real cron daemon, writing the job's gauges for node_exporter.
//!
//! A boot cannot be made in a test, and Debian's cron runs `@reboot` lines only when it starts at
//! boot, so the test runs the installed line itself, exactly as cron would: its command, after
//! cron's `\%` unescaping, with cron's environment, as the line's user.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{
    self, CRON_FIRE_TIMEOUT, CRON_PATH, Container, CronDGuard, Crontainer, NEVER, POLL, RootDir,
    TEST_USER, UserDir, cmd, cron_d_config, docker, job_toml, log_lines, path_str, read_log,
    status_job, toml_str, wait_until,
};

const FAKETIME: &str = "/usr/bin/faketime";

/// The command of the `@reboot` line in cron.d file `file`, for `user`, as cron hands it to
/// `/bin/sh`.
fn reboot_command(file: &Path, user: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let prefix = format!("@reboot {user} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no @reboot line for {user} in {}:\n{text}", file.display()))
        .replace("\\%", "%")
}

/// Starts `command` as cron starts a line: `/bin/sh -c` as `user`, cron's environment, stdin
/// from /dev/null; with `faketime`, the clock `FAKETIME` ahead (file times stay real, as after a
/// host that was down).
fn start_as_cron(command: &str, user: &str, faketime: Option<&str>) -> Child {
    let mut line = Command::new("/usr/sbin/runuser");
    line.args(["-u", user, "--"]);
    if let Some(offset) = faketime {
        line.args([FAKETIME, "-f", offset]);
    }
    line.args(["/bin/sh", "-c", command])
        .env_clear()
        .env("PATH", CRON_PATH)
        .env("SHELL", "/bin/sh")
        .env("LOGNAME", user)
        .env("USER", user)
        // libfaketime also moves the times `stat` reports unless told not to: the lock file's
        // time must stay what it was, as on a host whose clock moved on while it was down.
        .env("NO_FAKE_STAT", "1")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    line.spawn().expect("start the @reboot line")
}

/// Waits (bounded) for the line to end, and says how.
#[track_caller]
fn finish(child: Child, log: &Path) -> i32 {
    let mut child = child;
    let mut status = None;
    let ended = wait_until(Duration::from_secs(120), POLL, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if !ended {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        ended,
        "the @reboot line did not end within 120 s; log:\n{}",
        read_log(log)
    );
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "the line printed (cron would mail it): {:?} {:?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().expect("an exit code")
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn the_reboot_line_runs_the_job_once_after_a_missed_slot_waiting_for_a_late_container() {
    support::require_provisioned();
    assert!(
        Path::new(FAKETIME).exists(),
        "{FAKETIME} is missing: run `sudo scripts/provision-e2e`"
    );
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("caught.log");
    // Every 7 days: the installed cron line itself (hourly, guarded to one epoch hour in 168)
    // will not fire while the test runs, so every run here is the @reboot line's.
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &format!(
            "[[job]]\nid = \"caught\"\ncontainer = \"{}\"\ncommand = [\"python\", \"main_v2.py\"]\n\
             every = \"7d\"\ncatch_up = true\nlog = {}\n",
            container.name(),
            toml_str(path_str(&log))
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let command = reboot_command(file.path(), TEST_USER);
    // A run now: the lock file names it as the last start.
    tool.expect(["run-now", "caught", "-c", path_str(&config)], 0);
    assert_eq!(container.calls().len(), 1);

    // The clock where it is: the last slot came before that run, nothing was missed. The line
    // says so in the log and runs nothing.
    assert_eq!(finish(start_as_cron(&command, TEST_USER, None), &log), 0);
    let lines = log_lines(&log, "caught");
    assert_eq!(
        lines.iter().filter(|l| l.event == "start").count(),
        1,
        "no run but run-now's:\n{}",
        read_log(&log)
    );
    assert!(
        lines.iter().any(|l| l.event == "skip"
            && l.field("reason") == "no-missed-slot"
            && l.field("by") == "catch-up"),
        "{}",
        read_log(&log)
    );
    assert_eq!(container.calls().len(), 1);

    // The host "was down" for 7 days: the clock is past a slot, the lock file's time is not.
    // The container is not up yet (dockerd's restart policy can take a while after a boot):
    // the line waits for it, polling every 5 s, and runs the job once it runs.
    container.stop();
    let mut late = start_as_cron(&command, TEST_USER, Some("+7d"));
    // Two polls at least, while it is stopped: nothing may have run.
    std::thread::sleep(Duration::from_secs(11));
    assert_eq!(
        log_lines(&log, "caught")
            .iter()
            .filter(|l| l.event == "start")
            .count(),
        1,
        "ran before the container was up:\n{}",
        read_log(&log)
    );
    assert!(
        late.try_wait().unwrap().is_none(),
        "the line still waits for the container"
    );
    // Issue 25, item 9: the wait is said in the log, once, not left silent for five minutes.
    let waiting: Vec<String> = read_log(&log)
        .lines()
        .filter(|l| l.contains("the catch-up waits"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        waiting,
        [format!(
            "crontainer: container {} is not running (exited); the catch-up waits for it up to \
             5 minutes",
            container.name()
        )],
        "{}",
        read_log(&log)
    );
    assert_eq!(container.calls().len(), 1);
    cmd::run(Command::new(docker()).args(["start", container.name()]));
    assert_eq!(finish(late, &log), 0, "log:\n{}", read_log(&log));
    let lines = log_lines(&log, "caught");
    let starts: Vec<_> = lines.iter().filter(|l| l.event == "start").collect();
    let ends: Vec<_> = lines.iter().filter(|l| l.event == "end").collect();
    assert_eq!(
        starts.len(),
        2,
        "one run after run-now's:\n{}",
        read_log(&log)
    );
    assert_eq!(
        ends.len(),
        2,
        "one run after run-now's:\n{}",
        read_log(&log)
    );
    assert_eq!(starts[1].field("by"), "catch-up");
    assert_eq!(ends[1].field("by"), "catch-up");
    assert_eq!(ends[1].field("exit"), "0");
    let calls = container.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1].args(), ["main_v2.py"]);

    // The run just made is the last start now: run at the real time again, nothing is due.
    assert_eq!(finish(start_as_cron(&command, TEST_USER, None), &log), 0);
    assert_eq!(container.calls().len(), 2, "no other run");
    assert_eq!(
        log_lines(&log, "caught")
            .iter()
            .filter(|l| l.event == "start")
            .count(),
        2
    );

    // status reads the catch-up's records.
    let (_, status) = tool.status_json(&config);
    let job = status_job(&status, "caught");
    assert_eq!(job["last_run"]["started"]["by"], "catch-up", "{job:#}");
    assert_eq!(job["last_run"]["succeeded"], true, "{job:#}");

    // A paused job's catch-up line is commented out with it.
    tool.expect(["pause", "caught", "-c", path_str(&config)], 0);
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("#paused# @reboot {TEST_USER} "))),
        "{text}"
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert!(!file.path().exists());
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn the_cron_daemon_runs_the_metrics_line_and_the_textfile_has_the_jobs_gauges() {
    support::require_provisioned();
    let container = Container::start();
    let logs = RootDir::new();
    let textfiles = RootDir::new();
    let prom_dir = textfiles.join("node-exporter");
    std::fs::create_dir(&prom_dir).unwrap();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = logs.join("metered.log");
    let config = tool.config(&format!(
        "{}\n[monitoring]\ntextfile_dir = {}\n",
        cron_d_config(
            file.name(),
            None,
            &job_toml("metered", container.name(), &log, NEVER, "")
        ),
        toml_str(path_str(&prom_dir))
    ));
    let install = tool.expect(["install", "-c", path_str(&config)], 0);
    // The binary the lines run is a stable copy (`support::crontainer_bin`): no warning.
    assert_eq!(String::from_utf8_lossy(&install.stderr), "");
    tool.expect(["run-now", "metered", "-c", path_str(&config)], 0);
    let end = log_lines(&log, "metered")
        .into_iter()
        .find(|l| l.event == "end")
        .expect("an end line");

    // Nothing here runs `metrics`: the file can only come from cron firing the block's line.
    // The block's own file, keyed by target and block.
    let prom = prom_dir.join(format!("crontainer-crond+{}.prom", file.name()));
    let labels = format!(
        "job=\"metered\",block=\"{}\",target=\"cron.d\",user=\"root\"",
        file.name()
    );
    let exit_sample = format!("crontainer_job_last_exit_code{{{labels}}} 0");
    let end_sample = format!(
        "crontainer_job_last_end_timestamp_seconds{{{labels}}} {}",
        end.time.parse::<jiff::Timestamp>().unwrap().as_second()
    );
    let written = wait_until(CRON_FIRE_TIMEOUT + Duration::from_secs(60), POLL, || {
        std::fs::read_to_string(&prom).is_ok_and(|text| text.lines().any(|l| l == exit_sample))
    });
    let text = std::fs::read_to_string(&prom).unwrap_or_default();
    assert!(
        written,
        "no {exit_sample} in {} within two cron minutes:\n{text}",
        prom.display()
    );
    assert!(
        text.lines().any(|l| l == end_sample),
        "{end_sample} in:\n{text}"
    );

    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert!(!file.path().exists());
    // node_exporter must not go on exporting a removed block's jobs.
    assert!(!prom.exists(), "{} outlived its block", prom.display());
}
