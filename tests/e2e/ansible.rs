//! The Ansible module (`ansible/library/crontainer.py`) run by the real `ansible-core` against
//! localhost with the local connection, on a uniquely named /etc/cron.d file whose lines run as
//! the test user (not the test user's crontab: holding it for the ~10 playbook runs would make
//! every crontab test wait): install (changed), again (ok),
//! `--check` (nothing written), `state: absent`, a bad config (the task fails with crontainer's
//! message); and `ansible-lint` on the shipped example playbook.
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
        target: cron.d
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
        }
    }

    /// `ansible-playbook` with `content` and `state`, plus `extra` options (`--check`).
    fn play(&self, content: &str, state: &str, extra: &[&str]) -> Play {
        let vars = serde_json::json!({
            "config": path_str(&self.config),
            "content": content,
            "state": state,
            "cron_user": TEST_USER,
            "executable": path_str(crate::support::crontainer_bin()),
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        });
        let vars_file = self.tool.dir().join("vars.json");
        std::fs::write(&vars_file, vars.to_string()).expect("write the vars");
        let out = Command::new(self.bin.join("ansible-playbook"))
            .current_dir(self.tool.dir())
            .env("PATH", format!("{}:/usr/bin:/bin", path_str(&self.bin)))
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

    let play = ansible.play(&content, "present", &["-v"]);
    play.expect(0, 1, 0);
    no_secret(&play);
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
