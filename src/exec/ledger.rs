//! The runner's side of the run history (`crate::history`): the record of each attempt of a run
//! and of each skipped firing, written where the user the runner runs as keeps it.

use std::io::Write as _;

use jiff::Timestamp;

use super::{End, journal};
use crate::history;
use crate::run_log::{RunId, Trigger};
use crate::runner_args::RunnerArgs;

/// Where this firing's runs and skips are recorded (`crate::history`). A record that cannot be
/// written never changes what the firing does: the log says why, once per record.
pub(crate) struct Ledger {
    dir: Option<std::path::PathBuf>,
    log: std::path::PathBuf,
    job: String,
    /// The line's `--block`; empty for a line written before it existed.
    block: String,
    trigger: String,
    limits: history::Limits,
}

impl Ledger {
    pub(crate) fn new(args: &RunnerArgs, by: &Trigger) -> Ledger {
        Ledger {
            dir: history::own_dir().ok(),
            log: args.log.clone(),
            job: args.job.clone(),
            block: args.block.clone().unwrap_or_default(),
            trigger: history::trigger_word(by),
            limits: history::Limits::of_line(args),
        }
    }

    /// A record of this job and trigger, the rest to be filled in.
    pub(crate) fn entry(&self, kind: history::Kind, start: Timestamp) -> history::Entry {
        history::Entry {
            kind,
            job: self.job.clone(),
            block: self.block.clone(),
            run: None,
            trigger: self.trigger.clone(),
            start: Timestamp::from_second(start.as_second()).unwrap_or(start),
            end: None,
            seconds: None,
            exit: None,
            reason: None,
            ping: None,
            attempt: 1,
        }
    }

    /// The record written as an attempt of run `run` starts: with no end, so a run whose runner
    /// is killed (or whose host goes down) is still in the history, as one that did not finish
    /// (`history::runs`); the attempt's end record supersedes it.
    pub(crate) fn started(&self, run: RunId, attempt: u32, at: Timestamp) -> history::Entry {
        history::Entry {
            run: Some(run.to_string()),
            attempt,
            ..self.entry(history::Kind::Run, at)
        }
    }

    /// The record of one attempt of run `run` (the only one without retries).
    pub(crate) fn attempt(
        &self,
        run: RunId,
        attempt: u32,
        started: Timestamp,
        ended: Timestamp,
        end: &End,
        ping: Option<String>,
    ) -> history::Entry {
        history::Entry {
            run: Some(run.to_string()),
            end: Some(Timestamp::from_second(ended.as_second()).unwrap_or(ended)),
            seconds: Some(u64::try_from(ended.as_second() - started.as_second()).unwrap_or(0)),
            exit: Some(end.exit),
            reason: end.reason.clone(),
            ping,
            attempt,
            ..self.entry(history::Kind::Run, started)
        }
    }

    pub(crate) fn skip(
        &self,
        journal: &journal::Journal,
        at: Timestamp,
        reason: &str,
        run: Option<RunId>,
    ) {
        let entry = history::Entry {
            run: run.map(|r| r.to_string()),
            reason: Some(reason.to_owned()),
            ..self.entry(history::Kind::Skip, at)
        };
        self.record(journal, entry);
    }

    pub(crate) fn record(&self, journal: &journal::Journal, entry: history::Entry) {
        let result = match &self.dir {
            Some(dir) => history::append(dir, &self.log, &entry, self.limits),
            None => history::own_dir().map(|_| ()),
        };
        if let Err(e) = result {
            let _ = writeln!(
                journal.output_line(),
                "crontainer: the run could not be recorded in the history: {e:#}"
            );
        }
    }
}
