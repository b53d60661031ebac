//! Running the real `crontainer` binary from e2e tests: configs written to a temp dir, backups
//! kept in a temp state dir, and cron's PATH, so the runtime the line names is the one a fired
//! job finds (`/usr/bin/docker`, the same as [`super::docker`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::CRON_PATH;

/// A scratch place for one test's configs and crontainer's state (backups).
pub struct Crontainer {
    dir: tempfile::TempDir,
    configs: AtomicUsize,
}

impl Default for Crontainer {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Crontainer {
    /// The run history of the jobs that logged here (some tests keep logs beside the configs)
    /// goes with their logs.
    fn drop(&mut self) {
        super::history::forget_logs_under(self.dir.path());
    }
}

impl Crontainer {
    pub fn new() -> Crontainer {
        let dir = tempfile::Builder::new()
            .prefix("crontainer-e2e-state-")
            .tempdir()
            .expect("temp dir for configs and state");
        std::fs::create_dir(dir.path().join("state")).expect("state dir");
        std::fs::create_dir(dir.path().join("logrotate.d")).expect("logrotate dir");
        Crontainer {
            dir,
            configs: AtomicUsize::new(0),
        }
    }

    /// Writes `text` as a new config file and returns its path.
    pub fn config(&self, text: &str) -> PathBuf {
        let n = self.configs.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("config-{n}.toml"));
        std::fs::write(&path, text).expect("write the config");
        path
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Where root installs write their logrotate files in tests (see [`Crontainer::cmd`]).
    pub fn logrotate_dir(&self) -> PathBuf {
        self.dir.path().join("logrotate.d")
    }

    /// The temp dir that holds the configs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `crontainer ARGS` with cron's PATH, the temp state dir, and the tool's own variables
    /// scrubbed; run from the temp dir so no `./crontainer.toml` is picked up.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        // The copy the lines can name (see `binary.rs`), not the build in the checkout.
        let mut cmd = Command::new(super::crontainer_bin());
        cmd.current_dir(self.dir.path())
            .env_remove("CRONTAINER_CONFIG")
            .env_remove("CRONTAINER_BY")
            .env_remove("CRONTAINER_NOW")
            .env_remove("CRONTAINER_CROND_DIR")
            .env_remove("CRONTAB_NOHEADER")
            .env("PATH", CRON_PATH)
            .env("NO_COLOR", "1")
            .env("CRONTAINER_STATE_DIR", self.state_dir())
            // Root installs write /etc/logrotate.d/crontainer-<target>...<block>; tests keep theirs here
            // (tests/e2e/logrotate.rs uses the real directory with a unique name).
            .env("CRONTAINER_LOGROTATE_DIR", self.logrotate_dir())
            .args(args)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs `crontainer ARGS` to completion, whatever its exit code.
    pub fn output<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.cmd(args);
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
    }

    /// Runs `crontainer ARGS` and panics, showing both streams, unless it exits with `code`.
    #[track_caller]
    pub fn expect<I, S>(&self, args: I, code: i32) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.output(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "crontainer {args:?} exited with {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `crontainer status --json -c CONFIG`: its exit code and the parsed document.
    pub fn status_json(&self, config: &Path) -> (Option<i32>, serde_json::Value) {
        let out = self.output([
            "status".as_ref(),
            "--json".as_ref(),
            "-c".as_ref(),
            config.as_os_str(),
        ]);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "status --json printed no JSON ({e}): stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), json)
    }
}

/// `s` as a TOML string literal (escapes included), for building configs with hostile values.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The job with `id` in a `status --json` document.
#[track_caller]
pub fn status_job<'a>(status: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    status["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["id"] == id))
        .unwrap_or_else(|| panic!("no job {id} in status: {status:#}"))
}

/// A schedule that never fires while a test runs (unless it runs at New Year's midnight).
pub const NEVER: &str = "0 0 1 1 *";

/// One `[[job]]` table: the seed job's command in `container`, logging to `log`.
pub fn job_toml(id: &str, container: &str, log: &Path, schedule: &str, extra: &str) -> String {
    format!(
        "[[job]]\nid = \"{id}\"\ndescription = \"Main Video Pipeline (main_v2.py)\"\n\
         container = \"{container}\"\ncommand = [\"python\", \"main_v2.py\"]\n\
         schedule = \"{schedule}\"\nlog = {log}\n{extra}\n",
        log = toml_str(log.to_str().expect("utf-8 log path")),
    )
}

/// A config for `/etc/cron.d/<name>`, with the lines running as `user` (None: root).
pub fn cron_d_config(name: &str, user: Option<&str>, jobs: &str) -> String {
    let user = user
        .map(|u| format!("user = \"{u}\"\n"))
        .unwrap_or_default();
    format!(
        "[cron]\ntarget = \"cron.d\"\nname = \"{name}\"\n{user}\n\
         [defaults]\nruntime = \"docker\"\n\n{jobs}"
    )
}
