//! # spectator-core
//!
//! The SpectatorD line protocol with no heap and no operating system: the part of a metrics
//! client that runs the same on a Cortex-M sensor board and in a Linux service.
//!
//! ## Design
//!
//! A protocol line is `symbol[,ttl]:name,k=v,…:value`. The crate splits producing one into
//! independent pieces, each usable alone:
//!
//! | piece | what it does |
//! |---|---|
//! | [`sanitize`] | every `char` outside `-._~^0-9A-Za-z` becomes one `_` |
//! | [`TagSet`], [`MeterId`] | tag merge rules, ordering by original key, the id text rendered once |
//! | [`StaticId`], [`static_id!`] | an id checked at compile time, kept in flash, for `const` meters |
//! | [`Value`], `pyfloat`, [`decimal`] | integers exact, floats exactly like Python's `repr`, fixed-point decimals and durations without floating point |
//! | [`MeterKind`] | the one list of the eleven meter types, their symbols and client-side filters |
//! | [`prefix`] | a meter's `symbol[,ttl]:id:`, rendered once: [`StaticPrefix`] (at compile time, [`static_meter!`]), [`Prefix`] |
//! | [`meters`] | the eleven meters, defined once: over a prefix (firmware) or a [`Binding`](meters::Binding) (spectator-std) |
//! | [`Sink`] | where a meter's lines (prefix + value) go |
//! | [`LineBuffer`] | lines joined into datagrams of bounded size; owns no transport |
//! | [`Transport`], [`AsyncTransport`] | what sends a datagram: [`MemoryTransport`], [`WriteTransport`], sockets elsewhere |
//! | [`Stats`] | what an output sent and dropped, by reason |
//! | `aggregate` | exact client-side aggregation: lock-free cells, one line per meter per interval |
//! | [`Measurement`] | one line as data, for code that has a line's parts rather than a meter |
//! | [`parse`] | spectator-py's line parser and spectatord's acceptance rules |
//!
//! The path of one value: `METER.increment(&mut sink)` applies the kind's filter, and the
//! sink — a [`LineBuffer`] with a transport lent to it ([`LineBuffer::via`]) — copies the
//! meter's prefix and writes the value's digits into the pending datagram, sending it through
//! the transport when the next line would not fit.
//!
//! Memory is fixed at compile time by const generics: `MeterId<N, T>` holds an id of at most
//! `N` bytes and `T` tags, `LineBuffer<T, N>` a datagram of at most `N` bytes. Everything is
//! formatted into caller-supplied fixed buffers ([`LineWrite`]); formatting is all-or-nothing,
//! and nothing panics, allocates or blocks.
//!
//! Lines are byte-identical to spectator-py 1.2.1's for the same typed calls, with deliberate
//! divergences: an empty meter name is refused ([`IdError::EmptyName`]) instead of producing a
//! line spectatord rejects, a gauge TTL cannot be 0 (`NonZeroU32`), and exact decimals with more
//! than 15 significant digits keep their exact digits ([`decimal`]).
//!
//! Firmware that knows its ids at compile time makes its meters `const` with
//! [`static_meter!`]: the id is checked and the line prefix rendered while compiling, and both
//! stay in flash, so meters take no RAM.
//! With the `float` feature off, values are integers and exact decimals only, written with
//! integer arithmetic (see the `lm3s6965-qemu` board: the core adds about 4 KB of flash).
//!
//! ```
//! use spectator_core::meters::Counter;
//! use spectator_core::{static_meter, LineBuffer, MemoryTransport, MeterId, Prefix, StaticPrefix};
//!
//! // Checked and rendered while compiling; the text stays in flash.
//! const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots", "board" => "rev2");
//!
//! let mut udp: MemoryTransport<4096, 16> = MemoryTransport::new(); // a socket, on a board
//! // A 1472-byte datagram fits one Ethernet frame over IPv4.
//! let mut buffer: LineBuffer<1472> = LineBuffer::new();
//! // An id known only at run time: sanitized, its prefix rendered once.
//! let id: MeterId<64, 4> = MeterId::new("events", &[("kind", "button press")])?;
//! let events: Counter<Prefix<80>> = Counter::for_id(&id)?;
//!
//! let mut sink = buffer.via(&mut udp);
//! BOOTS.increment(&mut sink);
//! events.increment(&mut sink);
//! sink.flush().unwrap();
//! assert_eq!(udp.datagram(0), Some(&b"c:boots,board=rev2:1\nc:events,kind=button_press:1"[..]));
//! # Ok::<(), spectator_core::IdError>(())
//! ```
//!
//! ## Features
//!
//! * `sketch` (default): the distinct-count sketch meter and its base64 values.
//! * `float` (default): `f64` values (`Value::Float`, module `pyfloat`), written like Python's `repr`. Firmware
//!   without an FPU can turn it off and report integers and exact decimals
//!   ([`Value::decimal`], [`Duration`](core::time::Duration)s): about 5 KB less flash.
//! * `defmt`: `defmt::Format` on public types, warnings through defmt.
//! * `log`: warnings through the `log` crate.
//!
//! With neither (the default) warnings are discarded; dropped lines are still counted in
//! [`Stats`].
//!
//! Network stacks, as optional dependencies (see [`transport`]):
//!
//! * `embedded-nal`: `NalTransport`, a [`Transport`] over any embedded-nal 0.9 UDP stack.
//! * `embassy-net`: `EmbassyUdpTransport`, an [`AsyncTransport`] over an embassy-net 0.9 UDP
//!   socket (smoltcp 0.13).

#![no_std]
// docs.rs (and scripts/test.sh) build the docs with `--cfg docsrs`: each feature-gated item
// says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod warn;

#[cfg(any(target_has_atomic = "64", feature = "critical-section"))]
pub mod aggregate;
pub mod decimal;
pub mod line_buffer;
mod measurement;
mod meter_id;
mod meter_kind;
pub mod meters;
pub mod parse;
pub mod prefix;
#[cfg(feature = "float")]
#[cfg_attr(docsrs, doc(cfg(feature = "float")))]
pub mod pyfloat;
pub mod sanitize;
mod sink;
mod static_id;
mod stats;
pub mod tag_set;
pub mod transport;
mod value;
mod write;

pub use line_buffer::{LineBuffer, Sender, DEFAULT_FLUSH_INTERVAL};
pub use measurement::Measurement;
pub use meter_id::{IdError, MeterId};
pub use meter_kind::{Filter, MeterKind};
pub use prefix::{Prefix, StaticPrefix};
pub use sink::Sink;
#[doc(hidden)]
pub use static_id::AtlasCheck as __AtlasCheck;
pub use static_id::{StaticId, StaticIdError};
pub use stats::{Dropped, Stats};
pub use tag_set::{CommonTags, TagSet, TooManyTags};
#[cfg(feature = "embassy-net")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy-net")))]
pub use transport::EmbassyUdpTransport;
#[cfg(feature = "embedded-nal")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-nal")))]
pub use transport::NalTransport;
pub use transport::{
    AsyncTransport, ErrorKind, MemoryTransport, Transport, TransportError, WriteTransport,
};
pub use value::Value;
pub use write::{LineWrite, Overflow, SliceWriter};

/// The crate's README (its page on crates.io), compiled and run as a doctest from the crate's
/// own files, so the packaged crate checks it too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
