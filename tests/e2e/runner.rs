//! `crontainer exec`, the runner every installed line calls, run directly against real Docker
//! and rootful Podman: one list of scenarios, run once per engine (as ripgrep's `rgtest!` runs a
//! test per regex engine). Containers are of the shell-less image (`support::Bare`).
//!
//! Needs a provisioned machine; run with `cargo test -- --include-ignored` as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::shared_runner::{exec_words, normalize};
use crate::support::{self, Bare, cmd, docker, podman, random_suffix, require_bare_image};

/// One job's log in a temp dir, and `crontainer exec` for it.
pub(crate) struct Job {
    pub(crate) dir: tempfile::TempDir,
    runtime: &'static Path,
}

impl Job {
    pub(crate) fn new(runtime: &'static Path) -> Job {
        Job {
            dir: tempfile::tempdir().unwrap(),
            runtime,
        }
    }

    pub(crate) fn log(&self) -> PathBuf {
        self.dir.path().join("j.log")
    }

    pub(crate) fn command(&self, flags: &[&str], argv: &[&str]) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("crontainer"));
        c.args(exec_words(&self.log(), self.runtime, flags, argv))
            .env_remove("CRONTAINER_BY")
            .env_remove("CRONTAINER_NOW")
            // The run history of the test's own, never root's /var/lib/crontainer/history.
            .env("CRONTAINER_HISTORY_DIR", self.dir.path().join("history"));
        c
    }

    pub(crate) fn run(&self, flags: &[&str], argv: &[&str]) -> Output {
        cmd::output(&mut self.command(flags, argv))
    }

    /// The log, each record's time, pid, run id and duration replaced by `T`, `N` or `N-N`.
    pub(crate) fn normalized_log(&self) -> String {
        normalize(&std::fs::read_to_string(self.log()).unwrap_or_default())
    }
}

#[track_caller]
pub(crate) fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (Some(code), String::new(), String::new())
    );
}

/// Waits until `what` is among the container's processes.
pub(crate) fn wait_for_process(container: &Bare, what: &str) {
    let seen = support::wait_until(std::time::Duration::from_secs(30), support::POLL, || {
        container.processes().contains(what)
    });
    assert!(seen, "{what} never ran in {}", container.name);
}

// --- the scenarios, each run once per engine -------------------------------------------------

fn runs_by_argv_in_a_shell_less_container(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    assert_exit(
        &job.run(
            &[],
            &[&container.name, "/bin/busybox", "echo", "a  b", "$HOME"],
        ),
        0,
    );
    assert_exit(
        &job.run(&[], &[&container.name, "/bin/busybox", "false"]),
        1,
    );
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         a  b $HOME\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=1 seconds=N run=N-N by=cron\n"
    );
}

fn a_timeout_stops_the_job_inside_a_shell_less_container(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    let out = job.run(
        &["--timeout", "2s"],
        &[&container.name, "/bin/busybox", "sleep", "301"],
    );
    assert_exit(&out, 124);
    assert_eq!(
        job.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=124 seconds=N timeout=2 reason=timeout run=N-N by=cron\n"
    );
    let left = container.processes();
    assert!(!left.contains("sleep 301"), "still running:\n{left}");
}

fn a_signal_to_the_runner_stops_the_job_inside(
    runtime: &'static Path,
    signal: nix::sys::signal::Signal,
) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    let child = job
        .command(&[], &[&container.name, "/bin/busybox", "sleep", "302"])
        .spawn()
        .unwrap();
    wait_for_process(&container, "sleep 302");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        signal,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 128 + signal as i32);
    let name = signal.as_str().trim_start_matches("SIG");
    assert_eq!(
        job.normalized_log(),
        format!(
            "[crontainer] T j start pid=N by=cron\n\
             [crontainer] T j end exit={} seconds=N reason=interrupted signal={name} run=N-N \
             by=cron\n",
            128 + signal as i32
        )
    );
    let left = container.processes();
    assert!(!left.contains("sleep 302"), "still running:\n{left}");
}

fn sigint_stops_the_job_inside(runtime: &'static Path) {
    a_signal_to_the_runner_stops_the_job_inside(runtime, nix::sys::signal::Signal::SIGINT);
}

fn sigterm_stops_the_job_inside(runtime: &'static Path) {
    a_signal_to_the_runner_stops_the_job_inside(runtime, nix::sys::signal::Signal::SIGTERM);
}

/// The runtime client the runner `runner` started (its only child).
fn client_of(runner: u32) -> i32 {
    let children = std::fs::read_to_string(format!("/proc/{runner}/task/{runner}/children"))
        .expect("the runner's children");
    children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the runner has started its client")
}

fn sigterm_to_the_client_alone_is_no_success(runtime: &'static Path) {
    let container = Bare::start(runtime);
    let job = Job::new(runtime);
    let child = job
        .command(&[], &[&container.name, "/bin/busybox", "sleep", "303"])
        .spawn()
        .unwrap();
    wait_for_process(&container, "sleep 303");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(client_of(child.id())),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 143);
    // Docker's 20.10 client dies of the signal; Podman's exits, leaving the job running.
    let how = if runtime == docker() {
        "reason=client_gone signal=TERM"
    } else {
        "reason=client_gone"
    };
    assert_eq!(
        job.normalized_log(),
        format!(
            "[crontainer] T j start pid=N by=cron\n\
             [crontainer] T j end exit=143 seconds=N {how} run=N-N by=cron\n"
        )
    );
    let left = container.processes();
    assert!(!left.contains("sleep 303"), "still running:\n{left}");
}

/// A scenario, given the runtime to run on.
pub(crate) type Scenario = fn(&'static Path);

const SCENARIOS: &[(&str, Scenario)] = &[
    (
        "shell-less container",
        runs_by_argv_in_a_shell_less_container,
    ),
    (
        "timeout",
        a_timeout_stops_the_job_inside_a_shell_less_container,
    ),
    ("SIGINT", sigint_stops_the_job_inside),
    ("SIGTERM", sigterm_stops_the_job_inside),
    (
        "SIGTERM to the client",
        sigterm_to_the_client_alone_is_no_success,
    ),
];

/// Runs every scenario against `runtime`, each on a thread of its own, naming every failure.
pub(crate) fn run_all(runtime: &'static Path, scenarios: &'static [(&'static str, Scenario)]) {
    support::run_each(
        scenarios
            .iter()
            .map(|&(name, scenario)| (name, move || scenario(runtime))),
    );
}

#[test]
#[ignore = "needs root and docker: see README"]
fn the_runner_on_docker() {
    support::require_provisioned();
    require_bare_image(docker());
    run_all(docker(), SCENARIOS);
}

#[test]
#[ignore = "needs root and podman: see README"]
fn the_runner_on_podman() {
    support::require_provisioned_podman();
    require_bare_image(podman());
    run_all(podman(), SCENARIOS);
}

// --- pings --------------------------------------------------------------------------------------

/// A recording HTTP(S) server on 127.0.0.1 (Python's, with `ssl` for https): it appends each
/// request's path and body length to a file and answers 200. Killed when dropped.
struct PingServer {
    child: std::process::Child,
    port: u16,
    record: PathBuf,
    _dir: tempfile::TempDir,
}

const SERVER: &str = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[1], 'a') as f:
            f.write('%s %d\n' % (self.path.split('?')[0], len(body)))
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'OK')
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), H)
if len(sys.argv) > 2:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl PingServer {
    fn start(tls: Option<(&Path, &Path)>) -> PingServer {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("requests");
        let mut python = Command::new("/usr/bin/python3");
        python.arg("-c").arg(SERVER).arg(&record);
        if let Some((cert, key)) = tls {
            python.arg(cert).arg(key);
        }
        let mut child = python
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 for the ping server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        PingServer {
            child,
            port: line.trim().parse().expect("the server's port"),
            record,
            _dir: dir,
        }
    }

    fn requests(&self) -> String {
        std::fs::read_to_string(&self.record).unwrap_or_default()
    }
}

impl Drop for PingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA added to the host's store with `update-ca-certificates`, and a server
/// certificate for 127.0.0.1 it signed; taken out of the store again when dropped.
struct PrivateCa {
    dir: tempfile::TempDir,
    installed: PathBuf,
}

impl PrivateCa {
    fn new() -> PrivateCa {
        let dir = tempfile::tempdir().unwrap();
        let p = |f: &str| dir.path().join(f);
        let openssl = |args: &[&str]| {
            cmd::run(Command::new("openssl").current_dir(dir.path()).args(args));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=crontainer-e2e test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(p("ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext",
            "-out",
            "server.crt",
        ]);
        let installed = PathBuf::from(format!(
            "/usr/local/share/ca-certificates/crontainer-e2e-{}-{}.crt",
            std::process::id(),
            random_suffix()
        ));
        std::fs::copy(p("ca.crt"), &installed).unwrap();
        cmd::run(&mut Command::new("update-ca-certificates"));
        PrivateCa { dir, installed }
    }
}

impl Drop for PrivateCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.installed);
        let _ = cmd::output(&mut Command::new("update-ca-certificates"));
    }
}

#[test]
#[ignore = "needs root and docker: see README"]
fn pings_reach_a_local_server_over_http_and_over_https_through_a_private_ca() {
    support::require_provisioned();
    require_bare_image(docker());
    let container = Bare::start(docker());
    let ca = PrivateCa::new();
    let plain = PingServer::start(None);
    let tls = PingServer::start(Some((
        &ca.dir.path().join("server.crt"),
        &ca.dir.path().join("server.key"),
    )));
    for (server, scheme) in [(&plain, "http"), (&tls, "https")] {
        let job = Job::new(docker());
        let url = format!("{scheme}://127.0.0.1:{}/ping/k", server.port);
        let out = job.run(
            &["--ping", &url],
            &[
                &container.name,
                "/bin/busybox",
                "sh",
                "-c",
                "echo twelve bytes; exit 4",
            ],
        );
        assert_exit(&out, 4);
        assert_eq!(
            server.requests(),
            "/ping/k/start 0\n/ping/k/4 13\n",
            "{scheme}"
        );
        assert_eq!(
            job.normalized_log(),
            "[crontainer] T j start pid=N by=cron\n\
             twelve bytes\n\
             [crontainer] T j end exit=4 seconds=N ping=ok run=N-N by=cron\n",
            "{scheme}"
        );
    }
}
