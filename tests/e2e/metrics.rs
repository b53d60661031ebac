//! `crontainer metrics` end to end: a job run for real in a Docker container (`run-now`), its
//! gauges written with `--textfile` into the directory of a real node_exporter (Debian's
//! `prometheus-node-exporter`, started here on 127.0.0.1), scraped over HTTP with curl, carry the
//! run's logged values; and Prometheus' own `promtool check metrics` accepts what `metrics` prints.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`, which installs node_exporter,
//! promtool and curl); run with `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{
    self, Container, CronDGuard, Crontainer, NEVER, POLL, TEST_USER, UserDir, cmd, cron_d_config,
    job_toml, log_lines, path_str, read_log, wait_until,
};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
const PROMTOOL: &str = "/usr/bin/promtool";

/// A node_exporter of our own, listening on 127.0.0.1 only, with nothing but the textfile
/// collector; killed when dropped, so no process outlives the test.
struct NodeExporter {
    child: Child,
    port: u16,
}

impl NodeExporter {
    /// Starts one reading `dir`, and waits (bounded) until it answers.
    fn start(dir: &Path) -> NodeExporter {
        // A port the kernel just handed out and we released: unused, short of a race with
        // another program binding it in between (then node_exporter exits and we say so).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(NODE_EXPORTER)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!("--collector.textfile.directory={}", dir.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {NODE_EXPORTER}: {e} (run provision-e2e)"));
        let mut exporter = NodeExporter { child, port };
        let up = wait_until(Duration::from_secs(15), POLL, || {
            exporter.child.try_wait().ok().flatten().is_some() || exporter.get().is_some()
        });
        assert!(
            up && exporter.child.try_wait().ok().flatten().is_none(),
            "node_exporter on 127.0.0.1:{port} did not answer within 15 s"
        );
        exporter
    }

    /// One scrape of /metrics with curl, or None while it does not answer.
    fn get(&self) -> Option<String> {
        let out = cmd::output(Command::new("curl").args([
            "-sS",
            "--fail",
            "--max-time",
            "5",
            &format!("http://127.0.0.1:{}/metrics", self.port),
        ]));
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample of `name` whose labels include `job="ID"`, as node_exporter serves it
/// (it sorts labels and writes large numbers as `1.7e+09`, so compare numbers, not text).
#[track_caller]
fn sample(scrape: &str, name: &str, job: &str) -> f64 {
    let label = format!("job=\"{job}\"");
    scrape
        .lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} for {job} in the scrape:\n{scrape}"))
}

fn unix_seconds(time: &str) -> f64 {
    time.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{time}: {e}"))
        .as_second() as f64
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn node_exporter_serves_the_gauges_of_a_real_run_and_promtool_accepts_them() {
    support::require_provisioned();
    for program in [NODE_EXPORTER, PROMTOOL] {
        assert!(
            Path::new(program).exists(),
            "{program} is missing: run `sudo scripts/provision-e2e`"
        );
    }
    let container = Container::start();
    let dir = UserDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let log = dir.join("metered.log");
    let config = tool.config(&cron_d_config(
        file.name(),
        Some(TEST_USER),
        &job_toml(
            "metered",
            container.name(),
            &log,
            NEVER,
            "env = { EXIT_CODE = \"4\", SLEEP_SECONDS = \"1\" }",
        ),
    ));
    tool.expect(["install", "-c", path_str(&config)], 0);
    tool.expect(["run-now", "metered", "-c", path_str(&config)], 4);
    let lines = log_lines(&log, "metered");
    let start = lines.iter().find(|l| l.event == "start").expect("a start");
    let end = lines.iter().find(|l| l.event == "end").expect("an end");
    assert_eq!(end.field("exit"), "4", "log:\n{}", read_log(&log));

    // What `metrics` prints passes Prometheus' own checker (format and naming lints).
    let printed = tool.expect(["metrics", "-c", path_str(&config)], 0);
    let mut promtool = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    std::io::Write::write_all(promtool.stdin.as_mut().unwrap(), &printed.stdout).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics refused:\n{}{}\n--- the text:\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr),
        String::from_utf8_lossy(&printed.stdout)
    );

    let textfiles = tempfile::Builder::new()
        .prefix("crontainer-e2e-textfile-")
        .tempdir()
        .unwrap();
    tool.expect(
        [
            "metrics",
            "--textfile",
            path_str(textfiles.path()),
            "-c",
            path_str(&config),
        ],
        0,
    );
    let exporter = NodeExporter::start(textfiles.path());
    let scrape = exporter.get().expect("a scrape");
    // node_exporter parsed the file: a bad one sets this to 1 and serves none of its samples.
    assert!(
        scrape.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "{scrape}"
    );
    let value = |name: &str| sample(&scrape, name, "metered");
    assert_eq!(
        value("crontainer_job_last_start_timestamp_seconds"),
        unix_seconds(&start.time)
    );
    assert_eq!(
        value("crontainer_job_last_end_timestamp_seconds"),
        unix_seconds(&end.time)
    );
    assert_eq!(value("crontainer_job_last_exit_code"), 4.0);
    let seconds: f64 = end.field("seconds").parse().unwrap();
    assert!(seconds >= 1.0, "the job slept a second: {end:?}");
    assert_eq!(value("crontainer_job_last_duration_seconds"), seconds);
    assert_eq!(value("crontainer_job_running"), 0.0);
    assert_eq!(value("crontainer_job_paused"), 0.0);
    assert_eq!(value("crontainer_job_healthy"), 0.0, "the run failed");
    assert!(
        !scrape.contains("crontainer_job_last_success_timestamp_seconds{"),
        "no success yet: {scrape}"
    );
    let block = format!("block=\"{}\"", file.name());
    assert!(
        scrape
            .lines()
            .any(|l| l.starts_with("crontainer_job_last_exit_code{") && l.contains(&block)),
        "the block label: {scrape}"
    );
    drop(exporter);
    tool.expect(["uninstall", "-c", path_str(&config)], 0);
}

/// Issue 25, items 1 and 2: a root block in /etc/cron.d and a user's block in their crontab,
/// both named alike and both holding a job `same`, refreshed into node_exporter's one
/// directory: each block keeps its own file, node_exporter serves both without a parse error or
/// a duplicate series, and the labels tell them apart.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn a_root_block_and_a_users_block_share_node_exporters_directory() {
    support::require_provisioned();
    let crontab = support::TestCrontab::acquire();
    crontab.write("");
    let dir = UserDir::new();
    let root_logs = support::RootDir::new();
    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let name = file.name().to_string();
    let root_config = tool.config(&cron_d_config(
        &name,
        None,
        &job_toml(
            "same",
            "no-such-container",
            &root_logs.join("root.log"),
            NEVER,
            "",
        ),
    ));
    let user_config = tool.config(&format!(
        "[cron]\ntarget = \"crontab\"\nuser = \"{TEST_USER}\"\nname = \"{name}\"\n\n\
             [defaults]\nruntime = \"docker\"\n\n{}",
        job_toml(
            "same",
            "no-such-container",
            &dir.join("user.log"),
            NEVER,
            ""
        )
    ));
    tool.expect(["install", "-c", path_str(&root_config)], 0);
    tool.expect(["install", "-c", path_str(&user_config)], 0);

    let textfiles = tempfile::Builder::new()
        .prefix("crontainer-e2e-textfile-")
        .tempdir()
        .unwrap();
    let textfile = path_str(textfiles.path());
    for args in [
        ["--target", "cron.d", "--user", "root"],
        ["--target", "crontab", "--user", TEST_USER],
    ] {
        tool.expect(
            ["metrics", "-q", "--name", &name, "--textfile", textfile]
                .into_iter()
                .chain(args),
            0,
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(textfiles.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("crontainer-crond+{name}.prom"),
            format!("crontainer-crontab-{TEST_USER}+{name}.prom")
        ]
    );

    let exporter = NodeExporter::start(textfiles.path());
    let scrape = exporter.get().expect("a scrape");
    assert!(
        scrape.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "{scrape}"
    );
    // node_exporter sorts the labels; both series are served, told apart by target and user.
    let mut damaged: Vec<&str> = scrape
        .lines()
        .filter(|l| l.starts_with("crontainer_block_damaged{") && l.contains(&name))
        .collect();
    damaged.sort();
    assert_eq!(
        damaged,
        [
            format!(
                "crontainer_block_damaged{{block=\"{name}\",target=\"cron.d\",user=\"root\"}} 0"
            ),
            format!(
                "crontainer_block_damaged{{block=\"{name}\",target=\"crontab\",user=\"{TEST_USER}\"}} 0"
            ),
        ]
    );
    let running: Vec<&str> = scrape
        .lines()
        .filter(|l| l.starts_with("crontainer_job_running{") && l.contains(&name))
        .collect();
    assert_eq!(running.len(), 2, "{scrape}");
    drop(exporter);

    // Uninstalling the user's block takes nothing of root's.
    tool.expect(["uninstall", "-c", path_str(&user_config)], 0);
    tool.expect(["uninstall", "-c", path_str(&root_config)], 0);
    drop(crontab);
}
