//! The bad-input catalogue: each config or command line is refused with exit 2, one clear
//! message naming the problem, and the crontab and cron.d directory byte-identical afterwards.

use crate::common::{Env, stderr_of, stdout_of};

const JOB: &str = "id = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\nlog = \"{dir}/logs/j.log\"\n";

/// (name, config text, what the message must contain). `{job}` is a valid job's keys.
const BAD_CONFIGS: &[(&str, &str, &str)] = &[
    ("malformed toml", "[[job]\n", "config.toml:1:"),
    ("not a table", "job = 3\n", "invalid type"),
    ("unknown top-level key", "[crom]\n", "unknown field `crom`"),
    (
        "unknown cron key",
        "[cron]\ntarget = \"crontab\"\nuser_name = \"x\"\n[[job]]\n{job}",
        "unknown field `user_name`",
    ),
    (
        "unknown job key",
        "[[job]]\n{job}comand = [\"x\"]\n",
        "unknown field `comand`",
    ),
    (
        "unknown defaults key",
        "[defaults]\nlogdir = \"/x\"\n[[job]]\n{job}",
        "unknown field `logdir`",
    ),
    ("no jobs", "[cron]\nname = \"x\"\n", "no jobs"),
    (
        "bad target",
        "[cron]\ntarget = \"launchd\"\n[[job]]\n{job}",
        "`cron.target` is \"launchd\"",
    ),
    (
        "dotted block name",
        "[cron]\nname = \"my.jobs\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "uppercase block name",
        "[cron]\nname = \"Jobs\"\n[[job]]\n{job}",
        "`cron.name`",
    ),
    (
        "bad cron user",
        "[cron]\nuser = \"Bad User\"\n[[job]]\n{job}",
        "`cron.user`",
    ),
    (
        "relative runtime",
        "[defaults]\nruntime = \"bin/docker\"\n[[job]]\n{job}",
        "`defaults.runtime`",
    ),
    (
        "unknown runtime",
        "[defaults]\nruntime = \"nerdctl\"\n[[job]]\n{job}",
        "`defaults.runtime`",
    ),
    (
        "relative log_dir",
        "[defaults]\nlog_dir = \"logs\"\n[[job]]\n{job}",
        "`defaults.log_dir`",
    ),
    (
        "missing id",
        "[[job]]\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "missing field `id`",
    ),
    (
        "uppercase id",
        "[[job]]\nid = \"Main\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id` \"Main\"",
    ),
    (
        "id with space",
        "[[job]]\nid = \"a b\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id`",
    ),
    (
        "empty id",
        "[[job]]\nid = \"\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "`job.id`",
    ),
    (
        "duplicate id",
        "[[job]]\n{job}[[job]]\n{job}",
        "used by two jobs",
    ),
    (
        "id of wrong type",
        "[[job]]\nid = 5\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "invalid type",
    ),
    (
        "container option",
        "[[job]]\nid = \"j\"\ncontainer = \"--privileged\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "container with slash",
        "[[job]]\nid = \"j\"\ncontainer = \"a/b\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "container with shell",
        "[[job]]\nid = \"j\"\ncontainer = \"c;rm -rf /\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "empty container",
        "[[job]]\nid = \"j\"\ncontainer = \"\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "not a container name",
    ),
    (
        "command as string",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = \"python main.py\"\nevery = \"1h\"\n",
        "invalid type",
    ),
    (
        "empty command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = []\nevery = \"1h\"\n",
        "is empty",
    ),
    (
        "empty program",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"\"]\nevery = \"1h\"\n",
        "empty program name",
    ),
    (
        "newline in command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"a\\nb\"]\nevery = \"1h\"\n",
        "line feed",
    ),
    (
        "cr in command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"a\\rb\"]\nevery = \"1h\"\n",
        "carriage return",
    ),
    (
        "nul in command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"a\\u0000b\"]\nevery = \"1h\"\n",
        "NUL",
    ),
    (
        "backslash in command",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"a\\\\b\"]\nevery = \"1h\"\n",
        "backslash",
    ),
    (
        "no schedule",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\n",
        "schedule` is missing",
    ),
    (
        "both schedules",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nschedule = \"* * * * *\"\n",
        "both set",
    ),
    (
        "step zero",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"*/0 * * * *\"\n",
        "`job \"j\": schedule`",
    ),
    (
        "minute 60",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"60 * * * *\"\n",
        "schedule",
    ),
    (
        "hour 24",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 24 * * *\"\n",
        "schedule",
    ),
    (
        "six fields",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * * * *\"\n",
        "schedule",
    ),
    (
        "quartz L",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 L * *\"\n",
        "schedule",
    ),
    (
        "quartz ?",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 ? * *\"\n",
        "schedule",
    ),
    (
        "quartz #",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 0 * * 1#2\"\n",
        "schedule",
    ),
    (
        "reversed range",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"0 20-5 * * *\"\n",
        "schedule",
    ),
    (
        "unknown nickname",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"@fortnightly\"\n",
        "schedule",
    ),
    (
        "empty schedule",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nschedule = \"\"\n",
        "schedule",
    ),
    (
        "every without unit",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"5\"\n",
        "every",
    ),
    (
        "every zero",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"0m\"\n",
        "every",
    ),
    (
        "every seconds",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"30s\"\n",
        "every",
    ),
    (
        "every negative",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"-5h\"\n",
        "every",
    ),
    (
        "every as number",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = 5\n",
        "invalid type",
    ),
    (
        "relative log",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"logs/j.log\"\n",
        "absolute",
    ),
    (
        "log with space",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/my job.log\"\n",
        "whitespace",
    ),
    (
        "log is a directory",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/\"\n",
        "not a directory",
    ),
    (
        "log with a glob",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/app/*.log\"\n",
        "glob",
    ),
    (
        "log_dir with a brace",
        "[defaults]\nlog_dir = \"/var/log/{a,b}\"\n[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n",
        "glob",
    ),
    (
        "log with dotdot",
        "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/var/log/../etc/passwd\"\n",
        "`..`",
    ),
    (
        "shared log",
        "[[job]]\n{job}[[job]]\nid = \"k\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/j.log\"\n",
        "own `log`",
    ),
    (
        "relative workdir",
        "[[job]]\n{job}workdir = \"app\"\n",
        "absolute path inside the container",
    ),
    (
        "workdir newline",
        "[[job]]\n{job}workdir = \"/app\\n* * * * * root id\"\n",
        "line feed",
    ),
    (
        "user option",
        "[[job]]\n{job}user = \"-e X\"\n",
        "`job \"j\": user`",
    ),
    (
        "user with space",
        "[[job]]\n{job}user = \"app user\"\n",
        "`job \"j\": user`",
    ),
    (
        "env bad name",
        "[[job]]\n{job}env = { \"1X\" = \"v\" }\n",
        "not a variable name",
    ),
    (
        "env option name",
        "[[job]]\n{job}env = { \"-e X\" = \"v\" }\n",
        "not a variable name",
    ),
    (
        "env newline value",
        "[[job]]\n{job}env = { X = \"a\\nb\" }\n",
        "line feed",
    ),
    (
        "env backslash",
        "[[job]]\n{job}env = { X = \"a\\\\\" }\n",
        "backslash",
    ),
    (
        "env not string",
        "[[job]]\n{job}env = { X = 1 }\n",
        "invalid type",
    ),
    (
        "timeout no unit",
        "[[job]]\n{job}timeout = \"10\"\n",
        "timeout",
    ),
    (
        "timeout bad unit",
        "[[job]]\n{job}timeout = \"10y\"\n",
        "timeout",
    ),
    (
        "description newline",
        "[[job]]\n{job}description = \"a\\nb\"\n",
        "description",
    ),
    (
        "line too long",
        "[[job]]\n{job}env = { BIG = \"LONG\" }\n",
        "over the 998",
    ),
    (
        "retries over 10",
        "[[job]]\n{job}retries = 11\n",
        "`job \"j\": retries` must be a number from 0 to 10",
    ),
    (
        "retry_delay without retries",
        "[[job]]\n{job}retry_delay = \"1m\"\n",
        "`job \"j\": retry_delay` is set without `retries`: say how many times to try again (retries = 2)",
    ),
    (
        "an unknown concurrency policy",
        "[[job]]\n{job}concurrency = \"queue\"\n",
        "`job \"j\": concurrency` is \"queue\"; accepted: \"forbid\" (skip a firing while the previous run goes, the default), \"replace\" (stop it, then run) or \"allow\" (run side by side)",
    ),
    (
        "a negative history limit",
        "[defaults]\nfailed_history_limit = -1\n[[job]]\n{job}",
        "`defaults.failed_history_limit` must be a number from 0 to 100000",
    ),
    (
        "catch_up neither a boolean nor a window",
        "[[job]]\n{job}catch_up = \"yes\"\n",
        "catch_up` \"yes\" has an unexpected 'y'; use a number with a unit s, m, h or d, e.g. \
         \"30m\", \"4h\" or \"1h30m\"; or true for any missed firing",
    ),
    (
        "relative textfile_dir",
        "[monitoring]\ntextfile_dir = \"prom\"\n[[job]]\n{job}",
        "config.toml:2: `monitoring.textfile_dir` must be an absolute path",
    ),
    (
        "unknown monitoring key",
        "[monitoring]\ntextfile = \"/x\"\n[[job]]\n{job}",
        "unknown field `textfile`",
    ),
];

fn config_text(env: &Env, template: &str) -> String {
    template
        .replace("{job}", JOB)
        .replace("LONG", &"x".repeat(900))
        .replace("{dir}", &env.dir.path().display().to_string())
}

#[test]
fn every_bad_config_is_exit_2_with_a_clear_message_and_changes_nothing() {
    let env = Env::new();
    env.set_crontab("# mine\n* * * * * /bin/true\n");
    std::fs::write(env.path("cron.d/other"), "# not ours\n").unwrap();
    let mut failures = Vec::new();
    for (name, template, expected) in BAD_CONFIGS {
        let text = config_text(&env, template);
        let path = env.path("config.toml");
        std::fs::write(&path, &text).unwrap();
        for command in ["plan", "install"] {
            let output = env.cmd([command, "-c"]).arg(&path).output().unwrap();
            let err = stderr_of(&output);
            let lines = err.lines().count();
            if output.status.code() != Some(2)
                || !err.contains(expected)
                || !err.contains("config.toml")
                || lines != 1
                || !stdout_of(&output).is_empty()
            {
                failures.push(format!(
                    "{name} ({command}): exit {:?}, stderr {err:?}, wanted {expected:?}",
                    output.status.code()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        BAD_CONFIGS.len() * 2,
        failures.join("\n")
    );
    assert_eq!(env.crontab().unwrap(), "# mine\n* * * * * /bin/true\n");
    let names: Vec<_> = std::fs::read_dir(env.path("cron.d"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["other"]);
}

#[test]
fn errors_name_the_line_of_the_bad_value() {
    let env = Env::new();
    let path =
        env.config("[[job]]\nid = \"j\"\ncontainer = \"c\"\n\ncommand = [\"x\"]\nevery = \"5x\"\n");
    let output = env.cmd(["plan", "-c"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).starts_with(&format!(
            "crontainer: error: {}:6: `job \"j\": every`",
            path.display()
        )),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn bad_command_lines_are_exit_2() {
    let env = Env::new();
    let config = env.simple_config("");
    let dir = env.path("");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec!["plan".as_ref(), "-c".as_ref(), "/nonexistent.toml".as_ref()],
            "no such file",
        ),
        (
            vec!["plan".as_ref(), "-c".as_ref(), dir.as_os_str()],
            "directory",
        ),
        (
            vec!["plan".as_ref(), "--target".as_ref(), "launchd".as_ref()],
            "invalid value",
        ),
        (vec!["frobnicate".as_ref()], "unrecognized subcommand"),
        (vec!["run-now".as_ref()], "required"),
        (
            vec![
                "run-now".as_ref(),
                "ghost".as_ref(),
                "-c".as_ref(),
                config.as_os_str(),
            ],
            "not installed",
        ),
        (
            vec![
                "uninstall".as_ref(),
                "ghost".as_ref(),
                "-c".as_ref(),
                config.as_os_str(),
            ],
            "not installed",
        ),
        (
            vec!["uninstall".as_ref(), "--name".as_ref(), "Bad.Name".as_ref()],
            "not a block name",
        ),
        (
            vec![
                "install".as_ref(),
                "--user".as_ref(),
                "no-such-user-xyz".as_ref(),
                "-c".as_ref(),
                config.as_os_str(),
            ],
            "does not exist",
        ),
        (vec!["plan".as_ref()], "no config found"),
    ];
    for (args, expected) in cases {
        let output = env.cmd(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains(expected),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
    assert_eq!(env.crontab(), None);
}

#[test]
fn an_unreadable_config_is_exit_2() {
    let env = Env::new();
    let config = env.simple_config("");
    std::fs::write(&config, [0xff, 0xfe, b'\n']).unwrap();
    let output = env.cmd(["plan", "-c"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("not UTF-8"),
        "{}",
        stderr_of(&output)
    );
}
