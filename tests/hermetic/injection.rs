//! Injection, an independent set (issue 6): hostile strings written for this file, none taken
//! from `tests/hermetic/cli_run_now.rs`, in every field that reaches the line (a command
//! argument, an env value, the workdir, the user). Each is either refused (exit 2, one line
//! naming the file, nothing changed) or reaches the container byte for byte, with nothing run on
//! the host. Run through `run-now`, which runs the installed line's own command with /bin/sh as
//! cron does; `tests/e2e/injection.rs` has the real cron daemon fire a subset into a real
//! container.

use crontainer::runner_args::RunnerArgs;

use crate::common::{Env, stderr_of, stdout_of};

/// Hostile strings: shell syntax that survives naive quoting, control characters, look-alikes
/// of options, cron lines and markers, and Unicode that hides what a reader sees. `@LOCK@`
/// becomes the job's lock path.
pub const HOSTILE: &[&str] = &[
    "$((1+1))",
    "${IFS}",
    "${x:-$(id>&2)}",
    "\u{7}bell",
    "'\"'\"'",
    "'",
    "\"",
    "`",
    ")",
    "(",
    "{ }",
    "!$",
    "$'\\x41'",
    "a\tb\t",
    "\u{202e}txt.exe\u{202d}",
    "\u{feff}\u{200b}zero width",
    "\u{2028}line\u{2029}sep\u{85}",
    "\u{1b}[31mred\u{1b}[0m",
    "a\u{b}b\u{c}c",
    "\u{7f}",
    "--",
    "-",
    "=",
    "@LOCK@",
    ";exec 9>&-",
    "9>&- ; exec 1>&-",
    "x && id >&2 || id >&2",
    "$0 $1 $@ $* $$ $?",
    "%",
    "%%%",
    "*/1 * * * * root id",
    "# END crontainer:crontainer",
    "&",
    "a\u{0}b",
    "a\\nb",
];

/// Records each call of the runner (`crontainer exec ...`, as /bin/sh split the installed line)
/// as its own file of NUL-terminated arguments, so that any
/// byte (a tab, an escape) is kept exactly.
const RECORDING_DOCKER: &str = r#"#!/bin/sh
case "$1" in
  inspect) shift 5; for name; do echo "0123456789ab /$name running"; done ;;
  version) echo "20.10.24" ;;
  exec) shift; f="@DIR@/call.$(date +%s%N)"; printf '%s\0' "$@" > "$f" ;;
  *) exit 99 ;;
esac
"#;

#[derive(Clone, Copy, Debug)]
enum Field {
    Arg,
    Env,
    Workdir,
    User,
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn calls(env: &Env) -> Vec<Vec<Vec<u8>>> {
    let mut files: Vec<_> = std::fs::read_dir(env.path("calls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap();
            let mut args: Vec<Vec<u8>> = bytes.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
            assert_eq!(args.pop(), Some(vec![]), "unterminated record");
            args
        })
        .collect()
}

#[test]
fn hostile_values_are_refused_or_reach_the_container_literally() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("calls")).unwrap();
    // The runner the lines name records the argv /bin/sh gave it, as the docker fake does.
    std::fs::remove_file(env.path("bin/crontainer")).unwrap();
    env.write_exe(
        "bin/crontainer",
        &RECORDING_DOCKER.replace("@DIR@", &env.path("calls").display().to_string()),
    );
    env.set_crontab("# mine\n");
    let lock = env.path("logs/j.log.lock").display().to_string();
    let mut literal = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for raw in HOSTILE {
        let value = raw.replace("@LOCK@", &lock);
        for field in [Field::Arg, Field::Env, Field::Workdir, Field::User] {
            let case = format!("{field:?} {value:?}");
            let (key, expected_opts): (String, Vec<String>) = match field {
                Field::Arg => (String::new(), vec![]),
                Field::Env => (
                    format!("env = {{ V = {} }}\n", toml_str(&value)),
                    vec!["-e".into(), format!("V={value}")],
                ),
                Field::Workdir => (
                    format!("workdir = {}\n", toml_str(&format!("/{value}"))),
                    vec!["-w".into(), format!("/{value}")],
                ),
                Field::User => (
                    format!("user = {}\n", toml_str(&value)),
                    vec!["-u".into(), value.clone()],
                ),
            };
            let arg = if matches!(field, Field::Arg) {
                value.clone()
            } else {
                "plain".to_string()
            };
            let config = env.config(&format!(
                "[[job]]\nid = \"j\"\ncontainer = \"c\"\nevery = \"1h\"\n\
                 log = \"{{dir}}/logs/j.log\"\ncommand = [\"python\", {}]\n{key}",
                toml_str(&arg)
            ));
            let before = env.snapshot();
            let out = env.cmd(["install", "-c"]).arg(&config).output().unwrap();
            match out.status.code() {
                Some(2) => {
                    let err = stderr_of(&out);
                    if err.lines().count() != 1
                        || !err.contains("config.toml")
                        || !stdout_of(&out).is_empty()
                        || env.snapshot() != before
                    {
                        failures.push(format!("{case}: refused badly: {err:?}"));
                    }
                    refused += 1;
                }
                Some(0) => {
                    let n = calls(&env).len();
                    let run = env
                        .cmd(["run-now", "j", "-c"])
                        .arg(&config)
                        .output()
                        .unwrap();
                    let got = calls(&env);
                    // What the runner got: `exec`, then words that read back as the job.
                    let words: Vec<String> = got
                        .get(n)
                        .map(|c| {
                            c.iter()
                                .map(|a| String::from_utf8(a.clone()).unwrap())
                                .collect()
                        })
                        .unwrap_or_default();
                    let args = RunnerArgs::from_words(words.iter()).ok();
                    let (env_got, workdir, user) = args
                        .as_ref()
                        .map(|a| (a.env.clone(), a.workdir.clone(), a.user.clone()))
                        .unwrap_or_default();
                    let mut opts = Vec::new();
                    for v in env_got {
                        opts.extend(["-e".to_string(), v]);
                    }
                    opts.extend(workdir.into_iter().flat_map(|w| ["-w".to_string(), w]));
                    opts.extend(user.into_iter().flat_map(|u| ["-u".to_string(), u]));
                    let right = args.as_ref().is_some_and(|a| {
                        a.container() == Some("c") && a.command() == ["python", arg.as_str()]
                    }) && opts == expected_opts;
                    if run.status.code() != Some(0) || got.len() != n + 1 || !right {
                        failures.push(format!(
                            "{case}: exit {:?}, stderr {:?}, calls {:?}",
                            run.status.code(),
                            stderr_of(&run),
                            got.get(n).map(|c| c
                                .iter()
                                .map(|a| String::from_utf8_lossy(a).into_owned())
                                .collect::<Vec<_>>())
                        ));
                    }
                    // Nothing the shell could have run on the host printed anything (`id >&2`).
                    if !stderr_of(&run).is_empty() {
                        failures.push(format!("{case}: stderr {:?}", stderr_of(&run)));
                    }
                    literal += 1;
                }
                code => failures.push(format!(
                    "{case}: install exit {code:?}: {}",
                    stderr_of(&out)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        HOSTILE.len() * 4,
        failures.join("\n")
    );
    assert!(env.crontab().unwrap().starts_with("# mine\n"));
    eprintln!("{literal} reached the container literally, {refused} were refused");
    assert!(literal >= 20, "only {literal} values were accepted at all");
}
