//! Healthchecks pings (`healthcheck = URL`): the URL is checked, and reaches the runner line as
//! its `--ping` word, as given; a cron.d file holding one is root's alone. The pings themselves
//! are the runner's (`src/exec/ping.rs`); the real cron, Docker and an HTTP server are in
//! `tests/e2e/healthcheck.rs`.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, fails_with, ok, stderr_of, stdout_of};

const URL: &str = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";

/// How `URL` is shown: in every diff, `plan` and JSON document.
const MASKED: &str = "https://hc-ping.com/…/4f5a";

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
    let dir = env.dir.path().display().to_string();
    let lines: Vec<&str> = crontab.lines().filter(|l| l.contains(" exec ")).collect();
    let line = |id: &str, ping: &str| {
        format!(
            "0 * * * * {dir}/bin/crontainer exec {id} --block crontainer --every 1h{ping} --log {dir}/logs/{id}.log \
             --runtime {dir}/bin/docker -- c x"
        )
    };
    assert_eq!(
        lines,
        [
            line("a", " --ping https://hc-ping.com/pingkey123/a"),
            line("b", ""),
            line("c", " --ping http://127.0.0.1:8000/ping/own"),
        ]
    );
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
fn the_example_config_with_its_healthcheck_uncommented_pings_from_its_line() {
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
        let user = if target == "cron.d" { " root" } else { "" };
        let dir = env.dir.path().display().to_string();
        assert_eq!(
            line,
            format!(
                "0 * * * *{user} {dir}/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h --ping \
                 {MASKED} --log /var/log/main_pipeline.log --runtime {dir}/bin/docker -- \
                 ai-video-backend python main_v2.py"
            )
        );
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
