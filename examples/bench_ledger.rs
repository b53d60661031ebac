//! A measurement for `scripts/bench`, never a test: appends N records to a job's run ledger
//! with `history::append`, the very call the runner makes once per run, timing each, and prints
//! the timings as one JSON object (microseconds: median, p99, mean, max, and the total).
//!
//!     cargo run --release --example bench_ledger -- DIR LOG JOB N [LIMIT]
//!
//! The records are what a `* * * * *` job's runs look like (five in six succeed in 38 to 45
//! minutes, one exits 3). LIMIT (default: the runner's own, 1000 of each kind) bounds the
//! ledger as `history_limit` and `failed_history_limit` do, so the timings include the
//! compactions a real ledger pays for; `scripts/bench` also builds its 10,000-run ledger for
//! `crontainer history` with this, LIMIT 10000.

use std::path::Path;
use std::time::Instant;

use crontainer::history::{self, Entry, Kind, Limits};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, log, job, n, rest @ ..] = args.as_slice() else {
        eprintln!("usage: bench_ledger DIR LOG JOB N [LIMIT]");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N: a number");
    let limits = match rest.first() {
        Some(limit) => {
            let limit = limit.parse().expect("LIMIT: a number");
            Limits {
                succeeded: limit,
                failed: limit,
            }
        }
        None => Limits::default(),
    };
    // A minute apart, ending now-ish: 2026-11-29T00:00:00Z on.
    let first = 1_795_910_400_i64;
    let mut micros = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for i in 0..n {
        let start = first + i64::try_from(i).unwrap_or(0) * 60;
        let failed = i % 6 == 5;
        let seconds = 38 * 60 + (i * 37) % (7 * 60);
        let entry = Entry {
            kind: Kind::Run,
            job: job.clone(),
            block: "bench".to_owned(),
            run: Some(format!("{}-{start}", 4000 + i % 30000)),
            trigger: "cron".to_owned(),
            start: jiff::Timestamp::from_second(start).unwrap(),
            end: Some(jiff::Timestamp::from_second(start + seconds as i64).unwrap()),
            seconds: Some(seconds),
            exit: Some(if failed { 3 } else { 0 }),
            reason: None,
            ping: Some("ok".to_owned()),
            attempt: 1,
        };
        let t = Instant::now();
        history::append(Path::new(dir), Path::new(log), &entry, limits).expect("append");
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    if micros.is_empty() {
        // N = 0: the process alone, the baseline of one append's cold cost.
        println!("{{\"n\": 0}}");
        return;
    }
    let total: f64 = micros.iter().sum();
    micros.sort_by(f64::total_cmp);
    let at =
        |q: f64| micros[((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1];
    println!(
        "{{\"n\": {n}, \"median_us\": {:.1}, \"p99_us\": {:.1}, \"mean_us\": {:.1}, \"max_us\": {:.1}, \"total_ms\": {:.1}}}",
        at(0.5),
        at(0.99),
        total / micros.len() as f64,
        micros[micros.len() - 1],
        total / 1000.0
    );
}
