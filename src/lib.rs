//! crontainer turns a TOML file of jobs into system cron entries that `docker exec` a command
//! inside a running container, with logging, and lets its user see (`status`), trigger
//! (`run-now`) and remove (`uninstall`) them. See `README.md`, and `docs/ARCHITECTURE.md`
//! for the layers and the line contract.
//!
//! The pure core (`schedule`, `line`, `block`, `run_log`) never touches the OS; the edges
//! (`cron_table`, `runtime`, `process`, `host`) are thin; `commands` holds one file per subcommand.

pub mod block;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cron_table;
pub mod error;
pub mod exec;
pub mod history;
pub mod host;
pub mod line;
/// The name `line` had until 0.3, which the runner still imports by.
pub use line as cron_line;
pub mod logrotate;
pub mod process;
pub mod run_log;
pub mod runner_args;
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
        Command::History(args) => commands::history::run(args),
        Command::Pause(args) => commands::pause::run(args, commands::pause::Action::Pause),
        Command::Resume(args) => commands::pause::run(args, commands::pause::Action::Resume),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "crontainer", &mut std::io::stdout());
            Ok(ExitCode::Success)
        }
        Command::Man => man_page().map(|()| ExitCode::Success),
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Metrics(args) => commands::metrics::run(args),
        Command::Exec(args) => exec::run(args),
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

/// The layering `docs/ARCHITECTURE.md` draws, checked on the source text so that it stays true:
/// a module names only modules of a lower rank (or its own folder), and no command names
/// another command.
#[cfg(test)]
mod layering {
    use std::path::Path;

    /// Each top-level module's rank: it may import only modules of a strictly lower rank.
    const RANKS: &[(&str, u8)] = &[
        // The bottom: output, shell words, exit codes. Imports nothing of ours.
        ("ui", 0),
        ("shell", 0),
        ("error", 0),
        // The pure core.
        ("schedule", 1),
        ("block", 1),
        ("config", 2),
        ("line", 3),
        ("cron_line", 3),
        ("run_log", 3),
        ("runner_args", 1),
        // The edges: the host, programs, the runtime, the cron tables, logrotate.
        ("host", 4),
        ("history", 5),
        ("process", 4),
        ("runtime", 5),
        ("cron_table", 5),
        ("logrotate", 6),
        // One firing of a job: above the edges it drives, below what the user typed.
        ("exec", 6),
        // What the user typed, then the commands.
        ("cli", 7),
        ("commands", 8),
    ];

    fn rank(module: &str) -> u8 {
        RANKS
            .iter()
            .find(|(name, _)| *name == module)
            .unwrap_or_else(|| panic!("module {module} has no rank in the layering table"))
            .1
    }

    /// The `crate::NAME` (or `super::NAME`) words in a source text, comments left out.
    fn named(text: &str, prefix: &str) -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .flat_map(|line| {
                line.match_indices(prefix).flat_map(move |(at, _)| {
                    let rest = &line[at + prefix.len()..];
                    // `crate::{a, b::c}` names each of a and b.
                    let items: Vec<&str> = match rest.strip_prefix('{') {
                        Some(inner) => inner.split('}').next().unwrap_or("").split(',').collect(),
                        None => vec![rest],
                    };
                    items
                        .into_iter()
                        .map(|item| {
                            item.trim_start()
                                .chars()
                                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                                .collect::<String>()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .filter(|name| !name.is_empty())
            .collect()
    }

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_module_imports_one_above_it_and_no_command_imports_another() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let commands: Vec<String> = files
            .iter()
            .filter(|p| p.parent() == Some(&src.join("commands")))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .filter(|s| s != "mod")
            .collect();
        let mut wrong = Vec::new();
        for file in &files {
            let relative = file.strip_prefix(&src).unwrap();
            let top = relative
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap();
            for name in named(&text, "crate::") {
                if name != top && rank(&name) >= rank(&top) {
                    wrong.push(format!("{} imports {name}", relative.display()));
                }
            }
            if top == "commands" {
                let this = file.file_stem().unwrap().to_string_lossy();
                for name in named(&text, "commands::")
                    .into_iter()
                    .chain(named(&text, "super::"))
                {
                    if commands.contains(&name) && name != this {
                        wrong.push(format!("{} imports the command {name}", relative.display()));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    }

    #[test]
    fn the_check_sees_an_import_and_skips_comments() {
        let text = "use crate::ui;\n// crate::commands in a comment\nlet x = crate::run_log::f();\n\
                    use crate::{host, cron_table::Target};\nuse crate::shell::{quote, b};";
        assert_eq!(
            named(text, "crate::"),
            ["ui", "run_log", "host", "cron_table", "shell"]
        );
    }
}
