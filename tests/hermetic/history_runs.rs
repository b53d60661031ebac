//! The run history read by runs, not records (`src/history/runs.rs`): a run with retries is one
//! run, its last attempt deciding; `history` shows what the line's limits keep; a run record
//! with no end is a run going now or one that did not finish.

use crontainer::history::{self, Entry, Kind};

use crate::common::{Env, ok};
use crate::history::{RUN_GOING, STARTED, entry, going, pipeline_run, usual_runs};
use crate::runner::assert_output;

/// The attempts of run `42-<first>` of `main_pipeline_v2`: `(start, seconds, exit)` each, the
/// last with the ping.
fn retried_run(attempts: &[(&str, u64, i32)]) -> Vec<Entry> {
    let run = format!(
        "42-{}",
        attempts[0]
            .0
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second()
    );
    attempts
        .iter()
        .zip(1..)
        .map(|(&(start, seconds, exit), attempt)| Entry {
            run: Some(run.clone()),
            attempt,
            ping: (attempt == attempts.len() as u32).then(|| "ok".to_owned()),
            ..pipeline_run(start, seconds, exit, None)
        })
        .collect()
}

/// A run that succeeded on its third attempt (07:00), one that failed both of its attempts
/// (12:00), and five plain runs of 40 minutes the day before.
fn retried_runs() -> Vec<Entry> {
    let mut entries = usual_runs();
    entries.push(pipeline_run("2026-11-29T02:00:00Z", 2400, 0, None));
    entries.extend(retried_run(&[
        ("2026-11-29T07:00:00Z", 60, 3),
        ("2026-11-29T07:01:30Z", 60, 3),
        ("2026-11-29T07:04:30Z", 2400, 0),
    ]));
    entries.extend(retried_run(&[
        ("2026-11-29T12:00:00Z", 30, 1),
        ("2026-11-29T12:01:00Z", 30, 1),
    ]));
    entries
}

#[test]
fn a_retried_run_is_one_run_its_last_attempt_deciding() {
    let g = going(retried_runs(), "", false);
    let history = |args: &[&str]| {
        g.env
            .cmd(["history", "--since", "2026-11-29", "-c"])
            .arg(&g.config)
            .args(args)
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .output()
            .unwrap()
    };
    // 07:00 to 07:44:30 is the retried run's duration: its attempts and the delays between.
    assert_output(
        &history(&[]),
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT                PING\n\
         \x20 2026-11-29 02:00:00 UTC  cron     40m       ok                    ok\n\
         \x20 2026-11-29 07:00:00 UTC  cron     1m        exit 3 (attempt 1/3)  -\n\
         \x20 2026-11-29 07:01:30 UTC  cron     1m        exit 3 (attempt 2/3)  -\n\
         \x20 2026-11-29 07:04:30 UTC  cron     40m       ok (attempt 3/3)      ok\n\
         \x20 2026-11-29 12:00:00 UTC  cron     30s       exit 1 (attempt 1/2)  -\n\
         \x20 2026-11-29 12:01:00 UTC  cron     30s       exit 1 (attempt 2/2)  ok\n\
         \x20 3 runs, 1 failed, 67% success, usually 40m (p95 44m)\n\
         \x20 recent durations ▇█▁\n",
        "",
    );
    assert_output(
        &history(&["--failed"]),
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT                PING\n\
         \x20 2026-11-29 12:00:00 UTC  cron     30s       exit 1 (attempt 1/2)  -\n\
         \x20 2026-11-29 12:01:00 UTC  cron     30s       exit 1 (attempt 2/2)  ok\n\
         \x20 1 runs, 1 failed, 0% success, usually 1m (p95 1m)\n\
         \x20 recent durations ▁\n",
        "",
    );
    let json: serde_json::Value =
        serde_json::from_slice(&history(&["--json", "-n", "2"]).stdout).unwrap();
    let job = &json["jobs"][0];
    assert_eq!(
        job["summary"],
        serde_json::json!({
            "runs": 3, "failures": 1, "skipped": 0, "retried": 2, "did_not_finish": 0,
            "success_rate": 2.0 / 3.0,
            "p50_seconds": 2400, "p95_seconds": 2670,
        })
    );
    let attempts: Vec<_> = job["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                &r["start"],
                &r["attempt"],
                &r["attempts"],
                &r["last_attempt"],
            )
        })
        .collect();
    assert_eq!(
        format!("{attempts:?}"),
        "[(String(\"2026-11-29T12:00:00Z\"), Number(1), Number(2), Bool(false)), \
         (String(\"2026-11-29T12:01:00Z\"), Number(2), Number(2), Bool(true))]"
    );
    // status and metrics count the failed run once, and the retried one's duration whole.
    let (_, _, durations) = g.status();
    assert_eq!(
        durations,
        serde_json::json!({
            "usual": {"runs": 7, "p5_seconds": 2400, "p50_seconds": 2400, "p95_seconds": 2670},
            "running_seconds": null,
            "skipped_while_running": 0,
            "last_succeeded_seconds": null,
            "failures": 1,
        })
    );
    let metrics = ok(g.env.cmd(["metrics", "-c"]).arg(&g.config));
    let failures: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("crontainer_job_history_failures{"))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(failures, ["1"], "{metrics}");
}

#[test]
fn history_shows_exactly_what_the_lines_limits_keep() {
    let env = Env::new();
    let config = env.simple_config("history_limit = 2\nfailed_history_limit = 1");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let log = env.path("logs/main.log");
    // Written under the default limits, so never compacted: the file holds all of them, as it
    // does between two compactions under the line's limits.
    let mut entries: Vec<Entry> = (0..4)
        .map(|i| pipeline_run(&format!("2026-11-29T0{i}:00:00Z"), 60, i, None))
        .collect();
    entries.extend(retried_run(&[
        ("2026-11-29T05:00:00Z", 60, 3),
        ("2026-11-29T05:02:00Z", 60, 0),
    ]));
    for at in ["06:00", "06:10"] {
        entries.push(Entry {
            job: "main_pipeline_v2".to_owned(),
            start: format!("2026-11-29T{at}:00Z").parse().unwrap(),
            end: None,
            seconds: None,
            ..entry(Kind::Skip, None, Some("running"))
        });
    }
    entries.push(pipeline_run("2026-11-29T07:00:00Z", 60, 0, None));
    for entry in &entries {
        history::append(
            &env.path("history"),
            &log,
            entry,
            history::Limits::default(),
        )
        .unwrap();
    }
    let out = env
        .cmd(["history", "-c"])
        .arg(&config)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    // The newest 2 successful runs (07:00, and 05:00 with its failed attempt), the newest
    // failed run (03:00) and the newest skip.
    assert_output(
        &out,
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT                PING\n\
         \x20 2026-11-29 03:00:00 UTC  cron     1m        exit 3                ok\n\
         \x20 2026-11-29 05:00:00 UTC  cron     1m        exit 3 (attempt 1/2)  -\n\
         \x20 2026-11-29 05:02:00 UTC  cron     1m        ok (attempt 2/2)      ok\n\
         \x20 2026-11-29 06:10:00 UTC  cron     -         skipped (running)     -\n\
         \x20 2026-11-29 07:00:00 UTC  cron     1m        ok                    ok\n\
         \x20 3 runs, 1 failed, 67% success, usually 1m (p95 3m), 1 skipped\n\
         \x20 recent durations _#_\n",
        "",
    );
}

/// The record a runner writes when attempt `attempt` of run `run` starts: no end, no exit.
fn started(run: &str, start: &str, attempt: u32) -> Entry {
    Entry {
        job: "main_pipeline_v2".to_owned(),
        run: Some(run.to_owned()),
        start: start.parse().unwrap(),
        end: None,
        seconds: None,
        attempt,
        ..entry(Kind::Run, None, None)
    }
}

#[test]
fn a_run_that_never_ended_did_not_finish_unless_it_holds_the_lock() {
    let ended = pipeline_run("2026-11-29T02:00:00Z", 2400, 0, None);
    let g = going(
        vec![
            started(ended.run.as_deref().unwrap(), "2026-11-29T02:00:00Z", 1),
            ended,
            // Its runner was killed (the lock names another run).
            started("77-1795932000", "2026-11-29T06:00:00Z", 1),
            // The run going now, which holds the lock.
            started(&format!("4242-{STARTED}"), "2026-11-29T10:20:00Z", 1),
        ],
        RUN_GOING,
        true,
    );
    let history = |args: &[&str]| {
        g.env
            .cmd(["history", "-c"])
            .arg(&g.config)
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .unwrap()
    };
    assert_output(
        &history(&[]),
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT          PING\n\
         \x20 2026-11-29 02:00:00 UTC  cron     40m       ok              ok\n\
         \x20 2026-11-29 06:00:00 UTC  cron     -         did not finish  -\n\
         \x20 2026-11-29 10:20:00 UTC  cron     -         running         -\n\
         \x20 2 runs, 1 failed (1 did not finish), 50% success, usually 40m (p95 40m)\n\
         \x20 recent durations _\n",
        "",
    );
    assert_output(
        &history(&["--failed"]),
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT          PING\n\
         \x20 2026-11-29 06:00:00 UTC  cron     -         did not finish  -\n\
         \x20 1 runs, 1 failed (1 did not finish), 0% success, usually - (p95 -)\n",
        "",
    );
    let json: serde_json::Value =
        serde_json::from_slice(&history(&["--json", "-n", "2"]).stdout).unwrap();
    let records: Vec<_> = json["jobs"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["start"], &r["end"], &r["superseded"], &r["run_result"]))
        .collect();
    assert_eq!(
        format!("{records:?}"),
        "[(String(\"2026-11-29T06:00:00Z\"), Null, Bool(false), String(\"did not finish\")), \
         (String(\"2026-11-29T10:20:00Z\"), Null, Bool(false), String(\"running\"))]"
    );
    assert_eq!(json["jobs"][0]["summary"]["did_not_finish"], 1);
    // status and metrics count the run that did not finish as failed, not the one going.
    let (_, _, durations) = g.status();
    assert_eq!(durations["failures"], 1, "{durations}");
}
