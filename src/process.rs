//! The one way crontainer starts another program. Errors show the exact command line
//! (shell-quoted), the exit status and the trimmed stderr, and keep "could not start" apart
//! from "ran and failed".

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};

use anyhow::{Context, Result, anyhow};

use crate::shell::quote;

/// A program to run, built up like `std::process::Command` but printable.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_remove: Vec<OsString>,
    /// Start from an empty environment, not this process's.
    env_clear: bool,
    current_dir: Option<PathBuf>,
}

impl Cmd {
    pub(crate) fn new(program: impl AsRef<Path>) -> Cmd {
        Cmd {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            env_clear: false,
            current_dir: None,
        }
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub(crate) fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.env_remove.push(key.as_ref().to_owned());
        self
    }

    /// Starts the program with none of this process's environment, only what [`Cmd::env`] sets.
    pub(crate) fn env_clear(mut self) -> Cmd {
        self.env_clear = true;
        self
    }

    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.current_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The command line as a user could paste it into a shell.
    pub(crate) fn display(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|a| quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        if self.env_clear {
            command.env_clear();
        }
        for key in &self.env_remove {
            command.env_remove(key);
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    /// With `--verbose`, shows the command on stderr before it runs.
    fn announce(&self) {
        if crate::ui::verbose() {
            eprintln!("+ {}", self.display());
        }
    }

    /// Starts the program without waiting for it, with no input; `configure` sets anything
    /// else (where its output goes, its process group). For a program the user watches, such as
    /// the job `run-now` starts.
    pub(crate) fn spawn(&self, configure: impl FnOnce(&mut Command)) -> Result<Child> {
        self.announce();
        let mut command = self.command();
        command.stdin(Stdio::null());
        configure(&mut command);
        command
            .spawn()
            .with_context(|| format!("could not start `{}`", self.display()))
    }

    /// Runs to completion, capturing stdout and stderr, whatever the exit status.
    pub(crate) fn output(&self) -> Result<Output> {
        let child = self.spawn(|command| {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        })?;
        child
            .wait_with_output()
            .with_context(|| format!("could not wait for `{}`", self.display()))
    }

    /// Runs to completion and fails unless it exits 0.
    pub(crate) fn run(&self) -> Result<Output> {
        let output = self.output()?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(self.failed(&output))
        }
    }

    /// The error for a run that exited unsuccessfully.
    pub(crate) fn failed(&self, output: &Output) -> anyhow::Error {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        let status = describe_status(output.status);
        if stderr.is_empty() {
            anyhow!("`{}` {status}", self.display())
        } else {
            anyhow!("`{}` {status}: {stderr}", self.display())
        }
    }
}

/// "exited with 1", or "was killed by signal 9".
pub(crate) fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended abnormally".to_string(),
    }
}
