//! TEMPORARY STUB: replaced by the runlog branch.
use std::path::Path;
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Event {
    Start {
        pid: Option<u32>,
    },
    End {
        exit: i32,
        seconds: u64,
        timeout: Option<u64>,
    },
    Skip {
        reason: String,
    },
}
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Trigger {
    Cron,
    RunNow { user: String },
}
impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Cron => f.write_str("cron"),
            Trigger::RunNow { user } => write!(f, "run-now by {user}"),
        }
    }
}
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    #[serde(skip)]
    pub at: jiff::Timestamp,
    pub job: String,
    pub event: Event,
    pub by: Trigger,
}
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LastRun {
    pub started: Option<Record>,
    pub ended: Option<Record>,
    pub last_skip: Option<Record>,
}
impl LastRun {
    pub fn timed_out(&self) -> bool {
        false
    }
    pub fn succeeded(&self) -> Option<bool> {
        match &self.ended {
            Some(Record {
                event: Event::End { exit, .. },
                ..
            }) => Some(*exit == 0),
            _ => None,
        }
    }
}
pub fn parse_line(_line: &[u8]) -> Option<Record> {
    None
}
pub fn last_run(_path: &Path, _job: &str) -> anyhow::Result<LastRun> {
    Ok(LastRun::default())
}
pub fn last_run_output(_path: &Path, _job: &str) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(None)
}
pub fn tail_lines(_path: &Path, _n: usize) -> anyhow::Result<Vec<u8>> {
    Ok(vec![])
}
