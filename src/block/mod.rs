//! The managed block inside a crontab text: find it, replace its body, remove it. Pure: text in,
//! text out, no I/O, so that the one place where crontainer edits a user's crontab (or a file in
//! `/etc/cron.d`) can be tested exhaustively.
//!
//! A text may hold any number of managed blocks, one per crontainer config (`[cron] name`):
//!
//! ```text
//! # BEGIN crontainer:<name>
//! ...body lines...
//! # END crontainer:<name>
//! ```
//!
//! Everything outside a block belongs to the user and is kept byte for byte (docs/ARCHITECTURE.md,
//! "Invariants"), whatever it holds: CRLF lines, trailing spaces, a last line without "\n",
//! whenever's `# Begin Whenever generated tasks for: x` or Ansible's `#Ansible: x` lines.
//!
//! # Markers
//!
//! Lines are separated by "\n" and numbered from 1. A **marker** is a line that is exactly
//! `# BEGIN crontainer:<name>` or `# END crontainer:<name>`: nothing before the `#`, one space
//! after it, nothing after the name (no space, no "\r"), and a name matching
//! `^[a-z0-9][a-z0-9_-]*$` (see [`is_valid_name`]).
//!
//! A line that is not a marker but **looks like one** is refused as a damaged marker, because
//! guessing what a hand-edited block meant is worse than refusing to touch it: a line that, after
//! any leading whitespace and `#` characters, starts with the word `BEGIN` or `END` (any case),
//! whitespace, and the word `crontainer` (any case, followed by anything but a letter, digit or
//! `_`). So `#BEGIN crontainer:x`, `  # BEGIN crontainer:x`, `# BEGIN crontainer:x extra`,
//! `# BEGIN crontainer:x` followed by "\r" (a CRLF crontab), `# end crontainer:x` and
//! `# BEGIN crontainer:Web` are all errors, while `# Begin Whenever generated tasks for: x` or
//! `# crontainer was here` are ordinary user lines.
//!
//! # Validation
//!
//! Every function first validates the whole text, so that a damaged block anywhere is refused
//! before anything is changed: a BEGIN without its END, an END without its BEGIN, a BEGIN inside
//! another block (nesting), an END naming another block than the one open, the same name twice,
//! and a damaged marker. Each [`BlockError`] names the line number(s) and says how to repair the
//! text. Whether the body lines are ones crontainer wrote is for the caller to judge.
//!
//! # Round trip
//!
//! For a text `t` that is empty or ends with "\n" and has no block `n`,
//! `remove(&upsert(t, n, body)?, n)? == Some(t)` byte for byte. A non-empty text whose last line
//! lacks "\n" gets one before an appended block (cron would otherwise read the user's last line
//! and our BEGIN marker as one line), and removing the block keeps that "\n": a crontab's last
//! line needs one anyway (Debian's cron ignores a last line without it), and `crontab -l` always
//! prints one, so this only ever affects texts that did not come from cron.

use std::fmt;

const BEGIN: &str = "# BEGIN crontainer:";
const END: &str = "# END crontainer:";

/// Whether `name` can name a block: `^[a-z0-9][a-z0-9_-]*$`. The same rule makes a valid
/// `/etc/cron.d` file name (Debian's cron ignores files whose names hold a dot).
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The body lines (without the BEGIN/END markers, without "\n") of block `name`, `None` if the
/// text has no such block.
pub fn find(text: &str, name: &str) -> Result<Option<Vec<String>>, BlockError> {
    check_name(name)?;
    let blocks = parse(text)?;
    Ok(blocks.iter().find(|block| block.name == name).map(|block| {
        lines(&text[block.begin.next..block.end.start])
            .map(|line| line.text.to_owned())
            .collect()
    }))
}

/// Names of all crontainer blocks in the text, in order.
pub fn names(text: &str) -> Result<Vec<String>, BlockError> {
    Ok(parse(text)?
        .into_iter()
        .map(|block| block.name.to_owned())
        .collect())
}

/// Replaces the body of block `name` in place if the text has it, otherwise appends the whole
/// block at the end (adding a "\n" first if the text is non-empty and does not end with one).
/// Nothing outside that block's body changes. `body` lines must not contain "\n" nor be or look
/// like markers.
pub fn upsert(text: &str, name: &str, body: &[String]) -> Result<String, BlockError> {
    check_name(name)?;
    debug_assert!(
        body.iter()
            .all(|line| !line.contains('\n') && classify(line) == Kind::Plain),
        "a body line holds a newline or a marker: {body:?}"
    );
    let blocks = parse(text)?;
    let body_len: usize = body.iter().map(|line| line.len() + 1).sum();
    Ok(match blocks.iter().find(|block| block.name == name) {
        Some(block) => {
            let mut out = String::with_capacity(text.len() + body_len);
            out.push_str(&text[..block.begin.next]);
            push_lines(&mut out, body);
            out.push_str(&text[block.end.start..]);
            out
        }
        None => {
            let markers_len = BEGIN.len() + END.len() + 2 * name.len() + 2;
            let mut out = String::with_capacity(text.len() + 1 + markers_len + body_len);
            out.push_str(text);
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{BEGIN}{name}\n"));
            push_lines(&mut out, body);
            out.push_str(&format!("{END}{name}\n"));
            out
        }
    })
}

/// Whether cron reads `line` as an environment assignment (`NAME=value`, spaces allowed around
/// the `=`, as Debian's cron and cronie's `load_env` parse them). An assignment applies to every
/// line below it, so one above a block (`SHELL=/usr/bin/python3`) changes how its lines run.
pub fn is_assignment(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '\t']);
    if line.starts_with('#') {
        return false;
    }
    let name_len = line.find(['=', ' ', '\t']).unwrap_or(line.len());
    name_len > 0
        && line[name_len..]
            .trim_start_matches([' ', '\t'])
            .starts_with('=')
}

/// The environment assignments above block `name` (line number and text), outside any block:
/// each one reaches the block's lines. Empty when the block is missing or nothing is above it.
pub fn assignments_above(text: &str, name: &str) -> Result<Vec<(usize, String)>, BlockError> {
    check_name(name)?;
    let blocks = parse(text)?;
    let Some(block) = blocks.iter().find(|block| block.name == name) else {
        return Ok(Vec::new());
    };
    Ok(user_assignments(text, &blocks, block.begin.start)
        .map(|line| (line.number, line.text.to_owned()))
        .collect())
}

/// The assignment lines before offset `until` that stand outside every block.
fn user_assignments<'a>(
    text: &'a str,
    blocks: &'a [Block<'a>],
    until: usize,
) -> impl Iterator<Item = Line<'a>> + 'a {
    lines(&text[..until]).filter(move |line| {
        is_assignment(line.text)
            && !blocks
                .iter()
                .any(|b| b.begin.start <= line.start && line.start < b.end.next)
    })
}

/// Moves block `name` above the first environment assignment of the text when one stands above
/// it, so that its lines run with cron's own environment (`SHELL=/bin/sh`, its `PATH`, the
/// owner's `HOME`) whatever the user sets, while the user's lines below keep exactly the
/// assignments they had: the block itself holds none. Every byte outside the block stays, in
/// the same order; only the block's place changes. The text as it was when nothing is above it.
pub fn place_above_assignments(text: &str, name: &str) -> Result<String, BlockError> {
    check_name(name)?;
    let blocks = parse(text)?;
    let Some(block) = blocks.iter().find(|block| block.name == name) else {
        return Ok(text.to_owned());
    };
    let Some(first) = user_assignments(text, &blocks, block.begin.start).next() else {
        return Ok(text.to_owned());
    };
    let whole = &text[block.begin.start..block.end.next];
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(&text[..first.start]);
    out.push_str(whole);
    if !whole.ends_with('\n') {
        // The block was the text's last line, without a newline: it now has lines below it.
        out.push('\n');
    }
    out.push_str(&text[first.start..block.begin.start]);
    out.push_str(&text[block.end.next..]);
    Ok(out)
}

/// Removes block `name`, its markers included, and leaves every other byte as it was; `None`
/// when the text has no such block.
pub fn remove(text: &str, name: &str) -> Result<Option<String>, BlockError> {
    check_name(name)?;
    let blocks = parse(text)?;
    Ok(blocks
        .iter()
        .find(|block| block.name == name)
        .map(|block| format!("{}{}", &text[..block.begin.start], &text[block.end.next..])))
}

/// What is wrong with a crontab text (or a block name), with the line numbers and the repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockError {
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    InvalidName {
        name: String,
    },
    DamagedMarker {
        line: usize,
        text: String,
    },
    Unclosed {
        name: String,
        line: usize,
    },
    Unopened {
        name: String,
        line: usize,
    },
    Nested {
        outer: String,
        outer_line: usize,
        inner: String,
        inner_line: usize,
    },
    Mismatched {
        begun: String,
        begin_line: usize,
        ended: String,
        end_line: usize,
    },
    Duplicate {
        name: String,
        first_line: usize,
        second_line: usize,
    },
}

impl From<Problem> for BlockError {
    fn from(problem: Problem) -> Self {
        BlockError { problem }
    }
}

/// The advice that ends most messages: the safe way out of any damaged block.
const REINSTALL: &str = "delete the block's lines and run `crontainer install` again";

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::InvalidName { name } => write!(
                f,
                "`{}` cannot name a crontainer block; use lowercase ASCII letters, digits, `_` \
                 and `-`, starting with a letter or digit",
                shown(name)
            ),
            Problem::DamagedMarker { line, text } => write!(
                f,
                "line {line}: `{}` looks like a crontainer marker but is not exactly \
                 `{BEGIN}<name>` or `{END}<name>` (nothing before `#`, nothing after the name, \
                 a name of lowercase letters, digits, `_` and `-`); make it an exact marker, or \
                 {REINSTALL}",
                shown(text)
            ),
            Problem::Unclosed { name, line } => write!(
                f,
                "line {line}: `{BEGIN}{name}` has no matching `{END}{name}`; add that line after \
                 the block's last job, or {REINSTALL}"
            ),
            Problem::Unopened { name, line } => write!(
                f,
                "line {line}: `{END}{name}` has no matching `{BEGIN}{name}` before it; add that \
                 line before the block's first job, or {REINSTALL}"
            ),
            Problem::Nested {
                outer,
                outer_line,
                inner,
                inner_line,
            } => write!(
                f,
                "line {inner_line}: `{BEGIN}{inner}` begins a block inside block `{outer}`, \
                 which begins on line {outer_line} and has not ended; add `{END}{outer}` after \
                 block `{outer}`'s last job, or {REINSTALL}"
            ),
            Problem::Mismatched {
                begun,
                begin_line,
                ended,
                end_line,
            } => write!(
                f,
                "line {end_line}: `{END}{ended}` ends block `{begun}`, which begins on line \
                 {begin_line}; make both markers name the same block, or delete lines \
                 {begin_line} to {end_line} and run `crontainer install` again"
            ),
            Problem::Duplicate {
                name,
                first_line,
                second_line,
            } => write!(
                f,
                "lines {first_line} and {second_line}: block `{name}` appears twice; delete one \
                 copy, from its `{BEGIN}{name}` line to its `{END}{name}` line, and run \
                 `crontainer install` again"
            ),
        }
    }
}

impl std::error::Error for BlockError {}

/// A line of user text as it can be shown inside backticks in a one-line message: control
/// characters (a CRLF crontab's "\r") made visible, and at most 80 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

fn check_name(name: &str) -> Result<(), BlockError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(Problem::InvalidName {
            name: name.to_owned(),
        }
        .into())
    }
}

fn push_lines(out: &mut String, body: &[String]) {
    for line in body {
        out.push_str(line);
        out.push('\n');
    }
}

/// One line of a text: `text[start..next]` is the line with its "\n" (if it has one).
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// 1-based, as editors and `crontab` errors count.
    number: usize,
    /// Without the "\n".
    text: &'a str,
    start: usize,
    /// Where the next line starts: after the "\n", or the end of the text.
    next: usize,
}

/// The lines of `text`; a "\n" ends a line, so "a\n" is one line and "" none.
fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let (end, next) = match text[start..].find('\n') {
            Some(offset) => (start + offset, start + offset + 1),
            None => (text.len(), text.len()),
        };
        number += 1;
        let line = Line {
            number,
            text: &text[start..end],
            start,
            next,
        };
        start = next;
        Some(line)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    Plain,
    Begin(&'a str),
    End(&'a str),
    Damaged,
}

fn classify(line: &str) -> Kind<'_> {
    if let Some(name) = line.strip_prefix(BEGIN).filter(|name| is_valid_name(name)) {
        Kind::Begin(name)
    } else if let Some(name) = line.strip_prefix(END).filter(|name| is_valid_name(name)) {
        Kind::End(name)
    } else if looks_like_marker(line) {
        Kind::Damaged
    } else {
        Kind::Plain
    }
}

/// After leading whitespace and `#`s: the word BEGIN or END, whitespace, the word crontainer.
fn looks_like_marker(line: &str) -> bool {
    let rest = line.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
    let word_len = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (word, rest) = rest.split_at(word_len);
    if !(word.eq_ignore_ascii_case("begin") || word.eq_ignore_ascii_case("end")) {
        return false;
    }
    let after_space = rest.trim_start();
    if after_space.len() == rest.len() {
        return false;
    }
    const CRONTAINER: &str = "crontainer";
    after_space
        .get(..CRONTAINER.len())
        .is_some_and(|word| word.eq_ignore_ascii_case(CRONTAINER))
        && !after_space[CRONTAINER.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
}

/// A complete block: its BEGIN and END marker lines.
struct Block<'a> {
    name: &'a str,
    begin: Line<'a>,
    end: Line<'a>,
}

/// All blocks of the text, in order, or the first thing wrong with it.
fn parse(text: &str) -> Result<Vec<Block<'_>>, BlockError> {
    let mut blocks: Vec<Block<'_>> = Vec::new();
    let mut open: Option<(&str, Line<'_>)> = None;
    for line in lines(text) {
        match classify(line.text) {
            Kind::Plain => {}
            Kind::Damaged => {
                return Err(Problem::DamagedMarker {
                    line: line.number,
                    text: line.text.to_owned(),
                }
                .into());
            }
            Kind::Begin(name) => {
                if let Some((outer, outer_begin)) = open {
                    return Err(Problem::Nested {
                        outer: outer.to_owned(),
                        outer_line: outer_begin.number,
                        inner: name.to_owned(),
                        inner_line: line.number,
                    }
                    .into());
                }
                if let Some(first) = blocks.iter().find(|block| block.name == name) {
                    return Err(Problem::Duplicate {
                        name: name.to_owned(),
                        first_line: first.begin.number,
                        second_line: line.number,
                    }
                    .into());
                }
                open = Some((name, line));
            }
            Kind::End(name) => match open.take() {
                None => {
                    return Err(Problem::Unopened {
                        name: name.to_owned(),
                        line: line.number,
                    }
                    .into());
                }
                Some((begun, begin)) if begun != name => {
                    return Err(Problem::Mismatched {
                        begun: begun.to_owned(),
                        begin_line: begin.number,
                        ended: name.to_owned(),
                        end_line: line.number,
                    }
                    .into());
                }
                Some((_, begin)) => blocks.push(Block {
                    name,
                    begin,
                    end: line,
                }),
            },
        }
    }
    match open {
        Some((name, begin)) => Err(Problem::Unclosed {
            name: name.to_owned(),
            line: begin.number,
        }
        .into()),
        None => Ok(blocks),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
