//! Faults: the programs and files crontainer depends on fail in the ways they fail on real
//! hosts (issue 6, "Prove it loses nothing and lets nothing in"). Each case checks three things:
//! a clear message, the previous crontab or cron.d file byte-identical, nothing half-written
//! (no temp files left behind).
//!
//! Hermetic, with the fakes of `common`; the faults only root can make (a full filesystem, a
//! tmpfs mounted by the test) are `#[ignore]`d like the e2e tests, and run as root with them.
//!
//! This part: the `crontab` program (killed, failing, lying) and the backups taken before it
//! writes.

use crate::common::{self, Env, PRECIOUS, fails_with, stderr_of};

/// A fake `crontab` that answers `-l` from the fake dir and runs `$WRITE` (a shell snippet) for
/// a write, counting every write attempt in `$FAKE_CRON_DIR/../writes`.
fn fake_crontab(write: &str, list: &str) -> String {
    format!(
        r#"#!/bin/sh
user=$(id -un)
if [ "$1" = "-u" ]; then user="$2"; shift 2; fi
case "$1" in
  -l) {list} ;;
  -r) rm -f "$FAKE_CRON_DIR/$user" ;;
  *) echo "$1" >> "$FAKE_CRON_DIR/../writes"; {write} ;;
esac
"#
    )
}

const LIST_OK: &str = r#"if [ -f "$FAKE_CRON_DIR/$user" ]; then cat "$FAKE_CRON_DIR/$user"; else echo "no crontab for $user" >&2; exit 1; fi"#;
const WRITE_OK: &str =
    r#"cp "$1" "$FAKE_CRON_DIR/.tmp.$$" && mv "$FAKE_CRON_DIR/.tmp.$$" "$FAKE_CRON_DIR/$user""#;

/// An env with a precious crontab, an installed config (so there is a block to lose too), and
/// its own TMPDIR, to see what temp files a failed command leaves.
fn installed_env() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    std::fs::create_dir_all(env.path("tmp")).unwrap();
    env.set_crontab(PRECIOUS);
    let config = env.simple_config("");
    let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The next install has something to change.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("main_v2.py", "main_v3.py");
    std::fs::write(&config, text).unwrap();
    (env, config)
}

#[track_caller]
fn assert_no_temp_files(env: &Env) {
    for dir in ["tmp", "cron", "cron.d", "state", "state/backups"] {
        let left: Vec<String> = std::fs::read_dir(env.path(dir))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".crontainer-") || n.starts_with("crontainer-"))
                    // The fake crontab of a user named so (the e2e test user is
                    // crontainer-e2e) is no temp file.
                    .filter(|n| dir != "cron" || *n != Env::user())
                    .collect()
            })
            .unwrap_or_default();
        assert!(left.is_empty(), "temp files left in {dir}: {left:?}");
    }
}

#[test]
fn crontab_killed_mid_write_leaves_the_crontab_and_no_temp_files() {
    let (env, config) = installed_env();
    let before = env.snapshot();
    // Writes half of the new crontab where the real one stages it, then dies with SIGKILL.
    env.write_exe(
        "bin/crontab",
        &fake_crontab(
            r#"head -c 40 "$1" > "$FAKE_CRON_DIR/.partial"; kill -9 $$"#,
            LIST_OK,
        ),
    );
    for args in [
        &["install", "-c"][..],
        &["uninstall", "-c"],
        &["uninstall", "main_pipeline_v2", "-c"],
        &["pause", "main_pipeline_v2", "-c"],
    ] {
        let err = fails_with(
            env.cmd(args).arg(&config).env("TMPDIR", env.path("tmp")),
            1,
            "killed by signal 9",
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        let mut after = env.snapshot();
        after.remove("cron/.partial");
        assert_eq!(after, before, "{args:?} changed something");
        assert_no_temp_files(&env);
    }
}

#[test]
fn crontab_failing_on_write_leaves_everything_as_it_was() {
    let (env, config) = installed_env();
    let before = env.snapshot();
    env.write_exe(
        "bin/crontab",
        &fake_crontab(
            r#"echo "crontab: cannot rename /var/spool/cron/crontabs/tmp.123: No space left on device" >&2; exit 1"#,
            LIST_OK,
        ),
    );
    for args in [&["install", "-c"][..], &["uninstall", "-c"]] {
        fails_with(
            env.cmd(args).arg(&config).env("TMPDIR", env.path("tmp")),
            1,
            "No space left on device",
        );
        assert_eq!(env.snapshot(), before, "{args:?}");
        assert_no_temp_files(&env);
    }
}

/// `crontab -l` that fails in any way but "no crontab for USER" (exit 1) must abort: treating it
/// as empty would install over, and so lose, the user's crontab.
#[test]
fn an_unreadable_crontab_aborts_and_is_never_written() {
    let cases = [
        (
            "garbage and exit 2",
            r##"echo "#%&garbage )( BEGIN"; echo "crontab: something broke" >&2; exit 2"##,
            "exited with 2",
        ),
        (
            "exit 1 but not 'no crontab'",
            r#"echo "crontab: your UID isn't in the passwd file." >&2; exit 1"#,
            "UID isn't in the passwd file",
        ),
        (
            "killed while listing",
            r##"echo "# half a cront"; kill -9 $$"##,
            "killed by signal 9",
        ),
        (
            "not UTF-8 with exit 0",
            r#"printf '# \377\376 latin-1 caf\351\n'"#,
            "not UTF-8",
        ),
    ];
    for (name, list, expected) in cases {
        let (env, config) = installed_env();
        let before = env.snapshot();
        env.write_exe("bin/crontab", &fake_crontab(WRITE_OK, list));
        for args in [
            &["install", "-c"][..],
            &["uninstall", "-c"],
            &["uninstall", "main_pipeline_v2", "-c"],
            &["pause", "main_pipeline_v2", "-c"],
            &["resume", "main_pipeline_v2", "-c"],
        ] {
            fails_with(env.cmd(args).arg(&config), 1, expected);
            assert!(
                !env.path("writes").exists(),
                "{name}: {args:?} wrote the crontab"
            );
            assert_eq!(env.snapshot(), before, "{name}: {args:?}");
        }
        // status and run-now cannot say what is installed: they say so and exit 1.
        fails_with(env.cmd(["status", "-c"]).arg(&config), 1, expected);
        fails_with(
            env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config),
            1,
            expected,
        );
        assert!(env.docker_calls().is_empty(), "{name}: run-now ran the job");
    }
}

/// A crontab program that mangles what it stores (Debian's `crontab -l` prints CR as `\r`, say)
/// is caught by reading back.
#[test]
fn a_crontab_that_reads_back_different_is_reported() {
    let (env, config) = installed_env();
    env.write_exe(
        "bin/crontab",
        &fake_crontab(
            r#"sed 's/main_v3/main_vX/' "$1" > "$FAKE_CRON_DIR/$user""#,
            LIST_OK,
        ),
    );
    fails_with(
        env.cmd(["install", "-c"]).arg(&config),
        1,
        "read back differs",
    );
}

#[test]
fn a_state_dir_that_cannot_hold_backups_fails_before_the_crontab_changes() {
    let (env, config) = installed_env();
    let before = env.snapshot();
    std::fs::write(env.path("a-file"), "not a directory\n").unwrap();
    for state in ["a-file", "a-file/state"] {
        for args in [
            &["install", "-c"][..],
            &["uninstall", "-c"],
            &["pause", "main_pipeline_v2", "-c"],
        ] {
            fails_with(
                env.cmd(args)
                    .arg(&config)
                    .env("CRONTAINER_STATE_DIR", env.path(state)),
                1,
                "backup",
            );
            assert!(
                !env.path("writes").exists(),
                "{state} {args:?}: wrote without a backup"
            );
            assert_eq!(env.snapshot(), before, "{state} {args:?}");
        }
    }
}

/// Read-only by mode for a normal user, by a read-only bind mount for root.
#[test]
fn an_unwritable_state_dir_fails_before_the_crontab_changes() {
    let (env, config) = installed_env();
    let before = env.snapshot();
    let read_only = if common::is_root() {
        common::ReadOnly::new(&env.path("state/backups"))
    } else {
        // Its owner may chmod it back, and crontainer does (backups are made 0700): a normal
        // user gets no backup directory in a state directory it may not write.
        std::fs::remove_dir_all(env.path("state/backups")).unwrap();
        common::ReadOnly::new(&env.path("state"))
    };
    fails_with(env.cmd(["install", "-c"]).arg(&config), 1, "backup");
    drop(read_only);
    assert_eq!(env.snapshot(), before);
    assert_no_temp_files(&env);
}
