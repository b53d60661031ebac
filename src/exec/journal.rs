//! The job's log and lock as one firing holds them: the log opened for appending (the job's
//! output goes straight into it), the lock file `LOG.lock` locked with `flock` (the file and the
//! lock 0.2's line takes with `flock -n 9`, so a 0.2 run still going and a new firing exclude
//! each other), the run id and its mark in the lock file, and the start, end and skip records, written by
//! `run_log::Record`, the type `status` reads them with.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::fd::{AsRawFd as _, RawFd};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use nix::fcntl::{Flock, FlockArg};

use crate::run_log::{LockFile, Record, RunId};

/// The log and the lock file of one job, open.
pub(crate) struct Journal {
    log: File,
    log_path: PathBuf,
    lock: Option<Flock<File>>,
    lock_file: Option<File>,
}

/// Opens an existing or new regular file: never through a symlink at the last component, never a
/// FIFO or a device (`O_NONBLOCK` so that opening a FIFO cannot hang the firing).
fn open_regular(path: &Path, options: &mut OpenOptions) -> Result<File> {
    let file = options
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("could not open {}", path.display()))?;
    if !file.metadata()?.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    // Back to blocking writes: the job's output must never be dropped for a full pipe or disk
    // buffer (regular files ignore the flag, but the child inherits it).
    let fd = file.as_raw_fd();
    let flags = nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETFL)?;
    let flags = nix::fcntl::OFlag::from_bits_truncate(flags) & !nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETFL(flags))
        .with_context(|| format!("could not set the flags of fd {fd}"))?;
    Ok(file)
}

impl Journal {
    /// Opens the log (created if missing, for appending) and its lock file `LOG.lock`.
    pub(crate) fn open(log_path: &Path) -> Result<Journal> {
        let log = open_regular(
            log_path,
            OpenOptions::new().read(true).append(true).create(true),
        )?;
        let lock_path = crate::config::lock_path(log_path);
        let lock_file = open_regular(
            &lock_path,
            OpenOptions::new().read(true).write(true).create(true),
        )?;
        Ok(Journal {
            log,
            log_path: log_path.to_owned(),
            lock: None,
            lock_file: Some(lock_file),
        })
    }

    /// Takes the job's lock without waiting: false when another run (of this runner, or of a
    /// 0.2 line) holds it.
    pub(crate) fn try_lock(&mut self) -> Result<bool> {
        self.try_lock_as(FlockArg::LockExclusiveNonblock)
    }

    /// Takes the job's lock shared (`--concurrency allow`): runs side by side share it, and a
    /// run of a job that forbids overlaps (or a 0.2 line's `flock -n 9`) still excludes them.
    pub(crate) fn try_lock_shared(&mut self) -> Result<bool> {
        self.try_lock_as(FlockArg::LockSharedNonblock)
    }

    fn try_lock_as(&mut self, how: FlockArg) -> Result<bool> {
        let file = self.lock_file.take().expect("locked once");
        match Flock::lock(file, how) {
            Ok(lock) => {
                self.lock = Some(lock);
                Ok(true)
            }
            Err((file, nix::errno::Errno::EWOULDBLOCK)) => {
                self.lock_file = Some(file);
                Ok(false)
            }
            Err((_, errno)) => Err(anyhow::anyhow!(
                "could not lock {}.lock: {errno}",
                self.log_path.display()
            )),
        }
    }

    fn lock_handle(&self) -> &File {
        match (&self.lock, &self.lock_file) {
            (Some(lock), _) => lock,
            (None, Some(file)) => file,
            (None, None) => unreachable!("the lock file is open"),
        }
    }

    /// The fd of the held lock, for the runtime's client to inherit: the lock then stays held
    /// as long as the client runs, even if the runner is killed outright.
    pub(crate) fn lock_fd(&self) -> RawFd {
        self.lock_handle().as_raw_fd()
    }

    /// What the lock file says: the run it names (the newest run that started) and that run's
    /// mark, read from its start and bounded (`run_log::LockFile`).
    pub(crate) fn lock_file(&self) -> LockFile {
        let mut buf = [0u8; crate::run_log::LOCK_READ];
        match self.lock_handle().read_at(&mut buf, 0) {
            Ok(n) => LockFile::parse(&buf[..n]),
            Err(_) => LockFile::default(),
        }
    }

    /// The run the lock file names.
    pub(crate) fn lock_run(&self) -> Option<RunId> {
        self.lock_file().run
    }

    /// Writes the run's id and its mark into the lock file so that they always parse:
    /// truncated, then written at offset 0, whatever was there before.
    pub(crate) fn set_run(&self, run: RunId, mark: &str) -> io::Result<()> {
        let file = self.lock_handle();
        file.set_len(0)?;
        file.write_all_at(LockFile::text(run, mark).as_bytes(), 0)
    }

    /// Takes the run's mark out of the lock file once its end line is written: a mark left
    /// there says the runner never finished (`orphan::left_going`). Only while the file still
    /// names `run` (an `allow` run beside it may have written its own since); line 1 stays as
    /// it is, so the file is cut after it.
    pub(crate) fn clear_mark(&self, run: RunId) -> io::Result<()> {
        if self.lock_file().run != Some(run) {
            return Ok(());
        }
        self.lock_handle().set_len(format!("{run}\n").len() as u64)
    }

    /// Appends a record on a line of its own: after a newline when the job's output did not end
    /// with one, in a single write.
    pub(crate) fn write(&self, record: &Record) -> io::Result<()> {
        let mut line = Vec::with_capacity(128);
        if !self.ends_with_newline()? {
            line.push(b'\n');
        }
        line.extend_from_slice(record.to_string().as_bytes());
        line.push(b'\n');
        (&self.log).write_all(&line)
    }

    fn ends_with_newline(&self) -> io::Result<bool> {
        let size = self.size()?;
        if size == 0 {
            return Ok(true);
        }
        let mut last = [0u8; 1];
        let n = self.log.read_at(&mut last, size - 1)?;
        Ok(n == 0 || last[0] == b'\n')
    }

    /// The log, to write a line of the runner's own (why the container is not there) where the
    /// job's output goes.
    pub(crate) fn output_line(&self) -> &File {
        &self.log
    }

    /// The log's size now.
    pub(crate) fn size(&self) -> io::Result<u64> {
        Ok(self.log.metadata()?.len())
    }

    /// The last `max` bytes the log gained after `from` (the run's output, for the end ping).
    pub(crate) fn tail(&self, from: u64, max: u64) -> io::Result<Vec<u8>> {
        let size = self.size()?;
        let from = from.max(size.saturating_sub(max)).min(size);
        let mut buf = vec![0u8; usize::try_from(size - from).unwrap_or(0)];
        let n = self.log.read_at(&mut buf, from)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Another handle on the log, for the job's stdout and stderr: appending, so its output and
    /// the records never overwrite each other.
    pub(crate) fn output(&self) -> io::Result<File> {
        self.log.try_clone()
    }

    /// Leaves the lock held after the runner exits, by whoever still has it open (the runtime's
    /// client of a job that could not be stopped): dropping it would unlock it for them too.
    pub(crate) fn keep_locked(mut self) {
        if let Some(lock) = self.lock.take() {
            std::mem::forget(lock);
        }
    }
}
