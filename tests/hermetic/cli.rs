//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs.

use crate::common::{Env, stderr_of, stdout_of};

#[track_caller]
fn ok(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert_eq!(stderr_of(&output), "", "stderr must be empty on success");
    stdout_of(&output)
}

#[track_caller]
fn fails(cmd: &mut assert_cmd::Command, code: i32) -> String {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stderr_of(&output)
}

#[test]
fn plan_prints_the_block_for_the_shipped_example() {
    let env = Env::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let out = ok(env.cmd(["plan", "-c"]).arg(&example));
    let docker = env.path("bin/docker").display().to_string();
    assert!(out.starts_with("# BEGIN crontainer:crontainer\n"), "{out}");
    assert!(out.contains("\n# END crontainer:crontainer\n"), "{out}");
    assert!(
        out.contains(&format!(
            "{docker} exec ai-video-backend python main_v2.py;"
        )),
        "{out}"
    );
    assert!(
        out.contains("# crontainer:job id=main_pipeline_v2 "),
        "{out}"
    );
    assert!(out.contains(" log=/var/log/main_pipeline.log "), "{out}");
    // Every % reaches cron escaped.
    let line = out.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(!line.replace("\\%", "").contains('%'), "{line}");
    assert!(line.len() <= 998);
}

#[test]
fn plan_json_is_one_document_with_the_line() {
    let env = Env::new();
    let config = env.simple_config("");
    let out = ok(env.cmd(["plan", "--json", "-c"]).arg(&config));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["jobs"][0]["id"], "main_pipeline_v2");
    let line = doc["jobs"][0]["line"].as_str().unwrap();
    assert!(doc["text"].as_str().unwrap().contains(line));
}

#[test]
fn plan_warns_but_works_without_docker() {
    let env = Env::new();
    // A PATH with flock and date but no docker.
    std::fs::create_dir(env.path("bare")).unwrap();
    for tool in ["flock", "date"] {
        std::os::unix::fs::symlink(which::which(tool).unwrap(), env.path("bare").join(tool))
            .unwrap();
    }
    let config = env.simple_config("");
    let output = env
        .cmd(["plan", "-c"])
        .arg(&config)
        .env("PATH", env.path("bare"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output)
            .contains("`docker` was not found on PATH; the line would use /usr/bin/docker"),
        "{}",
        stderr_of(&output)
    );
    assert!(stdout_of(&output).contains("/usr/bin/docker exec ai-video-backend"));
}

#[test]
fn install_then_uninstall_gives_back_the_crontab_byte_for_byte() {
    let env = Env::new();
    let config = env.simple_config("");
    let original = "MAILTO=ops@example.com\n# my own job\n*/10 * * * * /usr/local/bin/backup --fast\n\n# Begin Whenever generated tasks for: app\n0 4 * * * /bin/bash -l -c 'echo hi'\n# End Whenever generated tasks for: app\n#Ansible: nightly\n0 2 * * * /opt/nightly.sh\n";
    env.set_crontab(original);

    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(
        out.contains("installed block `crontainer` with 1 job"),
        "{out}"
    );
    assert!(out.contains("previous version saved to"), "{out}");
    let installed = env.crontab().unwrap();
    assert!(
        installed.starts_with(original),
        "user lines must stay first and intact"
    );
    assert!(installed.contains("# BEGIN crontainer:crontainer\n"));

    // Idempotent: the same config again changes nothing and says so.
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("is up to date"), "{out}");
    assert_eq!(env.crontab().unwrap(), installed);

    let out = ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert!(out.contains("removed main_pipeline_v2"), "{out}");
    assert_eq!(env.crontab().unwrap(), original);

    let out = ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert!(out.contains("nothing to remove"), "{out}");
    assert_eq!(env.crontab().unwrap(), original);
}

#[test]
fn install_keeps_a_backup_of_the_previous_crontab() {
    let env = Env::new();
    env.set_crontab("# before\n");
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let backups: Vec<_> = std::fs::read_dir(env.path("state/backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), "# before\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&backups[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "backups are private: {mode:o}");
}

#[test]
fn install_json_says_whether_anything_changed() {
    let env = Env::new();
    let config = env.simple_config("");
    let first: serde_json::Value =
        serde_json::from_str(&ok(env.cmd(["install", "--json", "-c"]).arg(&config))).unwrap();
    assert_eq!(first["changed"], true);
    let second: serde_json::Value =
        serde_json::from_str(&ok(env.cmd(["install", "--json", "-c"]).arg(&config))).unwrap();
    assert_eq!(second["changed"], false);
    assert_eq!(second["backup"], serde_json::Value::Null);
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let config = env.simple_config("");
    let out = ok(env.cmd(["install", "--dry-run", "-c"]).arg(&config));
    assert!(out.contains("+# BEGIN crontainer:crontainer"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(env.crontab().unwrap(), "# mine\n");
    assert!(!env.path("state/backups").exists());
}

#[test]
fn a_hand_edited_block_is_refused_and_nothing_changes() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let installed = env.crontab().unwrap();
    let edited = installed.replace(
        "# END crontainer:crontainer\n",
        "* * * * * echo sneaky\n# END crontainer:crontainer\n",
    );
    env.set_crontab(&edited);
    let err = fails(env.cmd(["install", "-c"]).arg(&config), 2);
    assert!(err.contains("edited by hand"), "{err}");
    assert_eq!(env.crontab().unwrap(), edited);
    let err = fails(
        env.cmd(["uninstall", "main_pipeline_v2", "-c"])
            .arg(&config),
        2,
    );
    assert!(err.contains("edited by hand"), "{err}");
    assert_eq!(env.crontab().unwrap(), edited);
}

#[test]
fn uninstall_one_job_keeps_the_others() {
    let env = Env::new();
    let config = env.config(
        "[[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/a.log\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"y\"]\nevery = \"1h\"\nlog = \"{dir}/logs/b.log\"\n",
    );
    ok(env.cmd(["install", "-c"]).arg(&config));
    ok(env.cmd(["uninstall", "a", "-c"]).arg(&config));
    let text = env.crontab().unwrap();
    assert!(!text.contains("id=a "), "{text}");
    assert!(text.contains("id=b "), "{text}");
    let err = fails(env.cmd(["uninstall", "a", "-c"]).arg(&config), 2);
    assert!(err.contains("job \"a\" is not installed"), "{err}");
    ok(env.cmd(["uninstall", "b", "-c"]).arg(&config));
    assert_eq!(
        env.crontab().unwrap(),
        "",
        "the block goes when its last job does"
    );
}

#[test]
fn uninstall_without_a_config_removes_every_crontainer_block() {
    let env = Env::new();
    let config = env.simple_config("");
    env.set_crontab("# keep me\n");
    ok(env.cmd(["install", "-c"]).arg(&config));
    std::fs::remove_file(&config).unwrap();
    ok(&mut env.cmd(["uninstall"]));
    assert_eq!(env.crontab().unwrap(), "# keep me\n");
}

#[test]
fn a_failing_crontab_write_leaves_the_crontab_alone() {
    let env = Env::new();
    env.set_crontab("# precious\n");
    let config = env.simple_config("");
    let err = fails(
        env.cmd(["install", "-c"])
            .arg(&config)
            .env("FAKE_CRONTAB_FAIL", "1"),
        1,
    );
    assert!(
        err.contains("bad minute"),
        "the crontab program's own message is shown: {err}"
    );
    assert_eq!(env.crontab().unwrap(), "# precious\n");
}

#[test]
fn cron_d_target_writes_a_root_style_file() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env
        .cmd(["install", "--target", "cron.d", "--user", "root", "-c"])
        .arg(&config));
    let path = env.path("cron.d/crontainer");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with('\n'),
        "Debian's cron ignores a cron.d file without a final newline"
    );
    let line = text.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(line.starts_with("0 * * * * root "), "{line}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    ok(env
        .cmd(["uninstall", "--target", "cron.d", "-c"])
        .arg(&config));
    assert!(!path.exists(), "the file goes when nothing is left in it");
}

#[test]
fn install_refuses_a_missing_runtime_and_changes_nothing() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let config = env.simple_config("");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.insert_str(0, "[defaults]\nruntime = \"/nonexistent/docker\"\n");
    std::fs::write(&config, text).unwrap();
    let err = fails(env.cmd(["install", "-c"]).arg(&config), 2);
    assert!(err.contains("/nonexistent/docker"), "{err}");
    assert_eq!(env.crontab().unwrap(), "# mine\n");
}

#[test]
fn run_now_runs_the_installed_line_and_passes_on_its_exit_code() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    let out = stdout_of(&output);
    assert!(out.contains("stdout: hello from the container"), "{out}");
    assert!(out.contains("stderr: warning from the container"), "{out}");
    let log = env.read("logs/main.log");
    let user = Env::user();
    assert!(log.contains("main_pipeline_v2 start pid="), "{log}");
    assert!(
        log.contains("main_pipeline_v2 end exit=3 seconds="),
        "{log}"
    );
    assert!(log.contains(&format!("by=run-now:{user}")), "{log}");
    assert_eq!(
        env.docker_calls(),
        vec![vec!["ai-video-backend", "python", "main_v2.py"]]
    );
}

#[test]
fn run_now_of_a_running_job_exits_75_and_starts_nothing() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let lock = env.path("logs/main.log.lock");
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&lock)
        .unwrap();
    let _held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let err = fails(
        env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config),
        75,
    );
    assert!(err.contains("is already running"), "{err}");
    assert!(env.docker_calls().is_empty());
}

#[test]
fn run_now_of_an_unknown_job_is_a_usage_error() {
    let env = Env::new();
    let config = env.simple_config("");
    let err = fails(env.cmd(["run-now", "nope", "-c"]).arg(&config), 2);
    assert!(err.contains("job \"nope\" is not installed"), "{err}");
}

#[test]
fn sixteen_parallel_installs_of_different_blocks_lose_nothing() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let children: Vec<_> = (0..16)
        .map(|i| {
            let config = env.path(&format!("c{i}.toml"));
            std::fs::write(
                &config,
                format!(
                    "[cron]\nname = \"block{i}\"\n[[job]]\nid = \"j{i}\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{}/logs/j{i}.log\"\n",
                    env.dir.path().display()
                ),
            )
            .unwrap();
            env.std_cmd(["install", "-c"])
                .arg(&config)
                .stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    let text = env.crontab().unwrap();
    assert!(text.starts_with("# mine\n"));
    for i in 0..16 {
        assert!(
            text.contains(&format!("# BEGIN crontainer:block{i}\n")),
            "block{i} lost:\n{text}"
        );
    }
}

#[test]
fn status_reports_installed_jobs_their_last_run_and_the_container() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));

    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed last run is unhealthy: {}",
        stderr_of(&output)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let job = &doc["jobs"][0];
    assert_eq!(job["id"], "main_pipeline_v2");
    assert_eq!(job["installed"], true);
    assert_eq!(job["in_step"], true);
    assert_eq!(job["container_state"], "running");
    assert_eq!(job["running"], false);
    assert_eq!(job["last_run"]["succeeded"], false);
    assert!(
        job["problems"].to_string().contains("exit 3"),
        "{}",
        job["problems"]
    );

    // Drift: change the command in the config.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("main_v2.py", "main_v3.py");
    std::fs::write(&config, text).unwrap();
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(doc["jobs"][0]["in_step"], false);
    assert!(
        doc["jobs"][0]["problems"]
            .to_string()
            .contains("command differs"),
        "{}",
        doc["jobs"][0]["problems"]
    );
}

#[test]
fn status_says_when_the_container_is_missing_or_the_daemon_is_down() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    for (state, expected) in [
        ("missing", "missing"),
        ("exited", "not running (exited)"),
        ("down", "unknown"),
    ] {
        let output = env
            .cmd(["status", "--json", "-c"])
            .arg(&config)
            .env("FAKE_DOCKER_STATE", state)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{state}");
        let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
        let got = doc["jobs"][0]["container_state"].as_str().unwrap();
        assert!(got.starts_with(expected), "{state}: {got}");
    }
}

#[test]
fn status_plain_output_when_piped() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    let out = stdout_of(&output);
    assert!(
        out.starts_with("main_pipeline_v2: Main Video Pipeline (main_v2.py)\n"),
        "{out}"
    );
    assert!(out.contains("  last run:  never ran"), "{out}");
    assert!(
        out.contains("  container: ai-video-backend running"),
        "{out}"
    );
    assert!(out.contains("host: cron daemon "), "{out}");
}

/// Hostile values in every field that reaches the line arrive in the container byte for byte,
/// and nothing runs on the host. Run through `run-now`, which runs the installed line's own
/// command with /bin/sh as cron does (the e2e tests fire the same through the real cron).
#[test]
fn hostile_values_reach_the_container_literally() {
    let env = Env::new();
    // Relative, so short enough for 998 bytes: run-now starts the shell in the user's home as
    // cron does, so that is where a `touch pwned` that got through would land.
    let home = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .dir;
    let canary = home.join("pwned");
    assert!(
        !canary.exists(),
        "remove the stale {} first",
        canary.display()
    );
    let hostile = [
        "$(touch pwned)".to_string(),
        "`touch pwned`".to_string(),
        "; touch pwned".to_string(),
        "| touch pwned".to_string(),
        "& touch pwned &".to_string(),
        "> pwned".to_string(),
        "<>".to_string(),
        "'single'".to_string(),
        "\"double\"".to_string(),
        "it's \"quoted\"".to_string(),
        "100%".to_string(),
        "%%d %s".to_string(),
        "*".to_string(),
        "$HOME".to_string(),
        "${PATH}".to_string(),
        "two  spaces".to_string(),
        " leading and trailing ".to_string(),
        "non-ascii: été ✓ 日本".to_string(),
        "-e X".to_string(),
        "--privileged".to_string(),
        "#not a comment".to_string(),
        "~".to_string(),
        "!!".to_string(),
        "".to_string(),
    ];
    let toml_str = |s: &str| toml::Value::String(s.to_string()).to_string();
    let command: Vec<String> = std::iter::once("python".to_string())
        .chain(hostile.iter().cloned())
        .collect();
    // The env carries a few of them (all of them twice would not fit in cron's 998 bytes).
    let env_values = &hostile[..8];
    let env_table: Vec<String> = env_values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{i} = {}", toml_str(v)))
        .collect();
    let config = env.config(&format!(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n\
         command = [{}]\nworkdir = {}\nenv = {{ {} }}\n",
        command
            .iter()
            .map(|c| toml_str(c))
            .collect::<Vec<_>>()
            .join(", "),
        toml_str("/srv/$(touch pwned)/%/'q'"),
        env_table.join(", "),
    ));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "j", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let calls = env.docker_calls();
    assert_eq!(calls.len(), 1);
    let mut expected = vec!["-w".to_string(), "/srv/$(touch pwned)/%/'q'".to_string()];
    let mut envs: Vec<(String, String)> = env_values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}"), v.clone()))
        .collect();
    envs.sort();
    for (k, v) in envs {
        expected.push("-e".to_string());
        expected.push(format!("{k}={v}"));
    }
    expected.push("c".to_string());
    expected.extend(command);
    assert_eq!(calls[0], expected);
    assert!(!canary.exists(), "a hostile value ran on the host");
}

#[test]
fn a_timeout_runs_inside_the_container() {
    let env = Env::new();
    let config = env.simple_config("timeout = \"1h30m\"\nuser = \"app\"\n");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "137")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(137));
    assert_eq!(
        env.docker_calls(),
        vec![vec![
            "-u",
            "app",
            "ai-video-backend",
            "timeout",
            "5400",
            "sh",
            "-c",
            r#"trap 'trap "" TERM; kill 0; (sleep 30; kill -KILL 0) & wait $p; kill -KILL 0' TERM; "$@" & p=$!; wait $p"#,
            "sh",
            "python",
            "main_v2.py"
        ]]
    );
    assert!(
        env.read("logs/main.log")
            .contains("end exit=137 timeout=5400 seconds=0 by=")
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(
        &env.cmd(["status", "--json", "-c"])
            .arg(&config)
            .output()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(doc["jobs"][0]["last_run"]["timed_out"], true);
    assert!(doc["jobs"][0]["problems"].to_string().contains("timed out"));
}

#[test]
fn pause_and_resume_keep_the_line_and_everything_else() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let installed = env.crontab().unwrap();

    let out = ok(env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("paused job \"main_pipeline_v2\""), "{out}");
    let paused = env.crontab().unwrap();
    assert!(paused.starts_with("# mine\n"));
    let line = paused.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(
        line.starts_with("#paused# 0 * * * * "),
        "cron must see a comment: {line}"
    );
    assert!(paused.contains(" paused_at="), "{paused}");

    // Pausing again changes nothing and says so.
    let doc: serde_json::Value = serde_json::from_str(&ok(env
        .cmd(["pause", "--json", "main_pipeline_v2", "-c"])
        .arg(&config)))
    .unwrap();
    assert_eq!(doc["changed"], false);
    assert_eq!(env.crontab().unwrap(), paused);

    // Status: paused, no next run, not a failure.
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(
        &env.cmd(["status", "--json", "-c"])
            .arg(&config)
            .output()
            .unwrap(),
    ))
    .unwrap();
    assert!(doc["jobs"][0]["paused"]["at"].is_string(), "{doc}");
    assert_eq!(doc["jobs"][0]["next_run"], serde_json::Value::Null);
    assert_eq!(doc["jobs"][0]["problems"], serde_json::json!([]));

    // A changed config keeps the job paused, with the new command.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("main_v2.py", "main_v3.py");
    std::fs::write(&config, text).unwrap();
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("stays paused"), "{out}");
    let reinstalled = env.crontab().unwrap();
    let line = reinstalled.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(
        line.starts_with("#paused# ") && line.contains("main_v3.py"),
        "{line}"
    );

    // run-now still runs a paused job, with a notice.
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("is paused"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(
        env.docker_calls(),
        vec![vec!["ai-video-backend", "python", "main_v3.py"]]
    );

    let out = ok(env.cmd(["resume", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("resumed"), "{out}");
    let resumed = env.crontab().unwrap();
    assert_eq!(resumed, installed.replace("main_v2.py", "main_v3.py"));
    let out = ok(env.cmd(["resume", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("is not paused; nothing changed"), "{out}");

    let err = fails(env.cmd(["pause", "ghost", "-c"]).arg(&config), 2);
    assert!(err.contains("not installed"), "{err}");
    ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert_eq!(env.crontab().unwrap(), "# mine\n");
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let env = Env::new();
    let bash = ok(&mut env.cmd(["completions", "bash"]));
    for sub in [
        "plan",
        "install",
        "uninstall",
        "status",
        "run-now",
        "logs",
        "pause",
        "resume",
    ] {
        assert!(bash.contains(sub), "bash completion lacks {sub}");
    }
    assert!(ok(&mut env.cmd(["completions", "zsh"])).contains("#compdef crontainer"));
    assert!(ok(&mut env.cmd(["completions", "fish"])).contains("complete -c crontainer"));
    let man = ok(&mut env.cmd(["man"]));
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH crontainer 1"),
        "{}",
        &man[..200]
    );
    assert!(
        man.contains("crontainer run\\-now") || man.contains("crontainer run-now"),
        "no run-now section"
    );
}

#[test]
fn quiet_prints_nothing_on_success_and_verbose_shows_the_programs_run() {
    let env = Env::new();
    let config = env.simple_config("");
    let out = ok(env.cmd(["install", "-q", "-c"]).arg(&config));
    assert_eq!(out, "");
    assert!(
        env.crontab()
            .unwrap()
            .contains("# BEGIN crontainer:crontainer")
    );
    let output = env
        .cmd(["uninstall", "-v", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let err = stderr_of(&output);
    assert!(
        err.lines()
            .any(|l| l.starts_with("+ ") && l.ends_with("crontab -l")),
        "{err}"
    );
}

#[test]
fn install_writes_a_logrotate_file_and_uninstall_removes_it() {
    let env = Env::new();
    let config = env.config(
        "[defaults]\nrotate_size = \"1M\"\nrotate_keep = 3\n\
         [[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/a.log\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"y\"]\nevery = \"1h\"\nlog = \"{dir}/logs/b.log\"\n",
    );
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("log rotation: "), "{out}");
    let text = env.read("logrotate.d/crontainer-crontainer");
    for log in ["a.log", "b.log"] {
        let stanza = format!("{}/logs/{log} {{\n", env.dir.path().display());
        assert!(text.contains(&stanza), "{text}");
    }
    assert!(
        text.contains("\tsize 1M\n\trotate 3\n\tcopytruncate\n"),
        "{text}"
    );
    ok(env.cmd(["uninstall", "a", "-c"]).arg(&config));
    let text = env.read("logrotate.d/crontainer-crontainer");
    assert!(!text.contains("a.log"), "{text}");
    assert!(
        text.contains("b.log") && text.contains("\tsize 1M\n"),
        "{text}"
    );
    ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert!(!env.path("logrotate.d/crontainer-crontainer").exists());
}

#[test]
fn doctor_checks_the_host_and_the_installed_jobs() {
    let env = Env::new();
    let config = env.simple_config("");
    let output = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "not installed yet");
    assert!(
        stdout_of(&output).contains("FAIL  job main_pipeline_v2: in the config but not installed"),
        "{}",
        stdout_of(&output)
    );

    ok(env.cmd(["install", "-c"]).arg(&config));
    let out = ok(env.cmd(["doctor", "-c"]).arg(&config));
    for expected in [
        "ok    cron daemon: running: cron (pid 2)",
        "ok    container runtime:",
        "ok    job main_pipeline_v2: installed and in step",
        "ok    log of main_pipeline_v2:",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }

    env.no_cron_daemon();
    let output = env
        .cmd(["doctor", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["checks"][0]["check"], "cron daemon");
    assert_eq!(doc["checks"][0]["verdict"], "fail");

    // status says so too, and exits 1.
    let output = env.cmd(["status", "-c"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout_of(&output).contains("cron daemon NOT running"),
        "{}",
        stdout_of(&output)
    );
}

#[test]
fn a_closed_pipe_ends_plan_quietly() {
    let env = Env::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let mut child = env
        .std_cmd(["plan", "--next", "100", "-c"])
        .arg(&example)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let err = stderr_of(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
}

/// Under a terminal (util-linux's `script` gives the command a pty) the diff is colored, and
/// `NO_COLOR` turns that off.
#[test]
fn colors_only_on_a_terminal_and_never_with_no_color() {
    let env = Env::new();
    let config = env.simple_config("");
    let bin = assert_cmd::cargo::cargo_bin("crontainer");
    let line = format!(
        "{} install --dry-run -c {}",
        bin.display(),
        config.display()
    );
    let under_tty = |no_color: bool| {
        // The harness's environment (fakes on PATH, overrides), for the command inside `script`.
        let harness = env.std_cmd(["unused"]);
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &line, "/dev/null"])
            .current_dir(env.path(""));
        for (k, v) in harness.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        if no_color {
            script.env("NO_COLOR", "1");
        }
        stdout_of(&script.output().unwrap())
    };
    let colored = under_tty(false);
    assert!(
        colored.contains("+# BEGIN crontainer:crontainer"),
        "{colored}"
    );
    assert!(
        colored.contains("\x1b[32m"),
        "a terminal gets colors: {colored:?}"
    );
    let plain = under_tty(true);
    assert!(plain.contains("+# BEGIN crontainer:crontainer"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    // And a pipe never gets colors.
    assert!(!ok(env.cmd(["install", "--dry-run", "-c"]).arg(&config)).contains('\x1b'));
}

#[test]
fn logs_prints_the_last_run_or_the_last_lines() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let output = env
        .cmd(["logs", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr_of(&output).contains("has not run yet"),
        "{}",
        stderr_of(&output)
    );
    for exit in ["3", "0"] {
        let output = env
            .cmd(["run-now", "main_pipeline_v2", "-c"])
            .arg(&config)
            .env("FAKE_EXIT", exit)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(exit.parse().unwrap()));
    }
    let last = ok(env.cmd(["logs", "main_pipeline_v2", "-c"]).arg(&config));
    assert_eq!(
        last.matches(" start pid=").count(),
        1,
        "only the last run: {last}"
    );
    assert!(last.contains("stdout: hello from the container"), "{last}");
    assert!(last.contains(" end exit=0 "), "{last}");
    assert!(!last.contains(" end exit=3 "), "{last}");
    let tail = ok(env
        .cmd(["logs", "main_pipeline_v2", "-n", "2", "-c"])
        .arg(&config));
    assert_eq!(tail.lines().count(), 2, "{tail}");
    assert!(
        tail.lines().last().unwrap().contains(" end exit=0 "),
        "{tail}"
    );
}

#[test]
fn install_warns_when_the_jobs_user_cannot_reach_dockerd() {
    let env = Env::new();
    let config = env.simple_config("");
    // A "socket" only its owner (root here; never the job's user below) may write.
    let socket = env.path("docker.sock");
    std::fs::write(&socket, "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    // The job's user may write its log's directory, whoever runs the test.
    std::fs::set_permissions(env.path("logs"), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = env
        .cmd([
            "install",
            "--dry-run",
            "--target",
            "cron.d",
            "--user",
            "nobody",
            "-c",
        ])
        .arg(&config)
        .env("CRONTAINER_DOCKER_SOCKET", &socket)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let err = stderr_of(&output);
    assert!(
        err.contains("nobody may not use") && err.contains("usermod -aG docker nobody"),
        "{err}"
    );
}
