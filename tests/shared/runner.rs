//! Shared by both test binaries (included with `#[path]`): `crontainer exec` for a test job `j`,
//! and its log with what changes from run to run taken out. The hermetic tests run it against a
//! fake runtime, the e2e tests against Docker and Podman; the words and the reading are one.

use std::ffi::OsString;
use std::path::Path;

/// The runner's words for job `j` logging to `log` through `runtime`: `exec j --log LOG
/// --runtime RUNTIME FLAGS... -- ARGV...`, as an installed line has them.
pub fn exec_words(log: &Path, runtime: &Path, flags: &[&str], argv: &[&str]) -> Vec<OsString> {
    let mut words: Vec<OsString> = ["exec", "j", "--log"].map(OsString::from).into();
    words.push(log.into());
    words.push("--runtime".into());
    words.push(runtime.into());
    words.extend(flags.iter().map(OsString::from));
    words.push("--".into());
    words.extend(argv.iter().map(OsString::from));
    words
}

/// A log with each record's time, pid, run id and duration replaced by `T`, `N` and `N-N`; the
/// job's output as it is.
pub fn normalize(log: &str) -> String {
    log.lines()
        .map(|line| match line.strip_prefix("[crontainer] ") {
            Some(record) => {
                let words: Vec<String> = record
                    .split(' ')
                    .enumerate()
                    .map(|(i, w)| match (i, w.split_once('=')) {
                        (0, _) => "T".to_owned(),
                        (_, Some((k @ ("pid" | "seconds"), _))) => format!("{k}=N"),
                        (_, Some(("run", _))) => "run=N-N".to_owned(),
                        _ => w.to_owned(),
                    })
                    .collect();
                format!("[crontainer] {}\n", words.join(" "))
            }
            None => format!("{line}\n"),
        })
        .collect()
}

/// The processes whose `/proc/PID/FILE` (`cmdline` or `environ`: NUL-separated words) holds a
/// word that `matches`: a run's runtime clients carry its mark on their command line, its job
/// in its environment.
pub fn processes_with(file: &str, matches: impl Fn(&[u8]) -> bool) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/{file}"))
                .unwrap_or_default()
                .split(|b| *b == 0)
                .any(&matches)
        })
        .collect()
}
