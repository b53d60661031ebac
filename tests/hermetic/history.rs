//! The run history (`src/history/`): what the runner records for every run and skipped
//! firing, kept through log rotation, and `crontainer history` reading it.

use crontainer::history::{self, Entry, Kind};

use crate::common::{Env, ok};
use crate::runner::{Runner, assert_output};

/// The ledger of the runner's job `j`, each record's times, duration and run id replaced by
/// the epoch, 0 and `N-N` (the runner stamps them with the real clock, and under load a run of
/// `true` may take a second).
fn ledger(r: &Runner) -> Vec<Entry> {
    let dirs = [r.env.path("history")];
    let entries = history::read(&dirs, "j", &r.log())
        .unwrap()
        .expect("a ledger");
    entries
        .into_iter()
        .map(|mut e| {
            e.start = jiff::Timestamp::UNIX_EPOCH;
            e.end = e.end.map(|_| jiff::Timestamp::UNIX_EPOCH);
            e.seconds = e.seconds.map(|_| 0);
            e.run = e.run.map(|_| "N-N".to_owned());
            e
        })
        .collect()
}

pub(crate) fn entry(kind: Kind, exit: Option<i32>, reason: Option<&str>) -> Entry {
    let ran = kind == Kind::Run;
    Entry {
        kind,
        job: "j".to_owned(),
        block: String::new(),
        run: Some("N-N".to_owned()),
        trigger: "cron".to_owned(),
        start: jiff::Timestamp::UNIX_EPOCH,
        end: ran.then_some(jiff::Timestamp::UNIX_EPOCH),
        seconds: ran.then_some(0),
        exit,
        reason: reason.map(str::to_owned),
        ping: None,
        attempt: 1,
    }
}

/// The record the runner writes as an attempt starts (no end, no exit).
fn started(attempt: u32) -> Entry {
    Entry {
        end: None,
        seconds: None,
        attempt,
        ..entry(Kind::Run, None, None)
    }
}

#[test]
fn every_run_is_recorded_with_its_exit_and_duration_and_kept_through_a_rotation() {
    let r = Runner::new();
    assert_output(&r.run(&[], &["app", "sh", "-c", "exit 3"]), 3, "", "");
    assert_output(&r.run(&[], &["app", "true"]), 0, "", "");
    // logrotate's copytruncate (crontainer's own logrotate file) empties the log in place.
    std::fs::copy(r.log(), r.env.path("logs/j.log.1")).unwrap();
    std::fs::write(r.log(), "").unwrap();
    assert_output(&r.run(&[], &["app", "sh", "-c", "exit 7"]), 7, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=7 seconds=N run=N-N by=cron\n"
    );
    assert_eq!(
        ledger(&r),
        [
            started(1),
            entry(Kind::Run, Some(3), None),
            started(1),
            entry(Kind::Run, Some(0), None),
            started(1),
            entry(Kind::Run, Some(7), None),
        ]
    );
}

#[test]
fn a_skipped_firing_is_recorded_with_the_run_that_held_the_lock() {
    let r = Runner::new();
    let _held = r.hold_lock("123-456\n");
    assert_output(&r.run(&[], &["app", "true"]), 75, "", "");
    let dirs = [r.env.path("history")];
    let entries = history::read(&dirs, "j", &r.log()).unwrap().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].run.as_deref(), Some("123-456"));
    assert_eq!(
        ledger(&r),
        [Entry {
            end: None,
            seconds: None,
            ..entry(Kind::Skip, None, Some("running"))
        }]
    );
}

#[test]
fn a_run_records_the_block_its_installed_line_names() {
    // install writes `--block crontainer` into the line, and run-now runs that line.
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    ok(env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config));
    let entries = history::read(
        &[env.path("history")],
        "main_pipeline_v2",
        &env.path("logs/main.log"),
    )
    .unwrap()
    .expect("a ledger");
    let recorded: Vec<_> = entries
        .iter()
        .map(|e| (e.kind, e.block.as_str(), e.exit))
        .collect();
    assert_eq!(
        recorded,
        [
            (Kind::Run, "crontainer", None),
            (Kind::Run, "crontainer", Some(0))
        ]
    );
    // A line written before `--block` (0.3's) names none: its records say no block, as
    // `every_run_is_recorded_...` shows; one that names a block records it, skips too.
    let r = Runner::new();
    std::fs::write(r.lock(), "").unwrap();
    let file = std::fs::File::open(r.lock()).unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    assert_output(
        &r.run(&["--block", "nightly"], &["app", "true"]),
        75,
        "",
        "",
    );
    drop(held);
    assert_output(&r.run(&["--block", "nightly"], &["app", "true"]), 0, "", "");
    let blocks: Vec<_> = ledger(&r).into_iter().map(|e| (e.kind, e.block)).collect();
    assert_eq!(
        blocks,
        [
            (Kind::Skip, "nightly".to_owned()),
            (Kind::Run, "nightly".to_owned()),
            (Kind::Run, "nightly".to_owned())
        ]
    );
}

#[test]
fn a_history_limit_on_the_line_bounds_the_ledger() {
    let r = Runner::new();
    for _ in 0..12 {
        assert_output(
            &r.run(
                &["--history-limit", "1", "--failed-history-limit", "0"],
                &["app", "true"],
            ),
            0,
            "",
            "",
        );
    }
    // Compacted past 1 KiB (one record's worth at 1 KiB each, ~5 records of ~230 bytes) to
    // the newest: never more than the limit plus the records since the last compaction.
    let kept = ledger(&r).len();
    assert!((1..6).contains(&kept), "{kept} records kept");
}

/// A run of `main_pipeline_v2` in the installed simple config's ledger.
pub(crate) fn pipeline_run(start: &str, seconds: u64, exit: i32, reason: Option<&str>) -> Entry {
    let start: jiff::Timestamp = start.parse().unwrap();
    Entry {
        job: "main_pipeline_v2".to_owned(),
        run: Some(format!("42-{}", start.as_second())),
        start,
        end: Some(start + jiff::SignedDuration::from_secs(seconds as i64)),
        seconds: Some(seconds),
        ping: Some("ok".to_owned()),
        ..entry(Kind::Run, Some(exit), reason)
    }
}

#[test]
fn history_shows_the_runs_and_what_they_add_up_to() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let log = env.path("logs/main.log");
    let limits = history::Limits::default();
    for entry in [
        pipeline_run("2026-11-29T02:00:00Z", 2400, 0, None),
        pipeline_run("2026-11-29T07:00:00Z", 2520, 0, None),
        pipeline_run("2026-11-29T12:00:00Z", 14400, 124, Some("timeout")),
        Entry {
            job: "main_pipeline_v2".to_owned(),
            start: "2026-11-29T12:05:00Z".parse().unwrap(),
            end: None,
            seconds: None,
            ..entry(Kind::Skip, None, Some("running"))
        },
        pipeline_run("2026-11-29T17:00:00Z", 2460, 3, None),
    ] {
        history::append(&env.path("history"), &log, &entry, limits).unwrap();
    }
    let out = env
        .cmd(["history", "-c"])
        .arg(&config)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .output()
        .unwrap();
    assert_output(
        &out,
        0,
        "crontainer/main_pipeline_v2\n\
         \x20 START                    TRIGGER  DURATION  RESULT              PING\n\
         \x20 2026-11-29 02:00:00 UTC  cron     40m       ok                  ok\n\
         \x20 2026-11-29 07:00:00 UTC  cron     42m       ok                  ok\n\
         \x20 2026-11-29 12:00:00 UTC  cron     4h        exit 124 (timeout)  ok\n\
         \x20 2026-11-29 12:05:00 UTC  cron     -         skipped (running)   -\n\
         \x20 2026-11-29 17:00:00 UTC  cron     41m       exit 3              ok\n\
         \x20 4 runs, 2 failed, 50% success, usually 41m (p95 4h), 1 skipped\n\
         \x20 recent durations ▁▁█▁\n",
        "",
    );
    let out = env
        .cmd(["history", "--failed", "-n", "1", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_output(
        &out,
        0,
        &r#"{
  "jobs": [
    {
      "block": "crontainer",
      "job": "main_pipeline_v2",
      "problem": null,
      "records": [
        {
          "attempt": 1,
          "attempts": 1,
          "block": "",
          "end": "2026-11-29T17:41:00Z",
          "exit": 3,
          "job": "main_pipeline_v2",
          "kind": "run",
          "last_attempt": true,
          "ping": "ok",
          "reason": null,
          "run": "42-1795971600",
          "run_result": "failed",
          "seconds": 2460,
          "start": "2026-11-29T17:00:00Z",
          "superseded": false,
          "trigger": "cron"
        }
      ],
      "source": "history",
      "summary": {
        "did_not_finish": 0,
        "failures": 2,
        "p50_seconds": 2460,
        "p95_seconds": 14400,
        "retried": 0,
        "runs": 2,
        "skipped": 0,
        "success_rate": 0.0
      },
      "where": "USER's crontab"
    }
  ],
  "version": 1
}
"#
        .replace("USER", &Env::user()),
        "",
    );
}

#[test]
fn history_of_a_job_without_a_ledger_reads_its_log_in_ascii_where_the_locale_is_not_utf8() {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    std::fs::write(
        env.path("logs/main.log"),
        "[crontainer] 2026-11-29T02:00:00Z main_pipeline_v2 start pid=1 by=cron\n\
         [crontainer] 2026-11-29T02:40:00Z main_pipeline_v2 end exit=0 seconds=2400 by=cron\n\
         [crontainer] 2026-11-29T07:00:00Z main_pipeline_v2 start pid=2 by=run-now:alice\n\
         [crontainer] 2026-11-29T07:00:02Z main_pipeline_v2 end exit=1 seconds=2 by=run-now:alice\n",
    )
    .unwrap();
    let out = env
        .cmd(["history", "main_pipeline_v2", "--since", "2026-11-29", "-c"])
        .arg(&config)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert_output(
        &out,
        0,
        "crontainer/main_pipeline_v2 (from its log: no run history yet)\n\
         \x20 START                    TRIGGER        DURATION  RESULT  PING\n\
         \x20 2026-11-29 02:00:00 UTC  cron           40m       ok      -\n\
         \x20 2026-11-29 07:00:00 UTC  run-now:alice  2s        exit 1  -\n\
         \x20 2 runs, 1 failed, 50% success, usually 2s (p95 40m)\n\
         \x20 recent durations #_\n",
        "",
    );
    let out = env
        .cmd(["history", "nope", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_output(
        &out,
        2,
        "",
        &format!(
            "crontainer: error: job \"nope\" is not installed in {}'s crontab\n",
            Env::user()
        ),
    );
}

/// An installed seed job whose run history holds `entries`, whose log holds `log`, and whose
/// lock file names run `4242-<10:20>`; `running` holds that lock, as a run going now does.
pub(crate) struct Going {
    pub(crate) env: Env,
    pub(crate) config: std::path::PathBuf,
    _held: Option<nix::fcntl::Flock<std::fs::File>>,
}

/// 2026-11-29T10:20:00Z, 2h14m56s before the tests' `CRONTAINER_NOW`.
pub(crate) const STARTED: i64 = 1_795_947_600;

pub(crate) fn going(entries: Vec<Entry>, log: &str, running: bool) -> Going {
    let env = Env::new();
    let config = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&config));
    let log_path = env.path("logs/main.log");
    for entry in entries {
        history::append(
            &env.path("history"),
            &log_path,
            &entry,
            history::Limits::default(),
        )
        .unwrap();
    }
    std::fs::write(&log_path, log).unwrap();
    let lock = env.path("logs/main.log.lock");
    std::fs::write(&lock, format!("4242-{STARTED}\n")).unwrap();
    let held = running.then(|| {
        nix::fcntl::Flock::lock(
            std::fs::File::open(&lock).unwrap(),
            nix::fcntl::FlockArg::LockExclusiveNonblock,
        )
        .map_err(|(_, e)| e)
        .unwrap()
    });
    Going {
        env,
        config,
        _held: held,
    }
}

/// Five successful runs of 40 minutes, the day before.
pub(crate) fn usual_runs() -> Vec<Entry> {
    (0..5)
        .map(|i| {
            pipeline_run(
                &format!("2026-11-28T{:02}:00:00Z", 2 + 5 * i),
                2400,
                0,
                None,
            )
        })
        .collect()
}

pub(crate) const RUN_GOING: &str =
    "[crontainer] 2026-11-29T10:20:00Z main_pipeline_v2 start pid=4242 by=cron\n";

impl Going {
    /// `status --json`'s exit code, the job's problems and its durations.
    pub(crate) fn status(&self) -> (Option<i32>, serde_json::Value, serde_json::Value) {
        let out = self
            .env
            .cmd(["status", "--json", "-c"])
            .arg(&self.config)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let job = &doc["jobs"][0];
        (
            out.status.code(),
            job["problems"].clone(),
            job["durations"].clone(),
        )
    }

    /// The rows of plain `status` that say how long the job takes and whether it runs.
    fn rows(&self) -> String {
        let out = self
            .env
            .cmd(["status", "-c"])
            .arg(&self.config)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("  usually:") || l.starts_with("  running:"))
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

#[test]
fn a_run_far_past_its_usual_duration_is_said_while_it_runs() {
    let g = going(usual_runs(), RUN_GOING, true);
    let (code, problems, durations) = g.status();
    assert_eq!(code, Some(1));
    assert_eq!(
        problems,
        serde_json::json!([
            "running for 2h14m; usually 40m (p95 40m): far past its usual duration"
        ])
    );
    assert_eq!(
        durations,
        serde_json::json!({
            "usual": {"runs": 5, "p5_seconds": 2400, "p50_seconds": 2400, "p95_seconds": 2400},
            "running_seconds": 8096,
            "skipped_while_running": 0,
            "last_succeeded_seconds": null,
            "failures": 0,
        })
    );
    assert_eq!(
        g.rows(),
        format!(
            "  usually:   takes about 40m (p95 40m, over 5 runs)\n  running:   yes (pid {}), for 2h14m\n",
            std::process::id()
        )
    );
}

#[test]
fn a_run_that_makes_its_next_firings_skip_is_unhealthy_as_a_hang() {
    let skip = |at: &str| Entry {
        job: "main_pipeline_v2".to_owned(),
        run: Some(format!("4242-{STARTED}")),
        start: at.parse().unwrap(),
        end: None,
        seconds: None,
        ..entry(Kind::Skip, None, Some("running"))
    };
    let skips = vec![
        skip("2026-11-29T11:00:00Z"),
        skip("2026-11-29T11:30:00Z"),
        skip("2026-11-29T12:00:00Z"),
    ];
    let g = going(skips, RUN_GOING, true);
    let (code, problems, durations) = g.status();
    assert_eq!(code, Some(1));
    assert_eq!(
        problems,
        serde_json::json!([
            "running for 2h14m while 3 firings were skipped: it may hang (a `timeout` would \
             stop it)"
        ])
    );
    assert_eq!(durations["skipped_while_running"], 3);
}

#[test]
fn a_run_far_faster_than_usual_is_said() {
    let mut runs = usual_runs();
    runs.push(pipeline_run("2026-11-29T10:20:00Z", 2, 0, None));
    let log = format!(
        "{RUN_GOING}[crontainer] 2026-11-29T10:20:02Z main_pipeline_v2 end exit=0 seconds=2 \
         run=4242-{STARTED} by=cron\n"
    );
    let g = going(runs, &log, false);
    let (code, problems, _) = g.status();
    assert_eq!(code, Some(1));
    assert_eq!(
        problems,
        serde_json::json!([
            "the last run succeeded in 2s; usually 40m (p95 40m): far faster than usual, did it \
             do its work?"
        ])
    );
    assert_eq!(
        g.rows(),
        "  usually:   takes about 40m (p95 40m, over 5 runs)\n  running:   no\n"
    );
}

#[test]
fn retries_run_the_command_again_and_the_last_attempts_exit_is_the_runs() {
    let r = Runner::new();
    let out = r.run(
        &["--retries", "2", "--retry-delay", "1s"],
        &["app", "sh", "-c", "echo try; exit 3"],
    );
    assert_output(&out, 3, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         try\n\
         crontainer: attempt 1 of 3 ended with exit 3; attempt 2 in 1s\n\
         try\n\
         crontainer: attempt 2 of 3 ended with exit 3; attempt 3 in 2s\n\
         try\n\
         [crontainer] T j end exit=3 seconds=N run=N-N by=cron\n"
    );
    let attempts: Vec<(u32, Option<i32>)> =
        ledger(&r).iter().map(|e| (e.attempt, e.exit)).collect();
    // Each attempt's start record, then its end record.
    assert_eq!(
        attempts,
        [
            (1, None),
            (1, Some(3)),
            (2, None),
            (2, Some(3)),
            (3, None),
            (3, Some(3))
        ]
    );
    let runs: Vec<Option<String>> = history::read(&[r.env.path("history")], "j", &r.log())
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|e| e.run)
        .collect();
    assert!(
        runs.windows(2).all(|w| w[0] == w[1]),
        "one run id: {runs:?}"
    );
}

#[test]
fn a_retry_that_succeeds_ends_the_run_with_exit_0() {
    let r = Runner::new();
    let marker = r.env.path("state/tried");
    let script = format!(
        "if [ -e {0} ]; then echo second; else touch {0}; echo first; exit 1; fi",
        marker.display()
    );
    let out = r.run(
        &["--retries", "3", "--retry-delay", "1s"],
        &["app", "sh", "-c", &script],
    );
    assert_output(&out, 0, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         first\n\
         crontainer: attempt 1 of 4 ended with exit 1; attempt 2 in 1s\n\
         second\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
    let attempts: Vec<(u32, Option<i32>)> =
        ledger(&r).iter().map(|e| (e.attempt, e.exit)).collect();
    assert_eq!(attempts, [(1, None), (1, Some(1)), (2, None), (2, Some(0))]);
}

#[test]
fn a_catch_up_outside_its_window_does_not_run() {
    // Daily at 12:00, installed long before: the firing 34m56s before `CRONTAINER_NOW` was missed.
    let boot = |within: &str| {
        [
            "--catch-up",
            "--schedule",
            "0 12 * * *",
            "--since",
            "2026-11-01T00:00:00Z",
            "--catch-up-within",
            within,
        ]
        .map(str::to_owned)
    };
    let late = Runner::new();
    assert_output(
        &late.run(
            &boot("30m").each_ref().map(String::as_str),
            &["app", "echo", "ran"],
        ),
        0,
        "",
        "",
    );
    assert_eq!(
        late.normalized_log(),
        "[crontainer] T j skip reason=outside-window by=catch-up\n"
    );
    assert_eq!(
        ledger(&late),
        [Entry {
            run: None,
            trigger: "catch-up".to_owned(),
            end: None,
            seconds: None,
            ..entry(Kind::Skip, None, Some("outside-window"))
        }]
    );
    let within = Runner::new();
    assert_output(
        &within.run(
            &boot("6h").each_ref().map(String::as_str),
            &["app", "echo", "ran"],
        ),
        0,
        "",
        "",
    );
    assert_eq!(
        within.normalized_log(),
        "[crontainer] T j start pid=N by=catch-up\n\
         ran\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=catch-up\n"
    );
}

#[test]
fn policies_reach_the_line_and_a_bad_one_is_refused_whole() {
    let env = Env::new();
    let config = env.simple_config(
        "retries = 2\nretry_delay = \"1m\"\ncatch_up = \"6h\"\nhistory_limit = 50\nfailed_history_limit = 10",
    );
    let plan = ok(env.cmd(["plan", "-c"]).arg(&config));
    let lines: Vec<&str> = plan
        .lines()
        .filter(|l| l.contains(" exec main_pipeline_v2 "))
        .collect();
    assert_eq!(lines.len(), 2, "{plan}");
    for line in &lines {
        assert!(
            line.contains(
                " --retries 2 --retry-delay 1m --history-limit 50 --failed-history-limit 10 --log "
            ),
            "{line}"
        );
    }
    assert!(
        lines[1].contains(" --catch-up-within 6h --catch-up -- "),
        "{}",
        lines[1]
    );
    assert!(!lines[0].contains("--catch-up"), "{}", lines[0]);

    let bad = env.simple_config("catch_up = \"soon\"");
    let out = env.cmd(["plan", "-c"]).arg(&bad).output().unwrap();
    assert_output(
        &out,
        2,
        "",
        &format!(
            "crontainer: error: {}:8: `job \"main_pipeline_v2\": catch_up` \"soon\" has a unit \
             without a number; use a number with a unit s, m, h or d, e.g. \"30m\", \"4h\" or \
             \"1h30m\"; or true for any missed firing\n",
            bad.display(),
        ),
    );
}

/// A runner killed outright (SIGKILL, the OOM killer, a power cut) writes no end record: the
/// record it wrote as the run started keeps the run in the history, as one that did not finish.
#[test]
fn a_run_whose_runner_is_killed_stays_in_the_history() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let r = Runner::new();
    let mut child = r.command(&[], &["app", "sleep", "60"]).spawn().unwrap();
    let client = crate::runner::client_pid(&r);
    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    let _ = kill(Pid::from_raw(client), Signal::SIGKILL);
    assert_eq!(ledger(&r), [started(1)]);
    let entries = history::read(&[r.env.path("history")], "j", &r.log())
        .unwrap()
        .unwrap();
    let runs = history::runs::runs(&entries);
    assert_eq!(runs.len(), 1);
    assert!(!runs[0].ended(), "{runs:?}");
}
