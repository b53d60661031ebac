//! The renderer and the block reader together: what is rendered reads back exactly, and
//! anything crontainer did not write (a hand edit, a line that disagrees with its marker) is
//! refused with the block's "edited by hand" message.

use std::path::{Path, PathBuf};

use super::*;
use crate::config::Config;

fn job(extra: &str) -> Config {
    Config::parse(
        &format!(
            "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\n\
             log = \"/var/log/j.log\"\n{extra}\n"
        ),
        Path::new("test.toml"),
    )
    .unwrap()
}

fn tools(escape_percent: bool) -> Tools {
    Tools {
        runtime: PathBuf::from("/usr/bin/docker"),
        crontainer: PathBuf::from("/usr/bin/crontainer"),
        escape_percent,
    }
}

fn render(extra: &str) -> Entry {
    render_job(&job(extra).jobs[0], &tools(true), None, "b").unwrap()
}

#[test]
fn the_seed_job_is_one_short_readable_line() {
    let config = Config::parse(
        "[[job]]\nid = \"main_pipeline_v2\"\ncontainer = \"ai-video-backend\"\n\
         command = [\"python\", \"main_v2.py\"]\nevery = \"5h\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let entry = render_job(&config.jobs[0], &tools(true), None, "crontainer").unwrap();
    assert_eq!(
        entry.line,
        "0 * * * * /usr/bin/crontainer exec main_pipeline_v2 --block crontainer --every 5h \
         --log /var/log/crontainer/main_pipeline_v2.log --runtime /usr/bin/docker -- \
         ai-video-backend python main_v2.py"
    );
    assert!(entry.line.len() <= 300, "{} bytes", entry.line.len());
}

#[test]
fn every_feature_combines_in_one_line_far_below_cron_s_limit() {
    let entry = render(
        "every = \"5h\"\ntimeout = \"4h\"\ncatch_up = true\nworkdir = \"/app\"\nuser = \"app\"\n\
         env = { LOG_LEVEL = \"info\", RATE = \"50%\" }\n\
         healthcheck = \"https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a\"",
    );
    assert_eq!(
        entry.line,
        "0 * * * * /usr/bin/crontainer exec j --block b --every 5h --timeout 4h \
         --ping https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a --log /var/log/j.log \
         --runtime /usr/bin/docker --env LOG_LEVEL=info --env 'RATE=50\\%' --workdir /app \
         --user app -- c python main_v2.py"
    );
    let installed = entry.with_installed(Some("2026-12-04T10:00:00Z".into()));
    assert_eq!(
        installed.catch_up.as_deref(),
        Some(
            "@reboot /usr/bin/crontainer exec j --block b --every 5h --timeout 4h \
             --ping https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a --log /var/log/j.log \
             --runtime /usr/bin/docker --env LOG_LEVEL=info --env 'RATE=50\\%' --workdir /app \
             --user app --since 2026-12-04T10:00:00Z --catch-up -- c python main_v2.py"
        )
    );
    // Installed, it reads back; as the config renders it, it is the entry again.
    let body = render_body(std::slice::from_ref(&installed));
    assert_eq!(
        parse_body(&body, false, "b").unwrap(),
        vec![installed.clone()]
    );
    assert_eq!(installed.as_rendered(), entry);
    assert!(holds_ping(&body.join("\n")));
    assert!(!holds_ping(
        &render_body(&[render("every = \"5h\"")]).join("\n")
    ));
}

#[test]
fn catch_up_works_with_a_schedule_and_a_compose_service() {
    let config = Config::parse(
        "[[job]]\nid = \"j\"\nservice = \"worker\"\ncommand = [\"x\"]\n\
         schedule = \"15 3 * * 1-5\"\ncatch_up = true\nlog = \"/l/j.log\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let entry = render_job(&config.jobs[0], &tools(true), Some("deploy"), "b").unwrap();
    assert_eq!(
        entry.catch_up.as_deref(),
        Some(
            "@reboot deploy /usr/bin/crontainer exec j --block b --log /l/j.log --runtime /usr/bin/docker \
             --service worker --schedule '15 3 * * 1-5' --catch-up -- x"
        )
    );
    let installed = entry.with_installed(Some("2026-12-04T10:00:00Z".into()));
    let paused = installed.with_paused(Some(Paused {
        at: "2026-12-04T11:00:00Z".into(),
        by: "root".into(),
    }));
    for entry in [installed, paused] {
        let body = render_body(std::slice::from_ref(&entry));
        assert_eq!(parse_body(&body, true, "b").unwrap(), vec![entry]);
    }
}

#[test]
fn busybox_gets_its_percent_signs_as_they_are() {
    let config = job("every = \"1h\"\ncatch_up = true\nenv = { RATE = \"50%\" }");
    let entry = render_job(&config.jobs[0], &tools(false), None, "b").unwrap();
    assert!(entry.line.contains(" --env 'RATE=50%' "), "{}", entry.line);
    let installed = entry.with_installed(Some("2026-12-04T10:00:00Z".into()));
    let catch_up = installed.catch_up.clone().unwrap();
    assert!(catch_up.contains(" --env 'RATE=50%' "), "{catch_up}");
    assert!(
        catch_up.contains(" --since 2026-12-04T10:00:00Z "),
        "{catch_up}"
    );
}

#[test]
fn a_line_over_998_bytes_is_refused_with_its_length_never_cut() {
    let config = job(&format!(
        "every = \"1h\"\nenv = {{ X = \"{}\" }}",
        "y".repeat(900)
    ));
    let err = render_job(&config.jobs[0], &tools(true), None, "b")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "job \"j\": its cron line is 1036 bytes, over the 998 that Debian's cron accepts (it \
         refuses the whole crontab with \"command too long\"); shorten the command, env values, \
         workdir or log path by 38 bytes, e.g. by moving arguments into a script inside the \
         container, or values into `env_file`"
    );
    // The catch-up line counts the `--since` it gains at install.
    let config = job(&format!(
        "every = \"1h\"\ncatch_up = true\nenv = {{ X = \"{}\" }}",
        "y".repeat(850)
    ));
    let err = render_job(&config.jobs[0], &tools(true), None, "b")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("job \"j\": its catch-up line (`catch_up = true`) is 1024 bytes"),
        "{err}"
    );
}

#[test]
fn a_line_that_disagrees_with_its_marker_is_a_damaged_entry() {
    let entry = render("every = \"1h\"\ncatch_up = true");
    let body = render_body(std::slice::from_ref(&entry));
    let other = |from: &str, to: &str| {
        let mut body = body.clone();
        body[2] = body[2].replacen(from, to, 1);
        body
    };
    for (lines, expected) in [
        (
            other(" exec j ", " exec k "),
            "its line names another job id than its marker",
        ),
        (other("/var/log/j.log", "/tmp/j.log"), "names another log"),
        (
            other("/usr/bin/docker", "/usr/bin/podman"),
            "names another runtime",
        ),
        (
            other(" -- c ", " -- d "),
            "names another container or service",
        ),
        (other("--every 1h", "--every 2h"), "names another interval"),
        (
            other(" --block b ", " --block c "),
            "its line names block `c`, not the one it is in",
        ),
        (
            other(" -- c ", " --service c -- "),
            "names another container or service",
        ),
        (other(" exec ", " exek "), "is not crontainer's runner line"),
        (
            other(" -- c ", " -- c; rm -rf / "),
            "is not crontainer's runner line",
        ),
        (
            // The catch-up line of another job.
            {
                let mut body = body.clone();
                body[3] = body[3].replace(" -- c python", " -- c python3");
                body
            },
            "is not its catch-up line",
        ),
    ] {
        let err = parse_body(&lines, false, "b").unwrap_err().to_string();
        assert!(
            err.contains(expected) && err.contains("edited by hand"),
            "{lines:?}: {err}"
        );
    }
}

#[test]
fn a_line_0_3_wrote_without_its_block_reads_and_is_the_same_job() {
    let entry = render("every = \"1h\"\ncatch_up = true\nenv = { RATE = \"50%\" }")
        .with_installed(Some("2026-12-04T10:00:00Z".into()));
    let shipped = entry.with_block(None);
    assert_eq!(
        shipped.line,
        "0 * * * * /usr/bin/crontainer exec j --every 1h --log /var/log/j.log --runtime \
         /usr/bin/docker --env 'RATE=50\\%' -- c python main_v2.py"
    );
    assert_eq!(
        shipped.catch_up.as_deref(),
        Some(
            "@reboot /usr/bin/crontainer exec j --every 1h --log /var/log/j.log --runtime \
             /usr/bin/docker --env 'RATE=50\\%' --since 2026-12-04T10:00:00Z --catch-up -- c \
             python main_v2.py"
        )
    );
    assert_eq!(shipped.block(), None);
    assert_eq!(entry.block().as_deref(), Some("b"));
    // It reads in its block, and names it again once given back.
    let body = render_body(std::slice::from_ref(&shipped));
    assert_eq!(
        parse_body(&body, false, "b").unwrap(),
        vec![shipped.clone()]
    );
    assert_eq!(shipped.with_block(Some("b")), entry);
    // With a user column (cron.d) and paused alike.
    let cron_d = render_job(
        &job("every = \"1h\"").jobs[0],
        &tools(true),
        Some("root"),
        "b",
    )
    .unwrap()
    .with_paused(Some(Paused {
        at: "2026-12-04T11:00:00Z".into(),
        by: "root".into(),
    }));
    assert_eq!(
        cron_d.with_block(None).line,
        "#paused# 0 * * * * root /usr/bin/crontainer exec j --every 1h --log /var/log/j.log \
         --runtime /usr/bin/docker -- c python main_v2.py"
    );
    assert_eq!(cron_d.with_block(None).with_block(Some("b")), cron_d);
}

#[test]
fn the_block_body_refuses_lines_crontainer_did_not_write() {
    let entry = render("every = \"1h\"");
    let body = render_body(std::slice::from_ref(&entry));
    assert_eq!(parse_body(&body, false, "b").unwrap(), vec![entry.clone()]);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "it is empty"),
        (vec!["# hi".into()], "not crontainer's header"),
        (
            vec![HEADER.into(), "* * * * * echo".into()],
            "is not a crontainer job marker",
        ),
        (
            vec![HEADER.into(), entry.marker.to_line()],
            "has a marker but no cron line",
        ),
        (
            vec![HEADER.into(), entry.marker.to_line(), "# comment".into()],
            "is not a cron line",
        ),
        (
            vec![
                body[0].clone(),
                body[1].clone(),
                body[2].clone(),
                body[1].clone(),
                body[2].clone(),
            ],
            "appears twice",
        ),
        (
            vec![
                HEADER.into(),
                entry.marker.to_line(),
                format!("{PAUSED_PREFIX}{}", entry.line),
            ],
            "paused line but no pause",
        ),
    ];
    for (lines, expected) in cases {
        let err = parse_body(&lines, false, "b").unwrap_err().to_string();
        assert!(
            err.contains(expected) && err.contains("edited by hand"),
            "{lines:?}: {err}"
        );
    }
}

#[test]
fn the_metrics_line_comes_last_and_parses_back() {
    let textfile = Textfile::render(
        Path::new("/usr/local/bin/crontainer"),
        Path::new("/etc/crontainer/crontainer.toml"),
        "cron.d",
        "root",
        Path::new("/var/lib/prometheus/node-exporter"),
        Some("root"),
        true,
    );
    assert_eq!(
        textfile.line,
        "* * * * * root /usr/local/bin/crontainer metrics -q -c /etc/crontainer/crontainer.toml \
         --target cron.d --user root --textfile /var/lib/prometheus/node-exporter"
    );
    let entry = render_job(
        &job("every = \"1h\"").jobs[0],
        &tools(true),
        Some("root"),
        "b",
    )
    .unwrap();
    let body = render_body_with(std::slice::from_ref(&entry), Some(&textfile));
    assert_eq!(parse_body(&body, true, "b").unwrap(), vec![entry.clone()]);
    assert_eq!(parse_textfile(&body, true), Some(textfile.clone()));
    let mut after = body.clone();
    after.push(entry.marker.to_line());
    after.push(entry.line.clone());
    let err = parse_body(&after, true, "b").unwrap_err().to_string();
    assert!(err.contains("follows the metrics line"), "{err}");
}

#[test]
fn a_runner_line_and_a_0_2_line_tell_themselves_apart() {
    let entry = render("every = \"5h\"");
    assert!(!entry.is_legacy());
    let text = include_str!("../../tests/fixtures/blocks-v0.2/crontab-ctprobe.txt");
    let body = crate::block::find(text, "fixture2").unwrap().unwrap();
    let old = parse_body(&body, false, "fixture2").unwrap();
    assert_eq!(old.len(), 5);
    assert!(old.iter().all(Entry::is_legacy));
    let cron_d = include_str!("../../tests/fixtures/blocks-v0.2/cron.d-fixture2.txt");
    let body = crate::block::find(cron_d, "fixture2").unwrap().unwrap();
    assert!(
        parse_body(&body, true, "fixture2")
            .unwrap()
            .iter()
            .all(Entry::is_legacy)
    );
    let parsed = parse_line(&old[0].line, false).unwrap();
    assert_eq!(
        parsed.rendered().unwrap().guard,
        parse_line(&entry.line, false)
            .unwrap()
            .rendered()
            .unwrap()
            .guard
    );
}
