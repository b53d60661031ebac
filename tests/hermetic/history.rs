//! The run history (`src/history/`): what the runner records for every run and skipped
//! firing, kept through log rotation, and `crontainer history` reading it.

use crontainer::history::{self, Entry, Kind};

use crate::runner::{Runner, assert_output};

/// The ledger of the runner's job `j`, each record's times and run id replaced by `T` and
/// `N-N` (the runner stamps them with the real clock).
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
            e.run = e.run.map(|_| "N-N".to_owned());
            e
        })
        .collect()
}

fn entry(kind: Kind, exit: Option<i32>, reason: Option<&str>) -> Entry {
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
            entry(Kind::Run, Some(3), None),
            entry(Kind::Run, Some(0), None),
            entry(Kind::Run, Some(7), None),
        ]
    );
}

#[test]
fn a_skipped_firing_is_recorded_with_the_run_that_held_the_lock() {
    let r = Runner::new();
    std::fs::write(r.lock(), "123-456\n").unwrap();
    let file = std::fs::File::open(r.lock()).unwrap();
    let _held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
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
