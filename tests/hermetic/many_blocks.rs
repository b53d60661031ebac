//! Hermetic CLI tests: several configs on one host (issue 16). Every block is found without a
//! config, blocks never share a log, a renamed or moved block is not left behind, the same job
//! id is never picked silently, a hand-edited block is refused alone, rotation files are keyed
//! by target, user and block, and a bare `uninstall` never empties a target on a guess.

use crate::common::{Env, fails, fails_with, ok, stderr_of, stdout_of};

/// `text` about root's crontab, made about the crontab of whoever runs the tests (the fake
/// crontab is theirs).
fn as_user(text: &str) -> String {
    let user = Env::user();
    text.replace("root's crontab", &format!("{user}'s crontab"))
        .replace("crontab-root+", &format!("crontab-{user}+"))
        .replace("--user root", &format!("--user {user}"))
}

/// A config with `[cron]` name `name` and target `target`, one job per `(id, log file)`, each
/// log in the temp dir's `logs/`.
fn config(
    env: &Env,
    file: &str,
    target: &str,
    name: &str,
    jobs: &[(&str, &str)],
) -> std::path::PathBuf {
    let mut text = format!("[cron]\ntarget = \"{target}\"\nname = \"{name}\"\n");
    for (id, log) in jobs {
        text.push_str(&format!(
            "[[job]]\nid = \"{id}\"\ncontainer = \"c\"\ncommand = [\"run\", \"{id}\"]\n\
             schedule = \"0 3 * * *\"\nlog = \"{}/logs/{log}\"\n",
            env.dir.path().display()
        ));
    }
    let path = env.path(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout_of(out))
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\n{}", stdout_of(out), stderr_of(out)))
}

/// What was seen 1: two cron.d configs with different names and one log; both installed
/// without a word, and one of them skipped every firing.
#[test]
fn a_second_block_sharing_a_log_is_refused_and_nothing_changes() {
    let env = Env::new();
    let first = config(&env, "a.toml", "cron.d", "first", &[("job", "job.log")]);
    let second = config(&env, "b.toml", "cron.d", "second", &[("job", "job.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&first));
    let before = env.snapshot();
    let err = fails_with(
        env.cmd(["install", "-c"]).arg(&second),
        2,
        "is already used by job \"job\" of block `first`",
    );
    assert!(
        err.contains("--replace first") && err.contains("nothing changed"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "a refused install changes nothing");
    // A lock path is a file too: a log named like another job's lock is refused the same way.
    let lock = config(
        &env,
        "c.toml",
        "crontab",
        "third",
        &[("other", "job.log.lock")],
    );
    fails_with(
        env.cmd(["install", "-c"]).arg(&lock),
        2,
        "job.log.lock is already used",
    );
}

/// What was seen 2: `name` changed from "a" to "b" and installed again left both blocks
/// firing; so did a switch from crontab to cron.d. Now install refuses, names the way out, and
/// `--replace` takes it.
#[test]
fn a_renamed_or_moved_block_is_replaced_never_left_behind() {
    let env = Env::new();
    let jobs = [
        ("one", "one.log"),
        ("two", "two.log"),
        ("three", "three.log"),
    ];
    let a = config(&env, "a.toml", "crontab", "a", &jobs);
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    let b = config(&env, "b.toml", "crontab", "b", &jobs);
    let err = fails(env.cmd(["install", "-c"]).arg(&b), 2);
    assert!(err.contains("`crontainer install --replace a`"), "{err}");
    assert!(
        err.contains(&as_user(
            "crontainer uninstall --name a --target crontab --user root"
        )),
        "{err}"
    );
    let out = ok(env.cmd(["install", "--replace", "a", "-c"]).arg(&b));
    assert!(out.contains("replaced block `a`"), "{out}");
    let text = env.crontab().unwrap();
    assert!(
        !text.contains("crontainer:a\n") && text.contains("# BEGIN crontainer:b\n"),
        "{text}"
    );

    // From the crontab to cron.d under the same name.
    let moved = config(&env, "m.toml", "cron.d", "b", &jobs);
    fails_with(env.cmd(["install", "-c"]).arg(&moved), 2, "--replace b");
    ok(env
        .cmd(["install", "-q", "--replace", "b", "-c"])
        .arg(&moved));
    assert_eq!(env.crontab().unwrap(), "", "the crontab copy is gone");
    assert!(env.read("cron.d/b").contains("id=three"));
    // Nothing else named `b` is left to replace.
    fails_with(
        env.cmd(["install", "--replace", "b", "-c"]).arg(&moved),
        2,
        "no other block `b`",
    );
}

/// What was seen 2, doctor's side: it counted only the config's 3 jobs where 7 were installed,
/// and saw no duplicate.
#[test]
fn doctor_counts_every_job_and_reports_duplicates_shared_logs_and_blocks_no_config_owns() {
    let env = Env::new();
    let jobs = [
        ("one", "one.log"),
        ("two", "two.log"),
        ("three", "three.log"),
    ];
    let a = config(&env, "a.toml", "crontab", "a", &jobs);
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    // A copy of block `a` under another name, as a rename with 0.1 left it, and one more job
    // (its lines name the block they are in, or it would be a block edited by hand).
    let text = env.crontab().unwrap();
    let copy = text
        .replace("crontainer:a\n", "crontainer:old\n")
        .replace(" --block a ", " --block old ");
    env.set_crontab(&format!("{text}{copy}"));
    let other = config(&env, "o.toml", "crontab", "other", &[("four", "four.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&other));

    let out = env
        .cmd(["doctor", "--json", "-c"])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let doc = json_of(&out);
    let checks = doc["checks"].as_array().unwrap();
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no check {name:?}: {doc:#}"))
    };
    let blocks = find("installed blocks");
    assert!(
        blocks["detail"]
            .as_str()
            .unwrap()
            .starts_with("7 job(s) in 3 block(s)"),
        "{blocks}"
    );
    assert_eq!(find("duplicate job one")["verdict"], "fail");
    assert!(
        find("duplicate job one")["detail"]
            .as_str()
            .unwrap()
            .contains("installed 2 times"),
        "{doc:#}"
    );
    let shared = format!("shared log {}/logs/two.log", env.dir.path().display());
    assert_eq!(find(&shared)["verdict"], "fail");
    assert_eq!(find("block old")["verdict"], "warn");
    assert_eq!(find("block other")["verdict"], "warn");
    assert!(
        find("block old")["fix"]
            .as_str()
            .unwrap()
            .contains("--replace old"),
        "{doc:#}"
    );
}

/// What was seen 5: a cron.d block named other than "crontainer" was invisible without its
/// config: status said no jobs, run-now and logs exited 2, uninstall removed nothing.
#[test]
#[ignore = "needs root (runs a cron.d job of root's with run-now): see README"]
fn a_cron_d_block_with_its_own_name_is_seen_by_every_command_without_a_config() {
    assert!(
        crate::common::is_root(),
        "needs root: run-now of a job that runs as root"
    );
    let env = Env::new();
    let c = config(
        &env,
        "n.toml",
        "cron.d",
        "nightly",
        &[("backup", "backup.log")],
    );
    ok(env.cmd(["install", "-q", "-c"]).arg(&c));
    std::fs::remove_file(&c).unwrap();
    let doc = json_of(
        &env.cmd(["status", "--json", "--target", "cron.d"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["jobs"][0]["id"], "backup", "{doc:#}");
    let doc = json_of(
        &env.cmd([
            "status", "--json", "--target", "cron.d", "--name", "nightly",
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(doc["jobs"].as_array().unwrap().len(), 1, "{doc:#}");
    ok(&mut env.cmd(["run-now", "--target", "cron.d", "backup"]));
    let out = ok(&mut env.cmd(["logs", "--target", "cron.d", "backup"]));
    assert!(out.contains("hello from the container"), "{out}");
    ok(&mut env.cmd(["pause", "--target", "cron.d", "--name", "nightly", "backup"]));
    ok(&mut env.cmd(["resume", "--target", "cron.d", "nightly/backup"]));
    let metrics = ok(&mut env.cmd(["metrics", "--target", "cron.d"]));
    assert!(
        metrics.contains("job=\"backup\",block=\"nightly\""),
        "{metrics}"
    );
    let doc = json_of(
        &env.cmd(["doctor", "--json", "--target", "cron.d"])
            .output()
            .unwrap(),
    );
    assert!(
        doc["checks"].to_string().contains("1 job(s) in 1 block(s)"),
        "{doc:#}"
    );
    fails_with(
        &mut env.cmd(["status", "--target", "cron.d", "--user", "no-such-user"]),
        2,
        "does not exist",
    );
    let out = ok(&mut env.cmd(["uninstall", "--target", "cron.d"]));
    assert!(out.contains("removed backup"), "{out}");
    assert!(!env.path("cron.d/nightly").exists());
}

/// `--all-users`, as root: every user's crontab and cron.d in one report.
#[test]
#[ignore = "needs root (--all-users reads every user's crontab): see README"]
fn status_all_users_covers_every_crontab_and_cron_d() {
    assert!(
        crate::common::is_root(),
        "needs root: --all-users reads every user's crontab"
    );
    let env = Env::new();
    // Another user's crontab, as the spool holds it (written as root, then moved).
    let theirs = config(
        &env,
        "d.toml",
        "crontab",
        "theirs",
        &[("their_job", "their.log")],
    );
    ok(env.cmd(["install", "-q", "-c"]).arg(&theirs));
    std::fs::rename(env.path("cron").join(Env::user()), env.path("cron/daemon")).unwrap();
    let mine = config(&env, "r.toml", "crontab", "mine", &[("my_job", "mine.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&mine));
    let sys = config(&env, "s.toml", "cron.d", "sys", &[("sys_job", "sys.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&sys));
    let doc = json_of(
        &env.cmd(["status", "--json", "--all-users"])
            .output()
            .unwrap(),
    );
    let ids: Vec<&str> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["their_job", "my_job", "sys_job"], "{doc:#}");
    assert!(
        doc["jobs"][0]["where"]
            .as_str()
            .unwrap()
            .starts_with("daemon's crontab"),
        "{doc:#}"
    );
}

/// What was seen 6: the same job id in two blocks of one crontab; run-now, logs and pause took
/// the first, and `uninstall JOB` would remove both.
#[test]
fn the_same_job_id_in_two_blocks_is_never_picked_silently() {
    let env = Env::new();
    let a = config(&env, "a.toml", "crontab", "a", &[("j", "a.log")]);
    let b = config(&env, "b.toml", "crontab", "b", &[("j", "b.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    let out = env.cmd(["install", "-c"]).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&as_user("block `a` in root's crontab also has job(s) j")),
        "{}",
        stderr_of(&out)
    );
    let before = env.snapshot();
    for args in [
        vec!["run-now", "j"],
        vec!["logs", "j"],
        vec!["pause", "j"],
        vec!["uninstall", "j", "--dry-run"],
        vec!["uninstall", "j"],
    ] {
        let err = fails(&mut env.cmd(&args), 2);
        assert!(
            err.contains(&as_user("`a/j` in root's crontab")) && err.contains("`b/j`"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(env.snapshot(), before);
    // status is a report: it shows both, each with its block.
    let doc = json_of(&env.cmd(["status", "--json", "j"]).output().unwrap());
    let blocks: Vec<&str> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["where"].as_str().unwrap())
        .collect();
    assert_eq!(
        blocks,
        [
            as_user("root's crontab (block a)").as_str(),
            as_user("root's crontab (block b)").as_str()
        ],
        "{doc:#}"
    );
    ok(&mut env.cmd(["run-now", "b/j"]));
    assert!(env.read("logs/b.log").contains("start"));
    assert!(!env.read("logs/a.log").contains("start"));
    ok(&mut env.cmd(["pause", "--name", "a", "j"]));
    let text = env.crontab().unwrap();
    let a_block = &text[..text.find("# END crontainer:a").unwrap()];
    assert!(a_block.contains("\n#paused# "), "paused in a: {text}");
    assert_eq!(
        text.matches("\n#paused# ").count(),
        1,
        "and only there: {text}"
    );
    ok(&mut env.cmd(["uninstall", "-q", "a/j"]));
    let text = env.crontab().unwrap();
    assert!(
        !text.contains("crontainer:a\n") && text.contains("crontainer:b\n"),
        "{text}"
    );
}

/// What was seen 9: one comment added by hand in one block made status, run-now and logs exit 2
/// for the jobs of every other block.
#[test]
fn a_hand_edited_block_is_refused_alone_and_status_calls_it_unhealthy() {
    let env = Env::new();
    let a = config(&env, "a.toml", "crontab", "a", &[("aj", "a.log")]);
    let b = config(&env, "b.toml", "crontab", "b", &[("bj", "b.log")]);
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(env.cmd(["install", "-q", "-c"]).arg(&b));
    let text = env.crontab().unwrap();
    env.set_crontab(&text.replace("# END crontainer:a\n", "# my note\n# END crontainer:a\n"));
    let out = env.cmd(["status", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "unhealthy, not a usage error: {}",
        stderr_of(&out)
    );
    let doc = json_of(&out);
    assert!(
        doc["damaged"][0]
            .as_str()
            .unwrap()
            .contains(&as_user("block `a` in root's crontab")),
        "{doc:#}"
    );
    assert_eq!(doc["jobs"][0]["id"], "bj", "{doc:#}");
    let plain = env.cmd(["status"]).output().unwrap();
    assert!(
        stdout_of(&plain).contains("DAMAGED block `a`"),
        "{}",
        stdout_of(&plain)
    );
    ok(&mut env.cmd(["run-now", "bj"]));
    ok(&mut env.cmd(["logs", "bj"]));
    ok(&mut env.cmd(["pause", "bj"]));
    fails_with(&mut env.cmd(["run-now", "aj"]), 2, "cannot read block `a`");
    let doctor = env.cmd(["doctor"]).output().unwrap();
    assert_eq!(doctor.status.code(), Some(1));
    assert!(
        stdout_of(&doctor).contains("FAIL  damaged block: block `a`"),
        "{}",
        stdout_of(&doctor)
    );
}

/// What was seen 4: `/etc/logrotate.d/crontainer-<name>` was keyed by the block name alone, so
/// the same name in a crontab and in cron.d shared one file, and uninstalling one removed the
/// other's rotation. 0.1's file is still replaced when it is ours, and only then.
#[test]
fn rotation_files_are_keyed_by_target_user_and_block() {
    let env = Env::new();
    let tab = config(&env, "t.toml", "crontab", "web", &[("a", "tab.log")]);
    let cron_d = config(&env, "d.toml", "cron.d", "web", &[("b", "crond.log")]);
    // 0.1's file for `web`, rotating the crontab block's log: ours, so it is replaced.
    let legacy = env.path("logrotate.d/crontainer-web");
    std::fs::write(
        &legacy,
        format!(
            "# crontainer:web size=10M keep=5\n{}/logs/tab.log {{\n\tsize 10M\n}}\n",
            env.dir.path().display()
        ),
    )
    .unwrap();
    let out = ok(env.cmd(["install", "-c"]).arg(&tab));
    assert!(
        out.contains(&format!("removed {}", legacy.display())),
        "{out}"
    );
    assert!(!legacy.exists());
    ok(env.cmd(["install", "-q", "-c"]).arg(&cron_d));
    let tab_file = env.read(&as_user("logrotate.d/crontainer-crontab-root+web"));
    let crond_file = env.read("logrotate.d/crontainer-crond+web");
    assert!(
        tab_file.contains("tab.log {") && !tab_file.contains("crond.log"),
        "{tab_file}"
    );
    assert!(
        crond_file.contains("crond.log {") && !crond_file.contains("tab.log"),
        "{crond_file}"
    );
    ok(env.cmd(["uninstall", "-q", "-c"]).arg(&tab));
    assert!(
        !env.path(&as_user("logrotate.d/crontainer-crontab-root+web"))
            .exists()
    );
    assert_eq!(
        env.read("logrotate.d/crontainer-crond+web"),
        crond_file,
        "the other stays"
    );

    // A 0.1 file that rotates a log this block does not have is someone else's: kept.
    let foreign = "# crontainer:web size=10M keep=5\n/var/log/elsewhere.log {\n}\n";
    std::fs::write(&legacy, foreign).unwrap();
    ok(env.cmd(["install", "-q", "-c"]).arg(&tab));
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), foreign);
}

/// What was seen 11: a bare `uninstall` removed every block of the target, other configs'
/// included, without naming them; and its `--dry-run --json` listed no logrotate change where
/// the real run removed the file.
#[test]
fn bare_uninstall_with_several_blocks_lists_them_and_needs_name_or_all() {
    let env = Env::new();
    let a = config(&env, "a.toml", "crontab", "a", &[("aj", "a.log")]);
    let b = config(&env, "b.toml", "crontab", "b", &[("bj", "b.log")]);
    env.set_crontab("# keep me\n");
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(env.cmd(["install", "-q", "-c"]).arg(&b));
    let before = env.snapshot();
    let err = fails_with(&mut env.cmd(["uninstall"]), 2, "holds 2 crontainer blocks");
    assert!(
        err.contains(&as_user("`a` (root's crontab), `b` (root's crontab)"))
            && err.contains("--all"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);

    let out = env
        .cmd(["uninstall", "--name", "a", "--dry-run", "--json"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["would_change"], true);
    assert_eq!(
        doc["logrotate"],
        serde_json::json!([{
            "path": env.path(&as_user("logrotate.d/crontainer-crontab-root+a")),
            "action": "remove"
        }]),
        "{doc:#}"
    );
    assert_eq!(env.snapshot(), before, "a dry run writes nothing");
    let doc = json_of(
        &env.cmd(["uninstall", "--name", "a", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["logrotate"][0]["action"], "remove", "{doc:#}");
    assert!(
        !env.path(&as_user("logrotate.d/crontainer-crontab-root+a"))
            .exists()
    );
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(&mut env.cmd(["uninstall", "-q", "--all"]));
    assert_eq!(env.crontab().unwrap(), "# keep me\n");
}

/// Two unrelated configs may both have a job `backup` in their own cron.d files: that is no
/// copy to warn about (`BLOCK/JOB` tells them apart), while the same id in the same crontab, or
/// under the same block name elsewhere, is. (Had both the same command in the same container,
/// each firing would run it twice: a copy, wherever it is; `tests/hermetic/copies.rs`.)
#[test]
fn the_same_id_in_another_configs_cron_d_file_is_no_copy() {
    let env = Env::new();
    let a = config(&env, "a.toml", "cron.d", "app", &[("backup", "app.log")]);
    let b = config(&env, "b.toml", "cron.d", "db", &[("backup", "db.log")]);
    // The database's backup is another command than the app's.
    let text = std::fs::read_to_string(&b).unwrap();
    std::fs::write(
        &b,
        text.replace("[\"run\", \"backup\"]", "[\"dump\", \"backup\"]"),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(&b).unwrap(), text);
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(env.cmd(["install", "-q", "-c"]).arg(&b));
    let doc = json_of(
        &env.cmd(["doctor", "--json", "-c"])
            .arg(&b)
            .output()
            .unwrap(),
    );
    assert!(
        !doc["checks"].to_string().contains("duplicate job"),
        "{doc:#}"
    );
    // Without a config, `run-now backup` in cron.d could mean either: doctor says so, and
    // that they are no copies (as `status` does).
    let out = env
        .cmd(["doctor", "--json", "--target", "cron.d"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    let about_backup: Vec<&serde_json::Value> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"].as_str().unwrap().contains("job"))
        .collect();
    let place = |name: &str| format!("`{name}` ({})", env.path("cron.d").join(name).display());
    assert_eq!(
        (out.status.code(), about_backup),
        (
            Some(0),
            vec![&serde_json::json!({
                "check": "shared job id backup",
                "verdict": "warn",
                "detail": format!(
                    "job id \"backup\" is in 2 blocks: {} and {}, each with its own work, so no \
                     copy; but a command without a config cannot tell which one its id alone \
                     means",
                    place("app"),
                    place("db")
                ),
                "fix": "name it as BLOCK/JOB (`app/backup`), or run commands with the config (-c)"
            })]
        ),
        "{doc:#}"
    );
    fails_with(
        &mut env.cmd(["run-now", "--target", "cron.d", "backup"]),
        2,
        "`app/backup`",
    );
    // The same block name in the crontab is a copy: warned about.
    let moved = config(&env, "m.toml", "crontab", "db", &[("backup", "db2.log")]);
    let out = env.cmd(["install", "-c"]).arg(&moved).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("--replace db"),
        "{}",
        stderr_of(&out)
    );
}
