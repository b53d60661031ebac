//! `target = "systemd"` under a real systemd (issue #23): a container of the image
//! `crontainer-systemd:bookworm-2` (`scripts/provision-e2e`: Debian 12 by debootstrap, with
//! systemd) runs `/lib/systemd/systemd` as PID 1, not privileged, with the host's Docker socket
//! and client and this build of crontainer (read-only) mounted; the jobs run in an app container
//! of the test image beside it, through that socket. One scenario: install, a firing on the
//! minute, `status` with the timer's next run and the last run, `doctor`, `run-now`, `logs`,
//! `history` and `metrics`, `pause` (a full minute without a firing), `resume`, `catch_up` as
//! `Persistent=true`, `uninstall` leaving no unit. Alongside it, in the same container and the
//! same minute, a user's own units under that user's manager (`user@UID.service`, started by
//! `loginctl enable-linger`): what `doctor` and `install` say before and after lingering, the
//! units in ~/.config/systemd/user, a firing, `status` and `uninstall`.

use std::process::{Command, Output};
use std::time::Duration;

use crate::support::{self, CRON_FIRE_TIMEOUT, Container, POLL, cmd, wait_until};

const SYSTEMD_IMAGE: &str = "crontainer-systemd:bookworm-2";

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

    /// `PROGRAM ARGS` inside as [`USER`], with the runtime directory its manager listens in (a
    /// `docker exec` opens no login session, so nothing else sets it): exit code, stdout, stderr.
    fn as_user(&self, program: &str, args: &[&str]) -> (i32, String, String) {
        let out = cmd::output(
            Command::new(support::docker())
                .args(["exec", "-u", USER, "-e"])
                .arg(format!("XDG_RUNTIME_DIR=/run/user/{USER_UID}"))
                .args([&self.name, program])
                .args(args),
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
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

/// The calls of the app container whose arguments are `args`: root's job and the user's share it.
fn calls_of(app: &Container, args: &[&str]) -> usize {
    app.calls().iter().filter(|c| c.args() == args).count()
}

const UNITS: &str = "/etc/systemd/system";
const SERVICE: &str = "crontainer-e2e-tick.service";
const TIMER: &str = "crontainer-e2e-tick.timer";
/// `[monitoring] textfile_dir`: its timer writes the block's metrics file there.
const PROM: &str = "/var/lib/crontainer-prom";
const METRICS_SERVICE: &str = "crontainer-e2e-metrics.service";
const METRICS_TIMER: &str = "crontainer-e2e-metrics.timer";

#[test]
#[ignore = "needs root, docker and the systemd image: see README"]
fn a_job_under_systemd_fires_pauses_resumes_and_goes() {
    support::require_provisioned();
    let app = Container::start();
    let host = SystemdHost::start();
    let config = format!(
        "[cron]\ntarget = \"systemd\"\nname = \"e2e\"\n[[job]]\nid = \"tick\"\ncontainer = \"{}\"\n\
         command = [\"python\", \"tick\"]\nschedule = \"* * * * *\"\ncatch_up = true\n\
         [monitoring]\ntextfile_dir = \"{PROM}\"\n",
        app.name()
    );
    let write = host.sh(&format!(
        "mkdir -p /etc/crontainer {PROM} && printf '%s' '{config}' > /etc/crontainer/c.toml"
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
        format!("{METRICS_SERVICE}\n{METRICS_TIMER}\n{SERVICE}\n{TIMER}\n")
    );
    assert_eq!(
        host.stdout(&format!(
            "systemctl is-enabled {METRICS_TIMER}; systemctl is-active {METRICS_TIMER}"
        )),
        "enabled\nactive\n"
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

    // A user's own units, installed now so that they fire in the same minute as root's.
    user_installs(&host, &app);

    // The timer fires on the minute, into the app container.
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, || calls_of(&app, &["tick"]) > 0),
        "the timer did not fire within {CRON_FIRE_TIMEOUT:?}: {}",
        host.stdout(&format!(
            "systemctl status {TIMER} {SERVICE}; journalctl -n 30"
        ))
    );
    let log = host.stdout("cat /var/log/crontainer/tick.log");
    let start = log.lines().next().unwrap_or_default();
    assert!(
        start.starts_with("[crontainer] ")
            && start.contains(":00Z tick start ")
            && start.ends_with(" by=cron"),
        "not a start on the minute: {log}"
    );

    // The user's timer fired too (the same minute, or the next when its install crossed one);
    // its status and uninstall.
    user_fired_and_uninstalls(&host, &app);

    // The metrics timer wrote the block's file, in the same minute. (A gauge every job has:
    // the exit code may be missing, as the first metrics run races the job's own.)
    let prom = format!("{PROM}/crontainer-systemd+e2e.prom");
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, || host
            .stdout(&format!("cat {prom}"))
            .contains(
                "\ncrontainer_job_paused{job=\"tick\",block=\"e2e\",target=\"systemd\",\
                 user=\"root\"} 0\n"
            )),
        "{}",
        host.stdout(&format!(
            "cat {prom}; systemctl status {METRICS_SERVICE}; journalctl -n 30"
        ))
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
            "ok    units: 4 unit files pass `systemd-analyze verify`",
        ],
        "{out}"
    );

    // run-now: the runner directly, as for cron.
    let before = calls_of(&app, &["tick"]);
    let (code, out, _) = host.crontainer(&with(&["run-now", "tick"]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(calls_of(&app, &["tick"]), before + 1);
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
    let paused_at = calls_of(&app, &["tick"]);
    std::thread::sleep(Duration::from_secs(65));
    assert_eq!(calls_of(&app, &["tick"]), paused_at, "a paused job fired");

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

/// The user whose own units run under their own manager, and its uid (free in the image).
const USER: &str = "crontainer-u";
const USER_UID: u32 = 4242;
const USER_CONFIG: &str = "/home/crontainer-u/c.toml";
const USER_UNITS: &str = "/home/crontainer-u/.config/systemd/user";
const USER_TIMER: &str = "crontainer-mine-tock.timer";

/// Masks the time in a backup's name (after the first dot of the file name).
fn mask_backup(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("/backups/systemd-") {
            Some((head, tail)) => match tail.split_once('.') {
                Some((name, _)) => format!("{head}/backups/systemd-{name}.TIME"),
                None => l.to_string(),
            },
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Makes [`USER`] (in a group with the mounted Docker socket's gid, so the host's socket keeps
/// its owner and mode), checks what `doctor` and `install` say without lingering, turns it on
/// (which starts the user's manager) and installs the user's block `mine`, job `tock`.
fn user_installs(host: &SystemdHost, app: &Container) {
    let made = host.sh(&format!(
        "useradd -m -u {USER_UID} {USER} && \
         groupadd -o -g \"$(stat -c %g /var/run/docker.sock)\" crontainer-docker && \
         usermod -aG crontainer-docker {USER}"
    ));
    assert!(made.status.success(), "{made:?}");
    let config = format!(
        "[cron]\ntarget = \"systemd\"\nname = \"mine\"\n[defaults]\nlog_dir = \
         \"/home/{USER}/logs\"\n[[job]]\nid = \"tock\"\ncontainer = \"{}\"\n\
         command = [\"python\", \"tock\"]\nschedule = \"* * * * *\"\n",
        app.name()
    );
    let (code, out, err) = host.as_user(
        "sh",
        &["-c", &format!("printf '%s' '{config}' > {USER_CONFIG}")],
    );
    assert_eq!(code, 0, "{out}{err}");

    // Without lingering no manager of the user's runs (no session either): doctor says both,
    // install refuses before writing a unit.
    let (code, out, err) = host.as_user(BIN, &["doctor", "-c", USER_CONFIG]);
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_eq!(
        out.lines().take(4).collect::<Vec<_>>(),
        [
            "FAIL  systemd: no systemd user manager answers `systemctl --user \
             is-system-running`: no timer fires",
            "      fix: boot with systemd as PID 1, or use target = \"crontab\" or \"cron.d\"; \
             for user units, log in or `sudo loginctl enable-linger USER`",
            "WARN  lingering: off: crontainer-u's timers stop when crontainer-u's last session \
             ends",
            "      fix: `sudo loginctl enable-linger crontainer-u`",
        ],
        "{out}"
    );
    let (code, out, err) = host.as_user(BIN, &["install", "-c", USER_CONFIG]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            1,
            "",
            "crontainer: error: no systemd user manager answers `systemctl --user \
             is-system-running`, so no timer would fire; nothing changed. Boot with systemd as \
             PID 1 (for user units: log in, or `sudo loginctl enable-linger USER`), or use \
             target = \"crontab\" or \"cron.d\"\n"
        )
    );
    assert_eq!(host.stdout(&format!("ls -A /home/{USER}/.config")), "");

    // Lingering starts the user's manager, user@UID.service, which needs pam_systemd.
    let linger = host.sh(&format!("loginctl enable-linger {USER}"));
    assert!(linger.status.success(), "{linger:?}");
    let manager = format!("user@{USER_UID}.service");
    assert!(
        wait_until(Duration::from_secs(20), POLL, || {
            host.stdout(&format!("systemctl is-active {manager}")) == "active\n"
        }),
        "{}",
        host.stdout(&format!("systemctl status {manager}; journalctl -n 30"))
    );
    let (code, out, err) = host.as_user(BIN, &["doctor", "-c", USER_CONFIG]);
    // Still 1: the job is not installed yet.
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_eq!(
        out.lines().take(2).collect::<Vec<_>>(),
        [
            "ok    systemd: crontainer-u's user manager is running",
            "ok    lingering: on: crontainer-u's timers fire while crontainer-u is logged out",
        ],
        "{out}"
    );

    let (code, out, err) = host.as_user(BIN, &["install", "-c", USER_CONFIG]);
    assert_eq!(code, 0, "{out}{err}");
    let said: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("installed block"))
        .collect();
    assert_eq!(
        mask_backup(&said.join("\n")),
        "installed block `mine` with 1 job into systemd units crontainer-mine-* in \
         /home/crontainer-u/.config/systemd/user, running as crontainer-u.\n\
         previous version saved to /home/crontainer-u/.local/state/crontainer/backups/\
         systemd-user-crontainer-u-mine.TIME",
        "{out}"
    );
    // No lingering warning now, nor any other.
    assert_eq!(err, "");
    assert!(!out.contains("linger"), "{out}");
    assert_eq!(
        host.stdout(&format!("ls {USER_UNITS} | grep crontainer")),
        "crontainer-mine-tock.service\ncrontainer-mine-tock.timer\n"
    );
    rotation_advice_works_as_printed(host, &out);
    let (_, out, _) = host.as_user(
        "sh",
        &[
            "-c",
            &format!(
                "systemctl --user is-enabled {USER_TIMER}; systemctl --user is-active {USER_TIMER}"
            ),
        ],
    );
    assert_eq!(out, "enabled\nactive\n");
}

/// A user's install cannot write /etc/logrotate.d: it says how to rotate the logs with a timer
/// of the user's own manager (this host has no cron daemon to take a crontab line), and what it
/// says, pasted into a shell as the user, gives a timer that manager loads and starts. The
/// timer is removed again, so `uninstall` leaves the directory empty.
fn rotation_advice_works_as_printed(host: &SystemdHost, install_out: &str) {
    let advice: Vec<&str> = install_out
        .lines()
        .skip_while(|l| !l.starts_with("logs are not rotated"))
        .take_while(|l| !l.starts_with("--- "))
        .collect();
    assert_eq!(
        advice.join("\n"),
        format!(
            "logs are not rotated: /etc/logrotate.d is root's. To rotate them as {USER} with a \
             timer of {USER}'s systemd manager instead, run\n  \
             mkdir -p ~/.config/crontainer ~/.local/state {USER_UNITS} && cat > \
             ~/.config/crontainer/logrotate-mine.conf <<'EOF'\n\
             # crontainer:mine target=systemd user={USER} size=10M keep=5\n\
             # Managed by crontainer: rotates the logs of block `mine`; `crontainer uninstall` \
             removes it.\n\
             /home/{USER}/logs/tock.log {{\n\tsize 10M\n\trotate 5\n\tcopytruncate\n\
             \tmissingok\n\tnotifempty\n\tcompress\n\tdelaycompress\n}}\n\
             EOF\n  \
             cat > {USER_UNITS}/logrotate-crontainer-mine.service <<'EOF'\n\
             [Unit]\nDescription=Rotate the logs of crontainer block mine\n\n\
             [Service]\nType=oneshot\nExecStart=/usr/sbin/logrotate -s \
             %h/.local/state/crontainer-logrotate.state \
             %h/.config/crontainer/logrotate-mine.conf\nEOF\n  \
             cat > {USER_UNITS}/logrotate-crontainer-mine.timer <<'EOF'\n\
             [Unit]\nDescription=Rotate the logs of crontainer block mine every hour\n\n\
             [Timer]\nOnCalendar=*-*-* *:17:00\n\n[Install]\nWantedBy=timers.target\nEOF\n  \
             systemctl --user daemon-reload && systemctl --user enable --now \
             logrotate-crontainer-mine.timer"
        ),
        "{install_out}"
    );
    let script = advice[1..].join("\n");
    let (code, out, err) = host.as_user("sh", &["-c", &format!("cd && {script}")]);
    assert_eq!(code, 0, "{out}{err}");
    let timer = "logrotate-crontainer-mine.timer";
    let (_, out, _) = host.as_user(
        "sh",
        &[
            "-c",
            &format!("systemctl --user is-enabled {timer}; systemctl --user is-active {timer}"),
        ],
    );
    assert_eq!(out, "enabled\nactive\n");
    let (code, out, err) = host.as_user(
        "sh",
        &[
            "-c",
            &format!(
                "systemctl --user disable --now {timer} && rm {USER_UNITS}/logrotate-crontainer-* \
                 && systemctl --user daemon-reload"
            ),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
}

/// The user's timer fires into the app container; `status` reads it from the user's manager;
/// `uninstall` leaves no unit on disk or loaded.
fn user_fired_and_uninstalls(host: &SystemdHost, app: &Container) {
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, || calls_of(app, &["tock"]) > 0),
        "the user's timer did not fire within {CRON_FIRE_TIMEOUT:?}: {:?}",
        host.as_user(
            "sh",
            &[
                "-c",
                "systemctl --user status 'crontainer-*'; journalctl -n 30"
            ]
        )
    );
    let (code, out, err) = host.as_user(BIN, &["status", "-c", USER_CONFIG]);
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
        "host: systemd running: crontainer-u's user manager is running; container runtime \
         answers; jobs read from systemd units crontainer-mine-* in \
         /home/crontainer-u/.config/systemd/user, compared with /home/crontainer-u/c.toml"
    );

    let (code, out, err) = host.as_user(BIN, &["uninstall", "-c", USER_CONFIG]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(
        mask_backup(
            &out.lines()
                .skip_while(|l| !l.starts_with("removed"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        "removed tock from systemd units crontainer-mine-* in \
         /home/crontainer-u/.config/systemd/user; logs were kept.\n\
         previous version saved to /home/crontainer-u/.local/state/crontainer/backups/\
         systemd-user-crontainer-u-mine.TIME",
        "{out}"
    );
    assert_eq!(host.stdout(&format!("ls -A {USER_UNITS}")), "");
    let (_, out, _) = host.as_user(
        "systemctl",
        &[
            "--user",
            "list-units",
            "--all",
            "--no-legend",
            "crontainer*",
        ],
    );
    assert_eq!(out, "");
    let (code, out, err) = host.as_user(BIN, &["uninstall", "-c", USER_CONFIG]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "nothing to remove: systemd units crontainer-mine-* in \
             /home/crontainer-u/.config/systemd/user has no crontainer block `mine`.\n",
            ""
        )
    );
}
