//! Hermetic CLI tests: a block renamed and left beside its copy fires every job twice, and
//! `status` (and `doctor`, and `install`'s warning) must say so for both, wherever the copies
//! are: one crontab, two cron.d files (a new name is a new file), a crontab and a cron.d file,
//! two blocks of systemd units, a crontab and systemd units; two configs that merely share a job
//! id are no copies (issue 25, item 7).

use crate::common::{Env, ok, stdout_of};

/// A config of block `name` with one job `id` running `command`, logging into `dir/`.
fn config(
    env: &Env,
    file: &str,
    name: &str,
    id: &str,
    command: &str,
    dir: &str,
) -> std::path::PathBuf {
    config_in(env, file, "crontab", name, id, command, dir)
}

/// [`config`] for `target`; a cron.d block's lines run as the user running the tests, as their
/// crontab's do.
fn config_in(
    env: &Env,
    file: &str,
    target: &str,
    name: &str,
    id: &str,
    command: &str,
    dir: &str,
) -> std::path::PathBuf {
    let path = env.path(file);
    std::fs::create_dir_all(env.path(dir)).unwrap();
    let user = match target {
        "cron.d" => format!("user = \"{}\"\n", Env::user()),
        _ => String::new(),
    };
    std::fs::write(
        &path,
        format!(
            "[cron]\ntarget = \"{target}\"\n{user}name = \"{name}\"\n[[job]]\nid = \"{id}\"\n\
             container = \"c\"\ncommand = [\"{command}\"]\nevery = \"1h\"\nlog = \"{}/{id}.log\"\n",
            env.path(dir).display()
        ),
    )
    .unwrap();
    path
}

/// What `status` says of a job whose copy runs in block `other` of `place` (the target in words,
/// `uninstall` the flags that name it).
fn copy_problem(other: &str, place: &str, uninstall: &str) -> serde_json::Value {
    serde_json::json!([format!(
        "block `{other}` in {place} runs the same job too, so each firing runs twice (a block \
         left behind by a rename?): `crontainer install --replace {other}` with the config that \
         keeps it, or `crontainer uninstall --name {other} {uninstall}`"
    )])
}

/// `status --json -c CONFIG`: its exit code and the one job's problems.
fn problems(env: &Env, config: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let out = env
        .cmd(["status", "--json", "-c"])
        .arg(config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    (out.status.code(), doc["jobs"][0]["problems"].clone())
}

#[test]
fn a_renamed_block_left_beside_its_copy_is_unhealthy_for_both() {
    let env = Env::new();
    let old = config(&env, "old.toml", "old", "p1job", "work", "logs");
    ok(env.cmd(["install", "-q", "-c"]).arg(&old));
    // Renamed, and its logs moved, in one edit; installed without `--replace old`.
    let new = config(&env, "new.toml", "new", "p1job", "work", "logs2");
    ok(env.cmd(["install", "-q", "-c"]).arg(&new));
    let user = Env::user();
    let said = |other: &str| {
        serde_json::json!([format!(
            "block `{other}` in {user}'s crontab runs the same job too, so each firing runs \
             twice (a block left behind by a rename?): `crontainer install --replace {other}` \
             with the config that keeps it, or `crontainer uninstall --name {other} --target \
             crontab --user {user}`"
        )])
    };
    assert_eq!(problems(&env, &new), (Some(1), said("old")));
    assert_eq!(problems(&env, &old), (Some(1), said("new")));

    // `--replace` takes the copy away: healthy again.
    ok(env
        .cmd(["install", "-q", "--replace", "old", "-c"])
        .arg(&new));
    assert_eq!(problems(&env, &new), (Some(0), serde_json::json!([])));
}

#[test]
fn two_configs_that_merely_share_a_job_id_are_no_copies() {
    let env = Env::new();
    let a = config(&env, "a.toml", "a", "p1job", "backup", "logs");
    let b = config(&env, "b.toml", "b", "p1job", "report", "logs2");
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(env.cmd(["install", "-q", "-c"]).arg(&b));
    assert_eq!(problems(&env, &b), (Some(0), serde_json::json!([])));
    let out = env
        .cmd(["doctor", "--json", "-c"])
        .arg(&b)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let failed: Vec<&serde_json::Value> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert!(failed.is_empty(), "{doc:#}");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}

/// The same when the new name is a new /etc/cron.d file: each file is a target of its own, and
/// neither `status` nor `install` looked beyond it (both copies fired, `health: ok`).
#[test]
fn a_renamed_cron_d_block_left_beside_its_copy_is_unhealthy_for_both() {
    let env = Env::new();
    let old = config_in(&env, "old.toml", "cron.d", "old", "p1job", "work", "logs");
    ok(env.cmd(["install", "-q", "-c"]).arg(&old));
    let new = config_in(&env, "new.toml", "cron.d", "new", "p1job", "work", "logs2");
    let out = env.cmd(["install", "-c"]).arg(&new).output().unwrap();
    let cron_d = env.path("cron.d");
    assert_eq!(
        (out.status.code(), crate::common::stderr_of(&out)),
        (
            Some(0),
            format!(
                "crontainer: warning: block `old` in {old_file} also has job(s) p1job that block \
                 `new` installs, and both will fire; if this config replaces block `old` \
                 (renamed, or moved from {old_file}), run `crontainer install --replace old`; \
                 otherwise remove it (`crontainer uninstall --name old --target cron.d`); \
                 commands without a config then need `new/JOB` or --name to tell them apart\n",
                old_file = cron_d.join("old").display()
            )
        )
    );
    let place = |name: &str| cron_d.join(name).display().to_string();
    assert_eq!(
        problems(&env, &new),
        (
            Some(1),
            copy_problem("old", &place("old"), "--target cron.d")
        )
    );
    assert_eq!(
        problems(&env, &old),
        (
            Some(1),
            copy_problem("new", &place("new"), "--target cron.d")
        )
    );
    let (code, doc) = crate::common::json_of(env.cmd(["doctor", "--json", "-c"]).arg(&new));
    let failed: Vec<&serde_json::Value> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert_eq!(
        (code, failed),
        (
            1,
            vec![&serde_json::json!({
                "check": "duplicate job p1job",
                "verdict": "fail",
                "detail": format!(
                    "job \"p1job\" is installed 2 times: in block `new` ({}) and `old` ({}); each \
                     copy fires",
                    place("new"),
                    place("old")
                ),
                "fix": "remove the copies no config owns (`crontainer uninstall --name BLOCK`)"
            })]
        )
    );
    ok(env
        .cmd(["install", "-q", "--replace", "old", "-c"])
        .arg(&new));
    assert_eq!(problems(&env, &new), (Some(0), serde_json::json!([])));
}

/// A block moved from a crontab to a cron.d file under a new name, the crontab's copy left.
#[test]
fn a_block_moved_from_a_crontab_to_cron_d_and_left_behind_is_unhealthy_for_both() {
    let env = Env::new();
    let user = Env::user();
    let old = config(&env, "old.toml", "old", "p1job", "work", "logs");
    ok(env.cmd(["install", "-q", "-c"]).arg(&old));
    let new = config_in(&env, "new.toml", "cron.d", "new", "p1job", "work", "logs2");
    ok(env.cmd(["install", "-q", "-c"]).arg(&new));
    assert_eq!(
        problems(&env, &new),
        (
            Some(1),
            copy_problem(
                "old",
                &format!("{user}'s crontab"),
                &format!("--target crontab --user {user}")
            )
        )
    );
    assert_eq!(
        problems(&env, &old),
        (
            Some(1),
            copy_problem(
                "new",
                &env.path("cron.d/new").display().to_string(),
                "--target cron.d"
            )
        )
    );
}

/// Two configs in cron.d files of their own that both have a job `p1job`, doing other work.
#[test]
fn two_cron_d_configs_that_merely_share_a_job_id_are_no_copies() {
    let env = Env::new();
    let a = config_in(&env, "a.toml", "cron.d", "a", "p1job", "backup", "logs");
    let b = config_in(&env, "b.toml", "cron.d", "b", "p1job", "report", "logs2");
    ok(env.cmd(["install", "-q", "-c"]).arg(&a));
    ok(env.cmd(["install", "-q", "-c"]).arg(&b));
    assert_eq!(problems(&env, &a), (Some(0), serde_json::json!([])));
    assert_eq!(problems(&env, &b), (Some(0), serde_json::json!([])));
}

/// The same for systemd units: each block is units of its own, and `status` looked at the
/// cron.d files and crontabs beside a block but not at the other blocks' units, so a systemd
/// block renamed and left beside its copy fired twice with `health: ok` (while `doctor` and
/// `install` saw it). And a block moved from a crontab into units sees the crontab's copy, and
/// the crontab's block sees the units'.
#[test]
fn a_renamed_systemd_block_left_beside_its_copy_is_unhealthy_for_both() {
    let env = Env::new();
    let old = config_in(&env, "old.toml", "systemd", "old", "p1job", "work", "logs");
    ok(env.cmd(["install", "-q", "-c"]).arg(&old));
    let new = config_in(&env, "new.toml", "systemd", "new", "p1job", "work", "logs2");
    let out = env.cmd(["install", "-c"]).arg(&new).output().unwrap();
    let units = |name: &str| {
        format!(
            "systemd units crontainer-{name}-* in {}",
            env.path("systemd").display()
        )
    };
    assert_eq!(
        (out.status.code(), crate::common::stderr_of(&out)),
        (
            Some(0),
            format!(
                "crontainer: warning: block `old` in {old} also has job(s) p1job that block \
                 `new` installs, and both will fire; if this config replaces block `old` \
                 (renamed, or moved from {old}), run `crontainer install --replace old`; \
                 otherwise remove it (`crontainer uninstall --name old --target systemd`); \
                 commands without a config then need `new/JOB` or --name to tell them apart\n",
                old = units("old")
            )
        )
    );
    assert_eq!(
        problems(&env, &new),
        (
            Some(1),
            copy_problem("old", &units("old"), "--target systemd")
        )
    );
    assert_eq!(
        problems(&env, &old),
        (
            Some(1),
            copy_problem("new", &units("new"), "--target systemd")
        )
    );
    ok(env
        .cmd(["install", "-q", "--replace", "old", "-c"])
        .arg(&new));
    assert_eq!(problems(&env, &new), (Some(0), serde_json::json!([])));

    // A crontab's block `cron` doing the same work as the same user, beside units `new`.
    let user = Env::user();
    let cron = config(&env, "cron.toml", "cron", "p1job", "work", "logs3");
    ok(env.cmd(["install", "-q", "-c"]).arg(&cron));
    assert_eq!(
        problems(&env, &cron),
        (
            Some(1),
            copy_problem("new", &units("new"), "--target systemd")
        )
    );
    assert_eq!(
        problems(&env, &new),
        (
            Some(1),
            copy_problem(
                "cron",
                &format!("{user}'s crontab"),
                &format!("--target crontab --user {user}")
            )
        )
    );
}
