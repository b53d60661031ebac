//! Guards for what the tests give the cron daemon: the test user's crontab, files in
//! `/etc/cron.d`, and a directory the test user's jobs may write their logs and locks to.
//! Each puts things back as they were when dropped, and touches nothing it did not make.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use nix::fcntl::{Flock, FlockArg};

use super::{TEST_USER, cmd};

/// The test user's crontab, owned by one test at a time: saved when acquired, restored on drop.
///
/// Tests in one binary run on parallel threads, and tools like cargo-nextest run each test in its
/// own process, so acquiring takes a lock of both kinds (an in-process mutex and a `flock` on the
/// test user's home directory, which provisioning made and nobody else locks).
pub struct TestCrontab {
    /// None: the user had no crontab.
    saved: Option<Vec<u8>>,
    _flock: Flock<File>,
    _mutex: MutexGuard<'static, ()>,
}

static CRONTAB_MUTEX: Mutex<()> = Mutex::new(());

impl TestCrontab {
    /// Waits until no other test owns the crontab, then saves it.
    pub fn acquire() -> TestCrontab {
        // A test that panicked while holding the mutex has restored the crontab in its drop.
        let mutex = CRONTAB_MUTEX.lock().unwrap_or_else(|e| e.into_inner());
        let home = test_user().dir;
        let dir = File::open(&home)
            .unwrap_or_else(|e| panic!("cannot open {} to lock it: {e}", home.display()));
        let flock = Flock::lock(dir, FlockArg::LockExclusive)
            .unwrap_or_else(|(_, e)| panic!("cannot lock {}: {e}", home.display()));
        let saved = Self::read_raw();
        TestCrontab {
            saved,
            _flock: flock,
            _mutex: mutex,
        }
    }

    /// The crontab as `crontab -l` prints it; empty if the user has none.
    pub fn read(&self) -> String {
        String::from_utf8(Self::read_raw().unwrap_or_default()).expect("crontab is UTF-8")
    }

    /// Replaces the whole crontab with `text`.
    pub fn write(&self, text: &str) {
        Self::write_raw(text.as_bytes());
    }

    /// Appends `line` (one line, no newline) to the crontab.
    pub fn add_line(&self, line: &str) {
        assert!(!line.contains('\n'), "one line at a time: {line:?}");
        let mut text = self.read();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
        self.write(&text);
    }

    /// `crontab -l`: Some(bytes), or None for Debian's "no crontab for USER" (exit 1).
    fn read_raw() -> Option<Vec<u8>> {
        let out = cmd::output(Command::new("crontab").args(["-u", TEST_USER, "-l"]));
        if out.status.success() {
            return Some(out.stdout);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no crontab for"),
            "crontab -u {TEST_USER} -l failed ({}): {}",
            out.status,
            stderr.trim()
        );
        None
    }

    fn write_raw(text: &[u8]) {
        let _change = cron_change();
        cmd::run_with_stdin(Command::new("crontab").args(["-u", TEST_USER, "-"]), text);
    }
}

impl Drop for TestCrontab {
    fn drop(&mut self) {
        let _change = cron_change();
        let out = match &self.saved {
            Some(text) => {
                // Not cmd::run_with_stdin: it panics, and we may be unwinding already.
                let child = Command::new("crontab")
                    .args(["-u", TEST_USER, "-"])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn();
                child.and_then(|mut child| {
                    child.stdin.take().expect("piped").write_all(text)?;
                    child.wait_with_output()
                })
            }
            None => Command::new("crontab")
                .args(["-u", TEST_USER, "-r"])
                .stdin(std::process::Stdio::null())
                .output(),
        };
        match out {
            Ok(out) if out.status.success() => {}
            // Removing a crontab that is already gone is what we wanted.
            Ok(out) if String::from_utf8_lossy(&out.stderr).contains("no crontab for") => {}
            Ok(out) => eprintln!(
                "warning: could not restore the crontab of {TEST_USER}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("warning: could not restore the crontab of {TEST_USER}: {e}"),
        }
    }
}

static CRON_D_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Who has `/etc/cron.d` in this process: how many tests have (or are making) a file there, and
/// whether one test has the directory alone.
struct CronDUsers {
    shares: usize,
    alone: bool,
}

static CRON_D_USERS: Mutex<CronDUsers> = Mutex::new(CronDUsers {
    shares: 0,
    alone: false,
});
static CRON_D_USERS_CHANGED: Condvar = Condvar::new();

fn cron_d_users() -> MutexGuard<'static, CronDUsers> {
    // Nothing panics while holding it; a poisoned lock still has consistent counts.
    CRON_D_USERS.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait_for_cron_d_users(
    users: MutexGuard<'static, CronDUsers>,
) -> MutexGuard<'static, CronDUsers> {
    CRON_D_USERS_CHANGED
        .wait(users)
        .unwrap_or_else(|e| e.into_inner())
}

/// A share of `/etc/cron.d`, held while a test has a file there or the product may be making one:
/// [`CronDFile`] and [`CronDGuard`] hold one, and so must any other guard of such a file. Shares
/// do not exclude each other, only [`CronDAlone`].
pub struct CronDShare(());

impl CronDShare {
    /// Waits while another test has the directory alone.
    pub fn take() -> CronDShare {
        let mut users = cron_d_users();
        while users.alone {
            users = wait_for_cron_d_users(users);
        }
        users.shares += 1;
        CronDShare(())
    }
}

impl Drop for CronDShare {
    fn drop(&mut self) {
        cron_d_users().shares -= 1;
        CRON_D_USERS_CHANGED.notify_all();
    }
}

/// `/etc/cron.d` to one test alone: while it is held, no other test of this process has a file
/// there or makes one. For a test that compares the directory's listing before and after, now
/// that all e2e tests run on parallel threads of one process (they were separate binaries, which
/// cargo runs one after another).
///
/// Never take it while holding a [`CronDShare`] (it would wait for itself). A test that needs
/// both acquires [`TestCrontab`] first; so no test may wait for [`TestCrontab`] while it holds a
/// share.
pub struct CronDAlone(());

impl CronDAlone {
    /// Waits until no test of this process has a file in `/etc/cron.d` or the directory alone.
    pub fn take() -> CronDAlone {
        let mut users = cron_d_users();
        while users.alone || users.shares > 0 {
            users = wait_for_cron_d_users(users);
        }
        users.alone = true;
        CronDAlone(())
    }
}

impl Drop for CronDAlone {
    fn drop(&mut self) {
        cron_d_users().alone = false;
        CRON_D_USERS_CHANGED.notify_all();
    }
}

/// A file `/etc/cron.d/crontainer-e2e-<pid>-<n>` made by this test; dropping it removes it.
pub struct CronDFile {
    path: PathBuf,
    /// Released after the file is removed (fields drop after `drop`).
    _share: CronDShare,
}

impl CronDFile {
    /// Writes `contents` (lines with a user field; must end in a newline, or Debian's cron
    /// ignores the whole file) as a new cron.d file, root-owned and 0644 as cron demands.
    pub fn create(contents: &str) -> CronDFile {
        assert!(
            contents.ends_with('\n'),
            "Debian's cron ignores a cron.d file whose last line has no newline"
        );
        let share = CronDShare::take();
        let name = unique_cron_d_name();
        let path = Path::new("/etc/cron.d").join(&name);
        assert!(!path.exists(), "{} exists already", path.display());
        // Written under a dotted name (which Debian's cron skips) and renamed, so cron never
        // reads half a file: it would ignore the whole file until its mtime changed again.
        let tmp = Path::new("/etc/cron.d").join(format!(".{name}.tmp"));
        let guard = CronDFile {
            path,
            _share: share,
        };
        let _change = cron_change();
        let write = || -> std::io::Result<()> {
            std::fs::write(&tmp, contents)?;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?;
            std::fs::rename(&tmp, &guard.path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            panic!("cannot write {}: {e}", guard.path.display());
        }
        guard
    }
}

impl Drop for CronDFile {
    fn drop(&mut self) {
        let _change = cron_change();
        if let Err(e) = std::fs::remove_file(&self.path) {
            eprintln!("warning: could not remove {}: {e}", self.path.display());
        }
    }
}

/// A fresh name `crontainer-e2e-<pid>-<n>` for a file in `/etc/cron.d` (the shape
/// `scripts/provision-e2e` recognises as a leftover once `<pid>` is gone); also usable as a
/// crontab block name.
pub fn unique_cron_d_name() -> String {
    format!(
        "crontainer-e2e-{}-{}",
        std::process::id(),
        CRON_D_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `/etc/cron.d/<name>` as written by the product (`crontainer install --target cron.d`): the
/// test names it, the product makes it; dropping the guard removes it if it is still there, so
/// a failed test never leaves a line that fires every minute.
pub struct CronDGuard {
    path: PathBuf,
    /// Released after the file is removed (fields drop after `drop`).
    _share: CronDShare,
}

impl CronDGuard {
    /// Claims a fresh unique name; nothing is written.
    pub fn new() -> CronDGuard {
        let share = CronDShare::take();
        let path = Path::new("/etc/cron.d").join(unique_cron_d_name());
        assert!(!path.exists(), "{} exists already", path.display());
        CronDGuard {
            path,
            _share: share,
        }
    }

    /// The file name, for `[cron] name`.
    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CronDGuard {
    fn drop(&mut self) {
        if !self.path.exists() {
            return;
        }
        let _change = cron_change();
        if let Err(e) = std::fs::remove_file(&self.path) {
            eprintln!("warning: could not remove {}: {e}", self.path.display());
        }
    }
}

/// A temporary directory owned by the test user, so its cron jobs can write logs and locks there
/// (the directory's parents must be searchable by that user: `/tmp` is).
pub struct UserDir {
    dir: tempfile::TempDir,
}

impl UserDir {
    pub fn new() -> UserDir {
        let dir = tempfile::Builder::new()
            .prefix("crontainer-e2e-job-")
            .tempdir()
            .expect("temp dir for job logs");
        let user = test_user();
        nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap_or_else(|e| {
            panic!("cannot chown {} to {TEST_USER}: {e}", dir.path().display())
        });
        UserDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside this directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for UserDir {
    /// The run history of the jobs that logged here goes with their logs.
    fn drop(&mut self) {
        super::history::forget_logs_under(self.dir.path());
    }
}

/// A temporary directory only root may write, for the logs of jobs that run as root: a root job
/// may not log where another user could swap the log for a symlink (install refuses it).
pub struct RootDir {
    dir: tempfile::TempDir,
}

impl RootDir {
    pub fn new() -> RootDir {
        let dir = tempfile::Builder::new()
            .prefix("crontainer-e2e-root-")
            .tempdir()
            .expect("temp dir for root jobs' logs");
        RootDir { dir }
    }

    /// A path inside this directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for RootDir {
    /// The run history of the jobs that logged here goes with their logs.
    fn drop(&mut self) {
        super::history::forget_logs_under(self.dir.path());
    }
}

/// Where Debian's cron looks for changes: it reloads only when the newest mtime of these differs
/// from the one it saw at its last load, in whole seconds (vixie cron 3.0pl1 and Debian's
/// patches, database.c; cronie fixed the same race by capping the mtime it keeps at now - 1).
const CRON_WATCHED: [&str; 3] = ["/var/spool/cron/crontabs", "/etc/cron.d", "/etc/crontab"];

static CRON_CHANGE: Mutex<()> = Mutex::new(());

/// To be held while changing a crontab or a cron.d file. Two changes within one second, with
/// cron's minutely load between them, leave the newest mtime equal to the one cron saw, so cron
/// would miss the second change until something else changed: a line that never fires, or a
/// removed one that keeps firing. So each change waits until the clock has left the second of the
/// newest mtime (at most a second), and changes in this process take turns.
fn cron_change() -> MutexGuard<'static, ()> {
    let guard = CRON_CHANGE.lock().unwrap_or_else(|e| e.into_inner());
    let newest = CRON_WATCHED
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.mtime())
        .max()
        .unwrap_or(0);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    while now() <= newest {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    guard
}

fn test_user() -> nix::unistd::User {
    nix::unistd::User::from_name(TEST_USER)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no user {TEST_USER}: run scripts/provision-e2e"))
}
