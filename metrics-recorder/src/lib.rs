//! # spectator-metrics
//!
//! A recorder for the [`metrics`] facade (0.24) that reports to SpectatorD through
//! [`spectator_std`]: a service instrumented with `metrics::counter!`, `gauge!` and
//! `histogram!` reports to Atlas without changing its instrumentation.
//!
//! ```
//! use metrics::{counter, describe_histogram, gauge, histogram, Unit};
//! use spectator_metrics::SpectatorRecorder;
//!
//! let recorder = SpectatorRecorder::builder()
//!     .location("memory") // "udp" by default: spectatord on 127.0.0.1:1234
//!     .without_env()
//!     .common_tag("nf.app", "www")
//!     .build()?;
//! metrics::with_local_recorder(&recorder, || {
//!     describe_histogram!("server.requestLatency", Unit::Milliseconds, "time in the handler");
//!     counter!("server.requestCount", "status" => "200").increment(1);
//!     counter!("server.requestCount", "status" => "200").increment(2);
//!     counter!("bytes.total").absolute(1_000_000);
//!     gauge!("server.requestsInFlight").increment(2.0);
//!     gauge!("server.requestsInFlight").decrement(1.0);
//!     histogram!("server.requestLatency").record(250.0);
//!     histogram!("server.responseSize").record(1024.0);
//! });
//! recorder.flush(); // the aggregation report, also sent every second
//! let mut lines = recorder.registry().memory_writer().unwrap().lines();
//! lines.sort();
//! assert_eq!(lines, [
//!     "U:bytes.total,nf.app=www:1000000",
//!     "c:server.requestCount,nf.app=www,status=200:3",
//!     "d:server.responseSize,nf.app=www:1024",
//!     "g:server.requestsInFlight,nf.app=www:1",
//!     "t:server.requestLatency,nf.app=www:0.25",
//! ]);
//! # Ok::<(), spectator_metrics::Error>(())
//! ```
//!
//! ## Mapping
//!
//! | facade call | SpectatorD line | notes |
//! |---|---|---|
//! | `counter.increment(n)` | `c` counter | aggregated: one line per interval with the sum; `0` sends nothing |
//! | `counter.absolute(n)` | `U` monotonic counter (same id) | spectatord turns consecutive totals into deltas; aggregated: the last total per interval |
//! | `gauge.set(x)` | `g` gauge | the handle keeps the value; aggregated: the last value per interval |
//! | `gauge.increment(x)`, `decrement(x)` | `g` gauge | the handle's value (atomic `f64` bits) changed by `x`; the line carries the new value, exact under concurrency |
//! | `histogram.record(x)` | `d` distribution summary | one line per value |
//! | the same, described with `Unit::Seconds`, `Milliseconds`, `Microseconds` or `Nanoseconds` | `t` timer, in seconds | integral milli/micro/nanoseconds converted exactly (`250` ms is `0.25`), fractional ones to the nearest nanosecond |
//! | the same, for names or prefixes opted in with [`Builder::percentiles_for`] | `T` percentile timer / `D` percentile distribution summary | up to ~300 times a plain one's storage in Atlas: opt-in |
//! | labels | tags | sanitized like any tag (`Stranger Things` is `Stranger_Things`); an empty key or value is dropped |
//! | [`Builder::common_tag`] (other exporters' global labels) | extra common tags | override a label of the same key; `nf.container`/`nf.process` from the environment override them |
//!
//! Values: an integral `f64` is written as an integer (`30`, not `30.0`), any other like
//! Python's `repr` (`0.25`, `1e-05`), as spectator-std writes floats. Units of counters and
//! gauges and every description are ignored (SpectatorD lines carry none).
//!
//! The facade has no equivalent of SpectatorD's max gauges (`m`), age gauges (`A`) or
//! double monotonic counters (`C`): use a [`spectator_std::Registry`] beside the recorder
//! ([`SpectatorRecorder::registry`]) for those.
//!
//! ## Keys, handles, idle meters
//!
//! The first registration of a key renders its meters' line prefixes; the macros call
//! `register_*` every time, and find the handle again in a per-thread cache, else in a sharded
//! map by the key's precomputed hash (no hashing) under a read lock; a handle kept by the
//! caller skips even that. For counters and histograms the cache gives this thread's own copy
//! of the handle (the same meters), so threads calling the macros for one key at once do not
//! share the reference count each call takes and gives back. A macro call allocates nothing beyond what the facade itself
//! allocates for labels that are not literals (one `Vec`). Meters idle for the [idle timeout](Builder::idle_timeout) (15 minutes) are removed,
//! and at most [`max_meters`](Builder::max_meters) (10,000) exist at once: past that, keys get
//! a handle that drops their updates, counted in [`SpectatorRecorder::stats`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// The crate's README (its page on crates.io), compiled and run as a doctest from the crate's
/// own files.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod builder;
mod cache;
mod handles;
mod recorder;

pub use builder::{
    Builder, Error, Installed, DEFAULT_AGGREGATE, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_METERS,
};
pub use recorder::{RecorderStats, SpectatorRecorder};
