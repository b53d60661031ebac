//! Opening the files a user other than root may influence: a job's log and lock (their paths sit
//! in a block the user may have written, in directories the user may write), and crontainer's
//! own lock files in the shared /run/lock. Issue 26: a log turned into a FIFO hung root's
//! `status`, a lock symlinked to /dev/zero made `read_to_string` grow until memory ran out, and
//! root's `install` followed a dangling symlink at a user's log and created its target.
//!
//! So every open here is non-blocking (a FIFO or a device answers at once, and is refused after
//! `fstat`), accepts only a regular file, reads a bounded amount, and as root never follows a
//! symlink at the last component; files are created only new (`O_EXCL`, which never follows a
//! symlink either), and where the user could swap a directory on the way, by a child process that
//! has become that user, so the kernel checks the path as that user would be checked. It imports
//! nothing of ours (`nix` only), so the pure core's log reader can use it too.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::libc;

/// The most read of a small file (a lock file holds one run id, ~25 bytes).
pub(crate) const SMALL_FILE_MAX: u64 = 4096;

/// What a file is, when it is not a regular file, in words for a refusal.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Whether a symlink at the last component is followed: never as root (whoever wrote it could
/// point root at any file); a normal user may follow their own.
fn follows_symlinks() -> bool {
    !nix::unistd::geteuid().is_root()
}

/// The error for an open that met a symlink it must not follow (`ELOOP` under `O_NOFOLLOW`).
fn refuse_symlink(err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::ELOOP) {
        io::Error::other(
            "it is a symbolic link, which root does not follow (whoever made it could point it \
             at any file)",
        )
    } else {
        err
    }
}

/// Opens `path` for reading without blocking and only when it is a regular file; None when it
/// does not exist. A FIFO, a device, a directory or (as root) a symlink is an error that says
/// what it is.
pub(crate) fn open_regular(path: &Path) -> io::Result<Option<File>> {
    let mut flags = libc::O_NONBLOCK;
    if !follows_symlinks() {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse_symlink(e)),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "it is {}, not a regular file",
            kind_of(&meta)
        )));
    }
    Ok(Some(file))
}

/// The first `max` bytes of a regular file (see [`open_regular`]); None when it does not exist.
pub(crate) fn read_bounded(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let Some(file) = open_regular(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Creates `path` new, for appending, with `mode`: an existing name (a file, or a symlink,
/// dangling or not) is `AlreadyExists`, never opened.
pub(crate) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// A user to act as: uid, gid and groups, prepared before any fork.
pub(crate) struct AsUser {
    pub(crate) uid: nix::unistd::Uid,
    pub(crate) gid: nix::unistd::Gid,
    pub(crate) groups: Vec<nix::unistd::Gid>,
}

impl AsUser {
    /// `user`, with the groups the system gives them.
    pub(crate) fn of(user: &nix::unistd::User) -> io::Result<AsUser> {
        let name = std::ffi::CString::new(user.name.as_str())
            .map_err(|_| io::Error::other("the user name holds a NUL byte"))?;
        Ok(AsUser {
            uid: user.uid,
            gid: user.gid,
            groups: nix::unistd::getgrouplist(&name, user.gid).map_err(|e| {
                io::Error::other(format!("cannot read the groups of {}: {e}", user.name))
            })?,
        })
    }
}

/// What [`create_as`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Make {
    /// A directory (its parent must exist).
    Dir,
    /// A regular file, new (`O_EXCL`).
    File,
}

/// Creates `path` with `mode` in a child process that has become `user`, so the file is theirs
/// and every directory on the way is checked by the kernel as theirs: a symlink they planted
/// leads only where they could write anyway. `Ok(false)` when the name exists already (nothing
/// is then followed nor changed).
pub(crate) fn create_as(user: &AsUser, path: &Path, what: Make, mode: u32) -> io::Result<bool> {
    let c_path = c_path(path)?;
    // SAFETY (of the closure, run in the forked child): plain system calls on a NUL-terminated
    // path prepared before the fork.
    let done = as_user(user, || unsafe {
        libc::umask(0o022);
        match what {
            Make::Dir => libc::mkdir(c_path.as_ptr(), mode as libc::mode_t),
            Make::File => {
                let fd = libc::open(
                    c_path.as_ptr(),
                    libc::O_WRONLY
                        | libc::O_CREAT
                        | libc::O_EXCL
                        | libc::O_NOFOLLOW
                        | libc::O_CLOEXEC,
                    mode as libc::c_uint,
                );
                if fd >= 0 { libc::close(fd) } else { fd }
            }
        }
    });
    match done {
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(false),
        done => done.map(|()| true),
    }
}

/// Removes the name `path` (a symlink there is removed, never followed) in a child process that
/// has become `user`: root removes only what that user could remove themselves, wherever a path
/// they wrote leads. `Ok(false)` when there was nothing of that name.
pub(crate) fn remove_as(user: &AsUser, path: &Path) -> io::Result<bool> {
    let c_path = c_path(path)?;
    // SAFETY (of the closure, run in the forked child): one system call on a NUL-terminated
    // path prepared before the fork.
    match as_user(user, || unsafe { libc::unlink(c_path.as_ptr()) }) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        done => done.map(|()| true),
    }
}

fn c_path(path: &Path) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::other("the path holds a NUL byte"))
}

/// Runs `call` (system calls only, returning 0 or -1 with errno set) in a child process that
/// has become `user`; its errno as the error.
fn as_user(user: &AsUser, call: impl FnOnce() -> libc::c_int) -> io::Result<()> {
    // SAFETY: the child only makes system calls (setgroups, setgid, setuid, then `call`'s) on
    // data prepared before the fork, then exits without returning.
    match unsafe { nix::unistd::fork() }.map_err(io::Error::from)? {
        nix::unistd::ForkResult::Child => {
            let code = if nix::unistd::setgroups(&user.groups).is_err()
                || nix::unistd::setgid(user.gid).is_err()
                || nix::unistd::setuid(user.uid).is_err()
            {
                255
            } else if call() == 0 {
                0
            } else {
                // errno, capped to fit an exit code (EEXIST is 17).
                (nix::errno::Errno::last_raw()).clamp(1, 254)
            };
            // SAFETY: _exit(2) ends the child at once, without running the parent's atexit
            // handlers or flushing its buffers.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            match nix::sys::wait::waitpid(child, None).map_err(io::Error::from)? {
                nix::sys::wait::WaitStatus::Exited(_, 0) => Ok(()),
                nix::sys::wait::WaitStatus::Exited(_, 255) => Err(io::Error::other(format!(
                    "could not become uid {}",
                    user.uid
                ))),
                nix::sys::wait::WaitStatus::Exited(_, code) => {
                    Err(io::Error::from_raw_os_error(code))
                }
                status => Err(io::Error::other(format!(
                    "the process acting as uid {} ended with {status:?}",
                    user.uid
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_a_directory_and_a_device_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = |p: &Path| open_regular(p).unwrap_err().to_string();
        assert_eq!(err(&fifo), "it is a FIFO (named pipe), not a regular file");
        assert_eq!(err(dir.path()), "it is a directory, not a regular file");
        assert_eq!(
            err(Path::new("/dev/zero")),
            "it is a device, not a regular file"
        );
        assert!(open_regular(&dir.path().join("missing")).unwrap().is_none());
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, vec![b'x'; 10_000]).unwrap();
        assert_eq!(read_bounded(&file, 100).unwrap().unwrap().len(), 100);
    }

    #[test]
    fn create_new_never_follows_a_dangling_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = create_new(&link, 0o600).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(!target.exists());
        assert!(create_new(&dir.path().join("new"), 0o600).is_ok());
    }

    #[test]
    fn as_root_a_symlink_is_not_followed_for_reading() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let opened = open_regular(&link);
        if follows_symlinks() {
            assert!(opened.unwrap().is_some());
        } else {
            assert!(
                opened.unwrap_err().to_string().contains("symbolic link"),
                "root follows no symlink"
            );
        }
    }
}
