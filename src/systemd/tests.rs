//! The units of a job, their reader, and the calendar checked against the real
//! `systemd-analyze calendar`.

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::calendar::on_calendar;
use super::*;
use crate::config::{Config, Job};
use crate::line::{Entry, Tools, render_job};
use crate::schedule::{CronExpr, next_runs};

fn job(extra: &str) -> Job {
    let text = format!(
        "[cron]\ntarget = \"systemd\"\n[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"ai-video-backend\"\n\
         command = [\"python\", \"main_v2.py\"]\n{extra}\n"
    );
    Config::parse(&text, Path::new("/etc/crontainer/crontainer.toml"))
        .unwrap()
        .jobs
        .remove(0)
}

fn tools() -> Tools {
    let bin = |name: &str| PathBuf::from(format!("/usr/bin/{name}"));
    Tools {
        runtime: bin("docker"),
        crontainer: bin("crontainer"),
        escape_percent: false,
    }
}

/// The job's entry as `install` renders it for a systemd target, and its units.
fn units(job: &Job, block: &str, user: Option<&str>) -> (Entry, JobUnits) {
    let entry = render_job(job, &tools(), user, block).unwrap();
    let units = render_entry(block, 1, &entry, user.is_some()).unwrap();
    (entry, units)
}

#[test]
fn the_seed_job_as_units() {
    let (entry, units) = units(&job("every = \"5h\""), "crontainer", None);
    assert_eq!(
        units.service_name(),
        "crontainer-crontainer-main_pipeline_v2.service"
    );
    assert_eq!(
        units.timer_name(),
        "crontainer-crontainer-main_pipeline_v2.timer"
    );
    assert_eq!(
        units.service,
        "# Managed by crontainer (block crontainer, job 1): edit its config and run `crontainer install`; do not edit.
# crontainer:job id=main_pipeline_v2 container=ai-video-backend runtime=/usr/bin/docker log=/var/log/crontainer/main_pipeline_v2.log lock=/var/log/crontainer/main_pipeline_v2.log.lock every=5h
# crontainer:line 0 * * * * /usr/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- ai-video-backend python main_v2.py
[Unit]
Description=crontainer job crontainer/main_pipeline_v2

[Service]
Type=oneshot
ExecStart=/usr/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- ai-video-backend python main_v2.py
# The runner stops the job inside the container on SIGTERM; its own --timeout bounds a run.
KillMode=mixed
TimeoutStartSec=infinity
"
    );
    assert_eq!(
        units.timer,
        "# Managed by crontainer (block crontainer, job 1): edit its config and run `crontainer install`; do not edit.
[Unit]
Description=crontainer job crontainer/main_pipeline_v2 (timer)

[Timer]
OnCalendar=*-*-* *:00:00
AccuracySec=1s

[Install]
WantedBy=timers.target
"
    );
    assert_eq!(
        read_entry("crontainer", &units.service, &units.timer, false),
        Ok((1, entry))
    );
}

#[test]
fn catch_up_jitter_and_user() {
    let (entry, units) = units(
        &job("schedule = \"0 0 1 * mon\"\ncatch_up = true\njitter = \"90s\""),
        "night-jobs",
        Some("deploy"),
    );
    assert_eq!(units.base, "crontainer-night\\x2djobs-main_pipeline_v2");
    assert_eq!(
        units.timer.lines().skip(1).collect::<Vec<_>>(),
        [
            "[Unit]",
            "Description=crontainer job night-jobs/main_pipeline_v2 (timer)",
            "",
            "[Timer]",
            "OnCalendar=*-*-1 00:00:00",
            "OnCalendar=Mon *-*-* 00:00:00",
            "AccuracySec=1s",
            "Persistent=true",
            "RandomizedDelaySec=90s",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
    );
    let service: Vec<&str> = units.service.lines().collect();
    assert_eq!(
        service[2..5],
        [
            "# crontainer:line 0 0 1 * mon deploy /usr/bin/crontainer exec main_pipeline_v2 --block night-jobs --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- ai-video-backend python main_v2.py",
            "# crontainer:catch-up @reboot deploy /usr/bin/crontainer exec main_pipeline_v2 --block night-jobs --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker --schedule '0 0 1 * mon' --catch-up -- ai-video-backend python main_v2.py",
            "[Unit]",
        ]
    );
    assert_eq!(service[8..10], ["Type=oneshot", "User=deploy"]);
    assert!(
        service[1].ends_with(" catch_up=true jitter=90"),
        "{}",
        service[1]
    );
    let (position, read) = read_entry("night-jobs", &units.service, &units.timer, true).unwrap();
    assert_eq!((position, read.marker.jitter), (1, Some(90)));
    assert_eq!(read, entry);
}

#[test]
fn exec_start_words_survive_systemd_quoting() {
    let j = job(
        "every = \"15m\"\nenv = { MSG = \"50% of $HOME \\\"quoted\\\" 'single'\", EMPTY = \"\" }\n\
         workdir = \"/srv/my app\"",
    );
    let (_, units) = units(&j, "crontainer", None);
    let exec = units
        .service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    assert_eq!(
        exec,
        "/usr/bin/crontainer exec main_pipeline_v2 --block crontainer --every 15m --log \
         /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker --env EMPTY= --env \
         \"MSG=50%% of $$HOME \\\"quoted\\\" 'single'\" --workdir \"/srv/my app\" -- \
         ai-video-backend python main_v2.py"
    );
}

#[test]
fn a_unit_edited_by_hand_is_refused() {
    let (_, units) = units(&job("every = \"5h\""), "crontainer", None);
    let read = |service: &str, timer: &str| read_entry("crontainer", service, timer, false);
    let edited = units.service.replace("KillMode=mixed", "KillMode=none");
    assert_eq!(
        read(&edited, &units.timer),
        Err("not as crontainer writes it (edited by hand?)".to_string())
    );
    let other_exec = units
        .service
        .replace("ExecStart=/usr/bin/crontainer", "ExecStart=/tmp/x");
    assert_eq!(
        read(&other_exec, &units.timer),
        Err("not as crontainer writes it (edited by hand?)".to_string())
    );
    let timer = units.timer.replace("AccuracySec=1s", "AccuracySec=1min");
    assert_eq!(
        read(&units.service, &timer),
        Err("not as crontainer writes it (edited by hand?)".to_string())
    );
    assert_eq!(
        read_entry("other", &units.service, &units.timer, false),
        Err("not as crontainer writes it (edited by hand?)".to_string())
    );
}

#[test]
fn unit_names_are_unambiguous_and_read_back() {
    assert_eq!(unit_base("a-b", "c").unwrap(), "crontainer-a\\x2db-c");
    assert_eq!(unit_base("a", "b-c").unwrap(), "crontainer-a-b\\x2dc");
    assert_eq!(
        parse_unit_name("crontainer-a\\x2db-c.timer"),
        Some(("a-b".to_string(), "c".to_string(), "timer"))
    );
    assert_eq!(parse_unit_name("crontainer-a-b-c.timer"), None);
    assert_eq!(parse_unit_name("crontainer-a-b.socket"), None);
    assert_eq!(parse_unit_name("other-a-b.service"), None);
    let long = "x-".repeat(32);
    assert_eq!(
        unit_base(&long, &long).unwrap_err(),
        format!(
            "job {long:?} of block {long:?}: its unit name crontainer-{0}-{0}.service is 340 \
             bytes, over the 255 systemd accepts (each `-` is written `\\x2d`); shorten the job \
             id or `cron.name`",
            "x\\x2d".repeat(32)
        )
    );
}

#[test]
fn unit_names_escape_as_systemd_escape_does() {
    let out = Command::new("systemd-escape")
        .args(["night-jobs", "main_pipeline-v2"])
        .output()
        .expect("systemd-escape (package systemd) must be installed for this test");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "night\\x2djobs main_pipeline\\x2dv2\n"
    );
    assert_eq!(
        unit_base("night-jobs", "main_pipeline-v2").unwrap(),
        "crontainer-night\\x2djobs-main_pipeline\\x2dv2"
    );
}

#[test]
fn reboot_has_no_timer() {
    // The config refuses it for target = "systemd"; a block written for cron holds it.
    let cron_job = Config::parse(
        "[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"c\"\ncommand = [\"x\"]\n\
         schedule = \"@reboot\"\n",
        Path::new("/c.toml"),
    )
    .unwrap()
    .jobs
    .remove(0);
    let entry = render_job(&cron_job, &tools(), None, "b").unwrap();
    assert_eq!(
        render_entry("b", 1, &entry, false),
        Err(
            "job \"main_pipeline_v2\": @reboot has no time for a systemd timer; with target = \
             \"systemd\" use a schedule or `every`, and `catch_up = true` for the firings missed \
             while the host was off"
                .to_string()
        )
    );
}

/// The firings `systemd-analyze calendar` computes for each expression after `base`, merged
/// (a timer elapses at the earliest of its `OnCalendar=`), in UTC.
fn systemd_firings(calendars: &[String], base: Timestamp, n: usize) -> Vec<Timestamp> {
    let mut all = Vec::new();
    for calendar in calendars {
        let out = Command::new("systemd-analyze")
            .env("TZ", "UTC")
            .arg("calendar")
            .arg(format!("--iterations={n}"))
            .arg(format!("--base-time=@{}", base.as_second()))
            .arg(calendar)
            .output()
            .expect("systemd-analyze (package systemd) must be installed for this test");
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        assert!(
            out.status.success(),
            "systemd-analyze calendar {calendar:?}: {out:?}"
        );
        for line in text.lines() {
            let line = line.trim_start();
            if let Some(when) = line.strip_prefix("Next elapse: ").or_else(|| {
                line.split_once(": ")
                    .filter(|(k, _)| k.starts_with("Iter."))
                    .map(|(_, v)| v)
            }) {
                // "Thu 2026-01-01 05:00:00 UTC"
                let civil = when
                    .split(' ')
                    .skip(1)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                let ts = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &civil)
                    .unwrap()
                    .to_zoned_datetime(TimeZone::UTC)
                    .unwrap()
                    .timestamp();
                all.push(ts);
            }
        }
    }
    all.sort();
    all.dedup();
    all.truncate(n);
    all
}

/// Cron's next runs of each schedule (`plan`'s, as Debian's cron fires them) are exactly the
/// elapses of its `OnCalendar=` lines by the real systemd, in UTC (DST is where they differ:
/// see `calendar.rs`).
#[test]
fn on_calendar_fires_when_cron_does_by_systemd_analyze() {
    let base: Timestamp = "2026-02-26T13:07:00Z".parse().unwrap();
    let cases = [
        "* * * * *",
        "*/7 * * * *",
        "0 */5 * * *",
        "15,45 9-17 * * 1-5",
        "0 0 1,15 * 1",
        "30 2 29 2 *",
        "0 0 31 * *",
        "0 0 */10 * 1",
        "0 0 1 * */2",
        "0 12 * jan-mar,oct sun,sat",
        "0 0 1-7 * 5",
        "5 4 * * 7",
        "0 0 13 * 5",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
        "@hourly",
    ];
    let n = 40;
    for cron in cases {
        let expr = CronExpr::parse(cron).unwrap();
        let rendered = crate::schedule::Schedule::Cron(expr.clone()).render();
        let after = base.to_zoned_datetime(TimeZone::UTC);
        let cron_runs: Vec<Timestamp> = next_runs(&rendered, &after, n)
            .iter()
            .map(|z| z.timestamp())
            .collect();
        let calendar = on_calendar(&expr).unwrap();
        // `plan` looks 50 years ahead: February 29 comes 13 times in them.
        assert!(cron_runs.len() >= 13, "{cron:?}: {cron_runs:?}");
        let mut systemd = systemd_firings(&calendar, base, n);
        systemd.truncate(cron_runs.len());
        assert_eq!(systemd, cron_runs, "{cron:?} as {calendar:?}");
    }
}

/// An `every` interval: the timer fires on its cron expression and the runner's guard (the
/// same `--every` as on the cron line) keeps every N-th slot, so the runs are `plan`'s.
#[test]
fn every_fires_through_the_guard_as_on_the_cron_line() {
    let base: Timestamp = "2026-02-26T22:07:00Z".parse().unwrap();
    for every in ["5h", "90m", "7m", "2d", "15m"] {
        let schedule =
            crate::schedule::Schedule::Every(crate::schedule::Interval::parse(every).unwrap());
        let rendered = schedule.render();
        let after = base.to_zoned_datetime(TimeZone::UTC);
        let cron_runs: Vec<Timestamp> = next_runs(&rendered, &after, 12)
            .iter()
            .map(|z| z.timestamp())
            .collect();
        let calendar = on_calendar(&rendered.cron).unwrap();
        let mut systemd: Vec<Timestamp> = systemd_firings(&calendar, base, 1000)
            .into_iter()
            .filter(|ts| rendered.guard.is_none_or(|g| g.allows(*ts)))
            .collect();
        systemd.truncate(12);
        assert_eq!(systemd, cron_runs, "every {every} as {calendar:?}");
        let gaps: Vec<i64> = systemd
            .windows(2)
            .map(|w| (w[1].as_second() - w[0].as_second()) / 60)
            .collect();
        let minutes =
            i64::try_from(crate::schedule::Interval::parse(every).unwrap().minutes()).unwrap();
        assert!(
            gaps.iter().all(|g| *g == minutes),
            "every {every}: {gaps:?}"
        );
    }
}
