//! What a user who is not root may not do: edit another user's crontab (`crontab -u` is root
//! only) or write /etc/cron.d. Each is exit 2 with a message that says so, and changes nothing.
//! Run as root (to become `nobody` with runuser), on the dedicated test user's crontab.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::{self, CronDAlone, TestCrontab};

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_normal_user_cannot_edit_another_users_crontab_or_cron_d() {
    support::require_provisioned();
    let crontab = TestCrontab::acquire();
    crontab.write("# the test user's own\n");
    // A config `nobody` can read.
    let dir = tempfile::Builder::new()
        .prefix("crontainer-e2e-nonroot-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/tmp/crontainer-e2e-nonroot.log\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A copy `nobody` can reach: the checkout may sit under a directory only root can enter.
    let bin = dir.path().join("crontainer");
    std::fs::copy(assert_cmd::cargo::cargo_bin("crontainer"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| {
        Command::new("/usr/sbin/runuser")
            .args(["-u", "nobody", "--"])
            .arg(&bin)
            .args(args)
            .arg("-c")
            .arg(&config)
            .env("PATH", support::CRON_PATH)
            .env("CRONTAINER_STATE_DIR", dir.path().join("state"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    // Other tests of this binary add and remove files there on parallel threads: keep them out
    // until the listing has been compared.
    let _cron_d = CronDAlone::take();
    let crond_before: Vec<_> = std::fs::read_dir("/etc/cron.d")
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let out = as_nobody(&["install", "--user", support::TEST_USER]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("needs root"), "{err}");

    let out = as_nobody(&["install", "--target", "cron.d"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("writing /etc/cron.d needs root"), "{err}");

    assert_eq!(crontab.read(), "# the test user's own\n");
    let crond_after: Vec<_> = std::fs::read_dir("/etc/cron.d")
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(crond_before, crond_after);
    assert!(!std::path::Path::new("/tmp/crontainer-e2e-nonroot.log").exists());
}

/// Issue 25, item 6: a cron.d file that holds a healthcheck URL is root's alone (0600); a normal
/// user's `status --target cron.d` shows the blocks it can read and says which file it cannot,
/// instead of failing outright. A private cron.d directory (`CRONTAINER_CROND_DIR`) keeps other
/// tests' files out of the listing.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_normal_users_status_shows_what_it_can_read_of_cron_d() {
    support::require_provisioned();
    let dir = tempfile::Builder::new()
        .prefix("crontainer-e2e-nonroot-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let crond = dir.path().join("cron.d");
    std::fs::create_dir(&crond).unwrap();
    std::fs::set_permissions(&crond, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("crontainer");
    std::fs::copy(assert_cmd::cargo::cargo_bin("crontainer"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |user: Option<&str>, args: &[&str]| {
        let mut cmd = match user {
            Some(user) => {
                let mut cmd = Command::new("/usr/sbin/runuser");
                cmd.args(["-u", user, "--"]).arg(&bin);
                cmd
            }
            None => Command::new(&bin),
        };
        cmd.args(args)
            .env_remove("CRONTAINER_CONFIG")
            .env("PATH", support::CRON_PATH)
            .env("CRONTAINER_CROND_DIR", &crond)
            .env(
                "CRONTAINER_STATE_DIR",
                dir.path().join(user.unwrap_or("root")),
            )
            .env("CRONTAINER_LOGROTATE_DIR", dir.path())
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    for (name, extra) in [
        ("open", ""),
        (
            "secret",
            "healthcheck = \"https://hc-ping.invalid/0f2a3c1e\"\n",
        ),
    ] {
        let config = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[cron]\ntarget = \"cron.d\"\nname = \"{name}\"\n[[job]]\nid = \"{name}_job\"\n\
                 container = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 1 1 *\"\n\
                 log = \"{}/logs/{name}.log\"\n{extra}",
                dir.path().display()
            ),
        )
        .unwrap();
        let out = run(None, &["install", "-q", "-c", config.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let secret = crond.join("secret");
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let out = run(Some("nobody"), &["status", "--target", "cron.d"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Unhealthy: what it cannot read, it cannot call healthy.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr, "");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"open_job"), "{stdout}");
    assert!(
        lines.contains(
            &format!(
                "CANNOT READ could not read {}: only root may (it is mode 0600 when it holds a \
             healthcheck URL); run with sudo: Permission denied (os error 13)",
                secret.display()
            )
            .as_str()
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("secret_job"), "{stdout}");
}
