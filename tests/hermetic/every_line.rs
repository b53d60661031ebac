//! The generated line for an `every` interval cron cannot express, fired at every instant its
//! cron fields match over three days, runs the container command at exactly the next runs that
//! `plan` lists, and at no other time. The line runs in the real /bin/sh; only `date` (to move
//! the clock) and `docker` (to record the runs) are fakes.

use crate::common::{Env, stderr_of, stdout_of};

/// `date` answering for the instant in $FAKE_EPOCH, in the two forms the line asks for.
const FAKE_DATE: &str = r#"#!/bin/sh
case "$*" in
  *FT*) echo "$FAKE_EPOCH 2000-01-01T00:00:00Z" ;;
  *) echo "$FAKE_EPOCH" ;;
esac
"#;

/// Runs the line's command once for every instant in `[start, start + 3 days)` that its cron
/// fields (`0 * * * *` or `*/N * * * *`, as rendered for guarded intervals) match, and returns
/// the instants at which the container command ran.
fn fired(env: &Env, line: &str, start: i64) -> Vec<i64> {
    let fields: Vec<&str> = line.splitn(6, ' ').collect();
    let step = match fields[0] {
        "0" => 3600,
        "*" => 60,
        other => {
            60 * other
                .strip_prefix("*/")
                .expect("a minute step")
                .parse::<i64>()
                .unwrap()
        }
    };
    assert_eq!(&fields[1..5], ["*", "*", "*", "*"], "{line}");
    let command = fields[5].replace("\\%", "%");
    let mut runs = Vec::new();
    let first = (start + step - 1) / step * step;
    for t in (first..start + 3 * 86400).step_by(step as usize) {
        let before = env.docker_calls().len();
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&command)
            .env("FAKE_EPOCH", t.to_string())
            .env("FAKE_DOCKER_CALLS", env.path("docker-calls"))
            .env_remove("CRONTAINER_BY")
            .status()
            .unwrap();
        assert!(status.success(), "the line failed at {t}");
        if env.docker_calls().len() > before {
            runs.push(t);
        }
    }
    runs
}

#[track_caller]
fn check(every: &str, expected_gap: i64) {
    let env = Env::new();
    env.write_exe("bin/date", FAKE_DATE);
    let config = env.config(&format!(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\nevery = \"{every}\"\nlog = \"{{dir}}/logs/j.log\"\n"
    ));
    // 2026-11-29T12:34:56Z: the three days cross midnight three times.
    let start = 1_795_955_696;
    let output = env
        .cmd(["plan", "--json", "--next", "200", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    let line = doc["jobs"][0]["line"].as_str().unwrap();
    assert!(
        line.contains(&env.path("bin/date").display().to_string()),
        "{line}"
    );
    let planned: Vec<i64> = doc["jobs"][0]["next_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t.as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_second()
        })
        .filter(|&t| t < start + 3 * 86400)
        .collect();
    let runs = fired(&env, line, start);
    assert_eq!(
        runs, planned,
        "every = {every:?}: the line ran at other times than planned"
    );
    assert!(
        runs.len() as i64 >= 3 * 86400 / expected_gap - 1,
        "{runs:?}"
    );
    for pair in runs.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            expected_gap,
            "every = {every:?}: {runs:?}"
        );
    }
}

#[test]
fn five_hours_runs_exactly_every_five_hours_across_midnight() {
    check("5h", 5 * 3600);
}

#[test]
fn ninety_minutes_runs_exactly_every_ninety_minutes() {
    check("90m", 90 * 60);
}

#[test]
fn two_days_runs_exactly_every_48_hours() {
    check("2d", 48 * 3600);
}
