//! A child process for the spectator-std tests (`tests/std_locations.rs`, `tests/std_global.rs`):
//! builds a registry from the process environment, writes a known set of lines and exits
//! normally WITHOUT calling `close()` or `flush()` (except where a mode says so), so the
//! parent can check exactly what reached stdout or stderr.
//!
//! Modes (first argument):
//!
//! * `registry`: `Config::builder().location("memory").build()` (so `SPECTATOR_OUTPUT_LOCATION`
//!   must win over the builder), four lines; the registry is dropped while a counter is still
//!   alive and one more line is written through that counter. Nothing is flushed explicitly:
//!   the output appears only if dropping the last handle flushes it.
//! * `global`: one line through `spectator_std::global()`, then `flush()` (a static is never
//!   dropped, so the global registry documents that callers flush).
//! * `global-location`: prints `location=<the global registry's location>` with `println!`.

use spectator_std::{global, Config, Registry};

fn registry() {
    let config = match Config::builder().location("memory").build() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("config error: {e}");
            std::process::exit(2);
        }
    };
    let registry = Registry::new(config).unwrap_or_else(|e| {
        eprintln!("registry error: {e}");
        std::process::exit(3);
    });
    let requests = registry.counter("child.requests", &[("status", "200")]);
    requests.increment();
    registry.gauge_with_ttl("child.queue", &[], 60).set(42);
    registry.timer("child.latency", &[]).record(0.25);
    registry
        .distribution_summary("child.bytes", &[("dir", "in")])
        .record(1024);
    // The last `Registry` handle goes away; the counter keeps the output alive.
    drop(registry);
    requests.increment_by(2);
    // `requests` is dropped at the end of `main`: that must flush the output.
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("registry") => registry(),
        Some("global") => {
            global().counter("child.global", &[]).increment();
            global().flush();
        }
        Some("global-location") => println!("location={}", global().config().location()),
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(64);
        }
    }
}
