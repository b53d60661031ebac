//! The Ansible module (`ansible/library/crontainer.py`) run by the real `ansible-core` against
//! localhost with the local connection, on a uniquely named /etc/cron.d file whose lines run as
//! the test user (not the test user's crontab: holding it for the ~10 playbook runs would make
//! every crontab test wait): install (changed), again (ok),
//! `--check` (nothing written), `state: absent`, a bad config (the task fails with crontainer's
//! message); `target: systemd` against a fake systemctl; the documentation against the argument
//! spec; and `ansible-lint` on the shipped example playbook.
//!
//! ansible-core and ansible-lint come from PyPI, in a venv `.ci/run` creates and names in
//! `CRONTAINER_ANSIBLE_VENV`. Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, CronDGuard, Crontainer, NEVER, TEST_USER, UserDir, cmd, path_str};

/// Set by `.ci/run` to the venv holding ansible-core and ansible-lint.
const VENV_VAR: &str = "CRONTAINER_ANSIBLE_VENV";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's `bin` directory, or a failure that says how to make one.
fn venv_bin() -> PathBuf {
    let venv = std::env::var_os(VENV_VAR).unwrap_or_else(|| {
        panic!(
            "{VENV_VAR} is not set: it names the venv with ansible-core and ansible-lint that \
             .ci/run creates (run .ci/run, or: python3 -m venv /opt/crontainer-ci-venv && \
             /opt/crontainer-ci-venv/bin/pip install ansible-core ansible-lint, then \
             {VENV_VAR}=/opt/crontainer-ci-venv cargo test --test e2e -- --include-ignored ansible)"
        )
    });
    let bin = PathBuf::from(venv).join("bin");
    for tool in ["ansible-playbook", "ansible-lint"] {
        assert!(
            bin.join(tool).is_file(),
            "{VENV_VAR}={}: no {tool} in it; pip install ansible-core ansible-lint there",
            bin.parent().unwrap_or(&bin).display()
        );
    }
    bin
}

/// The playbook the tests run: one task of the module, every option from the extra vars.
const PLAYBOOK: &str = r#"---
- name: Crontainer module test
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Crontainer jobs
      crontainer:
        config: "{{ config }}"
        content: "{{ content }}"
        state: "{{ state }}"
        target: "{{ target }}"
        user: "{{ cron_user }}"
        executable: "{{ executable }}"
"#;

/// One way to run the playbook: in a temp dir (so no stray `ansible.cfg` is read), with the
/// module on the library path and crontainer's state kept in the test's temp dirs.
struct Ansible {
    bin: PathBuf,
    tool: Crontainer,
    playbook: PathBuf,
    config: PathBuf,
    /// The module's `target`.
    target: &'static str,
    /// A directory put first on the module's PATH (fake programs), and variables for it.
    fake_bin: Option<PathBuf>,
    env: Vec<(&'static str, String)>,
}

impl Ansible {
    fn new(bin: PathBuf) -> Ansible {
        let tool = Crontainer::new();
        let playbook = tool.dir().join("playbook.yml");
        std::fs::write(&playbook, PLAYBOOK).expect("write the playbook");
        let config = tool.dir().join("managed").join("crontainer.toml");
        std::fs::create_dir(config.parent().expect("a parent")).expect("config dir");
        Ansible {
            bin,
            tool,
            playbook,
            config,
            target: "cron.d",
            fake_bin: None,
            env: Vec::new(),
        }
    }

    /// With `target: systemd`, the units in a directory of the test's own
    /// (`CRONTAINER_SYSTEMD_DIR`) and a fake `systemctl` first on the module's PATH, which logs
    /// its calls to `systemctl-calls` beside it and answers `is-system-running` with
    /// $FAKE_SYSTEMD_STATE: the module's side of the target, not systemd's (tests/e2e/systemd.rs
    /// runs the real one).
    fn systemd(bin: PathBuf) -> Ansible {
        let mut ansible = Ansible::new(bin);
        let fake_bin = ansible.tool.dir().join("fake-bin");
        std::fs::create_dir(&fake_bin).expect("fake bin dir");
        let systemctl = fake_bin.join("systemctl");
        std::fs::write(&systemctl, FAKE_SYSTEMCTL).expect("write the fake systemctl");
        std::fs::set_permissions(&systemctl, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the fake systemctl");
        ansible.target = "systemd";
        ansible.env = vec![(
            "CRONTAINER_SYSTEMD_DIR",
            path_str(&ansible.units_dir()).to_owned(),
        )];
        ansible.fake_bin = Some(fake_bin);
        ansible
    }

    fn units_dir(&self) -> PathBuf {
        self.tool.dir().join("systemd")
    }

    /// The unit files in the units' directory, sorted.
    fn units(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.units_dir()) {
            Ok(entries) => entries
                .map(|e| {
                    e.expect("list units")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// What the fake systemctl was asked since the last call, one call a line.
    fn systemctl_calls(&self) -> String {
        let Some(fake_bin) = &self.fake_bin else {
            panic!("no fake systemctl in this test")
        };
        let file = fake_bin.join("systemctl-calls");
        let calls = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_file(&file);
        calls
    }

    /// `ansible-playbook` with `content` and `state`, plus `extra` options (`--check`).
    fn play(&self, content: &str, state: &str, extra: &[&str]) -> Play {
        self.play_with(content, state, extra, &[])
    }

    /// [`Ansible::play`] with variables for this run (for the fake programs).
    fn play_with(&self, content: &str, state: &str, extra: &[&str], env: &[(&str, &str)]) -> Play {
        let vars = serde_json::json!({
            "config": path_str(&self.config),
            "content": content,
            "state": state,
            "cron_user": TEST_USER,
            "target": self.target,
            "executable": path_str(crate::support::crontainer_bin()),
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        });
        let vars_file = self.tool.dir().join("vars.json");
        std::fs::write(&vars_file, vars.to_string()).expect("write the vars");
        let fake_bin = match &self.fake_bin {
            Some(dir) => format!("{}:", path_str(dir)),
            None => String::new(),
        };
        let out = Command::new(self.bin.join("ansible-playbook"))
            .current_dir(self.tool.dir())
            .env(
                "PATH",
                format!("{fake_bin}{}:/usr/bin:/bin", path_str(&self.bin)),
            )
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().copied())
            .env("ANSIBLE_LIBRARY", repo().join("ansible/library"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_LOCAL_TEMP", self.tool.dir().join("ansible-local"))
            .env(
                "ANSIBLE_REMOTE_TEMP",
                self.tool.dir().join("ansible-remote"),
            )
            .env_remove("CRONTAINER_CONFIG")
            .env("CRONTAINER_STATE_DIR", self.tool.state_dir())
            .env("CRONTAINER_LOGROTATE_DIR", self.tool.logrotate_dir())
            .args(["-i", "localhost,", "-c", "local", "--diff"])
            .arg("-e")
            .arg(format!("@{}", path_str(&vars_file)))
            .args(extra)
            .arg(&self.playbook)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("start ansible-playbook");
        Play::new(out)
    }
}

/// What a playbook run printed, and its recap for localhost.
struct Play {
    code: Option<i32>,
    stdout: String,
    changed: u32,
    failed: u32,
}

impl Play {
    fn new(out: Output) -> Play {
        let stdout = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let recap = stdout
            .lines()
            .find(|l| l.starts_with("localhost") && l.contains(" ok="))
            .unwrap_or_else(|| panic!("no PLAY RECAP line for localhost:\n{stdout}"))
            .to_owned();
        let count = |key: &str| -> u32 {
            recap
                .split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{key}=")))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no {key}= in {recap:?}"))
        };
        Play {
            code: out.status.code(),
            changed: count("changed"),
            failed: count("failed"),
            stdout,
        }
    }

    #[track_caller]
    fn expect(&self, code: i32, changed: u32, failed: u32) {
        assert_eq!(
            (self.code, self.changed, self.failed),
            (Some(code), changed, failed),
            "(exit, changed, failed) of the play:\n{}",
            self.stdout
        );
    }
}

/// A fake `systemctl` for [`Ansible::systemd`].
const FAKE_SYSTEMCTL: &str = r#"#!/bin/sh
echo "$*" >> "${0%/*}/systemctl-calls"
case "$1" in
  is-system-running) state=${FAKE_SYSTEMD_STATE:-running}; echo "$state"; [ "$state" = running ] ;;
  daemon-reload|enable|disable) ;;
  *) echo "fake systemctl: unexpected $*" >&2; exit 99 ;;
esac
"#;

fn config_toml(block: &str, log: &Path, schedule: &str) -> String {
    format!(
        "[cron]\nname = \"{block}\"\n\n[defaults]\nruntime = \"docker\"\n\n\
         [[job]]\nid = \"fleet_job\"\ncontainer = \"{block}-absent\"\n\
         command = [\"python\", \"main_v2.py\"]\nschedule = \"{schedule}\"\nlog = \"{}\"\n",
        path_str(log)
    )
}

#[test]
#[ignore = "needs root, cron, and ansible-core in $CRONTAINER_ANSIBLE_VENV: see README"]
fn ansible_module_installs_is_idempotent_checks_removes_and_fails_on_a_bad_config() {
    support::require_provisioned();
    let ansible = Ansible::new(venv_bin());
    let dir = UserDir::new();
    let file = CronDGuard::new();
    let block = file.name().to_owned();
    // The cron.d file as it is now; "" while it does not exist.
    let cron_d = || std::fs::read_to_string(file.path()).unwrap_or_default();
    let content = config_toml(&block, &dir.join("fleet.log"), NEVER);
    let begin = format!("# BEGIN crontainer:{block}");
    let before = cron_d();
    assert_eq!(before, "", "{} exists already", file.path().display());

    // --check: reports the change and its diff, writes neither the config nor the cron.d file.
    let play = ansible.play(&content, "present", &["--check"]);
    play.expect(0, 1, 0);
    assert!(
        play.stdout.contains(&format!("+{begin}")),
        "{}",
        play.stdout
    );
    assert_eq!(cron_d(), before, "--check wrote the cron.d file");
    assert!(!ansible.config.exists(), "--check wrote the config");

    // Installs: changed; the config written; crontainer's warning (the job's container does
    // not exist) shown as Ansible's.
    let play = ansible.play(&content, "present", &[]);
    play.expect(0, 1, 0);
    let installed = cron_d();
    assert!(
        installed.starts_with(&before) && installed.contains(&begin),
        "cron.d file:\n{installed}"
    );
    assert_eq!(
        std::fs::read_to_string(&ansible.config).expect("the config was written"),
        content
    );
    assert!(
        play.stdout.contains("[WARNING]") && play.stdout.contains(&format!("{block}-absent")),
        "crontainer's warning is Ansible's:\n{}",
        play.stdout
    );

    // Again: ok, not changed.
    ansible.play(&content, "present", &[]).expect(0, 0, 0);
    assert_eq!(cron_d(), installed);

    // A new schedule under --check: changed, with the config's diff, and nothing written.
    let hourly = config_toml(&block, &dir.join("fleet.log"), "0 * * * *");
    let play = ansible.play(&hourly, "present", &["--check"]);
    play.expect(0, 1, 0);
    assert!(
        play.stdout.contains("+schedule = \"0 * * * *\""),
        "{}",
        play.stdout
    );
    assert_eq!(cron_d(), installed);
    assert_eq!(std::fs::read_to_string(&ansible.config).unwrap(), content);

    // A bad config fails the task with crontainer's message, naming the config; the good config
    // and the cron.d file stay as they were.
    let bad = config_toml(&block, &dir.join("fleet.log"), "61 * * * *");
    let play = ansible.play(&bad, "present", &[]);
    play.expect(2, 0, 1);
    assert!(
        play.stdout.contains(&format!(
            "Module failed: crontainer: error: {}:11: `job \"fleet_job\": schedule` \"61 * * * *\": \
             The minute field \"61\" is invalid",
            path_str(&ansible.config)
        )),
        "the task shows crontainer's message:\n{}",
        play.stdout
    );
    assert_eq!(std::fs::read_to_string(&ansible.config).unwrap(), content);
    assert_eq!(cron_d(), installed);

    // New content replaces the config, which keeps its mode (it may hold secrets in `env`).
    std::fs::set_permissions(&ansible.config, std::fs::Permissions::from_mode(0o600))
        .expect("chmod the config");
    ansible.play(&hourly, "present", &[]).expect(0, 1, 0);
    assert_eq!(std::fs::read_to_string(&ansible.config).unwrap(), hourly);
    let mode = std::fs::metadata(&ansible.config)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o600, "the config's mode changed");
    let installed = cron_d();
    assert!(
        installed.contains(&format!(
            "\n0 * * * * {TEST_USER} {} exec fleet_job --block {block} --log ",
            path_str(support::crontainer_bin())
        )),
        "cron.d file:\n{installed}"
    );

    // absent under --check: changed, the block stays; then removed; then ok.
    ansible
        .play(&hourly, "absent", &["--check"])
        .expect(0, 1, 0);
    assert_eq!(cron_d(), installed);
    let play = ansible.play(&hourly, "absent", &[]);
    play.expect(0, 1, 0);
    assert!(
        play.stdout.contains(&format!("-{begin}")),
        "{}",
        play.stdout
    );
    assert_eq!(cron_d(), before, "state: absent removes the block");
    ansible.play(&hourly, "absent", &[]).expect(0, 0, 0);
}

#[test]
#[ignore = "needs ansible-lint in $CRONTAINER_ANSIBLE_VENV: see README"]
fn ansible_lint_accepts_the_example_playbook() {
    let bin = venv_bin();
    let out = Command::new(bin.join("ansible-lint"))
        .current_dir(repo())
        .env("PATH", format!("{}:/usr/bin:/bin", path_str(&bin)))
        .env("ANSIBLE_LIBRARY", repo().join("ansible/library"))
        .env("NO_COLOR", "1")
        .args(["--offline", "ansible/example-playbook.yml"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start ansible-lint");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ansible-lint failed:\n{text}");
    assert!(
        text.contains("Passed") && text.contains("0 failure(s), 0 warning(s)"),
        "{text}"
    );
}

/// Issue 25, items 4 and 6: with `[monitoring]`, the metrics line reads the config every minute,
/// as the jobs' user: the module writes the config to its real path and installs from there
/// (check mode shows that path, not a temporary file's; the second converge changes nothing),
/// the user's line can read it, and a healthcheck URL shows masked in every diff and in the
/// returned result.
#[test]
#[ignore = "needs root, cron, and ansible-core in $CRONTAINER_ANSIBLE_VENV: see README"]
fn ansible_module_installs_a_monitored_block_for_a_normal_user_from_the_real_config_path() {
    support::require_provisioned();
    let ansible = Ansible::new(venv_bin());
    // The config's directory must be one the jobs' user can reach: the line reads it as them.
    for dir in [ansible.tool.dir(), ansible.config.parent().unwrap()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let dir = UserDir::new();
    let prom = dir.join("prom");
    std::fs::create_dir(&prom).unwrap();
    cmd::run(Command::new("chown").arg(TEST_USER).arg(&prom));
    let file = CronDGuard::new();
    let block = file.name().to_owned();
    let secret = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";
    let content = format!(
        "{}healthcheck = \"{secret}\"\n\n[monitoring]\ntextfile_dir = \"{}\"\n",
        config_toml(&block, &dir.join("fleet.log"), NEVER),
        path_str(&prom)
    );
    let config = path_str(&ansible.config);
    let metrics_words = format!(" metrics -q -c {config} --target cron.d --user {TEST_USER} ");
    let no_secret = |play: &Play| {
        assert!(
            !play.stdout.contains("0f2a3c1e") && !play.stdout.contains(".tmp"),
            "a secret or a temporary path in the output:\n{}",
            play.stdout
        );
        assert!(
            play.stdout.contains("https://hc-ping.com/…/4f5a"),
            "{}",
            play.stdout
        );
    };

    let play = ansible.play(&content, "present", &["--check"]);
    play.expect(0, 1, 0);
    no_secret(&play);
    assert!(play.stdout.contains(&metrics_words), "{}", play.stdout);
    assert!(!ansible.config.exists(), "--check wrote the config");

    // -vvv shows the task's `invocation`: the config's text, URL included, stays out of it
    // (no_log), as it stays out of the managed host's log.
    let play = ansible.play(&content, "present", &["-vvv"]);
    play.expect(0, 1, 0);
    no_secret(&play);
    assert!(
        play.stdout
            .contains("\"content\": \"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER\""),
        "{}",
        play.stdout
    );
    let installed = std::fs::read_to_string(file.path()).unwrap();
    assert!(installed.contains(&metrics_words), "{installed}");
    assert!(installed.contains(secret), "the real URL is installed");

    // Again: ok, not changed.
    let play = ansible.play(&content, "present", &[]);
    play.expect(0, 0, 0);
    assert_eq!(std::fs::read_to_string(file.path()).unwrap(), installed);

    let play = ansible.play(&content, "absent", &[]);
    play.expect(0, 1, 0);
    no_secret(&play);
}

/// `target: systemd` goes through to crontainer (a service and a timer per job, systemd asked
/// to load and start them), check mode writes no unit, a second converge changes nothing, and
/// crontainer's refusal (no systemd manager answers) fails the task with its message. systemd
/// itself is a fake here: its real side is tests/e2e/systemd.rs.
#[test]
#[ignore = "needs root, and ansible-core in $CRONTAINER_ANSIBLE_VENV: see README"]
fn ansible_module_passes_target_systemd_through_and_reports_a_refusal() {
    support::require_provisioned();
    let ansible = Ansible::systemd(venv_bin());
    let dir = UserDir::new();
    let content = config_toml("fleet", &dir.join("fleet.log"), NEVER);
    const SERVICE: &str = "crontainer-fleet-fleet_job.service";
    const TIMER: &str = "crontainer-fleet-fleet_job.timer";

    // No manager: the task fails with crontainer's own message, and no unit is written.
    let play = ansible.play_with(
        &content,
        "present",
        &[],
        &[("FAKE_SYSTEMD_STATE", "offline")],
    );
    play.expect(2, 0, 1);
    assert!(
        play.stdout.contains(
            "Module failed: crontainer exited with 1: crontainer: error: no systemd system \
             manager answers `systemctl is-system-running`, so no timer would fire; nothing \
             changed. Boot with systemd as PID 1 (for user units: log in, or `sudo loginctl \
             enable-linger USER`), or use target = \"crontab\" or \"cron.d\"\n"
        ),
        "the task shows crontainer's message:\n{}",
        play.stdout
    );
    assert_eq!(ansible.units(), Vec::<String>::new());
    assert_eq!(ansible.systemctl_calls(), "is-system-running\n");

    // --check: the change and its diff, nothing written, systemd not asked to change anything.
    let play = ansible.play(&content, "present", &["--check"]);
    play.expect(0, 1, 0);
    assert!(
        play.stdout.contains(&format!(
            "--- systemd units crontainer-fleet-* in {units} (before)\n\
             +++ systemd units crontainer-fleet-* in {units} (after)\n",
            units = path_str(&ansible.units_dir())
        )) && play.stdout.contains("+# BEGIN crontainer:fleet\n"),
        "{}",
        play.stdout
    );
    assert_eq!(ansible.units(), Vec::<String>::new());
    let check_calls = ansible.systemctl_calls();
    assert!(
        !check_calls.contains("enable") && !check_calls.contains("daemon-reload"),
        "{check_calls}"
    );

    // Installs: a service and a timer, loaded and started, running as the module's `user`.
    ansible.play(&content, "present", &[]).expect(0, 1, 0);
    assert_eq!(ansible.units(), [SERVICE, TIMER]);
    assert_eq!(
        ansible.systemctl_calls(),
        format!("is-system-running\ndaemon-reload\nenable --now {TIMER}\n")
    );
    let service = std::fs::read_to_string(ansible.units_dir().join(SERVICE)).unwrap();
    assert!(
        service.contains(&format!("\nUser={TEST_USER}\n")),
        "{service}"
    );

    // Again: ok, and systemd is asked only whether the timer runs (install starts one stopped
    // by hand, though no unit changes).
    ansible.play(&content, "present", &[]).expect(0, 0, 0);
    assert_eq!(
        ansible.systemctl_calls(),
        format!("show -p ActiveState -p UnitFileState -p NextElapseUSecRealtime {TIMER}\n")
    );

    // absent: the timer stopped and both units gone; then ok.
    ansible.play(&content, "absent", &[]).expect(0, 1, 0);
    assert_eq!(ansible.units(), Vec::<String>::new());
    assert_eq!(
        ansible.systemctl_calls(),
        format!("disable --now --no-reload {TIMER}\ndaemon-reload\n")
    );
    ansible.play(&content, "absent", &[]).expect(0, 0, 0);
}

/// The module's documentation parses (`ansible-doc`), and says what its argument spec accepts:
/// every option's type, choices, default and `required`, as Ansible's validate-modules sanity
/// test checks them (`ansible-test` itself needs the network to set up its own venv).
#[test]
#[ignore = "needs ansible-core in $CRONTAINER_ANSIBLE_VENV: see README"]
fn ansible_doc_documents_the_options_as_the_module_takes_them() {
    let bin = venv_bin();
    let out = Command::new(bin.join("ansible-doc"))
        .current_dir(repo())
        .env("PATH", format!("{}:/usr/bin:/bin", path_str(&bin)))
        .env("ANSIBLE_LIBRARY", repo().join("ansible/library"))
        .env("ANSIBLE_NOCOLOR", "1")
        .args(["--json", "-t", "module", "crontainer"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start ansible-doc");
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), ""),
        "ansible-doc failed"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ansible-doc's JSON");
    let options = &doc["crontainer"]["doc"]["options"];
    assert_eq!(
        options["target"]["choices"],
        serde_json::json!(["crontab", "cron.d", "systemd"]),
        "{options:#}"
    );

    // The argument spec as `main` hands it to AnsibleModule, compared with the documentation.
    let out = Command::new(bin.join("python"))
        .current_dir(repo().join("ansible/library"))
        .arg("-c")
        .arg(COMPARE_SPEC)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start python");
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "config content executable state target user\n", ""),
        "the documentation and the argument spec differ"
    );
}

/// Prints the options, sorted, when DOCUMENTATION says of each what the argument spec does;
/// else each difference on stderr, exiting 1.
const COMPARE_SPEC: &str = r#"
import sys, yaml
import ansible.module_utils.basic as basic
import crontainer

class Captured(Exception):
    pass

def capture(argument_spec, **kwargs):
    raise Captured(argument_spec)

basic.AnsibleModule = crontainer.AnsibleModule = capture
try:
    crontainer.main()
    sys.exit("main() did not build an AnsibleModule")
except Captured as e:
    spec = e.args[0]
documented = yaml.safe_load(crontainer.DOCUMENTATION)["options"]
wrong = []
for name in sorted(set(spec) | set(documented)):
    s, d = spec.get(name), documented.get(name)
    if s is None or d is None:
        wrong.append("%s: only in the %s" % (name, "documentation" if s is None else "spec"))
        continue
    for key, default in (("type", "str"), ("choices", None), ("default", None), ("required", False)):
        if s.get(key, default) != d.get(key, default):
            wrong.append("%s: %s is %r in the spec, %r documented" % (name, key, s.get(key, default), d.get(key, default)))
if wrong:
    sys.exit("\n".join(wrong))
print(" ".join(sorted(spec)))
"#;
