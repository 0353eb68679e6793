//! # spectator-std
//!
//! spectator-py's thin client for Linux services, on the `no_std` [`spectator_core`]: a
//! [`Config`], a thread-safe [`Registry`] with factories for the eleven meter types, the
//! outputs `none`, `memory`, `stdout`, `stderr`, `file://`, `udp` and `unix`, a line buffer with
//! background flushing, [`StopWatch`], and a [`global`] registry.
//!
//! The meters are the core's ([`spectator_core::meters`]), bound to the registry by a
//! [`MeterBinding`]: its id, its line prefix rendered once, and the registry's output. An update
//! such as `counter.increment()` applies the kind's filter in the core, and the binding hands
//! the prefix and the value to the output: the core's `LineBuffer` (buffered UDP and Unix), or a
//! line formatted on the stack (unbuffered sockets, streams, memory).
//!
//! Lines are byte-identical to spectator-py 1.2.1's. Where spectator-py misbehaves, this crate
//! does better:
//!
//! * sends never block: UDP and Unix sockets are non-blocking, and when spectatord stops
//!   reading, lines are dropped and counted in [`Registry::stats`] (spectator-py blocks the
//!   application on a stalled Unix socket);
//! * the Unix socket reconnects by itself when spectatord restarts;
//! * datagrams never exceed the buffer size or 60 KiB (spectator-py loses batches of 64 KiB);
//! * `udp://host` without a port, or a host that does not resolve, is an error when the
//!   registry is built, not on every write;
//! * buffered and file output is flushed when the registry is dropped, so a batch job loses
//!   nothing at exit;
//! * an empty meter name or a gauge TTL of 0 never reaches spectatord, which rejects both.
//!
//! ```
//! use spectator_std::{Config, Registry};
//!
//! let config = Config::builder().location("memory").without_env().build()?;
//! let registry = Registry::new(config)?;
//! registry.counter("server.numRequests", &[("id", "failed")]).increment();
//! registry.timer("latency", &[]).record(0.00001);
//! assert_eq!(
//!     registry.memory_writer().unwrap().lines(),
//!     ["c:server.numRequests,id=failed:1", "t:latency:1e-05"]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Logging goes through the `log` crate, with targets `spectator::registry`,
//! `spectator::writer` (every line at trace) and `spectator::meter_id` (invalid ids).

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod aggregation;
mod binding;
mod config;
mod error;
mod global;
mod location;
mod meter_id;
mod output;
mod registry;
mod runtime;
mod stopwatch;

pub use binding::{
    AgeGauge, Counter, DistinctCountSketch, DistributionSummary, Gauge, MaxGauge, MeterBinding,
    MonotonicCounter, MonotonicCounterUint, PercentileDistributionSummary, PercentileTimer, Timer,
};
pub use config::{
    Config, ConfigBuilder, ThreadBuffers, DEFAULT_BACKLOG, DEFAULT_MAX_DATAGRAM,
    DEFAULT_SPECTATORD_STEP, LOCATION_ENV, UDP_MAX_PAYLOAD,
};
pub use error::ConfigError;
pub use global::global;
pub use location::{Location, DEFAULT_UDP, DEFAULT_UNIX};
pub use meter_id::{MeterId, MAX_TAGS};
pub use output::MemoryWriter;
pub use registry::Registry;
pub use runtime::{RuntimeMetrics, RuntimeMetricsHandle};
pub use spectator_core::{IdError, Stats, Value};
pub use stopwatch::{time, Clock, ManualClock, RecordDuration, StopWatch, SystemClock};

/// The crate's README (its page on crates.io), compiled and run as a doctest from the crate's
/// own files, so the packaged crate checks it too. The workspace README's examples are tested
/// by the conformance crate (`tests/lib.rs`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
