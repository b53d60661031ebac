//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `metrics`, whose gauges must carry the values of the run the log records, and the same health
//! and next run as `status`.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, fails_with, ok, stdout_of};

const LABELS: &str = r#"{job="main_pipeline_v2",block="crontainer"}"#;

/// Every gauge, in the order `metrics` writes them: each must have its HELP and TYPE lines
/// whether or not a job has a value for it.
const GAUGES: [&str; 13] = [
    "crontainer_job_last_start_timestamp_seconds",
    "crontainer_job_last_end_timestamp_seconds",
    "crontainer_job_last_success_timestamp_seconds",
    "crontainer_job_last_exit_code",
    "crontainer_job_last_duration_seconds",
    "crontainer_job_running",
    "crontainer_job_paused",
    "crontainer_job_missed",
    "crontainer_job_healthy",
    "crontainer_job_next_run_timestamp_seconds",
    "crontainer_job_usual_duration_seconds",
    "crontainer_job_usual_duration_p95_seconds",
    "crontainer_job_history_failures",
];

/// The sample lines of an exposition text (HELP and TYPE lines checked and left out).
#[track_caller]
fn samples(text: &str) -> String {
    let mut families = Vec::new();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert_eq!(lines.next(), Some(format!("# TYPE {name} gauge").as_str()));
            families.push(name.to_string());
        } else {
            let name = line.split('{').next().unwrap();
            assert_eq!(families.last().map(String::as_str), Some(name), "{text}");
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(families, GAUGES, "{text}");
    out
}

/// The unix second of a log line's time: `[crontainer] TIME JOB EVENT ...`.
fn seconds_of(line: &str) -> i64 {
    let time = line.split(' ').nth(1).unwrap();
    time.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// The value of `key=` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// `status --json` of the one job: its health and next run, which metrics must repeat.
fn status_of(env: &Env, config: &std::path::Path) -> serde_json::Value {
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    doc["jobs"][0].clone()
}

fn next_run_of(status: &serde_json::Value) -> i64 {
    let next = status["next_run"].as_str().expect("a next run");
    next.parse::<jiff::Timestamp>().unwrap().as_second()
}

#[test]
fn metrics_of_a_failed_run_carry_the_logged_values() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let run = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .env("FAKE_SLEEP", "1")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    let log = env.read("logs/main.log");
    let start = log.lines().find(|l| l.contains(" start pid=")).unwrap();
    let end = log.lines().find(|l| l.contains(" end exit=")).unwrap();
    let status = status_of(&env, &config);
    assert_eq!(status["healthy"], false, "{status}");

    let text = ok(env.cmd(["metrics", "-c"]).arg(&config));
    let want = format!(
        "crontainer_job_last_start_timestamp_seconds{LABELS} {}\n\
         crontainer_job_last_end_timestamp_seconds{LABELS} {}\n\
         crontainer_job_last_exit_code{LABELS} 3\n\
         crontainer_job_last_duration_seconds{LABELS} {}\n\
         crontainer_job_running{LABELS} 0\n\
         crontainer_job_paused{LABELS} 0\n\
         crontainer_job_missed{LABELS} 0\n\
         crontainer_job_healthy{LABELS} 0\n\
         crontainer_job_next_run_timestamp_seconds{LABELS} {}\n\
         crontainer_job_history_failures{LABELS} 1\n",
        seconds_of(start),
        seconds_of(end),
        field(end, "seconds="),
        next_run_of(&status),
    );
    assert_eq!(samples(&text), want, "log:\n{log}");
    assert!(field(end, "seconds=") != "0", "the run slept: {end}");
}

#[test]
fn textfile_gets_a_successful_run_atomically_and_readable() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    ok(env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config));
    let end = env.read("logs/main.log");
    let end = end.lines().find(|l| l.contains(" end exit=0 ")).unwrap();
    assert_eq!(status_of(&env, &config)["healthy"], true);

    let dir = env.path("textfile");
    std::fs::create_dir(&dir).unwrap();
    let said = ok(env
        .cmd(["metrics", "--textfile"])
        .arg(&dir)
        .arg("-c")
        .arg(&config));
    let prom = dir.join("crontainer.prom");
    assert_eq!(said, format!("wrote 1 job(s) to {}\n", prom.display()));
    let written = std::fs::read_to_string(&prom).unwrap();
    // The same text as printed, and nothing else left in the directory (no temp file).
    assert_eq!(written, ok(env.cmd(["metrics", "-c"]).arg(&config)));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["crontainer.prom"]);
    // node_exporter reads it as its own user.
    let mode = std::fs::metadata(&prom).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);

    let samples = samples(&written);
    let at = seconds_of(end);
    for line in [
        format!("crontainer_job_last_end_timestamp_seconds{LABELS} {at}"),
        format!("crontainer_job_last_success_timestamp_seconds{LABELS} {at}"),
        format!("crontainer_job_last_exit_code{LABELS} 0"),
        format!("crontainer_job_healthy{LABELS} 1"),
    ] {
        assert!(
            samples.lines().any(|l| l == line),
            "{line} not in:\n{samples}"
        );
    }

    // A second write replaces the file whole.
    std::fs::write(&prom, "stale\n").unwrap();
    ok(env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(&dir)
        .arg("-c")
        .arg(&config));
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), written);
}

#[test]
fn a_paused_job_that_never_ran_has_no_times_and_no_next_run() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    ok(env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config));
    let text = ok(env.cmd(["metrics", "-c"]).arg(&config));
    assert_eq!(
        samples(&text),
        format!(
            "crontainer_job_running{LABELS} 0\n\
             crontainer_job_paused{LABELS} 1\n\
             crontainer_job_missed{LABELS} 0\n\
             crontainer_job_healthy{LABELS} 1\n"
        )
    );
}

#[test]
fn a_missing_textfile_directory_is_an_error_naming_it() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let dir = env.path("nowhere");
    let err = fails_with(
        env.cmd(["metrics", "--textfile"])
            .arg(&dir)
            .arg("-c")
            .arg(&config),
        1,
        &format!("could not write {}", dir.join("crontainer.prom").display()),
    );
    assert!(!dir.exists(), "{err}");
}
