//! `pause` and `resume` under the real cron daemon: a paused `* * * * *` job does not fire for
//! two minutes, a changed config installed meanwhile keeps it paused (with the new command),
//! and once resumed it fires within the next minute; the user's own crontab lines stay
//! byte-identical throughout.

use std::time::Duration;

use crate::blocks::without_blocks;
use crate::support::{
    self, CRON_FIRE_TIMEOUT, Container, Crontainer, POLL, TestCrontab, UserDir, toml_str,
    wait_until,
};

/// Waits until the wall clock is in seconds 5..50 of a minute, so a change made now is seen by
/// cron before its next firing (it reloads at the top of each minute).
fn away_from_the_minute_boundary() {
    loop {
        let second = jiff::Timestamp::now().as_second().rem_euclid(60);
        if (5..50).contains(&second) {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_paused_job_does_not_fire_and_fires_again_once_resumed() {
    support::require_provisioned();
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let crontab = TestCrontab::acquire();
    let mine = "# the user's own lines\nMAILTO=\"\"\n17 3 29 2 * /bin/true keep-me\n";
    crontab.write(mine);
    let config_text = |arg: &str| {
        format!(
            "[cron]\nuser = \"{}\"\nname = \"e2e-pause\"\n[[job]]\nid = \"paused\"\ncontainer = \"{}\"\n\
             command = [\"python\", {}]\nschedule = \"* * * * *\"\nlog = {}\n",
            support::TEST_USER,
            container.name(),
            toml_str(arg),
            toml_str(&dir.join("paused.log").display().to_string())
        )
    };
    let config = tool.config(&config_text("first"));
    let c = config.display().to_string();

    away_from_the_minute_boundary();
    tool.expect(["install", "-c", &c], 0);
    tool.expect(["pause", "paused", "-c", &c], 0);
    assert_eq!(without_blocks(&crontab.read()), mine);
    let (_, status) = tool.status_json(&config);
    assert!(
        support::status_job(&status, "paused")["paused"]["at"].is_string(),
        "{status:#}"
    );

    // Two minute boundaries pass; halfway, a changed config is installed.
    std::thread::sleep(Duration::from_secs(60));
    std::fs::write(&config, config_text("second")).unwrap();
    away_from_the_minute_boundary();
    let out = tool.expect(["install", "-c", &c], 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("stays paused"));
    let text = crontab.read();
    assert!(
        text.lines()
            .any(|l| l.starts_with("#paused# ") && l.ends_with(" python second")),
        "{text}"
    );
    assert_eq!(without_blocks(&text), mine);
    std::thread::sleep(Duration::from_secs(65));
    assert!(
        container.calls().is_empty(),
        "a paused job fired: {:?}",
        container.calls()
    );

    away_from_the_minute_boundary();
    tool.expect(["resume", "paused", "-c", &c], 0);
    assert_eq!(without_blocks(&crontab.read()), mine);
    assert!(
        wait_until(CRON_FIRE_TIMEOUT, POLL, || !container.calls().is_empty()),
        "the resumed job did not fire within {CRON_FIRE_TIMEOUT:?}"
    );
    assert_eq!(
        container.calls()[0].args(),
        ["second"],
        "it runs the new command"
    );

    tool.expect(["uninstall", "-c", &c], 0);
    assert_eq!(crontab.read(), mine);
}
