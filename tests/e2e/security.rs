//! Secrets out of sight (issue 17, what was seen 4): a value in the job's `env_file` reaches the
//! container's environment when the real cron fires the line through the real Docker, and is in
//! neither `/etc/cron.d/<name>` (readable by every local user) nor any process's command line
//! (`ps` shows every user's) while the job runs. And issue 13's unreachable log, on the real
//! /root and the test user: refused at install, where it used to fail at every firing. The other
//! cases of issue 17 need no cron daemon: they are in `tests/hermetic/security.rs`.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, CronDGuard, Crontainer, NEVER, POLL, TEST_USER,
    TestCrontab, UserDir, cron_d_config, job_toml, path_str, toml_str, wait_for_event, wait_until,
};

/// The command lines of every process on the host, the container's included, with the pid.
fn all_cmdlines() -> Vec<(String, String)> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid = entry.file_name().to_str()?.to_owned();
            pid.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
            let bytes = std::fs::read(entry.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&bytes).replace('\0', " ");
            Some((pid, line))
        })
        .collect()
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_secret_in_env_file_reaches_the_container_but_not_cron_d_nor_the_process_list() {
    support::require_provisioned();
    let secret = format!("e2e-secret-{}", support::random_suffix());
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    // The job's user's own file, 0600, as install demands; the stand-in sleeps long enough for
    // the process list to be read while `docker exec` runs.
    let env_file = dir.join("app.env");
    std::fs::write(&env_file, format!("API_KEY={secret}\nSLEEP_SECONDS=15\n")).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let user = nix::unistd::User::from_name(TEST_USER).unwrap().unwrap();
    nix::unistd::chown(&env_file, Some(user.uid), Some(user.gid)).unwrap();
    let log = dir.join("secret.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml(
            "secret",
            container.name(),
            &log,
            "* * * * *",
            &format!("env_file = {}", toml_str(path_str(&env_file))),
        ),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no warning: the job has no `env` values"
    );

    let cron_d = std::fs::read_to_string(file.path()).expect("the cron.d file");
    assert!(
        cron_d.contains(&format!("--env-file {}", path_str(&env_file))),
        "{cron_d}"
    );
    assert!(
        !cron_d.contains(&secret),
        "the secret is in cron.d:\n{cron_d}"
    );

    wait_for_event(&log, "secret", "start", CRON_FIRE_TIMEOUT);
    // Look while the job runs (it sleeps 15 s): the `docker exec` client must be seen, or the
    // look proves nothing.
    let mut saw_exec = false;
    wait_until(Duration::from_secs(5), POLL, || {
        for (pid, line) in all_cmdlines() {
            assert!(
                !line.contains(&secret),
                "the secret is on the command line of pid {pid}: {line}"
            );
            // The runner execs by the container's full id: this job's client is the one with
            // this job's env file.
            saw_exec |= line.contains(&format!(" exec -i --env-file {} ", path_str(&env_file)));
        }
        false
    });
    assert!(
        saw_exec,
        "the job's `docker exec` was not running while we looked"
    );

    wait_for_event(&log, "secret", "end", Duration::from_secs(60));
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    let calls = container.calls();
    let call = calls.first().expect("the job ran in the container");
    assert_eq!(
        call.env.get("API_KEY").map(String::as_str),
        Some(secret.as_str()),
        "the container's environment has the secret: {call:?}"
    );
}

/// Removes a directory this test might have made (only a product that failed the test makes
/// it), even when the test panics.
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_log_under_root_for_the_test_users_job_is_refused_naming_root() {
    support::require_provisioned();
    let root_home = std::path::Path::new("/root");
    let mode = std::os::unix::fs::MetadataExt::mode(&std::fs::metadata(root_home).unwrap());
    assert_eq!(
        mode & 0o7777,
        0o700,
        "this test needs /root to be 0700, as Debian makes it"
    );
    let crontab = TestCrontab::acquire();
    let before = crontab.read();
    let dir = root_home.join(format!("crontainer-e2e-{}", support::random_suffix()));
    let _cleanup = RemoveDir(dir.clone());
    let log = dir.join("job.log");
    let tool = Crontainer::new();
    let config = tool.config(&format!(
        "[cron]\nuser = \"{TEST_USER}\"\nname = \"unreachable\"\n{}",
        job_toml("unreachable", "no-such-container", &log, NEVER, "")
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "/root (owned by root, mode 0700) does not let {TEST_USER} enter"
        )),
        "{err}"
    );
    assert!(!dir.exists(), "install made {}", dir.display());
    assert_eq!(
        crontab.read(),
        before,
        "the test user's crontab is unchanged"
    );
}
