//! Hermetic CLI tests: what `status` says of lines and logs that changed under it (issue 25,
//! item 10): a job line edited by hand under an intact marker, a pause, a copytruncate rotation
//! during a run, a run killed well before its timeout.

use crate::common::{Env, stdout_of};

/// `status --json` (with `-c CONFIG` when given): its exit code and the one job's problems.
fn problems(env: &Env, config: Option<&std::path::Path>) -> (Option<i32>, serde_json::Value) {
    let mut cmd = env.cmd(["status", "--json"]);
    if let Some(config) = config {
        cmd.arg("-c").arg(config);
    }
    let out = cmd.output().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    (out.status.code(), doc["jobs"][0]["problems"].clone())
}

/// The crontab with the job's line changed by `edit`.
fn edit_line(env: &Env, edit: impl Fn(&str) -> String) {
    let text = env.crontab().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("0 * * * * "))
        .unwrap()
        .to_string();
    env.set_crontab(&text.replace(&line, &edit(&line)));
}

const FIX: &str = "what runs is not what the marker says; `crontainer install` writes it again \
                   (or `crontainer uninstall main_pipeline_v2` removes it)";

#[test]
fn a_line_edited_by_hand_under_its_marker_is_damaged_with_or_without_a_config() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    edit_line(&env, |line| line.replacen("0 * * * * ", "0 0 31 2 * ", 1));
    let want = serde_json::json!([format!(
        "its line was edited by hand under crontainer's marker (its schedule `0 0 31 2 *` is \
         not one crontainer writes): {FIX}"
    )]);
    assert_eq!(problems(&env, None), (Some(1), want));

    env.install(&config);
    edit_line(&env, |line| {
        line.replace(" ai-video-backend ", " another-one ")
    });
    // A runner line names its container as a word the reader checks against the marker: the
    // block is damaged, said how, with or without the config.
    let want = serde_json::json!([
        "block `crontainer` in root's crontab: the block `crontainer:crontainer` was edited by \
         hand: job \"main_pipeline_v2\": its line names another container or service than its \
         marker; move your own lines outside the `# BEGIN crontainer:crontainer` ... `# END \
         crontainer:crontainer` lines, or delete the block and run `crontainer install` again"
            .replace("root's", &format!("{}'s", Env::user()))
    ]);
    for config in [None, Some(&config)] {
        let mut cmd = env.cmd(["status", "--json"]);
        if let Some(config) = config {
            cmd.arg("-c").arg(config);
        }
        let out = cmd.output().unwrap();
        let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
        assert_eq!(
            (out.status.code(), &doc["damaged"]),
            (Some(1), &want),
            "{doc:#}"
        );
    }
}

#[test]
fn firings_that_fell_in_a_pause_are_not_missed_after_resume() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let at = |cmd: &mut assert_cmd::Command, now: &str| {
        let out = cmd.env("CRONTAINER_NOW", now).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    at(
        env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config),
        "2026-11-29T12:40:00Z",
    );
    // A day later, resumed; a minute after that, nothing can have been missed.
    at(
        env.cmd(["resume", "main_pipeline_v2", "-c"]).arg(&config),
        "2026-11-30T12:00:00Z",
    );
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .env("CRONTAINER_NOW", "2026-11-30T12:01:00Z")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["jobs"][0]["problems"], serde_json::json!([]), "{doc:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn logs_and_status_read_the_same_run_after_a_copytruncate_rotation_during_it() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    // logrotate copied the log to `.1` and emptied it while the run went on.
    let start = "[crontainer] 2026-11-29T12:00:00Z main_pipeline_v2 start pid=77 by=cron\n";
    let end = "[crontainer] 2026-11-29T12:00:09Z main_pipeline_v2 end exit=0 seconds=9 \
               run=77-1795953600 by=cron\n";
    std::fs::write(
        env.path("logs/main.log.1"),
        format!("older output\n{start}first half\n"),
    )
    .unwrap();
    std::fs::write(env.path("logs/main.log"), format!("second half\n{end}")).unwrap();
    std::fs::write(env.path("logs/main.log.lock"), "77-1795953600\n").unwrap();

    let out = env
        .cmd(["logs", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            stdout_of(&out),
            crate::common::stderr_of(&out)
        ),
        (
            Some(0),
            format!("{start}first half\nsecond half\n{end}"),
            String::new()
        )
    );
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let last = &doc["jobs"][0]["last_run"];
    assert_eq!(last["started"]["at"], "2026-11-29T12:00:00Z", "{doc:#}");
    assert_eq!(last["ended"]["at"], "2026-11-29T12:00:09Z", "{doc:#}");
}

/// A run with a `timeout` whose container restarted under it ends 137 long before the limit:
/// a40f190 called it "timed out" (issue 25, item 10); it is named killed, and said how.
#[test]
fn a_run_killed_well_before_its_timeout_is_not_called_timed_out() {
    let env = Env::new();
    let config = env.simple_config("timeout = \"1h\"");
    env.install(&config);
    std::fs::write(
        env.path("logs/main.log"),
        "[crontainer] 2026-11-29T12:00:00Z main_pipeline_v2 start pid=41 by=cron\n\
         [crontainer] 2026-11-29T12:00:12Z main_pipeline_v2 end exit=137 seconds=12 \
         timeout=3600 run=41-1795953600 by=cron\n",
    )
    .unwrap();
    assert_eq!(
        problems(&env, Some(&config)),
        (
            Some(1),
            serde_json::json!([
                "the last run was killed (exit 137) after 12s, before its timeout: its container \
                 stopped or restarted during the run, or something else killed it"
            ])
        )
    );
}
