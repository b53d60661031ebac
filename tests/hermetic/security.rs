//! Security (issue 17, and issue 13's unreachable log): a root install trusts only what root
//! controls (the config, the programs the line runs, the directories of a root job's log); a
//! normal user's job gets its files only where that user may write them, and reaches them,
//! checked as that user; secrets named by `env_file` stay out of the cron line, the process list
//! and every output. Each case of what was seen is a test here. Those that give files to another
//! user need root, and are `#[ignore]`d like the other root tests (`.ci/run` runs them).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::{self, Env, chmod, fails_with, give_to_nobody, mkdir, nobody, ok};

const ROOT_ONLY: &str = "needs root (gives files to nobody): see README";

/// A config with one job logging to `log`, with `extra` job keys.
fn config_with(env: &Env, log: &Path, extra: &str) -> PathBuf {
    env.config(&format!(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         every = \"1h\"\nlog = \"{}\"\n{extra}\n",
        log.display()
    ))
}

/// Runs a refused install and checks that nothing changed: no crontab, cron.d or logrotate
/// file, and none of `absent` created.
#[track_caller]
fn refused(env: &Env, args: &[&str], config: &Path, expected: &[&str], absent: &[&Path]) {
    refused_cmd(env, env.cmd(args).arg("-c").arg(config), expected, absent);
}

/// [`refused`] for a command already made (`Env::cmd_of` a copied binary).
#[track_caller]
fn refused_cmd(env: &Env, cmd: &mut assert_cmd::Command, expected: &[&str], absent: &[&Path]) {
    let before = env.snapshot();
    let err = fails_with(cmd, 2, expected[0]);
    for word in expected {
        assert!(err.contains(word), "wanted {word:?} in:\n{err}");
    }
    assert_eq!(env.snapshot(), before, "a refusal changes nothing");
    for path in absent {
        assert!(!path.exists(), "{} was created", path.display());
    }
}

const CRON_D_ROOT: [&str; 5] = ["install", "--target", "cron.d", "--user", "root"];

// What was seen, 1: whoever can write the config owns root's cron.

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_root_install_refuses_a_config_a_normal_user_may_change() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let log = env.path("logs/j.log");
    // The config is the user's, mode 0664: as in the issue.
    let config = config_with(&env, &log, "");
    give_to_nobody(&config);
    chmod(&config, 0o664);
    let shown = config.display().to_string();
    refused(
        &env,
        &["install"],
        &config,
        &[
            &shown,
            "owned by nobody, mode 0664",
            "sudo chown root:root",
            "chmod go-w",
        ],
        &[&log],
    );
    // Root's file, but others may write it.
    nix::unistd::chown(&config, Some(0.into()), Some(0.into())).unwrap();
    chmod(&config, 0o646);
    refused(
        &env,
        &["install"],
        &config,
        &["owned by root, mode 0646"],
        &[&log],
    );
    // doctor says the same.
    let out = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    let text = common::stdout_of(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  root's inputs") && l.contains("mode 0646")),
        "{text}"
    );
    // Root's file 0644, in a directory of the user's: they can swap the file.
    let home = mkdir(&env, "home-deploy", 0o755);
    give_to_nobody(&home);
    let moved = home.join("crontainer.toml");
    std::fs::rename(&config, &moved).unwrap();
    chmod(&moved, 0o644);
    let dir = format!("{} (owned by nobody, mode 0755)", home.display());
    refused(
        &env,
        &["install"],
        &moved,
        &[&dir, "/etc/crontainer"],
        &[&log],
    );
    // The same file in a root-owned place is installed (and the temp dir, in sticky /tmp, is
    // fine: no one else can replace root's directory there).
    std::fs::rename(&moved, &config).unwrap();
    ok(env.cmd(["install", "-c"]).arg(&config));
}

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_root_install_refuses_a_runtime_a_normal_user_may_change() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let log = env.path("logs/j.log");
    // A runtime named by its absolute path, in a directory of the user's.
    let bin = mkdir(&env, "userbin", 0o755);
    give_to_nobody(&bin);
    std::fs::copy(env.path("bin/docker"), bin.join("docker")).unwrap();
    let config = config_with(&env, &log, "").to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "[defaults]\nruntime = \"{}\"\n{text}",
            bin.join("docker").display()
        ),
    )
    .unwrap();
    let shown = format!("{} (owned by nobody, mode 0755)", bin.display());
    refused(
        &env,
        &["install"],
        Path::new(&config),
        &["runtime program", &shown, "sudo chown root:root"],
        &[&log],
    );
    // `docker` found on PATH, in a directory others may write.
    let config = config_with(&env, &log, "");
    chmod(&env.path("bin"), 0o777);
    refused(
        &env,
        &["install"],
        &config,
        &["runtime program", "mode 0777"],
        &[&log],
    );
    chmod(&env.path("bin"), 0o755);
    ok(env.cmd(["install", "-c"]).arg(&config));
}

// What was seen, 2: a root job logs into another user's directory.

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_root_jobs_log_where_another_user_may_write_is_refused() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    // The log's directory is the user's, as in the issue.
    let logs = mkdir(&env, "home-deploy/logs", 0o755);
    give_to_nobody(&logs);
    let log = logs.join("job.log");
    let config = config_with(&env, &log, "");
    let shown = format!("{} (owned by nobody, mode 0755)", logs.display());
    refused(
        &env,
        &CRON_D_ROOT,
        &config,
        &[&shown, "symlink", "/var/log/crontainer", "[cron] user"],
        &[&log],
    );
    // Root's crontab: the job runs as root too.
    refused(&env, &["install"], &config, &[&shown], &[&log]);
    // A root-owned log directory under the user's: they can rename it away.
    nix::unistd::chown(&logs, Some(0.into()), Some(0.into())).unwrap();
    give_to_nobody(&env.path("home-deploy"));
    let home = format!("{} (owned by nobody", env.path("home-deploy").display());
    refused(&env, &CRON_D_ROOT, &config, &[&home], &[&log]);
    // A missing directory to be made under the user's.
    let config = config_with(&env, &env.path("home-deploy/new/job.log"), "");
    refused(
        &env,
        &CRON_D_ROOT,
        &config,
        &[&home],
        &[&env.path("home-deploy/new")],
    );
    // World-writable, sticky like /tmp or not: anyone may put the log's name there first (this
    // was a warning before).
    for (name, mode) in [("sticky", 0o1777), ("open", 0o777)] {
        let dir = mkdir(&env, name, mode);
        let log = dir.join("j.log");
        let config = config_with(&env, &log, "");
        let shown = format!("{} (owned by root, mode {mode:04o})", dir.display());
        refused(&env, &CRON_D_ROOT, &config, &[&shown], &[&log]);
    }
    // The same job run as the user who owns the directory is that user's business.
    let config = config_with(&env, &log, "");
    give_to_nobody(&env.path("home-deploy/logs"));
    ok(env
        .cmd(["install", "--target", "cron.d", "--user", "nobody", "-c"])
        .arg(&config));
}

// What was seen, 3: a normal user's job gets a file planted in a system directory.

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_users_log_is_never_created_in_a_directory_that_user_may_not_write() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    // Stands in for /etc/profile.d: root's, 0755, read by every login shell.
    let profile_d = mkdir(&env, "etc/profile.d", 0o755);
    let planted = profile_d.join("zz-app.sh");
    let config = config_with(&env, &planted, "");
    let lock = PathBuf::from(format!("{}.lock", planted.display()));
    let shown = profile_d.display().to_string();
    for target in ["crontab", "cron.d"] {
        refused(
            &env,
            &["install", "--target", target, "--user", "nobody"],
            &config,
            &["nobody may not write", &shown, "sudo install -d -o nobody"],
            &[&planted, &lock],
        );
    }
    // Nor a directory made for it there.
    let deeper = profile_d.join("app/zz.sh");
    let config = config_with(&env, &deeper, "");
    refused(
        &env,
        &["install", "--user", "nobody"],
        &config,
        &["nobody may not write", "the directory"],
        &[&profile_d.join("app")],
    );
    // A log an admin prepared for the user there, with its lock, is accepted as it is.
    for path in [&planted, &lock] {
        std::fs::write(path, "").unwrap();
        give_to_nobody(path);
    }
    let config = config_with(&env, &planted, "");
    ok(env.cmd(["install", "--user", "nobody", "-c"]).arg(&config));
}

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_users_log_and_missing_directories_are_made_where_the_user_may_write() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let log = home.join("logs/deep/job.log");
    let config = config_with(&env, &log, "");
    ok(env.cmd(["install", "--user", "nobody", "-c"]).arg(&config));
    let uid = nobody().uid.as_raw();
    for path in [
        home.join("logs"),
        home.join("logs/deep"),
        log.clone(),
        PathBuf::from(format!("{}.lock", log.display())),
    ] {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.uid(), uid, "{} is nobody's", path.display());
    }
}

// Issue 13, what was seen 4: a log the job's user cannot reach is accepted.

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn a_log_the_jobs_user_cannot_reach_is_refused_naming_the_directory() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    // Stands in for /root (0700); the log's own directory is even the user's.
    let root_home = mkdir(&env, "root", 0o700);
    let logs = mkdir(&env, "root/x", 0o755);
    give_to_nobody(&logs);
    let log = logs.join("job.log");
    let config = config_with(&env, &log, "");
    let shown = format!(
        "{} (owned by root, mode 0700) does not let nobody enter",
        root_home.display()
    );
    for target in ["crontab", "cron.d"] {
        refused(
            &env,
            &["install", "--target", target, "--user", "nobody"],
            &config,
            &[&shown, "Permission denied"],
            &[&log],
        );
    }
    // Reachable, it installs; made unreachable later, doctor fails naming the directory.
    chmod(&root_home, 0o755);
    ok(env.cmd(["install", "--user", "nobody", "-c"]).arg(&config));
    assert!(log.exists());
    let out = env
        .cmd(["doctor", "--user", "nobody", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        common::stdout_of(&out).contains("ok    log of j"),
        "{}",
        common::stdout_of(&out)
    );
    chmod(&root_home, 0o700);
    let out = env
        .cmd(["doctor", "--user", "nobody", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  log of j") && l.contains(&shown)),
        "{text}"
    );
}

// What was seen, 4: secrets in `env` are public; `env_file` keeps them out of sight.

const SECRET: &str = "s3cr3t-hunter2-value";

/// An env file holding [`SECRET`], 0600, owned by whoever runs the tests.
fn env_file(env: &Env) -> PathBuf {
    let path = env.path("app.env");
    std::fs::write(&path, format!("API_KEY={SECRET}\n")).unwrap();
    chmod(&path, 0o600);
    path
}

#[test]
fn an_env_file_reaches_the_runtime_by_its_path_and_its_contents_are_never_shown() {
    let env = Env::new();
    let file = env_file(&env);
    let config = config_with(
        &env,
        &env.path("logs/j.log"),
        &format!("env_file = \"{}\"", file.display()),
    );
    let mut shown = String::new();
    let mut cron_d = String::new();
    for args in [
        vec!["plan"],
        vec!["plan", "--json"],
        vec!["install", "--json", "--target", "cron.d", "--user", "root"],
        // The same jobs in two targets would share their logs: the crontab replaces cron.d.
        vec!["install", "--replace", "crontainer"],
        vec!["status"],
        vec!["status", "--json"],
        vec!["doctor", "--json"],
    ] {
        let out = env.cmd(&args).arg("-c").arg(&config).output().unwrap();
        shown.push_str(&common::stdout_of(&out));
        shown.push_str(&common::stderr_of(&out));
        if args.contains(&"cron.d") {
            cron_d = env.read("cron.d/crontainer");
        }
    }
    let crontab = env.crontab().unwrap();
    let option = format!(" --env-file {} -- c python main_v2.py\n", file.display());
    assert!(crontab.contains(&option), "{crontab}");
    assert!(cron_d.contains(&option), "{cron_d}");
    for (what, text) in [
        ("output", &shown),
        ("crontab", &crontab),
        ("cron.d", &cron_d),
    ] {
        assert!(
            !text.contains(SECRET),
            "the secret is in the {what}:\n{text}"
        );
    }
    // The runtime gets the path, and reads the file itself.
    ok(env.cmd(["run-now", "j", "-c"]).arg(&config));
    let calls = env.docker_calls();
    let call = calls.last().unwrap();
    let at = call
        .iter()
        .position(|a| a == "--env-file")
        .expect("--env-file");
    assert_eq!(call[at + 1], file.display().to_string(), "{call:?}");
    assert!(!call.iter().any(|a| a.contains(SECRET)), "{call:?}");
}

#[test]
fn an_env_file_that_is_missing_not_a_file_or_open_to_others_is_refused() {
    let env = Env::new();
    let log = env.path("logs/j.log");
    let file = env_file(&env);
    let with = |path: &Path| config_with(&env, &log, &format!("env_file = \"{}\"", path.display()));
    let shown = file.display().to_string();
    for mode in [0o640, 0o604, 0o620] {
        chmod(&file, mode);
        let mode = format!("mode {mode:04o}");
        refused(
            &env,
            &["install"],
            &with(&file),
            &[&shown, "group or others", &mode, "chmod 600"],
            &[&log],
        );
    }
    refused(
        &env,
        &["install"],
        &with(&env.path("missing.env")),
        &[
            "`env_file`",
            "missing.env",
            "cannot be read",
            "install -m 600",
        ],
        &[&log],
    );
    refused(
        &env,
        &["install"],
        &with(&env.path("logs")),
        &["`env_file`", "is not a regular file"],
        &[&log],
    );
    // A relative path is a config error, with its line.
    refused(
        &env,
        &["install"],
        &with(Path::new("app.env")),
        &["config.toml:7: `job \"j\": env_file` must be an absolute path"],
        &[&log],
    );
}

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn an_env_file_the_jobs_user_cannot_read_or_others_may_replace_is_refused() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let log = home.join("j.log");
    // Root's 0600 file: the docker client, run as nobody, could not read it.
    let file = env_file(&env);
    let config = config_with(&env, &log, &format!("env_file = \"{}\"", file.display()));
    refused(
        &env,
        &["install", "--user", "nobody"],
        &config,
        &["does not let nobody read it", "sudo chown nobody"],
        &[&log],
    );
    // Given to nobody, it is fine for nobody's job.
    give_to_nobody(&file);
    ok(env.cmd(["install", "--user", "nobody", "-c"]).arg(&config));
    // A root job must not take its environment from a file another user controls.
    let root_log = env.path("logs/j.log");
    let config = config_with(
        &env,
        &root_log,
        &format!("env_file = \"{}\"", file.display()),
    );
    refused(
        &env,
        &CRON_D_ROOT,
        &config,
        &["owned by nobody, mode 0600", "sudo chown root:root"],
        &[&root_log],
    );
}

#[test]
fn env_values_in_a_cron_d_file_are_warned_about_and_pointed_to_env_file() {
    let env = Env::new();
    let config = config_with(&env, &env.path("logs/j.log"), "env = { API_KEY = \"x\" }");
    let out = env
        .cmd(CRON_D_ROOT)
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    let err = common::stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning:")
            && err.contains("`env` (API_KEY)")
            && err.contains("every local user")
            && err.contains("`env_file`"),
        "{err}"
    );
    // plan says the same; a crontab (readable by its user and root alone) is not warned about.
    let out = env
        .cmd(["plan", "--target", "cron.d", "--user", "root", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        common::stderr_of(&out).contains("`env_file`"),
        "{}",
        common::stderr_of(&out)
    );
    ok(env
        .cmd(["install", "--replace", "crontainer", "-c"])
        .arg(&config));
}

// The metrics line (`[monitoring] textfile_dir`) runs crontainer as the jobs' user every minute.

#[test]
#[ignore = "needs root (gives files to nobody): see README"]
fn the_metrics_line_of_a_users_block_needs_a_directory_and_config_that_user_reaches() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let prom = mkdir(&env, "prom", 0o755);
    let log = home.join("job.log");
    let config = config_with(&env, &log, "");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "[monitoring]\ntextfile_dir = \"{}\"\n{text}",
            prom.display()
        ),
    )
    .unwrap();
    // The line runs the binary as nobody: a copy nobody reaches, wherever the checkout lies (a
    // clone in a 0700 directory is not).
    let exe = env.copied_binary();
    let args = ["install", "--target", "cron.d", "--user", "nobody"];
    let shown = format!(
        "{} (owned by root, mode 0755) does not let nobody write",
        prom.display()
    );
    refused_cmd(
        &env,
        env.cmd_of(&exe, args).arg("-c").arg(&config),
        &[&shown, "runs the metrics line"],
        &[&log],
    );
    give_to_nobody(&prom);
    chmod(&config, 0o600);
    refused_cmd(
        &env,
        env.cmd_of(&exe, args).arg("-c").arg(&config),
        &["needs the config", "does not let nobody read"],
        &[&log],
    );
    chmod(&config, 0o644);
    let out = env
        .cmd_of(&exe, args)
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let installed = std::fs::read_to_string(env.path("cron.d/crontainer")).unwrap();
    assert!(
        installed.contains(&format!(
            "* * * * * nobody {} metrics -q -c ",
            exe.display()
        )),
        "{installed}"
    );
    // Nor may nobody enter where the binary lies.
    chmod(exe.parent().unwrap(), 0o700);
    refused_cmd(
        &env,
        env.cmd_of(&exe, args).arg("-c").arg(&config),
        &["needs the crontainer binary", "does not let nobody enter"],
        &[],
    );
}
