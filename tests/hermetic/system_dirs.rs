//! Directories of system accounts (issue 24): a root install works with no flag in the layouts
//! distributions ship, Ubuntu's `/var/log` (`root:syslog 0775`) and Debian's node_exporter
//! textfile directory (`/var/lib/prometheus` is `prometheus:prometheus 0755`, its
//! `node-exporter` below root's), while a directory a person may write is still refused. The
//! accounts are real ones, made by each test under unique names with `groupadd`/`useradd` and
//! removed after it, so the rule is checked against what getgrgid(3) and /etc/passwd say.
//! Making accounts needs root: `#[ignore]`d like the other root tests (`.ci/run` runs them).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::{self, Env, chmod, mkdir, ok};

const ROOT_ONLY: &str = "needs root (makes system accounts): see README";

/// A user or group made for one test, removed when dropped.
struct Account {
    name: String,
    tool: &'static str,
}

impl Account {
    /// A group (`--system`: below GID_MIN) with a unique name.
    fn group(system: bool) -> Account {
        let name = unique("ctg");
        let mut args = vec![];
        if system {
            args.push("--system");
        }
        args.push(name.as_str());
        shadow_tool("groupadd", &args);
        Account {
            name,
            tool: "groupdel",
        }
    }

    /// A user (`--system`: below UID_MIN) with a unique name and a group of its own (as
    /// `adduser --system --group` makes for a daemon) unless `extra` names one (`-g`).
    fn user(system: bool, extra: &[&str]) -> Account {
        let name = unique("ctu");
        let mut args = vec!["--no-create-home", "--shell", "/usr/sbin/nologin"];
        let own_group = !extra.contains(&"-g");
        if system {
            args.push("--system");
        }
        args.push(if own_group {
            "--user-group"
        } else {
            "--no-user-group"
        });
        args.extend(extra);
        args.push(name.as_str());
        shadow_tool("useradd", &args);
        Account {
            name,
            tool: "userdel",
        }
    }

    fn gid(&self) -> nix::unistd::Gid {
        nix::unistd::Group::from_name(&self.name)
            .unwrap()
            .expect("the group just made")
            .gid
    }

    fn uid(&self) -> u32 {
        nix::unistd::User::from_name(&self.name)
            .unwrap()
            .expect("the user just made")
            .uid
            .as_raw()
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        shadow_tool(self.tool, &[&self.name]);
        // A user's own group goes with it where USERGROUPS_ENAB says so; otherwise here.
        if self.tool == "userdel"
            && nix::unistd::Group::from_name(&self.name)
                .ok()
                .flatten()
                .is_some()
        {
            shadow_tool("groupdel", &[&self.name]);
        }
    }
}

/// `ctg-PID-N`: unique on the host for this run (32 characters at most, as useradd wants).
fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Runs one of shadow's tools, which must succeed. They lock /etc/passwd and /etc/group and fail
/// at once when another holds the lock (another test, another run on the host): one at a time
/// here, and tried again for up to 10 s.
fn shadow_tool(tool: &str, args: &[&str]) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut last = String::new();
    for _ in 0..100 {
        let out = std::process::Command::new(tool)
            .args(args)
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        last = format!("{}{}", common::stdout_of(&out), common::stderr_of(&out));
        if !last.contains("lock") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{tool} {args:?} failed: {last}");
}

/// A config with one job logging to `log`, and `head` above the job.
fn config(env: &Env, head: &str, log: &Path) -> PathBuf {
    env.config(&format!(
        "{head}[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"true\"]\nevery = \"1h\"\n\
         log = \"{}\"\n",
        log.display()
    ))
}

const CRON_D_ROOT: [&str; 5] = ["install", "--target", "cron.d", "--user", "root"];

#[track_caller]
fn refused_whole(env: &Env, config: &Path, stderr: &str) {
    let before = env.snapshot();
    let out = env.cmd(CRON_D_ROOT).arg("-c").arg(config).output().unwrap();
    assert_eq!(
        (
            out.status.code(),
            common::stdout_of(&out),
            common::stderr_of(&out)
        ),
        (Some(2), String::new(), stderr.to_string())
    );
    assert_eq!(env.snapshot(), before, "a refusal changes nothing");
}

#[test]
#[ignore = "needs root (makes system accounts): see README"]
fn a_root_job_logs_under_a_system_groups_directory_as_ubuntus_var_log() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let syslog = Account::group(true);
    // Ubuntu's /var/log, and rsyslog's user in the group by its primary group.
    let var_log = mkdir(&env, "var/log", 0o775);
    nix::unistd::chown(&var_log, Some(0.into()), Some(syslog.gid())).unwrap();
    let _daemon = Account::user(true, &["-g", &syslog.name]);
    // The default layout: crontainer's own directory, made root's under it.
    let log = var_log.join("crontainer/j.log");
    ok(env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)));
    let made = std::fs::metadata(var_log.join("crontainer")).unwrap();
    assert_eq!((made.uid(), made.mode() & 0o7777), (0, 0o755));
    // A log right in it, as `log = "/var/log/j.log"`.
    let log = var_log.join("j.log");
    ok(env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)));
    assert!(log.exists());

    // A person in the group may write the directory: refused, naming them.
    let person = Account::user(false, &["-G", &syslog.name]);
    let gid = syslog.gid();
    refused_whole(
        &env,
        &config(&env, "", &var_log.join("other.log")),
        &format!(
            "crontainer: error: job \"j\": its log {dir}/other.log lies under {dir} (owned by \
             root, mode 0775: group {group} (gid {gid}) may write it, and has a person in it: \
             {person} (uid {uid}, at or above UID_MIN 1000)), which a user other than root may \
             change: that user could put a symlink in place of the log or its lock, and the job, \
             running as root, would append to any file it points to; fix: log to a directory \
             only root can write, such as the default /var/log/crontainer (unset `log`), or run \
             the job as that user (`[cron] user`)\n",
            dir = var_log.display(),
            group = syslog.name,
            person = person.name,
            uid = person.uid(),
        ),
    );
    // As the directory above a log directory still to be made.
    let err = common::fails(
        env.cmd(CRON_D_ROOT)
            .arg("-c")
            .arg(config(&env, "", &var_log.join("new/j.log"))),
        2,
    );
    assert!(
        err.contains(&format!("has a person in it: {}", person.name)),
        "{err}"
    );
    drop(person);
    // Without them, trusted again; what was installed stays (the same log: up to date).
    ok(env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)));
}

#[test]
#[ignore = "needs root (makes system accounts): see README"]
fn a_group_a_person_has_as_primary_group_or_above_gid_min_is_not_the_systems() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    let log_dir = mkdir(&env, "logs-shared", 0o775);
    let log = log_dir.join("j.log");
    // A system group that is a person's primary group (listed nowhere in /etc/group).
    let group = Account::group(true);
    nix::unistd::chown(&log_dir, Some(0.into()), Some(group.gid())).unwrap();
    ok(env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)));
    let person = Account::user(false, &["-g", &group.name]);
    let err = common::fails(
        env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)),
        2,
    );
    assert!(
        err.contains(&format!(
            "group {} (gid {}) may write it, and has a person in it: {} (uid {}",
            group.name,
            group.gid(),
            person.name,
            person.uid()
        )),
        "{err}"
    );
    drop(person);
    // A group of people's range (a user's own group, `groupadd` without --system).
    let people = Account::group(false);
    nix::unistd::chown(&log_dir, None, Some(people.gid())).unwrap();
    let err = common::fails(
        env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)),
        2,
    );
    assert!(
        err.contains(&format!(
            "(owned by root, mode 0775: group {} (gid {}) may write it, and is not a system group \
             (GID_MIN is 1000 in /etc/login.defs))",
            people.name,
            people.gid()
        )),
        "{err}"
    );
    // Others may write: refused whoever the group is.
    nix::unistd::chown(&log_dir, None, Some(group.gid())).unwrap();
    chmod(&log_dir, 0o777);
    let err = common::fails(
        env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)),
        2,
    );
    assert!(err.contains("(owned by root, mode 0777)"), "{err}");
    // A person's directory: refused, as before.
    let person = Account::user(false, &[]);
    chmod(&log_dir, 0o755);
    nix::unistd::chown(&log_dir, Some(person.uid().into()), None).unwrap();
    let err = common::fails(
        env.cmd(CRON_D_ROOT).arg("-c").arg(config(&env, "", &log)),
        2,
    );
    assert!(
        err.contains(&format!("(owned by {}, mode 0755)", person.name)),
        "{err}"
    );
}

#[test]
#[ignore = "needs root (makes system accounts): see README"]
fn debians_node_exporter_layout_takes_the_metrics_line_with_no_flag() {
    assert!(common::is_root(), "{ROOT_ONLY}");
    let env = Env::new();
    // The binary the metrics line runs must be root's alone: a copy in the temp dir, wherever
    // the checkout lies.
    let exe = env.copied_binary();
    let prometheus = Account::user(true, &[]);
    // /var/lib/prometheus as the prometheus package makes it, node-exporter below it root's
    // (prometheus-node-exporter ships it so).
    let lib = mkdir(&env, "var/lib/prometheus", 0o755);
    nix::unistd::chown(&lib, Some(prometheus.uid().into()), Some(prometheus.gid())).unwrap();
    let textfile = mkdir(&env, "var/lib/prometheus/node-exporter", 0o755);
    let head = format!("[monitoring]\ntextfile_dir = \"{}\"\n", textfile.display());
    let config = config(&env, &head, &env.path("logs/j.log"));
    let temporary = format!(
        "crontainer: warning: the cron lines run this crontainer binary, {}, which looks \
         temporary (a build output or a temp directory): when it goes, no job runs, and the \
         metrics line fails every minute (the file in {} goes stale); install it for good \
         (`cargo install --path .`, or the .deb's /usr/bin/crontainer) and run `crontainer \
         install` from there\n",
        exe.display(),
        textfile.display()
    );
    let installs = || {
        let out = env
            .cmd_of(&exe, CRON_D_ROOT)
            .arg("-c")
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(
            (out.status.code(), common::stderr_of(&out)),
            (Some(0), temporary.clone())
        );
    };
    installs();
    let installed = env.read("cron.d/crontainer");
    let line = format!(
        "* * * * * root {} metrics -q -c {} --target cron.d --user root --textfile {}\n",
        exe.display(),
        config.display(),
        textfile.display()
    );
    assert!(
        installed.ends_with(&format!("{line}# END crontainer:crontainer\n")),
        "{installed}"
    );
    // A textfile directory the daemon's group may write, as some packages make it, too.
    chmod(&textfile, 0o775);
    nix::unistd::chown(&textfile, None, Some(prometheus.gid())).unwrap();
    ok(env
        .cmd_of(&exe, ["metrics", "-q", "--textfile"])
        .arg(&textfile)
        .arg("-c")
        .arg(&config));
    installs();
    // A person's directory instead: refused.
    let person = Account::user(false, &[]);
    nix::unistd::chown(&lib, Some(person.uid().into()), None).unwrap();
    let err = common::fails(env.cmd_of(&exe, CRON_D_ROOT).arg("-c").arg(&config), 2);
    assert!(
        err.contains(&format!(
            "`monitoring.textfile_dir` {}: {} (owned by {}, mode 0755) may be changed by a user \
             other than root",
            textfile.display(),
            lib.display(),
            person.name
        )),
        "{err}"
    );
}
