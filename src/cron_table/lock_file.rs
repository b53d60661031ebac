//! The lock file of a target in /run/lock, where every user may create files (issue 26): a
//! symlink planted at its name led root to create the file it pointed to (an empty root-owned
//! `/etc/nologin` where `fs.protected_symlinks` is 0), and any user could hold a shared `flock`
//! on the 0644 file so that root's `install` and `pause` waited forever without a word.
//!
//! So the name is opened without following a symlink and without waiting; only a regular file
//! with one link, owned by root, the target's owner or us, is used; anything else there (a
//! symlink, a file of another user) is removed when we may (root may, in the sticky /run/lock)
//! and refused otherwise; a new file is created `O_EXCL`, mode 0600, and given to the target's
//! owner when root made it, so they can still take it; and the wait is bounded and names the
//! holder.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::fcntl::{Flock, FlockArg};
use nix::libc;

/// How long to wait for another holder of a target's lock, in seconds (`$CRONTAINER_LOCK_WAIT`
/// overrides; another crontainer holds it well under a second).
pub(crate) const ENV_LOCK_WAIT: &str = "CRONTAINER_LOCK_WAIT";
const DEFAULT_WAIT: u64 = 60;

/// The wait: the variable's whole seconds, else the default.
pub(crate) fn wait() -> Duration {
    let seconds = std::env::var(ENV_LOCK_WAIT)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_WAIT);
    Duration::from_secs(seconds)
}

/// Opens (or creates) the lock file at `path` for a target that `owner` (None: root) may edit.
pub(crate) fn open(path: &Path, owner: Option<&nix::unistd::User>) -> Result<File> {
    let me = nix::unistd::geteuid().as_raw();
    let owner_uid = owner.map_or(0, |u| u.uid.as_raw());
    // Two rounds: a name removed in the first is created in the second; a third would mean
    // someone keeps planting it.
    for _ in 0..3 {
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path);
        let why = match opened {
            Ok(file) => {
                let meta = file
                    .metadata()
                    .with_context(|| format!("could not read {}", path.display()))?;
                let uid = meta.uid();
                if !meta.is_file() {
                    "it is not a regular file".to_string()
                } else if meta.nlink() != 1 {
                    format!("it has {} hard links", meta.nlink())
                } else if uid != 0 && uid != owner_uid && uid != me {
                    format!(
                        "it belongs to {}, who may not edit this target",
                        crate::host::user_name(uid)
                    )
                } else {
                    if uid == me && uid == owner_uid && meta.mode() & 0o077 != 0 {
                        // Made by an older crontainer, 0644: any user could hold it. (Root's
                        // old file for a user's crontab stays readable: that user needs it.)
                        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
                    }
                    return Ok(file);
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => "it is a symbolic link".to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match crate::safe_file::create_new(path, 0o600) {
                    Ok(file) => {
                        if me == 0 && owner_uid != 0 {
                            let gid = owner.map(|u| u.gid.as_raw());
                            std::os::unix::fs::fchown(&file, Some(owner_uid), gid).with_context(
                                || {
                                    format!(
                                        "could not give {} to its crontab's owner",
                                        path.display()
                                    )
                                },
                            )?;
                        }
                        return Ok(file);
                    }
                    // Someone made it in between: look at it again.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => {
                        return Err(e).with_context(|| {
                            format!("could not create the lock file {}", path.display())
                        });
                    }
                }
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("could not open the lock file {}", path.display()));
            }
        };
        // Not a lock file of ours: out of the way when we may remove it (root may, in the sticky
        // /run/lock), which removes the name only, never what a link points to.
        if std::fs::remove_file(path).is_err() {
            bail!(
                "refusing the lock file {}: {why}, so another user could hold it or point it \
                 elsewhere; remove it (`sudo rm {}`) and try again",
                path.display(),
                crate::shell::quote(&path.to_string_lossy())
            );
        }
    }
    bail!(
        "could not make the lock file {}: something keeps putting another file at its name",
        path.display()
    )
}

/// Takes `file`'s lock, waiting at most `wait` for whoever holds it; past that, an error that
/// names the holder (its pid from /proc/locks).
pub(crate) fn wait_for(mut file: File, path: &Path, wait: Duration) -> Result<Flock<File>> {
    let start = Instant::now();
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(lock),
            Err((back, nix::errno::Errno::EWOULDBLOCK)) => {
                if start.elapsed() >= wait {
                    let holder = back
                        .metadata()
                        .ok()
                        .and_then(|m| crate::host::lock_holder_of(&m))
                        .map_or_else(|| "another process".to_string(), crate::host::describe_pid);
                    bail!(
                        "could not lock {}: {holder} holds it, and crontainer waited {} s; if \
                         it is another crontainer, let it finish, otherwise stop it; nothing \
                         was changed",
                        path.display(),
                        wait.as_secs()
                    );
                }
                file = back;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err((_, errno)) => bail!("could not lock {}: {errno}", path.display()),
        }
    }
}
