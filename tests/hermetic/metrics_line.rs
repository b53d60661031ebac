//! Hermetic CLI tests: `status` and `doctor` check the block's metrics line (`[monitoring]
//! textfile_dir`), which runs crontainer itself every minute: its binary and config there, and
//! its file in the textfile directory fresh (issue 25, item 3).

use crate::common::{Env, ok, stdout_of};

/// A block with one job and the metrics line into `prom/`.
fn monitored(env: &Env) -> std::path::PathBuf {
    std::fs::create_dir(env.path("prom")).unwrap();
    env.config(
        "[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\
         [[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\n\
         log = \"{dir}/logs/j.log\"\n",
    )
}

/// `status --json` without a config (it may be gone): its exit code and metrics problems.
fn metrics_problems(env: &Env) -> (Option<i32>, serde_json::Value) {
    let out = env.cmd(["status", "--json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    (out.status.code(), doc["metrics_problems"].clone())
}

/// `doctor --json`'s failed checks named "metrics line".
fn doctor_fails(env: &Env) -> Vec<String> {
    let out = env.cmd(["doctor", "--json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "metrics line" && c["verdict"] == "fail")
        .map(|c| c["detail"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn status_and_doctor_say_when_the_metrics_line_cannot_work_or_its_file_is_stale() {
    let env = Env::new();
    let config = monitored(&env);
    env.install(&config);
    let user = Env::user();
    let file = env.path(&format!("prom/crontainer-crontab-{user}+crontainer.prom"));
    // Never refreshed (cron does not run here), installed "long ago" (the fake clock).
    let never = format!(
        "the metrics of block `crontainer`: {} has not been written, though the metrics line \
         runs every minute (`crontainer metrics --textfile {}` by hand says why)",
        file.display(),
        env.path("prom").display()
    );
    assert_eq!(
        metrics_problems(&env),
        (Some(1), serde_json::json!([never]))
    );
    assert_eq!(doctor_fails(&env), [never]);

    // What the line does, done once: fresh, and nothing to say.
    ok(env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(env.path("prom"))
        .arg("-c")
        .arg(&config));
    assert_eq!(metrics_problems(&env).1, serde_json::json!([]));
    assert_eq!(doctor_fails(&env), Vec::<String>::new());

    // Left alone for an hour.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let stale = format!(
        "the metrics of block `crontainer`: {} was last written 1h ago, though the metrics line \
         runs every minute (`crontainer metrics --textfile {}` by hand says why)",
        file.display(),
        env.path("prom").display()
    );
    assert_eq!(
        metrics_problems(&env),
        (Some(1), serde_json::json!([stale]))
    );
    let out = env.cmd(["status"]).output().unwrap();
    assert!(
        stdout_of(&out)
            .lines()
            .any(|l| l == format!("PROBLEM {stale}")),
        "{}",
        stdout_of(&out)
    );

    // The config moved away and the binary deleted: the line fails every minute.
    ok(env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(env.path("prom"))
        .arg("-c")
        .arg(&config));
    // The binary the lines name (the harness's `CRONTAINER_EXE`).
    let exe = env.path("bin/crontainer");
    let gone = env.path("gone/crontainer");
    env.set_crontab(&env.crontab().unwrap().replace(
        &format!("{} metrics", exe.display()),
        &format!("{} metrics", gone.display()),
    ));
    std::fs::rename(&config, env.path("moved.toml")).unwrap();
    let want = [
        format!(
            "the metrics line of block `crontainer` runs the crontainer binary {}, which is \
             gone: it fails every minute; fix: `crontainer install` again (from the binary and \
             config to keep)",
            gone.display()
        ),
        format!(
            "the metrics line of block `crontainer` reads the config {}, which is gone: it fails \
             every minute; fix: `crontainer install` again (from the binary and config to keep)",
            config.display()
        ),
    ];
    assert_eq!(metrics_problems(&env), (Some(1), serde_json::json!(want)));
    assert_eq!(doctor_fails(&env), want);
}
