//! A user's crontab, through the `crontab` program (whatever cron the host runs).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::process::Cmd;

#[derive(Debug, Clone)]
pub(crate) struct Crontab {
    /// `crontab -u USER`; None: the invoking user's own crontab.
    user: Option<String>,
}

impl Crontab {
    pub(crate) fn new(user: Option<String>) -> Crontab {
        Crontab { user }
    }

    /// Looked up on PATH once per run: an install runs it three times and more, and each
    /// lookup asks the file system about every PATH entry.
    fn program() -> Result<PathBuf> {
        static PROGRAM: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
        PROGRAM
            .get_or_init(|| which::which("crontab").ok())
            .clone()
            .ok_or_else(|| {
                crate::error::bad_input(
                    "the `crontab` program was not found on PATH: install cron (Debian: `apt-get \
                 install cron`), or use `--target cron.d`",
                )
            })
    }

    pub(crate) fn owner(&self) -> String {
        self.user.clone().unwrap_or_else(crate::host::current_user)
    }

    pub(crate) fn describe(&self) -> String {
        format!("{}'s crontab", self.owner())
    }

    fn cmd(&self) -> Result<Cmd> {
        let cmd = Cmd::new(Self::program()?);
        let cmd = match &self.user {
            Some(user) => cmd.arg("-u").arg(user),
            None => cmd,
        };
        // With CRONTAB_NOHEADER=N, Debian's `crontab -l` also prints the three header lines it
        // adds on every install; writing them back would stack a new copy each time.
        Ok(cmd.env_remove("CRONTAB_NOHEADER"))
    }

    /// `crontab -l`: only "no crontab for USER" with exit 1 means empty; any other failure
    /// aborts, so an unreadable crontab is never mistaken for an empty one and overwritten.
    pub(crate) fn read(&self) -> Result<String> {
        let cmd = self.cmd()?.arg("-l");
        let output = cmd.output()?;
        if output.status.success() {
            return String::from_utf8(output.stdout)
                .with_context(|| format!("`{}` printed text that is not UTF-8", cmd.display()));
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() == Some(1) && stderr.contains("no crontab for") {
            return Ok(String::new());
        }
        Err(cmd.failed(&output))
    }

    /// Installs `text` with `crontab FILE` from a temp file, then reads it back and compares.
    pub(crate) fn write(&self, text: &str) -> Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix("crontainer-")
            .suffix(".crontab")
            .tempfile()?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        // No fsync: `crontab FILE` reads it back at once from the page cache and writes its own
        // copy; the temp file is gone a moment later.
        // `crontab -u USER FILE` run by root reads the file as root; the user's own `crontab
        // FILE` reads it as that user, who created it: 0600 is enough either way.
        self.cmd()?.arg(file.path()).run()?;
        let back = self
            .read()
            .context("could not read the crontab back after writing it")?;
        if back != text {
            bail!(
                "{} read back differs from what was written ({} bytes written, {} read); \
                 check it with `crontab -l`",
                self.describe(),
                text.len(),
                back.len()
            );
        }
        Ok(())
    }
}
