//! A small harness for hermetic CLI tests: a temp dir with fake `crontab` and `docker`
//! executables on the PATH of the one command under test (never `std::env::set_var`), a state
//! dir, a cron.d dir, and the tool's own variables scrubbed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A fake `crontab`: one file per user under $FAKE_CRON_DIR, with the real program's
/// "no crontab for USER" exit 1; `FAKE_CRONTAB_FAIL=1` makes writes fail. Each call's
/// arguments are appended to `crontab-calls` beside that directory.
const FAKE_CRONTAB: &str = r#"#!/bin/sh
echo "$*" >> "${FAKE_CRON_DIR%/*}/crontab-calls"
user=$(id -un)
if [ "$1" = "-u" ]; then user="$2"; shift 2; fi
case "$1" in
  -l) if [ -f "$FAKE_CRON_DIR/$user" ]; then cat "$FAKE_CRON_DIR/$user"; else echo "no crontab for $user" >&2; exit 1; fi ;;
  -r) rm -f "$FAKE_CRON_DIR/$user" ;;
  *) if [ -n "$FAKE_CRONTAB_FAIL" ]; then echo "\"$1\":3: bad minute" >&2; echo "errors in crontab file, can't install." >&2; exit 1; fi
     cp "$1" "$FAKE_CRON_DIR/$user" ;;
esac
"#;

/// A fake `docker`: `inspect` answers from $FAKE_DOCKER_STATE (default running; "missing";
/// "down" for a daemon that does not answer, which `version` and `exec` then say too): status's
/// `inspect --format`, and the runner's `inspect --type container -- NAME` as JSON (the fake's
/// container ids are the names; its first process is $FAKE_DOCKER_PID, default 0); `top` succeeds only for "running". `exec` must get `-i`; it
/// appends its other arguments, one per line, to $FAKE_DOCKER_CALLS, then runs the job here, as
/// itself: it prints to stdout and stderr, sleeps $FAKE_SLEEP, prints $FAKE_PARTIAL with no
/// newline after it and exits with $FAKE_EXIT (default 0).
const FAKE_DOCKER: &str = r#"#!/bin/sh
# The runtime's environment as each call got it (`runtime_env`).
echo "$1 $DOCKER_HOST" >> "${FAKE_DOCKER_CALLS%/*}/docker-env"
case "$1" in
  top)
    [ "${FAKE_DOCKER_STATE:-running}" = running ] || { echo "Error: $2 is not running" >&2; exit 1; }
    echo "PID USER TIME COMMAND" ;;
  inspect)
    case "${FAKE_DOCKER_STATE:-running}" in
      down) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1 ;;
      missing) for last; do :; done; echo "Error: No such container: $last" >&2; exit 1 ;;
    esac
    if [ "$4" = -- ]; then
      for last; do :; done
      printf '[{"Id":"%s","Name":"/%s","State":{"Status":"%s","Pid":%s}}]\n' "$last" "$last" "${FAKE_DOCKER_STATE:-running}" "${FAKE_DOCKER_PID:-0}"
    else
      shift 5; for name; do echo "0123456789ab /$name ${FAKE_DOCKER_STATE:-running}"; done
    fi ;;
  version)
    if [ "$FAKE_DOCKER_STATE" = down ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; fi
    echo "20.10.24" ;;
  exec)
    if [ "$FAKE_DOCKER_STATE" = down ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; fi
    shift
    if [ "$1" != -i ]; then echo "fake docker: exec without -i" >&2; exit 98; fi
    shift
    # The runner's run mark (`-e CRONTAINER_MARK=M`, new each run) is left out of the calls, and
    # is in the job's environment, as in a container's process.
    e=
    for arg; do
      if [ -z "$e" ] && [ "$arg" = -e ]; then e=1; continue; fi
      if [ -n "$e" ]; then
        e=
        case "$arg" in CRONTAINER_MARK=*) export "$arg"; continue ;; esac
        printf '%s\n' -e
      fi
      printf '%s\n' "$arg"
    done >> "$FAKE_DOCKER_CALLS"
    if [ -n "$e" ]; then printf '%s\n' -e >> "$FAKE_DOCKER_CALLS"; fi
    echo "---" >> "$FAKE_DOCKER_CALLS"
    exec "$0" __job ;;
  ps)
    # Compose's containers from $FAKE_DOCKER_PS, one "ID PROJECT SERVICE NAME" line each, in
    # the order `docker ps` lists them, filtered by the service and project labels asked for;
    # printed as `-q`, crontainer's status format (`.Names` last) or the line's `PROJECT/ID`.
    shift; quiet=; fmt=; svc=; proj=
    while [ $# -gt 0 ]; do
      case "$1" in
        -q*) quiet=1 ;;
        --format) fmt=$2; shift ;;
        label=com.docker.compose.service=*) svc=${1#label=com.docker.compose.service=} ;;
        label=com.docker.compose.project=*) proj=${1#label=com.docker.compose.project=} ;;
      esac
      shift
    done
    printf '%s\n' "$FAKE_DOCKER_PS" | while read -r id p s n; do
      [ -n "$id" ] || continue
      if [ -n "$svc" ] && [ "$s" != "$svc" ]; then continue; fi
      if [ -n "$proj" ] && [ "$p" != "$proj" ]; then continue; fi
      case "$quiet$fmt" in
        1*) echo "$id" ;;
        *Names*) echo "$id/$p/$s/running/$n" ;;
        *) echo "$p/$id" ;;
      esac
    done ;;
  __job)
    echo "stdout: hello from the container"
    echo "stderr: warning from the container" >&2
    [ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"
    printf %s "$FAKE_PARTIAL"
    exit "${FAKE_EXIT:-0}" ;;
  *) echo "fake docker: unexpected $*" >&2; exit 99 ;;
esac
"#;

/// A fake `systemctl`: each call's arguments are appended to `systemctl-calls`;
/// `is-system-running` answers $FAKE_SYSTEMD_STATE (default running, exit 0 only then); `show`
/// reports every timer as $FAKE_TIMER_ACTIVE (default active), $FAKE_TIMER_ENABLED (default
/// enabled), next at $FAKE_TIMER_NEXT (default none).
const FAKE_SYSTEMCTL: &str = r#"#!/bin/sh
echo "$*" >> "${FAKE_DOCKER_CALLS%/*}/systemctl-calls"
[ "$1" = --user ] && shift
case "$1" in
  is-system-running) state=${FAKE_SYSTEMD_STATE:-running}; echo "$state"; [ "$state" = running ] ;;
  show) echo "NextElapseUSecRealtime=$FAKE_TIMER_NEXT"; echo "ActiveState=${FAKE_TIMER_ACTIVE:-active}"; echo "UnitFileState=${FAKE_TIMER_ENABLED:-enabled}" ;;
  daemon-reload|enable|disable) ;;
  *) echo "fake systemctl: unexpected $*" >&2; exit 99 ;;
esac
"#;

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for sub in [
            "bin",
            "cron",
            "state",
            "cron.d",
            "logs",
            "logrotate.d",
            "locks",
            "systemd",
            "proc/1",
            "proc/2",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let env = Env { dir };
        env.write_exe("bin/crontab", FAKE_CRONTAB);
        // A fake /proc with a cron daemon (pid 2); `no_cron_daemon` takes it away.
        std::fs::write(env.path("proc/1/comm"), "init\n").unwrap();
        std::fs::write(env.path("proc/2/comm"), "cron\n").unwrap();
        env.write_exe("bin/docker", FAKE_DOCKER);
        env.write_exe("bin/systemctl", FAKE_SYSTEMCTL);
        // The binary the runner lines name: this build, at a path that does not depend on the
        // checkout (`{dir}/bin/crontainer` in expected lines).
        std::os::unix::fs::symlink(
            assert_cmd::cargo::cargo_bin("crontainer"),
            env.path("bin/crontainer"),
        )
        .unwrap();
        env
    }

    /// Takes the fake cron daemon away.
    pub fn no_cron_daemon(&self) {
        std::fs::remove_dir_all(self.path("proc/2")).unwrap();
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write_exe(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Writes `config.toml`; `{dir}` in the text becomes the temp dir.
    pub fn config(&self, text: &str) -> PathBuf {
        let path = self.path("config.toml");
        std::fs::write(
            &path,
            text.replace("{dir}", &self.dir.path().display().to_string()),
        )
        .unwrap();
        path
    }

    /// A config with one job whose log is in the temp dir.
    pub fn simple_config(&self, extra_job_keys: &str) -> PathBuf {
        self.config(&format!(
            "[[job]]\nid = \"main_pipeline_v2\"\ndescription = \"Main Video Pipeline (main_v2.py)\"\n\
             container = \"ai-video-backend\"\ncommand = [\"python\", \"main_v2.py\"]\n\
             every = \"5h\"\nlog = \"{{dir}}/logs/main.log\"\n{extra_job_keys}\n"
        ))
    }

    /// The command under test, with the fakes first on PATH and the tool's variables scrubbed.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::from_std(self.std_cmd(args))
    }

    /// The same as [`Env::cmd`], as a plain `std::process::Command` (to spawn several at once).
    pub fn std_cmd<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("crontainer"));
        cmd.current_dir(self.dir.path())
            .env_remove("CRONTAINER_CONFIG")
            .env_remove("CRONTAINER_BY")
            .env_remove("CRONTAB_NOHEADER")
            .env_remove("NO_COLOR")
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .env("TZ", "UTC")
            .env("CRONTAINER_NOW", "2026-11-29T12:34:56Z")
            .env("CRONTAINER_STATE_DIR", self.path("state"))
            // The run history (`src/history/`) the runner writes, never root's real one.
            .env("CRONTAINER_HISTORY_DIR", self.path("history"))
            .env("CRONTAINER_CROND_DIR", self.path("cron.d"))
            // The systemd target's units, never /etc/systemd/system.
            .env("CRONTAINER_SYSTEMD_DIR", self.path("systemd"))
            // The fake crontab keeps one file per user here, as cron's spool does.
            .env("CRONTAINER_SPOOL_DIR", self.path("cron"))
            .env("CRONTAINER_LOGROTATE_DIR", self.path("logrotate.d"))
            // The targets' locks: this test's own, not /run/lock, which every run on the host
            // shares (a lock file root's run left there, 0600, would refuse a normal user).
            .env("CRONTAINER_LOCK_DIR", self.path("locks"))
            .env("CRONTAINER_PROC", self.path("proc"))
            // No zone files: cron's time zone is UTC here unless a test gives the fake daemon a
            // `TZ` (the host's own /etc/localtime plays no part).
            .env("CRONTAINER_ETC", self.path("etc"))
            // No daemon socket here: container states come from the fake docker.
            .env("CRONTAINER_DOCKER_SOCKET", self.path("no-docker.sock"))
            .env("CRONTAINER_EXE", self.path("bin/crontainer"))
            .env("FAKE_CRON_DIR", self.path("cron"))
            .env("FAKE_DOCKER_CALLS", self.path("docker-calls"))
            // run-now gives the job cron's environment only: the fakes' settings pass by name.
            .env("CRONTAINER_RUN_NOW_PASS_ENV", "FAKE_*,CRONTAINER_*")
            .args(args);
        cmd
    }

    /// The command under test run from `exe` (a copy of the binary, see
    /// [`Env::copied_binary`]) instead of cargo's, its lines naming `exe`.
    pub fn cmd_of<I, S>(&self, exe: &Path, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let cmd = self.std_cmd(args);
        let mut of = std::process::Command::new(exe);
        of.args(cmd.get_args()).current_dir(self.dir.path());
        for (name, value) in cmd.get_envs() {
            match value {
                Some(value) => of.env(name, value),
                None => of.env_remove(name),
            };
        }
        // The lines it writes name this very binary (what `CRONTAINER_EXE` stands in for).
        of.env_remove("CRONTAINER_EXE");
        Command::from_std(of)
    }

    /// A copy of the crontainer binary in the temp dir (mode 0755 in a 0755 directory, owned by
    /// whoever runs the tests): for what must not depend on where the checkout lies. The
    /// metrics line runs the binary by its path as the block's user, who must reach it, and
    /// as root that path must be root's alone; cargo's build directory is neither in a clone
    /// made by `mktemp -d` (0700) or in a user's home.
    pub fn copied_binary(&self) -> PathBuf {
        let dir = self.path("crontainer-bin");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = dir.join("crontainer");
        let built = assert_cmd::cargo::cargo_bin("crontainer");
        // A hard link where the build lies on the same file system (cargo's binary is 0755
        // already), else a copy of its ~60 MB.
        if std::fs::hard_link(&built, &exe).is_err() {
            std::fs::copy(&built, &exe).unwrap();
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        exe
    }

    pub fn user() -> String {
        let out = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// `crontainer install -c CONFIG`, which must succeed.
    #[track_caller]
    pub fn install(&self, config: &Path) {
        let out = self.cmd(["install", "-c"]).arg(config).output().unwrap();
        assert!(out.status.success(), "install failed: {}", stderr_of(&out));
    }

    /// The fake crontab of the current user (None: no crontab).
    pub fn crontab(&self) -> Option<String> {
        std::fs::read_to_string(self.path("cron").join(Self::user())).ok()
    }

    pub fn set_crontab(&self, text: &str) {
        std::fs::write(self.path("cron").join(Self::user()), text).unwrap();
    }

    pub fn docker_calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.path("docker-calls")).unwrap_or_default();
        text.split("---\n")
            .filter(|c| !c.is_empty())
            .map(|c| c.lines().map(String::from).collect())
            .collect()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }
}

impl Env {
    /// Every file under the dirs that crontainer may change (the fake crontabs, cron.d and
    /// logrotate.d), by path relative to the temp dir, with its bytes: to prove that a failed
    /// command changed nothing.
    pub fn snapshot(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut files = std::collections::BTreeMap::new();
        for sub in ["cron", "cron.d", "logrotate.d"] {
            collect_files(self.dir.path(), &self.path(sub), &mut files);
        }
        files
    }
}

/// Adds every regular file under `dir` (recursively) to `files`, keyed by its path below `root`.
pub fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut std::collections::BTreeMap<String, Vec<u8>>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(root, &path, files);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let key = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            files.insert(key, bytes);
        }
    }
}

/// Whether the tests run as root (a few permission faults cannot be made for root).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Makes `path` unwritable for whoever runs the tests until dropped: `chmod a-w` for a normal
/// user; for root, who writes through any mode, a read-only bind mount of it onto itself.
pub struct ReadOnly {
    path: PathBuf,
    mounted: bool,
    mode: u32,
}

impl ReadOnly {
    pub fn new(path: &Path) -> ReadOnly {
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        if is_root() {
            let run = |args: &[&str]| {
                let status = std::process::Command::new("mount")
                    .args(args)
                    .arg(path)
                    .arg(path)
                    .status()
                    .unwrap();
                assert!(status.success(), "mount {args:?} {} failed", path.display());
            };
            run(&["--bind"]);
            run(&["-o", "remount,ro,bind"]);
            ReadOnly {
                path: path.to_path_buf(),
                mounted: true,
                mode,
            }
        } else {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o222)).unwrap();
            ReadOnly {
                path: path.to_path_buf(),
                mounted: false,
                mode,
            }
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.mounted {
            let _ = std::process::Command::new("umount")
                .arg(&self.path)
                .status();
        } else {
            let _ =
                std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.mode));
        }
    }
}

/// Runs `cmd`, which must exit 0 with nothing on stderr, and returns its stdout.
#[track_caller]
pub fn ok(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert_eq!(stderr_of(&output), "", "stderr must be empty on success");
    stdout_of(&output)
}

/// Runs `cmd`, which must exit with `code`, and returns its stderr.
#[track_caller]
pub fn fails(cmd: &mut assert_cmd::Command, code: i32) -> String {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stderr_of(&output)
}

pub use crate::blocks::without_blocks;

/// A user's crontab the fault tests must keep byte for byte (a CR, an env line, a `%`).
pub const PRECIOUS: &str =
    "# precious: mine, byte for byte\r\nMAILTO=me\n*/5 * * * * /bin/true # %\n";

/// Runs `args` expecting `code`, one `crontainer: error:` line naming `expected`, and returns
/// stderr.
#[track_caller]
pub fn fails_with(cmd: &mut assert_cmd::Command, code: i32, expected: &str) -> String {
    let out = cmd.output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{err}",
        stdout_of(&out)
    );
    assert!(err.contains(expected), "wanted {expected:?} in:\n{err}");
    assert!(
        err.lines().any(|l| l.starts_with("crontainer: error: ")),
        "no error line:\n{err}"
    );
    err
}

/// Runs `cmd` (a command with `--json`) to its end and returns its exit code and the one JSON
/// document it printed on stdout (the panic shows both streams when stdout is not one).
#[track_caller]
pub fn json_of(cmd: &mut assert_cmd::Command) -> (i32, serde_json::Value) {
    let out = cmd.output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}), exit {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            stdout_of(&out),
            stderr_of(&out)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `text` with every `seconds=N` of an end line read as `seconds=N`: how long a run took
/// depends on the machine's load, and a test must not (a run that fails at once can take a
/// second under a parallel build).
pub fn any_seconds(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("seconds=") {
        out.push_str(&rest[..at + "seconds=".len()]);
        rest = rest[at + "seconds=".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

/// The user `nobody`, the second user of the root-only tests.
pub fn nobody() -> nix::unistd::User {
    nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("the user nobody")
}

/// Makes `path` nobody's (user and group).
pub fn give_to_nobody(path: &Path) {
    let user = nobody();
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).unwrap();
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The directory `rel` in the test's temp dir, made with its parents, of mode `mode`.
pub fn mkdir(env: &Env, rel: &str, mode: u32) -> PathBuf {
    let dir = env.path(rel);
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, mode);
    dir
}
