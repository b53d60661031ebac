//! Exit codes, and the error kind that means "bad input: nothing was changed" (exit 2).
//!
//! Everything else is an `anyhow::Error` carrying its context chain; `run` prints it once as
//! `crontainer: error: ...` with the whole chain.

use std::fmt;

/// The process exit codes, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    Success,
    /// A failure, or `status` found something unhealthy.
    Failure,
    /// Bad usage or config, or a refused input: nothing was changed.
    Usage,
    /// `run-now`: the job is already running (BSD's EX_TEMPFAIL).
    Busy,
    /// `run-now`: the job's own exit code.
    Other(i32),
}

impl ExitCode {
    pub(crate) fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
            ExitCode::Usage => 2,
            ExitCode::Busy => 75,
            ExitCode::Other(code) => code,
        }
    }
}

/// Bad input (config, arguments, a damaged block): the message says what and how to fix it,
/// and nothing was changed. Maps to exit code 2 wherever it sits in an error chain.
#[derive(Debug)]
pub(crate) struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for returning a [`BadInput`] error.
pub(crate) fn bad_input(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(message.into()))
}
