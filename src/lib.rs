//! crontainer turns a TOML file of jobs into system cron entries that `docker exec` a command
//! inside a running container, with logging, and lets its user see (`status`), trigger
//! (`run-now`) and remove (`uninstall`) them. See `README.md` and `DESIGN.md`.
//!
//! The pure core (`schedule`, `cron_line`, `block`, `run_log`) never touches the OS; the edges
//! (`target`, `runtime`, `process`) are thin; `commands` holds one file per subcommand.

pub mod block;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cron_line;
pub mod cron_table;
pub mod error;
pub mod host;
pub mod logrotate;
pub mod process;
pub mod run_log;
pub mod runtime;
pub mod schedule;
pub mod shell;
pub mod ui;

use std::ffi::OsString;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::ExitCode;

/// Parses the command line, runs the command, prints any error once and returns the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version on stdout with exit 0, usage errors with exit 2.
            let _ = err.print();
            return err.exit_code();
        }
    };
    ui::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => -1,
        (_, true) => 1,
        _ => 0,
    });
    let result = match &cli.command {
        Command::Plan(args) => commands::plan::run(args),
        Command::Install(args) => commands::install::run(args),
        Command::Uninstall(args) => commands::uninstall::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::RunNow(args) => commands::run_now::run(args),
        Command::Logs(args) => commands::logs::run(args),
        Command::Pause(args) => commands::pause::run(args, commands::pause::Action::Pause),
        Command::Resume(args) => commands::pause::run(args, commands::pause::Action::Resume),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "crontainer", &mut std::io::stdout());
            Ok(ExitCode::Success)
        }
        Command::Man => man_page().map(|()| ExitCode::Success),
        Command::Doctor(args) => commands::doctor::run(args),
    };
    match result {
        Ok(code) => code.code(),
        Err(err) => {
            eprintln!("crontainer: error: {err:#}");
            exit_code_for(&err).code()
        }
    }
}

/// Writes the man page, generated from the clap definitions: the main page, then a section per
/// subcommand.
fn man_page() -> anyhow::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = std::io::stdout().lock();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        std::io::Write::write_all(&mut out, format!(".SH \"crontainer {name}\"\n").as_bytes())?;
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(format!("crontainer {name}")));
        sub_man.render_synopsis_section(&mut out)?;
        sub_man.render_description_section(&mut out)?;
        sub_man.render_options_section(&mut out)?;
    }
    man.render_extra_section(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(())
}

/// The exit code for an error: 2 when any error in its chain is bad input. It lives here, at the
/// top, because it knows the error types of every layer while `error` imports none of them.
pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    let bad = err.chain().any(|e| {
        e.is::<error::BadInput>()
            || e.is::<crate::block::BlockError>()
            || e.is::<crate::schedule::ScheduleError>()
    });
    if bad {
        ExitCode::Usage
    } else {
        ExitCode::Failure
    }
}
