//! The end-to-end tests: real Docker (and rootful Podman) containers, the real cron daemon, and the crontab of a
//! dedicated test user (see `support`). Every test is `#[ignore]`d: they need a provisioned
//! machine (`sudo scripts/provision-e2e`) and run with `cargo test -- --include-ignored` as
//! root, as `.ci/run` does.
//!
//! One test binary for all of them (each subject a module), so their tests run on parallel
//! threads of one process: whatever two tests share on the host (the test user's crontab, the
//! listing of /etc/cron.d, cron's view of changes) is guarded in `support`.

#[path = "../shared/blocks.rs"]
mod blocks;
#[path = "../shared/runner.rs"]
mod shared_runner;
mod support;

mod ansible;
mod catch_up;
mod compose;

mod cron;
mod cron_view;
mod crontab;
mod harness;
mod healthcheck;
mod injection;
mod let_no_one_in;
mod logrotate;
mod many_blocks;
mod metrics;
mod nonroot;
mod nonroot_stop;
mod orphan;
mod pause;
mod podman;
mod policies;
mod product_cron;
mod product_run_now;
mod product_timeout;
mod runner;
mod security;
mod systemd;
mod trust;
mod upgrade;
