//! The product end to end: `crontainer install` writes the line, the real cron daemon fires it,
//! `docker exec` runs the command in a real container, and `status`, `run-now` and `uninstall`
//! read back what happened. Only the product makes the lines here (no hand-made line).
//!
//! This part: what the cron daemon fires. The scenarios all use `* * * * *` lines in their own
//! `/etc/cron.d` files (or the test user's crontab, for one), and one test runs them on parallel
//! threads so that they share the same minute: it takes about one cron minute. The tests that
//! need no cron (`product_run_now`, `product_timeout`) never fire: their lines are scheduled for
//! 1 January at midnight.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use crate::support::{
    self, CRON_FIRE_TIMEOUT, Call, Container, CronDGuard, Crontainer, Engine, NEVER, POLL,
    TEST_USER, TestCrontab, UserDir, assert_one_seed_call, assert_one_seed_run,
    assert_status_after_cron_run, cmd, cron_d_config, docker, job_toml, log_lines, path_str,
    read_log, status_job, toml_str, wait_for_event, wait_until,
};

// --- the scenarios cron fires, all in the same minute ----------------------------------------

/// Every scenario that waits for the cron daemon, each on its own thread, so that they all wait
/// for the same minute: libtest runs only as many tests at once as the machine has CPUs (two on
/// CI), which would queue them one cron minute after another. A failure names its scenario.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_fires_installed_jobs() {
    support::require_provisioned();
    let scenarios: [(&str, fn()); 7] = [
        (
            "seed job in the test user's crontab",
            seed_job_installed_in_the_test_users_crontab_is_fired_by_cron,
        ),
        ("seed job in /etc/cron.d", || {
            seed_job_installed_in_cron_d_is_fired_by_cron(Engine::Docker)
        }),
        (
            "failing job",
            failing_job_fired_by_cron_is_logged_and_makes_status_fail,
        ),
        (
            "firing during a long run-now",
            cron_firing_during_a_long_run_now_is_skipped_and_logged,
        ),
        (
            "hostile values",
            hostile_argv_env_and_workdir_reach_the_container_byte_for_byte_when_cron_fires,
        ),
        ("stopped container", || {
            job_into_a_stopped_container_logs_the_failure_and_status_says_so(Engine::Docker)
        }),
        (
            "runtime outside cron's PATH",
            runtime_outside_crons_path_is_run_by_its_absolute_path,
        ),
    ];
    support::run_scenarios(&scenarios);
}

// --- 1. the seed job through both targets --------------------------------------------------

fn seed_job_installed_in_the_test_users_crontab_is_fired_by_cron() {
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let log = dir.join("main_pipeline.log");
    let crontab = TestCrontab::acquire();
    let before = crontab.read();
    let name = support::unique_cron_d_name();
    let config = tool.config(&format!(
        "[cron]\ntarget = \"crontab\"\nuser = \"{TEST_USER}\"\nname = \"{name}\"\n\n\
         [defaults]\nruntime = \"docker\"\n\n{}",
        job_toml("main_pipeline_v2", container.name(), &log, "* * * * *", "")
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    let installed = crontab.read();
    assert!(
        installed.contains(&format!(
            "\n* * * * * {} exec main_pipeline_v2 --block {name} --log {} --runtime \
             /usr/bin/docker -- {} python main_v2.py\n",
            path_str(support::crontainer_bin()),
            path_str(&log),
            container.name()
        )) && installed.starts_with(&before),
        "stdout: {}\ncrontab:\n{installed}",
        String::from_utf8_lossy(&out.stdout)
    );

    let log_text = wait_for_event(&log, "main_pipeline_v2", "end", CRON_FIRE_TIMEOUT);
    let calls = container.calls();
    assert_one_seed_run(&log_text, "main_pipeline_v2", "cron", "0");
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert_eq!(crontab.read(), before, "uninstall restores the crontab");
    drop(crontab);

    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_one_seed_call(&container, 0);
    assert_status_after_cron_run(&status, "main_pipeline_v2", 0);
    assert_eq!(code, Some(0), "all healthy, so status exits 0: {status:#}");
    assert_eq!(status["healthy"], true, "{status:#}");
}

/// Also run over rootful Podman, by `podman::cron_fires_jobs_into_podman_containers`.
pub(crate) fn seed_job_installed_in_cron_d_is_fired_by_cron(engine: Engine) {
    let container = engine.start();
    if engine == Engine::Podman {
        // The container is Podman's alone, so a `status` that asked Docker would call it
        // missing.
        let in_docker = cmd::output(Command::new(docker()).args(["inspect", container.name()]));
        assert!(
            !in_docker.status.success(),
            "docker knows the container too"
        );
    }
    let dir = engine.log_dir();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("main_pipeline.log");
    let config = tool.config(&engine.cron_d_config(
        &file,
        &job_toml("main_pipeline_v2", container.name(), &log, "* * * * *", ""),
    ));
    let out = tool.expect(["install", "-c", path_str(&config)], 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the install warns about nothing"
    );
    let text = std::fs::read_to_string(file.path()).expect("install wrote the cron.d file");
    // The whole line: its user, the runner, the job's log, the runtime, the container.
    let line = format!(
        "\n* * * * * {} {} exec main_pipeline_v2 --block {} --log {} --runtime {} -- {} python \
         main_v2.py\n",
        engine.job_user(),
        path_str(support::crontainer_bin()),
        file.name(),
        path_str(&log),
        path_str(engine.program()),
        container.name()
    );
    assert!(
        text.contains(&line),
        "the line runs {}:\n{text}",
        path_str(engine.program())
    );

    let log_text = wait_for_event(&log, "main_pipeline_v2", "end", CRON_FIRE_TIMEOUT);
    assert_one_seed_run(&log_text, "main_pipeline_v2", "cron", "0");
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert!(!file.path().exists(), "uninstall removes the cron.d file");

    assert_one_seed_call(&container, 0);
    assert_status_after_cron_run(&status, "main_pipeline_v2", 0);
    assert_eq!(code, Some(0), "all healthy, so status exits 0: {status:#}");
}

fn failing_job_fired_by_cron_is_logged_and_makes_status_fail() {
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("exits_three.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml(
            "exits_three",
            container.name(),
            &log,
            "* * * * *",
            "env = { EXIT_CODE = \"3\" }",
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);

    let log_text = wait_for_event(&log, "exits_three", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    assert_one_seed_run(&log_text, "exits_three", "cron", "3");
    let call = assert_one_seed_call(&container, 3);
    assert_eq!(call.env.get("EXIT_CODE").map(String::as_str), Some("3"));
    assert_status_after_cron_run(&status, "exits_three", 3);
    assert_eq!(code, Some(1), "a failed last run is unhealthy: {status:#}");
    assert_eq!(status["healthy"], false, "{status:#}");
    let problems = status_job(&status, "exits_three")["problems"].to_string();
    assert!(problems.contains("failed"), "{problems}");
}

// --- 2. run-now, and cron firing during it ---------------------------------------------------

fn cron_firing_during_a_long_run_now_is_skipped_and_logged() {
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("long.log");
    // Long enough to cover cron's next firing (within 62 s of the second install), with slack.
    let config = |schedule: &str| {
        tool.config(&cron_d_config(
            file.name(),
            Some(TEST_USER),
            &job_toml(
                "long",
                container.name(),
                &log,
                schedule,
                "env = { SLEEP_SECONDS = \"100\" }",
            ),
        ))
    };
    // First installed with a schedule that does not fire, so the run-now surely runs first
    // whatever the second hand says; then rescheduled to every minute while it runs.
    let never = config(NEVER);
    tool.expect(["install", "-c", path_str(&never)], 0);
    tool.expect(["run-now", "long", "--detach", "-c", path_str(&never)], 0);
    assert!(
        wait_until(Duration::from_secs(15), POLL, || container.calls().len()
            == 1),
        "the detached run did not reach the container; log:\n{}",
        read_log(&log)
    );
    let every_minute = config("* * * * *");
    tool.expect(["install", "-c", path_str(&every_minute)], 0);

    let log_text = wait_for_event(&log, "long", "skip", CRON_FIRE_TIMEOUT);
    tool.expect(["uninstall", "-c", path_str(&every_minute)], 0);
    let lines = log_lines(&log, "long");
    let events: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l.event.as_str(), l.field("by")))
        .collect();
    assert_eq!(
        events[..2],
        [("start", "run-now:root"), ("skip", "cron")],
        "log:\n{log_text}"
    );
    assert_eq!(lines[1].field("reason"), "running", "log:\n{log_text}");
    assert_eq!(container.calls().len(), 1, "the skipped firing ran nothing");

    drop(container);
    wait_for_event(&log, "long", "end", Duration::from_secs(30));
}

// --- 5. hostile values, fired by the real cron -----------------------------------------------

/// Strings a host shell (or cron) would act on if anything on the way evaluated them; `{canary}`
/// becomes a path under /tmp that must never be created.
const HOSTILE: [&str; 34] = [
    "$(touch {canary}-a)",
    "`touch {canary}-b`",
    "; touch {canary}-c",
    "| touch {canary}-d",
    "& touch {canary}-e &",
    "> {canary}-f",
    "<>",
    "< /etc/passwd",
    "'single quoted'",
    "\"double quoted\"",
    "it's",
    "%",
    "%%",
    "100%d %s",
    "*",
    "/*",
    "$HOME",
    "${HOME}",
    "two  spaces",
    " lead and trail ",
    "-",
    "--privileged",
    "-e",
    "ünïcødé ✓ 日本",
    "# not a comment",
    "~",
    "~root",
    "",
    "a\tb",
    "$((6*7))",
    "!",
    "{a,b}",
    "&&",
    "$$ $0 $@",
];

fn hostile_argv_env_and_workdir_reach_the_container_byte_for_byte_when_cron_fires() {
    let canary = format!("/tmp/crontainer-e2e-pwned-{}", std::process::id());
    let hostile: Vec<String> = HOSTILE
        .iter()
        .map(|s| s.replace("{canary}", &canary))
        .collect();
    let container = Container::start();
    let workdir = format!("/tmp/wd $(touch {canary}-w) 'q' \"d\" %% * ~ #x ; |");
    cmd::run(Command::new(docker()).args(["exec", container.name(), "mkdir", "-p", &workdir]));
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();

    // Seven jobs, so that each line stays under cron's 998 bytes: four carry the argv, three the
    // env values and one of them the workdir.
    let argv_job = |id: &str, args: &[String]| {
        let mut command = vec![toml_str("python"), toml_str(id)];
        command.extend(args.iter().map(|a| toml_str(a)));
        format!(
            "[[job]]\nid = \"{id}\"\ncontainer = \"{}\"\ncommand = [{}]\n\
             schedule = \"* * * * *\"\nlog = {}\n\n",
            container.name(),
            command.join(", "),
            toml_str(path_str(&dir.join(&format!("{id}.log"))))
        )
    };
    let parts: Vec<(&str, &[String])> = ["j1", "j2", "j4", "j5"]
        .into_iter()
        .zip(hostile.chunks(hostile.len().div_ceil(4)))
        .collect();
    assert_eq!(
        parts.iter().map(|(_, args)| args.len()).sum::<usize>(),
        hostile.len(),
        "every hostile value in some job's argv"
    );
    let env: Vec<(String, String)> = hostile
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, v)| (format!("H{i:02}"), v.clone()))
        .collect();
    // The env values over three jobs, the workdir on the last.
    let env_parts: Vec<(&str, &[(String, String)])> = ["j3", "j6", "j7"]
        .into_iter()
        .zip(env.chunks(env.len().div_ceil(3)))
        .collect();
    let env_job: String = env_parts
        .iter()
        .map(|(id, values)| {
            let env_toml: Vec<String> = values
                .iter()
                .map(|(k, v)| format!("{k} = {}", toml_str(v)))
                .collect();
            let workdir = if *id == "j7" {
                format!("workdir = {}\n", toml_str(&workdir))
            } else {
                String::new()
            };
            format!(
                "[[job]]\nid = \"{id}\"\ncontainer = \"{}\"\ncommand = [\"python\", \"{id}\"]\n\
                 schedule = \"* * * * *\"\nlog = {}\n{workdir}env = {{ {} }}\n\n",
                container.name(),
                toml_str(path_str(&dir.join(&format!("{id}.log")))),
                env_toml.join(", ")
            )
        })
        .collect();
    let jobs: String = parts
        .iter()
        .map(|(id, args)| argv_job(id, args))
        .chain(std::iter::once(env_job))
        .collect();
    let config = tool.config(&cron_d_config(file.name(), Some(TEST_USER), &jobs));
    tool.expect(["install", "-c", path_str(&config)], 0);
    let installed = std::fs::read_to_string(file.path()).expect("the cron.d file");
    for line in installed.lines() {
        assert!(line.len() <= 998, "{} bytes: {line}", line.len());
    }

    for id in ["j1", "j2", "j3", "j4", "j5", "j6", "j7"] {
        wait_for_event(
            &dir.join(&format!("{id}.log")),
            id,
            "end",
            CRON_FIRE_TIMEOUT,
        );
    }
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let calls = container.calls();
    let call = |id: &str| -> &Call {
        let matching: Vec<&Call> = calls
            .iter()
            .filter(|c| c.argv.first().map(Vec::as_slice) == Some(id.as_bytes()))
            .collect();
        assert_eq!(matching.len(), 1, "one call of {id}: {calls:?}");
        matching[0]
    };
    let expect_argv = |id: &str, args: &[String]| -> Vec<Vec<u8>> {
        std::iter::once(id.as_bytes().to_vec())
            .chain(args.iter().map(|a| a.as_bytes().to_vec()))
            .collect()
    };
    for (id, args) in &parts {
        assert_eq!(call(id).argv, expect_argv(id, args));
    }
    for (id, values) in &env_parts {
        let job = call(id);
        for (name, value) in values.iter() {
            assert_eq!(job.env.get(name), Some(value), "env {name}: {job:?}");
        }
    }
    let j7 = call("j7");
    assert_eq!(j7.cwd, workdir, "{j7:?}");
    assert_eq!(
        env_parts.iter().map(|(_, v)| v.len()).sum::<usize>(),
        env.len(),
        "every env value in some job"
    );
    for call in &calls {
        assert_eq!(call.exit, Some(0), "{call:?}");
    }
    let pwned: Vec<_> = std::fs::read_dir("/tmp")
        .expect("read /tmp")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&canary[5..]))
        .map(|e| e.path())
        .collect();
    assert!(
        pwned.is_empty(),
        "the host shell ran injected code: {pwned:?}"
    );
}

// --- 6. a stopped container -------------------------------------------------------------------

/// Also run over rootful Podman, by `podman::cron_fires_jobs_into_podman_containers`.
pub(crate) fn job_into_a_stopped_container_logs_the_failure_and_status_says_so(engine: Engine) {
    let container = engine.start();
    let dir = engine.log_dir();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("stopped.log");
    let config = tool.config(&engine.cron_d_config(
        &file,
        &job_toml("stopped", container.name(), &log, "* * * * *", ""),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    container.stop();

    let log_text = wait_for_event(&log, "stopped", "end", CRON_FIRE_TIMEOUT);
    let (code, status) = tool.status_json(&config);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);

    let lines = log_lines(&log, "stopped");
    let end = lines.iter().find(|l| l.event == "end").expect("end line");
    // The runner finds the container stopped before any exec, with Podman as with Docker.
    assert_eq!(end.field("exit"), "69", "log:\n{log_text}");
    assert_eq!(end.field("reason"), "no_container", "log:\n{log_text}");
    assert_eq!(end.field("by"), "cron", "log:\n{log_text}");
    assert!(
        log_text.contains(&format!(
            "\ncrontainer: container {} is not running (exited)\n",
            container.name()
        )),
        "the runner says why in the log:\n{log_text}"
    );
    let job = status_job(&status, "stopped");
    assert_eq!(job["container_state"], "not running (exited)", "{job:#}");
    assert_eq!(job["last_run"]["succeeded"], false, "{job:#}");
    assert!(
        job["problems"].to_string().contains("is not running"),
        "{job:#}"
    );
    assert_eq!(code, Some(1), "{status:#}");
    assert!(container.calls().is_empty());
}

// --- 9. the runtime's absolute path ---------------------------------------------------------------

/// A runtime outside cron's PATH (`/usr/local/bin`, `/snap/bin`) is run by its absolute path:
/// here a wrapper in a temp dir that notes each call and execs the real docker. A line that named
/// `docker` bare would still work under cron (it finds /usr/bin/docker), but not via the wrapper.
fn runtime_outside_crons_path_is_run_by_its_absolute_path() {
    let container = Container::start();
    let bin = tempfile::Builder::new()
        .prefix("crontainer-e2e-runtime-")
        .tempdir()
        .expect("temp dir for the wrapper");
    let _ledgers = support::Ledgers::of_logs_under(bin.path());
    let calls_file = bin.path().join("calls");
    let wrapper = bin.path().join("docker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$1\" >> {}\nexec {} \"$@\"\n",
            path_str(&calls_file),
            path_str(docker())
        ),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
        .expect("chmod the wrapper");
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = bin.path().join("wrapped.log");
    let config = tool.config(
        &cron_d_config(
            file.name(),
            None,
            &job_toml("wrapped", container.name(), &log, "* * * * *", ""),
        )
        .replace(
            "runtime = \"docker\"",
            &format!("runtime = {}", toml_str(path_str(&wrapper))),
        ),
    );
    tool.expect(["install", "-c", path_str(&config)], 0);
    std::fs::write(&calls_file, "").expect("reset the wrapper's calls");

    let log_text = wait_for_event(&log, "wrapped", "end", CRON_FIRE_TIMEOUT);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
    assert_one_seed_run(&log_text, "wrapped", "cron", "0");
    assert_eq!(
        std::fs::read_to_string(&calls_file).unwrap_or_default(),
        "exec\n",
        "cron ran the configured runtime {}",
        wrapper.display()
    );
}
