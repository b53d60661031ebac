//! `metrics --textfile DIR` as the README's host-wide refresh runs it: a block that is gone
//! (uninstalled without a metrics line of its own) loses its file at the next refresh that read
//! its whole scope, and no refresh touches a file it would not write itself.

use crate::common::{Env, ok};

/// A block without `[monitoring]`: its file is the refresh's alone to write and remove.
fn plain_config(env: &Env, name: &str) -> std::path::PathBuf {
    let path = env.path(&format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[cron]\nname = \"{name}\"\n[[job]]\nid = \"{name}job\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nevery = \"5h\"\nlog = \"{dir}/logs/{name}.log\"\n",
            dir = env.dir.path().display()
        ),
    )
    .unwrap();
    path
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_refresh_removes_the_files_of_blocks_gone_from_its_scope_and_no_other() {
    let env = Env::new();
    let prom = env.path("prom");
    std::fs::create_dir(&prom).unwrap();
    let me = Env::user();
    let one = plain_config(&env, "one");
    let two = plain_config(&env, "two");
    env.install(&one);
    env.install(&two);
    // Files this refresh would not write: another user's crontab block, a cron.d block (neither
    // read here), and a file of its name that crontainer did not write.
    let header = "# HELP crontainer_job_running x\n";
    let foreign = [
        "crontainer-crontab-someone+one.prom".to_string(),
        "crontainer-crond+one.prom".to_string(),
        format!("crontainer-crontab-{me}+mine.prom"),
    ];
    std::fs::write(prom.join(&foreign[0]), header).unwrap();
    std::fs::write(prom.join(&foreign[1]), header).unwrap();
    std::fs::write(prom.join(&foreign[2]), "my_metric 1\n").unwrap();
    let refresh = |config: Option<&std::path::Path>| {
        let mut cmd = env.cmd(["metrics", "--textfile"]);
        cmd.arg(&prom);
        if let Some(config) = config {
            cmd.arg("-c").arg(config);
        }
        ok(&mut cmd).replace(&env.dir.path().display().to_string(), "{dir}")
    };
    refresh(None);
    let file = |block: &str| format!("crontainer-crontab-{me}+{block}.prom");
    let mut all = vec![file("one"), file("two")];
    all.extend(foreign.iter().cloned());
    all.sort();
    assert_eq!(names_in(&prom), all);

    ok(env.cmd(["uninstall", "-q", "-c"]).arg(&one));
    // A refresh of block `two` alone answers for `two`'s file only.
    assert_eq!(
        refresh(Some(&two)),
        format!("wrote 1 job(s) to {{dir}}/prom/{}\n", file("two"))
    );
    assert_eq!(names_in(&prom), all);
    // The refresh of the whole crontab removes `one`'s.
    assert_eq!(
        refresh(None),
        format!(
            "wrote 1 job(s) to {{dir}}/prom/{two}\nremoved {{dir}}/prom/{one}: its block is no \
             longer installed in {me}'s crontab\n",
            two = file("two"),
            one = file("one")
        )
    );
    all.retain(|n| *n != file("one"));
    assert_eq!(names_in(&prom), all);

    // While a block cannot be read, which blocks are gone is unknown: nothing is removed.
    std::fs::write(prom.join(file("three")), header).unwrap();
    let text = env.crontab().unwrap();
    assert_ne!(text.replace(" twojob ", " another "), text);
    env.set_crontab(&text.replace(" twojob ", " another "));
    let out = env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(&prom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(prom.join(file("three")).exists());
    env.set_crontab(&text);
    ok(env.cmd(["metrics", "-q", "--textfile"]).arg(&prom));
    assert_eq!(names_in(&prom), all);
}

/// cron.d blocks are root's: root's refresh of the whole directory removes a gone block's
/// file; anyone else's refresh leaves it.
#[test]
fn root_answers_for_the_files_of_cron_d_blocks() {
    let env = Env::new();
    let prom = env.path("prom");
    std::fs::create_dir(&prom).unwrap();
    let keep = plain_config(&env, "keep");
    let gone = plain_config(&env, "gone");
    for config in [&keep, &gone] {
        ok(env
            .cmd(["install", "-q", "--target", "cron.d", "-c"])
            .arg(config));
    }
    let refresh = || {
        let out = ok(env
            .cmd(["metrics", "--target", "cron.d", "--textfile"])
            .arg(&prom));
        out.replace(&env.dir.path().display().to_string(), "{dir}")
    };
    refresh();
    let names = ["crontainer-crond+gone.prom", "crontainer-crond+keep.prom"];
    assert_eq!(names_in(&prom), names);
    ok(env
        .cmd(["uninstall", "-q", "--target", "cron.d", "-c"])
        .arg(&gone));
    let out = refresh();
    if crate::common::is_root() {
        assert_eq!(
            out,
            "wrote 1 job(s) to {dir}/prom/crontainer-crond+keep.prom\nremoved \
             {dir}/prom/crontainer-crond+gone.prom: its block is no longer installed in \
             {dir}/cron.d\n"
        );
        assert_eq!(names_in(&prom), names[1..]);
    } else {
        assert_eq!(
            out,
            "wrote 1 job(s) to {dir}/prom/crontainer-crond+keep.prom\n"
        );
        assert_eq!(names_in(&prom), names);
    }
}
