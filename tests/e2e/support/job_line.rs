//! The cron line crontainer generates for a job (the README's "The generated line, piece by
//! piece"), written out by hand so the e2e tests can fire it before the product exists.
//!
//! `JobLine::command` is the one place the shape lives: when `crontainer plan`/`install` can
//! produce the line, swap its body for the product's output and every test follows.

use std::path::{Path, PathBuf};

/// What a job's line is made of. Paths are absolute, as the contract requires.
#[derive(Debug, Clone)]
pub struct JobLine {
    pub schedule: String,
    pub job_id: String,
    pub log: PathBuf,
    pub lock: PathBuf,
    /// The container runtime, absolute (resolved against cron's PATH).
    pub docker: PathBuf,
    pub container: String,
    /// `docker exec -e NAME=VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// The command inside the container, each element one literal argument.
    pub argv: Vec<String>,
}

impl JobLine {
    /// A `* * * * *` job running `argv` in `container`, logging to `<dir>/<job_id>.log` and
    /// locking `<dir>/<job_id>.lock`.
    pub fn every_minute(job_id: &str, container: &str, argv: &[&str], dir: &Path) -> JobLine {
        JobLine {
            schedule: "* * * * *".to_owned(),
            job_id: job_id.to_owned(),
            log: dir.join(format!("{job_id}.log")),
            lock: dir.join(format!("{job_id}.lock")),
            docker: super::docker().to_owned(),
            container: container.to_owned(),
            env: Vec::new(),
            argv: argv.iter().map(|&a| a.to_owned()).collect(),
        }
    }

    /// Adds `docker exec -e NAME=VALUE`.
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
        let mut exec = vec![path(&self.docker), "exec".to_owned()];
        for (name, value) in &self.env {
            exec.push("-e".to_owned());
            exec.push(q(&format!("{name}={value}")));
        }
        exec.push(q(&self.container));
        exec.extend(self.argv.iter().map(|a| q(a)));
        let command = format!(
            "exec 9>>{lock} >>{log} 2>&1; \
             l(){{ echo \"[crontainer] $(/usr/bin/date -u +%FT%TZ) {id} $* by=${{CRONTAINER_BY:-cron}}\"; }}; \
             /usr/bin/flock -n 9 || {{ l skip reason=running; exit 75; }}; \
             l start pid=$$; s=$(/usr/bin/date +%s); \
             {exec}; c=$?; \
             l end exit=$c seconds=$(($(/usr/bin/date +%s)-s)); exit $c",
            lock = path(&self.lock),
            log = path(&self.log),
            id = self.job_id,
            exec = exec.join(" "),
        );
        // Cron turns a bare `%` into a newline (and what follows into stdin); `\%` is a `%`.
        command.replace('%', "\\%")
    }
}

/// `s` as one single-quoted sh word: nothing inside is expanded.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
