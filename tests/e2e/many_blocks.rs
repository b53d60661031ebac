//! Several configs on one host, against the real /etc/cron.d, cron's own spool and logrotate:
//! two cron.d blocks sharing a log are refused at install (before, both fired and one skipped
//! every run), and the rotation advice a non-root install prints works when followed as printed.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::{
    self, CronDGuard, Crontainer, RootDir, TestCrontab, UserDir, cron_d_config, job_toml,
};

/// What was seen 1: two cron.d configs, other names, one job id and one log. The second is now
/// refused (exit 2), names the first block and the way out, and writes nothing.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_second_cron_d_block_sharing_a_log_is_refused_at_install() {
    support::require_provisioned();
    let tool = Crontainer::new();
    let logs = RootDir::new();
    let log = logs.join("shared.log");
    let (first, second) = (CronDGuard::new(), CronDGuard::new());
    let job = job_toml("job", "no-such-container", &log, support::NEVER, "");
    let first_config = tool.config(&cron_d_config(first.name(), None, &job));
    let second_config = tool.config(&cron_d_config(second.name(), None, &job));
    tool.expect(["install", "-c", support::path_str(&first_config)], 0);
    let installed = std::fs::read_to_string(first.path()).unwrap();

    let out = tool.expect(["install", "-c", support::path_str(&second_config)], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{} is already used by job \"job\" of block `{}` in {}",
            log.display(),
            first.name(),
            first.path().display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("--replace {}", first.name())),
        "{err}"
    );
    assert!(
        !second.path().exists(),
        "nothing written for the second block"
    );
    assert_eq!(std::fs::read_to_string(first.path()).unwrap(), installed);

    // Without a config, both commands see the first block in its own file.
    let out = tool.expect(
        [
            "status",
            "--json",
            "--target",
            "cron.d",
            "--name",
            first.name(),
        ],
        1,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["jobs"][0]["id"], "job", "{doc:#}");
    tool.expect(
        [
            "uninstall",
            "-q",
            "--target",
            "cron.d",
            "--name",
            first.name(),
        ],
        0,
    );
    assert!(!first.path().exists());
}

/// What was seen 11 (part): the rotation advice printed for a non-root install used `su`, which
/// logrotate refuses as a normal user. Followed as printed, as the test user, it now rotates.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn the_rotation_advice_of_a_non_root_install_works_as_printed() {
    support::require_provisioned();
    let crontab = TestCrontab::acquire();
    crontab.write("");
    let dir = UserDir::new();
    let home = UserDir::new();
    let log = dir.join("rot.log");
    let name = support::unique_cron_d_name();
    let config = dir.join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[cron]\nname = \"{name}\"\n[defaults]\nrotate_size = \"1k\"\n{}",
            job_toml("rot", "no-such-container", &log, support::NEVER, "")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A copy the test user can reach: the checkout may sit under a directory only root enters.
    let bin = dir.join("crontainer");
    std::fs::copy(assert_cmd::cargo::cargo_bin("crontainer"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_user = |program: &std::path::Path, args: &[&str]| {
        Command::new("/usr/sbin/runuser")
            .args(["-u", support::TEST_USER, "--", "/usr/bin/env", "-i"])
            .arg(format!("HOME={}", home.path().display()))
            .arg(format!("PATH={}", support::CRON_PATH))
            .arg(format!(
                "CRONTAINER_STATE_DIR={}",
                home.join("state").display()
            ))
            .arg(program)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = as_user(&bin, &["install", "-c", support::path_str(&config)]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("logs are not rotated: /etc/logrotate.d is root's"),
        "{said}"
    );

    // The shell lines between "run" and "and add this line", then the crontab line's command.
    let script = said
        .split_once(" instead, run\n")
        .and_then(|(_, rest)| rest.split_once("\nand add this line"))
        .map(|(script, _)| script)
        .unwrap_or_else(|| panic!("no script in:\n{said}"));
    let out = as_user(std::path::Path::new("/bin/sh"), &["-c", script]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = said
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("17 * * * * "))
        .unwrap_or_else(|| panic!("no crontab line in:\n{said}"));

    std::fs::write(&log, "x".repeat(2048)).unwrap();
    let out = as_user(std::path::Path::new("/bin/sh"), &["-c", line]);
    assert!(
        out.status.success(),
        "`{line}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        0,
        "copytruncate emptied it"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rot.log.1"))
            .unwrap()
            .len(),
        2048,
        "the rotated copy"
    );
    let out = as_user(&bin, &["uninstall", "-q", "-c", support::path_str(&config)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(crontab);
}
