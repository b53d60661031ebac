//! `crontainer exec`, the runner every installed line calls, against a fake runtime (`rt`, a
//! shell script standing in for docker or podman: `inspect` answers from `$RT_INSPECT`, `ps`
//! from `$RT_PS`, `exec` runs the command here on the host) and the clock injected with
//! `CRONTAINER_NOW`. Each test states the whole log, stdout, stderr and exit code.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::Output;

use crate::common::Env;
use crate::shared_runner::{exec_words, normalize};

/// The fake runtime. `exec -i [-u U] [-w W] [--env-file F] [-e N=V].. ID CMD...` writes its
/// words to `$RT_STATE/exec` and its pid to `$RT_STATE/client.pid`, then becomes CMD with the
/// `-e` variables in its environment (the run's mark among them), as the container's process.
pub(crate) const FAKE_RUNTIME: &str = r#"#!/bin/sh
case "$1" in
  inspect)
    for last; do :; done
    if [ -z "$RT_INSPECT" ]; then echo "Error: No such container: $last" >&2; exit 1; fi
    printf '[%s]\n' "$RT_INSPECT" ;;
  ps) printf '%s\n' "$RT_PS" ;;
  exec)
    printf '%s\n' "$@" > "$RT_STATE/exec"
    shift 2
    while :; do
      case "$1" in -e) export "$2"; shift 2 ;; -u|-w|--env-file) shift 2 ;; *) break ;; esac
    done
    shift
    echo $$ > "$RT_STATE/client.pid"
    exec "$@" ;;
  *) echo "rt: unexpected $*" >&2; exit 99 ;;
esac
"#;

/// The inspect answer for a running container `app` whose first process is `pid`.
pub(crate) fn running(pid: u32) -> String {
    format!(r#"{{"Id":"{ID}","Name":"/app","State":{{"Status":"running","Pid":{pid}}}}}"#)
}

const ID: &str = "4a1e0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0f";

pub(crate) struct Runner {
    pub(crate) env: Env,
    inspect: String,
    ps: String,
}

impl Runner {
    /// Writes `text` (a run id) into the job's lock file and holds the lock, as a run going on
    /// would, until the returned guard is dropped.
    pub(crate) fn hold_lock(&self, text: &str) -> nix::fcntl::Flock<std::fs::File> {
        std::fs::write(self.lock(), text).unwrap();
        let file = std::fs::File::open(self.lock()).unwrap();
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| e)
            .unwrap()
    }

    pub(crate) fn new() -> Runner {
        let env = Env::new();
        env.write_exe("bin/rt", FAKE_RUNTIME);
        Runner {
            env,
            // The test process stands for the container's first process: the stop then finds
            // no exec of the job in its cgroup, as for a job that already ended.
            inspect: running(std::process::id()),
            ps: String::new(),
        }
    }

    pub(crate) fn log(&self) -> PathBuf {
        self.env.path("logs/j.log")
    }

    pub(crate) fn lock(&self) -> PathBuf {
        self.env.path("logs/j.log.lock")
    }

    pub(crate) fn command(&self, flags: &[&str], argv: &[&str]) -> std::process::Command {
        let mut cmd = self.env.std_cmd(exec_words(
            &self.log(),
            &self.env.path("bin/rt"),
            flags,
            argv,
        ));
        cmd.env("RT_STATE", self.env.path("state"))
            .env("RT_INSPECT", &self.inspect)
            .env("RT_PS", &self.ps);
        cmd
    }

    pub(crate) fn run(&self, flags: &[&str], argv: &[&str]) -> Output {
        self.command(flags, argv).output().unwrap()
    }

    /// The log with each record's time, pid, run id and duration replaced by `T` or `N`.
    pub(crate) fn normalized_log(&self) -> String {
        normalize(&std::fs::read_to_string(self.log()).unwrap_or_default())
    }

    /// The exec's words, this run's mark (`CRONTAINER_MARK=MARK`, random) as
    /// `CRONTAINER_MARK=M`.
    fn exec_words(&self) -> String {
        let words = self.env.read("state/exec");
        words
            .lines()
            .map(|w| match w.strip_prefix("CRONTAINER_MARK=") {
                Some(_) => "CRONTAINER_MARK=M".to_owned(),
                None => w.to_owned(),
            })
            .map(|w| w + "\n")
            .collect()
    }

    /// What the lock file holds (the run id, then the run id and its mark), as written.
    pub(crate) fn lock_text(&self) -> String {
        std::fs::read_to_string(self.lock()).unwrap()
    }
}

#[track_caller]
pub(crate) fn assert_output(out: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(code), stdout, stderr)
    );
}

/// The pid and start second of the run the log's start line names, as `PID-EPOCH`.
fn started_run(log: &str) -> String {
    let start = log
        .lines()
        .filter_map(|l| crontainer::run_log::parse_line(l.as_bytes()))
        .find(|r| matches!(r.event, crontainer::run_log::Event::Start { .. }))
        .expect("a start line");
    crontainer::run_log::RunId::of_start(&start)
        .expect("a pid")
        .to_string()
}

#[test]
fn a_firing_streams_the_output_between_its_own_lines_and_passes_the_exit_code_on() {
    let r = Runner::new();
    let out = r.run(
        &[
            "-u",
            "app",
            "-w",
            "/w",
            "-e",
            "A=1 2",
            "--env-file",
            "/e.env",
        ],
        &[
            "app",
            "sh",
            "-c",
            "echo out; echo err >&2; printf partial; exit 3",
        ],
    );
    assert_output(&out, 3, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         out\n\
         err\n\
         partial\n\
         [crontainer] T j end exit=3 seconds=N run=N-N by=cron\n"
    );
    // By argv, with `-i`, by the container's full id, no shell added.
    assert_eq!(
        r.exec_words(),
        format!(
            "exec\n-i\n-u\napp\n-w\n/w\n--env-file\n/e.env\n-e\nA=1 2\n-e\nCRONTAINER_MARK=M\n\
             {ID}\nsh\n-c\necho out; echo err >&2; printf partial; exit 3\n"
        )
    );
    let log = std::fs::read_to_string(r.log()).unwrap();
    let run = started_run(&log);
    assert!(log.ends_with(&format!(" run={run} by=cron\n")), "{log}");
}

/// Issue 21 ("a job's output cannot forge its records"): the job is never told its run id, by
/// which the start and end lines pair, or it could print `end exit=0 run=ID` and, its runner
/// killed, pass for a run that ended well (and keep its orphan from being looked for). The exec
/// carries a random mark instead, kept on the host in the lock file's second line.
#[test]
fn the_job_is_given_a_random_mark_never_its_run_id() {
    let r = Runner::new();
    // The job copies the lock file as it is while the run goes (the fake runtime runs it on the
    // host: a container's job could not read it).
    let during = r.env.path("state/lock-during");
    let job = format!("cat '{}' > '{}'", r.lock().display(), during.display());
    let mut marks = Vec::new();
    for _ in 0..2 {
        // The log of this run alone.
        let _ = std::fs::remove_file(r.log());
        assert_output(&r.run(&[], &["app", "sh", "-c", &job]), 0, "", "");
        let run = started_run(&std::fs::read_to_string(r.log()).unwrap());
        let lock = std::fs::read_to_string(&during).unwrap();
        let mark = lock
            .strip_prefix(&format!("{run}\n{run} "))
            .and_then(|m| m.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{lock}"));
        assert!(
            mark.len() == 32 && mark.bytes().all(|b| b.is_ascii_hexdigit()),
            "{mark}"
        );
        let exec = r.env.read("state/exec");
        assert_eq!(
            exec,
            format!("exec\n-i\n-e\nCRONTAINER_MARK={mark}\n{ID}\nsh\n-c\n{job}\n")
        );
        let (pid, started) = run.split_once('-').unwrap();
        assert!(!exec.contains(pid) && !exec.contains(started), "{exec}");
        // Once the run ended, its mark goes: a mark left says the runner never finished.
        assert_eq!(r.lock_text(), format!("{run}\n"));
        marks.push(mark.to_owned());
    }
    assert_ne!(marks[0], marks[1], "each run has its own mark");
}

#[test]
fn a_firing_while_the_lock_is_held_logs_the_holders_run_and_exits_75() {
    let r = Runner::new();
    let _held = r.hold_lock("123-456\n");
    // A skipped firing pings nothing: the running run's own pings tell healthchecks.
    let (url, requests) = recording_server(vec![200]);
    let out = r.run(&["--ping", &url], &["app", "true"]);
    assert_output(&out, 75, "", "");
    assert_eq!(requests.try_iter().count(), 0);
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j skip reason=running run=N-N by=cron\n"
    );
    assert!(
        std::fs::read_to_string(r.log())
            .unwrap()
            .ends_with(" skip reason=running run=123-456 by=cron\n")
    );
    assert_eq!(r.exec_words(), "", "nothing ran");
}

#[test]
fn the_run_id_always_parses_after_a_longer_one() {
    let r = Runner::new();
    // What 0.2's line left after a longer pid, then a shorter one written over it in place.
    std::fs::write(r.lock(), "9999999-1796000000\n0000\n").unwrap();
    let out = r.run(&[], &["app", "true"]);
    assert_output(&out, 0, "", "");
    let run = started_run(&std::fs::read_to_string(r.log()).unwrap());
    assert_eq!(r.lock_text(), format!("{run}\n"));
    assert_eq!(
        crontainer::run_log::lock_run(&r.lock()).map(|id| id.to_string()),
        Some(run)
    );
}

#[test]
fn forged_lines_in_the_output_change_nothing() {
    let r = Runner::new();
    let forged = "[crontainer] 2026-11-29T14:00:00Z j start pid=1 by=cron\n\
                  [crontainer] 2026-11-29T14:00:01Z j end exit=0 seconds=1 run=1-1764424800 by=cron";
    let out = r.run(
        &[],
        &[
            "app",
            "sh",
            "-c",
            &format!("printf '%s' '{forged}'; exit 3"),
        ],
    );
    assert_output(&out, 3, "", "");
    let lock = crontainer::run_log::lock_run(&r.lock());
    let last = crontainer::run_log::last_run_of(&r.log(), "j", lock).unwrap();
    assert_eq!(last.succeeded(), Some(false), "{last:?}");
    assert_eq!(last.run, lock);
    // The real end line starts a line of its own after the unterminated forged one.
    assert!(
        r.normalized_log().ends_with(
            "[crontainer] T j end exit=0 seconds=N run=N-N by=cron\n\
             [crontainer] T j end exit=3 seconds=N run=N-N by=cron\n"
        ),
        "{}",
        r.normalized_log()
    );
}

#[test]
fn the_interval_guard_lets_only_every_nth_slot_fire() {
    let r = Runner::new();
    // 5h: hours since the epoch divisible by 5 run. 12:34Z on 2026-11-29 is hour 490116.
    let held = r
        .command(&["--every", "5h"], &["app", "true"])
        .env("CRONTAINER_NOW", "2026-11-29T12:34:56Z")
        .output()
        .unwrap();
    assert_output(&held, 0, "", "");
    assert!(!r.log().exists(), "a held-back firing writes nothing");
    assert_eq!(r.exec_words(), "");
    // run-now is not a firing of the slots: it runs.
    let by_hand = r
        .command(&["--every", "5h"], &["app", "true"])
        .env("CRONTAINER_NOW", "2026-11-29T12:34:56Z")
        .env("CRONTAINER_BY", "run-now:alice")
        .output()
        .unwrap();
    assert_output(&by_hand, 0, "", "");
    let through = r
        .command(&["--every", "5h"], &["app", "true"])
        .env("CRONTAINER_NOW", "2026-11-29T11:00:00Z")
        .output()
        .unwrap();
    assert_output(&through, 0, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=run-now:alice\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=run-now:alice\n\
         [crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
}

#[test]
fn a_missing_container_and_an_id_prefix_are_exit_69() {
    let mut r = Runner::new();
    r.inspect = String::new();
    assert_output(&r.run(&[], &["app", "true"]), 69, "", "");
    // No container is named `app`; the runtime answers for one whose id starts with `app`.
    r.inspect = r#"{"Id":"app0f00","Name":"/other","State":{"Status":"running","Pid":1}}"#.into();
    assert_output(&r.run(&[], &["app", "true"]), 69, "", "");
    r.inspect = r#"{"Id":"ab","Name":"/app","State":{"Status":"exited","Pid":0}}"#.into();
    assert_output(&r.run(&[], &["app", "true"]), 69, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         crontainer: no container is named app\n\
         [crontainer] T j end exit=69 seconds=N reason=no_container run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         crontainer: no container is named app\n\
         [crontainer] T j end exit=69 seconds=N reason=no_container run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         crontainer: container app is not running (exited)\n\
         [crontainer] T j end exit=69 seconds=N reason=no_container run=N-N by=cron\n"
    );
    assert_eq!(r.exec_words(), "", "nothing ran");
}

#[test]
fn a_compose_service_runs_in_its_own_project_never_in_a_one_off_container() {
    let mut r = Runner::new();
    r.inspect = String::new();
    // `compose run`'s container of the service, alone: there is none of the service's own.
    r.ps = "aaa/shop/web/running/shop-web-run-1/True".into();
    let service = ["--service", "web"];
    assert_output(&r.run(&service, &["true"]), 69, "", "");
    r.ps = "aaa/shop/web/running/shop-web-run-1/True\nbbb/blog/web/running/blog-web-1/False\n\
            ccc/shop/web/running/shop-web-1/False"
        .into();
    assert_output(&r.run(&service, &["true"]), 78, "", "");
    assert_output(
        &r.run(&["--service", "web", "--project", "shop"], &["true"]),
        0,
        "",
        "",
    );
    assert_eq!(
        r.exec_words(),
        "exec\n-i\n-e\nCRONTAINER_MARK=M\nccc\ntrue\n"
    );
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         crontainer: service web has no running container (each firing fails with exit 69)\n\
         [crontainer] T j end exit=69 seconds=N reason=no_container run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         crontainer: service web runs in several Compose projects (blog, shop): each firing \
         fails with exit 78 until the job sets `project`\n\
         [crontainer] T j end exit=78 seconds=N reason=several_projects run=N-N by=cron\n\
         [crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=cron\n"
    );
}

/// Waits (without a time limit of its own: the test harness has one) for the fake client's pid.
pub(crate) fn client_pid(r: &Runner) -> i32 {
    loop {
        if let Ok(text) = std::fs::read_to_string(r.env.path("state/client.pid")) {
            if let Ok(pid) = text.trim().parse() {
                return pid;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn sigterm_to_the_exec_client_is_not_read_as_success() {
    let r = Runner::new();
    let child = r.command(&[], &["app", "sleep", "60"]).spawn().unwrap();
    let client = client_pid(&r);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(client),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_output(&out, 143, "", "");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=143 seconds=N reason=client_gone signal=TERM run=N-N by=cron\n"
    );
}

/// SIGINT (Ctrl-C), SIGTERM (cron or `systemctl stop`) and SIGHUP (a closed terminal) to the
/// runner each stop the run, client included, and the end line names the signal.
#[test]
fn a_signal_to_the_runner_stops_the_run_and_says_so() {
    use nix::sys::signal::Signal;
    for (signal, name) in [
        (Signal::SIGINT, "INT"),
        (Signal::SIGTERM, "TERM"),
        (Signal::SIGHUP, "HUP"),
    ] {
        let r = Runner::new();
        let child = r.command(&[], &["app", "sleep", "60"]).spawn().unwrap();
        let client = client_pid(&r);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
            signal,
        )
        .unwrap();
        let out = child.wait_with_output().unwrap();
        let code = 128 + signal as i32;
        assert_output(&out, code, "", "");
        assert_eq!(
            r.normalized_log(),
            format!(
                "[crontainer] T j start pid=N by=cron\n\
                 [crontainer] T j end exit={code} seconds=N reason=interrupted signal={name} \
                 run=N-N by=cron\n"
            ),
            "{name}"
        );
        // The client went too.
        assert_eq!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(client), None),
            Err(nix::errno::Errno::ESRCH),
            "{name}"
        );
    }
}

#[test]
fn two_boots_in_one_slot_catch_up_once_and_a_slot_before_the_install_is_not_missed() {
    let r = Runner::new();
    // Yearly at midnight on January 1st; installed in 2020: the 2021.. slots were due.
    let yearly = [
        "--catch-up",
        "--schedule",
        "0 0 1 1 *",
        "--since",
        "2020-06-01T00:00:00Z",
    ];
    assert_output(&r.run(&yearly, &["app", "echo", "caught up"]), 0, "", "");
    let first = r.lock_text();
    assert_output(&r.run(&yearly, &["app", "echo", "again"]), 0, "", "");
    assert_eq!(r.lock_text(), first, "the second boot started no run");
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=catch-up\n\
         caught up\n\
         [crontainer] T j end exit=0 seconds=N run=N-N by=catch-up\n\
         [crontainer] T j skip reason=no-missed-slot run=N-N by=catch-up\n"
    );
    let log = std::fs::read_to_string(r.log()).unwrap();
    let run = first.lines().next().unwrap();
    assert!(log.ends_with(&format!(" run={run} by=catch-up\n")));

    // Installed after the last slot (now is 2026-11-29 for the tests): nothing was missed.
    let late = Runner::new();
    let since = [
        "--catch-up",
        "--schedule",
        "0 0 1 1 *",
        "--since",
        "2026-06-01T00:00:00Z",
    ];
    assert_output(&late.run(&since, &["app", "echo", "no"]), 0, "", "");
    assert_eq!(
        late.normalized_log(),
        "[crontainer] T j skip reason=no-missed-slot by=catch-up\n"
    );
}

/// A recording HTTP server on 127.0.0.1: answers each request (one per connection) with the
/// next status of `statuses`, and sends back what it got.
fn recording_server(statuses: Vec<u16>) -> (String, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ping/k", listener.local_addr().unwrap());
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (stream, status) in listener.incoming().zip(statuses) {
            let mut stream = stream.unwrap();
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let n = stream.read(&mut buf).unwrap();
                data.extend_from_slice(&buf[..n]);
                if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..at]).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while data.len() < at + 4 + length {
                        let n = stream.read(&mut buf).unwrap();
                        assert!(n > 0, "the body ended early");
                        data.extend_from_slice(&buf[..n]);
                    }
                    break (head, data[at + 4..at + 4 + length].to_vec());
                }
                assert!(n > 0, "the request ended early");
            };
            let line = head.lines().next().unwrap_or_default().to_owned();
            // Recorded before the answer: the runner cannot end before the test can see it.
            sent.send((line, body)).unwrap();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
            )
            .unwrap();
        }
    });
    (url, received)
}

#[test]
fn pings_follow_the_healthchecks_protocol_and_retry_a_5xx() {
    let r = Runner::new();
    let (url, requests) = recording_server(vec![200, 503, 200]);
    let out = r.run(
        &["--ping", &url],
        &["app", "sh", "-c", "echo why it failed; exit 3"],
    );
    assert_output(&out, 3, "", "");
    let got: Vec<(String, Vec<u8>)> = requests.try_iter().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    let rid = got[0]
        .0
        .split("rid=")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .to_owned();
    assert_eq!(rid.len(), 36, "{rid}");
    assert_eq!(
        got,
        [
            (format!("POST /ping/k/start?rid={rid} HTTP/1.1"), Vec::new()),
            (
                format!("POST /ping/k/3?rid={rid} HTTP/1.1"),
                b"why it failed\n".to_vec()
            ),
            (
                format!("POST /ping/k/3?rid={rid} HTTP/1.1"),
                b"why it failed\n".to_vec()
            ),
        ]
    );
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         why it failed\n\
         [crontainer] T j end exit=3 seconds=N ping=ok run=N-N by=cron\n"
    );
}

#[test]
fn a_ping_that_keeps_failing_is_said_on_the_end_line_and_changes_no_exit_code() {
    let r = Runner::new();
    let (url, requests) = recording_server(vec![200, 500, 500]);
    let out = r.run(&["--ping", &url], &["app", "true"]);
    assert_output(&out, 0, "", "");
    assert_eq!(
        requests.try_iter().count(),
        3,
        "the start, and two tries of the end"
    );
    assert_eq!(
        r.normalized_log(),
        "[crontainer] T j start pid=N by=cron\n\
         [crontainer] T j end exit=0 seconds=N ping=failed run=N-N by=cron\n"
    );
}

#[test]
fn status_says_how_the_runner_ended_a_run() {
    let env = Env::new();
    let config = env.simple_config("");
    crate::common::ok(env.cmd(["install", "-c"]).arg(&config));
    let log = env.path("logs/main.log");
    let at = "2026-11-29T12:00:00Z".parse::<jiff::Timestamp>().unwrap();
    let run = format!("4242-{}", at.as_second());
    std::fs::write(
        &log,
        format!(
            "[crontainer] 2026-11-29T12:00:00Z main_pipeline_v2 start pid=4242 by=cron\n\
             [crontainer] 2026-11-29T12:00:02Z main_pipeline_v2 end exit=130 seconds=2 \
             reason=interrupted signal=INT run={run} by=cron\n"
        ),
    )
    .unwrap();
    std::fs::write(env.path("logs/main.log.lock"), format!("{run}\n")).unwrap();
    let output = env
        .cmd(["status", "--json", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&output.stdout)).unwrap();
    let job = &doc["jobs"][0];
    assert_eq!(
        job["problems"],
        serde_json::json!(["the last run failed (exit 130, took 2s, interrupted by SIGINT)"])
    );
    assert_eq!(job["last_run"]["ended"]["event"]["reason"], "interrupted");
    assert_eq!(job["last_run"]["ended"]["event"]["signal"], "INT");
}
