//! An independent bad-config catalogue (issue 6): written without looking at the cases of
//! `tests/hermetic/bad_input.rs`, and none repeats one. Each config is refused by `plan` and
//! `install` with exit 2, one line on stderr that names the file and the key, nothing on stdout,
//! and the crontab, the cron.d directory and the logrotate directory byte-identical afterwards.

use crate::common::{Env, stderr_of, stdout_of};

/// A valid job's keys, to build on.
const JOB: &str = "id = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/j.log\"\n";

/// (name, config text, what the message must contain). `{job}`: a valid job's keys; `{dir}`:
/// the temp dir.
const CASES: &[(&str, &str, &str)] = &[
    // The file itself.
    ("empty file", "", "no jobs"),
    ("only comments", "# nothing here\n\n", "no jobs"),
    (
        "job as a table, not an array",
        "[job]\n{job}",
        "invalid type",
    ),
    (
        "duplicate key",
        "[[job]]\n{job}id = \"k\"\n",
        "duplicate key",
    ),
    (
        "unterminated string",
        "[[job]]\nid = \"j\n",
        "config.toml:2",
    ),
    (
        "cron as a string",
        "cron = \"crontab\"\n[[job]]\n{job}",
        "invalid type",
    ),
    (
        "defaults as an array",
        "defaults = []\n[[job]]\n{job}",
        "config.toml:1:",
    ),
    // [cron]
    (
        "empty block name",
        "[cron]\nname = \"\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "block name with a slash",
        "[cron]\nname = \"a/b\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "block name starting with a dash",
        "[cron]\nname = \"-x\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "block name of 65 bytes",
        "[cron]\nname = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "block name with a space",
        "[cron]\nname = \"my jobs\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "target in capitals",
        "[cron]\ntarget = \"CRONTAB\"\n[[job]]\n{job}",
        "`cron.target`",
    ),
    (
        "target as a number",
        "[cron]\ntarget = 1\n[[job]]\n{job}",
        "invalid type",
    ),
    (
        "empty cron user",
        "[cron]\nuser = \"\"\n[[job]]\n{job}",
        "`cron.user`",
    ),
    (
        "cron user with a colon",
        "[cron]\nuser = \"root:root\"\n[[job]]\n{job}",
        "`cron.user`",
    ),
    // [defaults]
    (
        "empty runtime",
        "[defaults]\nruntime = \"\"\n[[job]]\n{job}",
        "`defaults.runtime`",
    ),
    (
        "runtime with a shell",
        "[defaults]\nruntime = \"docker; id\"\n[[job]]\n{job}",
        "`defaults.runtime`",
    ),
    (
        "log_dir with a space",
        "[defaults]\nlog_dir = \"/var/log/my logs\"\n[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`defaults.log_dir`",
    ),
    (
        "rotate_keep negative",
        "[defaults]\nrotate_keep = -1\n[[job]]\n{job}",
        "rotate_keep",
    ),
    (
        "rotate_size nonsense",
        "[defaults]\nrotate_size = \"big\"\n[[job]]\n{job}",
        "rotate_size",
    ),
    // job.id
    (
        "id of 65 bytes",
        "[[job]]\nid = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id`",
    ),
    (
        "id with a dot",
        "[[job]]\nid = \"a.b\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id`",
    ),
    (
        "id with a shell",
        "[[job]]\nid = \"$(id)\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id`",
    ),
    // job.container
    (
        "container starting with a dot",
        "[[job]]\nid = \"j\"\ncontainer = \".c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "container with a space",
        "[[job]]\nid = \"j\"\ncontainer = \"my app\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "container with an accent",
        "[[job]]\nid = \"j\"\ncontainer = \"café\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "missing container",
        "[[job]]\nid = \"j\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":2: `job \"j\": container` is missing: set `container = \"NAME\"` (a container by name) or `service = \"NAME\"`",
    ),
    // job.service and job.project (Compose services)
    (
        "service and container",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\nservice = \"backend\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":4: `job \"j\": service` and `container` are both set; use one",
    ),
    (
        "project without service",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\nproject = \"p\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":4: `job \"j\": project` is set without `service`",
    ),
    (
        "project alone",
        "[[job]]\nid = \"j\"\nproject = \"p\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":3: `job \"j\": project` is set without `service`",
    ),
    (
        "service with a space",
        "[[job]]\nid = \"j\"\nservice = \"my app\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":3: `job \"j\": service` \"my app\" is not a Compose service name",
    ),
    (
        "project starting with a dash",
        "[[job]]\nid = \"j\"\nservice = \"s\"\nproject = \"-p\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        ":4: `job \"j\": project` \"-p\" is not a Compose project name",
    ),
    // job.command
    (
        "missing command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\nevery = \"1h\"\n",
        "missing field `command`",
    ),
    (
        "command with a number",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\", 1]\nevery = \"1h\"\n",
        "invalid type",
    ),
    (
        "command nested",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [[\"x\"]]\nevery = \"1h\"\n",
        "invalid type",
    ),
    (
        "command with a NUL late",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\", \"y\", \"z\\u0000\"]\nevery = \"1h\"\n",
        "NUL",
    ),
    // job.schedule
    (
        "four fields",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"* * * *\"\n",
        "schedule",
    ),
    (
        "day of month 32",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 32 * *\"\n",
        "schedule",
    ),
    (
        "day of month 0",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 0 * *\"\n",
        "schedule",
    ),
    (
        "month 13",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * 13 *\"\n",
        "schedule",
    ),
    (
        "day of week 8",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * * 8\"\n",
        "schedule",
    ),
    (
        "unknown month name",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * foo *\"\n",
        "schedule",
    ),
    (
        "negative minute",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"-1 * * * *\"\n",
        "schedule",
    ),
    (
        "empty list item",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"1,,2 * * * *\"\n",
        "schedule",
    ),
    (
        "nickname with a field",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"@daily 5\"\n",
        "schedule",
    ),
    (
        "percent in schedule",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * * * %\"\n",
        "schedule",
    ),
    (
        "schedule with a newline",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * * *\\n* * * * * id\"\n",
        "schedule",
    ),
    (
        "step on a single value",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"5/10 * * * *\"\n",
        "schedule",
    ),
    // job.every
    (
        "every with a trailing number",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h30\"\n",
        "every",
    ),
    (
        "every over a year",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"367d\"\n",
        "every",
    ),
    (
        "every empty",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"\"\n",
        "every",
    ),
    (
        "every fractional",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1.5h\"\n",
        "every",
    ),
    (
        "every with spaces",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1 h\"\n",
        "every",
    ),
    (
        "every huge",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"99999999999999999999m\"\n",
        "every",
    ),
    // job.log
    (
        "empty log",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"\"\n",
        "`job \"j\": log`",
    ),
    (
        "log with a tab",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/a\\tb\"\n",
        "`job \"j\": log`",
    ),
    (
        "log with a backslash",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/a\\\\b\"\n",
        "`job \"j\": log`",
    ),
    // job.workdir, job.user, job.env, job.timeout, job.description
    ("empty workdir", "[[job]]\n{job}workdir = \"\"\n", "workdir"),
    (
        "workdir with a NUL",
        "[[job]]\n{job}workdir = \"/a\\u0000\"\n",
        "workdir",
    ),
    (
        "empty user",
        "[[job]]\n{job}user = \"\"\n",
        "`job \"j\": user`",
    ),
    (
        "user with a trailing colon",
        "[[job]]\n{job}user = \"app:\"\n",
        "`job \"j\": user`",
    ),
    (
        "user with a shell",
        "[[job]]\n{job}user = \"$(id)\"\n",
        "`job \"j\": user`",
    ),
    (
        "env name with =",
        "[[job]]\n{job}env = { \"A=B\" = \"v\" }\n",
        "not a variable name",
    ),
    (
        "env empty name",
        "[[job]]\n{job}env = { \"\" = \"v\" }\n",
        "not a variable name",
    ),
    (
        "env NUL value",
        "[[job]]\n{job}env = { X = \"a\\u0000\" }\n",
        "NUL",
    ),
    (
        "env as an array",
        "[[job]]\n{job}env = [\"X=1\"]\n",
        "invalid type",
    ),
    (
        "timeout zero",
        "[[job]]\n{job}timeout = \"0s\"\n",
        "timeout",
    ),
    (
        "timeout negative",
        "[[job]]\n{job}timeout = \"-1h\"\n",
        "timeout",
    ),
    (
        "timeout as a number",
        "[[job]]\n{job}timeout = 60\n",
        "invalid type",
    ),
    (
        "description with a CR",
        "[[job]]\n{job}description = \"a\\rb\"\n",
        "description",
    ),
];

fn config_text(env: &Env, template: &str) -> String {
    template
        .replace("{job}", JOB)
        .replace("{dir}", &env.dir.path().display().to_string())
}

#[test]
fn every_independent_bad_config_is_exit_2_one_line_and_changes_nothing() {
    let env = Env::new();
    env.set_crontab("# mine\r\n* * * * * /bin/true %\n");
    std::fs::write(env.path("cron.d/other"), "# not ours\n").unwrap();
    let before = env.snapshot();
    let mut failures = Vec::new();
    for (name, template, expected) in CASES {
        let path = env.path("config.toml");
        std::fs::write(&path, config_text(&env, template)).unwrap();
        for command in [
            &["plan", "-c"][..],
            &["install", "-c"],
            &["install", "--target", "cron.d", "--user", "root", "-c"],
        ] {
            let output = env.cmd(command).arg(&path).output().unwrap();
            let err = stderr_of(&output);
            if output.status.code() != Some(2)
                || !err.contains(expected)
                || !err.contains("config.toml")
                || err.lines().count() != 1
                || !err.starts_with("crontainer: error: ")
                || !stdout_of(&output).is_empty()
            {
                failures.push(format!(
                    "{name} ({command:?}): exit {:?}, stderr {err:?}, wanted {expected:?}",
                    output.status.code()
                ));
            }
            if env.snapshot() != before {
                failures.push(format!("{name} ({command:?}): changed something"));
                // Put it back, so the next case starts from the same state.
                std::fs::remove_dir_all(env.path("cron.d")).unwrap();
                std::fs::create_dir(env.path("cron.d")).unwrap();
                std::fs::write(env.path("cron.d/other"), "# not ours\n").unwrap();
                env.set_crontab("# mine\r\n* * * * * /bin/true %\n");
                for entry in std::fs::read_dir(env.path("logrotate.d")).unwrap() {
                    std::fs::remove_file(entry.unwrap().path()).unwrap();
                }
            }
        }
    }
    assert!(CASES.len() >= 30);
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        CASES.len() * 3,
        failures.join("\n")
    );
}

#[test]
fn a_log_that_is_another_jobs_lock_is_refused() {
    let env = Env::new();
    let before = env.snapshot();
    let path = env.config(&config_text(
        &env,
        "[[job]]\n{job}[[job]]\nid = \"k\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/j.log.lock\"\n",
    ));
    let output = env.cmd(["install", "-c"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_eq!(stderr_of(&output).lines().count(), 1);
    assert!(stderr_of(&output).contains("log"));
    assert_eq!(env.snapshot(), before);
}
