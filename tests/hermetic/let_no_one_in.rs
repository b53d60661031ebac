//! Issue 26, "let no one in, round 2": each way from a normal user to root that was found, as a
//! test that failed on the code before the fix (see docs/RELIABILITY.md). Those that need a
//! second user (`nobody`, whose fake crontab lives in the test's spool) need root, and are
//! `#[ignore]`d like the other root tests (`.ci/run` runs them with `--include-ignored`).
//!
//! A command that would hang on the old code (a FIFO, a lock held forever) runs under a
//! watchdog that fails the test instead of waiting; nothing here is timed.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{self, Env, give_to_nobody, mkdir, nobody, ok, stderr_of, stdout_of};

const ROOT_ONLY: &str = "needs root (a second user, nobody): see README";

/// Runs `cmd` to its end, or fails the test when it has not ended after a minute (the old code
/// waited forever on a FIFO or a held lock).
#[track_caller]
fn run_or_fail_if_hung(mut cmd: std::process::Command) -> Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the command hung (killed after a minute): {cmd:?}\nstderr so far:\n{}",
                stderr_of(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout_of(out)))
}

/// The job `id` in a `status --json` document.
fn job<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("no job {id} in {doc}"))
}

// 4. run-now by root of a user's job handed over root's environment and terminal.

#[test]
fn run_now_gives_the_job_crons_environment_only_and_a_session_of_its_own() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    // The installed line runs bin/docker by its absolute path: record what the line's shell
    // handed it, then be the fake as before.
    std::fs::rename(env.path("bin/docker"), env.path("bin/docker-fake")).unwrap();
    let dir = env.dir.path().display().to_string();
    env.write_exe(
        "bin/docker",
        &format!(
            "#!/bin/sh\nif [ \"$1\" = exec ]; then env > {dir}/job-env; \
             cut -d' ' -f6 /proc/$$/stat > {dir}/job-session; fi\n\
             exec {dir}/bin/docker-fake \"$@\"\n"
        ),
    );
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("VAULT_TOKEN", "s.secret")
        .env("AWS_SECRET_ACCESS_KEY", "also-secret")
        .env("LD_PRELOAD", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let names: Vec<String> = std::fs::read_to_string(env.path("job-env"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.to_string()))
        // The harness passes the fakes' settings on by name (`CRONTAINER_RUN_NOW_PASS_ENV`).
        .filter(|n| !n.starts_with("FAKE_") && !n.starts_with("CRONTAINER_"))
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["HOME", "LOGNAME", "PATH", "PWD", "SHELL", "USER"]);
    let job_env = std::fs::read_to_string(env.path("job-env")).unwrap();
    assert!(
        job_env.lines().any(|l| l == "PATH=/usr/bin:/bin"),
        "{job_env}"
    );
    assert!(
        job_env
            .lines()
            .any(|l| l == format!("CRONTAINER_BY=run-now:{}", Env::user())),
        "{job_env}"
    );
    // A session of its own: no controlling terminal of the caller's.
    let session: i32 = std::fs::read_to_string(env.path("job-session"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let ours = nix::unistd::getsid(None).unwrap().as_raw();
    assert_ne!(session, ours, "the job runs in the caller's session");
}

// 3. run-now ran a config's job that its block did not hold.

#[test]
fn run_now_never_runs_a_job_that_is_not_installed() {
    let env = Env::new();
    let config = env.simple_config("");
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), stdout_of(&out), stderr_of(&out)),
        (
            Some(2),
            String::new(),
            "crontainer: error: job \"main_pipeline_v2\" is in the config but not installed, and \
             run-now runs only installed jobs: `crontainer install` first; nothing was started\n"
                .to_string()
        )
    );
    assert!(env.docker_calls().is_empty(), "{:?}", env.docker_calls());
}

// 6. A user can stall root's views: a log or lock turned into a FIFO.

#[test]
fn a_log_or_lock_that_is_a_fifo_is_reported_not_waited_on() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let log = env.path("logs/main.log");
    let lock = env.path("logs/main.log.lock");
    for path in [&log, &lock] {
        std::fs::remove_file(path).unwrap();
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    }
    let why = format!(
        "could not read log {}: it is a FIFO (named pipe), not a regular file",
        log.display()
    );
    let mut status = env.std_cmd(["status", "--json", "-c"]);
    status.arg(&config);
    let out = run_or_fail_if_hung(status);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let doc = json(&out);
    assert_eq!(
        job(&doc, "main_pipeline_v2")["problems"],
        serde_json::json!([format!("cannot read the log: {why}")])
    );
    let mut logs = env.std_cmd(["logs", "main_pipeline_v2", "-c"]);
    logs.arg(&config);
    let out = run_or_fail_if_hung(logs);
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (Some(1), format!("crontainer: error: {why}\n"))
    );
    let mut metrics = env.std_cmd(["metrics", "-c"]);
    metrics.arg(&config);
    let out = run_or_fail_if_hung(metrics);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let unhealthy = format!(
        "crontainer_job_healthy{{job=\"main_pipeline_v2\",block=\"crontainer\",target=\"crontab\",user=\"{}\"}} 0",
        Env::user()
    );
    assert!(
        stdout_of(&out).lines().any(|l| l == unhealthy),
        "{}",
        stdout_of(&out)
    );
}

/// A lock linked to /dev/zero: `read_to_string` grew until memory ran out. Not run against the
/// old code (it would take the machine's memory); the bound is `safe_file`'s unit tests.
#[test]
fn a_lock_linked_to_dev_zero_is_not_read() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let mut status = env.std_cmd(["status", "--json", "-c"]);
    status.arg(&config);
    let before = json(&run_or_fail_if_hung(status));
    let lock = env.path("logs/main.log.lock");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &lock).unwrap();
    let mut status = env.std_cmd(["status", "--json", "-c"]);
    status.arg(&config);
    let after = json(&run_or_fail_if_hung(status));
    assert_eq!(
        job(&after, "main_pipeline_v2")["problems"],
        job(&before, "main_pipeline_v2")["problems"]
    );
}

// 5. The lock file in /run/lock: a symlink followed, and a shared flock that made root wait
// forever without a word.

/// Removes a file this test made at a shared path, also when the test fails.
struct Made(PathBuf);

impl Drop for Made {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Where `Target::lock` puts the lock of cron.d block `name` in the test's cron.d directory.
fn target_lock(env: &Env, name: &str) -> PathBuf {
    // The harness points `CRONTAINER_LOCK_DIR` (/run/lock otherwise) at the test's own directory.
    let dir = env.path("locks");
    let cron_d: String = env
        .path("cron.d")
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("crontainer-cron.d-{name}-{cron_d}.lock"))
}

#[test]
fn the_targets_lock_is_private_never_followed_and_its_holder_is_named() {
    let env = Env::new();
    let name = format!("sec26-lock-{}", std::process::id());
    let config = env.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nname = \"{name}\"\n[[job]]\nid = \"j\"\n\
         container = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n"
    ));
    let lock = target_lock(&env, &name);
    let _made = Made(lock.clone());
    // A symlink planted at the lock's name, pointing where nothing is yet.
    let victim = env.path("victim");
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(!victim.exists(), "install created the symlink's target");
    let meta = std::fs::symlink_metadata(&lock).unwrap();
    assert!(meta.is_file(), "the lock is not a regular file");
    assert_eq!(meta.mode() & 0o7777, 0o600);
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());
    // Someone holds it (a shared lock, as any user could on the old 0644 file): the wait ends
    // and names them.
    let held = std::fs::File::open(&lock).unwrap();
    let _held = nix::fcntl::Flock::lock(held, nix::fcntl::FlockArg::LockSharedNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let before = env.snapshot();
    let mut install = env.std_cmd(["install", "-c"]);
    install
        .arg(&config)
        .env("CRONTAINER_LOCK_WAIT", "0")
        .env("CRONTAINER_NOW", "2026-11-29T13:00:00Z");
    let out = run_or_fail_if_hung(install);
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (
            Some(1),
            format!(
                "crontainer: error: could not lock {}: pid {} ({}, user {}) holds it, and \
                 crontainer waited 0 s; if it is another crontainer, let it finish, otherwise \
                 stop it; nothing was changed\n",
                lock.display(),
                std::process::id(),
                comm.trim(),
                Env::user()
            )
        )
    );
    assert_eq!(env.snapshot(), before, "nothing changed");
}

// 2. Root's install followed a dangling symlink at a user's log or lock.

#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn a_root_install_never_follows_a_symlink_at_a_users_log_or_lock() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let logs = mkdir(&env, "home-nobody/logs", 0o755);
    give_to_nobody(&logs);
    give_to_nobody(logs.parent().unwrap());
    let profile = mkdir(&env, "profile.d", 0o755);
    let log = logs.join("job.log");
    std::os::unix::fs::symlink(profile.join("x.sh"), &log).unwrap();
    std::os::unix::fs::symlink(profile.join("y.sh"), logs.join("job.log.lock")).unwrap();
    let config = env.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nuser = \"nobody\"\n[[job]]\nid = \"j\"\n\
         container = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\nlog = \"{}\"\n",
        log.display()
    ));
    ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(
        !profile.join("x.sh").exists(),
        "root created the log's target"
    );
    assert!(
        !profile.join("y.sh").exists(),
        "root created the lock's target"
    );
    // Where nothing was planted, the files are made, and they are nobody's.
    let other = logs.join("other.log");
    let config = env.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nuser = \"nobody\"\n[[job]]\nid = \"j\"\n\
         container = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\nlog = \"{}\"\n",
        other.display()
    ));
    ok(env.cmd(["install", "-c"]).arg(&config));
    for (path, mode) in [(other.clone(), 0o640), (logs.join("other.log.lock"), 0o600)] {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert_eq!(
            (meta.is_file(), meta.uid(), meta.mode() & 0o7777),
            (true, nobody().uid.as_raw(), mode),
            "{}",
            path.display()
        );
    }
}

// 1. Root's views ran the program a user's block names.

#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn roots_views_never_run_the_runtime_a_users_block_names() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let dir = env.dir.path().display().to_string();
    // The user's runtime: it says it ran, then answers as the fake docker would.
    let evil = format!(
        "#!/bin/sh\necho \"evil ran as $(id -u): $1\" >> {dir}/evil-ran\nexec {dir}/bin/docker \"$@\"\n"
    );
    mkdir(&env, "userbin", 0o755);
    env.write_exe("userbin/evil", &evil);
    env.write_exe("userbin/docker", &evil);
    for (block, runtime) in [("a", "evil"), ("b", "docker")] {
        let config = env.config(&format!(
            "[cron]\nname = \"{block}\"\nuser = \"nobody\"\n[defaults]\n\
             runtime = \"{dir}/userbin/{runtime}\"\n\
             [[job]]\nid = \"{block}1\"\ncontainer = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\n\
             log = \"{dir}/home-nobody/{block}1.log\"\n\
             [[job]]\nid = \"{block}2\"\nservice = \"web\"\ncommand = [\"true\"]\nevery = \"1h\"\n\
             log = \"{dir}/home-nobody/{block}2.log\"\n"
        ));
        // Root installing its own config runs its runtime: that is root's choice.
        let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    }
    std::fs::remove_file(env.path("config.toml")).unwrap();
    let _ = std::fs::remove_file(env.path("evil-ran"));
    let views: [&[&str]; 5] = [
        &["status", "--all-users", "--json"],
        &["status", "--user", "nobody", "--json"],
        &["metrics", "--all-users"],
        &["doctor", "--all-users"],
        &["run-now", "--user", "nobody", "a2"],
    ];
    for args in views {
        let out = env
            .cmd(args)
            .env("FAKE_DOCKER_PS", "abc123 proj web proj-web-1")
            .output()
            .unwrap();
        assert!(
            !env.path("evil-ran").exists(),
            "`crontainer {}` ran the user's runtime: {}\n{}",
            args.join(" "),
            env.read("evil-ran"),
            stderr_of(&out)
        );
        if args[0] == "status" {
            let doc = json(&out);
            let not_run = |path: &str| {
                format!(
                    "unknown: not asked: the runtime {dir}/userbin/{path} is nobody's choice, \
                     which root does not run; `crontainer status` as nobody asks it"
                )
            };
            let state = |id: &str| job(&doc, id)["container_state"].clone();
            assert_eq!(state("a1"), not_run("evil"));
            assert_eq!(state("a2"), not_run("evil"));
            // Named docker: root asks its own docker (the fake on root's PATH) instead.
            assert_eq!(state("b1"), "running");
            assert_eq!(state("b2"), "running");
        }
    }
}

// 3. A `./crontainer.toml` planted where root runs crontainer.

#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn a_config_in_a_directory_a_user_may_write_is_refused_before_it_is_used() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let dir = env.dir.path().display().to_string();
    mkdir(&env, "userbin", 0o755);
    env.write_exe(
        "userbin/evil",
        &format!("#!/bin/sh\necho \"evil ran: $*\" >> {dir}/evil-ran\n"),
    );
    // Root's own file (0644), but in the user's directory: they can replace it at will.
    std::fs::write(
        home.join("crontainer.toml"),
        format!(
            "[defaults]\nruntime = \"{dir}/userbin/evil\"\n[[job]]\nid = \"j\"\ncontainer = \"c\"\n\
             command = [\"true\"]\nevery = \"1h\"\nlog = \"{dir}/logs/j.log\"\n"
        ),
    )
    .unwrap();
    let refusal = format!(
        "refusing ./crontainer.toml in {}: {} (owned by nobody, mode 0755) may be changed by a \
         user other than root, who could then choose the programs root runs; run crontainer \
         from a directory only root may write, or name a root-owned config with -c (such as \
         /etc/crontainer/crontainer.toml)",
        home.display(),
        home.display()
    );
    let out = env.cmd(["doctor"]).current_dir(&home).output().unwrap();
    assert!(!env.path("evil-ran").exists(), "{}", env.read("evil-ran"));
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text.lines().find(|l| l.contains("root's inputs")),
        Some(format!("FAIL  root's inputs: {refusal}").as_str()),
        "{text}"
    );
    for args in [
        &["status"][..],
        &["run-now", "j"],
        &["install"],
        &["plan"],
        &["metrics"],
    ] {
        let out = env.cmd(args).current_dir(&home).output().unwrap();
        assert_eq!(
            (out.status.code(), stderr_of(&out)),
            (Some(2), format!("crontainer: error: {refusal}\n")),
            "crontainer {}",
            args.join(" ")
        );
        assert!(!env.path("evil-ran").exists(), "{}", env.read("evil-ran"));
    }
}

// 6. A block written by hand into a user's crontab, claiming root's log, made root's install
// refuse.

#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn a_users_block_claiming_a_root_blocks_log_does_not_stop_roots_install() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let log = mkdir(&env, "rootlogs", 0o755).join("j.log");
    let job = format!(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\nlog = \"{}\"\n",
        log.display()
    );
    // The claim: root's block copied by hand into nobody's crontab, under another name (its
    // lines naming it, as the block reader wants).
    let mine = env.config(&format!("[cron]\nname = \"mine\"\n{job}"));
    ok(env.cmd(["install", "-c"]).arg(&mine));
    let text = std::fs::read_to_string(env.path("cron/root")).unwrap();
    std::fs::write(
        env.path("cron/nobody"),
        text.replace("crontainer:mine", "crontainer:claim")
            .replace(" --block mine ", " --block claim "),
    )
    .unwrap();
    std::fs::remove_file(env.path("cron/root")).unwrap();
    let config = env.config(&format!("[cron]\ntarget = \"cron.d\"\nname = \"r\"\n{job}"));
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (
            Some(0),
            format!(
                "crontainer: warning: job \"j\" of block `claim` in nobody's crontab names {} \
                 too, which job \"j\" of this root-owned block uses: nobody's block does not get \
                 it (its runs will skip or fail while this job holds the lock); remove it from \
                 nobody's crontab (`crontainer uninstall --name claim --target crontab --user \
                 nobody`)\n",
                log.display()
            )
        ),
        "{}",
        stdout_of(&out)
    );
    assert!(env.path("cron.d/r").exists());
}

/// Another user's file at the lock's name (made before root's, as any user may in /run/lock),
/// held with a shared lock: root used it and waited forever; now it is not root's lock file.
#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn another_users_file_at_the_locks_name_is_not_used() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let name = format!("sec26-squat-{}", std::process::id());
    let config = env.config(&format!(
        "[cron]\ntarget = \"cron.d\"\nname = \"{name}\"\n[[job]]\nid = \"j\"\n\
         container = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n"
    ));
    let lock = target_lock(&env, &name);
    let _made = Made(lock.clone());
    std::fs::write(&lock, "").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    give_to_nobody(&lock);
    let squatted = std::fs::File::open(&lock).unwrap();
    let _held = nix::fcntl::Flock::lock(squatted, nix::fcntl::FlockArg::LockSharedNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let mut install = env.std_cmd(["install", "-c"]);
    install.arg(&config);
    let out = run_or_fail_if_hung(install);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "");
    let meta = std::fs::symlink_metadata(&lock).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (0, 0o600));
}

/// Seen while fixing the above: root's `uninstall JOB` of a user's block rewrote the block's
/// logrotate file from the logs its markers name now, so a log path the user had put there
/// (root's own file) went into root's logrotate, which rotates it as root.
#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn root_never_rotates_a_log_path_a_user_wrote_into_their_block() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let dir = env.dir.path().display().to_string();
    let jobs: String = ["j1", "j2"]
        .iter()
        .map(|id| {
            format!(
                "[[job]]\nid = \"{id}\"\ncontainer = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\n\
                 log = \"{dir}/home-nobody/{id}.log\"\n"
            )
        })
        .collect();
    let config = env.config(&format!("[cron]\nuser = \"nobody\"\n{jobs}"));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let rotation = env.path("logrotate.d/crontainer-crontab-nobody+crontainer");
    assert!(rotation.exists(), "install wrote no logrotate file");
    // The user points j2's log at a file of root's, in their own crontab.
    let precious = mkdir(&env, "etc", 0o755).join("shadow");
    std::fs::write(&precious, "root:x:...\n").unwrap();
    let crontab = env.path("cron/nobody");
    let text = std::fs::read_to_string(&crontab).unwrap();
    let planted = text.replace(
        &format!("{dir}/home-nobody/j2.log"),
        &precious.display().to_string(),
    );
    assert_ne!(planted, text, "the log path is in the block");
    std::fs::write(&crontab, planted).unwrap();
    let out = env
        .cmd(["uninstall", "--user", "nobody", "j1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let rotated = std::fs::read_to_string(&rotation).unwrap_or_default();
    assert!(
        !rotated.contains(&precious.display().to_string()),
        "root's logrotate rotates the user's path:\n{rotated}"
    );
}

/// Issue 25: `uninstall` removes a block's metrics file from the directory its metrics line
/// names, found in the block. A user's block names any directory: root's textfile directory
/// among them. Root removes it as the user, so only what the user could remove goes.
#[test]
#[ignore = "needs root (a second user, nobody): see README"]
fn root_removes_a_users_metrics_file_only_as_the_user() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    // nobody must reach its own directories in the test's temp dir (0700 as made).
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = mkdir(&env, "home-nobody", 0o755);
    give_to_nobody(&home);
    let theirs = mkdir(&env, "home-nobody/prom", 0o755);
    give_to_nobody(&theirs);
    let roots = mkdir(&env, "roots-prom", 0o755);
    let dir = env.dir.path().display().to_string();
    let config_of = |name: &str| {
        let path = env.path(&format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "[cron]\nname = \"{name}\"\nuser = \"nobody\"\n[monitoring]\n\
                 textfile_dir = \"{dir}/home-nobody/prom\"\n[[job]]\nid = \"j\"\n\
                 container = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\n\
                 log = \"{dir}/home-nobody/{name}.log\"\n"
            ),
        )
        .unwrap();
        path
    };
    // The metrics line runs the binary as nobody: a copy nobody reaches, wherever the checkout
    // lies (a clone in a 0700 directory is not).
    let exe = env.copied_binary();
    for name in ["kept", "planted"] {
        let out = env
            .cmd_of(&exe, ["install", "-c"])
            .arg(config_of(name))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    }
    // Block `kept` names nobody's own directory, where nobody's refresh wrote its file.
    let own = theirs.join("crontainer-crontab-nobody+kept.prom");
    std::fs::write(&own, "crontainer_job_running 0\n").unwrap();
    give_to_nobody(&own);
    // In their crontab, nobody points block `planted` at root's directory, holding a file of
    // the name root would remove.
    let crontab = env.path("cron/nobody");
    let text = std::fs::read_to_string(&crontab).unwrap();
    let planted = text.replace(
        &format!("{dir}/home-nobody/prom\n# END crontainer:planted"),
        &format!("{}\n# END crontainer:planted", roots.display()),
    );
    let planted = planted.replace(
        &format!(
            "textfile={dir}/home-nobody/prom\n* * * * * {} metrics -q -c {dir}/planted.toml",
            exe.display()
        ),
        &format!(
            "textfile={}\n* * * * * {} metrics -q -c {dir}/planted.toml",
            roots.display(),
            exe.display()
        ),
    );
    assert_eq!(
        planted.matches(&roots.display().to_string()).count(),
        2,
        "{planted}"
    );
    std::fs::write(&crontab, planted).unwrap();
    let precious = roots.join("crontainer-crontab-nobody+planted.prom");
    std::fs::write(&precious, "root's\n").unwrap();

    let out = env
        .cmd(["uninstall", "--user", "nobody", "--name", "planted"])
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (
            Some(0),
            format!(
                "crontainer: warning: metrics: could not remove {} as nobody: Permission \
                 denied (os error 13)\n",
                precious.display()
            )
        )
    );
    assert!(
        precious.exists(),
        "root removed a file in its own directory for nobody"
    );
    let out = env
        .cmd(["uninstall", "--json", "--user", "nobody", "--name", "kept"])
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), stderr_of(&out)),
        (Some(0), String::new())
    );
    assert_eq!(
        json(&out)["removed_metrics_files"],
        serde_json::json!([own.display().to_string()])
    );
    assert!(!own.exists());
}
