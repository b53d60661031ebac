//! Hermetic CLI tests: a block renamed and left beside its copy fires every job twice, and
//! `status` must say so for both; two configs that merely share a job id are no copies
//! (issue 25, item 5).

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
    let path = env.path(file);
    std::fs::create_dir_all(env.path(dir)).unwrap();
    std::fs::write(
        &path,
        format!(
            "[cron]\nname = \"{name}\"\n[[job]]\nid = \"{id}\"\ncontainer = \"c\"\n\
             command = [\"{command}\"]\nevery = \"1h\"\nlog = \"{}/{id}.log\"\n",
            env.path(dir).display()
        ),
    )
    .unwrap();
    path
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
