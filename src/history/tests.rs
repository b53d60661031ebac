use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn run(job: &str, start: i64, seconds: u64, exit: i32) -> Entry {
    Entry {
        kind: Kind::Run,
        job: job.to_owned(),
        block: String::new(),
        run: Some(format!("100-{start}")),
        trigger: "cron".to_owned(),
        start: Timestamp::from_second(start).unwrap(),
        end: Some(Timestamp::from_second(start + seconds as i64).unwrap()),
        seconds: Some(seconds),
        exit: Some(exit),
        reason: None,
        ping: None,
        attempt: 1,
    }
}

#[test]
fn a_record_is_one_json_line_read_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = Path::new("/var/log/j.log");
    let entry = run("j", 1_764_450_000, 7, 3);
    append(dir.path(), log, &entry, Limits::default()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(file_name("j", log))).unwrap();
    assert_eq!(
        text,
        "{\"kind\":\"run\",\"job\":\"j\",\"block\":\"\",\"run\":\"100-1764450000\",\
         \"trigger\":\"cron\",\"start\":\"2025-11-29T21:00:00Z\",\"end\":\"2025-11-29T21:00:07Z\",\
         \"seconds\":7,\"exit\":3,\"reason\":null,\"ping\":null,\"attempt\":1}\n"
    );
    let read = read(&[dir.path().to_owned()], "j", log).unwrap();
    assert_eq!(read, Some(vec![entry]));
}

#[test]
fn a_torn_last_line_is_skipped_and_loses_nothing_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = Path::new("/l/j.log");
    let first = run("j", 1_000, 1, 0);
    append(dir.path(), log, &first, Limits::default()).unwrap();
    let path = dir.path().join(file_name("j", log));
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"{\"kind\":\"run\",\"job\":\"j\",\"blo")
        .unwrap();
    assert_eq!(
        read(&[dir.path().to_owned()], "j", log).unwrap(),
        Some(vec![first.clone()])
    );
    // The next record ends the torn line first, so it starts on a line of its own: only the
    // torn line is lost, and the records after it are read.
    let second = run("j", 2_000, 2, 1);
    append(dir.path(), log, &second, Limits::default()).unwrap();
    let third = run("j", 3_000, 3, 0);
    append(dir.path(), log, &third, Limits::default()).unwrap();
    assert_eq!(
        read(&[dir.path().to_owned()], "j", log).unwrap(),
        Some(vec![first, second, third])
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some("{\"kind\":\"run\",\"job\":\"j\",\"blo")
    );
    assert_eq!(text.lines().count(), 4, "{text}");
}

#[test]
fn compaction_keeps_the_newest_of_each_kind_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let log = Path::new("/l/j.log");
    let limits = Limits {
        succeeded: 3,
        failed: 2,
    };
    let mut all = Vec::new();
    for i in 0..40 {
        let entry = run("j", 1_000 + i * 10, 1, if i % 4 == 0 { 1 } else { 0 });
        append(dir.path(), log, &entry, limits).unwrap();
        all.push(entry);
    }
    let path = dir.path().join(file_name("j", log));
    assert!(std::fs::metadata(&path).unwrap().len() <= limits.compact_at() + 1024);
    let kept = read(&[dir.path().to_owned()], "j", log).unwrap().unwrap();
    let starts: Vec<i64> = kept.iter().map(|e| e.start.as_second() - 1_000).collect();
    // 40 records of ~230 bytes pass 7 KiB around the 31st: compacted there to 3 ok + 2
    // failed, then the rest appended.
    let newest = limits.keep(all.clone());
    assert_eq!(newest.len(), 5);
    assert_eq!(limits.keep(kept.clone()), newest);
    assert!(starts.len() < 40, "never compacted: {starts:?}");
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn keep_counts_runs_failures_and_skips_apart() {
    let limits = Limits {
        succeeded: 1,
        failed: 1,
    };
    let mut skip = run("j", 5, 0, 0);
    skip.kind = Kind::Skip;
    skip.exit = None;
    let entries = vec![
        run("j", 1, 1, 0),
        run("j", 2, 1, 2),
        run("j", 3, 1, 0),
        skip.clone(),
        run("j", 4, 1, 9),
    ];
    let kept: Vec<i64> = limits
        .keep(entries)
        .iter()
        .map(|e| e.start.as_second())
        .collect();
    assert_eq!(kept, [3, 5, 4]);
}

#[test]
fn the_file_name_is_the_job_and_a_stable_hash_of_its_log() {
    assert_eq!(
        file_name(
            "main_pipeline_v2",
            Path::new("/var/log/crontainer/main_pipeline_v2.log")
        ),
        file_name(
            "main_pipeline_v2",
            Path::new("/var/log/crontainer/main_pipeline_v2.log")
        )
    );
    assert_ne!(
        file_name("j", Path::new("/a.log")),
        file_name("j", Path::new("/b.log"))
    );
    assert_eq!(file_name("j", Path::new("")), "j-cbf29ce484222325.jsonl");
}

#[test]
fn a_symlink_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let log = Path::new("/l/j.log");
    let target = dir.path().join("elsewhere");
    std::fs::write(&target, "").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join(file_name("j", log))).unwrap();
    let err = append(dir.path(), log, &run("j", 1, 1, 0), Limits::default()).unwrap_err();
    assert!(format!("{err:#}").starts_with("could not open "), "{err:#}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
}

#[test]
fn keep_keeps_or_drops_a_runs_attempts_together_as_its_last_decides() {
    let limits = Limits {
        succeeded: 1,
        failed: 1,
    };
    let attempt = |start: i64, exit: i32, run: &str, attempt: u32| Entry {
        run: Some(run.to_owned()),
        attempt,
        ..super::tests::run("j", start, 1, exit)
    };
    let entries = vec![
        attempt(1, 0, "1-1", 1),
        attempt(2, 4, "2-2", 1),
        attempt(3, 4, "2-2", 2),
        // Succeeded on its third attempt: one successful run, its two failures kept with it.
        attempt(4, 3, "3-3", 1),
        attempt(5, 3, "3-3", 2),
        attempt(6, 0, "3-3", 3),
    ];
    let kept: Vec<i64> = limits
        .keep(entries)
        .iter()
        .map(|e| e.start.as_second())
        .collect();
    assert_eq!(kept, [2, 3, 4, 5, 6]);
}
