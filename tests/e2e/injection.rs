//! Injection for real (issue 6): `crontainer install` writes a cron.d file into the real
//! /etc/cron.d, the real cron daemon fires it, and the real container's `python` stand-in
//! records argv and env: a subset of `tests/hermetic/injection.rs`'s hostile strings arrives byte
//! for byte, and nothing ran on the host.
//!
//! Needs a provisioned machine (`sudo scripts/provision-e2e`); run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, CRON_FIRE_TIMEOUT, Container, CronDShare, POLL, wait_until};

/// The hostile strings that fit in one line together (cron's 998 bytes) and that the config
/// accepts; `tests/hermetic/injection.rs` covers all of them, and each field, hermetically.
const SUBSET: &[&str] = &[
    "$((1+1))",
    "${IFS}",
    "${x:-$(touch /tmp/crontainer-e2e-pwned)}",
    "'\"'\"'",
    "`",
    ")",
    "(",
    "{ }",
    "!$",
    "a\tb",
    "\u{202e}txt.exe",
    "\u{1b}[31m",
    "\u{7}",
    "--",
    "-",
    "=",
    ";exec 9>&-",
    "%",
    "%%",
    "*/1 * * * * root id",
    "# END crontainer:x",
];

/// Removes what the install made in /etc/cron.d and /run/lock, whatever happens.
struct Installed {
    name: String,
    /// Released after the files are removed (fields drop after `drop`).
    _share: CronDShare,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(Path::new("/etc/cron.d").join(&self.name));
        let _ = std::fs::remove_file(format!("/run/lock/crontainer-cron.d-{}.lock", self.name));
    }
}

fn crontainer(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(support::crontainer_bin())
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("CRONTAINER_STATE_DIR", dir.join("state"))
        .env("CRONTAINER_LOGROTATE_DIR", dir.join("logrotate.d"))
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs root, cron and docker: see README"]
fn cron_fires_hostile_values_into_the_container_literally() {
    support::require_provisioned();
    let container = Container::start();
    let dir = tempfile::Builder::new()
        .prefix("crontainer-e2e-inj-")
        .tempdir()
        .unwrap();
    let _ledgers = support::Ledgers::of_logs_under(dir.path());
    std::fs::create_dir(dir.path().join("logrotate.d")).unwrap();
    let name = format!("crontainer-rel-{}", support::random_suffix());
    let log: PathBuf = dir.path().join("j.log");
    let toml_str = |s: &str| toml::Value::String(s.to_string()).to_string();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[cron]\ntarget = \"cron.d\"\nuser = \"root\"\nname = \"{name}\"\n\
             [defaults]\nruntime = \"{}\"\n\
             [[job]]\nid = \"inj\"\ncontainer = \"{}\"\nschedule = \"* * * * *\"\n\
             log = \"{}\"\ncommand = [\"python\", {}]\nenv = {{ HOSTILE = {} }}\n",
            support::docker().display(),
            container.name(),
            log.display(),
            SUBSET
                .iter()
                .map(|s| toml_str(s))
                .collect::<Vec<_>>()
                .join(", "),
            toml_str("$(touch /tmp/crontainer-e2e-pwned); '\"`%"),
        ),
    )
    .unwrap();
    let _ = std::fs::remove_file("/tmp/crontainer-e2e-pwned");
    let guard = Installed {
        name: name.clone(),
        _share: CronDShare::take(),
    };
    let out = crontainer(dir.path(), &["install", "-c", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = Path::new("/etc/cron.d").join(&name);
    assert!(file.exists());

    let fired = wait_until(CRON_FIRE_TIMEOUT, POLL, || !container.calls().is_empty());
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(fired, "cron did not fire {name}; log: {log_text:?}");
    let out = crontainer(dir.path(), &["uninstall", "-c", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "uninstall: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!file.exists(), "uninstall left {}", file.display());
    drop(guard);

    let call = &container.calls()[0];
    let expected: Vec<Vec<u8>> = SUBSET.iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(call.args(), SUBSET, "argv as text");
    assert_eq!(call.argv, expected, "argv byte for byte");
    assert_eq!(
        call.env.get("HOSTILE").map(String::as_str),
        Some("$(touch /tmp/crontainer-e2e-pwned); '\"`%")
    );
    assert!(
        !Path::new("/tmp/crontainer-e2e-pwned").exists(),
        "a hostile value ran on the host"
    );
    // The log's own lines survived (`;exec 9>&-` closed nothing on the host).
    let done = wait_until(CRON_FIRE_TIMEOUT, POLL, || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains(" inj end exit=0 "))
    });
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(done, "no end line: {log_text}");
    assert!(log_text.contains(" inj start pid="), "{log_text}");
    assert!(log_text.contains(" by=cron"), "{log_text}");
}
