//! The run ledger: one JSON line per run (cron, run-now, catch-up, each attempt) and per skipped
//! firing, written by the runner (`src/exec/`) into a file of the job's own, read by `history`
//! and `status`. The log is not a history: rotation deletes it (5 x 10 MiB by default), so a job
//! that prints 20 MiB a run keeps its last two there; the ledger keeps the facts of every run
//! (start, end, duration, exit, reason, ping, attempt) and nothing of the output.
//!
//! **The store** is an append-only JSON-lines file per job (docs/ARCHITECTURE.md says why, not
//! SQLite): each record is one `write(2)` of one line to a file opened `O_APPEND`, under an
//! exclusive `flock` on the file itself, so concurrent writers (a run and the firings it makes
//! skip) never interleave, and a crash leaves at most a torn last line, which the reader skips
//! and the next writer ends with a newline before its own record; no other record can be lost.
//!
//! **Where**: `$CRONTAINER_HISTORY_DIR` (tests), else `/var/lib/crontainer/history` for root,
//! else `$XDG_STATE_HOME/crontainer/history` or `~/.local/state/crontainer/history` of the user
//! the runner runs as (the job's user: cron runs the line as that user). The file is named after
//! the job and its log path (`JOB-HASH.jsonl`): the log path is unique among installed jobs, the
//! job id is not (two blocks may hold the same id).
//!
//! **Bounded**: when the file grows past [`Limits::compact_at`] bytes, the writer (still holding
//! the lock) keeps the newest `succeeded` successful runs, the newest `failed` failed runs and
//! the newest `failed` skipped firings (Kubernetes' successfulJobsHistoryLimit and
//! failedJobsHistoryLimit), written to a temp file in the same directory and renamed over the
//! file. Between compactions the file holds up to a few times that (compacting at every record
//! would rewrite the file each run); `history` applies the same [`Limits::keep`] when it reads,
//! so what it shows and sums up is exactly what the limits promise. A writer that locked the old file sees it was replaced (its inode is no longer the
//! path's) and opens the new one.
//!
//! **Safety**: for root the directory and everything above it must be root's and writable by
//! no one else (`host::loose_for_root`), and the file is opened without following a symlink and
//! must be a regular file owned by root; mode 0644 (no secrets: the ping URL is never recorded).

pub mod from_log;
pub mod runs;
pub mod summary;
#[cfg(test)]
mod tests;
pub mod usual;

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use jiff::Timestamp;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::run_log::Trigger;

/// Overrides where the ledger lives, for every user (tests).
pub const ENV_HISTORY_DIR: &str = "CRONTAINER_HISTORY_DIR";

/// Root's ledger directory.
pub const ROOT_DIR: &str = "/var/lib/crontainer/history";

/// The default number of successful runs kept per job (`history_limit`).
pub const DEFAULT_SUCCEEDED: usize = 1000;
/// The default number of failed runs, and of skipped firings, kept per job
/// (`failed_history_limit`).
pub const DEFAULT_FAILED: usize = 1000;

/// The most of a ledger file that is read: a file someone filled costs no more than this.
const MAX_READ: u64 = 64 * 1024 * 1024;

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A run (or one attempt of a run with retries) that started.
    Run,
    /// A firing that did not start a run (`reason`: `running`, `no-missed-slot`, ...).
    Skip,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    pub job: String,
    /// The block the job is installed in, when the runner knows it; empty otherwise.
    #[serde(default)]
    pub block: String,
    /// `PID-EPOCH`: the run's id, or for a skip the id of the run that held the lock.
    #[serde(default)]
    pub run: Option<String>,
    /// `cron`, `run-now:USER` or `catch-up`, as the log's `by=` says it.
    pub trigger: String,
    /// When the run started, or when the firing was skipped.
    pub start: Timestamp,
    #[serde(default)]
    pub end: Option<Timestamp>,
    #[serde(default)]
    pub seconds: Option<u64>,
    #[serde(default)]
    pub exit: Option<i32>,
    /// Why the run ended other than by itself (`timeout`, `interrupted`, `client_gone`,
    /// `replaced`, `no_container`, ...), or why the firing was skipped.
    #[serde(default)]
    pub reason: Option<String>,
    /// `ok` or `failed`, for a job with a healthcheck.
    #[serde(default)]
    pub ping: Option<String>,
    /// 1 for the first attempt of a run.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

impl Entry {
    /// True for a run that ended with exit 0 and no reason.
    pub fn succeeded(&self) -> bool {
        self.kind == Kind::Run && self.exit == Some(0) && self.reason.is_none()
    }

    /// True for a run that ended otherwise.
    pub fn failed(&self) -> bool {
        self.kind == Kind::Run && !self.is_start() && !self.succeeded()
    }

    /// True for the record of an attempt that started, written before it ends (no end, no
    /// exit): its end record supersedes it ([`runs`]).
    pub fn is_start(&self) -> bool {
        self.kind == Kind::Run && self.end.is_none() && self.exit.is_none()
    }
}

/// The `by=` word of a trigger, as the log writes it.
pub fn trigger_word(by: &Trigger) -> String {
    match by {
        Trigger::Cron => "cron".to_owned(),
        Trigger::RunNow { user } => format!("run-now:{user}"),
        Trigger::CatchUp => "catch-up".to_owned(),
    }
}

/// How many records of each kind a job's ledger keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub succeeded: usize,
    pub failed: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            succeeded: DEFAULT_SUCCEEDED,
            failed: DEFAULT_FAILED,
        }
    }
}

impl Limits {
    /// The limits a runner line sets (`--history-limit`, `--failed-history-limit`), the
    /// defaults where it sets none: what its ledger keeps, and what `history` shows of it.
    pub fn of_line(args: &crate::runner_args::RunnerArgs) -> Limits {
        let defaults = Limits::default();
        Limits {
            succeeded: args.history_limit.unwrap_or(defaults.succeeded),
            failed: args.failed_history_limit.unwrap_or(defaults.failed),
        }
    }

    /// The file size past which a writer compacts: a record is 150 to 400 bytes, so at 1 KiB per
    /// kept record a compaction happens at most once per several limits' worth of runs, and the
    /// file stays within a few MiB at the default limits.
    pub fn compact_at(&self) -> u64 {
        let records = self.succeeded + 2 * self.failed;
        u64::try_from(records.max(1)).unwrap_or(u64::MAX) * 1024
    }

    /// The newest records within the limits, in their order: the records of the newest
    /// `succeeded` successful runs, of the newest `failed` failed runs and the newest `failed`
    /// skipped firings. A run's records (its attempts, [`runs`]) are kept or dropped together,
    /// as its last attempt's result says.
    pub fn keep(&self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut keep = vec![false; entries.len()];
        let (mut ok, mut bad) = (0usize, 0usize);
        for run in runs::runs(&entries).iter().rev() {
            let (count, limit) = match run.succeeded() {
                true => (&mut ok, self.succeeded),
                false => (&mut bad, self.failed),
            };
            *count += 1;
            for at in run.records() {
                keep[at] = *count <= limit;
            }
        }
        let mut skips = 0usize;
        for (at, entry) in entries.iter().enumerate().rev() {
            if entry.kind == Kind::Skip {
                skips += 1;
                keep[at] = skips <= self.failed;
            }
        }
        entries
            .into_iter()
            .zip(keep)
            .filter_map(|(entry, keep)| keep.then_some(entry))
            .collect()
    }
}

/// The ledger directory of the user this process runs as: what the runner writes to.
pub fn own_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_HISTORY_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if crate::host::is_root() {
        return Ok(PathBuf::from(ROOT_DIR));
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("crontainer/history"));
    }
    let home = std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .context("cannot find where to keep the run history: set HOME or XDG_STATE_HOME")?;
    Ok(PathBuf::from(home).join(".local/state/crontainer/history"))
}

/// Where the runs of a job that runs as `user` may be recorded, most likely first: for the
/// user this process runs as, [`own_dir`] (its `XDG_STATE_HOME` may differ from cron's, which
/// sets none, so the home's default follows); for another user, root's directory or that
/// user's `~/.local/state/crontainer/history`.
pub fn dirs_for(user: Option<&str>) -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_HISTORY_DIR).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let current = crate::host::current_user();
    let user = user.unwrap_or(&current);
    if user == "root" {
        return vec![PathBuf::from(ROOT_DIR)];
    }
    let mut dirs = Vec::new();
    if user == current {
        dirs.extend(own_dir().ok());
    }
    if let Ok(Some(u)) = nix::unistd::User::from_name(user) {
        let home = u.dir.join(".local/state/crontainer/history");
        if !dirs.contains(&home) {
            dirs.push(home);
        }
    }
    dirs
}

/// The file name of a job's ledger: its id and a hash of its log path (FNV-1a, 64 bits; stable
/// across releases and platforms, unlike std's hasher).
pub fn file_name(job: &str, log: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in log.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{job}-{hash:016x}.jsonl")
}

/// Opens a ledger file without following a symlink or blocking on a FIFO; it must be regular.
fn open_file(path: &Path, options: &mut OpenOptions) -> Result<File> {
    let file = options
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("could not open {}", path.display()))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    if crate::host::is_root() && meta.uid() != 0 {
        bail!(
            "{} is owned by {}, not root: root does not write a file another user owns",
            path.display(),
            crate::host::user_name(meta.uid())
        );
    }
    Ok(file)
}

/// Creates the ledger directory (0755) if missing and, for root, refuses one that another user
/// could change.
fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .with_context(|| format!("could not create {}", dir.display()))?;
    if crate::host::is_root()
        && let Some(loose) = crate::host::loose_for_root(dir, true)
    {
        bail!(
            "{}: root keeps no history where another user could change it",
            loose.describe()
        );
    }
    Ok(())
}

/// Appends `entry` to the job's ledger in `dir` as one line, then compacts the file when it grew
/// past `limits`.
pub fn append(dir: &Path, log: &Path, entry: &Entry, limits: Limits) -> Result<()> {
    ensure_dir(dir)?;
    let path = dir.join(file_name(&entry.job, log));
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    // A compaction renames a new file over the path while we wait for the lock: then the file we
    // locked is no longer the ledger, and the new one is opened (a few tries at most).
    for _ in 0..5 {
        let file = open_file(
            &path,
            OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .mode(0o644),
        )?;
        let locked = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, e)| anyhow::anyhow!("could not lock {}: {e}", path.display()))?;
        let ours = locked.metadata()?;
        match std::fs::symlink_metadata(&path) {
            Ok(now) if now.ino() == ours.ino() && now.dev() == ours.dev() => {}
            _ => continue,
        }
        // A crash mid-write left a torn last line: end it first, in the same write, or this
        // record would be glued onto it and the reader would drop both (as the log's
        // `journal::write` does).
        let torn = !ends_with_newline(&locked, ours.len())
            .with_context(|| format!("could not read {}", path.display()))?;
        let ended;
        let bytes: &[u8] = match torn {
            true => {
                ended = [b"\n".as_slice(), &line].concat();
                &ended
            }
            false => &line,
        };
        (&*locked)
            .write_all(bytes)
            .with_context(|| format!("could not write {}", path.display()))?;
        if ours.len() + bytes.len() as u64 > limits.compact_at() {
            compact(&path, &locked, limits)?;
        }
        return Ok(());
    }
    bail!("{} kept being replaced while writing", path.display())
}

/// Whether a file of `size` bytes is empty or ends with a newline.
fn ends_with_newline(file: &File, size: u64) -> std::io::Result<bool> {
    if size == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    let n = std::os::unix::fs::FileExt::read_at(file, &mut last, size - 1)?;
    Ok(n == 0 || last[0] == b'\n')
}

/// Rewrites the ledger with only what `limits` keeps, holding its lock.
fn compact(path: &Path, mut file: &File, limits: Limits) -> Result<()> {
    // From the start: the append left the offset at the end.
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))?;
    let entries = parse(&read_all(file)?);
    let kept = limits.keep(entries);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".history")
        .tempfile_in(dir)
        .with_context(|| format!("could not create a temp file in {}", dir.display()))?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        for entry in &kept {
            serde_json::to_writer(&mut out, entry)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    use std::os::unix::fs::PermissionsExt as _;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("could not replace {}", path.display()))?;
    Ok(())
}

fn read_all(file: &File) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(MAX_READ).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The records of a ledger's text, in order; a line that does not parse (the torn last line of
/// a crash, or anything else) is skipped.
pub fn parse(bytes: &[u8]) -> Vec<Entry> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// The records of the ledger of job `job` with log `log` in the first of `dirs` that has one;
/// None when none has.
pub fn read(dirs: &[PathBuf], job: &str, log: &Path) -> Result<Option<Vec<Entry>>> {
    read_last(dirs, job, log, MAX_READ)
}

/// [`read`], of the last `max` bytes only (`status` wants the newest few hundred records, at
/// the cost of one small read whatever the ledger's size); a first line cut by the bound is
/// skipped like a torn one.
pub fn read_last(dirs: &[PathBuf], job: &str, log: &Path, max: u64) -> Result<Option<Vec<Entry>>> {
    let name = file_name(job, log);
    for dir in dirs {
        let path = dir.join(&name);
        // A user's ledger is theirs to write: read as root, it is opened as any file a user may
        // influence is (non-blocking, a regular file only, no symlink followed), and only data
        // comes out of it.
        let Some(mut file) = crate::safe_file::open_regular(&path)
            .with_context(|| format!("could not open {}", path.display()))?
        else {
            continue;
        };
        let from = file.metadata()?.len().saturating_sub(max.min(MAX_READ));
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
        let entries = parse(&read_all(&file)?);
        return Ok(Some(entries.into_iter().filter(|e| e.job == job).collect()));
    }
    Ok(None)
}

/// What `status` says about a job's durations: its ledger's newest records (the last 256 KiB,
/// about a thousand: one small read whatever the ledger's size), and the run going now (its id
/// and how long it has been going). Without a ledger, only how long the run going now goes.
pub fn durations(
    dirs: &[PathBuf],
    job: &str,
    log: &Path,
    running: Option<(&str, u64)>,
) -> usual::Durations {
    match read_last(dirs, job, log, 256 * 1024) {
        Ok(Some(entries)) => usual::Durations::of(&entries, running),
        // No ledger yet (a first run going, or a 0.2 line): how long the run goes is still known.
        _ => usual::Durations {
            failures: None,
            ..usual::Durations::of(&[], running)
        },
    }
}
