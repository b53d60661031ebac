//! The systemd target (issue #23) against a fake `systemctl`: the units `install` writes and
//! what it asks systemd, idempotence, pause kept across `install`, `uninstall` leaving no unit,
//! a unit edited by hand, the config's systemd-only keys, a timer in the wrong state in
//! `status`, and a block moved from a crontab to systemd with `--replace` (what fires the jobs,
//! and root's units under `--all-users`: `systemd_scope`).

use crate::common::{Env, fails, ok};

pub(crate) fn config(env: &Env, extra: &str) -> std::path::PathBuf {
    env.config(&format!(
        "[cron]\ntarget = \"systemd\"\nname = \"web\"\n[[job]]\nid = \"backup-db\"\n\
         container = \"app\"\ncommand = [\"python\", \"50% done\"]\nschedule = \"0 3 1,15 * mon\"\n\
         log = \"{{dir}}/logs/backup.log\"\n{extra}\n"
    ))
}

fn calls(env: &Env) -> String {
    let calls = std::fs::read_to_string(env.path("systemctl-calls")).unwrap_or_default();
    let _ = std::fs::remove_file(env.path("systemctl-calls"));
    calls
}

fn units(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path("systemd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `text` with the temp dir as `{dir}` and a backup's time as `TIME`.
pub(crate) fn masked(env: &Env, text: &str) -> String {
    let text = text.replace(&env.dir.path().display().to_string(), "{dir}");
    text.lines()
        .map(|l| match l.split_once("/backups/systemd-web.") {
            Some((head, _)) => format!("{head}/backups/systemd-web.TIME\n"),
            None => format!("{l}\n"),
        })
        .collect()
}

const SERVICE: &str = "crontainer-web-backup\\x2ddb.service";
const TIMER: &str = "crontainer-web-backup\\x2ddb.timer";

#[test]
fn install_writes_the_units_and_starts_the_timer_once() {
    let env = Env::new();
    let c = config(&env, "catch_up = true\njitter = \"30s\"");
    let out = ok(env.cmd(["install", "-c"]).arg(&c));
    insta::assert_snapshot!(masked(&env, &out));
    assert_eq!(units(&env), [SERVICE, TIMER]);
    assert_eq!(
        calls(&env),
        format!("is-system-running\ndaemon-reload\nenable --now {TIMER}\n")
    );
    let service = std::fs::read_to_string(env.path("systemd").join(SERVICE)).unwrap();
    insta::assert_snapshot!("service", masked(&env, &service));
    let timer = std::fs::read_to_string(env.path("systemd").join(TIMER)).unwrap();
    insta::assert_snapshot!("timer", masked(&env, &timer));

    let out = ok(env.cmd(["install", "-c"]).arg(&c));
    assert_eq!(
        masked(&env, &out),
        "systemd units crontainer-web-* in {dir}/systemd is up to date: block `web` with 1 \
         job; nothing changed.\n"
    );
    assert_eq!(
        calls(&env),
        "",
        "an install that changes nothing asks systemd nothing"
    );
}

#[test]
fn a_pause_stops_the_timer_and_survives_install_and_uninstall_leaves_no_unit() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    calls(&env);
    let out = ok(env.cmd(["pause", "backup-db", "-c"]).arg(&c));
    assert_eq!(
        masked(&env, &out),
        "paused job \"backup-db\" in systemd units crontainer-web-* in {dir}/systemd: its \
         systemd timer will not fire it until `crontainer resume backup-db`.\n"
    );
    assert_eq!(
        calls(&env),
        format!("is-system-running\ndaemon-reload\ndisable --now {TIMER}\n")
    );

    // A changed config keeps the pause: the timer stays stopped.
    let c = config(&env, "timeout = \"1h\"");
    ok(env.cmd(["install", "-c"]).arg(&c));
    assert_eq!(
        calls(&env),
        format!("is-system-running\ndaemon-reload\ndisable --now {TIMER}\n")
    );

    let out = ok(env.cmd(["resume", "backup-db", "-c"]).arg(&c));
    assert_eq!(
        masked(&env, &out),
        "resumed job \"backup-db\" in systemd units crontainer-web-* in {dir}/systemd: its \
         systemd timer fires it again from its next run.\n"
    );
    assert_eq!(
        calls(&env),
        format!("is-system-running\ndaemon-reload\nenable --now {TIMER}\n")
    );

    ok(env.cmd(["uninstall", "-c"]).arg(&c));
    assert_eq!(units(&env), Vec::<String>::new());
    assert_eq!(
        calls(&env),
        format!("disable --now --no-reload {TIMER}\ndaemon-reload\n")
    );
}

#[test]
fn a_unit_edited_by_hand_is_refused_and_left_alone() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    let path = env.path("systemd").join(SERVICE);
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("KillMode=mixed", "KillMode=none");
    std::fs::write(&path, &edited).unwrap();
    let err = fails(env.cmd(["install", "-c"]).arg(&c), 2);
    assert_eq!(
        masked(&env, &err),
        "crontainer: error: the units of job \"backup-db\" in {dir}/systemd are not as \
         crontainer writes it (edited by hand?); delete crontainer-web-backup\\x2ddb.service \
         and crontainer-web-backup\\x2ddb.timer and run `crontainer install` again\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn status_says_when_the_timer_is_stopped_and_takes_the_next_run_from_it() {
    let env = Env::new();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    let out = env
        .cmd(["status", "-c"])
        .arg(&c)
        .env("FAKE_TIMER_NEXT", "Mon 2026-11-30 03:00:17 UTC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\n  next run:  2026-11-30 03:00 UTC (in 14h25m)\n"),
        "the timer's next elapse: {text}"
    );
    let out = env
        .cmd(["status", "-c"])
        .arg(&c)
        .env("FAKE_TIMER_ACTIVE", "inactive")
        .output()
        .unwrap();
    let text = masked(&env, &String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "  health:    its systemd timer is inactive (enabled), so it will not fire: \
             `crontainer install` starts it again\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "host: systemd running: the system manager is running; container runtime answers; jobs read from systemd \
             units crontainer-web-* in {dir}/systemd, compared with {dir}/config.toml\n"
        ),
        "{text}"
    );
}

#[test]
fn the_config_keeps_systemd_keys_to_systemd() {
    let env = Env::new();
    let cases = [
        (
            "[[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\njitter = \"1m\"\n",
            "crontainer: error: {dir}/config.toml:6: `job \"a\": jitter` needs target = \
             \"systemd\" (a timer's `RandomizedDelaySec=`); cron has no random delay\n",
        ),
        (
            "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"a\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nevery = \"90m\"\njitter = \"30m\"\n",
            "crontainer: error: {dir}/config.toml:8: `job \"a\": jitter` must be shorter than \
             1800s with this `every`: the runner keeps one firing in 3 of 1800s slots, and a \
             start delayed into the next slot is skipped\n",
        ),
        (
            "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"a\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nschedule = \"@reboot\"\n",
            "crontainer: error: {dir}/config.toml:7: `job \"a\": schedule` is @reboot, which \
             has no time for a systemd timer; use a schedule or `every`, with `catch_up = \
             true` for the firings missed while the host was off\n",
        ),
        (
            "[cron]\ntarget = \"systemd\"\nname = \"web\"\n[monitoring]\n\
             textfile_dir = \"/var/lib/prom\"\n[[job]]\nid = \"metrics\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nschedule = \"* * * * *\"\n",
            "crontainer: error: job \"metrics\" of block `web` would share its units' name \
             with the block's metrics units ([monitoring] textfile_dir); rename the job\n",
        ),
        (
            "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"a\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nevery = \"5m\"\nconcurrency = \"replace\"\n",
            "crontainer: error: {dir}/config.toml:8: `job \"a\": concurrency` \"replace\" needs \
             a cron target: systemd starts a job's service only while it is not running, so a \
             firing during a run is dropped; use \"forbid\" or target = \"crontab\" or \
             \"cron.d\"\n",
        ),
        (
            "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"a\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nschedule = \"0 3 * * *\"\ncatch_up = \"6h\"\n",
            "crontainer: error: {dir}/config.toml:8: `job \"a\": catch_up` is a window \
             (\"6h\"), which a systemd timer cannot keep: its `Persistent=true` runs a missed \
             firing however old; use `catch_up = true`, or target = \"crontab\" or \
             \"cron.d\"\n",
        ),
        (
            "[cron]\ntarget = \"launchd\"\n",
            "crontainer: error: {dir}/config.toml:2: `cron.target` is \"launchd\"; accepted: \
             \"crontab\", \"cron.d\" or \"systemd\"\n",
        ),
    ];
    for (text, expected) in cases {
        let c = env.config(text);
        let err = fails(env.cmd(["plan", "-c"]).arg(&c), 2);
        assert_eq!(masked(&env, &err), expected, "for {text}");
    }
}

/// Root's system units are no place for a secret: any local user reads a unit's `ExecStart=`
/// over D-Bus (`systemctl show`), whatever the file's mode. `plan` and `install` say so, for
/// `env` values and a healthcheck URL, as they do for a cron.d file.
#[test]
fn secrets_in_root_units_are_said_to_be_readable_by_every_user() {
    let env = Env::new();
    let c = config(
        &env,
        "env = { TOKEN = \"s3cret\" }\nhealthcheck = \"https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a\"",
    );
    let out = env.cmd(["plan", "-c"]).arg(&c).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = masked(&env, &crate::common::stderr_of(&out));
    let schedule = "crontainer: warning: job \"backup-db\": `0 3 1,15 * mon` restricts both \
                    day-of-month and day-of-week, so cron runs it on the days of the month OR on \
                    the days of the week (not only on days that are both).\n";
    if !crate::common::is_root() {
        // A user's own units are read by their manager alone: nothing to say of them.
        assert_eq!(stderr, schedule);
        return;
    }
    assert_eq!(
        stderr
            .strip_suffix(schedule)
            .expect("the schedule's warning comes last"),
        "crontainer: warning: job \"backup-db\": the values of `env` (TOKEN) are written into \
         systemd units crontainer-web-* in {dir}/systemd, which every local user can read \
         (`systemctl show -p ExecStart`, whatever the files' mode), and show in the process \
         list while the job runs; keep secrets in a file only the job's user can read, named by \
         `env_file`\n\
         crontainer: warning: job \"backup-db\": its `healthcheck` URL is a secret and is written \
         into systemd units crontainer-web-* in {dir}/systemd, whose `ExecStart=` every local \
         user can read (`systemctl show -p ExecStart`, whatever the files' mode), and it shows \
         in the process list (`ps`) while a job runs; for a URL only root can read, use target = \
         \"cron.d\"\n"
    );
}

/// `--target` overrides `[cron] target`, and the keys that depend on the target are judged for
/// the one it chose: a config for cron does not reach systemd with a policy systemd drops.
#[test]
fn a_target_flag_is_judged_like_the_configs_target() {
    let env = Env::new();
    let for_cron = env.config(
        "[[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5m\"\n\
         concurrency = \"allow\"\n",
    );
    ok(env.cmd(["plan", "-q", "-c"]).arg(&for_cron));
    let expected = "crontainer: error: {dir}/config.toml:6: `job \"a\": concurrency` \"allow\" \
                    needs a cron target: systemd starts a job's service only while it is not \
                    running, so a firing during a run is dropped; use \"forbid\" or target = \
                    \"crontab\" or \"cron.d\"\n";
    for command in ["plan", "install"] {
        let err = fails(
            env.cmd([command, "--target", "systemd", "-c"])
                .arg(&for_cron),
            2,
        );
        assert_eq!(masked(&env, &err), expected, "{command}");
    }
    assert_eq!(
        std::fs::read_dir(env.path("systemd")).map_or(0, |d| d.count()),
        0,
        "the refused install wrote no unit"
    );

    let for_systemd = env.config(
        "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"a\"\ncontainer = \"c\"\n\
         command = [\"x\"]\nevery = \"5h\"\njitter = \"1m\"\n",
    );
    ok(env.cmd(["plan", "-q", "-c"]).arg(&for_systemd));
    let err = fails(
        env.cmd(["plan", "--target", "crontab", "-c"])
            .arg(&for_systemd),
        2,
    );
    assert_eq!(
        masked(&env, &err),
        "crontainer: error: {dir}/config.toml:8: `job \"a\": jitter` needs target = \
         \"systemd\" (a timer's `RandomizedDelaySec=`); cron has no random delay\n"
    );
}

#[test]
fn replace_moves_a_block_from_a_crontab_to_systemd_and_shared_logs_are_refused() {
    let env = Env::new();
    let cron = env.config(
        "[cron]\nname = \"old\"\n[[job]]\nid = \"backup-db\"\ncontainer = \"app\"\n\
         command = [\"python\", \"x\"]\nschedule = \"0 3 * * *\"\nlog = \"{dir}/logs/backup.log\"\n",
    );
    ok(env.cmd(["install", "-c"]).arg(&cron));
    assert!(env.crontab().unwrap().contains("# BEGIN crontainer:old\n"));

    // The same log in a systemd block beside it: two firings would share it.
    let c = config(&env, "");
    let err = fails(env.cmd(["install", "-c"]).arg(&c), 2);
    assert_eq!(
        masked(&env, &err),
        "crontainer: error: refusing to install block `web` into systemd units crontainer-web-* \
         in {dir}/systemd: job \"backup-db\": {dir}/logs/backup.log is already used by job \
         \"backup-db\" of block `old` in root's crontab, so the two would share one lock and \
         one of them would skip every run; if this config replaces block `old` (renamed, or \
         moved from root's crontab), run `crontainer install --replace old`; otherwise remove \
         it (`crontainer uninstall --name old --target crontab --user root`), or give the job \
         another `log`; nothing changed\n"
    );
    assert_eq!(units(&env), Vec::<String>::new());

    let out = ok(env.cmd(["install", "--replace", "old", "-c"]).arg(&c));
    // The units first, then the crontab's block: while both exist they share the job's lock,
    // so a firing of the old line in between would skip, never run beside the new one.
    insta::assert_snapshot!("replaced", masked(&env, &out));
    assert_eq!(units(&env), [SERVICE, TIMER]);
    assert_eq!(env.crontab().unwrap_or_default(), "");
}

#[test]
fn doctor_checks_systemd_and_the_units_instead_of_cron() {
    let env = Env::new();
    // No cron daemon: with systemd units, nothing needs one.
    env.no_cron_daemon();
    let c = config(&env, "");
    ok(env.cmd(["install", "-c"]).arg(&c));
    let out = ok(env.cmd(["doctor", "-c"]).arg(&c));
    let first: Vec<&str> = out.lines().take(2).collect();
    assert_eq!(
        first,
        [
            "ok    systemd: the system manager is running",
            "ok    units: 2 unit files pass `systemd-analyze verify`",
        ],
        "{out}"
    );
    assert!(!out.contains("cron daemon"), "{out}");

    // A unit systemd cannot load, and no manager.
    let timer = env.path("systemd").join(TIMER);
    let text = std::fs::read_to_string(&timer).unwrap();
    std::fs::write(
        &timer,
        text.replace("OnCalendar=", "OnCalendar=not a time "),
    )
    .unwrap();
    let out = env
        .cmd(["doctor", "-c"])
        .arg(&c)
        .env("FAKE_SYSTEMD_STATE", "offline")
        .output()
        .unwrap();
    let text = masked(&env, &String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "FAIL  systemd: no systemd system manager answers `systemctl is-system-running`: \
             no timer fires\n      fix: boot with systemd as PID 1, or use target = \
             \"crontab\" or \"cron.d\"; for user units, log in or `sudo loginctl enable-linger \
             USER`\nFAIL  units: `systemd-analyze verify --man=no \
             '{dir}/systemd/crontainer-web-backup\\x2ddb.service' \
             '{dir}/systemd/crontainer-web-backup\\x2ddb.timer'` exited with 1: \
             {dir}/systemd/crontainer-web-backup\\x2ddb.timer:6: Failed to parse calendar \
             specification, ignoring: not a time *-*-1,15 03:00:00\n\
             {dir}/systemd/crontainer-web-backup\\x2ddb.timer:7: Failed to parse calendar \
             specification, ignoring: not a time Mon *-*-* 03:00:00\n\
             crontainer-web-backup\\x2ddb.timer: Timer unit lacks value setting. Refusing.\n\
             Unit crontainer-web-backup\\x2ddb.timer has a bad unit file setting.\n      \
             fix: run `crontainer install` to write them again\n"
        ),
        "{text}"
    );
}

#[test]
fn plan_shows_the_unit_files_and_changes_nothing() {
    let env = Env::new();
    let c = config(&env, "");
    // (Its warning on stderr, that the days are ORed, holds for the timer too.)
    let out = env.cmd(["plan", "-c"]).arg(&c).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    let after: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("# would be written"))
        .take(4)
        .collect();
    assert_eq!(
        masked(&env, &after.join("\n")),
        "# would be written to systemd units crontainer-web-* in {dir}/systemd, running as \
         root; nothing was changed.\n#\n# {dir}/systemd/crontainer-web-backup\\x2ddb.service:\n\
         #   # Managed by crontainer (block web, job 1): edit its config and run `crontainer \
         install`; do not edit.\n"
    );
    let (code, doc) = crate::common::json_of(env.cmd(["plan", "--json", "-c"]).arg(&c));
    assert_eq!(code, 0);
    let planned = doc["units"].as_array().unwrap();
    assert_eq!(planned.len(), 2, "{doc:#}");
    assert!(
        planned[1]["path"].as_str().unwrap().ends_with(TIMER),
        "{doc:#}"
    );
    assert!(
        planned[1]["text"]
            .as_str()
            .unwrap()
            .contains("\nOnCalendar=Mon *-*-* 03:00:00\n"),
        "{doc:#}"
    );
    assert_eq!(units(&env), Vec::<String>::new());
    assert_eq!(calls(&env), "");
}

#[test]
fn install_without_a_systemd_manager_writes_nothing() {
    let env = Env::new();
    let c = config(&env, "");
    let out = env
        .cmd(["install", "-c"])
        .arg(&c)
        .env("FAKE_SYSTEMD_STATE", "offline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "crontainer: error: no systemd system manager answers `systemctl is-system-running`, \
         so no timer would fire; nothing changed. Boot with systemd as PID 1 (for user units: \
         log in, or `sudo loginctl enable-linger USER`), or use target = \"crontab\" or \
         \"cron.d\"\n"
    );
    assert_eq!(units(&env), Vec::<String>::new());
    assert_eq!(calls(&env), "is-system-running\n");
}

#[test]
fn a_firing_systemd_drops_during_a_long_run_is_not_missed() {
    let env = Env::new();
    let c = config(&env, "");
    let c = {
        let text = std::fs::read_to_string(&c)
            .unwrap()
            .replace("0 3 1,15 * mon", "0 * * * *");
        std::fs::write(&c, text).unwrap();
        c
    };
    let at = |now: &str| {
        let mut cmd = env.cmd(["status", "-c"]);
        cmd.arg(&c).env("CRONTAINER_NOW", now);
        cmd
    };
    ok(env
        .cmd(["install", "-c"])
        .arg(&c)
        .env("CRONTAINER_NOW", "2026-11-29T08:00:30Z"));
    // The 09:00 run took until 11:30: systemd did not start the 10:00 and 11:00 firings, and
    // the runner, which never heard of them, logged no skip.
    std::fs::write(
        env.path("logs/backup.log"),
        "[crontainer] 2026-11-29T09:00:00Z backup-db start pid=7 by=cron\n\
         [crontainer] 2026-11-29T11:30:00Z backup-db end exit=0 seconds=9000 run=7-1795942800 by=cron\n",
    )
    .unwrap();
    let out = at("2026-11-29T11:40:00Z").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\n  health:    ok\n"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The next firing, 12:00, is missed once the grace has passed.
    let out = at("2026-11-29T12:06:00Z").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\n  health:    missed: cron should have started it at 2026-11-29 12:00 UTC; no start since\n"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
}

const METRICS_SERVICE: &str = "crontainer-web-metrics.service";
const METRICS_TIMER: &str = "crontainer-web-metrics.timer";

#[test]
fn the_metrics_line_becomes_a_timer_read_back_and_removed_with_the_block() {
    let env = Env::new();
    std::fs::create_dir(env.path("prom")).unwrap();
    let c = config(&env, "[monitoring]\ntextfile_dir = \"{dir}/prom\"");
    let out = ok(env.cmd(["install", "-c"]).arg(&c));
    assert!(
        masked(&env, &out).ends_with(
            "+# crontainer:metrics textfile={dir}/prom\n\
             +* * * * * root {dir}/bin/crontainer metrics -q -c {dir}/config.toml --target \
             systemd --user root --textfile {dir}/prom\n\
             +# END crontainer:web\n\
             installed block `web` with 1 job into systemd units crontainer-web-* in \
             {dir}/systemd, running as root.\n\
             previous version saved to {dir}/state/backups/systemd-web.TIME\n\
             log rotation: {dir}/logrotate.d/crontainer-systemd+web\n"
        ),
        "{out}"
    );
    assert_eq!(
        units(&env),
        [SERVICE, TIMER, METRICS_SERVICE, METRICS_TIMER]
    );
    assert_eq!(
        calls(&env),
        format!("is-system-running\ndaemon-reload\nenable --now {METRICS_TIMER} {TIMER}\n")
    );
    let service = std::fs::read_to_string(env.path("systemd").join(METRICS_SERVICE)).unwrap();
    let timer = std::fs::read_to_string(env.path("systemd").join(METRICS_TIMER)).unwrap();
    // The metrics line's own words, carried as the job units carry theirs.
    assert_eq!(
        masked(&env, &service),
        "# Managed by crontainer (block web, metrics): edit its config and run `crontainer \
         install`; do not edit.\n\
         # crontainer:metrics textfile={dir}/prom\n\
         # crontainer:metrics-line * * * * * root {dir}/bin/crontainer metrics -q -c \
         {dir}/config.toml --target systemd --user root --textfile {dir}/prom\n\
         [Unit]\nDescription=crontainer metrics of block web\n\n\
         [Service]\nType=oneshot\nUser=root\n\
         ExecStart={dir}/bin/crontainer metrics -q -c {dir}/config.toml --target systemd \
         --user root --textfile {dir}/prom\n"
    );
    assert_eq!(
        masked(&env, &timer),
        "# Managed by crontainer (block web, metrics): edit its config and run `crontainer \
         install`; do not edit.\n\
         [Unit]\nDescription=crontainer metrics of block web (timer)\n\n\
         [Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n"
    );

    // Read back: up to date, nothing asked of systemd.
    let out = ok(env.cmd(["install", "-c"]).arg(&c));
    assert_eq!(
        masked(&env, &out),
        "systemd units crontainer-web-* in {dir}/systemd is up to date: block `web` with 1 \
         job; nothing changed.\n"
    );
    assert_eq!(calls(&env), "");
    // status checks the metrics timer's file as it checks a metrics line's: not written yet,
    // then fresh.
    let problem = |env: &Env| {
        let out = env.cmd(["status", "-c"]).arg(&c).output().unwrap();
        masked(env, &String::from_utf8_lossy(&out.stdout))
            .lines()
            .filter(|l| l.starts_with("PROBLEM"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        problem(&env),
        [
            "PROBLEM the metrics of block `web`: {dir}/prom/crontainer-systemd+web.prom has not \
             been written, though the metrics line runs every minute (`crontainer metrics \
             --textfile {dir}/prom` by hand says why)"
        ]
    );
    std::fs::write(env.path("prom/crontainer-systemd+web.prom"), "").unwrap();
    assert_eq!(problem(&env), Vec::<String>::new());

    // A metrics unit edited by hand is refused, as a job's, and left alone.
    let path = env.path("systemd").join(METRICS_SERVICE);
    std::fs::write(&path, format!("{service}Nice=5\n")).unwrap();
    let err = fails(env.cmd(["install", "-c"]).arg(&c), 2);
    assert_eq!(
        masked(&env, &err),
        format!(
            "crontainer: error: the metrics units of block `web` in {{dir}}/systemd are not as \
             crontainer writes them (edited by hand?); delete {METRICS_SERVICE} and \
             {METRICS_TIMER} and run `crontainer install` again\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{service}Nice=5\n")
    );
    std::fs::write(&path, &service).unwrap();

    calls(&env);
    ok(env.cmd(["uninstall", "-c"]).arg(&c));
    assert_eq!(units(&env), Vec::<String>::new());
    // The block's metrics file goes with it, as with cron.
    assert!(!env.path("prom/crontainer-systemd+web.prom").exists());
    assert_eq!(
        calls(&env),
        format!("disable --now --no-reload {TIMER} {METRICS_TIMER}\ndaemon-reload\n")
    );
}
