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
