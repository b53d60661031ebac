//! Faults: the programs and files crontainer depends on fail in the ways they fail on real
//! hosts (issue 6, "Prove it loses nothing and lets nothing in"). Each case checks three things:
//! a clear message, the previous crontab or cron.d file byte-identical, nothing half-written
//! (no temp files left behind).
//!
//! Hermetic, with the fakes of `common`; the faults only root can make (a full filesystem, a
//! tmpfs mounted by the test) are `#[ignore]`d like the e2e tests, and run as root with them.
//!
//! This part: the rest of the host: the cron.d directory, the Docker and cron daemons, the
//! log's directory and file, a full disk.

use crate::common::{self, Env, PRECIOUS, fails_with, stderr_of, stdout_of, without_blocks};

#[test]
fn a_missing_cron_d_dir_is_a_clear_error_and_creates_nothing() {
    let env = Env::new();
    let config = env.simple_config("");
    std::fs::write(env.path("a-file"), "x\n").unwrap();
    for dir in ["no-such-dir", "a-file"] {
        let path = env.path(dir);
        fails_with(
            env.cmd(["install", "--target", "cron.d", "--user", "root", "-c"])
                .arg(&config)
                .env("CRONTAINER_CROND_DIR", &path),
            1,
            &path.display().to_string(),
        );
        assert!(!env.path("no-such-dir").exists());
        assert_eq!(env.read("a-file"), "x\n");
        assert!(
            std::fs::read_dir(env.path("logrotate.d"))
                .unwrap()
                .next()
                .is_none(),
            "{dir}: a logrotate file for a block that was never installed"
        );
    }
}

#[test]
fn docker_daemon_down_install_warns_and_still_installs() {
    let env = Env::new();
    env.set_crontab(PRECIOUS);
    let config = env.simple_config("");
    let out = env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.starts_with("crontainer: warning: ")
            && err.contains("Cannot connect to the Docker daemon"),
        "{err}"
    );
    let text = env.crontab().unwrap();
    assert_eq!(without_blocks(&text), PRECIOUS, "{text}");
    assert!(text.contains("# BEGIN crontainer:crontainer\n"), "{text}");
}

#[test]
fn docker_daemon_down_status_exits_1_and_says_so() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let out = env
        .cmd(["status", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout_of(&out);
    assert!(text.contains("container runtime does NOT answer"), "{text}");
    assert!(
        text.contains("Cannot connect to the Docker daemon"),
        "{text}"
    );
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["runtime_answers"], false, "{doc}");
    assert_eq!(doc["healthy"], false, "{doc}");
}

#[test]
fn docker_daemon_down_run_now_fails_and_logs_the_failure() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    // The runner finds no container to run in (exit 69, EX_UNAVAILABLE); the daemon's own
    // message reaches the user (streamed from the log) and stays in the log.
    assert_eq!(out.status.code(), Some(69), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains(&format!(
            "\ncrontainer: {} could not say whether container ai-video-backend runs: Cannot \
             connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon \
             running?\n",
            env.path("bin/docker").display()
        )),
        "{}",
        stdout_of(&out)
    );
    let log = env.read("logs/main.log");
    assert!(
        crate::common::any_seconds(&log)
            .contains("main_pipeline_v2 end exit=69 seconds=N reason=no_container run="),
        "{log}"
    );
    // And status then shows a failed last run.
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["jobs"][0]["last_run"]["succeeded"], false, "{doc}");
}

#[test]
fn docker_daemon_down_doctor_fails_the_runtime_check() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let out = env
        .cmd(["doctor", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout_of(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  container runtime")),
        "{text}"
    );
}

#[test]
fn no_cron_daemon_status_and_doctor_exit_1_and_say_so() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    env.no_cron_daemon();
    let out = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout_of(&out).contains("cron daemon NOT running: nothing will fire"),
        "{}",
        stdout_of(&out)
    );
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["cron_daemon"], serde_json::Value::Null, "{doc}");
    let out = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout_of(&out).contains("FAIL  cron daemon: no cron daemon is running"),
        "{}",
        stdout_of(&out)
    );
    // An empty or unreadable /proc is no daemon either, not a crash.
    for proc in ["empty-proc", "no-such-proc"] {
        if proc == "empty-proc" {
            std::fs::create_dir_all(env.path(proc)).unwrap();
        }
        let out = env
            .cmd(["status", "-c"])
            .arg(&config)
            .env("CRONTAINER_PROC", env.path(proc))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{proc}: {}", stderr_of(&out));
        assert!(
            stdout_of(&out).contains("cron daemon NOT running"),
            "{proc}"
        );
    }
}

#[test]
fn log_dir_removed_after_install_doctor_says_so() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    std::fs::remove_dir_all(env.path("logs")).unwrap();
    let out = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout_of(&out);
    assert!(
        text.contains(&format!(
            "FAIL  log of main_pipeline_v2: {} is missing",
            env.path("logs").display()
        )),
        "{text}"
    );
}

#[test]
fn log_dir_removed_after_install_status_says_so() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    std::fs::remove_dir_all(env.path("logs")).unwrap();
    let out = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&env.path("logs").display().to_string()),
        "{text}"
    );
    assert!(text.contains("missing"), "{text}");
}

#[test]
fn log_dir_removed_after_install_run_now_fails_and_runs_nothing() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    std::fs::remove_dir_all(env.path("logs")).unwrap();
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = stderr_of(&out);
    assert!(
        err.contains(&env.path("logs").display().to_string()),
        "{err}"
    );
    assert!(env.docker_calls().is_empty(), "ran without a log");
    assert!(!env.path("logs").exists(), "run-now is not install");
}

#[test]
fn log_dir_removed_after_install_run_now_says_so_in_its_own_words() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    std::fs::remove_dir_all(env.path("logs")).unwrap();
    fails_with(
        env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config),
        1,
        &env.path("logs").display().to_string(),
    );
}

/// The log cannot be written when the job fires: replaced by a directory (a fault root cannot
/// write through either), or made read-only (for other users).
#[test]
fn log_not_writable_at_fire_time_fails_the_run_and_status_says_so() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let log = env.path("logs/main.log");
    std::fs::remove_file(&log).unwrap();
    std::fs::create_dir(&log).unwrap();
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr_of(&out).contains(&log.display().to_string()),
        "{}",
        stderr_of(&out)
    );
    assert!(env.docker_calls().is_empty(), "ran without a log");
    let out = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout_of(&out).contains("cannot read the log"),
        "{}",
        stdout_of(&out)
    );

    // A read-only log (by mode for a normal user, a read-only bind mount for root).
    std::fs::remove_dir(&log).unwrap();
    std::fs::write(&log, "").unwrap();
    let read_only = common::ReadOnly::new(&log);
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    drop(read_only);
    assert_ne!(out.status.code(), Some(0));
    assert!(env.docker_calls().is_empty(), "ran without a log");
    assert_eq!(env.read("logs/main.log"), "");
}

/// A full filesystem under cron.d and the state dir: a tiny tmpfs mounted by the test, filled
/// up first. The previous file stays byte-identical and no temp file is left behind.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_full_disk_leaves_the_previous_cron_d_file_and_no_temp_files() {
    assert!(common::is_root(), "mounts a tmpfs: run as root");
    let env = Env::new();
    let mnt = Tmpfs::mount(&env.path("full"));
    // Two layouts: backups on the full disk too (the backup fails first), or only cron.d full
    // (the backup succeeds, the file write fails).
    for (state, label) in [
        (mnt.path.join("state"), "all full"),
        (env.path("state"), "cron.d full"),
    ] {
        let crond = mnt.path.join("cron.d");
        let _ = std::fs::remove_file(mnt.path.join("filler"));
        std::fs::create_dir_all(&crond).unwrap();
        std::fs::create_dir_all(&state).unwrap();
        let config = env.simple_config("");
        let install = |config: &std::path::Path| {
            env.cmd(["install", "--target", "cron.d", "--user", "root", "-c"])
                .arg(config)
                .env("CRONTAINER_CROND_DIR", &crond)
                .env("CRONTAINER_STATE_DIR", &state)
                .output()
                .unwrap()
        };
        let out = install(&config);
        assert!(out.status.success(), "{label}: {}", stderr_of(&out));
        let before = std::fs::read(crond.join("crontainer")).unwrap();
        mnt.fill();
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("main_v2.py", "main_v3.py");
        std::fs::write(&config, text).unwrap();
        let out = install(&config);
        assert_eq!(out.status.code(), Some(1), "{label}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.contains("No space left on device"), "{label}: {err}");
        assert_eq!(
            std::fs::read(crond.join("crontainer")).unwrap(),
            before,
            "{label}"
        );
        for dir in [crond.clone(), state.join("backups")] {
            let temps: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".crontainer-"))
                .collect();
            assert!(
                temps.is_empty(),
                "{label}: temp files in {}: {temps:?}",
                dir.display()
            );
        }
        // Uninstall on a full disk fails the same way and keeps the file.
        let out = env
            .cmd(["uninstall", "--target", "cron.d", "-c"])
            .arg(&config)
            .env("CRONTAINER_CROND_DIR", &crond)
            .env("CRONTAINER_STATE_DIR", &state)
            .output()
            .unwrap();
        if label == "all full" {
            assert_eq!(out.status.code(), Some(1), "{label}: {}", stderr_of(&out));
            assert_eq!(std::fs::read(crond.join("crontainer")).unwrap(), before);
        } else {
            // Removing a file needs no space: uninstall works on a full disk.
            assert!(out.status.success(), "{label}: {}", stderr_of(&out));
        }
        let _ = std::fs::remove_file(crond.join("crontainer"));
    }
}

/// A tmpfs of 64 KiB mounted at a path the test owns; unmounted on drop.
struct Tmpfs {
    path: std::path::PathBuf,
}

impl Tmpfs {
    fn mount(path: &std::path::Path) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "mount: {}", stderr_of(&out));
        Tmpfs {
            path: path.to_path_buf(),
        }
    }

    /// Fills the filesystem until a write fails with ENOSPC.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.path.join("filler")).unwrap();
        let chunk = [b'x'; 512];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(nix::libc::ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", self.path.display()),
            }
        }
        let _ = file.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .output();
    }
}

#[test]
fn a_crond_in_another_pid_namespace_is_not_the_hosts_cron_daemon() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    env.no_cron_daemon();
    // busybox's crond inside a container: /proc shows it, with the container's PID namespace.
    std::fs::create_dir_all(env.path("proc/77/ns")).unwrap();
    std::fs::write(env.path("proc/77/comm"), "busybox\n").unwrap();
    std::fs::write(env.path("proc/77/cmdline"), b"busybox\0crond\0-f\0").unwrap();
    std::os::unix::fs::symlink("pid:[1]", env.path("proc/77/ns/pid")).unwrap();
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["cron_daemon"], serde_json::Value::Null, "{doc}");
    assert_eq!(out.status.code(), Some(1));
    let doctor = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(doctor.status.code(), Some(1));

    // The same process in our own namespace is the daemon, named with its binary.
    std::fs::remove_file(env.path("proc/77/ns/pid")).unwrap();
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    std::os::unix::fs::symlink(&ours, env.path("proc/77/ns/pid")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/busybox", env.path("proc/77/exe")).unwrap();
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(
        doc["cron_daemon"], "busybox crond (pid 77, /usr/bin/busybox)",
        "{doc}"
    );
}

/// Issue 25: a run whose end line a full disk kept out of the log is named for that, not "killed,
/// or the host went down".
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_run_without_an_end_line_on_a_full_disk_says_the_disk_is_full() {
    assert!(common::is_root(), "mounts a tmpfs: run as root");
    let env = Env::new();
    let mnt = Tmpfs::mount(&env.path("full"));
    // A tmpfs is 1777; a root job's log must lie where only root writes.
    std::fs::set_permissions(
        &mnt.path,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = env.config(
        "[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"ai-video-backend\"\n\
         command = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\nlog = \"{dir}/full/main.log\"\n",
    );
    env.install(&config);
    std::fs::write(
        mnt.path.join("main.log"),
        "[crontainer] 2026-11-29T12:30:00Z main_pipeline_v2 start pid=4242 by=cron\nout\n",
    )
    .unwrap();
    mnt.fill();
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        doc["jobs"][0]["problems"],
        serde_json::json!([format!(
            "the run started at 2026-11-29T12:30:00Z did not finish (no end line): the disk \
             holding its log is full ({} has no space left), so its end line could not be \
             written; free space there",
            mnt.path.display()
        )]),
        "{doc:#}"
    );
}

/// Issue 25, item 9: a `runtime_env` DOCKER_HOST whose daemon does not answer: install's warning
/// reads as a sentence, and doctor's fix is not `systemctl start docker` on this host.
#[test]
fn a_dead_remote_docker_host_is_said_plainly_by_install_and_doctor() {
    let env = Env::new();
    let config = env.config(
        "[defaults]\nruntime_env = { DOCKER_HOST = \"tcp://127.0.0.1:9\" }\n\
         [[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{dir}/logs/j.log\"\n",
    );
    let docker = env.path("bin/docker");
    let out = env
        .cmd(["install", "-q", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (Some(0), String::new()),
        "-q: no warning"
    );
    let out = env
        .cmd(["install", "--dry-run", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!(
            "crontainer: warning: job \"j\": cannot tell whether container \"c\" runs, as {} \
             did not answer (Cannot connect to the Docker daemon at \
             unix:///var/run/docker.sock. Is the docker daemon running?); the job will fail \
             while it does not\n",
            docker.display()
        )
    );
    let out = env
        .cmd(["doctor", "--json", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_STATE", "down")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let runtime = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "container runtime")
        .unwrap();
    assert_eq!(
        runtime["fix"],
        format!(
            "start the daemon at tcp://127.0.0.1:9 (`[defaults] runtime_env` DOCKER_HOST), or \
             correct `runtime_env` in the config; `DOCKER_HOST=tcp://127.0.0.1:9 {} version` \
             shows the error",
            docker.display()
        ),
        "{doc:#}"
    );
}
