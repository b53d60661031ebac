//! crontainer turns a TOML file of jobs into system cron entries that `docker exec` a command
//! inside a running container, with logging, and lets its user see (`status`), trigger
//! (`run-now`) and remove (`uninstall`) them. See `README.md`, and `docs/ARCHITECTURE.md`
//! for the layers and the line contract.
//!
//! The pure core (`schedule`, `line`, `block`, `run_log`) never touches the OS; the edges
//! (`cron_table`, `runtime`, `process`, `host`) are thin; `commands` holds one file per subcommand.

pub mod block;
pub(crate) mod cli;
pub(crate) mod commands;
pub mod config;
pub(crate) mod cron_table;
pub(crate) mod error;
pub(crate) mod exec;
pub mod history;
pub(crate) mod host;
pub mod line;
pub(crate) mod logrotate;
pub(crate) mod process;
pub mod run_log;
pub mod runner_args;
pub(crate) mod runtime;
pub(crate) mod safe_file;
pub mod schedule;
pub(crate) mod shell;
pub(crate) mod systemd;
pub(crate) mod ui;

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
pub(crate) fn exit_code_for(err: &anyhow::Error) -> ExitCode {
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

/// The layering `docs/ARCHITECTURE.md` draws, checked on the parsed source so that it stays
/// true: a module names only modules of a lower rank (or its own folder), and no command names
/// another command. Each file is parsed with `syn`, so a `use` tree however rustfmt lays it out
/// (`use crate::{\n    commands,\n};`), a path in an expression or a type, and a path inside a
/// macro's arguments all count; comments and strings do not.
#[cfg(test)]
mod layering {
    use std::path::Path;

    /// Each top-level module's rank: it may import only modules of a strictly lower rank.
    const RANKS: &[(&str, u8)] = &[
        // The bottom: output, shell words, exit codes. Imports nothing of ours.
        ("ui", 0),
        ("shell", 0),
        ("error", 0),
        // Opening files a user may influence: no symlinks as root, no FIFOs, bounded reads.
        ("safe_file", 0),
        // The pure core.
        ("schedule", 1),
        ("block", 1),
        ("config", 2),
        ("line", 3),
        ("run_log", 3),
        ("runner_args", 1),
        // systemd units: a job's marker and runner words as `line` renders them, so above it.
        ("systemd", 4),
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

    /// Every path a source file spells, as its segments: each leaf of a `use` tree with the
    /// tree's prefix (`use crate::{a, b::c}` is `crate::a` and `crate::b::c`), every path of
    /// the syntax tree (expressions, types, patterns, attributes), and every `a::b` run of
    /// tokens inside a macro's arguments (`format!("{}", crate::host::f())`), which `syn` keeps
    /// as tokens.
    fn paths(text: &str) -> Vec<Vec<String>> {
        use syn::visit::Visit;

        #[derive(Default)]
        struct Paths(Vec<Vec<String>>);

        impl Paths {
            fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
                match tree {
                    syn::UseTree::Path(p) => {
                        prefix.push(p.ident.to_string());
                        self.use_tree(prefix, &p.tree);
                        prefix.pop();
                    }
                    syn::UseTree::Name(n) => self.leaf(prefix, Some(&n.ident)),
                    syn::UseTree::Rename(r) => self.leaf(prefix, Some(&r.ident)),
                    syn::UseTree::Glob(_) => self.leaf(prefix, None),
                    syn::UseTree::Group(g) => {
                        for item in &g.items {
                            self.use_tree(prefix, item);
                        }
                    }
                }
            }

            fn leaf(&mut self, prefix: &[String], last: Option<&syn::Ident>) {
                let mut path = prefix.to_vec();
                path.extend(last.map(|i| i.to_string()));
                self.0.push(path);
            }

            fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
                use proc_macro2::{Spacing, TokenTree};
                let mut run: Vec<String> = Vec::new();
                // The colons since the last identifier: `::` is a joint `:`, then a `:`.
                let mut colons = 0;
                for tree in tokens {
                    match tree {
                        TokenTree::Ident(ident) if colons == 2 && !run.is_empty() => {
                            run.push(ident.to_string());
                            colons = 0;
                        }
                        TokenTree::Ident(ident) => {
                            self.run_ends(&mut run);
                            run.push(ident.to_string());
                            colons = 0;
                        }
                        TokenTree::Punct(p)
                            if p.as_char() == ':'
                                && ((colons == 0 && p.spacing() == Spacing::Joint)
                                    || colons == 1) =>
                        {
                            colons += 1;
                        }
                        other => {
                            self.run_ends(&mut run);
                            colons = 0;
                            if let TokenTree::Group(group) = other {
                                self.tokens(group.stream());
                            }
                        }
                    }
                }
                self.run_ends(&mut run);
            }

            /// Keeps a run of `a::b` tokens that is a path (two segments or more).
            fn run_ends(&mut self, run: &mut Vec<String>) {
                if run.len() > 1 {
                    self.0.push(std::mem::take(run));
                }
                run.clear();
            }
        }

        impl<'ast> Visit<'ast> for Paths {
            fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
                self.use_tree(&mut Vec::new(), &item.tree);
            }

            fn visit_path(&mut self, path: &'ast syn::Path) {
                self.0
                    .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
                syn::visit::visit_path(self, path);
            }

            fn visit_macro(&mut self, mac: &'ast syn::Macro) {
                self.tokens(mac.tokens.clone());
                syn::visit::visit_macro(self, mac);
            }
        }

        let file = syn::parse_file(text).unwrap_or_else(|e| panic!("cannot parse: {e}"));
        let mut paths = Paths::default();
        paths.visit_file(&file);
        paths.0
    }

    /// The names that follow `prefix` in the paths of a source text: `crate` gives the
    /// top-level modules it names, `commands` and `super` the commands.
    fn named(text: &str, prefix: &str) -> Vec<String> {
        paths(text)
            .into_iter()
            .flat_map(|path| {
                path.windows(2)
                    .filter(|w| w[0] == prefix)
                    .map(|w| w[1].clone())
                    .collect::<Vec<_>>()
            })
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

    /// What breaks the rule in these files (each a path relative to `src` and its text), given
    /// the commands (the files directly in `src/commands`).
    fn wrong_imports(files: &[(std::path::PathBuf, String)], commands: &[String]) -> Vec<String> {
        let mut wrong = Vec::new();
        for (relative, text) in files {
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
            for name in named(text, "crate") {
                if name != top && rank(&name) >= rank(&top) {
                    wrong.push(format!("{} imports {name}", relative.display()));
                }
            }
            if top == "commands" {
                let this = relative.file_stem().unwrap().to_string_lossy();
                for name in named(text, "commands")
                    .into_iter()
                    .chain(named(text, "super"))
                {
                    if commands.contains(&name) && name != this {
                        wrong.push(format!("{} imports the command {name}", relative.display()));
                    }
                }
            }
        }
        wrong
    }

    #[test]
    fn no_module_imports_one_above_it_and_no_command_imports_another() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        sources(&src, &mut paths);
        let commands: Vec<String> = paths
            .iter()
            .filter(|p| p.parent() == Some(&src.join("commands")))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .filter(|s| s != "mod")
            .collect();
        let files: Vec<(std::path::PathBuf, String)> = paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                (p.strip_prefix(&src).unwrap().to_path_buf(), text)
            })
            .collect();
        let wrong = wrong_imports(&files, &commands);
        assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    }

    #[test]
    fn the_check_sees_an_import_and_skips_comments() {
        let text = "use crate::ui;\n// crate::commands in a comment\nfn f() { let x = crate::run_log::f(); }\n\
                    use crate::{host, cron_table::Target};\nuse crate::shell::{quote, b};\n\
                    fn g() -> crate::block::Block { todo!(\"crate::schedule\") }";
        assert_eq!(
            named(text, "crate"),
            [
                "ui",
                "run_log",
                "host",
                "cron_table",
                "shell",
                "shell",
                "block"
            ]
        );
    }

    #[test]
    fn the_check_sees_rustfmts_multi_line_use_trees_and_paths_in_macros() {
        // Issue 24: a line-by-line reading passed `shell.rs` (the bottom layer) importing this.
        let shell = "//! the bottom\nuse crate::{\n    commands,\n    ui::{self, warn},\n};\n\
                     use crate::{\n    config::{\n        Job,\n    },\n};\n\
                     fn f() {\n    println!(\"{}\", crate::host::current_user());\n    \
                     let _ = vec![crate::line::Marker::parse(x)];\n}\n";
        assert_eq!(
            named(shell, "crate"),
            ["commands", "ui", "ui", "config", "host", "line"]
        );
        assert_eq!(
            wrong_imports(&[("shell.rs".into(), shell.into())], &[]),
            [
                "shell.rs imports commands",
                "shell.rs imports ui",
                "shell.rs imports ui",
                "shell.rs imports config",
                "shell.rs imports host",
                "shell.rs imports line",
            ]
        );
    }

    #[test]
    fn a_command_naming_another_is_seen_in_any_layout() {
        let install = "use super::{\n    uninstall,\n};\nuse crate::commands::{self, plan::Plan};\n\
                       fn f() { commands::status::run(); crate::commands::shared(); }\n";
        let commands = ["install", "plan", "status", "uninstall"].map(String::from);
        assert_eq!(
            wrong_imports(&[("commands/install.rs".into(), install.into())], &commands),
            [
                "commands/install.rs imports the command plan",
                "commands/install.rs imports the command status",
                "commands/install.rs imports the command uninstall",
            ]
        );
    }
}
