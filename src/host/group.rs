//! The processes of one process group, read from the host's /proc: `run-now` passes a signal on
//! to each process of the session it started but the `runuser` leading it
//! (`commands/run_now.rs` says why).

use std::path::Path;

/// The processes whose process group is `group`, from `proc` (`/proc`; a copy in tests).
pub(crate) fn members_in(proc: &Path, group: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| group_of(proc, *pid) == Some(group))
        .collect();
    pids.sort_unstable();
    pids
}

/// The processes of `group` on this host.
pub(crate) fn members(group: i32) -> Vec<i32> {
    members_in(Path::new("/proc"), group)
}

/// The process group of `pid`: the 3rd field after the command in `/proc/PID/stat` (the command
/// is in parentheses and may hold spaces and parentheses itself, so read after the last `)`).
fn group_of(proc: &Path, pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_members_are_the_processes_naming_it_in_their_stat() {
        let dir = tempfile::tempdir().unwrap();
        for (pid, stat) in [
            (10, "10 (runuser) S 1 10 10 0"),
            (11, "11 (sh) S 10 10 10 0"),
            (12, "12 (a) b) 12) S 11 10 10 0"),
            (13, "13 (other) S 1 13 13 0"),
            (14, "junk"),
        ] {
            let p = dir.path().join(pid.to_string());
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("stat"), stat).unwrap();
        }
        std::fs::create_dir(dir.path().join("self")).unwrap();
        assert_eq!(members_in(dir.path(), 10), vec![10, 11, 12]);
        assert_eq!(members_in(dir.path(), 13), vec![13]);
        assert_eq!(members_in(dir.path(), 99), Vec::<i32>::new());
    }
}
