//! The run history the tests' jobs leave: the runner records each run and skipped firing in the
//! ledger of the user it runs as (`/var/lib/crontainer/history` for root, the test user's
//! `~/.local/state/crontainer/history`), whether cron fired it or a test ran `run-now`, outside
//! every temp dir a test removes. A ledger is named after its job and a hash of the job's log
//! path (`crontainer::history::file_name`), and every test keeps its logs in a temp dir of its
//! own: so the ledgers of the logs under that dir are the test's, and only those are removed
//! (never another test's, a person's, or one whose log lies elsewhere).

use std::path::{Path, PathBuf};

use super::TEST_USER;

/// Where the runner keeps the ledgers of the jobs the tests run: root's, and the test user's
/// default (cron sets no `XDG_STATE_HOME`).
fn ledger_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(crontainer::history::ROOT_DIR)];
    if let Ok(Some(user)) = nix::unistd::User::from_name(TEST_USER) {
        dirs.push(user.dir.join(".local/state/crontainer/history"));
    }
    dirs
}

/// The end of the ledger's file name for a job logging to `log`: `-HASH.jsonl`.
fn ledger_suffix(log: &Path) -> String {
    let name = crontainer::history::file_name("x", log);
    name.strip_prefix('x').unwrap_or(&name).to_owned()
}

/// The files under `dir` (its subdirectories too, never through a symlink): the logs, rotated
/// logs and lock files the test's jobs wrote.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        match entry.file_type() {
            Ok(t) if t.is_dir() => files_under(&entry.path(), out),
            Ok(t) if t.is_file() => out.push(entry.path()),
            _ => {}
        }
    }
}

/// Removes the ledgers of every job whose log is a file under `dir`; call it before `dir` goes.
pub fn forget_logs_under(dir: &Path) {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    if files.is_empty() {
        return;
    }
    let suffixes: Vec<String> = files.iter().map(|f| ledger_suffix(f)).collect();
    for ledgers in ledger_dirs() {
        let Ok(entries) = std::fs::read_dir(&ledgers) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // `JOB-HASH.jsonl`, JOB a job id: nothing else in the directory is ours to touch.
            let ours = suffixes.iter().any(|suffix| {
                name.strip_suffix(suffix.as_str()).is_some_and(|job| {
                    !job.is_empty()
                        && job.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                        })
                })
            });
            if ours && let Err(e) = std::fs::remove_file(entry.path()) {
                eprintln!("warning: could not remove {}: {e}", entry.path().display());
            }
        }
    }
}

/// Removes the ledgers of the jobs logging under a temp dir that is not one of the support
/// guards' ([`super::UserDir`], [`super::RootDir`], [`super::Crontainer`] do it themselves):
/// declared after the dir, it is dropped before it.
pub struct Ledgers(PathBuf);

impl Ledgers {
    pub fn of_logs_under(dir: &Path) -> Ledgers {
        Ledgers(dir.to_path_buf())
    }
}

impl Drop for Ledgers {
    fn drop(&mut self) {
        forget_logs_under(&self.0);
    }
}
