//! # batch-job: a short-lived job that loses no metric at exit
//!
//! Processes a fixed list of work items (checksumming generated records; one item in seven is
//! "corrupt" and fails) and records:
//!
//! | meter | type | what |
//! |---|---|---|
//! | `batch.items` | counter (`c`) | one per item, tagged `result=success` or `result=failure` |
//! | `batch.itemLatency` | timer (`t`) | seconds per item, timed by a [`StopWatch`] |
//! | `batch.itemSize` | distribution summary (`d`) | bytes per item |
//! | `batch.itemsPending` | gauge with a 120 s TTL (`g,120`) | items left, set before each item and 0 at the end; spectatord forgets it 2 minutes after the job is gone |
//! | `batch.lastSuccess` | age gauge (`A`) | `now()` when the whole job succeeds, so an alert can fire when the job has not succeeded for a while |
//!
//! All ids carry `nf.app=batch-job-example`.
//!
//! ## No sleep before exit
//!
//! The registry has a 60 KiB line buffer, so the lines of this short job all sit in memory
//! until the end: far fewer than 60 KiB, and the 5 s background flush never comes. A
//! spectator-py batch job has to sleep or flush by hand before exiting; this one just returns
//! from `main`. The registry and its meters are dropped there, and spectator-std flushes the
//! buffer when the last handle of a registry is dropped, so every line is sent before the
//! process exits. (That needs the handles to be dropped: `std::process::exit` skips
//! destructors, and a registry in a `static`, like [`spectator_std::global`], is never dropped,
//! so such code must call `Registry::flush` or `close` itself.)
//!
//! ## Running it
//!
//! Against a real spectatord listening on its default UDP port (`udp` = `127.0.0.1:1234`):
//!
//! ```text
//! spectatord &
//! cargo run -p spectator-examples --bin batch-job
//! ```
//!
//! `SPECTATOR_OUTPUT_LOCATION` sends the lines elsewhere: `stdout` to see them,
//! `udp://HOST:PORT` for another UDP listener. `--items N` changes the number of work items
//! (default 20). Failed items are counted and tolerated up to a fifth of all items; beyond
//! that the job fails: it exits 1 and does not set `batch.lastSuccess`. With the default 20
//! items, items 3, 10 and 17 fail and the job succeeds; with `--items 4` it fails.

use std::process::ExitCode;

use spectator_std::{Config, Registry, StopWatch, DEFAULT_MAX_DATAGRAM};

/// The most failed items (as a fraction of all items) for the job to count as a success.
const MAX_FAILURE_RATIO: f64 = 0.2;

/// A work item: some records to checksum.
struct Item {
    id: usize,
    records: Vec<u64>,
}

impl Item {
    /// The item's records, generated deterministically: items differ in size from 1 to 16
    /// records of 8 bytes.
    fn generate(id: usize) -> Self {
        let len = 1 + (id * 7) % 16;
        let records = (0..len as u64)
            .map(|r| (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r)
            .collect();
        Self { id, records }
    }

    fn size_bytes(&self) -> usize {
        self.records.len() * std::mem::size_of::<u64>()
    }

    /// The "work": a checksum of the records. Every seventh item is corrupt.
    fn process(&self) -> Result<u64, String> {
        if self.id % 7 == 3 {
            return Err(format!("item {}: corrupt record", self.id));
        }
        Ok(self
            .records
            .iter()
            .fold(0u64, |sum, r| sum.rotate_left(5) ^ r))
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<usize, String> {
    let mut items = 20;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--items" => {
                let n = args.next().ok_or("--items needs a value")?;
                items = n.parse().map_err(|_| format!("--items {n}: not a count"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(items)
}

/// A buffered UDP registry (`SPECTATOR_OUTPUT_LOCATION` may override the location).
fn registry() -> Result<Registry, spectator_std::ConfigError> {
    let config = Config::builder()
        .location("udp")
        .extra_common_tag("nf.app", "batch-job-example")
        .buffer_size(DEFAULT_MAX_DATAGRAM)
        .build()?;
    Registry::new(config)
}

fn run(items: usize, registry: &Registry) -> bool {
    let succeeded = registry.counter("batch.items", &[("result", "success")]);
    let failed = registry.counter("batch.items", &[("result", "failure")]);
    let latency = registry.timer("batch.itemLatency", &[]);
    let size = registry.distribution_summary("batch.itemSize", &[]);
    let pending = registry.gauge_with_ttl("batch.itemsPending", &[], 120);
    let last_success = registry.age_gauge("batch.lastSuccess", &[]);

    let work: Vec<Item> = (0..items).map(Item::generate).collect();
    let mut failures = 0;
    for (done, item) in work.iter().enumerate() {
        pending.set(items - done);
        size.record(item.size_bytes());
        let stopwatch = StopWatch::start(&latency);
        let result = item.process();
        stopwatch.stop();
        match result {
            Ok(_checksum) => succeeded.increment(),
            Err(e) => {
                eprintln!("batch-job: {e}");
                failures += 1;
                failed.increment();
            }
        }
    }
    pending.set(0);

    let ok = failures as f64 <= MAX_FAILURE_RATIO * items as f64;
    if ok {
        last_success.now();
    }
    eprintln!(
        "batch-job: {} items, {failures} failed, job {}",
        items,
        if ok { "succeeded" } else { "failed" }
    );
    ok
}

fn main() -> ExitCode {
    let items = match parse_args(std::env::args().skip(1)) {
        Ok(items) => items,
        Err(e) => {
            eprintln!(
                "{}usage: batch-job [--items N]",
                if e.is_empty() {
                    String::new()
                } else {
                    format!("batch-job: {e}\n")
                }
            );
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let registry = match registry() {
        Ok(registry) => registry,
        Err(e) => {
            eprintln!("batch-job: {e}");
            return ExitCode::from(2);
        }
    };
    let ok = run(items, &registry);
    // No sleep and no flush: returning drops `registry` (the meters in `run` are already gone),
    // and dropping the last handle flushes the buffered lines.
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
