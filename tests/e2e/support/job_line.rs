//! The cron line crontainer generates for a job (the README's "The generated line, piece by
//! piece"), written out by hand so the harness tests (`cron.rs`) fire the runner under the real
//! cron without `install`: `BIN exec JOB --log LOG --runtime RUNTIME [--env N=V].. -- CONTAINER
//! ARGV..`, `BIN` the copy of the build the tests install from ([`super::crontainer_bin`]).
//!
//! `JobLine::command` is the one place the shape lives.

use std::path::{Path, PathBuf};

/// What a job's line is made of. Paths are absolute, as the contract requires.
#[derive(Debug, Clone)]
pub struct JobLine {
    pub schedule: String,
    pub job_id: String,
    pub log: PathBuf,
    /// The container runtime, absolute (resolved against cron's PATH).
    pub docker: PathBuf,
    pub container: String,
    /// `docker exec -e NAME=VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// The command inside the container, each element one literal argument.
    pub argv: Vec<String>,
}

impl JobLine {
    /// A `* * * * *` job running `argv` in `container`, logging to `<dir>/<job_id>.log` (its
    /// lock beside it, `.log.lock`).
    pub fn every_minute(job_id: &str, container: &str, argv: &[&str], dir: &Path) -> JobLine {
        JobLine {
            schedule: "* * * * *".to_owned(),
            job_id: job_id.to_owned(),
            log: dir.join(format!("{job_id}.log")),
            docker: super::docker().to_owned(),
            container: container.to_owned(),
            env: Vec::new(),
            argv: argv.iter().map(|&a| a.to_owned()).collect(),
        }
    }

    /// Adds `--env NAME=VALUE` (`docker exec -e`).
    pub fn env(mut self, name: &str, value: &str) -> JobLine {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The line for a user's crontab.
    pub fn crontab_line(&self) -> String {
        format!("{} {}", self.schedule, self.command())
    }

    /// The line for `/etc/cron.d`, which names the user it runs as.
    pub fn cron_d_line(&self, user: &str) -> String {
        format!("{} {user} {}", self.schedule, self.command())
    }

    /// The command part of the line, `%` already escaped for cron.
    pub fn command(&self) -> String {
        let q = |s: &str| shell_quote(s);
        let path = |p: &Path| q(p.to_str().expect("utf-8 path"));
        let mut words = vec![
            path(super::crontainer_bin()),
            "exec".to_owned(),
            q(&self.job_id),
            "--log".to_owned(),
            path(&self.log),
            "--runtime".to_owned(),
            path(&self.docker),
        ];
        for (name, value) in &self.env {
            words.push("--env".to_owned());
            words.push(q(&format!("{name}={value}")));
        }
        words.push("--".to_owned());
        words.push(q(&self.container));
        words.extend(self.argv.iter().map(|a| q(a)));
        // Cron turns a bare `%` into a newline (and what follows into stdin); `\%` is a `%`.
        words.join(" ").replace('%', "\\%")
    }
}

/// `s` as one single-quoted sh word: nothing inside is expanded.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
