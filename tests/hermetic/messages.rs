//! The main messages of every command, checked whole: exit code, stdout and stderr, each a
//! snapshot committed in `snapshots/` (insta). A `contains` check let install's "changing its
//! log would move the lock" message ship with 18 stray spaces, twice (issue 24); a snapshot
//! shows every byte. After a deliberate change to a message, `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test hermetic messages`) and read the diff.
//!
//! What differs from run to run is scrubbed: the temp dir reads `[DIR]`, the binary
//! `[CRONTAINER]`, the user running the tests `[USER]` and the test's pid `[PID]`. The clock is
//! fixed (`CRONTAINER_NOW`), and the log of a run is written by hand, so times are too.

use std::path::Path;

use crate::common::{self, Env, json_of};

/// `crontainer ARGS` (with `more` applied to the command, e.g. an environment variable), run to
/// its end and written out whole.
fn run(env: &Env, args: &[&str], more: impl FnOnce(&mut std::process::Command)) -> String {
    let mut cmd = env.std_cmd(args);
    more(&mut cmd);
    let out = cmd.output().unwrap();
    let shown: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let text = format!(
        "$ crontainer {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        shown.join(" "),
        out.status
            .code()
            .map_or_else(|| out.status.to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    scrub(env, &text)
}

/// What differs between runs and hosts, replaced by a name.
fn scrub(env: &Env, text: &str) -> String {
    let text = text
        .replace(
            &assert_cmd::cargo::cargo_bin("crontainer")
                .display()
                .to_string(),
            "[CRONTAINER]",
        )
        .replace(&env.dir.path().display().to_string(), "[DIR]")
        .replace(&format!("(pid {})", std::process::id()), "(pid [PID])");
    let text = words_replaced(&text, &Env::user(), "[USER]");
    let text = real_times_replaced(&text);
    text.lines()
        .map(|line| {
            let line = match line.find("[DIR]/state/backups/") {
                // A backup is named after the real time of the change.
                Some(at) => {
                    let end = line[at..].find(['"', ' ']).map_or(line.len(), |e| at + e);
                    format!(
                        "{}[DIR]/state/backups/[BACKUP]{}",
                        &line[..at],
                        &line[end..]
                    )
                }
                None => line.to_string(),
            };
            // A run's own records carry its pid (and the seconds it took, 0 or 1 here).
            if line.starts_with("[crontainer] ") {
                line.split(' ')
                    .map(|word| match word.split_once('=') {
                        Some((key @ ("pid" | "run" | "seconds"), _)) => format!("{key}=[{key}]"),
                        _ => word.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                line
            }
        })
        .map(|line| line + "\n")
        .collect()
}

/// `text` with `word` (a user name) replaced where it stands as a word: not inside a longer
/// name of letters, digits and `_` (`root's crontab`, `crontab-root+crontainer`).
fn words_replaced(text: &str, word: &str, with: &str) -> String {
    let is_name = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        out.push_str(if is_name(before) || is_name(after) {
            word
        } else {
            with
        });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// `text` with the times of the real clock (`2026-12-04T17:09:34Z`, of today or yesterday)
/// replaced: a run's start and end, a pause. The tests' own clock (`CRONTAINER_NOW`) is days
/// before, so its times stay.
fn real_times_replaced(text: &str) -> String {
    let now = jiff::Timestamp::now();
    let days: Vec<String> = [now, now - jiff::SignedDuration::from_hours(24)]
        .iter()
        .map(|t| t.strftime("%Y-%m-%dT").to_string())
        .collect();
    let mut out = text.to_string();
    for day in &days {
        while let Some(at) = out.find(day.as_str()) {
            // YYYY-MM-DDTHH:MM:SSZ
            let end = (at + 20).min(out.len());
            out.replace_range(at..end, "[REAL TIME]");
        }
    }
    out
}

/// One job, as the seed document's, logging in the temp dir.
fn config(env: &Env) -> std::path::PathBuf {
    env.simple_config("")
}

fn config_arg(config: &Path) -> String {
    config.display().to_string()
}

#[test]
fn plan_shows_the_block_and_each_job_in_words() {
    let env = Env::new();
    let config = config_arg(&config(&env));
    insta::assert_snapshot!("plan", run(&env, &["plan", "-c", &config], |_| {}));
}

#[test]
fn install_new_then_up_to_date_then_changed() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    insta::assert_snapshot!("install_new", run(&env, &["install", "-c", &path], |_| {}));
    insta::assert_snapshot!(
        "install_up_to_date",
        run(&env, &["install", "-c", &path], |_| {})
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("every = \"5h\"", "every = \"2h\"");
    std::fs::write(&config, text).unwrap();
    insta::assert_snapshot!(
        "install_changed",
        run(&env, &["install", "-c", &path], |_| {})
    );
}

#[test]
fn install_refuses_to_move_the_lock_of_a_running_job() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    // A run holds the lock (this test, as the line's `flock -n 9` would).
    let lock = std::fs::File::create(env.path("logs/main.log.lock")).unwrap();
    let _held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("logs/main.log", "logs/moved.log");
    std::fs::write(&config, text).unwrap();
    insta::assert_snapshot!(
        "install_refused_running",
        run(&env, &["install", "-c", &path], |_| {})
    );
}

#[test]
fn install_refuses_a_bad_config() {
    let env = Env::new();
    let config = env.config(
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"true\"]\nschedule = \"*/0 * * * *\"\n",
    );
    insta::assert_snapshot!(
        "install_refused_bad_schedule",
        run(&env, &["install", "-c", &config_arg(&config)], |_| {})
    );
}

#[test]
fn uninstall_removes_the_block_then_finds_nothing() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    insta::assert_snapshot!("uninstall", run(&env, &["uninstall", "-c", &path], |_| {}));
    insta::assert_snapshot!(
        "uninstall_nothing",
        run(&env, &["uninstall", "-c", &path], |_| {})
    );
}

/// The log of one finished run, written as the line writes it: started by cron an hour before
/// the tests' fixed clock (`CRONTAINER_NOW`, 12:34:56), ended with `exit`.
fn write_run(env: &Env, exit: i32) {
    std::fs::write(
        env.path("logs/main.log"),
        format!(
            "[crontainer] 2026-11-29T10:00:01Z main_pipeline_v2 start pid=4242 by=cron\n\
             output of the job\n\
             [crontainer] 2026-11-29T10:02:03Z main_pipeline_v2 end exit={exit} \
             run=4242-1795946401 seconds=122 by=cron\n"
        ),
    )
    .unwrap();
    std::fs::write(env.path("logs/main.log.lock"), "4242-1795946401\n").unwrap();
}

#[test]
fn status_healthy_and_unhealthy() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    write_run(&env, 0);
    insta::assert_snapshot!(
        "status_healthy",
        run(&env, &["status", "-c", &path], |_| {})
    );
    write_run(&env, 3);
    insta::assert_snapshot!(
        "status_unhealthy_failed_run",
        run(&env, &["status", "-c", &path], |_| {})
    );
    write_run(&env, 0);
    insta::assert_snapshot!(
        "status_unhealthy_container_stopped",
        run(&env, &["status", "-c", &path], |c| {
            c.env("FAKE_DOCKER_STATE", "exited");
        })
    );
}

#[test]
fn run_now_streams_the_job_and_passes_its_exit_code_on() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    insta::assert_snapshot!(
        "run_now_failed",
        run(&env, &["run-now", "main_pipeline_v2", "-c", &path], |c| {
            c.env("FAKE_EXIT", "3");
        })
    );
    insta::assert_snapshot!(
        "run_now_unknown_job",
        run(&env, &["run-now", "nope", "-c", &path], |_| {})
    );
}

#[test]
fn pause_and_resume() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    insta::assert_snapshot!(
        "pause",
        run(&env, &["pause", "main_pipeline_v2", "-c", &path], |_| {})
    );
    insta::assert_snapshot!(
        "pause_again",
        run(&env, &["pause", "main_pipeline_v2", "-c", &path], |_| {})
    );
    insta::assert_snapshot!(
        "resume",
        run(&env, &["resume", "main_pipeline_v2", "-c", &path], |_| {})
    );
}

#[test]
fn doctor_healthy_and_not() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    write_run(&env, 0);
    let doctor = run(&env, &["doctor", "-c", &path], |_| {});
    insta::assert_snapshot!("doctor", without_roots_inputs(&doctor));
    env.no_cron_daemon();
    let doctor = run(&env, &["doctor", "-c", &path], |c| {
        c.env("FAKE_DOCKER_STATE", "down");
    });
    insta::assert_snapshot!("doctor_no_cron_daemon", without_roots_inputs(&doctor));
}

/// `doctor`'s output without the check only root makes, which is asserted whole here instead:
/// the snapshot then reads the same for every user.
#[track_caller]
fn without_roots_inputs(doctor: &str) -> String {
    let line = "ok    root's inputs: the config and the programs the line runs are root's alone\n";
    let line = words_replaced(line, &Env::user(), "[USER]");
    if common::is_root() {
        assert!(doctor.contains(&line), "{doctor}");
    } else {
        assert!(!doctor.contains("root's inputs"), "{doctor}");
    }
    doctor.replace(&line, "")
}

#[test]
fn metrics_of_a_finished_run() {
    let env = Env::new();
    let config = config(&env);
    let path = config_arg(&config);
    env.install(&config);
    write_run(&env, 0);
    insta::assert_snapshot!("metrics", run(&env, &["metrics", "-c", &path], |_| {}));
}

/// Every field of `plan --json`: a Compose service, a catch-up line, the metrics line.
fn full_config(env: &Env) -> String {
    std::fs::create_dir_all(env.path("prom")).unwrap();
    config_arg(&env.config(
        "[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\n\
         [[job]]\nid = \"main_pipeline_v2\"\ndescription = \"Main Video Pipeline (main_v2.py)\"\n\
         container = \"ai-video-backend\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         every = \"5h\"\ncatch_up = true\nlog = \"{dir}/logs/main.log\"\n\n\
         [[job]]\nid = \"report\"\nservice = \"backend\"\nproject = \"ai-video\"\n\
         command = [\"python\", \"report.py\", \"--since\", \"1 week\"]\n\
         schedule = \"15 3 * * 1\"\nlog = \"{dir}/logs/report.log\"\n",
    ))
}

/// The `--json` documents, byte for byte as printed (typed documents must print them the same).
#[test]
fn json_documents_of_plan_install_uninstall_pause_resume_and_doctor() {
    let env = Env::new();
    let full = full_config(&env);
    insta::assert_snapshot!(
        "plan_json",
        run(&env, &["plan", "--json", "-c", &full], |_| {})
    );
    let config = config(&env);
    let path = config_arg(&config);
    insta::assert_snapshot!(
        "install_json_dry_run",
        run(
            &env,
            &["install", "--json", "--dry-run", "-c", &path],
            |_| {}
        )
    );
    insta::assert_snapshot!(
        "install_json",
        run(&env, &["install", "--json", "-c", &path], |_| {})
    );
    insta::assert_snapshot!(
        "install_json_up_to_date",
        run(&env, &["install", "--json", "-c", &path], |_| {})
    );
    for (name, verb) in [("pause_json", "pause"), ("resume_json", "resume")] {
        insta::assert_snapshot!(
            name,
            run(
                &env,
                &[verb, "--json", "main_pipeline_v2", "-c", &path],
                |_| {}
            )
        );
    }
    write_run(&env, 0);
    let doctor = run(&env, &["doctor", "--json", "-c", &path], |_| {});
    let (code, doc) = json_of(&mut env.cmd(["doctor", "--json", "-c", &path]));
    assert_eq!(code, 0, "{doc:#}");
    // Root's one more check, as in the text (`without_roots_inputs`).
    let roots = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["check"] == "root's inputs");
    assert_eq!(roots, common::is_root(), "{doc:#}");
    let doctor = doctor.replace(
        &words_replaced(
            "    {\n      \"check\": \"root's inputs\",\n      \"detail\": \"the config and the \
             programs the line runs are root's alone\",\n      \"fix\": null,\n      \
             \"verdict\": \"ok\"\n    },\n",
            &Env::user(),
            "[USER]",
        ),
        "",
    );
    insta::assert_snapshot!("doctor_json", doctor);
    insta::assert_snapshot!(
        "uninstall_json",
        run(&env, &["uninstall", "--json", "-c", &path], |_| {})
    );
    insta::assert_snapshot!(
        "uninstall_json_nothing",
        run(&env, &["uninstall", "--json", "-c", &path], |_| {})
    );
}

/// A config of block `name` with one job `id`, refreshing `prom/` (`[monitoring]`).
fn monitored_config(env: &Env, name: &str, id: &str) -> String {
    let path = env.path(&format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[cron]\nname = \"{name}\"\n[monitoring]\ntextfile_dir = \"{dir}/prom\"\n\
             [[job]]\nid = \"{id}\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5h\"\n\
             log = \"{dir}/logs/{id}-{name}.log\"\n",
            dir = env.dir.path().display()
        ),
    )
    .unwrap();
    config_arg(&path)
}

/// A block's metrics file goes with the block however it goes, its directory found from the
/// metrics line installed (issue 25): `install --replace OLD` left OLD's file exported and
/// stale, and `uninstall --json` did not say it removed one.
#[test]
fn a_blocks_metrics_file_goes_with_it_without_its_config() {
    let env = Env::new();
    std::fs::create_dir(env.path("prom")).unwrap();
    let one = monitored_config(&env, "one", "a");
    env.install(Path::new(&one));
    // The file the block's metrics line writes every minute.
    common::ok(
        env.cmd(["metrics", "-q", "--textfile"])
            .arg(env.path("prom"))
            .args(["-c", &one]),
    );
    let two = monitored_config(&env, "two", "a");
    insta::assert_snapshot!(
        "install_replace_monitored",
        run(&env, &["install", "--replace", "one", "-c", &two], |_| {})
    );
    common::ok(
        env.cmd(["metrics", "-q", "--textfile"])
            .arg(env.path("prom"))
            .args(["-c", &two]),
    );
    std::fs::remove_file(&two).unwrap();
    insta::assert_snapshot!(
        "uninstall_json_monitored",
        run(&env, &["uninstall", "--json", "--name", "two"], |_| {})
    );
    let left: Vec<_> = std::fs::read_dir(env.path("prom")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `crontainer --help` says what an installed line runs: a40f190 still said the lines needed
/// "never crontainer or its config", though each runs the binary (issue 25, item 9). The
/// paragraph is checked whole; the rest of the help is clap's.
#[test]
fn help_says_the_lines_run_this_binary() {
    let env = Env::new();
    let help = common::ok(&mut env.cmd(["--help"]));
    // The paragraph after the first line of the help, where the lines are described.
    assert_eq!(
        help.split("\n\n").nth(1),
        Some(
            "Each installed cron line is short and says what runs: the schedule, this binary by \
          absolute path\nwith `exec`, the job's id, its log and runtime, then the container and \
          the command (`0 * * * *\n/usr/bin/crontainer exec JOB --every 5h --log LOG --runtime \
          /usr/bin/docker -- CONTAINER\nCOMMAND...`). The runner does the rest; it never reads \
          the config. Keep the binary where the lines\nname it: `status` and `doctor` fail when \
          it is gone."
        )
    );
}

/// A block name, a job and a user are checked once, as the flags are parsed (`config::names`):
/// the rule reaches the user in clap's words, before anything is read.
#[test]
fn a_name_that_breaks_its_rule_is_refused_as_the_flags_are_read() {
    let env = Env::new();
    let text = [
        run(&env, &["status", "Nightly/x"], |_| {}),
        run(&env, &["uninstall", "--name", "a.b"], |_| {}),
        run(&env, &["install", "--replace", "old.name"], |_| {}),
        run(&env, &["plan", "--user", "Root"], |_| {}),
    ]
    .join("\n");
    insta::assert_snapshot!(text);
}
