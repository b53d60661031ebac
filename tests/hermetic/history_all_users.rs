//! `history --all-users`, as root: every user's blocks and /etc/cron.d's in one report, as
//! `status --all-users` gives it. A user's ledger is that user's data: root reads it without
//! following a symlink, shows its text with control characters escaped, and says for its job
//! what it could not read while showing the others.

use std::path::PathBuf;

use crontainer::history::{self, Entry, Kind};

use crate::common::{Env, ok, stderr_of, stdout_of};

/// A config of block `name` in `target` with one job `id` logging to `logs/<id>.log`.
fn config(env: &Env, target: &str, name: &str, id: &str) -> PathBuf {
    let path = env.path(&format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[cron]\ntarget = \"{target}\"\nname = \"{name}\"\n[[job]]\nid = \"{id}\"\n\
             container = \"c\"\ncommand = [\"run\"]\nschedule = \"0 3 * * *\"\n\
             log = \"{}\"\n",
            log_of(env, id).display()
        ),
    )
    .unwrap();
    path
}

fn log_of(env: &Env, id: &str) -> PathBuf {
    env.path(&format!("logs/{id}.log"))
}

/// A successful run of `job` in `block`, `seconds` long, started at `start`, by `trigger`.
fn run(job: &str, block: &str, start: &str, seconds: u64, trigger: &str) -> Entry {
    let start: jiff::Timestamp = start.parse().unwrap();
    Entry {
        kind: Kind::Run,
        job: job.to_owned(),
        block: block.to_owned(),
        run: Some(format!("42-{}", start.as_second())),
        trigger: trigger.to_owned(),
        start,
        end: Some(start + jiff::SignedDuration::from_secs(seconds as i64)),
        seconds: Some(seconds),
        exit: Some(0),
        reason: None,
        ping: Some("ok".to_owned()),
        attempt: 1,
    }
}

fn record(env: &Env, entry: &Entry) {
    let log = log_of(env, &entry.job);
    history::append(
        &env.path("history"),
        &log,
        entry,
        history::Limits::default(),
    )
    .unwrap();
}

#[test]
#[ignore = "needs root (--all-users reads every user's crontab): see README"]
fn history_all_users_covers_every_users_blocks_and_reads_their_ledgers_as_data() {
    assert!(
        crate::common::is_root(),
        "needs root: --all-users reads every user's crontab"
    );
    let env = Env::new();
    // Another user's crontab, as the spool holds it (written as root, then moved).
    ok(env
        .cmd(["install", "-q", "-c"])
        .arg(config(&env, "crontab", "theirs", "their_job")));
    std::fs::rename(env.path("cron").join(Env::user()), env.path("cron/daemon")).unwrap();
    ok(env
        .cmd(["install", "-q", "-c"])
        .arg(config(&env, "crontab", "mine", "my_job")));
    ok(env
        .cmd(["install", "-q", "-c"])
        .arg(config(&env, "cron.d", "sys", "sys_job")));
    // Their ledger holds what they wrote: an escape sequence for root's terminal among it.
    record(
        &env,
        &run(
            "their_job",
            "theirs",
            "2026-11-29T02:00:00Z",
            2400,
            "cron\u{1b}[2J",
        ),
    );
    record(
        &env,
        &run("their_job", "theirs", "2026-11-30T02:00:00Z", 2700, "cron"),
    );
    record(
        &env,
        &run("my_job", "mine", "2026-11-29T03:00:00Z", 60, "cron"),
    );
    // sys_job's ledger is a symlink (to a ledger that reads well): root does not follow it.
    let elsewhere = env.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let sys_log = log_of(&env, "sys_job");
    history::append(
        &elsewhere,
        &sys_log,
        &run("sys_job", "sys", "2026-11-29T03:00:00Z", 5, "cron"),
        history::Limits::default(),
    )
    .unwrap();
    let name = history::file_name("sys_job", &sys_log);
    std::os::unix::fs::symlink(elsewhere.join(&name), env.path("history").join(&name)).unwrap();

    let out = env
        .cmd(["history", "--all-users"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let dir = env.dir.path().display().to_string();
    assert_eq!(
        (
            out.status.code(),
            stdout_of(&out).replace(&dir, "{dir}"),
            stderr_of(&out)
        ),
        (
            Some(1),
            "theirs/their_job in daemon's crontab\n\
             \x20 START                    TRIGGER        DURATION  RESULT  PING\n\
             \x20 2026-11-29 02:00:00 UTC  cron\\u{1b}[2J  40m       ok      ok\n\
             \x20 2026-11-30 02:00:00 UTC  cron           45m       ok      ok\n\
             \x20 2 runs, 0 failed, 100% success, usually 40m (p95 45m)\n\
             \x20 recent durations _#\n\
             \n\
             mine/my_job in root's crontab\n\
             \x20 START                    TRIGGER  DURATION  RESULT  PING\n\
             \x20 2026-11-29 03:00:00 UTC  cron     1m        ok      ok\n\
             \x20 1 runs, 0 failed, 100% success, usually 1m (p95 1m)\n\
             \x20 recent durations _\n\
             \n\
             sys/sys_job in {dir}/cron.d/sys\n\
             \x20 its run history cannot be read: could not open \
             {dir}/history/sys_job-HASH.jsonl: it is a symbolic link, which root does not \
             follow (whoever made it could point it at any file)\n"
                .replace("sys_job-HASH.jsonl", &name),
            String::new()
        )
    );
}
