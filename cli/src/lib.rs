//! # spectator-cli
//!
//! The library behind the `spectator` command:
//!
//! * `spectator listen`: a [`Listener`] receives datagrams like spectatord (UDP, dual stack, and
//!   optionally a Unix datagram socket), checks every line with spectatord's acceptance rules,
//!   and an [`Aggregator`] turns them into what spectatord would publish at each step
//!   ([`StepReport`], rendered as a table or JSON), with the percentiles Atlas estimates for
//!   percentile meters ([`mod@percentile`]) and the ids Atlas will drop;
//! * `spectator send`: one update through spectator-std ([`send::send`]);
//! * `spectator demo`: a listener and an instrumented workload in one process ([`demo::run`]);
//! * `spectator bench-ingest`: the ingest benchmark ([`mod@bench`]).
//!
//! The [`Aggregator`] takes the time as an argument ([`Aggregator::ingest`],
//! [`Aggregator::step`]), so tests drive it with a [`ManualClock`] and no sleeping.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aggregator;
pub mod bench;
mod clock;
pub mod demo;
mod id;
pub mod listen;
pub mod live;
pub mod percentile;
mod report;
pub mod send;

pub use aggregator::{Aggregator, AGE_GAUGE_LIMIT, MESSAGES_PER_STEP, METER_TTL, MIN_GAUGE_TTL};
pub use clock::{wall_nanos, Clock, ManualClock, Nanos, SystemClock, SECOND};
pub use id::CanonicalId;
pub use listen::{ListenConfig, Listener};
pub use report::{fmt_number, fmt_short, InvalidId, LineCounts, Note, Published, Row, StepReport};

/// The crate's README (its page on crates.io), compiled and run as a doctest from the crate's
/// own files, so the packaged crate checks it too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
