//! Hermetic CLI tests: the real binary against fake `crontab` and `docker` programs. This part:
//! `metrics`, whose gauges must carry the values of the run the log records, and the same health
//! and next run as `status`.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, fails_with, ok, stdout_of};

/// The labels of the one job's samples: its id, block, target and the crontab's owner.
fn labels() -> String {
    format!(
        r#"{{job="main_pipeline_v2",block="crontainer",target="crontab",user="{}"}}"#,
        Env::user()
    )
}

/// The sample that says the block could be read (0) or not (1).
fn block_sample(damaged: u8) -> String {
    format!(
        r#"crontainer_block_damaged{{block="crontainer",target="crontab",user="{}"}} {damaged}"#,
        Env::user()
    )
}

/// Every gauge, in the order `metrics` writes them: each must have its HELP and TYPE lines
/// whether or not a job has a value for it.
const GAUGES: [&str; 14] = [
    "crontainer_job_last_start_timestamp_seconds",
    "crontainer_job_last_end_timestamp_seconds",
    "crontainer_job_last_success_timestamp_seconds",
    "crontainer_job_last_exit_code",
    "crontainer_job_last_duration_seconds",
    "crontainer_job_running",
    "crontainer_job_paused",
    "crontainer_job_missed",
    "crontainer_job_healthy",
    "crontainer_job_next_run_timestamp_seconds",
    "crontainer_job_usual_duration_seconds",
    "crontainer_job_usual_duration_p95_seconds",
    "crontainer_job_history_failures",
    "crontainer_block_damaged",
];

/// The sample lines of an exposition text (HELP and TYPE lines checked and left out).
#[track_caller]
fn samples(text: &str) -> String {
    let mut families = Vec::new();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert_eq!(lines.next(), Some(format!("# TYPE {name} gauge").as_str()));
            families.push(name.to_string());
        } else {
            let name = line.split('{').next().unwrap();
            assert_eq!(families.last().map(String::as_str), Some(name), "{text}");
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(families, GAUGES, "{text}");
    out
}

/// The unix second of a log line's time: `[crontainer] TIME JOB EVENT ...`.
fn seconds_of(line: &str) -> i64 {
    let time = line.split(' ').nth(1).unwrap();
    time.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// The value of `key=` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// `status --json` of the one job: its health and next run, which metrics must repeat.
fn status_of(env: &Env, config: &std::path::Path) -> serde_json::Value {
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(config)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    doc["jobs"][0].clone()
}

fn next_run_of(status: &serde_json::Value) -> i64 {
    let next = status["next_run"].as_str().expect("a next run");
    next.parse::<jiff::Timestamp>().unwrap().as_second()
}

#[test]
fn metrics_of_a_failed_run_carry_the_logged_values() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let run = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .env("FAKE_SLEEP", "1")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    let log = env.read("logs/main.log");
    let start = log.lines().find(|l| l.contains(" start pid=")).unwrap();
    let end = log.lines().find(|l| l.contains(" end exit=")).unwrap();
    let status = status_of(&env, &config);
    assert_eq!(status["healthy"], false, "{status}");

    let text = ok(env.cmd(["metrics", "-c"]).arg(&config));
    let labels = labels();
    let want = format!(
        "crontainer_job_last_start_timestamp_seconds{labels} {}\n\
         crontainer_job_last_end_timestamp_seconds{labels} {}\n\
         crontainer_job_last_exit_code{labels} 3\n\
         crontainer_job_last_duration_seconds{labels} {}\n\
         crontainer_job_running{labels} 0\n\
         crontainer_job_paused{labels} 0\n\
         crontainer_job_missed{labels} 0\n\
         crontainer_job_healthy{labels} 0\n\
         crontainer_job_next_run_timestamp_seconds{labels} {}\n\
         crontainer_job_history_failures{labels} 1\n\
         {}\n",
        seconds_of(start),
        seconds_of(end),
        field(end, "seconds="),
        next_run_of(&status),
        block_sample(0),
    );
    assert_eq!(samples(&text), want, "log:\n{log}");
    assert!(field(end, "seconds=") != "0", "the run slept: {end}");
}

#[test]
fn textfile_gets_a_successful_run_atomically_and_readable() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    ok(env.cmd(["run-now", "main_pipeline_v2", "-c"]).arg(&config));
    let end = env.read("logs/main.log");
    let end = end.lines().find(|l| l.contains(" end exit=0 ")).unwrap();
    assert_eq!(status_of(&env, &config)["healthy"], true);

    let dir = env.path("textfile");
    std::fs::create_dir(&dir).unwrap();
    let said = ok(env
        .cmd(["metrics", "--textfile"])
        .arg(&dir)
        .arg("-c")
        .arg(&config));
    // One file per block, keyed by target, owner and block, so blocks never overwrite each
    // other's.
    let name = format!("crontainer-crontab-{}+crontainer.prom", Env::user());
    let prom = dir.join(&name);
    assert_eq!(said, format!("wrote 1 job(s) to {}\n", prom.display()));
    let written = std::fs::read_to_string(&prom).unwrap();
    // The same text as printed, and nothing else left in the directory (no temp file).
    assert_eq!(written, ok(env.cmd(["metrics", "-c"]).arg(&config)));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [name.as_str()]);
    // node_exporter reads it as its own user.
    let mode = std::fs::metadata(&prom).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);

    let samples = samples(&written);
    let at = seconds_of(end);
    let labels = labels();
    for line in [
        format!("crontainer_job_last_end_timestamp_seconds{labels} {at}"),
        format!("crontainer_job_last_success_timestamp_seconds{labels} {at}"),
        format!("crontainer_job_last_exit_code{labels} 0"),
        format!("crontainer_job_healthy{labels} 1"),
    ] {
        assert!(
            samples.lines().any(|l| l == line),
            "{line} not in:\n{samples}"
        );
    }

    // A second write replaces the file whole.
    std::fs::write(&prom, "stale\n").unwrap();
    ok(env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(&dir)
        .arg("-c")
        .arg(&config));
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), written);
}

#[test]
fn a_paused_job_that_never_ran_has_no_times_and_no_next_run() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    ok(env.cmd(["pause", "main_pipeline_v2", "-c"]).arg(&config));
    let text = ok(env.cmd(["metrics", "-c"]).arg(&config));
    let labels = labels();
    assert_eq!(
        samples(&text),
        format!(
            "crontainer_job_running{labels} 0\n\
             crontainer_job_paused{labels} 1\n\
             crontainer_job_missed{labels} 0\n\
             crontainer_job_healthy{labels} 1\n\
             {}\n",
            block_sample(0)
        )
    );
}

#[test]
fn a_missing_textfile_directory_is_an_error_naming_it() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    let dir = env.path("nowhere");
    let err = fails_with(
        env.cmd(["metrics", "--textfile"])
            .arg(&dir)
            .arg("-c")
            .arg(&config),
        1,
        &format!(
            "could not write {}",
            dir.join(format!(
                "crontainer-crontab-{}+crontainer.prom",
                Env::user()
            ))
            .display()
        ),
    );
    assert!(!dir.exists(), "{err}");
}

/// A config of block `name` with one job `id` logging into `logs/`, refreshing `prom/`.
fn block_config(env: &Env, name: &str, id: &str) -> std::path::PathBuf {
    let path = env.path(&format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[cron]\nname = \"{name}\"\n[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\
             [[job]]\nid = \"{id}\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\n\
             log = \"{dir}/logs/{id}.log\"\n",
            dir = env.dir.path().display()
        ),
    )
    .unwrap();
    path
}

/// The names in a directory, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_blocks_sharing_a_textfile_directory_each_keep_their_own_file() {
    let env = Env::new();
    std::fs::create_dir(env.path("prom")).unwrap();
    let user = Env::user();
    let one = block_config(&env, "one", "a");
    let two = block_config(&env, "two", "b");
    env.install(&one);
    env.install(&two);
    // What the older versions left: one file for every block, here holding both blocks' jobs.
    let legacy = env.path("prom/crontainer.prom");
    std::fs::write(
        &legacy,
        "# HELP crontainer_job_running x\n# TYPE crontainer_job_running gauge\n\
         crontainer_job_running{job=\"a\",block=\"one\"} 0\n\
         crontainer_job_running{job=\"b\",block=\"two\"} 0\n",
    )
    .unwrap();
    // The lines the block's metrics line runs, one after the other as cron would.
    let refresh = |config: &std::path::Path| {
        env.cmd(["metrics", "--textfile"])
            .arg(env.path("prom"))
            .args(["--target", "crontab", "--user", &user, "-c"])
            .arg(config)
            .output()
            .unwrap()
    };
    let out = refresh(&one);
    assert_eq!(
        (
            out.status.code(),
            stdout_of(&out),
            crate::common::stderr_of(&out)
        ),
        (
            Some(0),
            format!(
                "wrote 1 job(s) to {}\n",
                env.path(&format!("prom/crontainer-crontab-{user}+one.prom"))
                    .display()
            ),
            String::new()
        )
    );
    // Block two's jobs are still in the old file: it stays until two's own refresh.
    assert!(legacy.exists());
    let out = refresh(&two);
    assert_eq!(
        stdout_of(&out),
        format!(
            "wrote 1 job(s) to {}\nremoved {}, which older versions wrote for every block\n",
            env.path(&format!("prom/crontainer-crontab-{user}+two.prom"))
                .display(),
            legacy.display()
        )
    );
    assert_eq!(
        names_in(&env.path("prom")),
        [
            format!("crontainer-crontab-{user}+one.prom"),
            format!("crontainer-crontab-{user}+two.prom")
        ]
    );
    for (block, job) in [("one", "a"), ("two", "b")] {
        let text = env.read(&format!("prom/crontainer-crontab-{user}+{block}.prom"));
        let running: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("crontainer_job_running{"))
            .collect();
        assert_eq!(
            running,
            [format!(
                r#"crontainer_job_running{{job="{job}",block="{block}",target="crontab",user="{user}"}} 0"#
            )]
        );
    }

    // Uninstalling a block takes its file away, and leaves the other's.
    let said = ok(env.cmd(["uninstall", "-c"]).arg(&one));
    let removed = format!(
        "metrics: removed {}",
        env.path(&format!("prom/crontainer-crontab-{user}+one.prom"))
            .display()
    );
    assert!(said.lines().any(|l| l == removed), "{said}");
    assert_eq!(
        names_in(&env.path("prom")),
        [format!("crontainer-crontab-{user}+two.prom")]
    );
}

#[test]
fn the_last_runs_gauges_stay_while_a_run_is_going() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    // A run that failed, then a run still going: its start logged, its id in the lock file,
    // and the lock held (by this test process).
    let log = env.path("logs/main.log");
    let pid = std::process::id();
    std::fs::write(
        &log,
        format!(
            "[crontainer] 2026-11-29T10:00:00Z main_pipeline_v2 start pid=41 by=cron\n\
             output\n\
             [crontainer] 2026-11-29T10:00:07Z main_pipeline_v2 end exit=3 seconds=7 \
             run=41-1795946400 by=cron\n\
             [crontainer] 2026-11-29T12:30:00Z main_pipeline_v2 start pid={pid} by=cron\n\
             more output\n"
        ),
    )
    .unwrap();
    let lock = std::fs::File::create(env.path("logs/main.log.lock")).unwrap();
    std::fs::write(
        env.path("logs/main.log.lock"),
        format!("{pid}-1795955400\n"),
    )
    .unwrap();
    lock.lock().unwrap();

    let text = ok(env.cmd(["metrics", "-c"]).arg(&config));
    let labels = labels();
    let status = status_of(&env, &config);
    assert_eq!(
        samples(&text),
        format!(
            "crontainer_job_last_start_timestamp_seconds{labels} 1795955400\n\
             crontainer_job_last_end_timestamp_seconds{labels} 1795946407\n\
             crontainer_job_last_exit_code{labels} 3\n\
             crontainer_job_last_duration_seconds{labels} 7\n\
             crontainer_job_running{labels} 1\n\
             crontainer_job_paused{labels} 0\n\
             crontainer_job_missed{labels} 0\n\
             crontainer_job_healthy{labels} 0\n\
             crontainer_job_next_run_timestamp_seconds{labels} {}\n\
             {}\n",
            next_run_of(&status),
            block_sample(0)
        )
    );
    // The failure stays a problem until a run ends well.
    assert_eq!(
        status["problems"],
        serde_json::json!(["the run before the one going now failed (exit 3, took 7s)"])
    );
    drop(lock);
}

#[test]
fn a_damaged_block_exports_series_that_alert() {
    let env = Env::new();
    let config = env.simple_config("");
    env.install(&config);
    // Someone comments the job's line out by hand.
    let text = env.crontab().unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(" main_pipeline_v2 ") && !l.starts_with('#'))
        .unwrap()
        .to_string();
    env.set_crontab(&text.replace(&line, &format!("#{line}")));

    let out = env.cmd(["metrics", "-c"]).arg(&config).output().unwrap();
    let stderr = crate::common::stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "crontainer: warning: block `crontainer` in {}'s crontab: the block \
             `crontainer:crontainer` was edited by hand: ",
            Env::user()
        )) && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(
        samples(&stdout_of(&out)),
        format!(
            "crontainer_job_running{labels} 0\n\
             crontainer_job_paused{labels} 0\n\
             crontainer_job_missed{labels} 0\n\
             crontainer_job_healthy{labels} 0\n\
             {}\n",
            block_sample(1),
            labels = labels()
        )
    );
}

#[test]
fn install_without_the_metrics_line_removes_the_blocks_file() {
    let env = Env::new();
    std::fs::create_dir(env.path("prom")).unwrap();
    let monitored = block_config(&env, "one", "a");
    env.install(&monitored);
    ok(env
        .cmd(["metrics", "-q", "--textfile"])
        .arg(env.path("prom"))
        .arg("-c")
        .arg(&monitored));
    let file = env.path(&format!("prom/crontainer-crontab-{}+one.prom", Env::user()));
    assert!(file.exists());
    // The same block without `[monitoring]`: its line goes, and so does its file.
    let text = std::fs::read_to_string(&monitored).unwrap();
    let plain = text.replace(
        &format!(
            "[monitoring]\ntextfile_dir = \"{}/prom\"\n",
            env.dir.path().display()
        ),
        "",
    );
    assert_ne!(plain, text);
    std::fs::write(&monitored, plain).unwrap();
    let said = ok(env.cmd(["install", "-c"]).arg(&monitored));
    assert!(
        said.lines().any(|l| l
            == format!(
                "removed {}: the block's metrics line no longer writes there",
                file.display()
            )),
        "{said}"
    );
    assert!(!file.exists());
}

/// README, "Monitoring and alerts": when the crontab cannot be read at all, `metrics` says so,
/// exits 1 and leaves the last file as it was, so its age (the staleness alert) tells.
#[test]
fn an_unreadable_crontab_leaves_the_last_file_to_go_stale() {
    let env = Env::new();
    std::fs::create_dir(env.path("prom")).unwrap();
    let config = block_config(&env, "one", "a");
    env.install(&config);
    let refresh = || {
        env.cmd(["metrics", "-q", "--textfile"])
            .arg(env.path("prom"))
            .arg("-c")
            .arg(&config)
            .output()
            .unwrap()
    };
    assert_eq!(refresh().status.code(), Some(0));
    let file = env.path(&format!("prom/crontainer-crontab-{}+one.prom", Env::user()));
    let before = std::fs::read(&file).unwrap();
    // `crontab -l` now fails with something other than "no crontab".
    env.write_exe(
        "bin/crontab",
        "#!/bin/sh\necho 'crontab: cannot open the spool' >&2\nexit 2\n",
    );
    let out = refresh();
    assert_eq!(
        (
            out.status.code(),
            stdout_of(&out),
            crate::common::stderr_of(&out)
        ),
        (
            Some(1),
            String::new(),
            format!(
                "crontainer: error: `{}/bin/crontab -l` exited with 2: crontab: cannot open the \
                 spool\n",
                env.dir.path().display()
            )
        )
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        names_in(&env.path("prom")),
        [format!("crontainer-crontab-{}+one.prom", Env::user())]
    );
}
