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
        Self::start_as(dir, None)
    }

    /// Starts one as `user` (Debian's package runs it as `prometheus`), through setpriv, which
    /// execs: the child is node_exporter itself, so dropping it kills node_exporter.
    fn start_as(dir: &Path, user: Option<&str>) -> NodeExporter {
        // A port the kernel just handed out and we released: unused, short of a race with
        // another program binding it in between (then node_exporter exits and we say so).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut command = match user {
            Some(user) => {
                let mut command = Command::new("/usr/bin/setpriv");
                command
                    .arg(format!("--reuid={user}"))
                    .arg(format!("--regid={user}"))
                    .arg("--init-groups")
                    .arg(NODE_EXPORTER);
                command
            }
            None => Command::new(NODE_EXPORTER),
        };
        let child = command
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

    // The README's host-wide refresh (root's crontab, `--all-users`) writes the same two files
    // (among those of every other block on this host, other tests' included).
    let host_wide = tempfile::Builder::new()
        .prefix("crontainer-e2e-textfile-")
        .tempdir()
        .unwrap();
    let out = tool.output([
        "metrics",
        "-q",
        "--all-users",
        "--textfile",
        path_str(host_wide.path()),
    ]);
    for name in &names {
        let text = std::fs::read_to_string(host_wide.path().join(name)).unwrap_or_else(|e| {
            panic!(
                "--all-users wrote no {name} ({e}): exit {:?}, stderr:\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let damaged: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("crontainer_block_damaged{"))
            .collect();
        assert_eq!(damaged.len(), 1, "{name}:\n{text}");
        assert!(damaged[0].ends_with("} 0"), "{name}:\n{text}");
    }

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

/// The README's "Monitoring and alerts" on Debian with the prometheus-node-exporter package: its
/// node_exporter reads `/var/lib/prometheus/node-exporter` unless told otherwise, and, running as
/// the package's `prometheus` user, serves the file root's refresh writes (0644, in a directory
/// only root writes). Whether root accepts that very directory (its parent is the `prometheus`
/// account's) is the system-account rule of `host`, tested with it.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn debians_node_exporter_reads_the_readme_directory_and_serves_roots_file_as_prometheus() {
    support::require_provisioned();
    let help = cmd::output(Command::new(NODE_EXPORTER).arg("--help"));
    let help = format!(
        "{}{}",
        String::from_utf8_lossy(&help.stdout),
        String::from_utf8_lossy(&help.stderr)
    );
    assert!(
        help.contains("--collector.textfile.directory=\"/var/lib/prometheus/node-exporter\""),
        "the package's default textfile directory is not the README's:\n{help}"
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("textfile_dir = \"/var/lib/prometheus/node-exporter\""));

    let tool = Crontainer::new();
    let file = CronDGuard::new();
    let logs = support::RootDir::new();
    let config = tool.config(&cron_d_config(
        file.name(),
        None,
        &job_toml(
            "metered",
            "no-such-container",
            &logs.join("m.log"),
            NEVER,
            "",
        ),
    ));
    tool.expect(["install", "-q", "-c", path_str(&config)], 0);
    // A directory like Debian's: root's, 0755.
    let textfiles = tempfile::Builder::new()
        .prefix("crontainer-e2e-textfile-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        textfiles.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    tool.expect(
        [
            "metrics",
            "-q",
            "--textfile",
            path_str(textfiles.path()),
            "-c",
            path_str(&config),
        ],
        0,
    );
    let exporter = NodeExporter::start_as(textfiles.path(), Some("prometheus"));
    let scrape = exporter.get().expect("a scrape");
    assert!(
        scrape.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "{scrape}"
    );
    assert_eq!(sample(&scrape, "crontainer_job_running", "metered"), 0.0);
    // The staleness alert's `file` label matches the block's file.
    let mtime = scrape
        .lines()
        .find(|l| l.starts_with("node_textfile_mtime_seconds{"))
        .unwrap_or_else(|| panic!("no mtime: {scrape}"));
    assert!(
        mtime.contains(&format!("crontainer-crond+{}.prom", file.name())),
        "{mtime}"
    );
    drop(exporter);
    tool.expect(["uninstall", "-q", "-c", path_str(&config)], 0);
}

/// The README's alert rules, as printed there: promtool accepts them, and its rule tests fire
/// `CrontainerJobUnhealthy` for a damaged block (`crontainer_block_damaged 1`, no job series)
/// and `CrontainerMetricsStale` for a block's file that stopped being refreshed.
#[test]
#[ignore = "needs root, cron and docker: see README"]
fn the_readmes_alert_rules_fire_for_a_damaged_block_and_a_stale_file() {
    support::require_provisioned();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rules = readme
        .split("```yaml\n")
        .find(|block| block.starts_with("groups:\n  - name: crontainer\n"))
        .and_then(|block| block.split("```").next())
        .expect("the README's alert rules");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), rules).unwrap();
    let file = "/var/lib/prometheus/node-exporter/crontainer-crond+nightly.prom";
    std::fs::write(
        dir.path().join("test.yml"),
        format!(
            r#"rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'crontainer_block_damaged{{block="nightly",target="cron.d",user="root",instance="h"}}'
        values: '1x20'
      - series: 'node_textfile_mtime_seconds{{file="{file}",instance="h"}}'
        values: '0x20'
      - series: 'crontainer_job_healthy{{exported_job="backup",block="app",target="crontab",user="deploy",instance="h"}}'
        values: '0x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: CrontainerJobUnhealthy
        exp_alerts:
          - exp_labels: {{block: nightly, target: cron.d, user: root, instance: h}}
            exp_annotations:
              summary: "crontainer block nightly on h is unhealthy: run `crontainer status`"
          - exp_labels: {{exported_job: backup, block: app, target: crontab, user: deploy, instance: h}}
            exp_annotations:
              summary: "crontainer block app, job backup on h is unhealthy: run `crontainer status`"
      - eval_time: 15m
        alertname: CrontainerMetricsStale
        exp_alerts:
          - exp_labels: {{file: "{file}", instance: h}}
            exp_annotations:
              summary: "crontainer's metrics on h are not refreshed"
"#
        ),
    )
    .unwrap();
    for args in [
        &["check", "rules", "rules.yml"][..],
        &["test", "rules", "test.yml"],
    ] {
        let out = cmd::output(Command::new(PROMTOOL).args(args).current_dir(dir.path()));
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
