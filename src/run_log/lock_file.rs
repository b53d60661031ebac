//! What a job's lock file `LOG.lock` holds besides the lock: line 1, the run id of the newest run
//! the line started (what a 0.2 line writes with `echo $r >&9` at offset 0 and reads with
//! `read r <&9`); line 2, written by the runner only, `RUN MARK`: the random mark that run's
//! processes carry in the container (`CRONTAINER_MARK=MARK`, `exec/orphan.rs`). The mark stays
//! on the host, out of the job's reach, so the job cannot pass for its own run: it is not the run
//! id (which the job could then print on a forged end line), and it names its run, so the rest
//! of an older mark a 0.2 line's shorter write left behind names none. The runner takes line 2
//! away once its end line is written (`exec/journal.rs`): a mark left there says its runner
//! never finished.

use std::path::Path;

use super::RunId;

/// The length of a mark: 128 random bits, in hex.
pub const MARK_LEN: usize = 32;

/// The most of a lock file worth reading: a run id (at most 32 bytes) twice and a mark. A lock
/// file someone filled with junk costs no more than this.
pub const LOCK_READ: usize = 128;

/// What a lock file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockFile {
    /// The newest run the line started (None: an empty file, a 0.1 line's, or junk).
    pub run: Option<RunId>,
    /// That run's mark (None: a run of a 0.2 line, or of a runner before marks were secret).
    pub mark: Option<String>,
}

impl LockFile {
    /// Reads the text of a lock file, of which only the first [`LOCK_READ`] bytes count.
    pub fn parse(bytes: &[u8]) -> LockFile {
        let bytes = &bytes[..bytes.len().min(LOCK_READ)];
        let mut lines = bytes.split(|b| *b == b'\n');
        // A 0.2 line after a shorter pid left the tail of a longer id behind: only the first
        // line is its, and one that does not parse names no run.
        let run = lines
            .next()
            .and_then(|l| std::str::from_utf8(l).ok())
            .and_then(RunId::parse);
        let mark = match (run, lines.next().and_then(|l| std::str::from_utf8(l).ok())) {
            (Some(run), Some(line)) => line
                .split_once(' ')
                .filter(|(of, mark)| {
                    RunId::parse(of) == Some(run)
                        && mark.len() == MARK_LEN
                        && mark.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .map(|(_, mark)| mark.to_owned()),
            _ => None,
        };
        LockFile { run, mark }
    }

    /// The text the runner writes for `run` and its `mark`.
    pub fn text(run: RunId, mark: &str) -> String {
        format!("{run}\n{run} {mark}\n")
    }

    /// Reads the lock file at `lock`: empty when it is missing or unreadable to us.
    pub fn read(lock: &Path) -> LockFile {
        // A user may turn their lock into a FIFO or a link to /dev/zero: read a regular file's
        // first bytes only, without waiting (issue 26).
        crate::safe_file::read_bounded(lock, crate::safe_file::SMALL_FILE_MAX)
            .ok()
            .flatten()
            .map(|bytes| LockFile::parse(&bytes))
            .unwrap_or_default()
    }
}

/// The run a job's lock file names: the newest run the line started (it writes `PID-EPOCH`
/// there once it holds the lock). Kept outside the log, so a rotation or a job's output cannot
/// change it. None when the file is missing, empty (a line of crontainer 0.1 never writes it), or
/// unreadable to us.
pub fn lock_run(lock: &Path) -> Option<RunId> {
    LockFile::read(lock).run
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = "0123456789abcdef0123456789abcdef";

    #[track_caller]
    fn case(text: &str, run: Option<&str>, mark: Option<&str>) {
        assert_eq!(
            LockFile::parse(text.as_bytes()),
            LockFile {
                run: run.and_then(RunId::parse),
                mark: mark.map(str::to_owned),
            },
            "{text:?}"
        );
    }

    #[test]
    fn a_lock_file_names_its_run_by_line_one_and_its_mark_by_line_two() {
        let run = RunId::parse("123-1796400000").unwrap();
        case(
            &LockFile::text(run, MARK),
            Some("123-1796400000"),
            Some(MARK),
        );
        // A 0.2 line's, and one whose tail a 0.2 line's shorter id left.
        case("4130-1764451688\n", Some("4130-1764451688"), None);
        case("4130-1764451688\n0\n", Some("4130-1764451688"), None);
        case("", None, None);
        case("junk\n", None, None);
        // A 0.2 line wrote its run over the runner's: the old mark is not this run's.
        case(
            &format!("45-1796400100\n\n123-1796400000 {MARK}\n"),
            Some("45-1796400100"),
            None,
        );
        case(
            &format!("1234567-1796400100\n{MARK}\n"),
            Some("1234567-1796400100"),
            None,
        );
        case(
            &format!("123-1796400000\n9-1796400000 {MARK}\n"),
            Some("123-1796400000"),
            None,
        );
        // A mark not of 128 bits in hex.
        case(
            "123-1796400000\n123-1796400000 0123\n",
            Some("123-1796400000"),
            None,
        );
        case(
            &format!("123-1796400000\n123-1796400000 {}\n", "g".repeat(MARK_LEN)),
            Some("123-1796400000"),
            None,
        );
        // Without its newline (a run killed mid-write) the mark still parses.
        case(
            &format!("123-1796400000\n123-1796400000 {MARK}"),
            Some("123-1796400000"),
            Some(MARK),
        );
    }
}
