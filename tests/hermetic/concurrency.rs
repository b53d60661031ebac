//! Concurrency: many crontainer processes editing one crontab at once lose nothing and never
//! leave a torn text (issue 6). The fake `crontab` here, like the real one, has no lock of its
//! own, stores a write atomically (temp file and rename, as Debian's crontab does in its spool),
//! and keeps a copy of every text it was given and every text it printed, so that each
//! intermediate state can be checked, not only the last one.
//!
//! `tests/hermetic/cli_install.rs` has 16 parallel installs of 16 different blocks; these go
//! further: installs and uninstalls mixed, over several rounds, and installs while `status` and
//! `run-now` read.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{Env, stderr_of, stdout_of, without_blocks};
use crontainer::{block, line};

const PRECIOUS: &str = "# mine\nMAILTO=me\n17 3 * * * /usr/local/bin/backup # keep\n";

/// Like the harness's fake, plus a copy of every write (`w.*`) and every listing (`r.*`) in
/// the env's `snap` dir (written into the script: `@SNAP@`).
const SNAPSHOT_CRONTAB: &str = r#"#!/bin/sh
user=$(id -un)
if [ "$1" = "-u" ]; then user="$2"; shift 2; fi
case "$1" in
  -l) if [ -f "$FAKE_CRON_DIR/$user" ]; then
        snap=$(mktemp "@SNAP@/r.XXXXXXXX")
        cat "$FAKE_CRON_DIR/$user" > "$snap"
        cat "$snap"
      else echo "no crontab for $user" >&2; exit 1; fi ;;
  -r) rm -f "$FAKE_CRON_DIR/$user" ;;
  *) snap=$(mktemp "@SNAP@/w.XXXXXXXX")
     cp "$1" "$snap"
     cp "$1" "$FAKE_CRON_DIR/.tmp.$$" && mv "$FAKE_CRON_DIR/.tmp.$$" "$FAKE_CRON_DIR/$user" ;;
esac
"#;

fn snapshot_env() -> Env {
    let env = Env::new();
    std::fs::create_dir_all(env.path("snap")).unwrap();
    env.write_exe(
        "bin/crontab",
        &SNAPSHOT_CRONTAB.replace("@SNAP@", &env.path("snap").display().to_string()),
    );
    env.set_crontab(PRECIOUS);
    env
}

/// A config of one block `name` with one job `id` whose command carries `tag`.
fn block_config(env: &Env, name: &str, id: &str, tag: &str) -> std::path::PathBuf {
    let path = env.path(&format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[cron]\nname = \"{name}\"\n[[job]]\nid = \"{id}\"\ncontainer = \"c\"\n\
             command = [\"run\", \"{tag}\"]\nevery = \"1h\"\nlog = \"{}/logs/{id}.log\"\n",
            env.dir.path().display()
        ),
    )
    .unwrap();
    path
}

/// Checks that `text` is a valid crontab as crontainer sees it: every BEGIN has its END, every
/// block reads back as crontainer's, and the user's own lines are all there. Returns the blocks.
#[track_caller]
fn check_text(text: &str, what: &str) -> Vec<String> {
    assert_eq!(
        without_blocks(text),
        PRECIOUS,
        "{what}: the user's lines are gone:\n{text}"
    );
    let names = block::names(text).unwrap_or_else(|e| panic!("{what}: a torn text ({e}):\n{text}"));
    for name in &names {
        let body = block::find(text, name).unwrap().unwrap();
        line::parse_body(&body, false, name)
            .unwrap_or_else(|e| panic!("{what}: block {name} unreadable ({e:#}):\n{text}"));
    }
    let begins = text.matches("# BEGIN crontainer:").count();
    let ends = text.matches("# END crontainer:").count();
    assert_eq!(begins, ends, "{what}:\n{text}");
    assert_eq!(begins, names.len(), "{what}:\n{text}");
    names
}

/// Checks every text the fake crontab was given or printed; returns how many.
#[track_caller]
fn check_snapshots(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        check_text(&text, &path.display().to_string());
        n += 1;
    }
    n
}

#[track_caller]
fn run_ok(cmd: &mut std::process::Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout_of(&out),
        stderr_of(&out)
    );
    assert_eq!(stderr_of(&out), "", "{what}");
    out
}

/// 16 processes at once, each installing its own block, and the odd ones uninstalling it again
/// right after; repeated with a changed command each round, so that every process writes.
#[test]
fn sixteen_parallel_install_uninstall_pairs_lose_nothing_and_never_tear() {
    const BLOCKS: usize = 16;
    const ROUNDS: usize = 3;
    let env = snapshot_env();
    for round in 0..ROUNDS {
        let configs: Vec<_> = (0..BLOCKS)
            .map(|i| {
                block_config(
                    &env,
                    &format!("b{i}"),
                    &format!("j{i}"),
                    &format!("r{round}"),
                )
            })
            .collect();
        std::thread::scope(|scope| {
            for (i, config) in configs.iter().enumerate() {
                let env = &env;
                scope.spawn(move || {
                    run_ok(
                        env.std_cmd(["install", "-q", "-c"]).arg(config),
                        &format!("round {round}: install b{i}"),
                    );
                    if i % 2 == 1 {
                        run_ok(
                            env.std_cmd(["uninstall", "-q", "-c"]).arg(config),
                            &format!("round {round}: uninstall b{i}"),
                        );
                    }
                });
            }
        });
        let text = env.crontab().unwrap();
        let names: BTreeSet<String> = check_text(&text, &format!("after round {round}"))
            .into_iter()
            .collect();
        let expected: BTreeSet<String> = (0..BLOCKS)
            .filter(|i| i % 2 == 0)
            .map(|i| format!("b{i}"))
            .collect();
        assert_eq!(names, expected, "round {round}:\n{text}");
        for i in (0..BLOCKS).step_by(2) {
            let body = block::find(&text, &format!("b{i}")).unwrap().unwrap();
            assert!(
                body.iter()
                    .any(|l| l.ends_with(&format!(" -- c run r{round}"))),
                "round {round}: b{i} has an old line: {body:?}"
            );
        }
    }
    // And uninstalling everything gives the user's crontab back, byte for byte.
    run_ok(
        &mut env.std_cmd(["uninstall", "-q", "--all"]),
        "uninstall all",
    );
    assert_eq!(env.crontab().unwrap(), PRECIOUS);
    let n = check_snapshots(&env.path("snap"));
    eprintln!("{n} intermediate texts checked");
    // Every round: 16 installs and 8 uninstalls wrote, each after reading (and read back).
    assert!(n >= ROUNDS * 24 * 2, "only {n} snapshots");
}

/// `status` and `run-now` run in loops on one job while other processes install and uninstall
/// blocks around it (and reinstall its own): every status sees the job installed, every run-now
/// runs it exactly once, and the crontab ends as expected.
#[test]
fn install_while_status_and_run_now_run_in_loops() {
    const LOOPS: usize = 12;
    let env = snapshot_env();
    let watched = block_config(&env, "watched", "w", "r0");
    run_ok(
        env.std_cmd(["install", "-q", "-c"]).arg(&watched),
        "install watched",
    );
    let stop = std::sync::atomic::AtomicBool::new(false);
    let runs = std::sync::atomic::AtomicUsize::new(0);
    let busy = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (env, watched, stop, runs, busy) = (&env, &watched, &stop, &runs, &busy);
        let readers: Vec<_> = (0..2)
            .map(|t| {
                scope.spawn(move || {
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 3 {
                        let out = env
                            .std_cmd(["status", "--json", "-c"])
                            .arg(watched)
                            .output()
                            .unwrap();
                        assert!(
                            matches!(out.status.code(), Some(0 | 1)),
                            "status {t}: {}",
                            stderr_of(&out)
                        );
                        let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out))
                            .unwrap_or_else(|e| panic!("status {t}: {e}: {}", stderr_of(&out)));
                        assert_eq!(doc["jobs"][0]["installed"], true, "{doc}");
                        let out = env
                            .std_cmd(["run-now", "w", "-c"])
                            .arg(watched)
                            .output()
                            .unwrap();
                        match out.status.code() {
                            Some(0) => runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                            // The other reader's run holds the job's lock.
                            Some(75) => busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                            code => panic!("run-now {t}: {code:?}: {}", stderr_of(&out)),
                        };
                        n += 1;
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..4)
            .map(|i| {
                scope.spawn(move || {
                    for round in 0..LOOPS {
                        let config = block_config(
                            env,
                            &format!("o{i}"),
                            &format!("o{i}"),
                            &format!("r{round}"),
                        );
                        run_ok(env.std_cmd(["install", "-q", "-c"]).arg(&config), "install");
                        if round % 2 == 1 {
                            run_ok(
                                env.std_cmd(["uninstall", "-q", "-c"]).arg(&config),
                                "uninstall",
                            );
                        }
                    }
                })
            })
            .collect();
        // The watched job's own block is rewritten too, with the same job.
        for round in 0..LOOPS {
            let config = env.path("watched-next.toml");
            std::fs::write(
                &config,
                std::fs::read_to_string(watched)
                    .unwrap()
                    .replace("\"r0\"", &format!("\"r{round}\"")),
            )
            .unwrap();
            run_ok(
                env.std_cmd(["install", "-q", "-c"]).arg(&config),
                "reinstall watched",
            );
        }
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
    });
    let text = env.crontab().unwrap();
    let names: BTreeSet<String> = check_text(&text, "at the end").into_iter().collect();
    // Each writer ends on an odd round (uninstalled); the watched block stays.
    assert_eq!(names, BTreeSet::from(["watched".to_string()]), "{text}");
    let runs = runs.load(std::sync::atomic::Ordering::SeqCst);
    assert!(runs > 0);
    assert_eq!(
        env.docker_calls().len(),
        runs,
        "each run-now that exited 0 ran the job once ({} were busy)",
        busy.load(std::sync::atomic::Ordering::SeqCst)
    );
    let log = env.read("logs/w.log");
    assert_eq!(log.matches(" w start ").count(), runs, "{log}");
    assert_eq!(log.matches(" w end exit=0 ").count(), runs, "{log}");
    let n = check_snapshots(&env.path("snap"));
    eprintln!("{runs} runs, {n} intermediate texts checked");
}
