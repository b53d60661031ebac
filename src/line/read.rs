//! Reading an installed line back: its schedule fields, its user column (cron.d), and its
//! command, which is either a runner line (`/ABS/crontainer exec ...`, read with the runner's own
//! clap definition, [`RunnerArgs::from_words`]) or a shell program 0.1 or 0.2 wrote (read by the
//! frozen [`super::legacy`] reader). No string surgery on a runner line: its words are split
//! exactly as [`crate::shell::quote`] writes them, and read by the definition the runner parses.

use std::path::PathBuf;

use super::legacy;
use crate::runner_args::RunnerArgs;
use crate::schedule::{CronExpr, Interval, Rendered};
use crate::shell::{quote, unescape_percent};

/// The subcommand a runner line calls.
pub const EXEC: &str = "exec";

/// An installed cron line taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The schedule fields as written (5 fields, or a nickname).
    pub cron: String,
    /// The user column (cron.d only).
    pub user: Option<String>,
    /// The command as cron hands it to the shell (`\%` turned back into `%`).
    pub command: String,
}

/// What a runner line runs: the crontainer binary and the runner's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerLine {
    /// The binary the line names, by absolute path.
    pub binary: PathBuf,
    pub args: RunnerArgs,
}

impl ParsedLine {
    /// Whether the command is one of the shell programs 0.1 and 0.2 wrote. A runner line starts
    /// with the binary's absolute path; none of theirs does.
    pub fn is_legacy(&self) -> bool {
        !self.command.starts_with('/')
    }

    /// The runner's binary and arguments; an error saying why when the command starts like a
    /// runner line but is not one. None for a 0.1/0.2 shell line.
    pub fn runner(&self) -> Option<Result<RunnerLine, String>> {
        (!self.is_legacy()).then(|| read_runner(&self.command))
    }

    /// The schedule as cron fires it, with the guard when the line has one: a runner line's
    /// guard is its `--every` interval's, by the same rule that rendered it.
    pub fn rendered(&self) -> Option<Rendered> {
        let cron = CronExpr::parse(&self.cron).ok()?;
        let guard = match self.runner() {
            Some(runner) => match runner.ok()?.args.every {
                Some(every) => Interval::parse(&every).ok()?.render().guard,
                None => None,
            },
            None => legacy::split_guard(&self.command).0,
        };
        Some(Rendered { cron, guard })
    }

    /// The command `run-now` runs: a runner line whole (the runner applies the guard only under
    /// cron), a 0.1/0.2 line without its guard.
    pub fn body(&self) -> &str {
        match self.is_legacy() {
            true => legacy::split_guard(&self.command).1,
            false => &self.command,
        }
    }
}

/// Takes an installed line apart; `with_user` for cron.d lines.
pub fn parse_line(line: &str, with_user: bool) -> Option<ParsedLine> {
    let mut rest = line.trim_start();
    let nfields = if rest.starts_with('@') { 1 } else { 5 };
    let mut fields = Vec::with_capacity(nfields);
    for _ in 0..nfields {
        let end = rest.find([' ', '\t'])?;
        fields.push(&rest[..end]);
        rest = rest[end..].trim_start_matches([' ', '\t']);
    }
    let user = if with_user {
        let end = rest.find([' ', '\t'])?;
        let user = rest[..end].to_string();
        rest = rest[end..].trim_start_matches([' ', '\t']);
        Some(user)
    } else {
        None
    };
    if rest.is_empty() {
        return None;
    }
    Some(ParsedLine {
        cron: fields.join(" "),
        user,
        command: unescape_percent(rest),
    })
}

/// Reads a runner command (`%` already unescaped): `/ABS/crontainer exec WORDS...`, each word as
/// [`quote`] writes it, the words read by the runner's own definition.
pub fn read_runner(command: &str) -> Result<RunnerLine, String> {
    let words = split_words(command)
        .ok_or_else(|| format!("{command:?} is not words as crontainer quotes them"))?;
    let [binary, exec, rest @ ..] = words.as_slice() else {
        return Err(format!("{command:?} names no crontainer subcommand"));
    };
    if !binary.starts_with('/') || exec != EXEC {
        return Err(format!(
            "{command:?} does not run `/ABSOLUTE/PATH/crontainer {EXEC}`"
        ));
    }
    let args = RunnerArgs::from_words(rest)?;
    Ok(RunnerLine {
        binary: PathBuf::from(binary),
        args,
    })
}

/// Splits a command into the words [`quote`] wrote, joined by single spaces; None for anything
/// else (a second space, a `$`, a quote left open), so a hand-edited line is refused.
pub fn split_words(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.push(std::mem::take(&mut word)),
            // A single-quoted part: everything to the next `'` as it is.
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => word.push(c),
                }
            },
            // `"'"`: the one double-quoted part `quote` writes.
            '"' => {
                if (chars.next()?, chars.next()?) != ('\'', '"') {
                    return None;
                }
                word.push('\'');
            }
            c => word.push(c),
        }
    }
    words.push(word);
    // Strict: only what `quote` writes reads back, so nothing a shell would treat otherwise.
    let again: Vec<String> = words.iter().map(|w| quote(w)).collect();
    (again.join(" ") == command).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_exactly_as_quote_writes_them() {
        for words in [
            vec!["/usr/bin/crontainer", "exec", "j"],
            vec![
                "it's", "", "a b", "%d", "'", "''", "\"", "$(x)", "-e", "A=b c",
            ],
            vec!["0 3 * * *", "x 'y' z", "a\nb"],
        ] {
            let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
            assert_eq!(
                split_words(&line.join(" ")),
                Some(words.iter().map(|w| w.to_string()).collect())
            );
        }
        for hand in [
            "a  b", "a $x", "'open", "a\"b", "'a'b", "a;b", "\"a\"", " a", "a ",
        ] {
            assert_eq!(split_words(hand), None, "{hand}");
        }
    }

    #[test]
    fn a_runner_command_reads_back_and_anything_else_says_why() {
        let line = read_runner(
            "/usr/bin/crontainer exec j --log /l/j.log --runtime /usr/bin/docker -- c python 'a b'",
        )
        .unwrap();
        assert_eq!(line.binary, PathBuf::from("/usr/bin/crontainer"));
        assert_eq!(line.args.container(), Some("c"));
        assert_eq!(line.args.command(), ["python", "a b"]);
        for (command, why) in [
            ("crontainer exec j", "does not run"),
            ("/usr/bin/crontainer status", "does not run"),
            ("/usr/bin/crontainer", "names no crontainer subcommand"),
            ("/usr/bin/crontainer run j -- c p", "does not run"),
            (
                "/usr/bin/crontainer exec j  -- c",
                "not words as crontainer quotes",
            ),
            ("/usr/bin/crontainer exec j --log /l -- c p", "--runtime"),
        ] {
            let err = read_runner(command).unwrap_err();
            assert!(err.contains(why), "{command}: {err}");
        }
    }
}
