//! Rendering a job into its marker comment and its one cron line, and reading them back.
//!
//! The line is the product: it must run under cron's bare environment (`PATH=/usr/bin:/bin`,
//! `SHELL=/bin/sh`) with nothing but the shell, the container runtime, `flock` and `date` (and
//! `curl`, `wc` and `tail` for a job that pings a healthcheck, see [`ping_words`]), so
//! every program is an absolute path resolved at install time, every user-supplied value is one
//! single-quoted shell word, and every `%` is escaped (cron turns a bare `%` into a newline and
//! feeds the rest to stdin). Its shape, for the seed job (`every = "5h"`):
//!
//! ```text
//! 0 * * * * [ $(($(/usr/bin/date +\%s)/3600\%5)) = 0 ] || exit 0; L=/var/log/main_pipeline.log;exec 9<>$L.lock >>$L 2>&1;s=;r=;l(){ [ "$(/usr/bin/tail -c1 $L)" ]&&echo;d=$(/usr/bin/date -u '+\%s \%FT\%TZ');echo "[crontainer] ${d#* } main_pipeline_v2 $*${r:+ run=$r}${s:+ seconds=$((${d\%\% *}-s))} by=${CRONTAINER_BY:-cron}";};/usr/bin/flock -n 9 || { read r <&9;l skip reason=running;exit 75;};l start pid=$$;s=${d\%\% *};r=$$-$s;echo $r >&9;/usr/bin/docker exec -i ai-video-backend sh -c WATCHER sh python main_v2.py </dev/ptmx; c=$?; l end exit=$c;exit $c
//! ```
//!
//! - the guard (only for intervals cron cannot express) skips all but every N-th firing slot,
//!   counted from the Unix epoch;
//! - `exec 9<>$L.lock >>$L 2>&1` opens the lock file (the log `L` plus `.lock`) on fd 9
//!   (read-write, so the run can leave its id there) and sends everything after it, the job's
//!   stdout and stderr included, to the log;
//! - `flock -n 9` takes the job's lock without waiting: a run that finds the previous one still
//!   going reads that run's id from the lock file, logs a `skip` line naming it and stops;
//! - `l` writes the `[crontainer] TIME JOB EVENT ... by=TRIGGER` lines that `run_log` parses,
//!   each on a line of its own (a newline first when the job's output did not end with one),
//!   with one `date` call giving both the epoch seconds and the UTC time; once the start time
//!   `s` is set, it adds the run's duration; `CRONTAINER_BY` is set by `crontainer run-now`,
//!   and unset (so `cron`) under cron;
//! - once started, the run's id `r` (the shell's pid and its start second) goes into the lock
//!   file, where no rotation and no output of the job can change it, and onto its end line, so
//!   `status` pairs a run's records exactly and a job printing look-alike lines changes nothing;
//!   the lock file also keeps the last start for telling a missed firing from a rotated log;
//! - the exit code of the line is the job's, so `run-now` can pass it on.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::{ContainerRef, Job};
use crate::error::bad_input;
use crate::schedule::{CronExpr, Guard, Rendered};
use crate::shell::{escape_percent, quote, unescape_percent};

/// The longest line we write. Debian's cron 3.0pl1 refuses a crontab whose command exceeds its
/// MAX_COMMAND buffer (1000 bytes with the newline and NUL), with "command too long"; cronie
/// silently truncates far later. Counting the whole line (schedule and user column too) keeps
/// us inside the stricter one.
pub const MAX_LINE: usize = 998;

/// The marker comment that precedes each job's line.
pub const MARKER_PREFIX: &str = "# crontainer:job ";

/// The first line of every block body: tells a reader of `crontab -l` where the lines come from.
pub const HEADER: &str =
    "# Managed by crontainer: edit its config and run `crontainer install`; do not edit below.";

/// The programs the line runs, as absolute paths, and how the host's cron treats `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub runtime: PathBuf,
    pub flock: PathBuf,
    pub date: PathBuf,
    /// Reads the log's last byte, so a crontainer line never continues a job's unfinished one.
    pub tail: PathBuf,
    /// Only the catch-up line runs it, between its polls of the container's state.
    pub sleep: PathBuf,
    /// What a job's healthchecks pings run (only lines with a `healthcheck` name them).
    pub curl: PathBuf,
    pub wc: PathBuf,
    /// Debian's cron and cronie turn a bare `%` into a newline and `\%` into `%`; busybox's
    /// crond (checked on 1.35) does neither, so a line for it must carry `%` as it is.
    pub escape_percent: bool,
}

/// What crontainer writes above each job's line, and reads back to find its log and lock.
/// Format: `# crontainer:job id=ID container=NAME runtime=PATH log=PATH lock=PATH
/// [runtime_env=NAME=VALUE,...] [every=5h] [grace=SECONDS] [catch_up=true] [installed=TIME]
/// [paused_at=TIME paused_by=USER] [desc=free text to the end]`, with `service=NAME
/// [project=NAME]` in place of `container=` for a Compose service. None of the values holds a
/// space (the config sees to it). 0.1 wrote neither `grace`, `catch_up`, `installed` nor
/// `service`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Marker {
    pub id: String,
    pub container: ContainerRef,
    /// The runtime the line runs, so `status` asks the same one about the container.
    pub runtime: PathBuf,
    /// The runtime's environment the line exports (`runtime_env`), so `status` asks with it.
    pub runtime_env: std::collections::BTreeMap<String, String>,
    pub log: PathBuf,
    pub lock: PathBuf,
    /// The `every` interval as configured, so `status` can say it in words.
    pub every: Option<String>,
    /// How late a firing may start before `status` calls it missed, when not the default.
    pub grace: Option<u64>,
    /// The job's cron line is followed by its catch-up (`@reboot`) line.
    pub catch_up: bool,
    /// When this line was installed (RFC 3339 UTC); a firing due before it cannot be missed.
    /// Kept by an identical re-install; None in blocks 0.1 wrote.
    pub installed: Option<String>,
    /// Set while the job is paused: its line is then commented out with [`PAUSED_PREFIX`].
    pub paused: Option<Paused>,
    pub description: Option<String>,
}

impl Marker {
    pub fn to_line(&self) -> String {
        let container = match &self.container {
            ContainerRef::Name(name) => format!("container={name}"),
            ContainerRef::Service {
                service,
                project: Some(project),
            } => format!("service={service} project={project}"),
            ContainerRef::Service {
                service,
                project: None,
            } => format!("service={service}"),
        };
        let mut line = format!(
            "{MARKER_PREFIX}id={} {container} runtime={} log={} lock={}",
            self.id,
            self.runtime.display(),
            self.log.display(),
            self.lock.display()
        );
        if !self.runtime_env.is_empty() {
            let vars: Vec<String> = self
                .runtime_env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            line.push_str(&format!(" runtime_env={}", vars.join(",")));
        }
        if let Some(every) = &self.every {
            line.push_str(&format!(" every={every}"));
        }
        if let Some(grace) = self.grace {
            line.push_str(&format!(" grace={grace}"));
        }
        if self.catch_up {
            line.push_str(" catch_up=true");
        }
        if let Some(installed) = &self.installed {
            line.push_str(&format!(" installed={installed}"));
        }
        if let Some(paused) = &self.paused {
            line.push_str(&format!(" paused_at={} paused_by={}", paused.at, paused.by));
        }
        if let Some(desc) = &self.description {
            line.push_str(&format!(" desc={desc}"));
        }
        line
    }

    /// Parses a marker line; None if it is not exactly one crontainer writes.
    pub fn parse(line: &str) -> Option<Marker> {
        let rest = line.strip_prefix(MARKER_PREFIX)?;
        let (fields, description) = match rest.split_once(" desc=") {
            Some((fields, desc)) => (fields, Some(desc.to_string())),
            None => (rest, None),
        };
        let mut id = None;
        let mut container = None;
        let mut service = None;
        let mut project = None;
        let mut runtime = None;
        let mut runtime_env = None;
        let mut log = None;
        let mut lock = None;
        let mut every = None;
        let mut grace = None;
        let mut catch_up = None;
        let mut installed = None;
        let mut paused_at = None;
        let mut paused_by = None;
        for field in fields.split(' ') {
            let (key, value) = field.split_once('=')?;
            if value.is_empty() {
                return None;
            }
            let slot = match key {
                "id" => &mut id,
                "container" => &mut container,
                "service" => &mut service,
                "project" => &mut project,
                "runtime" => &mut runtime,
                "runtime_env" => &mut runtime_env,
                "log" => &mut log,
                "lock" => &mut lock,
                "every" => &mut every,
                "grace" => &mut grace,
                "catch_up" => &mut catch_up,
                "installed" => &mut installed,
                "paused_at" => &mut paused_at,
                "paused_by" => &mut paused_by,
                _ => return None,
            };
            if slot.replace(value.to_string()).is_some() {
                return None;
            }
        }
        Some(Marker {
            id: id?,
            container: match (container, service, project) {
                (Some(name), None, None) => ContainerRef::Name(name),
                (None, Some(service), project) => ContainerRef::Service { service, project },
                _ => return None,
            },
            runtime: PathBuf::from(runtime?),
            runtime_env: match runtime_env {
                None => Default::default(),
                Some(vars) => vars
                    .split(',')
                    .map(|var| {
                        let (name, value) = var.split_once('=')?;
                        (!name.is_empty() && !value.is_empty())
                            .then(|| (name.to_string(), value.to_string()))
                    })
                    .collect::<Option<_>>()?,
            },
            log: PathBuf::from(log?),
            lock: PathBuf::from(lock?),
            every,
            grace: match grace {
                Some(g) if !g.bytes().all(|b| b.is_ascii_digit()) => return None,
                Some(g) => Some(g.parse().ok()?),
                None => None,
            },
            catch_up: match catch_up.as_deref() {
                Some("true") => true,
                Some(_) => return None,
                None => false,
            },
            installed,
            paused: match (paused_at, paused_by) {
                (Some(at), Some(by)) => Some(Paused { at, by }),
                (None, None) => None,
                _ => return None,
            },
            description,
        })
    }
}

/// When and by whom a job was paused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Paused {
    /// An RFC 3339 UTC timestamp.
    pub at: String,
    pub by: String,
}

/// What a paused job's line starts with: a comment to cron, undone exactly by `resume`.
pub const PAUSED_PREFIX: &str = "#paused# ";

/// One job as it stands in a block: its marker, its cron line and, with `catch_up`, its
/// `@reboot` line (both commented out with [`PAUSED_PREFIX`] while paused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub marker: Marker,
    pub line: String,
    pub catch_up: Option<String>,
}

impl Entry {
    /// The cron line as it runs when the job is not paused.
    pub fn active_line(&self) -> &str {
        self.line.strip_prefix(PAUSED_PREFIX).unwrap_or(&self.line)
    }

    pub fn is_paused(&self) -> bool {
        self.marker.paused.is_some()
    }

    /// The entry as the config renders it: not paused, no install time. Two entries that are
    /// the same job line compare equal this way.
    pub fn as_rendered(&self) -> Entry {
        let mut entry = self.with_paused(None);
        entry.marker.installed = None;
        entry
    }

    /// The entry paused (`Some`) or resumed (`None`), the line commented out or restored.
    pub fn with_paused(&self, paused: Option<Paused>) -> Entry {
        let set = |line: &str| {
            let active = line.strip_prefix(PAUSED_PREFIX).unwrap_or(line);
            match paused {
                Some(_) => format!("{PAUSED_PREFIX}{active}"),
                None => active.to_string(),
            }
        };
        Entry {
            marker: Marker {
                paused: paused.clone(),
                ..self.marker.clone()
            },
            line: set(&self.line),
            catch_up: self.catch_up.as_deref().map(set),
        }
    }
}

fn path_word(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// The guard prefix for intervals cron cannot express (unescaped form).
fn guard_prefix(guard: &Guard, date: &Path) -> String {
    format!(
        "[ $(($({} +%s)/{}%{})) = 0 ] || exit 0; ",
        path_word(date),
        guard.slot_seconds,
        guard.every_slots
    )
}

/// Splits an (unescaped) command into its guard, if any, and the rest.
pub fn split_guard(command: &str) -> (Option<Guard>, &str) {
    let parse = || -> Option<(Guard, &str)> {
        let rest = command.strip_prefix("[ $(($(")?;
        let (_, rest) = rest.split_once(" +%s)/")?;
        let (slot, rest) = rest.split_once('%')?;
        let (every, rest) = rest.split_once(")) = 0 ] || exit 0; ")?;
        let guard = Guard {
            slot_seconds: slot.parse().ok()?,
            every_slots: every.parse().ok()?,
        };
        Some((guard, rest))
    };
    match parse() {
        Some((guard, rest)) => (Some(guard), rest),
        None => (None, command),
    }
}

/// Runs `"$@"` so that a TERM from `timeout` stops its whole process group.
const TIMEOUT_WRAPPER: &str = r#"trap 'trap "" TERM; kill 0; (sleep 30; kill -KILL 0) & wait $p; kill -KILL 0' TERM; "$@" & p=$!; wait $p"#;

/// Stops the job inside the container when the `docker exec` client goes away (killed, or
/// interrupted by Ctrl-C under `run-now`): killing the client leaves the process running in the
/// container (moby#9098), but the stdin it attached with `-i` then ends there. The job runs in
/// the background with no input; `read` waits on the attached stdin (saved on fd 3, since a
/// background list gets /dev/null) and, at its end, the whole process group (docker and podman
/// start each exec in a session of its own) gets TERM, then KILL after 9 s. Terse: it counts
/// against the 998 bytes of every line. When the job ends
/// first, the watcher goes and the job's exit code is the line's.
pub const WATCH_WRAPPER: &str = r#"exec 3<&0;"$@"</dev/null&p=$!;{ while read _;do :;done<&3;trap "" TERM;kill 0;sleep 9;kill -9 0;}&w=$!;wait $p;c=$?;kill $w 2>&-;exit $c"#;

/// The `docker exec ...` part: every value one literal word. Option values are validated by
/// the config so none can start with `-`, and Docker stops parsing options at the container
/// name, so the job's argv reaches the container as given. Never `-t`: cron has no TTY.
///
/// The client's stdin is /dev/ptmx: a new pseudo-terminal master whose other side no one opens,
/// so it never gives data nor an end of file, and the attached stdin in the container ends
/// exactly when the client does (see [`WATCH_WRAPPER`]).
fn exec_words(job: &Job, tools: &Tools) -> String {
    let mut words = vec![
        path_word(&tools.runtime),
        "exec".to_string(),
        "-i".to_string(),
    ];
    if let Some(user) = &job.user {
        words.extend(["-u".to_string(), quote(user)]);
    }
    if let Some(workdir) = &job.workdir {
        words.extend(["-w".to_string(), quote(workdir)]);
    }
    // The runtime's client reads the file, as the job's user, at each firing: only its path is
    // in the line and in the process list.
    if let Some(env_file) = &job.env_file {
        words.extend(["--env-file".to_string(), path_word(env_file)]);
    }
    for (name, value) in &job.env {
        words.extend(["-e".to_string(), quote(&format!("{name}={value}"))]);
    }
    words.push(match &job.container {
        ContainerRef::Name(name) => quote(name),
        // The id [`service_lookup`] found: after the project, or the first of `ps -q`'s lines
        // (up to the first character that is not hex).
        ContainerRef::Service { project: None, .. } => "${k#*/}".to_string(),
        ContainerRef::Service { .. } => "${k%%[!0-9a-f]*}".to_string(),
    });
    words.extend(["sh".into(), "-c".into(), quote(WATCH_WRAPPER), "sh".into()]);
    if let Some(seconds) = job.timeout {
        // Killing the `docker exec` client leaves the process running in the container
        // (moby#9098), so the timeout runs inside it. busybox's `timeout` signals only the
        // job's own process, not the children it started, so a small `sh` stops the whole
        // process group (docker exec starts each exec in a session of its own): TERM first,
        // KILL after 30 s or as soon as the job is gone. The run then ends with exit 137.
        words.extend([
            "timeout".into(),
            seconds.to_string(),
            "sh".into(),
            "-c".into(),
        ]);
        words.push(quote(TIMEOUT_WRAPPER));
        words.push("sh".into());
    }
    words.extend(job.command.iter().map(|arg| quote(arg)));
    words.push("</dev/ptmx".into());
    words.join(" ")
}

/// Compose's labels on every container it makes (docker/compose `api.ProjectLabel`, ...).
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
pub const SERVICE_LABEL: &str = "com.docker.compose.service";

/// The exit code and log reason of a firing that finds no running container of its service
/// (sysexits' EX_UNAVAILABLE), and of one whose service runs in several Compose projects while
/// the job names none (EX_CONFIG: the config must say which).
pub const EXIT_NO_CONTAINER: i32 = 69;
pub const EXIT_SEVERAL_PROJECTS: i32 = 78;
pub const REASON_NO_CONTAINER: &str = "no_container";
pub const REASON_SEVERAL_PROJECTS: &str = "several_projects";

/// For a Compose service: lists, when the line fires, the containers with the service's labels
/// that `RUNTIME ps` lists (the running ones) and keeps the first (Docker lists the newest first)
/// in `k`:
/// its id, or `PROJECT/ID`. None running, or (no `project` given) the service running in two projects, ends
/// the run with a logged reason and its own exit code, before any `exec`. The status side
/// ([`crate::runtime::resolve_service`]) applies the same rule to the same listing.
///
/// Terse, as it counts against the 998 bytes: with a `project`, `ps -q` alone (~170 bytes);
/// without, each container is listed as `PROJECT/ID` and the first whose project differs from
/// the first one's ends the run (~280 bytes). Compose project names are `[a-z0-9_-]`, so the unquoted words split only between
/// containers; an odd hand-made label at worst reads as a second project.
fn service_lookup(job: &Job, tools: &Tools) -> String {
    let ContainerRef::Service { service, project } = &job.container else {
        return String::new();
    };
    // `-q` only with a project: Docker ignores `--format` when both are given. No
    // `status=running` filter: `ps` lists only running containers (paused and restarting ones
    // too, whose exec then fails with the runtime's own words), and its 18 bytes are needed.
    let ps = |quiet: &str| {
        format!(
            "{} ps -{quiet}f label={SERVICE_LABEL}={}",
            path_word(&tools.runtime),
            quote(service)
        )
    };
    let none = format!(
        "l end exit={EXIT_NO_CONTAINER} reason={REASON_NO_CONTAINER};exit {EXIT_NO_CONTAINER}"
    );
    match project {
        Some(project) => format!(
            "k=$({} -f label={PROJECT_LABEL}={});[ \"$k\" ]||{{ {none};}}; ",
            ps("q"),
            quote(project)
        ),
        None => format!(
            "k=;for a in $({} --format '{{{{.Label \"{PROJECT_LABEL}\"}}}}/{{{{.ID}}}}');\
             do [ ${{k:=$a}} = ${{a%/*}}/${{k#*/}} ]||{{ l end exit={EXIT_SEVERAL_PROJECTS} \
             reason={REASON_SEVERAL_PROJECTS};exit {EXIT_SEVERAL_PROJECTS};}};done;\
             [ $k ]||{{ {none};}}; ",
            ps("")
        ),
    }
}

/// The parts of a line that ping a job's healthcheck; all empty for a job without one, so its
/// line stays byte for byte what it was.
#[derive(Default)]
struct PingWords {
    /// Before the job: defines `h`, sends `/start`, notes the log's size.
    start: String,
    /// After the job: sends `/<exit code>` with the run's output tail.
    end: String,
    /// On the end line: `ping=ok`, or `ping=failed` when the end ping failed.
    key: String,
}

/// What only a line that pings writes onto its end line.
const PING_KEY: &str = " ping=$g";

/// Whether a crontab text holds a line that pings a healthcheck, hence its URL: a secret, since
/// whoever has it can report the check's runs.
pub fn holds_ping(text: &str) -> bool {
    text.contains(PING_KEY)
}

/// The healthchecks.io protocol, sent by the host's `curl`: `URL/start?rid=RID` when the run
/// starts, `URL/EXIT?rid=RID` when it ends (0 is success, any other code a failure there), with
/// the last 10,000 bytes the run wrote to the log as the POST body, so the alert shows why.
/// Terse, as every byte counts against the 998 of the line:
///
/// - healthchecks takes only a UUID in canonical form as `rid` (anything else is a 400), so the
///   rid is the run's start second `s` in decimal digits, which are hex digits too:
///   `<last 8 digits>-0000-4000-8000-00<all 10 digits>` (10 digits until 2286); healthchecks
///   shows a rid by its first 8 digits. Runs of a job never overlap (the lock), so two runs
///   with one rid would have to start in the same second, one after the other, and would still
///   pair up in order; the pid would cost 8 bytes more;
/// - a ping never holds the run long: each try is cut at 2 s (`-m2`) and tried once more on a
///   timeout or a 5xx (`--retry 1`, after 1 s): at most ~5 s per ping, ~10 s per run; a refused
///   connection fails at once;
/// - it never touches the job's exit code, and writes nothing to the log (`-s`, `-o/dev/null`);
///   the end ping's outcome is the end line's `ping=ok|failed`: it is the one that tells
///   healthchecks how the run went (a lost `/start` only loses the run's duration there);
/// - the output tail is what the log gained after the start ping: `n` is its size then, read
///   through `$L` (the log), and `tail -c+$n` starts at its
///   last byte, the start line's newline (6 bytes shorter than `+$((n+1))`);
/// - `:|h start`: the start ping has no body, and must not read `run-now`'s terminal;
/// - a skipped firing sends nothing: the running run's `/start` already set healthchecks'
///   timer, which alerts if that run never ends, and a `/fail` for an overlap that ends well
///   would page someone for nothing.
fn ping_words(url: &str, tools: &Tools) -> PingWords {
    PingWords {
        start: format!(
            "h(){{ {curl} -fsm2 --retry 1 -o/dev/null --data-binary @- \
             {url}\"/$1?rid=${{s#??}}-0000-4000-8000-00$s\";}};\
             :|h start;n=$({wc} -c<$L); ",
            curl = path_word(&tools.curl),
            url = quote(url),
            wc = path_word(&tools.wc),
        ),
        end: format!(
            "{tail} -c+$n $L|{tail} -c10000|h $c&&g=ok||g=failed; ",
            tail = path_word(&tools.tail),
        ),
        key: PING_KEY.to_string(),
    }
}

/// The job's shell command, before `%` escaping.
pub fn render_command(job: &Job, rendered: &Rendered, tools: &Tools) -> String {
    // The lock is always the log's path plus `.lock` (`config::lock_path`), so the line names
    // the log once, in `L`: each byte counts against cron's 998, hence also no space after `;`
    // where none is needed. `$L` goes unquoted: a log path holds no whitespace nor glob
    // characters (`config::check_log_path`), and a redirection's word is never split.
    debug_assert_eq!(job.lock(), crate::config::lock_path(&job.log));
    let date = path_word(&tools.date);
    let tail = path_word(&tools.tail);
    let guard = rendered
        .guard
        .as_ref()
        .map(|g| guard_prefix(g, &tools.date))
        .unwrap_or_default();
    let timeout = job
        .timeout
        .map(|s| format!(" timeout={s}"))
        .unwrap_or_default();
    // The runtime's own variables, for every runtime call the line makes.
    let exports: String = job
        .runtime_env
        .iter()
        .map(|(name, value)| format!("export {name}={}; ", quote(value)))
        .collect();
    let ping = job
        .healthcheck
        .as_deref()
        .map(|url| ping_words(url, tools))
        .unwrap_or_default();
    format!(
        "{guard}{exports}L={log};exec 9<>$L.lock >>$L 2>&1;s=;r=;\
         l(){{ [ \"$({tail} -c1 $L)\" ]&&echo;d=$({date} -u '+%s %FT%TZ');\
         echo \"[crontainer] ${{d#* }} {id} $*${{r:+ run=$r}}${{s:+ seconds=$((${{d%% *}}-s))}} by=${{CRONTAINER_BY:-cron}}\";}};\
         {flock} -n 9 || {{ read r <&9;l skip reason=running;exit 75;}};\
         l start pid=$$;s=${{d%% *}};r=$$-$s;echo $r >&9;{lookup}{ping_start}{exec}; c=$?; \
         {ping_end}l end exit=$c{ping_key}{timeout};exit $c",
        ping_start = ping.start,
        ping_end = ping.end,
        ping_key = ping.key,
        log = path_word(&job.log),
        id = job.id,
        flock = path_word(&tools.flock),
        lookup = service_lookup(job, tools),
        exec = exec_words(job, tools),
    )
}

/// Renders a job into its marker and cron line. `user_column` is the user field of a cron.d
/// line (None for a crontab). Errors when the line is too long for cron.
pub fn render_job(job: &Job, tools: &Tools, user_column: Option<&str>) -> Result<Entry> {
    let line = render_job_line(job, tools, user_column);
    if line.len() > MAX_LINE {
        let ping = match &job.healthcheck {
            Some(_) => {
                let without = Job {
                    healthcheck: None,
                    ..job.clone()
                };
                let cost = line.len() - render_job_line(&without, tools, user_column).len();
                format!(
                    " (the healthcheck ping costs {cost} bytes of it, the URL included), or the \
                     `healthcheck` URL"
                )
            }
            None => String::new(),
        };
        return Err(bad_input(format!(
            "job {:?}: its cron line is {} bytes, over the {MAX_LINE} that Debian's cron accepts \
             (it refuses the whole crontab with \"command too long\"); shorten the command, env \
             values, workdir or log path{ping} by {} bytes, e.g. by moving arguments into a \
             script inside the container{}",
            job.id,
            line.len(),
            line.len() - MAX_LINE,
            match &job.container {
                ContainerRef::Service { project: None, .. } => {
                    "; or set `project`: the line then needs no check that the service runs in \
                     one project only (about 110 bytes less)"
                }
                _ => "",
            }
        )));
    }
    let catch_up = if job.catch_up {
        Some(render_catch_up(
            job,
            &job.schedule.render(),
            tools,
            user_column,
            line.len(),
        )?)
    } else {
        None
    };
    let marker = Marker {
        id: job.id.clone(),
        container: job.container.clone(),
        runtime: tools.runtime.clone(),
        runtime_env: job.runtime_env.clone(),
        log: job.log.clone(),
        lock: job.lock(),
        grace: (job.grace != crate::config::DEFAULT_GRACE).then_some(job.grace),
        catch_up: job.catch_up,
        installed: None,
        paused: None,
        every: match &job.schedule {
            crate::schedule::Schedule::Every(interval) => Some(interval.to_string()),
            crate::schedule::Schedule::Cron(_) => None,
        },
        description: job.description.clone(),
    };
    Ok(Entry {
        marker,
        line,
        catch_up,
    })
}

/// What a catch-up line's command starts with: it marks its runs `by=catch-up` (the line's `l`
/// reads the variable), and tells the block reader that the line is crontainer's.
const CATCH_UP_BY: &str = "CRONTAINER_BY=catch-up;";

/// How many times the catch-up line asks the runtime whether the container runs, 5 s apart:
/// about 5 minutes for dockerd and a restart policy to bring it up after a boot. Then it goes on
/// anyway, and a container still down fails the run as a cron firing would: visibly.
const CATCH_UP_POLLS: u32 = 60;

/// The job's `@reboot` line (Debian's cron and cronie run `@reboot` lines once, when the daemon
/// starts at boot): it waits for the container, then runs the job through the same lock and log
/// as its cron line, marked `by=catch-up`, if no run started since the last firing slot before
/// now; otherwise it logs `skip reason=no-missed-slot`, naming the last run (`run=`) so that
/// `status` pairs it with that run.
///
/// The last slot is found from the local clock, as cron fires: the latest time whose local time
/// of day is a multiple of the firing step `S` (every form `every` renders fires on such marks:
/// `*/15` minutes, `0 */2` hours, local midnight, and the guarded lines' minute or hour marks),
/// then, for a guarded interval, stepped back to the last mark the guard lets through
/// (`mark/S % E == 0`, the guard's own test). On the day of a DST change a mark the change
/// skipped or repeated may be off by that hour. The last start is the one the lock file names
/// (the line writes its run id, `PID-EPOCH`, there when a run starts, and no rotation or output
/// of the job touches it); a job that never started has missed every slot, so it runs at its
/// first boot after install.
fn catch_up_command(job: &Job, rendered: &Rendered, tools: &Tools) -> Result<String> {
    let crate::schedule::Schedule::Every(interval) = &job.schedule else {
        return Err(bad_input(format!(
            "job {:?}: `catch_up` needs `every`, not `schedule`",
            job.id
        )));
    };
    // The wait asks about one named container; a Compose service's is found only after the
    // lock, and its lookup and this wait together would not fit the 998 bytes.
    let Some(container) = job.container.name() else {
        return Err(bad_input(format!(
            "job {:?}: `catch_up` needs `container`: the catch-up line waits for a named \
             container, and a Compose `service` is found only when the line runs; name the \
             container, or remove `catch_up`",
            job.id
        )));
    };
    let (step, every) = match &rendered.guard {
        Some(guard) => (guard.slot_seconds, guard.every_slots),
        None => (interval.minutes() * 60, 1),
    };
    let body = render_command(
        job,
        &Rendered {
            cron: rendered.cron.clone(),
            guard: None,
        },
        tools,
    );
    let at = body
        .find(&lock_step(tools))
        .expect("the line takes the job's lock");
    let (head, tail) = body.split_at(at);
    let date = path_word(&tools.date);
    // `date` prints the arithmetic: now minus the local time of day modulo the step (`%-M`:
    // no leading 0, which the shell would read as octal); steps of an hour or less need no hours.
    let time_of_day = if step <= 3600 {
        "%-M*60+%-S"
    } else {
        "%-H*3600+%-M*60+%-S"
    };
    let back_to_guard = if every > 1 {
        format!("f=$((f-f/{step}%{every}*{step}));")
    } else {
        String::new()
    };
    // Terse: every byte counts against the 998 of the job's own line plus these steps.
    // `top` fails unless the container runs (docker's and podman's alike). The lock file names
    // the last run (`PID-EPOCH`, its start second last), or is empty if none ever started; `r`
    // goes back to empty before the run, whose start line must not name the previous one.
    Ok(format!(
        "{CATCH_UP_BY}{head}i=0;until {runtime} top {container} >/dev/null 2>&1||\
         [ $((i+=1)) = {CATCH_UP_POLLS} ];do {sleep} 5;done;\
         f=$(($({date} '+%s-({time_of_day})%%{step}')));{back_to_guard}\
         read r <&9;[ $((${{r#*-}}+0)) -lt $f ]||{{ l skip reason=no-missed-slot;exit 0;}};r=;\
         {tail}",
        runtime = path_word(&tools.runtime),
        container = quote(container),
        sleep = path_word(&tools.sleep),
    ))
}

/// Where the line takes the job's lock: the catch-up line's own steps go just before.
fn lock_step(tools: &Tools) -> String {
    format!("{} -n 9 ||", path_word(&tools.flock))
}

/// The catch-up line, within cron's length limit.
fn render_catch_up(
    job: &Job,
    rendered: &Rendered,
    tools: &Tools,
    user_column: Option<&str>,
    job_line_len: usize,
) -> Result<String> {
    let command = catch_up_command(job, rendered, tools)?;
    let command = if tools.escape_percent {
        escape_percent(&command)
    } else {
        command
    };
    let line = match user_column {
        Some(user) => format!("@reboot {user} {command}"),
        None => format!("@reboot {command}"),
    };
    if line.len() > MAX_LINE {
        return Err(bad_input(format!(
            "job {:?}: its catch-up line (`catch_up = true`, an @reboot line) is {} bytes, over \
             the {MAX_LINE} that Debian's cron accepts: waiting for the container and finding \
             the missed slot cost {} bytes on top of the job's own line ({} bytes); shorten the \
             command, env values, workdir or log path by {} bytes, or remove `catch_up`",
            job.id,
            line.len(),
            line.len().saturating_sub(job_line_len),
            job_line_len,
            line.len() - MAX_LINE
        )));
    }
    Ok(line)
}

/// Whether `catch_up` (active, not paused) is the catch-up line of the job line `line`: an
/// `@reboot` line for the same user that marks its runs `by=catch-up` and runs the same job
/// command under the same lock.
fn is_catch_up_of(catch_up: &str, line: &str, with_user: bool) -> bool {
    let (Some(c), Some(l)) = (parse_line(catch_up, with_user), parse_line(line, with_user)) else {
        return false;
    };
    let tail = |command: &str| {
        command
            .find(" -n 9 || ")
            .map(|at| command[at..].to_string())
    };
    c.cron == "@reboot"
        && c.user == l.user
        && c.command.starts_with(CATCH_UP_BY)
        && tail(&c.command).is_some()
        && tail(&c.command) == tail(l.body())
}

/// What stands above the metrics line in a block: crontainer's marker naming the directory.
pub const TEXTFILE_PREFIX: &str = "# crontainer:metrics textfile=";

/// The block's metrics line (`[monitoring] textfile_dir`): every minute, the crontainer binary
/// writes the block's gauges to its own file in `DIR` for node_exporter's textfile collector.
/// The only line that runs crontainer itself: gauges need its reading of logs, locks and the
/// runtime, which no shell line could do in 998 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Textfile {
    pub dir: PathBuf,
    pub line: String,
}

impl Textfile {
    /// The line for `exe metrics` reading `config`'s block in `target` (`crontab` or `cron.d`,
    /// `run_as`'s), writing into `dir`. `user_column` as for jobs.
    pub fn render(
        exe: &Path,
        config: &Path,
        target: &str,
        run_as: &str,
        dir: &Path,
        user_column: Option<&str>,
        escape: bool,
    ) -> Textfile {
        let command = format!(
            "{} metrics -q -c {} --target {target} --user {} --textfile {}",
            path_word(exe),
            path_word(config),
            quote(run_as),
            path_word(dir)
        );
        let command = if escape {
            escape_percent(&command)
        } else {
            command
        };
        let line = match user_column {
            Some(user) => format!("* * * * * {user} {command}"),
            None => format!("* * * * * {command}"),
        };
        Textfile {
            dir: dir.to_path_buf(),
            line,
        }
    }

    pub fn marker(&self) -> String {
        format!("{TEXTFILE_PREFIX}{}", self.dir.display())
    }

    /// Reads a marker and its line back; None if they are not exactly what crontainer writes.
    fn parse(marker: &str, line: &str, with_user: bool) -> Option<Textfile> {
        let dir = marker.strip_prefix(TEXTFILE_PREFIX)?;
        if dir.is_empty() || dir.contains(char::is_whitespace) {
            return None;
        }
        let parsed = parse_line(line, with_user)?;
        let ours = parsed.cron == "* * * * *"
            && parsed.command.contains(" metrics -q -c ")
            && parsed
                .command
                .ends_with(&format!(" --textfile {}", quote(dir)));
        ours.then(|| Textfile {
            dir: PathBuf::from(dir),
            line: line.to_string(),
        })
    }
}

/// The block's metrics line, if its body has one (always its last two lines).
pub fn parse_textfile(body: &[String], with_user: bool) -> Option<Textfile> {
    match body {
        [.., marker, line] => Textfile::parse(marker, line, with_user),
        _ => None,
    }
}

/// The job's cron line, whatever its length.
fn render_job_line(job: &Job, tools: &Tools, user_column: Option<&str>) -> String {
    let rendered = job.schedule.render();
    let command = render_command(job, &rendered, tools);
    let command = if tools.escape_percent {
        escape_percent(&command)
    } else {
        command
    };
    match user_column {
        Some(user) => format!("{} {user} {command}", rendered.cron.as_str()),
        None => format!("{} {command}", rendered.cron.as_str()),
    }
}

/// The block body for these entries: the header, then each marker and line (and catch-up
/// line).
pub fn render_body(entries: &[Entry]) -> Vec<String> {
    let mut body = vec![HEADER.to_string()];
    for entry in entries {
        body.push(entry.marker.to_line());
        body.push(entry.line.clone());
        body.extend(entry.catch_up.iter().cloned());
    }
    body
}

/// [`render_body`], with the block's metrics line last when there is one.
pub fn render_body_with(entries: &[Entry], textfile: Option<&Textfile>) -> Vec<String> {
    let mut body = render_body(entries);
    if let Some(textfile) = textfile {
        body.push(textfile.marker());
        body.push(textfile.line.clone());
    }
    body
}

/// An installed cron line taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The schedule fields as written (5 fields, or a nickname).
    pub cron: String,
    /// The user column (cron.d only).
    pub user: Option<String>,
    /// The command as cron hands it to the shell (`\%` turned back into `%`).
    pub command: String,
}

impl ParsedLine {
    /// The schedule as cron fires it, with the guard when the line has one.
    pub fn rendered(&self) -> Option<Rendered> {
        let cron = CronExpr::parse(&self.cron).ok()?;
        let (guard, _) = split_guard(&self.command);
        Some(Rendered { cron, guard })
    }

    /// The command without the guard: what `run-now` runs.
    pub fn body(&self) -> &str {
        split_guard(&self.command).1
    }
}

/// Takes an installed line apart; `with_user` for cron.d lines.
pub fn parse_line(line: &str, with_user: bool) -> Option<ParsedLine> {
    let mut rest = line.trim_start();
    let nfields = if rest.starts_with('@') { 1 } else { 5 };
    let mut fields = Vec::with_capacity(nfields);
    for _ in 0..nfields {
        let end = rest.find([' ', '\t'])?;
        fields.push(&rest[..end]);
        rest = rest[end..].trim_start_matches([' ', '\t']);
    }
    let user = if with_user {
        let end = rest.find([' ', '\t'])?;
        let user = rest[..end].to_string();
        rest = rest[end..].trim_start_matches([' ', '\t']);
        Some(user)
    } else {
        None
    };
    if rest.is_empty() {
        return None;
    }
    Some(ParsedLine {
        cron: fields.join(" "),
        user,
        command: unescape_percent(rest),
    })
}

/// Reads a block body back into entries, refusing anything crontainer did not write: the
/// header first, then marker and line pairs.
pub fn parse_body(body: &[String], with_user: bool, block: &str) -> Result<Vec<Entry>> {
    let refuse = |what: String| {
        bad_input(format!(
            "the block `crontainer:{block}` was edited by hand: {what}; move your own lines \
             outside the `# BEGIN crontainer:{block}` ... `# END crontainer:{block}` lines, or \
             delete the block and run `crontainer install` again"
        ))
    };
    let mut lines = body.iter();
    match lines.next() {
        Some(first) if first == HEADER => {}
        Some(first) => {
            return Err(refuse(format!(
                "its first line is {first:?}, not crontainer's header"
            )));
        }
        None => return Err(refuse("it is empty".to_string())),
    }
    let mut entries: Vec<Entry> = Vec::new();
    while let Some(marker_line) = lines.next() {
        if marker_line.starts_with(TEXTFILE_PREFIX) {
            let line = lines.next().map(String::as_str).unwrap_or_default();
            if Textfile::parse(marker_line, line, with_user).is_none() {
                return Err(refuse(format!(
                    "{line:?} is not the metrics line crontainer writes under {marker_line:?}"
                )));
            }
            if let Some(after) = lines.next() {
                return Err(refuse(format!(
                    "{after:?} follows the metrics line, which crontainer writes last"
                )));
            }
            break;
        }
        let marker = Marker::parse(marker_line)
            .ok_or_else(|| refuse(format!("{marker_line:?} is not a crontainer job marker")))?;
        let line = lines
            .next()
            .ok_or_else(|| refuse(format!("job {:?} has a marker but no cron line", marker.id)))?;
        let active = match (&marker.paused, line.strip_prefix(PAUSED_PREFIX)) {
            (Some(_), Some(active)) => active,
            (None, None) => line.as_str(),
            (Some(_), None) => {
                return Err(refuse(format!(
                    "job {:?} is marked paused but its line is active",
                    marker.id
                )));
            }
            (None, Some(_)) => {
                return Err(refuse(format!(
                    "job {:?} has a paused line but no pause in its marker",
                    marker.id
                )));
            }
        };
        if parse_line(active, with_user).is_none() || active.starts_with('#') {
            return Err(refuse(format!(
                "job {:?}: {line:?} is not a cron line",
                marker.id
            )));
        }
        if entries.iter().any(|e| e.marker.id == marker.id) {
            return Err(refuse(format!("job {:?} appears twice", marker.id)));
        }
        let catch_up = if marker.catch_up {
            let catch_up = lines.next().ok_or_else(|| {
                refuse(format!(
                    "job {:?} has `catch_up=true` in its marker but no catch-up line",
                    marker.id
                ))
            })?;
            let paused_alike = catch_up.starts_with(PAUSED_PREFIX) == marker.paused.is_some();
            let active_catch_up = catch_up.strip_prefix(PAUSED_PREFIX).unwrap_or(catch_up);
            if !paused_alike || !is_catch_up_of(active_catch_up, active, with_user) {
                return Err(refuse(format!(
                    "job {:?}: {catch_up:?} is not its catch-up line",
                    marker.id
                )));
            }
            Some(catch_up.clone())
        } else {
            None
        };
        entries.push(Entry {
            marker,
            line: line.clone(),
            catch_up,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn job(extra: &str) -> Config {
        Config::parse(
            &format!(
                "[[job]]\nid = \"j\"\ncontainer = \"c\"\ncommand = [\"python\", \"main_v2.py\"]\nlog = \"/var/log/j.log\"\n{extra}\n"
            ),
            Path::new("test.toml"),
        )
        .unwrap()
    }

    fn tools(escape_percent: bool) -> Tools {
        Tools {
            runtime: "/usr/bin/docker".into(),
            flock: "/usr/bin/flock".into(),
            date: "/usr/bin/date".into(),
            tail: "/usr/bin/tail".into(),
            sleep: "/usr/bin/sleep".into(),
            curl: "/usr/bin/curl".into(),
            wc: "/usr/bin/wc".into(),
            escape_percent,
        }
    }

    #[test]
    fn a_guarded_interval_renders_and_parses_back() {
        let config = job("every = \"5h\"\ndescription = \"Main (v2)\"");
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        assert!(
            entry
                .line
                .starts_with("0 * * * * [ $(($(/usr/bin/date +\\%s)/3600\\%5)) = 0 ] || exit 0; "),
            "{}",
            entry.line
        );
        assert!(
            entry
                .line
                .contains(";/usr/bin/docker exec -i c sh -c 'exec 3<&0;"),
            "{}",
            entry.line
        );
        assert!(
            entry.line.contains("' sh python main_v2.py </dev/ptmx; "),
            "{}",
            entry.line
        );
        assert!(!entry.line.contains(" -t "), "never a TTY");
        let parsed = parse_line(&entry.line, false).unwrap();
        assert_eq!(parsed.cron, "0 * * * *");
        assert_eq!(
            parsed.rendered().unwrap().guard,
            Some(Guard {
                slot_seconds: 3600,
                every_slots: 5
            })
        );
        assert!(
            parsed
                .body()
                .starts_with("L=/var/log/j.log;exec 9<>$L.lock >>$L 2>&1;")
        );
        assert_eq!(
            Marker::parse(&entry.marker.to_line()),
            Some(entry.marker.clone())
        );
        assert_eq!(entry.marker.description.as_deref(), Some("Main (v2)"));
        assert_eq!(entry.marker.every.as_deref(), Some("5h"));
    }

    #[test]
    fn a_cron_d_line_has_the_user_column() {
        let config = job("schedule = \"*/15 * * * 1-5\"");
        let entry = render_job(&config.jobs[0], &tools(true), Some("deploy")).unwrap();
        assert!(
            entry
                .line
                .starts_with("*/15 * * * 1-5 deploy L=/var/log/j.log;exec 9<>"),
            "{}",
            entry.line
        );
        let parsed = parse_line(&entry.line, true).unwrap();
        assert_eq!(parsed.user.as_deref(), Some("deploy"));
        assert_eq!(parsed.rendered().unwrap().guard, None);
    }

    #[test]
    fn for_busybox_crond_percent_stays_bare() {
        let config = job("schedule = \"@hourly\"\nenv = { P = \"100%\" }");
        let entry = render_job(&config.jobs[0], &tools(false), None).unwrap();
        assert!(!entry.line.contains('\\'), "{}", entry.line);
        assert!(entry.line.contains("-e 'P=100%'"), "{}", entry.line);
        let escaped = render_job(&config.jobs[0], &tools(true), None).unwrap();
        assert!(escaped.line.contains("-e 'P=100\\%'"), "{}", escaped.line);
    }

    #[test]
    fn options_come_before_the_container_and_argv_after_it() {
        let config = job(
            "every = \"15m\"\nuser = \"app:app\"\nworkdir = \"/srv/app\"\nenv = { B = \"2\", A = \"x y\" }",
        );
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        assert!(
            entry
                .line
                .contains(" exec -i -u app:app -w /srv/app -e 'A=x y' -e B=2 c sh -c '"),
            "{}",
            entry.line
        );
        assert!(
            entry.line.contains("' sh python main_v2.py </dev/ptmx; "),
            "{}",
            entry.line
        );
    }

    #[test]
    fn an_env_file_is_passed_by_its_path_before_the_container() {
        let config =
            job("every = \"1h\"\nenv_file = \"/etc/crontainer/app.env\"\nenv = { A = \"1\" }");
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        assert!(
            entry
                .line
                .contains(" exec -i --env-file /etc/crontainer/app.env -e A=1 c sh -c '"),
            "{}",
            entry.line
        );
        assert!(
            entry.line.contains("' sh python main_v2.py </dev/ptmx; "),
            "{}",
            entry.line
        );
    }

    #[test]
    fn a_line_over_998_bytes_is_refused_with_its_length() {
        let config = job(&format!(
            "every = \"1h\"\nenv = {{ X = \"{}\" }}",
            "y".repeat(700)
        ));
        let err = render_job(&config.jobs[0], &tools(true), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("job \"j\": its cron line is 1"), "{err}");
        assert!(err.contains("over the 998"), "{err}");
    }

    #[test]
    fn the_block_body_refuses_lines_crontainer_did_not_write() {
        let config = job("every = \"1h\"");
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        let body = render_body(std::slice::from_ref(&entry));
        assert_eq!(parse_body(&body, false, "b").unwrap(), vec![entry.clone()]);
        let cases: Vec<(Vec<String>, &str)> = vec![
            (vec![], "it is empty"),
            (vec!["# hi".into()], "not crontainer's header"),
            (
                vec![HEADER.into(), "* * * * * echo".into()],
                "is not a crontainer job marker",
            ),
            (
                vec![HEADER.into(), entry.marker.to_line()],
                "has a marker but no cron line",
            ),
            (
                vec![HEADER.into(), entry.marker.to_line(), "# comment".into()],
                "is not a cron line",
            ),
            (
                vec![
                    body[0].clone(),
                    body[1].clone(),
                    body[2].clone(),
                    body[1].clone(),
                    body[2].clone(),
                ],
                "appears twice",
            ),
            (
                vec![
                    HEADER.into(),
                    entry.marker.to_line(),
                    format!("{PAUSED_PREFIX}{}", entry.line),
                ],
                "paused line but no pause",
            ),
        ];
        for (lines, expected) in cases {
            let err = parse_body(&lines, false, "b").unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains("edited by hand"),
                "{lines:?}: {err}"
            );
        }
    }

    #[test]
    fn a_service_marker_records_service_and_project_instead_of_container() {
        for (extra, fields) in [
            ("service = \"backend\"", " service=backend runtime="),
            (
                "service = \"backend\"\nproject = \"shop\"",
                " service=backend project=shop runtime=",
            ),
        ] {
            let text = format!(
                "[[job]]\nid = \"j\"\n{extra}\ncommand = [\"x\"]\nevery = \"1h\"\nlog = \"/l/j.log\"\n"
            );
            let config = Config::parse(&text, Path::new("t.toml")).unwrap();
            let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
            let marker = entry.marker.to_line();
            assert!(marker.contains(fields), "{marker}");
            assert!(!marker.contains("container="), "{marker}");
            assert_eq!(Marker::parse(&marker), Some(entry.marker.clone()));
        }
    }

    #[test]
    fn a_marker_with_both_or_neither_container_and_service_is_refused() {
        let base = "# crontainer:job id=j runtime=/usr/bin/docker log=/l lock=/l.lock";
        for (fields, ok) in [
            (" container=c", true),
            (" service=s", true),
            (" service=s project=p", true),
            ("", false),
            (" container=c service=s", false),
            (" container=c project=p", false),
            (" project=p", false),
            (" service=s service=t", false),
        ] {
            let line = base.replacen(" runtime=", &format!("{fields} runtime="), 1);
            assert_eq!(Marker::parse(&line).is_some(), ok, "{line}");
        }
    }

    #[test]
    fn only_a_line_with_a_healthcheck_pings_and_holds_its_url() {
        let url = "https://hc-ping.com/0f2a3c1e-7b5d-4e8f-9a61-3c2b1d0e4f5a";
        let plain = render_job(&job("every = \"5h\"").jobs[0], &tools(true), None).unwrap();
        let pinged = job(&format!("every = \"5h\"\nhealthcheck = \"{url}\""));
        let pinged = render_job(&pinged.jobs[0], &tools(true), None).unwrap();
        assert!(!holds_ping(&plain.line) && !plain.line.contains("curl"));
        assert!(holds_ping(&pinged.line), "{}", pinged.line);
        assert!(
            pinged.line.contains(&format!(
                "h(){{ /usr/bin/curl -fsm2 --retry 1 -o/dev/null --data-binary @- \
                 {url}\"/$1?rid=${{s#??}}-0000-4000-8000-00$s\";}};:|h start;"
            )),
            "{}",
            pinged.line
        );
        assert!(
            pinged.line.ends_with(
                "; c=$?; /usr/bin/tail -c+$n $L|/usr/bin/tail -c10000|h $c&&g=ok||g=failed; \
                 l end exit=$c ping=$g;exit $c"
            ),
            "{}",
            pinged.line
        );
        // A paused line still holds the URL: a cron.d file keeps its mode 0600.
        let paused = pinged.with_paused(Some(Paused {
            at: "2026-11-29T12:00:00Z".into(),
            by: "root".into(),
        }));
        assert!(holds_ping(&render_body(&[paused]).join("\n")));
        assert_eq!(
            pinged.marker, plain.marker,
            "the URL stays out of the marker"
        );
    }

    #[test]
    fn pausing_comments_the_line_and_resuming_restores_it() {
        let config = job("every = \"1h\"");
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        let paused = entry.with_paused(Some(Paused {
            at: "2026-11-29T12:00:00Z".into(),
            by: "root".into(),
        }));
        assert!(paused.line.starts_with(PAUSED_PREFIX));
        assert_eq!(paused.active_line(), entry.line);
        let body = render_body(std::slice::from_ref(&paused));
        assert_eq!(parse_body(&body, false, "b").unwrap(), vec![paused.clone()]);
        assert_eq!(paused.with_paused(None), entry);
    }

    #[test]
    fn a_catch_up_line_follows_the_job_line_and_parses_back() {
        let config = job("every = \"5h\"\ncatch_up = true");
        let entry = render_job(&config.jobs[0], &tools(true), Some("deploy")).unwrap();
        assert!(entry.marker.catch_up);
        assert!(entry.marker.to_line().contains(" catch_up=true"));
        let catch_up = entry.catch_up.clone().expect("a catch-up line");
        assert!(
            catch_up.starts_with("@reboot deploy CRONTAINER_BY=catch-up;L=/var/log/j.log;exec 9<>"),
            "{catch_up}"
        );
        // No guard: the line decides itself whether a slot was missed.
        assert!(!catch_up.contains("|| exit 0;"), "{catch_up}");
        for step in [
            "i=0;until /usr/bin/docker top c >/dev/null 2>&1||[ $((i+=1)) = 60 ];do /usr/bin/sleep 5;done;",
            "f=$(($(/usr/bin/date '+\\%s-(\\%-M*60+\\%-S)\\%\\%3600')));",
            "f=$((f-f/3600\\%5*3600));",
            "read r <&9;[ $((${r#*-}+0)) -lt $f ]||{ l skip reason=no-missed-slot;exit 0;};r=;",
        ] {
            assert!(catch_up.contains(step), "{step} in {catch_up}");
        }
        let job_line = parse_line(&entry.line, true).unwrap();
        assert!(
            catch_up.ends_with(
                &job_line.body()[job_line.body().find("/usr/bin/flock").unwrap()..]
                    .replace('%', "\\%")
            ),
            "{catch_up}"
        );
        assert!(catch_up.len() <= MAX_LINE);
        let body = render_body(std::slice::from_ref(&entry));
        assert_eq!(body.len(), 4);
        assert_eq!(parse_body(&body, true, "b").unwrap(), vec![entry.clone()]);

        let paused = entry.with_paused(Some(Paused {
            at: "2026-11-29T12:00:00Z".into(),
            by: "root".into(),
        }));
        let paused_catch_up = paused.catch_up.clone().unwrap();
        assert_eq!(paused_catch_up, format!("{PAUSED_PREFIX}{catch_up}"));
        let body = render_body(std::slice::from_ref(&paused));
        assert_eq!(parse_body(&body, true, "b").unwrap(), vec![paused.clone()]);
        assert_eq!(paused.with_paused(None), entry);
    }

    #[test]
    fn the_catch_up_steps_back_to_the_guards_slot_only_for_guarded_intervals() {
        for (every, step, guard) in [
            ("15m", "%\\%900'", None),
            ("2h", "(\\%-H*3600+\\%-M*60+\\%-S)\\%\\%7200'", None),
            ("1d", "\\%\\%86400'", None),
            ("90m", "\\%\\%1800'", Some("f=$((f-f/1800\\%3*1800));")),
            ("2d", "\\%\\%3600'", Some("f=$((f-f/3600\\%48*3600));")),
        ] {
            let config = job(&format!("every = \"{every}\"\ncatch_up = true"));
            let line = render_job(&config.jobs[0], &tools(true), None)
                .unwrap()
                .catch_up
                .unwrap();
            assert!(line.contains(step), "{every}: {step} in {line}");
            match guard {
                Some(guard) => assert!(line.contains(guard), "{every}: {line}"),
                None => assert!(!line.contains("f=$((f-f/"), "{every}: {line}"),
            }
        }
    }

    #[test]
    fn a_catch_up_line_over_998_bytes_says_what_the_catch_up_costs() {
        let config = job(&format!(
            "every = \"1h\"\ncatch_up = true\nenv = {{ X = \"{}\" }}",
            "y".repeat(250)
        ));
        let err = render_job(&config.jobs[0], &tools(true), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("its catch-up line (`catch_up = true`"),
            "{err}"
        );
        assert!(err.contains("over the 998"), "{err}");
        assert!(err.contains("bytes on top of the job's own line"), "{err}");
        assert!(err.contains("or remove `catch_up`"), "{err}");
    }

    #[test]
    fn the_block_body_refuses_a_catch_up_line_crontainer_did_not_write() {
        let config = job("every = \"1h\"\ncatch_up = true");
        let entry = render_job(&config.jobs[0], &tools(true), None).unwrap();
        let body = render_body(std::slice::from_ref(&entry));
        let other = job("every = \"1h\"\ncatch_up = true\nworkdir = \"/x\"");
        let other = render_job(&other.jobs[0], &tools(true), None).unwrap();
        let plain = render_job(&job("every = \"1h\"").jobs[0], &tools(true), None).unwrap();
        let cases: Vec<(Vec<String>, &str)> = vec![
            (body[..3].to_vec(), "no catch-up line"),
            (
                vec![
                    body[0].clone(),
                    body[1].clone(),
                    body[2].clone(),
                    "@reboot echo hi".into(),
                ],
                "is not its catch-up line",
            ),
            (
                // Another job's command under this job's marker.
                vec![
                    body[0].clone(),
                    body[1].clone(),
                    body[2].clone(),
                    other.catch_up.clone().unwrap(),
                ],
                "is not its catch-up line",
            ),
            (
                vec![
                    body[0].clone(),
                    body[1].clone(),
                    body[2].clone(),
                    format!("{PAUSED_PREFIX}{}", body[3]),
                ],
                "is not its catch-up line",
            ),
            (
                // A catch-up line without `catch_up=true` in the marker.
                vec![
                    body[0].clone(),
                    plain.marker.to_line(),
                    plain.line.clone(),
                    body[3].clone(),
                ],
                "is not a crontainer job marker",
            ),
        ];
        for (lines, expected) in cases {
            let err = parse_body(&lines, false, "b").unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains("edited by hand"),
                "{lines:?}: {err}"
            );
        }
    }

    #[test]
    fn the_metrics_line_comes_last_and_parses_back() {
        let textfile = Textfile::render(
            Path::new("/usr/local/bin/crontainer"),
            Path::new("/etc/crontainer/crontainer.toml"),
            "cron.d",
            "root",
            Path::new("/var/lib/prometheus/node-exporter"),
            Some("root"),
            true,
        );
        assert_eq!(
            textfile.line,
            "* * * * * root /usr/local/bin/crontainer metrics -q -c /etc/crontainer/crontainer.toml \
             --target cron.d --user root --textfile /var/lib/prometheus/node-exporter"
        );
        let entry = render_job(&job("every = \"1h\"").jobs[0], &tools(true), Some("root")).unwrap();
        let body = render_body_with(std::slice::from_ref(&entry), Some(&textfile));
        assert_eq!(
            body[body.len() - 2],
            "# crontainer:metrics textfile=/var/lib/prometheus/node-exporter"
        );
        assert_eq!(parse_body(&body, true, "b").unwrap(), vec![entry.clone()]);
        assert_eq!(parse_textfile(&body, true), Some(textfile.clone()));
        assert_eq!(
            parse_textfile(&render_body(std::slice::from_ref(&entry)), true),
            None
        );

        let mut after = body.clone();
        after.push(entry.marker.to_line());
        after.push(entry.line.clone());
        let mut other_dir = body.clone();
        other_dir[body.len() - 2] = format!("{TEXTFILE_PREFIX}/tmp");
        let mut hand = body.clone();
        hand[body.len() - 1] = "* * * * * root rm -rf /".into();
        for (lines, expected) in [
            (after, "follows the metrics line"),
            (other_dir, "is not the metrics line"),
            (hand, "is not the metrics line"),
        ] {
            let err = parse_body(&lines, true, "b").unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
