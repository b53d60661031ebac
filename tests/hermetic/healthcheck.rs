//! Healthchecks pings (`healthcheck = URL`): the URL is checked, the line pings with the host's
//! `curl` (here a fake on the PATH that records each call and its body), and a ping never
//! changes the job's exit code; `status` shows how the pings went. The real cron, Docker and an
//! HTTP server are in `tests/e2e/healthcheck.rs`.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, fails, fails_with, ok, stderr_of, stdout_of};

const URL: &str = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";

/// What the line appends to the URL: the ping's kind, and the run's start second as a UUID.
/// How `URL` is shown: in every diff, `plan` and JSON document.
const MASKED: &str = "https://hc-ping.com/…/4f5a";

const SUFFIX: &str = "\"/$1?rid=${s#??}-0000-4000-8000-00$s\"";

/// The `rid` healthchecks gets for the run `PID-EPOCH`: a UUID in canonical form.
fn rid_of(run: &str) -> String {
    let epoch = run.split_once('-').unwrap().1;
    assert_eq!(epoch.len(), 10, "{run}");
    format!("{}-0000-4000-8000-00{epoch}", &epoch[2..])
}

/// A fake `curl`: appends its arguments, one per line, then `-- body:` and what it read on its
/// stdin to $FAKE_CURL_CALLS, a `---` after each call; exits with $FAKE_CURL_EXIT (default 0).
const FAKE_CURL: &str = r#"#!/bin/sh
for a; do printf '%s\n' "$a"; done >> "$FAKE_CURL_CALLS"
echo "-- body:" >> "$FAKE_CURL_CALLS"
cat >> "$FAKE_CURL_CALLS"
echo "---" >> "$FAKE_CURL_CALLS"
exit "${FAKE_CURL_EXIT:-0}"
"#;

fn with_fake_curl() -> Env {
    let env = Env::new();
    env.write_exe("bin/curl", FAKE_CURL);
    env
}

/// Each call's arguments and its body.
fn curl_calls(env: &Env) -> Vec<(Vec<String>, String)> {
    env.read("curl-calls")
        .split("---\n")
        .filter(|c| !c.is_empty())
        .map(|call| {
            let (args, body) = call.split_once("-- body:\n").unwrap();
            (args.lines().map(String::from).collect(), body.to_string())
        })
        .collect()
}

fn line_of(env: &Env) -> String {
    env.crontab()
        .unwrap()
        .lines()
        .find(|l| l.contains(" exec -i "))
        .unwrap()
        .to_string()
}

#[test]
fn bad_healthcheck_urls_are_exit_2_naming_file_line_and_key() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    let cases = [
        ("ftp://hc-ping.com/x", "must start with http:// or https://"),
        ("hc-ping.com/x", "must start with http:// or https://"),
        ("https://", "names no host"),
        ("https:///x", "names no host"),
        ("https://hc-ping.com/a b", "must not contain ' '"),
        ("https://hc-ping.com/a'b", "must not contain '\\''"),
        ("https://hc-ping.com/a\\\"b", "must not contain '\"'"),
        ("https://hc-ping.com/a`b", "must not contain '`'"),
        ("https://hc-ping.com/a\\tb", "must not contain '\\t'"),
        ("https://hc-ping.com/a\\u0001b", "must not contain '\\u{1}'"),
        ("https://hc-ping.com/x?create=1", "must not contain '?'"),
        ("https://hc-ping.com/x#frag", "must not contain '#'"),
        ("https://hc-ping.com/x/", "must not end with `/`"),
    ];
    for (url, expected) in cases {
        let config = env.simple_config(&format!("healthcheck = \"{url}\""));
        for command in ["plan", "install"] {
            let err = fails_with(env.cmd([command, "-c"]).arg(&config), 2, expected);
            assert!(
                err.contains(&format!(
                    "{}:8: `job \"main_pipeline_v2\": healthcheck`",
                    config.display()
                )),
                "{url}: {err}"
            );
            assert!(
                err.contains("accepted: an http:// or https:// URL"),
                "{err}"
            );
        }
    }
    // In [defaults], a check's own URL would be pinged as `<URL>/<job id>` by every job.
    let config = env.config(&format!(
        "[defaults]\nhealthcheck = \"{URL}\"\n[[job]]\nid = \"j\"\ncontainer = \"c\"\n\
         command = [\"x\"]\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n"
    ));
    let err = fails_with(env.cmd(["install", "-c"]).arg(&config), 2, "ping-key URL");
    assert!(
        err.contains(&format!("{}:2: `defaults.healthcheck`", config.display())),
        "{err}"
    );
    assert_eq!(env.crontab().unwrap(), "# mine\n", "nothing changed");
}

#[test]
fn the_line_pings_start_and_end_with_the_run_id_exit_code_and_output_tail() {
    let env = with_fake_curl();
    let config = env.simple_config(&format!("healthcheck = \"{URL}\""));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let line = line_of(&env);
    let curl = env.path("bin/curl").display().to_string();
    assert!(
        line.contains(&format!(
            "h(){{ {curl} -fsm2 --retry 1 -o/dev/null --data-binary @- {URL}{SUFFIX};}};:|h start;"
        )),
        "{line}"
    );
    assert!(line.contains("; l end exit=$c ping=$g;exit $c"), "{line}");
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_EXIT", "3")
        .env("FAKE_CURL_CALLS", env.path("curl-calls"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let log = env.read("logs/main.log");
    let run = log
        .split(" run=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no run id in {log}"));
    assert!(
        log.contains(&format!("end exit=3 ping=ok run={run} seconds=")),
        "{log}"
    );
    let calls = curl_calls(&env);
    assert_eq!(calls.len(), 2, "{calls:?}");
    let rid = rid_of(run);
    assert_eq!(
        calls[0].0.last().unwrap(),
        &format!("{URL}/start?rid={rid}")
    );
    assert_eq!(calls[0].1, "", "the start ping has no body");
    assert_eq!(calls[1].0.last().unwrap(), &format!("{URL}/3?rid={rid}"));
    // The body is what the run wrote, and nothing crontainer wrote around it.
    let body = &calls[1].1;
    assert!(
        body.contains("stdout: hello from the container\n"),
        "{body}"
    );
    assert!(
        body.contains("stderr: warning from the container\n"),
        "{body}"
    );
    assert!(!body.contains("[crontainer]"), "{body}");
    for (args, _) in &calls {
        assert!(args.contains(&"-fsm2".to_string()), "bounded: {args:?}");
        assert!(args.contains(&"--retry".to_string()), "{args:?}");
    }
}

#[test]
fn the_end_ping_carries_only_the_last_10000_bytes_of_this_runs_output() {
    let env = with_fake_curl();
    let config = env.simple_config(&format!("healthcheck = \"{URL}\""));
    ok(env.cmd(["install", "-c"]).arg(&config));
    // A previous run's output must not reach this run's body.
    std::fs::write(env.path("logs/main.log"), "EARLIER RUN\n".repeat(2000)).unwrap();
    // The fake job prints two lines, then this: 20,000 bytes ending in a known tail.
    let job = "echo stdout: hello; head -c 20000 /dev/zero | tr '\\0' x; echo END; exit 0";
    let docker = env.read("bin/docker").replace(
        "    echo \"stdout: hello from the container\"\n",
        &format!("    {job}\n"),
    );
    env.write_exe("bin/docker", &docker);
    ok(env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_CURL_CALLS", env.path("curl-calls")));
    let calls = curl_calls(&env);
    let body = &calls[1].1;
    assert_eq!(body.len(), 10_000);
    assert!(
        body.ends_with("xxxxEND\n"),
        "{:?}",
        &body[body.len() - 20..]
    );
    assert!(!body.contains("EARLIER"));
}

#[test]
fn a_failed_ping_changes_no_exit_code_and_status_shows_it() {
    let env = with_fake_curl();
    let config = env.simple_config(&format!("healthcheck = \"{URL}\""));
    ok(env.cmd(["install", "-c"]).arg(&config));
    let out = env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_CURL_EXIT", "7")
        .env("FAKE_CURL_CALLS", env.path("curl-calls"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let log = env.read("logs/main.log");
    assert!(log.contains("end exit=0 ping=failed run="), "{log}");
    let text = fails(env.cmd(["status", "-c"]).arg(&config), 1);
    let stdout = String::from_utf8(
        env.cmd(["status", "-c"])
            .arg(&config)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(stdout.contains("exit 0, took "), "{stdout}");
    assert!(stdout.contains(", healthcheck ping failed"), "{stdout}");
    assert!(
        stdout.contains("healthcheck ping failed: healthchecks may not know"),
        "{stdout}{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &env.cmd(["status", "--json", "-c"])
            .arg(&config)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let job = &json["jobs"][0];
    assert_eq!(job["last_run"]["ping"], "failed", "{job}");
    assert_eq!(job["last_run"]["ended"]["event"]["ping"], "failed", "{job}");
    assert_eq!(job["healthy"], false);

    // A ping that works again: healthy.
    ok(env
        .cmd(["run-now", "main_pipeline_v2", "-c"])
        .arg(&config)
        .env("FAKE_CURL_CALLS", env.path("curl-calls")));
    let stdout = ok(env.cmd(["status", "-c"]).arg(&config));
    assert!(stdout.contains(", healthcheck ping ok"), "{stdout}");
}

#[test]
fn defaults_give_every_job_its_slug_and_an_empty_url_turns_pings_off() {
    let env = Env::new();
    let config = env.config(
        "[defaults]\nhealthcheck = \"https://hc-ping.com/pingkey123\"\n\
         [[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/a.log\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/b.log\"\nhealthcheck = \"\"\n\
         [[job]]\nid = \"c\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/c.log\"\nhealthcheck = \"http://127.0.0.1:8000/ping/own\"\n",
    );
    ok(env.cmd(["install", "-c"]).arg(&config));
    let crontab = env.crontab().unwrap();
    let lines: Vec<&str> = crontab
        .lines()
        .filter(|l| l.contains(" exec -i "))
        .collect();
    assert!(
        lines[0].contains(&format!("https://hc-ping.com/pingkey123/a{SUFFIX}")),
        "{}",
        lines[0]
    );
    assert!(!lines[1].contains("curl"), "{}", lines[1]);
    assert!(
        lines[2].contains(&format!("http://127.0.0.1:8000/ping/own{SUFFIX}")),
        "{}",
        lines[2]
    );
}

#[test]
fn the_ping_only_adds_to_the_line_of_a_job_without_one() {
    let env = Env::new();
    let plain = env.simple_config("");
    let plain = ok(env.cmd(["plan", "--json", "-c"]).arg(&plain));
    let pinged = env.simple_config(&format!("healthcheck = \"{URL}\""));
    let pinged = ok(env.cmd(["plan", "--json", "-c"]).arg(&pinged));
    let line = |text: &str| -> String {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        json["jobs"][0]["line"].as_str().unwrap().to_string()
    };
    let (plain, pinged) = (line(&plain), line(&pinged));
    assert!(
        !plain.contains("curl") && !plain.contains("ping"),
        "{plain}"
    );
    // Take the three pieces the ping adds out again: the line without a URL is left.
    let start = pinged.find("h(){ ").unwrap();
    let exec = pinged.find(" exec -i ").unwrap();
    let runtime = pinged[..exec].rfind("; ").unwrap() + 2;
    let tail = pinged.find("c=$?; ").unwrap() + "c=$?; ".len();
    let end = pinged.find("l end exit=").unwrap();
    let stripped = format!(
        "{}{}{}",
        &pinged[..start],
        &pinged[runtime..tail],
        &pinged[end..]
    )
    .replace(" ping=$g", "");
    assert_eq!(stripped, plain);
}

#[test]
fn a_line_too_long_for_cron_says_what_the_ping_costs() {
    let env = Env::new();
    let config = env.simple_config(&format!(
        "healthcheck = \"{URL}\"\nenv = {{ X = \"{}\" }}",
        "y".repeat(450)
    ));
    let err = fails_with(
        env.cmd(["plan", "-c"]).arg(&config),
        2,
        "over the 998 that Debian's cron accepts",
    );
    let cost = err
        .split("the healthcheck ping costs ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no ping cost in {err}"));
    let cost: usize = cost.parse().unwrap();
    // The URL, curl's path and its options, the tail of the output, the key on the end line.
    assert!(
        (URL.len() + 150..URL.len() + 300).contains(&cost),
        "{cost}: {err}"
    );
    assert!(err.contains("or the `healthcheck` URL"), "{err}");
    // The seed job with a typical hc-ping.com URL fits, even with this temp dir's longer paths.
    let seed = env.simple_config(&format!("healthcheck = \"{URL}\""));
    ok(env.cmd(["plan", "-c"]).arg(&seed));
}

#[test]
fn install_without_curl_is_refused_when_a_job_pings() {
    let env = Env::new();
    env.set_crontab("# mine\n");
    // A PATH with every tool the line and the fakes need but curl.
    std::fs::create_dir(env.path("nocurl")).unwrap();
    for tool in [
        "flock", "date", "wc", "tail", "sleep", "sh", "id", "cat", "cp", "rm",
    ] {
        let real = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(real, env.path("nocurl").join(tool)).unwrap();
    }
    for fake in ["docker", "crontab"] {
        std::os::unix::fs::symlink(env.path("bin").join(fake), env.path("nocurl").join(fake))
            .unwrap();
    }
    let path = env.path("nocurl").display().to_string();
    let pinged = env.simple_config(&format!("healthcheck = \"{URL}\""));
    let err = fails_with(
        env.cmd(["install", "-c"]).arg(&pinged).env("PATH", &path),
        2,
        "`curl` was not found on PATH",
    );
    assert!(err.contains("apt-get install curl"), "{err}");
    assert_eq!(env.crontab().unwrap(), "# mine\n", "nothing changed");
    let plain = env.simple_config("");
    ok(env.cmd(["install", "-c"]).arg(&plain).env("PATH", &path));
}

#[test]
fn a_cron_d_file_holding_a_url_is_root_s_alone_and_install_warns() {
    let env = Env::new();
    let file = env.path("cron.d/crontainer");
    let mode = || std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    let pinged = env.simple_config(&format!("healthcheck = \"{URL}\""));
    let out = env
        .cmd(["install", "--target", "cron.d", "--user", "root", "-c"])
        .arg(&pinged)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("its `healthcheck` URL is a secret") && err.contains("mode 0600"),
        "{err}"
    );
    assert_eq!(mode(), 0o600);
    // Without a URL the file is readable by all again, as cron.d files are.
    let plain = env.simple_config("");
    ok(env
        .cmd(["install", "--target", "cron.d", "--user", "root", "-c"])
        .arg(&plain));
    assert_eq!(mode(), 0o644);
}

#[test]
fn the_example_config_with_its_healthcheck_uncommented_fits_cron() {
    let env = Env::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(example).unwrap();
    let commented = "# healthcheck = \"https://hc-ping.com/<uuid>\"\n";
    assert!(text.contains(commented), "the example shows `healthcheck`");
    let config = env.config(&text.replace(commented, &format!("healthcheck = \"{URL}\"\n")));
    for target in ["crontab", "cron.d"] {
        let out = ok(env
            .cmd(["plan", "--json", "--target", target, "-c"])
            .arg(&config));
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let line = json["jobs"][0]["line"].as_str().unwrap();
        assert!(line.contains(&format!("{MASKED}{SUFFIX}")), "{line}");
        assert!(json["jobs"][0]["line_bytes"].as_u64().unwrap() <= 998);
    }
}

/// Issue 25, item 6: the URL is a secret, shown only masked wherever crontainer prints it.
#[test]
fn a_healthcheck_url_is_masked_in_every_diff_plan_and_json() {
    let env = Env::new();
    let other = "https://hc-ping.com/11111111-2222-4333-8444-555555555555";
    let config = env.config(&format!(
        "[[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{{dir}}/logs/a.log\"\nhealthcheck = \"{URL}\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{{dir}}/logs/b.log\"\nhealthcheck = \"{other}\"\n"
    ));
    let shown = |args: &[&str]| {
        let out = env.cmd(args).arg("-c").arg(&config).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        format!("{}{}", stdout_of(&out), stderr_of(&out))
    };
    for args in [
        &["plan"][..],
        &["plan", "--json"],
        &["install", "--dry-run"],
        &["install", "--json", "--dry-run"],
        &["install"],
        &["status", "--json"],
        &["uninstall", "--json", "--dry-run"],
        &["uninstall"],
    ] {
        let text = shown(args);
        assert!(
            !text.contains(URL) && !text.contains(other) && !text.contains("0f2a3c1e"),
            "{args:?} shows a secret:\n{text}"
        );
        if args[0] != "status" {
            assert!(
                text.contains(MASKED) && text.contains("https://hc-ping.com/…/5555"),
                "{args:?} shows no masked URL:\n{text}"
            );
        }
        if args == ["install"] {
            // What was written is the real URL, of course.
            assert!(env.crontab().unwrap().contains(URL));
        }
    }
}

/// Issue 25, item 7: one warning about the secret for the file, not one per job.
#[test]
fn the_secret_url_warning_is_given_once_for_all_jobs() {
    let env = Env::new();
    let config = env.config(&format!(
        "[[job]]\nid = \"a\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{{dir}}/logs/a.log\"\nhealthcheck = \"{URL}\"\n\
         [[job]]\nid = \"b\"\ncontainer = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\n\
         log = \"{{dir}}/logs/b.log\"\nhealthcheck = \"{URL}2\"\n"
    ));
    let out = env
        .cmd([
            "install", "-q", "--target", "cron.d", "--user", "root", "-c",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = env
        .cmd(["plan", "--target", "cron.d", "--user", "root", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!(
            "crontainer: warning: jobs \"a\", \"b\": their `healthcheck` URLs are secrets and \
             are written into {}, which is therefore made readable by root alone (mode 0600; \
             cron still reads it); it still shows in the process list (`ps`) of every local \
             user while a job runs\n",
            env.path("cron.d/crontainer").display()
        )
    );
}

/// Issue 25, item 9: `[defaults] healthcheck` errors give an example `[defaults]` accepts (a
/// project's ping-key URL, not a check's UUID URL, which it refuses), and `""` is explained.
#[test]
fn defaults_healthcheck_errors_give_an_example_defaults_accepts() {
    let env = Env::new();
    for (value, said) in [
        (
            "",
            "\"\" turns pings off only in a job's `healthcheck`; for no pings at all leave \
             `healthcheck` out of [defaults]; accepted here: a project's ping-key URL such as \
             \"https://hc-ping.com/<ping-key>\"",
        ),
        (
            "ftp://hc-ping.com/k",
            "\"ftp://hc-ping.com/k\" must start with http:// or https://; accepted: an http:// \
             or https:// URL such as \"https://hc-ping.com/<ping-key>\"",
        ),
    ] {
        let config = env.config(&format!(
            "[defaults]\nhealthcheck = \"{value}\"\n[[job]]\nid = \"j\"\ncontainer = \"c\"\n\
             command = [\"x\"]\nevery = \"1h\"\nlog = \"{{dir}}/logs/j.log\"\n"
        ));
        let out = env.cmd(["plan", "-c"]).arg(&config).output().unwrap();
        assert_eq!(
            (out.status.code(), stdout_of(&out), stderr_of(&out)),
            (
                Some(2),
                String::new(),
                format!(
                    "crontainer: error: {}:2: `defaults.healthcheck` {said}\n",
                    config.display()
                )
            )
        );
    }
    // The example it gives is accepted.
    let config = env.config(
        "[defaults]\nhealthcheck = \"https://hc-ping.com/ping-key\"\n[[job]]\nid = \"j\"\n\
         container = \"c\"\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"{dir}/logs/j.log\"\n",
    );
    ok(env.cmd(["plan", "-c"]).arg(&config));
}
