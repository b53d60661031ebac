//! The marker comment above each job's line: the job's id, where it runs, its log and lock, and
//! what `status` needs to judge it (the interval, the grace, the install time, a pause). Strict:
//! what we write we read back exactly, and anything else is refused, never guessed. Its format
//! is unchanged since 0.1 (fields were only added), so the markers of 0.1 and 0.2 blocks read
//! as they are.

use std::path::PathBuf;

use crate::config::ContainerRef;

/// The marker comment that precedes each job's line.
pub const MARKER_PREFIX: &str = "# crontainer:job ";

/// What crontainer writes above each job's line, and reads back to find its log and lock.
/// Format: `# crontainer:job id=ID container=NAME runtime=PATH log=PATH lock=PATH
/// [runtime_env=NAME=VALUE,...] [every=5h] [grace=SECONDS] [catch_up=true] [jitter=SECONDS] [installed=TIME]
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
    /// `jitter` in seconds (target systemd alone: its timer's `RandomizedDelaySec=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<u64>,
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
        if let Some(jitter) = self.jitter {
            line.push_str(&format!(" jitter={jitter}"));
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
        let mut jitter = None;
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
                "jitter" => &mut jitter,
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
            jitter: match jitter {
                Some(j) if !j.bytes().all(|b| b.is_ascii_digit()) => return None,
                Some(j) => Some(j.parse().ok()?),
                None => None,
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
