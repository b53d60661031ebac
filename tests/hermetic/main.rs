//! The hermetic tests: the real `crontainer` binary against fake `crontab` and `docker`
//! programs, in temp dirs (see `common`), with no real cron daemon or Docker. `cargo test` runs
//! them; the few that need root (a tmpfs or bind mount, a chown) are `#[ignore]`d and run with
//! `cargo test -- --include-ignored` as root, as `.ci/run` does.
//!
//! One test binary for all of them (each subject a module): one link instead of one per file,
//! and a helper of `common` that no test uses any more is a warning again.

#[path = "../shared/blocks.rs"]
mod blocks;
mod common;
#[path = "../shared/runner.rs"]
mod shared_runner;

mod bad_input;
mod bad_input_independent;
mod catch_up;
mod cli_install;
mod cli_pause;
mod cli_plan;
mod cli_run_now;
mod cli_status;
mod compose;
mod concurrency;
mod copies;
mod cron_view;
mod faults_crontab;
mod faults_host;
mod files;
mod hand_edits;
mod healthcheck;
mod history;
mod history_all_users;
mod history_runs;
mod injection;
mod let_no_one_in;
mod many_blocks;
mod messages;
mod metrics;
mod metrics_line;
mod orphan;
mod policies;
mod runner;
mod runner_line;
mod security;
mod system_dirs;
mod systemd;
mod systemd_scope;
mod trust;
mod upgrade;
