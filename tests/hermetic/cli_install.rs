//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `install` and `uninstall`, into a crontab and into cron.d.

use crate::common::{Env, fails, ok, stderr_of, without_blocks};

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
    assert_eq!(
        without_blocks(&installed),
        original,
        "user lines must stay intact and in order"
    );
    assert!(
        installed.starts_with("# BEGIN crontainer:crontainer\n"),
        "above the user's MAILTO line, which would otherwise reach the block's lines: {installed}"
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
fn install_writes_a_logrotate_file_and_uninstall_removes_it() {
    let env = Env::new();
    let config = env.config(
        "[defaults]\nrotate_size = \"1M\"\nrotate_keep = 3\n\
         [[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/a.log\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"y\"]\nevery = \"1h\"\nlog = \"{dir}/logs/b.log\"\n",
    );
    let rotation_file = format!("logrotate.d/crontainer-crontab-{}+crontainer", Env::user());
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("log rotation: "), "{out}");
    let text = env.read(&rotation_file);
    for log in ["a.log", "b.log"] {
        let stanza = format!("{}/logs/{log} {{\n", env.dir.path().display());
        assert!(text.contains(&stanza), "{text}");
    }
    assert!(
        text.contains("\tsize 1M\n\trotate 3\n\tcopytruncate\n"),
        "{text}"
    );
    ok(env.cmd(["uninstall", "a", "-c"]).arg(&config));
    let text = env.read(&rotation_file);
    assert!(!text.contains("a.log"), "{text}");
    assert!(
        text.contains("b.log") && text.contains("\tsize 1M\n"),
        "{text}"
    );
    ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert!(!env.path(&rotation_file).exists());
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

/// Issue 24: install and uninstall each read their crontab once, under the lock, then write it
/// and read it back: the floor any safe edit needs, and no more (they read it twice before).
/// The fake crontab's calls, and each one's kind: `read` (`-l`) or `write`.
fn crontab_calls(env: &Env) -> (String, Vec<&'static str>) {
    let calls = env.read("crontab-calls");
    let kinds = calls
        .lines()
        .map(|call| match call.split(' ').next_back() {
            Some("-l") => "read",
            _ => "write",
        })
        .collect();
    (calls, kinds)
}

#[test]
fn install_and_uninstall_run_crontab_only_as_often_as_a_safe_edit_needs() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    ok(env.cmd(["uninstall", "-c"]).arg(&config));
    let (calls, kinds) = crontab_calls(&env);
    assert_eq!(
        kinds,
        ["read", "write", "read", "read", "write", "read"],
        "{calls}"
    );
}

#[test]
fn a_write_in_the_first_seconds_of_a_minute_is_written_again_in_the_next_second() {
    // Debian's cron misses a change made in the second of its load at the top of a minute
    // (`cron_table::Target::write`): at 12:35:01 by the clock the commands read, install writes
    // twice (each read back), whenever the test runs.
    let env = Env::new();
    let config = env.simple_config("");
    ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-11-29T12:35:01Z"));
    let (calls, kinds) = crontab_calls(&env);
    assert_eq!(kinds, ["read", "write", "read", "write", "read"], "{calls}");
}
