//! A run's output across a copytruncate rotation: logrotate copied the log to `<log>.1` and
//! emptied it while the run went on writing, so the run's start and first output are in `.1` and
//! the rest in the log. `status` already reads the run from `.1` ([`super::last_run_of`]);
//! `logs` must show the same run, not "has not run yet" (issue 25).

use std::path::Path;

use anyhow::Context as _;

use super::{CHUNK_LEN, RunId, last_run_output_with};

/// The output of `run` (named by the lock file, so no forged start counts) from its start line in
/// `<path>.1` on, then the whole of `path`; None when the run is not in `.1` either.
pub fn output_across_rotation(
    path: &Path,
    job: &str,
    run: Option<RunId>,
) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(run) = run else {
        return Ok(None);
    };
    let mut older = path.as_os_str().to_owned();
    older.push(".1");
    let Some(mut bytes) = last_run_output_with(Path::new(&older), job, Some(run), CHUNK_LEN)?
    else {
        return Ok(None);
    };
    match std::fs::read(path) {
        Ok(rest) => bytes.extend(rest),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("could not read log {}", path.display())),
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::super::{RunId, last_run_output};

    #[test]
    fn a_run_split_by_a_rotation_is_read_from_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("j.log");
        let start = "[crontainer] 2025-11-29T15:01:00Z j start pid=20 by=cron\n";
        std::fs::write(
            dir.path().join("j.log.1"),
            format!("earlier\n{start}first half\n"),
        )
        .unwrap();
        std::fs::write(&log, "second half\n").unwrap();
        let run = Some(RunId {
            pid: 20,
            started: 1_764_428_460,
        });
        assert_eq!(
            last_run_output(&log, "j", run).unwrap(),
            Some(format!("{start}first half\nsecond half\n").into_bytes())
        );
        // Without the lock file's run, a start in `.1` is not trusted: nothing.
        assert_eq!(last_run_output(&log, "j", None).unwrap(), None);
    }
}
