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
//! | [`MeterKind`], [`meters`] | the eleven meter types, their symbols and client-side filters |
//! | [`Measurement`], [`Sink`] | one update, and anything that takes updates |
//! | [`LineBuffer`] | lines joined into datagrams of bounded size, flushed on size and on time |
//! | [`Transport`] | where datagrams go: [`MemoryTransport`], [`WriteTransport`], sockets elsewhere |
//! | [`AsyncTransport`] | where async tasks send datagrams, with [`Deferred`] in the buffer |
//! | [`parse`] | spectator-py's line parser and spectatord's acceptance rules |
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
//! Firmware that knows its ids at compile time makes its meters `const` over
//! [`static_id!`]: the id is checked while compiling and stays in flash, so meters take no RAM.
//! With the `float` feature off, values are integers and exact decimals only, written with
//! integer arithmetic (see the `lm3s6965-qemu` board: the core adds about 4 KB of flash).
//!
//! ```
//! use spectator_core::{meters::Counter, LineBuffer, MemoryTransport, MeterId};
//!
//! // A 1472-byte datagram fits one Ethernet frame over IPv4.
//! let mut sink: LineBuffer<MemoryTransport<4096, 16>, 1472> = LineBuffer::new(MemoryTransport::new());
//! let events = Counter::new(MeterId::<64, 4>::new("events", &[("kind", "button press")])?);
//! events.increment(&mut sink);
//! sink.flush().unwrap();
//! assert_eq!(sink.transport().last_line(), Some(&b"c:events,kind=button_press:1"[..]));
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod warn;

pub mod decimal;
mod line_buffer;
mod measurement;
mod meter_id;
mod meter_kind;
pub mod meters;
pub mod parse;
#[cfg(feature = "float")]
pub mod pyfloat;
pub mod sanitize;
mod static_id;
mod stats;
pub mod tag_set;
pub mod transport;
mod value;
mod write;

pub use line_buffer::{LineBuffer, DEFAULT_FLUSH_INTERVAL};
pub use measurement::{Measurement, Sink};
pub use meter_id::{IdError, MeterId};
pub use meter_kind::{Filter, MeterKind};
pub use static_id::{StaticId, StaticIdError};
pub use stats::{Dropped, Stats};
pub use tag_set::{CommonTags, TagSet, TooManyTags};
#[cfg(feature = "embassy-net")]
pub use transport::EmbassyUdpTransport;
#[cfg(feature = "embedded-nal")]
pub use transport::NalTransport;
pub use transport::{
    AsyncTransport, Deferred, ErrorKind, MemoryTransport, Transport, TransportError, WriteTransport,
};
pub use value::Value;
pub use write::{LineWrite, Overflow, SliceWriter};
