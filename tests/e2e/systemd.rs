//! `target = "systemd"` under a real systemd (issue #23): a container of the image
//! `crontainer-systemd:bookworm` (`scripts/provision-e2e`: Debian 12 by debootstrap, with
//! systemd) runs `/lib/systemd/systemd` as PID 1, not privileged, with the host's Docker socket
//! and client and this build of crontainer (read-only) mounted; the jobs run in an app container
//! of the test image beside it, through that socket. One scenario: install, a firing on the
//! minute, `status` with the timer's next run and the last run, `doctor`, `run-now`, `logs`,
//! `history` and `metrics`, `pause` (a full minute without a firing), `resume`, `catch_up` as
//! `Persistent=true`, `uninstall` leaving no unit.

use std::process::{Command, Output};
use std::time::Duration;

use crate::support::{self, CRON_FIRE_TIMEOUT, Container, POLL, cmd, wait_until};

const SYSTEMD_IMAGE: &str = "crontainer-systemd:bookworm";

/// Where the build is mounted inside: a root-owned directory, as root's units require.
const BIN: &str = "/usr/local/bin/crontainer";

/// A container running systemd as PID 1, named like the harness's containers so a killed run's
/// leftover is removed by `scripts/provision-e2e`; removed when dropped.
struct SystemdHost {
    name: String,
}

impl SystemdHost {
    fn start() -> SystemdHost {
        let image =
            cmd::output(Command::new(support::docker()).args(["image", "inspect", SYSTEMD_IMAGE]));
        assert!(
            image.status.success(),
            "docker image {SYSTEMD_IMAGE} is missing: run `sudo scripts/provision-e2e` first"
        );
        let host = SystemdHost {
            name: format!(
                "crontainer-e2e-{}-systemd-{}",
                std::process::id(),
                support::random_suffix()
            ),
        };
        let docker = support::docker().display().to_string();
        let bin = support::crontainer_bin().display().to_string();
        cmd::run(
            Command::new(support::docker())
                .args(["run", "-d", "--network", "none", "--name", &host.name])
                // What systemd needs in a container, without --privileged.
                .args([
                    "-e",
                    "container=docker",
                    "--tmpfs",
                    "/run",
                    "--tmpfs",
                    "/run/lock",
                ])
                .args(["-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"])
                .args(["-v", "/var/run/docker.sock:/var/run/docker.sock"])
                .args(["-v", &format!("{docker}:/usr/bin/docker:ro")])
                .args(["-v", &format!("{bin}:{BIN}:ro")])
                .args([SYSTEMD_IMAGE, "/lib/systemd/systemd"]),
        );
        let up = wait_until(Duration::from_secs(60), POLL, || {
            let out = host.sh("systemctl is-system-running");
            matches!(
                String::from_utf8_lossy(&out.stdout).trim(),
                "running" | "degraded"
            )
        });
        assert!(
            up,
            "systemd did not come up: {:?}",
            host.sh("systemctl is-system-running")
        );
        host
    }

    fn sh(&self, script: &str) -> Output {
        cmd::output(Command::new(support::docker()).args(["exec", &self.name, "sh", "-c", script]))
    }

    /// `crontainer ARGS` inside, as root: exit code, stdout, stderr.
    fn crontainer(&self, args: &[&str]) -> (i32, String, String) {
        let out = cmd::output(
            Command::new(support::docker())
                .args(["exec", &self.name, BIN])
                .args(args),
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn stdout(&self, script: &str) -> String {
        String::from_utf8_lossy(&self.sh(script).stdout).into_owned()
    }
}

impl Drop for SystemdHost {
    fn drop(&mut self) {
        let _ = Command::new(support::docker())
            .args(["rm", "-f", &self.name])
            .output();
    }
}

/// Waits until the wall clock is in seconds 5..45 of a minute, away from the timer's firings.
fn mid_minute() {
    while !(5..45).contains(&jiff::Timestamp::now().as_second().rem_euclid(60)) {
        std::thread::sleep(Duration::from_millis(500));
    }
}

const UNITS: &str = "/etc/systemd/system";
const SERVICE: &str = "crontainer-e2e-tick.service";
const TIMER: &str = "crontainer-e2e-tick.timer";

#[test]
#[ignore = "needs root, docker and the systemd image: see README"]
fn a_job_under_systemd_fires_pauses_resumes_and_goes() {
    support::require_provisioned();
    let app = Container::start();
    let host = SystemdHost::start();
    let config = format!(
        "[cron]\ntarget = \"systemd\"\nname = \"e2e\"\n[[job]]\nid = \"tick\"\ncontainer = \"{}\"\n\
         command = [\"python\", \"tick\"]\nschedule = \"* * * * *\"\ncatch_up = true\n",
        app.name()
    );
    let write = host.sh(&format!(
        "mkdir -p /etc/crontainer && printf '%s' '{config}' > /etc/crontainer/c.toml"
    ));
    assert!(write.status.success(), "{write:?}");
    let with = |args: &[&'static str]| -> Vec<&'static str> {
        [args, &["-c", "/etc/crontainer/c.toml"][..]].concat()
    };

    // install: the block's two units, loaded and the timer started; again: up to date.
    let (code, out, err) = host.crontainer(&with(&["install"]));
    assert_eq!(code, 0, "{out}{err}");
    // After the diff: what was done, the backup (its time masked), the log rotation file.
    let said: Vec<String> = out
        .lines()
        .skip_while(|l| !l.starts_with("installed block"))
        .map(|l| match l.split_once("/backups/systemd-e2e.") {
            Some((head, _)) => format!("{head}/backups/systemd-e2e.TIME"),
            None => l.to_string(),
        })
        .collect();
    assert_eq!(
        said,
        [
            "installed block `e2e` with 1 job into systemd units crontainer-e2e-* in \
             /etc/systemd/system, running as root.",
            "previous version saved to /var/lib/crontainer/backups/systemd-e2e.TIME",
            "log rotation: /etc/logrotate.d/crontainer-systemd+e2e",
        ],
        "{out}"
    );
    assert_eq!(
        host.stdout(&format!("ls {UNITS} | grep crontainer")),
        format!("{SERVICE}\n{TIMER}\n")
    );
    // catch_up = true: a firing missed while the host was off runs at boot.
    let timer = host.stdout(&format!("cat {UNITS}/{TIMER}"));
    assert!(
        timer.contains("\nOnCalendar=*-*-* *:*:00\nAccuracySec=1s\nPersistent=true\n"),
        "{timer}"
    );
    assert_eq!(
        host.stdout(&format!(
            "systemctl show -p Persistent -p AccuracyUSec {TIMER}"
        )),
        "AccuracyUSec=1s\nPersistent=yes\n"
    );
    assert_eq!(
        host.stdout(&format!(
            "systemctl is-enabled {TIMER}; systemctl is-active {TIMER}"
        )),
        "enabled\nactive\n"
    );
    let (code, out, err) = host.crontainer(&with(&["install"]));
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "systemd units crontainer-e2e-* in /etc/systemd/system is up to date: block `e2e` \
             with 1 job; nothing changed.\n",
            ""
        )
    );

    // The timer fires on the minute, into the app container.
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, || !app.calls().is_empty()),
        "the timer did not fire within {CRON_FIRE_TIMEOUT:?}: {}",
        host.stdout(&format!(
            "systemctl status {TIMER} {SERVICE}; journalctl -n 30"
        ))
    );
    assert_eq!(app.calls()[0].args(), ["tick"]);
    let log = host.stdout("cat /var/log/crontainer/tick.log");
    let start = log.lines().next().unwrap_or_default();
    assert!(
        start.starts_with("[crontainer] ")
            && start.contains(":00Z tick start ")
            && start.ends_with(" by=cron"),
        "not a start on the minute: {log}"
    );

    // status: healthy, the next run from the timer, the last run by the timer.
    let (code, out, err) = host.crontainer(&with(&["status"]));
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let line = |key: &str| {
        out.lines()
            .find_map(|l| l.trim_start().strip_prefix(key))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("next run:").contains(" UTC (in "), "{out}");
    assert!(
        line("last run:").contains(" by cron, exit 0, took "),
        "{out}"
    );
    assert_eq!(line("health:").trim(), "ok", "{out}");
    assert_eq!(
        out.lines().last().unwrap_or_default(),
        "host: systemd running: the system manager is running; container runtime answers; jobs read from systemd \
         units crontainer-e2e-* in /etc/systemd/system, compared with /etc/crontainer/c.toml"
    );

    // doctor: systemd and its verdict on the units stand for the cron daemon, which this host
    // does not have.
    let (code, out, err) = host.crontainer(&with(&["doctor"]));
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(
        out.lines().take(2).collect::<Vec<_>>(),
        [
            "ok    systemd: the system manager is running",
            "ok    units: 2 unit files pass `systemd-analyze verify`",
        ],
        "{out}"
    );

    // run-now: the runner directly, as for cron.
    let before = app.calls().len();
    let (code, out, _) = host.crontainer(&with(&["run-now", "tick"]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(app.calls().len(), before + 1);
    assert!(
        host.stdout("tail -n 1 /var/log/crontainer/tick.log")
            .ends_with(" by=run-now:root\n"),
        "{}",
        host.stdout("cat /var/log/crontainer/tick.log")
    );

    // logs, history and metrics read what the runner wrote, as for cron.
    let (code, out, _) = host.crontainer(&with(&["logs", "tick"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with(" by=run-now:root\n"), "{out}");
    let (code, out, _) = host.crontainer(&with(&["history"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" runs, 0 failed, 100% success"), "{out}");
    let (code, out, _) = host.crontainer(&with(&["metrics"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "\ncrontainer_job_last_exit_code{job=\"tick\",block=\"e2e\",target=\"systemd\",\
             user=\"root\"} 0\n"
        ),
        "{out}"
    );

    // pause: the timer stops, and a whole minute passes without a firing; install keeps it so.
    // Away from the minute, so no firing that started before the pause ends during the wait.
    mid_minute();
    let (code, out, err) = host.crontainer(&with(&["pause", "tick"]));
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "paused job \"tick\" in systemd units crontainer-e2e-* in /etc/systemd/system: its \
             systemd timer will not fire it until `crontainer resume tick`.\n",
            ""
        )
    );
    let (code, _, _) = host.crontainer(&with(&["install"]));
    assert_eq!(code, 0);
    assert_eq!(
        host.stdout(&format!(
            "systemctl is-enabled {TIMER}; systemctl is-active {TIMER}"
        )),
        "disabled\ninactive\n"
    );
    let paused_at = app.calls().len();
    std::thread::sleep(Duration::from_secs(65));
    assert_eq!(app.calls().len(), paused_at, "a paused job fired");

    // resume: the timer runs again.
    let (code, out, err) = host.crontainer(&with(&["resume", "tick"]));
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "resumed job \"tick\" in systemd units crontainer-e2e-* in /etc/systemd/system: its \
             systemd timer fires it again from its next run.\n",
            ""
        )
    );
    assert_eq!(
        host.stdout(&format!(
            "systemctl is-enabled {TIMER}; systemctl is-active {TIMER}"
        )),
        "enabled\nactive\n"
    );

    // uninstall: no unit left, on disk or loaded.
    let (code, out, _) = host.crontainer(&with(&["uninstall"]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(host.stdout(&format!("ls {UNITS} | grep crontainer")), "");
    assert_eq!(
        host.stdout("systemctl list-units --all --no-legend 'crontainer*'"),
        ""
    );
    let (code, out, _) = host.crontainer(&with(&["uninstall"]));
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "nothing to remove: systemd units crontainer-e2e-* in /etc/systemd/system has no \
             crontainer block `e2e`.\n"
        )
    );
}
