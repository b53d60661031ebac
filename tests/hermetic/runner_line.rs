//! The runner line's own rules at install, status and doctor: the binary it names (where it
//! will not stay, one a normal user may change under root's cron, one that is gone), and a
//! Compose service pinned to the project that runs it.

use std::os::unix::fs::PermissionsExt;

use crate::common::{self, Env, fails, ok, stderr_of, stdout_of};

fn service_config(env: &Env) -> std::path::PathBuf {
    env.config(
        "[[job]]\nid = \"svc\"\nservice = \"web\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{dir}/logs/svc.log\"\n",
    )
}

#[test]
fn install_pins_a_service_to_the_one_project_that_runs_it() {
    let env = Env::new();
    let config = service_config(&env);
    let out = ok(env
        .cmd(["install", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", "0123456789ab shop web shop-web-1"));
    assert!(
        out.starts_with(
            "job \"svc\": service web runs in Compose project shop: pinned to it (set `project` \
             in the config to choose another)\n"
        ),
        "{out}"
    );
    let dir = env.dir.path().display().to_string();
    let crontab = env.crontab().unwrap();
    assert!(
        crontab.contains(&format!(
            "\n0 * * * * {dir}/bin/crontainer exec svc --block crontainer --every 1h --log {dir}/logs/svc.log \
             --runtime {dir}/bin/docker --service web --project shop -- x\n"
        )),
        "{crontab}"
    );
    // The pin is not drift: the config leaves the project to install.
    let status = env
        .cmd(["status", "-c"])
        .arg(&config)
        .env("FAKE_DOCKER_PS", "0123456789ab shop web shop-web-1")
        .output()
        .unwrap();
    assert!(
        !stdout_of(&status).contains("drifted"),
        "{}",
        stdout_of(&status)
    );
}

#[test]
fn install_refuses_a_service_two_projects_run_and_keeps_one_nobody_runs_unpinned() {
    let env = Env::new();
    let config = service_config(&env);
    env.set_crontab("# mine\n");
    let before = env.snapshot();
    let err = fails(
        env.cmd(["install", "-c"]).arg(&config).env(
            "FAKE_DOCKER_PS",
            "0123456789ab shop web shop-web-1\nba9876543210 blog web blog-web-1",
        ),
        2,
    );
    assert_eq!(
        err,
        format!(
            "crontainer: error: {}:2: job \"svc\": service web runs in several Compose projects \
             (shop, blog): set `project` to the one the job is for; nothing was changed\n",
            config.display()
        )
    );
    assert_eq!(env.snapshot(), before);
    // Nobody runs it: installed as it is, with the warning that it has no container now.
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr_of(&out),
        "crontainer: warning: job \"svc\": right now, service web has no running container \
         (each firing fails with exit 69)\n"
    );
    assert!(env.crontab().unwrap().contains(" --service web -- x\n"));
}

#[test]
fn a_binary_in_a_build_directory_is_warned_about_with_the_fix() {
    let env = Env::new();
    let config = env.simple_config("");
    let exe = std::fs::canonicalize(assert_cmd::cargo::cargo_bin("crontainer")).unwrap();
    let out = env
        .cmd(["install", "-c"])
        .arg(&config)
        .env_remove("CRONTAINER_EXE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "crontainer: warning: the cron lines run this crontainer binary, {}, which looks \
             temporary (a build output or a temp directory): when it goes, no job runs; install \
             it for good (`cargo install --path .`, or the .deb's /usr/bin/crontainer) and run \
             `crontainer install` from there\n",
            exe.display()
        )
    );
    assert!(env.crontab().unwrap().contains(&format!(
        "\n0 * * * * {} exec main_pipeline_v2 --block crontainer ",
        exe.display()
    )));
}

#[test]
fn root_refuses_a_binary_another_user_may_change() {
    assert!(common::is_root(), "installs as root: run as root");
    let env = Env::new();
    let config = env.simple_config("");
    std::fs::create_dir(env.path("open")).unwrap();
    std::fs::set_permissions(env.path("open"), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("crontainer"),
        env.path("open/crontainer"),
    )
    .unwrap();
    env.set_crontab("# mine\n");
    let before = env.snapshot();
    let err = fails(
        env.cmd(["install", "-c"])
            .arg(&config)
            .env("CRONTAINER_EXE", env.path("open/crontainer")),
        2,
    );
    let open = env.path("open").display().to_string();
    assert_eq!(
        err,
        format!(
            "crontainer: error: refusing the crontainer program {open}/crontainer: {open} \
             (owned by root, mode 0777) may be changed by a user other than root, and root's \
             cron would run it at every firing; fix: `sudo chown root:root {open} && sudo chmod \
             go-w {open}`, or run `crontainer install` from a root-owned binary (`cargo install \
             --path .` as root, or the .deb's /usr/bin/crontainer)\n"
        )
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_missing_runner_binary_is_unhealthy_and_fails_doctor_naming_it() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let exe = env.path("bin/crontainer");
    std::fs::remove_file(&exe).unwrap();
    let problem = format!(
        "the crontainer binary its line runs, {}, is missing: without the runner no job runs \
         (install crontainer there again, or run `crontainer install` from where it is now)",
        exe.display()
    );
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["jobs"][0]["problems"], serde_json::json!([problem]));
    let out = env.cmd(["doctor", "-c"]).arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout_of(&out).contains(&format!("\nFAIL  runner of main_pipeline_v2: {problem}\n")),
        "{}",
        stdout_of(&out)
    );
    // Not executable is the same failure.
    std::fs::write(&exe, "").unwrap();
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["jobs"][0]["problems"],
        serde_json::json!([problem.replace("is missing", "is not executable")])
    );
}
