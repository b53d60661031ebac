//! The systemd target when units or timers are no longer as `install` left them: a timer
//! stopped or started by hand is set right by the `install`, `pause` or `resume` that `status`
//! advises, though no unit changes.

use crate::common::{Env, ok};
use crate::systemd::{TIMER, calls, config, masked};

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
