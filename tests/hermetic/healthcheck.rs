//! Healthchecks pings (`healthcheck = URL`): the URL is checked, and reaches the runner line as
//! its `--ping` word, as given; a cron.d file holding one is root's alone. The pings themselves
//! are the runner's (`src/exec/ping.rs`); the real cron, Docker and an HTTP server are in
//! `tests/e2e/healthcheck.rs`.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, fails_with, ok, stderr_of};

const URL: &str = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";

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
            "0 * * * * {dir}/bin/crontainer exec {id} --every 1h{ping} --log {dir}/logs/{id}.log \
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
                "0 * * * *{user} {dir}/bin/crontainer exec main_pipeline_v2 --every 5h --ping {URL} \
                 --log /var/log/main_pipeline.log --runtime {dir}/bin/docker -- ai-video-backend \
                 python main_v2.py"
            )
        );
    }
}
