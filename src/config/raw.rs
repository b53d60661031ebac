//! The serde mirror of the config file: exactly its keys (unknown keys are errors, so a typo is
//! never silently ignored), each value with its place in the file for error messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) cron: RawCron,
    #[serde(default)]
    pub(super) defaults: RawDefaults,
    #[serde(default)]
    pub(super) monitoring: RawMonitoring,
    #[serde(default)]
    pub(super) job: Vec<RawJob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonitoring {
    pub(super) textfile_dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCron {
    pub(super) target: Option<Spanned<String>>,
    pub(super) user: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) runtime: Option<Spanned<String>>,
    pub(super) log_dir: Option<Spanned<String>>,
    pub(super) rotate_size: Option<Spanned<String>>,
    pub(super) rotate_keep: Option<Spanned<i64>>,
    pub(super) runtime_env: Option<BTreeMap<String, Spanned<String>>>,
    pub(super) healthcheck: Option<Spanned<String>>,
    pub(super) history_limit: Option<Spanned<i64>>,
    pub(super) failed_history_limit: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJob {
    pub(super) id: Spanned<String>,
    pub(super) description: Option<Spanned<String>>,
    pub(super) container: Option<Spanned<String>>,
    pub(super) service: Option<Spanned<String>>,
    pub(super) project: Option<Spanned<String>>,
    pub(super) command: Spanned<Vec<Spanned<String>>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) every: Option<Spanned<String>>,
    pub(super) log: Option<Spanned<String>>,
    pub(super) workdir: Option<Spanned<String>>,
    pub(super) user: Option<Spanned<String>>,
    pub(super) env: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    pub(super) env_file: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) jitter: Option<Spanned<String>>,
    pub(super) grace: Option<Spanned<String>>,
    pub(super) catch_up: Option<Spanned<RawCatchUp>>,
    pub(super) concurrency: Option<Spanned<String>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) retry_delay: Option<Spanned<String>>,
    pub(super) healthcheck: Option<Spanned<String>>,
    pub(super) history_limit: Option<Spanned<i64>>,
    pub(super) failed_history_limit: Option<Spanned<i64>>,
}

/// `catch_up = true`, or a window such as `catch_up = "6h"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum RawCatchUp {
    On(bool),
    Within(String),
}
