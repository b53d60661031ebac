//! `catch_up = true` and `[monitoring] textfile_dir`: the catch-up (`@reboot`) runner line, for
//! an interval, a cron `schedule` and a Compose service alike, carries the install time
//! (`--since`) and survives install, pause, resume and uninstall with the metrics line; run by
//! `/bin/sh` as cron would, its run is the catch-up's in `status`. Which firing the catch-up
//! finds is the runner's (`src/exec/`, tested there with an injected clock).

use std::process::Command;

use crate::common::{Env, stderr_of, stdout_of};

/// The command of an installed `@reboot` line as cron hands it to `/bin/sh` (`\%` back to `%`;
/// a crontab line, so no user column).
fn reboot_command(line: &str) -> String {
    line.strip_prefix("@reboot ")
        .unwrap_or_else(|| panic!("not an @reboot line: {line}"))
        .replace("\\%", "%")
}

/// A config with two jobs (one catching up) and the metrics line, into `prom`.
fn two_jobs(env: &Env) -> std::path::PathBuf {
    std::fs::create_dir_all(env.path("prom")).unwrap();
    env.config(
        "[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\n\
         [[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\n\
         catch_up = true\nlog = \"{dir}/logs/a.log\"\n\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"y\"]\nevery = \"1h\"\n\
         log = \"{dir}/logs/b.log\"\n",
    )
}

#[test]
fn install_writes_the_catch_up_and_metrics_lines_and_pause_resume_uninstall_keep_them_right() {
    let env = Env::new();
    let config = two_jobs(&env);
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "");
    let installed = env.crontab().unwrap();
    let lines: Vec<&str> = installed.lines().collect();
    let exe = env.path("bin/crontainer");
    let prom = env.path("prom");
    let metrics_line = format!(
        "* * * * * {} metrics -q -c {} --target crontab --user {} --textfile {}",
        exe.display(),
        config.display(),
        Env::user(),
        prom.display()
    );
    assert_eq!(
        lines[lines.len() - 3..],
        [
            format!("# crontainer:metrics textfile={}", prom.display()).as_str(),
            metrics_line.as_str(),
            "# END crontainer:crontainer"
        ],
        "{installed}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("@reboot ")).count(),
        1
    );
    let marker_a = lines.iter().position(|l| l.contains("job id=a ")).unwrap();
    assert!(lines[marker_a].contains(" catch_up=true"), "{installed}");
    let dir = env.dir.path().display().to_string();
    let installed_at = "2026-11-29T12:34:56Z";
    assert_eq!(
        lines[marker_a + 1..marker_a + 3],
        [
            format!(
                "0 * * * * {dir}/bin/crontainer exec a --block crontainer --every 5h --log {dir}/logs/a.log \
                 --runtime {dir}/bin/docker -- c x"
            ),
            format!(
                "@reboot {dir}/bin/crontainer exec a --block crontainer --every 5h --log {dir}/logs/a.log \
                 --runtime {dir}/bin/docker --since {installed_at} --catch-up -- c x"
            )
        ],
        "{installed}"
    );
    // Idempotent, like every line crontainer writes.
    let again = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert!(
        stdout_of(&again).contains("is up to date"),
        "{}",
        stdout_of(&again)
    );
    let status = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert!(
        !stdout_of(&status).contains("drifted"),
        "{}",
        stdout_of(&status)
    );

    // Pause comments out both of a's lines, and nothing else; resume gives the bytes back.
    let paused = env.cmd(["pause", "a", "-c"]).arg(&config).output().unwrap();
    assert!(paused.status.success(), "{}", stderr_of(&paused));
    let text = env.crontab().unwrap();
    assert!(
        text.contains(&format!("\n#paused# {}\n", lines[marker_a + 2])),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("#paused# ")).count(),
        2
    );
    assert!(text.contains(&format!("\n{metrics_line}\n")), "{text}");
    let resumed = env
        .cmd(["resume", "a", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", stderr_of(&resumed));
    assert_eq!(env.crontab().unwrap(), installed);

    // Removing a job keeps the metrics line; removing the block removes it.
    let out = env
        .cmd(["uninstall", "a", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = env.crontab().unwrap();
    assert!(
        !text.contains("@reboot") && !text.contains("job id=a "),
        "{text}"
    );
    assert!(text.contains(&format!("\n{metrics_line}\n")), "{text}");
    let out = env.cmd(["uninstall", "-c"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!env.crontab().unwrap_or_default().contains("crontainer"));
}

#[test]
fn plan_shows_both_lines_and_install_refuses_a_missing_textfile_dir() {
    let env = Env::new();
    let config = two_jobs(&env);
    let plan = env.cmd(["plan", "-c"]).arg(&config).output().unwrap();
    assert!(plan.status.success(), "{}", stderr_of(&plan));
    let text = stdout_of(&plan);
    // Not installed yet: no `--since`.
    let dir = env.dir.path().display().to_string();
    assert!(
        text.contains(&format!(
            "\n@reboot {dir}/bin/crontainer exec a --block crontainer --every 5h --log {dir}/logs/a.log \
             --runtime {dir}/bin/docker --catch-up -- c x\n"
        )),
        "{text}"
    );
    assert!(text.contains(" metrics -q -c "), "{text}");
    assert!(text.contains("#   catch-up:  after a boot"), "{text}");

    std::fs::remove_dir(env.path("prom")).unwrap();
    env.set_crontab("# mine\n");
    let before = env.snapshot();
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("`monitoring.textfile_dir`")
            && stderr_of(&out).contains("is not a directory"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn status_reads_a_run_of_the_installed_catch_up_line() {
    let env = Env::new();
    // The seed job's command and interval; a short log path, as the temp dir's is long.
    let config = env.config(
        "[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"ai-video-backend\"\n\
         command = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\ncatch_up = true\n\
         log = \"{dir}/m.log\"\n",
    );
    env.install(&config);
    let line = env
        .crontab()
        .unwrap()
        .lines()
        .find(|l| l.starts_with("@reboot "))
        .map(reboot_command)
        .unwrap();
    // Installed and never started: the slots before were missed.
    assert_eq!(env.read("m.log.lock"), "");
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
        // The fake docker answers, not a daemon on this machine's socket.
        .env("CRONTAINER_DOCKER_SOCKET", env.path("no-docker.sock"))
        // The test's own run history, never root's.
        .env("CRONTAINER_HISTORY_DIR", env.path("history"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.docker_calls().len(), 1, "one run");
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let last = &json["jobs"][0]["last_run"];
    assert_eq!(last["started"]["by"], "catch-up", "{json:#}");
    assert_eq!(last["ended"]["by"], "catch-up", "{json:#}");
    assert!(
        last["summary"]
            .as_str()
            .unwrap()
            .contains("by the catch-up after a boot"),
        "{last:#}"
    );

    // Run again: the run just now is the last start, so there is nothing to catch up.
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
        // The fake docker answers, not a daemon on this machine's socket.
        .env("CRONTAINER_DOCKER_SOCKET", env.path("no-docker.sock"))
        // The test's own run history, never root's.
        .env("CRONTAINER_HISTORY_DIR", env.path("history"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(env.docker_calls().len(), 1, "still one run");
    let status = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let summary = json["jobs"][0]["last_run"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("after a boot found no missed firing"),
        "{summary}\n{}",
        env.read("m.log")
    );
}
