//! systemd units beside the other targets: what `status --json` says fires the jobs
//! (`schedulers`), and root's units under `--all-users` in `status`, `doctor`, `metrics` and
//! `history`, with both schedulers asked when both have jobs. The fakes are `systemd`'s.

use crate::common::{Env, ok};
use crate::systemd::{config, masked};

/// `status --json` says which scheduler fires the jobs (`schedulers[].kind`) and how it runs;
/// `cron_daemon` keeps saying the same as before the systemd target, for the readers of 0.2's
/// document.
#[test]
fn status_json_names_systemd_as_the_scheduler_and_keeps_cron_daemon() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&c)
        .env("FAKE_TIMER_NEXT", "Mon 2026-11-30 03:00:17 UTC")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    insta::assert_snapshot!(
        "status_json",
        masked(&env, &String::from_utf8_lossy(&out.stdout))
    );

    // No manager: null, as `cron_daemon` is without a cron daemon.
    let (code, doc) = crate::common::json_of(
        env.cmd(["status", "--json", "-c"])
            .arg(&c)
            .env("FAKE_SYSTEMD_STATE", "offline"),
    );
    assert_eq!(code, 1);
    assert_eq!(
        (&doc["schedulers"], &doc["cron_daemon"]),
        (
            &serde_json::json!([{"kind": "systemd", "running": null}]),
            &serde_json::Value::Null
        ),
        "{doc:#}"
    );

    // A crontab's block: the cron daemon.
    let cron = env.config(
        "[cron]\nname = \"old\"\n[[job]]\nid = \"a\"\ncontainer = \"app\"\n\
         command = [\"x\"]\nschedule = \"0 3 * * *\"\n",
    );
    ok(env.cmd(["install", "-c"]).arg(&cron));
    let (_, doc) = crate::common::json_of(env.cmd(["status", "--json", "-c"]).arg(&cron));
    let daemon = doc["cron_daemon"].as_str().expect("a cron daemon runs");
    assert_eq!(
        doc["schedulers"],
        serde_json::json!([{"kind": "cron", "running": daemon}]),
        "{doc:#}"
    );
}

/// `--all-users`, as root: root's systemd units are covered beside every user's crontab and
/// cron.d, by each command that takes it (`status`, `doctor`, `metrics`, `history`), and
/// `status` and `doctor` ask both schedulers when both have jobs: systemd's manager (and
/// `doctor` each block's units) too, not only the cron daemon, which a host whose blocks are all
/// units does not need.
#[test]
#[ignore = "needs root (--all-users reads every user's crontab): see README"]
fn all_users_covers_roots_systemd_units_and_asks_their_manager() {
    assert!(
        crate::common::is_root(),
        "needs root: --all-users reads every user's crontab"
    );
    let env = Env::new();
    ok(env.cmd(["install", "-q", "-c"]).arg(config(&env, "")));
    // No config: --all-users reads what is installed.
    std::fs::remove_file(env.path("config.toml")).unwrap();
    let status = |env: &Env, state: &str| {
        let out = env
            .cmd(["status", "--all-users"])
            .env("FAKE_SYSTEMD_STATE", state)
            .output()
            .unwrap();
        let text = masked(env, &String::from_utf8_lossy(&out.stdout));
        (
            out.status.code(),
            text.lines().last().unwrap_or_default().to_string(),
        )
    };
    let looked_in = "jobs read from every user's crontab, {dir}/cron.d and root's systemd units";

    // Units only, and no cron daemon: healthy, as systemd fires every job.
    env.no_cron_daemon();
    assert_eq!(
        status(&env, "running"),
        (
            Some(0),
            format!(
                "host: systemd running: the system manager is running; container runtime \
                 answers; {looked_in}"
            )
        )
    );
    let doctor = |env: &Env, state: &str| {
        let out = env
            .cmd(["doctor", "--all-users"])
            .env("FAKE_SYSTEMD_STATE", state)
            .output()
            .unwrap();
        let text = masked(env, &String::from_utf8_lossy(&out.stdout));
        let head: Vec<String> = text.lines().take(3).map(str::to_string).collect();
        (out.status.code(), head)
    };
    assert_eq!(
        doctor(&env, "running"),
        (
            Some(0),
            vec![
                "ok    systemd: the system manager is running".to_string(),
                "ok    units: 2 unit files pass `systemd-analyze verify`".to_string(),
                "ok    container runtime: {dir}/bin/docker answers (server 20.10.24)".to_string(),
            ]
        )
    );
    std::fs::create_dir(env.path("proc/2")).unwrap();
    std::fs::write(env.path("proc/2/comm"), "cron\n").unwrap();

    // A crontab's block too: both are asked, and either one down is unhealthy.
    let cron = env.config(
        "[cron]\nname = \"old\"\n[[job]]\nid = \"tab-job\"\ncontainer = \"app\"\n\
         command = [\"x\"]\nschedule = \"0 3 * * *\"\nlog = \"{dir}/logs/tab.log\"\n",
    );
    ok(env.cmd(["install", "-q", "-c"]).arg(&cron));
    std::fs::remove_file(&cron).unwrap();
    assert_eq!(
        status(&env, "running"),
        (
            Some(0),
            format!(
                "host: cron daemon running: cron (pid 2); systemd running: the system manager is \
                 running; container runtime answers; {looked_in}"
            )
        )
    );
    assert_eq!(
        status(&env, "offline"),
        (
            Some(1),
            format!(
                "host: cron daemon running: cron (pid 2); systemd NOT running: none of its jobs \
                 will fire (start it: boot with systemd as PID 1; for user units, log in or \
                 `loginctl enable-linger USER`); container runtime answers; {looked_in}"
            )
        )
    );
    let (code, doc) = crate::common::json_of(&mut env.cmd(["status", "--json", "--all-users"]));
    let jobs: Vec<(&str, String)> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap(),
                masked(&env, j["where"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        (code, jobs, &doc["cron_daemon"], &doc["schedulers"]),
        (
            0,
            vec![
                ("tab-job", "root's crontab (block old)\n".to_string()),
                (
                    "backup-db",
                    "systemd units crontainer-web-* in {dir}/systemd (block web)\n".to_string()
                )
            ],
            &serde_json::json!("cron (pid 2)"),
            &serde_json::json!([
                {"kind": "cron", "running": "cron (pid 2)"},
                {"kind": "systemd", "running": "the system manager is running"}
            ])
        ),
        "{doc:#}"
    );

    // doctor checks both as well, and a second block of units by its name.
    let second = env.config(
        "[cron]\ntarget = \"systemd\"\nname = \"two\"\n[[job]]\nid = \"b\"\n\
         container = \"app\"\ncommand = [\"x\"]\nschedule = \"0 4 * * *\"\n\
         log = \"{dir}/logs/two.log\"\n",
    );
    ok(env.cmd(["install", "-q", "-c"]).arg(&second));
    std::fs::remove_file(&second).unwrap();
    let out = env
        .cmd(["doctor", "--all-users"])
        .env("FAKE_SYSTEMD_STATE", "offline")
        .output()
        .unwrap();
    let text = masked(&env, &String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        (
            out.status.code(),
            text.lines().take(6).collect::<Vec<_>>().join("\n")
        ),
        (
            Some(1),
            "ok    cron daemon: running: cron (pid 2)\n\
             FAIL  systemd: no systemd system manager answers `systemctl is-system-running`: no \
             timer fires\n      \
             fix: boot with systemd as PID 1, or use target = \"crontab\" or \"cron.d\"; for \
             user units, log in or `sudo loginctl enable-linger USER`\n\
             ok    units of block `two`: 2 unit files pass `systemd-analyze verify`\n\
             ok    units of block `web`: 2 unit files pass `systemd-analyze verify`\n\
             ok    container runtime: {dir}/bin/docker answers (server 20.10.24)"
                .to_string()
        ),
        "{text}"
    );

    ok(&mut env.cmd(["uninstall", "-q", "--name", "two", "--target", "systemd"]));

    // doctor, metrics and history see the units' block as well.
    let out = ok(&mut env.cmd(["doctor", "--all-users"]));
    assert!(
        masked(&env, &out).contains(
            "ok    installed blocks: 2 job(s) in 2 block(s) in every user's crontab, \
             {dir}/cron.d and root's systemd units: `old` (1 job(s), root's crontab), `web` (1 \
             job(s), systemd units crontainer-web-* in {dir}/systemd)\n"
        ),
        "{out}"
    );
    let out = ok(&mut env.cmd(["metrics", "--all-users"]));
    assert!(
        out.contains(
            "crontainer_job_healthy{job=\"tab-job\",block=\"old\",target=\"crontab\",user=\"root\"} 1\n\
             crontainer_job_healthy{job=\"backup-db\",block=\"web\",target=\"systemd\",user=\"root\"} 1\n"
        ),
        "{out}"
    );
    let out = ok(&mut env.cmd(["history", "--all-users"]));
    assert_eq!(
        masked(&env, &out),
        "old/tab-job in root's crontab (from its log: no run history yet)\n  no runs recorded\n\n\
         web/backup-db in systemd units crontainer-web-* in {dir}/systemd (from its log: no run \
         history yet)\n  no runs recorded\n"
    );
}
