//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `pause` and `resume`.

use crate::common::{Env, fails, ok, stderr_of, stdout_of};

#[test]
fn pause_and_resume_keep_the_line_and_everything_else() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let installed = env.crontab().unwrap();

    let out = ok(env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("paused job \"main_pipeline_v2\""), "{out}");
    let paused = env.crontab().unwrap();
    assert!(paused.starts_with("# mine\n"));
    let line = paused.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(
        line.starts_with("#paused# 0 * * * * "),
        "cron must see a comment: {line}"
    );
    assert!(paused.contains(" paused_at="), "{paused}");

    // Pausing again changes nothing and says so.
    let doc: serde_json::Value = serde_json::from_str(&ok(env
        .cmd(["pause", "--json", "main_pipeline_v2", "-c"])
        .arg(&config)))
    .unwrap();
    assert_eq!(doc["changed"], false);
    assert_eq!(env.crontab().unwrap(), paused);

    // Status: paused, no next run, not a failure.
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(
        &env.cmd(["status", "--json", "-c"])
            .arg(&config)
            .output()
            .unwrap(),
    ))
    .unwrap();
    assert!(doc["jobs"][0]["paused"]["at"].is_string(), "{doc}");
    assert_eq!(doc["jobs"][0]["next_run"], serde_json::Value::Null);
    assert_eq!(doc["jobs"][0]["problems"], serde_json::json!([]));

    // A changed config keeps the job paused, with the new command.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("main_v2.py", "main_v3.py");
    std::fs::write(&config, text).unwrap();
    let out = ok(env.cmd(["install", "-c"]).arg(&config));
    assert!(out.contains("stays paused"), "{out}");
    let reinstalled = env.crontab().unwrap();
    let line = reinstalled.lines().find(|l| l.contains(" exec ")).unwrap();
    assert!(
        line.starts_with("#paused# ") && line.contains("main_v3.py"),
        "{line}"
    );

    // run-now still runs a paused job, with a notice.
    let output = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("is paused"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(
        env.docker_calls(),
        vec![vec!["ai-video-backend", "python", "main_v3.py"]]
    );

    let out = ok(env.cmd(["resume", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("resumed"), "{out}");
    let resumed = env.crontab().unwrap();
    assert_eq!(resumed, installed.replace("main_v2.py", "main_v3.py"));
    let out = ok(env.cmd(["resume", "main_pipeline_v2", "-c"]).arg(&config));
    assert!(out.contains("is not paused; nothing changed"), "{out}");

    let err = fails(env.cmd(["pause", "ghost", "-c"]).arg(&config), 2);
    assert!(err.contains("not installed"), "{err}");
    ok(env.cmd(["uninstall", "-c"]).arg(&config));
    assert_eq!(env.crontab().unwrap(), "# mine\n");
}
