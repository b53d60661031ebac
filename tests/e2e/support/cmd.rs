//! Running the real programs (docker, crontab) from tests: a failure names the command, its exit
//! status and its stderr, so a broken machine is told apart from a broken product.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `cmd` to completion and returns its output, whatever its exit status; panics only if it
/// cannot be started.
pub fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
}

/// Runs `cmd` and panics unless it exits with 0.
pub fn run(cmd: &mut Command) -> Output {
    let out = output(cmd);
    check(cmd, out)
}

/// Runs `cmd` with `input` on its stdin and panics unless it exits with 0.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .unwrap_or_else(|e| panic!("cannot write to the stdin of {cmd:?}: {e}"));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for {cmd:?}: {e}"));
    check(cmd, out)
}

fn check(cmd: &Command, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    out
}
