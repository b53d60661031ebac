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
//! Everything outside a block belongs to the user and is kept byte for byte (DESIGN.md,
//! principle 3), whatever it holds: CRLF lines, trailing spaces, a last line without "\n",
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
mod tests {
    use super::*;

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|line| (*line).to_owned()).collect()
    }

    #[track_caller]
    fn check_find(text: &str, name: &str, expected: Option<&[&str]>) {
        assert_eq!(
            find(text, name).unwrap(),
            expected.map(owned),
            "text: {text:?}"
        );
    }

    #[track_caller]
    fn check_names(text: &str, expected: &[&str]) {
        assert_eq!(names(text).unwrap(), owned(expected), "text: {text:?}");
    }

    #[track_caller]
    fn check_upsert(text: &str, name: &str, body: &[&str], expected: &str) {
        assert_eq!(
            upsert(text, name, &owned(body)).unwrap(),
            expected,
            "text: {text:?}"
        );
    }

    #[track_caller]
    fn check_remove(text: &str, name: &str, expected: Option<&str>) {
        assert_eq!(
            remove(text, name).unwrap().as_deref(),
            expected,
            "text: {text:?}"
        );
    }

    /// Every function refuses `text`, with a message that starts with `message`.
    #[track_caller]
    fn check_error(text: &str, message: &str) {
        let errors = [
            find(text, "web").unwrap_err(),
            names(text).unwrap_err(),
            upsert(text, "web", &owned(&["x"])).unwrap_err(),
            remove(text, "web").unwrap_err(),
            find(text, "other").unwrap_err(),
        ];
        for error in errors {
            let shown = error.to_string();
            assert!(
                shown.starts_with(message),
                "text: {text:?}\nexpected: {message}…\n     got: {shown}"
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn finds() {
        check_find("", "web", None);
        check_find("\n", "web", None);
        check_find("# BEGIN crontainer:web\n# END crontainer:web\n", "web", Some(&[]));
        check_find("# BEGIN crontainer:web\na\n\nb\n# END crontainer:web\n", "web", Some(&["a", "", "b"]));
        check_find("# BEGIN crontainer:web\na\n# END crontainer:web", "web", Some(&["a"]));
        check_find("# BEGIN crontainer:web\na \r\n# END crontainer:web\n", "web", Some(&["a \r"]));
        check_find("x\n# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\n2\n# END crontainer:web\n", "web", Some(&["2"]));
        check_find("x\n# BEGIN crontainer:a\n1\n# END crontainer:a\n", "web", None);
        check_find("# BEGIN crontainer:web-2\n# END crontainer:web-2\n", "web", None);
        check_find("# BEGIN crontainer:0_a-b\n# END crontainer:0_a-b\n", "0_a-b", Some(&[]));
    }

    #[test]
    #[rustfmt::skip]
    fn lists_names() {
        check_names("", &[]);
        check_names("a\nb", &[]);
        check_names("# BEGIN crontainer:b\n# END crontainer:b\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", &["b", "a"]);
        check_names("# Begin Whenever generated tasks for: web\n# End Whenever generated tasks for: web\n", &[]);
        check_names("#Ansible: web\n# crontainer was here\n# END of crontainer config\n", &[]);
        check_names("# beginning crontainers\n# BEGIN crontainerized\n# BEGIN crontainer_x\n", &[]);
    }

    #[test]
    #[rustfmt::skip]
    fn upserts() {
        check_upsert("", "web", &["a"], "# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("", "web", &[], "# BEGIN crontainer:web\n# END crontainer:web\n");
        check_upsert("\n", "web", &["a"], "\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("x\n", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("x", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("x\r", "web", &["a"], "x\r\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("x\r\n", "web", &["a"], "x\r\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
        check_upsert("x\n# BEGIN crontainer:web\nold\nold2\n# END crontainer:web\ny \n", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\ny \n");
        check_upsert("# BEGIN crontainer:web\nold\n# END crontainer:web", "web", &["a", "b"], "# BEGIN crontainer:web\na\nb\n# END crontainer:web");
        check_upsert("# BEGIN crontainer:web\nold\n# END crontainer:web\n", "web", &[], "# BEGIN crontainer:web\n# END crontainer:web\n");
        check_upsert("# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\n2\n# END crontainer:web\n# BEGIN crontainer:b\n3\n# END crontainer:b", "web", &["x"], "# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\nx\n# END crontainer:web\n# BEGIN crontainer:b\n3\n# END crontainer:b");
        check_upsert("# BEGIN crontainer:a\n1\n# END crontainer:a", "web", &["x"], "# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\nx\n# END crontainer:web\n");
        check_upsert("é ✓\n", "web", &["ü"], "é ✓\n# BEGIN crontainer:web\nü\n# END crontainer:web\n");
    }

    #[test]
    #[rustfmt::skip]
    fn removes() {
        check_remove("", "web", None);
        check_remove("x\n", "web", None);
        check_remove("# BEGIN crontainer:web\na\n# END crontainer:web\n", "web", Some(""));
        check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web\n", "web", Some("x\n"));
        check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web\ny", "web", Some("x\ny"));
        check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web", "web", Some("x\n"));
        check_remove("\n\n# BEGIN crontainer:web\n# END crontainer:web\n\n", "web", Some("\n\n\n"));
        check_remove("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:web\n# END crontainer:web\n# BEGIN crontainer:b\n# END crontainer:b\n", "web", Some("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:b\n# END crontainer:b\n"));
        check_remove("# BEGIN crontainer:a\n# END crontainer:a\n", "web", None);
    }

    #[test]
    #[rustfmt::skip]
    fn refuses_damaged_texts() {
        // BEGIN without END.
        check_error("x\n# BEGIN crontainer:web\na\n", "line 2: `# BEGIN crontainer:web` has no matching `# END crontainer:web`; add that line after the block's last job, or delete the block's lines and run `crontainer install` again");
        check_error("# BEGIN crontainer:web", "line 1: `# BEGIN crontainer:web` has no matching");
        check_error("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:b\n", "line 3: `# BEGIN crontainer:b` has no matching");
        // END without BEGIN.
        check_error("x\ny\n# END crontainer:web\n", "line 3: `# END crontainer:web` has no matching `# BEGIN crontainer:web` before it;");
        check_error("# END crontainer:web\n# BEGIN crontainer:web\n", "line 1: `# END crontainer:web` has no matching");
        check_error("# BEGIN crontainer:a\n# END crontainer:a\n# END crontainer:a\n", "line 3: `# END crontainer:a` has no matching");
        // Nesting.
        check_error("# BEGIN crontainer:a\n# BEGIN crontainer:b\n# END crontainer:b\n# END crontainer:a\n", "line 2: `# BEGIN crontainer:b` begins a block inside block `a`, which begins on line 1 and has not ended; add `# END crontainer:a`");
        check_error("# BEGIN crontainer:a\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", "line 3: `# BEGIN crontainer:a` begins a block inside block `a`, which begins on line 1");
        // END of another block.
        check_error("# BEGIN crontainer:a\nx\n# END crontainer:b\n", "line 3: `# END crontainer:b` ends block `a`, which begins on line 1; make both markers name the same block, or delete lines 1 to 3");
        // The same name twice.
        check_error("# BEGIN crontainer:a\n# END crontainer:a\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", "lines 1 and 4: block `a` appears twice; delete one copy");
        check_error("# BEGIN crontainer:web\n# END crontainer:web\n# BEGIN crontainer:web\n# END crontainer:web\n", "lines 1 and 3: block `web` appears twice");
        // Damaged markers, inside or outside a block.
        check_error("#BEGIN crontainer:web\n", "line 1: `#BEGIN crontainer:web` looks like a crontainer marker but is not exactly `# BEGIN crontainer:<name>` or `# END crontainer:<name>`");
        check_error("x\n  # BEGIN crontainer:web\n", "line 2: `  # BEGIN crontainer:web` looks like a crontainer marker");
        check_error("# BEGIN crontainer:web extra\n", "line 1: `# BEGIN crontainer:web extra` looks like");
        check_error("# BEGIN crontainer:web \n", "line 1: `# BEGIN crontainer:web ` looks like");
        check_error("# BEGIN crontainer:web\r\n# END crontainer:web\r\n", "line 1: `# BEGIN crontainer:web\\r` looks like");
        check_error("# BEGIN crontainer:web\n\t# END crontainer:web\n", "line 2: `\\t# END crontainer:web` looks like");
        check_error("# begin crontainer:web\n", "line 1: `# begin crontainer:web` looks like");
        check_error("## BEGIN  Crontainer web\n", "line 1: `## BEGIN  Crontainer web` looks like");
        check_error("# BEGIN crontainer:\n", "line 1: `# BEGIN crontainer:` looks like");
        check_error("# BEGIN crontainer:Web\n", "line 1: `# BEGIN crontainer:Web` looks like");
        check_error("# BEGIN crontainer:web.x\n", "line 1: `# BEGIN crontainer:web.x` looks like");
        check_error("# BEGIN crontainer:-web\n", "line 1: `# BEGIN crontainer:-web` looks like");
        check_error("# END crontainer-web\n", "line 1: `# END crontainer-web` looks like");
        check_error("# END crontainer\n", "line 1: `# END crontainer` looks like");
        check_error("END crontainer:web\n", "line 1: `END crontainer:web` looks like");
        check_error("# BEGIN crontainer:web\n# BEGIN crontainer:x y\n# END crontainer:web\n", "line 2: `# BEGIN crontainer:x y` looks like");
        // The first problem in the text is the one reported.
        check_error("# END crontainer:a\n#BEGIN crontainer:b\n", "line 1: `# END crontainer:a` has no matching");
    }

    #[test]
    fn refuses_invalid_names() {
        for name in ["", "Web", "-web", "_web", "web.x", "web x", "wéb", "web\n"] {
            let message = format!("`{}` cannot name a crontainer block;", shown(name));
            for error in [
                find("", name).unwrap_err(),
                upsert("", name, &[]).unwrap_err(),
                remove("", name).unwrap_err(),
            ] {
                assert!(error.to_string().starts_with(&message), "{name:?}: {error}");
            }
        }
    }

    #[test]
    fn valid_names() {
        for name in ["a", "0", "web", "a-b_c", "9-", "main_pipeline_v2"] {
            assert!(is_valid_name(name), "{name:?}");
        }
        for name in ["", "A", "-", "_a", "a.b", "a b", "é", "a/b", "a:b"] {
            assert!(!is_valid_name(name), "{name:?}");
        }
    }

    #[test]
    fn shows_control_characters_and_long_lines_readably() {
        assert_eq!(shown("a\rb\tc\u{1}"), "a\\rb\\tc\\u{1}");
        assert_eq!(shown(&"x".repeat(200)), format!("{}…", "x".repeat(80)));
    }
}

/// Properties over thousands of random, realistic crontabs.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    /// The block the properties install; generated texts never hold it (nor `SECOND`).
    const NAME: &str = "main";
    const SECOND: &str = "second";

    /// A strategy for strings matching `pattern`, parsed once (a `&str` strategy parses its
    /// regex again for every value).
    fn re(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
        proptest::string::string_regex(pattern).unwrap()
    }

    fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// A tiny xorshift64 generator. Lines are built from one proptest-chosen seed because
    /// proptest's per-character regex generation would dominate the run time in debug builds.
    struct Xorshift(u64);

    impl Xorshift {
        fn new(seed: u64) -> Self {
            Xorshift(seed | 1)
        }

        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())]
        }

        fn text(&mut self, len: usize, chars: &[char]) -> String {
            (0..len).map(|_| self.pick(chars)).collect()
        }
    }

    /// Characters of commands and comments: those cron and shells care about, and non-ASCII.
    const TEXT: &[char] = &[
        'a', 'e', 'p', 'y', 't', 'h', 'o', 'n', 'B', 'E', 'G', 'I', 'N', '/', '-', '_', '.', ':',
        ' ', ' ', '>', '&', '|', ';', '$', '(', ')', '`', '\'', '"', '\\', '%', '#', '*', '=', '0',
        '9', 'é', '✓', '日', '\t',
    ];

    /// The command of a cron line: mostly short, sometimes near Debian's 998-byte limit.
    fn command() -> impl Strategy<Value = String> {
        let len = prop_oneof![8 => 1..80usize, 1 => 600..900usize];
        (len, any::<u64>()).prop_map(|(len, seed)| Xorshift::new(seed).text(len, TEXT))
    }

    /// One line a user or another tool may have written, without its "\n".
    fn user_line() -> impl Strategy<Value = String> {
        const ENV: &[&str] = &[
            "SHELL=/bin/bash",
            "MAILTO=ops@example.com",
            "MAILTO=\"\"",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "CRON_TZ=Europe/Berlin",
        ];
        const MINUTES: &[&str] = &["*", "0", "15", "59", "*/5", "1-5,7", "0-30/10"];
        const HOURS: &[&str] = &["*", "3", "*/5", "0,12", "9-17"];
        const DAYS: &[&str] = &["*", "1", "15", "L"];
        const MONTHS: &[&str] = &["*", "jan", "1-6"];
        const WEEKDAYS: &[&str] = &["*", "0", "7", "mon-fri", "sun"];
        const NICKNAMES: &[&str] = &["reboot", "daily", "hourly", "weekly", "yearly"];
        const WORD: &[char] = &['a', 'b', 'x', 'y', '_', '-', '/', ' ', '0'];
        (0..18usize, any::<u64>(), command())
            .prop_map(|(kind, seed, command)| {
                let mut rng = Xorshift::new(seed);
                let line = match kind {
                    0 | 1 => String::new(),
                    2..=4 => {
                        let len = rng.below(61);
                        format!("#{}", rng.text(len, TEXT))
                    }
                    5 | 6 => rng.pick(ENV).to_owned(),
                    7..=12 => format!(
                        "{} {} {} {} {} {command}",
                        rng.pick(MINUTES),
                        rng.pick(HOURS),
                        rng.pick(DAYS),
                        rng.pick(MONTHS),
                        rng.pick(WEEKDAYS),
                    ),
                    13 | 14 => format!("@{} {command}", rng.pick(NICKNAMES)),
                    15 => {
                        let len = 1 + rng.below(20);
                        format!(
                            "# {} Whenever generated tasks for: /{}{}",
                            rng.pick(&["Begin", "End"]),
                            rng.text(len, WORD),
                            rng.pick(&["", " at: 2024-05-12 10:00:00 +0200"]),
                        )
                    }
                    16 => {
                        let len = 1 + rng.below(20);
                        format!("#Ansible: {}", rng.text(len, WORD))
                    }
                    _ => {
                        let len = 1 + rng.below(4);
                        rng.text(len, &[' ', '\t'])
                    }
                };
                let trailing = rng.pick(&["", "", "", "", " ", "   ", "\t"]);
                let cr = rng.pick(&["", "", "", "", "", "", "\r"]);
                format!("{line}{trailing}{cr}")
            })
            .prop_filter("an ordinary line", |line| classify(line) == Kind::Plain)
    }

    fn body() -> impl Strategy<Value = Vec<String>> {
        vec(user_line(), 0..6)
    }

    #[derive(Debug, Clone)]
    enum Item {
        Line(String),
        Block(String, Vec<String>),
    }

    /// A valid crontab text, empty or ending with "\n", with no block `NAME` or `SECOND` but
    /// perhaps blocks of other names.
    fn crontab() -> impl Strategy<Value = String> {
        let item = prop_oneof![
            6 => user_line().prop_map(Item::Line),
            1 => (re("[a-z0-9][a-z0-9_-]{0,6}"), vec(user_line(), 0..4))
                .prop_map(|(name, body)| Item::Block(name, body)),
        ];
        vec(item, 0..25).prop_map(|items| {
            let mut text = String::new();
            let mut seen = vec![NAME.to_owned(), SECOND.to_owned()];
            for item in items {
                match item {
                    Item::Line(line) => {
                        text.push_str(&line);
                        text.push('\n');
                    }
                    Item::Block(name, body) if !seen.contains(&name) => {
                        text.push_str(&format!("{BEGIN}{name}\n"));
                        for line in body {
                            text.push_str(&line);
                            text.push('\n');
                        }
                        text.push_str(&format!("{END}{name}\n"));
                        seen.push(name);
                    }
                    Item::Block(..) => {}
                }
            }
            text
        })
    }

    /// Like [`crontab`], but perhaps without the final "\n".
    fn any_ending_crontab() -> impl Strategy<Value = String> {
        (crontab(), any::<bool>()).prop_map(|(mut text, cut)| {
            if cut {
                text.pop();
            }
            text
        })
    }

    /// Ways a person (or a tool) damages a marker line so that it is no longer exact.
    fn damage_marker(line: &str, how: usize) -> String {
        match how % 11 {
            0 => format!(" {line}"),
            1 => format!("{line} "),
            2 => format!("{line}\r"),
            3 => format!("{line} extra"),
            4 => line.replacen("# ", "#", 1),
            5 => line.replacen("BEGIN", "Begin", 1).replacen("END", "end", 1),
            6 => line.to_uppercase(),
            7 => line.replacen(':', "-", 1),
            8 => format!("#{line}"),
            9 => format!("{line}.d"),
            _ => line[..line.find(':').unwrap() + 1].to_owned(),
        }
    }

    /// Damages a valid text holding at least one block, in one of the ways that must be
    /// refused.
    fn damage(text: &str, how: usize, at: Index, name: &str) -> String {
        let mut lines: Vec<String> = text.split_terminator('\n').map(str::to_owned).collect();
        let markers: Vec<usize> = (0..lines.len())
            .filter(|&i| classify(&lines[i]) != Kind::Plain)
            .collect();
        let marker = markers[at.index(markers.len())];
        let blocks = parse(text).unwrap();
        let block = &blocks[at.index(blocks.len())];
        let (begin, end) = (block.begin.number - 1, block.end.number - 1);
        match how % 5 {
            // Delete a marker: BEGIN without END, or END without BEGIN.
            0 => {
                lines.remove(marker);
            }
            // Damage a marker.
            1 => lines[marker] = damage_marker(&lines[marker], how / 5),
            // An exact marker of any name anywhere: nesting, unmatched or mismatched.
            2 => {
                let marker = if how % 2 == 0 { BEGIN } else { END };
                lines.insert(at.index(lines.len() + 1), format!("{marker}{name}"));
            }
            // A second copy of a block.
            3 => {
                let copy = lines[begin..=end].to_vec();
                let place = at.index(lines.len() + 1);
                // Not inside a block: that would be nesting, tested above.
                let place = if markers.iter().filter(|&&i| i < place).count() % 2 == 0 {
                    place
                } else {
                    lines.len()
                };
                lines.splice(place..place, copy);
            }
            // A block's END line lost and the next block's BEGIN kept: nesting or unclosed.
            _ => {
                lines.remove(end);
            }
        }
        let mut damaged = lines.join("\n");
        damaged.push('\n');
        damaged
    }

    proptest! {
        #![proptest_config(config(3000))]

        #[test]
        fn upsert_then_remove_gives_back_the_original_bytes(text in crontab(), body in body()) {
            let installed = upsert(&text, NAME, &body).unwrap();
            prop_assert!(installed.starts_with(&text));
            prop_assert_eq!(find(&installed, NAME).unwrap(), Some(body));
            let mut expected_names = names(&text).unwrap();
            expected_names.push(NAME.to_owned());
            prop_assert_eq!(names(&installed).unwrap(), expected_names);
            prop_assert_eq!(remove(&installed, NAME).unwrap(), Some(text.clone()));
            prop_assert_eq!(remove(&text, NAME).unwrap(), None);
            prop_assert_eq!(find(&text, NAME).unwrap(), None);
        }

        #[test]
        fn a_missing_final_newline_is_the_only_byte_added(text in any_ending_crontab(), body in body()) {
            let installed = upsert(&text, NAME, &body).unwrap();
            prop_assert!(installed.starts_with(&text));
            let mut expected = text.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                expected.push('\n');
            }
            prop_assert_eq!(remove(&installed, NAME).unwrap(), Some(expected));
        }

        #[test]
        fn upsert_is_idempotent(text in any_ending_crontab(), body in body(), old in body()) {
            let once = upsert(&text, NAME, &body).unwrap();
            prop_assert_eq!(&upsert(&once, NAME, &body).unwrap(), &once);
            let over_old = upsert(&upsert(&text, NAME, &old).unwrap(), NAME, &body).unwrap();
            prop_assert_eq!(over_old, once);
        }

        #[test]
        fn blocks_are_independent(
            text in any_ending_crontab(),
            first in body(),
            second in body(),
            replacement in body(),
            at in any::<Index>(),
        ) {
            let both = upsert(&upsert(&text, NAME, &first).unwrap(), SECOND, &second).unwrap();
            // Replacing one block leaves everything outside its body as it was.
            let replaced = upsert(&both, NAME, &replacement).unwrap();
            prop_assert_eq!(find(&replaced, SECOND).unwrap(), Some(second.clone()));
            prop_assert_eq!(remove(&replaced, NAME).unwrap(), remove(&both, NAME).unwrap());
            // Removing one leaves the other.
            let without_first = remove(&both, NAME).unwrap().unwrap();
            prop_assert_eq!(find(&without_first, SECOND).unwrap(), Some(second.clone()));
            prop_assert_eq!(remove(&without_first, SECOND).unwrap(), remove(&upsert(&text, SECOND, &[]).unwrap(), SECOND).unwrap());
            // Editing our block commutes with removing a block that was already there.
            let existing = names(&text).unwrap();
            if !existing.is_empty() {
                let other = &existing[at.index(existing.len())];
                let other_body = find(&text, other).unwrap();
                prop_assert_eq!(find(&both, other).unwrap(), other_body);
                if text.is_empty() || text.ends_with('\n') {
                    let removed_first = upsert(&remove(&text, other).unwrap().unwrap(), NAME, &first).unwrap();
                    let removed_last = remove(&upsert(&text, NAME, &first).unwrap(), other).unwrap().unwrap();
                    prop_assert_eq!(removed_first, removed_last);
                }
            }
        }

        #[test]
        fn damaged_texts_are_refused(
            text in crontab(),
            body in body(),
            how in 0..1000usize,
            at in any::<Index>(),
            name in prop_oneof![Just(NAME.to_owned()), Just(SECOND.to_owned()), re("[a-z0-9][a-z0-9_-]{0,6}")],
        ) {
            let valid = upsert(&text, NAME, &body).unwrap();
            let damaged = damage(&valid, how, at, &name);
            prop_assert!(find(&damaged, NAME).is_err(), "{:?}", damaged);
            prop_assert!(find(&damaged, SECOND).is_err());
            let error = names(&damaged).unwrap_err();
            prop_assert_eq!(upsert(&damaged, NAME, &body).unwrap_err(), error.clone());
            prop_assert_eq!(remove(&damaged, NAME).unwrap_err(), error.clone());
            prop_assert!(error.to_string().starts_with("line"), "{}", error);
        }

        #[test]
        fn a_lookalike_marker_is_refused_wherever_it_is(
            text in crontab(),
            body in body(),
            how in 0..1000usize,
            at in any::<Index>(),
            name in re("[a-z0-9][a-z0-9_-]{0,6}"),
        ) {
            let valid = upsert(&text, NAME, &body).unwrap();
            let mut lines: Vec<&str> = valid.split_terminator('\n').collect();
            let marker = format!("{}{name}", if how % 2 == 0 { BEGIN } else { END });
            let lookalike = damage_marker(&marker, how / 2);
            let place = at.index(lines.len() + 1);
            lines.insert(place, &lookalike);
            let damaged = lines.join("\n");
            let error = names(&damaged).unwrap_err().to_string();
            prop_assert!(error.starts_with(&format!("line {}: ", place + 1)), "{}", error);
            prop_assert!(error.contains("looks like a crontainer marker"), "{}", error);
            prop_assert!(upsert(&damaged, NAME, &body).is_err());
            prop_assert!(remove(&damaged, NAME).is_err());
        }

        /// Texts made of markers, lookalikes and ordinary lines in any order: nothing panics,
        /// all functions agree, and whatever is accepted obeys the round trip.
        #[test]
        fn any_text_is_either_refused_or_edited_exactly(
            pieces in vec(prop_oneof![
                8 => user_line().prop_map(|line| vec![line]),
                // Whole blocks, some of the same name.
                6 => (re("(a|b|c|main)"), vec(user_line(), 0..3)).prop_map(|(name, body)| {
                    let mut lines = vec![format!("{BEGIN}{name}")];
                    lines.extend(body);
                    lines.push(format!("{END}{name}"));
                    lines
                }),
                // Lone exact markers and lookalikes.
                1 => (prop_oneof![Just(BEGIN), Just(END)], re("(a|b|main)"))
                    .prop_map(|(marker, name)| vec![format!("{marker}{name}")]),
                1 => (re("(# BEGIN|# END|#BEGIN|# begin| # END) crontainer:"), re("(a|main|Main|m.d|)"), re("( |\r|)"))
                    .prop_map(|(marker, name, tail)| vec![format!("{marker}{name}{tail}")]),
            ], 0..10),
            cut in any::<bool>(),
            body in body(),
        ) {
            let lines = pieces.concat();
            let mut text = lines.join("\n");
            if !cut && !lines.is_empty() {
                text.push('\n');
            }
            match names(&text) {
                Err(error) => {
                    prop_assert_eq!(find(&text, NAME).unwrap_err(), error.clone());
                    prop_assert_eq!(upsert(&text, NAME, &body).unwrap_err(), error.clone());
                    prop_assert_eq!(remove(&text, NAME).unwrap_err(), error);
                }
                Ok(found) => {
                    let installed = upsert(&text, NAME, &body).unwrap();
                    prop_assert_eq!(&upsert(&installed, NAME, &body).unwrap(), &installed);
                    prop_assert_eq!(find(&installed, NAME).unwrap(), Some(body));
                    let removed = remove(&installed, NAME).unwrap().unwrap();
                    prop_assert!(!names(&removed).unwrap().contains(&NAME.to_owned()));
                    if !found.contains(&NAME.to_owned()) && (text.is_empty() || text.ends_with('\n')) {
                        prop_assert_eq!(removed, text);
                    }
                }
            }
        }
    }
}
