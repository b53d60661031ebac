//! Issue 26 on the real things: the test user `crontainer-e2e` is the normal user, its real
//! crontab holds the block, the real Docker answers, and root's `status` and `run-now` are
//! watched for what they take from that user. The other attacks need no cron daemon nor Docker:
//! they are in `tests/hermetic/let_no_one_in.rs`.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{
    self, Container, Crontainer, NEVER, RootDir, TEST_USER, TestCrontab, UserDir, job_toml,
    path_str,
};

/// A runtime wrapper, root's file in a directory others may enter (the job's user runs it): it
/// appends `$1` (and with `dump`, the environment and the session id it got) to files in
/// `record`, then runs the real docker.
fn wrapper(dir: &RootDir, name: &str, record: &Path) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$(id -un): $1\" >> {record}/calls\n\
             if [ \"$1\" = exec ]; then env > {record}/env; \
             cut -d' ' -f6 /proc/$$/stat > {record}/session; fi\n\
             exec {docker} \"$@\"\n",
            record = record.display(),
            docker = support::docker().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        path.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    path
}

fn job<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("no job {id} in {doc}"))
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn root_reading_the_test_users_block_never_runs_the_runtime_it_names() {
    support::require_provisioned();
    let crontab = TestCrontab::acquire();
    let container = Container::start();
    let dir = UserDir::new();
    let bin = RootDir::new();
    let evil = wrapper(&bin, "evil", dir.path());
    let named_docker = wrapper(&bin, "docker", dir.path());
    let tool = Crontainer::new();
    for (block, runtime) in [("sec26a", &evil), ("sec26b", &named_docker)] {
        let config = tool.config(&format!(
            "[cron]\nuser = \"{TEST_USER}\"\nname = \"{block}\"\n[defaults]\nruntime = \"{}\"\n{}",
            runtime.display(),
            job_toml(
                block,
                container.name(),
                &dir.join(&format!("{block}.log")),
                NEVER,
                ""
            )
        ));
        tool.expect(["install", "-c", path_str(&config)], 0);
    }
    // Installing ran root's own config's runtime: that is root's choice. Nothing after.
    let _ = std::fs::remove_file(dir.join("calls"));
    for args in [
        &["status", "--user", TEST_USER, "--json"][..],
        &["status", "--all-users", "--json"],
    ] {
        let out = tool.output(args);
        assert!(
            !dir.join("calls").exists(),
            "`crontainer {}` ran the user's runtime: {}",
            args.join(" "),
            std::fs::read_to_string(dir.join("calls")).unwrap_or_default()
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            job(&doc, "sec26a")["container_state"],
            format!(
                "unknown: not asked: the runtime {} is {TEST_USER}'s choice, which root does \
                 not run; `crontainer status` as {TEST_USER} asks it",
                evil.display()
            )
        );
        // Named docker: root asks its own, which finds the real container running.
        assert_eq!(job(&doc, "sec26b")["container_state"], "running");
    }
    drop(crontab);
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn run_now_by_root_of_the_test_users_job_gets_crons_environment_and_a_session_of_its_own() {
    support::require_provisioned();
    let crontab = TestCrontab::acquire();
    let container = Container::start();
    let dir = UserDir::new();
    let bin = RootDir::new();
    let runtime = wrapper(&bin, "docker", dir.path());
    let tool = Crontainer::new();
    let config = tool.config(&format!(
        "[cron]\nuser = \"{TEST_USER}\"\nname = \"sec26env\"\n[defaults]\nruntime = \"{}\"\n{}",
        runtime.display(),
        job_toml(
            "sec26env",
            container.name(),
            &dir.join("env.log"),
            NEVER,
            ""
        )
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let out = tool
        .cmd(["run-now", "sec26env", "-c", path_str(&config)])
        .env("VAULT_TOKEN", "s.root-secret")
        .env("AWS_SECRET_ACCESS_KEY", "root-secret")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(dir.join("env")).expect("the line ran the runtime");
    let mut names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "CRONTAINER_BY",
            "HOME",
            "LOGNAME",
            "PATH",
            "PWD",
            "SHELL",
            "USER"
        ],
        "{env}"
    );
    for want in [
        format!("USER={TEST_USER}"),
        "PATH=/usr/bin:/bin".to_string(),
        "SHELL=/bin/sh".to_string(),
        "CRONTAINER_BY=run-now:root".to_string(),
    ] {
        assert!(env.lines().any(|l| l == want), "no {want} in:\n{env}");
    }
    let session: i32 = std::fs::read_to_string(dir.join("session"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(
        session,
        nix::unistd::getsid(None).unwrap().as_raw(),
        "the job runs in root's session"
    );
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    drop(crontab);
}
