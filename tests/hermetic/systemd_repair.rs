//! The systemd target when units or timers are no longer as `install` left them: a timer
//! stopped or started by hand is set right by the `install`, `pause` or `resume` that `status`
//! advises, though no unit changes; units edited by hand are a damaged block to `status`,
//! `metrics` and `doctor`, as a cron block's lines would be, with fixes that work.

use crate::common::{Env, ok};
use crate::systemd::{SERVICE, TIMER, calls, config, masked};

#[test]
fn install_pause_and_resume_set_right_a_timer_in_the_wrong_state() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    calls(&env);
    let show = format!("show -p ActiveState -p UnitFileState -p NextElapseUSecRealtime {TIMER}\n");

    // Stopped by hand: `status` says `crontainer install` starts it again, and it does.
    let stopped = |args: &[&str]| {
        let mut cmd = env.cmd(args);
        cmd.arg("-c")
            .arg(&c)
            .env("FAKE_TIMER_ACTIVE", "inactive")
            .env("FAKE_TIMER_ENABLED", "disabled");
        cmd
    };
    let out = ok(&mut stopped(&["install", "--dry-run"]));
    assert_eq!(
        masked(&env, &out),
        "would start timer crontainer-web-backup\\x2ddb.timer (it is inactive, disabled)\n\
         systemd units crontainer-web-* in {dir}/systemd is up to date: block `web` with 1 job; \
         its units need no change; dry run: no timer was started or stopped.\n"
    );
    assert_eq!(calls(&env), show);
    let out = ok(&mut stopped(&["install"]));
    assert_eq!(
        masked(&env, &out),
        "started timer crontainer-web-backup\\x2ddb.timer (it was inactive, disabled)\n\
         systemd units crontainer-web-* in {dir}/systemd is up to date: block `web` with 1 job; \
         its units are unchanged.\n"
    );
    assert_eq!(calls(&env), format!("{show}enable --now {TIMER}\n"));
    let out = ok(&mut stopped(&["install", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["changed"], true, "{out}");
    assert_eq!(
        masked(&env, &doc["notes"].to_string()),
        "[\"started timer crontainer-web-backup\\\\x2ddb.timer (it was inactive, disabled)\"]\n"
    );
    calls(&env);
    // Resuming a job that is not paused starts its timer too.
    let out = ok(&mut stopped(&["resume", "backup-db"]));
    assert_eq!(
        out,
        "job \"backup-db\" is not paused; started timer crontainer-web-backup\\x2ddb.timer (it \
         was inactive, disabled).\n"
    );
    assert_eq!(calls(&env), format!("{show}enable --now {TIMER}\n"));

    // A paused job whose timer was started by hand: `status` says `crontainer pause` stops it.
    ok(env.cmd(["pause", "backup-db", "-c"]).arg(&c));
    calls(&env);
    let out = ok(env.cmd(["pause", "backup-db", "-c"]).arg(&c));
    assert_eq!(
        since(&out),
        "job \"backup-db\" is already paused (since TIME by root); stopped \
         timer crontainer-web-backup\\x2ddb.timer, as its job is paused (it was active, \
         enabled).\n"
    );
    assert_eq!(calls(&env), format!("{show}disable --now {TIMER}\n"));
    let out = ok(&mut stopped(&["install"]));
    assert_eq!(
        masked(&env, &since(&out)),
        "job \"backup-db\" stays paused (since TIME by root): `crontainer \
         resume backup-db` lets it fire\n\
         systemd units crontainer-web-* in {dir}/systemd is up to date: block `web` with 1 job; \
         nothing changed.\n"
    );
    assert_eq!(
        calls(&env),
        show,
        "a stopped timer of a paused job is left stopped"
    );
}

/// `text` with the time in "(since TIME by" masked: `pause` takes the clock's.
fn since(text: &str) -> String {
    match text.split_once("(since ") {
        Some((head, tail)) => match tail.split_once(" by ") {
            Some((_, rest)) => format!("{head}(since TIME by {rest}"),
            None => text.to_string(),
        },
        None => text.to_string(),
    }
}

/// Stdout, stderr and exit code of `args -c CONFIG`, with the temp dir as `{dir}`.
fn run(env: &Env, c: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env.cmd(args).arg("-c").arg(c).output().unwrap();
    (
        out.status.code(),
        masked(env, &String::from_utf8_lossy(&out.stdout)),
        masked(env, &String::from_utf8_lossy(&out.stderr)),
    )
}

const EDITED: &str = "block `web` in systemd units crontainer-web-* in {dir}/systemd: the units of \
                      job \"backup-db\" in {dir}/systemd are not as crontainer writes it (edited \
                      by hand?); delete crontainer-web-backup\\x2ddb.service and \
                      crontainer-web-backup\\x2ddb.timer and run `crontainer install` again";

#[test]
fn units_edited_by_hand_are_a_damaged_block_to_status_metrics_and_doctor() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    let path = env.path("systemd").join(SERVICE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("KillMode=mixed", "KillMode=none")).unwrap();

    let (code, out, err) = run(&env, &c, &["status"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            Some(1),
            format!(
                "backup-db\n  installed: no\n  schedule:  at 03:00 on day 1 and 15 of the month \
                 and on every Monday (0 3 1,15 * mon)\n  next run:  none\n  last run:  never \
                 ran (no start line in the log)\n  running:   no\n  log:       \
                 {{dir}}/logs/backup.log (0 B)\n  health:    not installed: run `crontainer \
                 install`\nDAMAGED {EDITED}\nhost: systemd running: the system manager is \
                 running; container runtime not asked; jobs read from systemd units \
                 crontainer-web-* in {{dir}}/systemd, compared with {{dir}}/config.toml\n"
            )
            .as_str(),
            ""
        )
    );
    let (code, out, err) = run(&env, &c, &["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, &doc["damaged"], err.as_str()),
        (Some(1), &serde_json::json!([EDITED]), "")
    );

    // A damaged block exports series that alert, as a cron block edited by hand does.
    let (code, out, err) = run(&env, &c, &["metrics"]);
    let samples: String = out
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let labels = "block=\"web\",target=\"systemd\",user=\"root\"";
    assert_eq!(
        (code, samples, err),
        (
            Some(0),
            format!(
                "crontainer_job_running{{job=\"backup-db\",{labels}}} 0\n\
                 crontainer_job_paused{{job=\"backup-db\",{labels}}} 0\n\
                 crontainer_job_missed{{job=\"backup-db\",{labels}}} 0\n\
                 crontainer_job_healthy{{job=\"backup-db\",{labels}}} 0\n\
                 crontainer_block_damaged{{{labels}}} 1\n"
            ),
            format!("crontainer: warning: {EDITED}\n")
        )
    );

    // doctor's fixes are ones that work: `install` alone refuses these units.
    let (code, out, _) = run(&env, &c, &["doctor"]);
    let findings: String = out
        .lines()
        .filter(|l| !l.starts_with("ok "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        (code, findings),
        (
            Some(1),
            format!(
                "FAIL  units: `systemd-analyze verify --man=no \
                 '{{dir}}/systemd/{SERVICE}' '{{dir}}/systemd/{TIMER}'` exited with 0: \
                 {{dir}}/systemd/{SERVICE}:12: Unit uses KillMode=none. This is unsafe, as it \
                 disables systemd's process lifecycle management for the service. Please update \
                 the service to use a safer KillMode=, such as 'mixed' or 'control-group'. \
                 Support for KillMode=none is deprecated and will eventually be removed.\n      \
                 fix: delete {{dir}}/systemd/{SERVICE} and {{dir}}/systemd/{TIMER} (not as \
                 crontainer writes them: edited by hand?), then run `crontainer install` to \
                 write them again\n\
                 WARN  installed blocks: no crontainer jobs in systemd units crontainer-web-* in \
                 {{dir}}/systemd\n      fix: run `crontainer install`\n\
                 FAIL  damaged block: {EDITED}\n      fix: delete the unit files the message \
                 names, then run `crontainer install` to write them again\n\
                 FAIL  job backup-db: in the config but not installed in block `web`\n      \
                 fix: run `crontainer install`\n"
            )
        )
    );

    // A service whose timer is gone is damaged too; the fix works.
    std::fs::remove_file(env.path("systemd").join(TIMER)).unwrap();
    let (code, out, _) = run(&env, &c, &["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, &doc["damaged"]),
        (
            Some(1),
            &serde_json::json!([format!(
                "block `web` in systemd units crontainer-web-* in {{dir}}/systemd: \
                 {{dir}}/systemd/{SERVICE} has no timer {TIMER} beside it; delete it and run \
                 `crontainer install` again"
            )])
        )
    );
    std::fs::remove_file(&path).unwrap();
    ok(env.cmd(["install", "-c"]).arg(&c));
    let (code, out, _) = run(&env, &c, &["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, &doc["damaged"], &doc["jobs"][0]["installed"]),
        (Some(0), &serde_json::json!([]), &serde_json::json!(true)),
        "{doc:#}"
    );
}
