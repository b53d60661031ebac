//! A file in /etc/cron.d, owned by crontainer.
//!
//! Debian's cron only reads a cron.d file that is a regular file owned by root, not writable by
//! group or others, with one hard link, named with letters, digits, `_` and `-`; it ignores the
//! whole file when its last line lacks a newline or one line is bad. So the file is written to
//! a temp file in the same directory, made root:root 0644, and renamed into place. A file that
//! holds a healthcheck URL is made 0600 instead: the URL is a secret, and Debian's cron reads a
//! root-owned cron.d file whatever its mode (checked on 3.0pl1-162, and by
//! `tests/e2e/healthcheck.rs`); only users other than root can no longer read it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Debug, Clone)]
pub(crate) struct CronD {
    path: PathBuf,
    name: String,
}

impl CronD {
    pub(crate) fn new(dir: PathBuf, name: &str) -> CronD {
        CronD {
            path: dir.join(name),
            name: name.to_string(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn read(&self) -> Result<String> {
        match std::fs::read(&self.path) {
            Ok(bytes) => String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8 text", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            // A file holding a healthcheck URL is root's alone (see the module doc).
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(e).with_context(|| {
                    format!(
                        "could not read {}: only root may (it is mode 0600 when it holds a \
                     healthcheck URL); run with sudo",
                        self.path.display()
                    )
                })
            }
            Err(e) => Err(e).with_context(|| format!("could not read {}", self.path.display())),
        }
    }

    /// Writes the whole file atomically; an empty text removes the file.
    pub(crate) fn write(&self, text: &str) -> Result<()> {
        if text.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("could not remove {}", self.path.display()))
                }
                Ok(()) => Ok(()),
                // Already gone (this is the second write of `Target::write`): give the
                // directory a fresh mtime so cron notices the removal.
                Err(_) => {
                    let dir = self.path.parent().unwrap_or(Path::new("/"));
                    let _ = std::fs::File::open(dir)
                        .and_then(|d| d.set_modified(std::time::SystemTime::now()));
                    Ok(())
                }
            };
        }
        debug_assert!(
            text.ends_with('\n'),
            "cron ignores a cron.d file without a final newline"
        );
        let mode = if crate::line::holds_ping(text) {
            0o600
        } else {
            0o644
        };
        super::write_atomically(&self.path, text.as_bytes(), mode)?;
        // Cron notices a changed cron.d file by the directory's mtime on some versions; the
        // rename updates it.
        Ok(())
    }
}
