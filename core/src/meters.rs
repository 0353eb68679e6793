//! The eleven typed meters (spec §5), the same operations as spectator-py's meter classes.
//!
//! A meter is its id plus its kind; it holds no state and writes one line per call into any
//! [`Sink`], after the kind's client-side filter. Meters own (or borrow) anything that
//! implements [`Identity`], such as a [`MeterId`].
//!
//! ```
//! use spectator_core::meters::{Counter, Timer};
//! use spectator_core::{LineBuffer, MeterId, MemoryTransport};
//!
//! let mut sink: LineBuffer<MemoryTransport<256, 8>, 128> = LineBuffer::new(MemoryTransport::new());
//! let requests = Counter::new(MeterId::<64>::new("server.numRequests", &[("id", "failed")])?);
//! let latency = Timer::new(MeterId::<64>::new("latency", &[])?);
//! requests.increment(&mut sink);
//! requests.increment_by(&mut sink, -1); // dropped: counters only take values > 0
//! latency.record(&mut sink, 0.00001);
//! sink.flush().unwrap();
//! assert_eq!(sink.transport().datagram(0), Some(&b"c:server.numRequests,id=failed:1\nt:latency:1e-05"[..]));
//! # Ok::<(), spectator_core::IdError>(())
//! ```

use core::num::NonZeroU32;
use core::time::Duration;

use crate::measurement::{Measurement, Sink};
use crate::meter_id::MeterId;
use crate::meter_kind::MeterKind;
use crate::value::Value;

/// Something that has a rendered `name,k=v,…` id.
pub trait Identity {
    /// The rendered id placed between type and value in each line.
    fn spectatord_id(&self) -> &str;
}

impl<const N: usize, const T: usize> Identity for MeterId<N, T> {
    #[inline]
    fn spectatord_id(&self) -> &str {
        MeterId::spectatord_id(self)
    }
}

impl<I: Identity + ?Sized> Identity for &I {
    #[inline]
    fn spectatord_id(&self) -> &str {
        (**self).spectatord_id()
    }
}

macro_rules! meter {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name<I> {
            id: I,
        }

        impl<I: Identity> $name<I> {
            /// The kind of lines this meter writes.
            pub const KIND: MeterKind = $kind;

            /// A meter for `id`.
            pub const fn new(id: I) -> Self {
                Self { id }
            }

            /// The meter's id.
            pub fn id(&self) -> &I {
                &self.id
            }

            /// The measurement for `value`, or `None` when the kind's filter drops it.
            #[inline]
            pub fn measure<'s>(&'s self, value: Value<'s>) -> Option<Measurement<'s>> {
                Measurement::filtered(Self::KIND, self.id.spectatord_id(), value)
            }

            #[inline]
            fn emit<S: Sink + ?Sized>(&self, sink: &mut S, value: Value<'_>) {
                if let Some(m) = self.measure(value) {
                    sink.record(&m);
                }
            }
        }
    };
}

meter!(
    /// `A`: the time since an event, reported by spectatord as seconds since the last success.
    AgeGauge, MeterKind::AgeGauge
);
meter!(
    /// `c`: a counter; spectatord reports a rate per second. Only values `> 0` are written.
    Counter, MeterKind::Counter
);
#[cfg(feature = "sketch")]
meter!(
    /// `S`: a distinct-count sketch of values (feature `sketch`). The public spectatord
    /// (429cd8d) rejects every `S` line; it is here for parity with spectator-py 1.2.1.
    DistinctCountSketch, MeterKind::DistinctCountSketch
);
meter!(
    /// `d`: a distribution summary of amounts. Only values `>= 0` are written.
    DistributionSummary, MeterKind::DistributionSummary
);
meter!(
    /// `m`: the maximum of the values set in each interval.
    MaxGauge, MeterKind::MaxGauge
);
meter!(
    /// `C`: a monotonically increasing total; spectatord reports the deltas.
    MonotonicCounter, MeterKind::MonotonicCounter
);
meter!(
    /// `U`: a monotonically increasing `u64` total (wraps); spectatord reports the deltas.
    MonotonicCounterUint, MeterKind::MonotonicCounterUint
);
meter!(
    /// `D`: a distribution summary with percentiles (spectatord truncates values to integers).
    /// Only values `>= 0` are written.
    PercentileDistributionSummary, MeterKind::PercentileDistributionSummary
);
meter!(
    /// `T`: a timer with percentiles, in seconds. Only values `>= 0` are written.
    PercentileTimer, MeterKind::PercentileTimer
);
meter!(
    /// `t`: a timer, in seconds. Only values `>= 0` are written (`-0.0` is, like Python).
    Timer, MeterKind::Timer
);

impl<I: Identity> AgeGauge<I> {
    /// Marks success now: writes `0`, which spectatord replaces by its current time.
    #[inline]
    pub fn now<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.emit(sink, Value::Int(0));
    }

    /// Sets the time of the last success, in seconds since the epoch.
    #[inline]
    pub fn set<'v, S: Sink + ?Sized>(&self, sink: &mut S, epoch_seconds: impl Into<Value<'v>>) {
        self.emit(sink, epoch_seconds.into());
    }
}

impl<I: Identity> Counter<I> {
    /// Adds one.
    #[inline]
    pub fn increment<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.emit(sink, Value::Int(1));
    }

    /// Adds `delta`; nothing is written unless `delta > 0`.
    #[inline]
    pub fn increment_by<'v, S: Sink + ?Sized>(&self, sink: &mut S, delta: impl Into<Value<'v>>) {
        self.emit(sink, delta.into());
    }
}

#[cfg(feature = "sketch")]
impl<I: Identity> DistinctCountSketch<I> {
    /// Records a string (its UTF-8 bytes, base64-encoded on the line).
    #[inline]
    pub fn record_str<S: Sink + ?Sized>(&self, sink: &mut S, value: &str) {
        self.emit(sink, Value::Bytes(value.as_bytes()));
    }

    /// Records raw bytes.
    #[inline]
    pub fn record_bytes<S: Sink + ?Sized>(&self, sink: &mut S, value: &[u8]) {
        self.emit(sink, Value::Bytes(value));
    }

    /// Records a signed integer (as its 8-byte little-endian two's complement, like Python).
    #[inline]
    pub fn record_i64<S: Sink + ?Sized>(&self, sink: &mut S, value: i64) {
        self.emit(sink, Value::IntBytes(value.to_le_bytes()));
    }

    /// Records an unsigned integer (as its 8 little-endian bytes).
    #[inline]
    pub fn record_u64<S: Sink + ?Sized>(&self, sink: &mut S, value: u64) {
        self.emit(sink, Value::IntBytes(value.to_le_bytes()));
    }
}

macro_rules! record_amount {
    ($($name:ident),*) => {$(
        impl<I: Identity> $name<I> {
            /// Records `amount`; nothing is written unless `amount >= 0`.
            #[inline]
            pub fn record<'v, S: Sink + ?Sized>(&self, sink: &mut S, amount: impl Into<Value<'v>>) {
                self.emit(sink, amount.into());
            }
        }
    )*};
}

record_amount!(
    DistributionSummary,
    PercentileDistributionSummary,
    Timer,
    PercentileTimer
);

macro_rules! record_duration {
    ($($name:ident),*) => {$(
        impl<I: Identity> $name<I> {
            /// Records a duration as seconds, exactly and without floating point
            /// ([`crate::decimal`]): `0.00025` for 250 µs.
            #[inline]
            pub fn record_duration<S: Sink + ?Sized>(&self, sink: &mut S, duration: Duration) {
                self.emit(sink, Value::from(duration));
            }
        }
    )*};
}

record_duration!(Timer, PercentileTimer);

macro_rules! set_value {
    ($($name:ident),*) => {$(
        impl<I: Identity> $name<I> {
            /// Sets the value; every value is written.
            #[inline]
            pub fn set<'v, S: Sink + ?Sized>(&self, sink: &mut S, value: impl Into<Value<'v>>) {
                self.emit(sink, value.into());
            }
        }
    )*};
}

set_value!(MaxGauge, MonotonicCounter);

impl<I: Identity> MonotonicCounterUint<I> {
    /// Sets the total. Use `x as u64` for Python's `c_uint64` wrap-around of negatives.
    #[inline]
    pub fn set<S: Sink + ?Sized>(&self, sink: &mut S, total: u64) {
        self.emit(sink, Value::UInt(total));
    }
}

/// `g`: the last value set, kept by spectatord until its TTL expires (15 minutes by default).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gauge<I> {
    id: I,
    ttl: Option<NonZeroU32>,
}

impl<I: Identity> Gauge<I> {
    /// The kind of lines this meter writes.
    pub const KIND: MeterKind = MeterKind::Gauge;

    /// A gauge with spectatord's default TTL.
    pub const fn new(id: I) -> Self {
        Self { id, ttl: None }
    }

    /// A gauge whose lines carry a TTL in seconds (`g,<ttl>:…`). spectatord raises TTLs below 5 s
    /// to 5 s. A TTL of 0 cannot be expressed: spectatord rejects such lines, and spectator-py
    /// writes them anyway (a documented divergence).
    ///
    /// ```
    /// use core::num::NonZeroU32;
    /// use spectator_core::{meters::Gauge, MeterId};
    /// let g = Gauge::with_ttl(MeterId::<32>::new("queue.size", &[])?, NonZeroU32::new(60).unwrap());
    /// assert_eq!(g.ttl().map(NonZeroU32::get), Some(60));
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub const fn with_ttl(id: I, ttl_seconds: NonZeroU32) -> Self {
        Self {
            id,
            ttl: Some(ttl_seconds),
        }
    }

    /// The meter's id.
    pub fn id(&self) -> &I {
        &self.id
    }

    /// The TTL written with each line.
    pub fn ttl(&self) -> Option<NonZeroU32> {
        self.ttl
    }

    /// The measurement for `value` (gauges write every value, NaN included).
    #[inline]
    pub fn measure<'s>(&'s self, value: Value<'s>) -> Measurement<'s> {
        Measurement::new(Self::KIND, self.id.spectatord_id(), value).with_ttl(self.ttl)
    }

    /// Sets the value.
    #[inline]
    pub fn set<'v, S: Sink + ?Sized>(&self, sink: &mut S, value: impl Into<Value<'v>>) {
        sink.record(&self.measure(value.into()));
    }
}

#[cfg(all(test, feature = "sketch", feature = "float"))]
mod tests {
    use super::*;

    /// A spy sink that renders every measurement it receives.
    struct Lines(heapless::Vec<heapless::String<64>, 16>);

    impl Sink for Lines {
        fn record(&mut self, m: &Measurement<'_>) {
            let mut s = heapless::String::new();
            m.write_to(&mut s).unwrap();
            self.0.push(s).unwrap();
        }
    }

    #[test]
    fn every_meter_writes_its_line() {
        let id: MeterId<32> = MeterId::new("m", &[("k", "v")]).unwrap();
        let mut sink = Lines(heapless::Vec::new());
        AgeGauge::new(&id).now(&mut sink);
        AgeGauge::new(&id).set(&mut sink, 1700000000);
        Counter::new(&id).increment(&mut sink);
        Counter::new(&id).increment_by(&mut sink, 2.5);
        Counter::new(&id).increment_by(&mut sink, 0);
        DistinctCountSketch::new(&id).record_str(&mut sink, "héllo");
        DistinctCountSketch::new(&id).record_i64(&mut sink, -1);
        DistributionSummary::new(&id).record(&mut sink, 512);
        DistributionSummary::new(&id).record(&mut sink, -1);
        Gauge::with_ttl(&id, NonZeroU32::new(60).unwrap()).set(&mut sink, f64::NAN);
        MaxGauge::new(&id).set(&mut sink, -3);
        MonotonicCounter::new(&id).set(&mut sink, 1e16);
        MonotonicCounterUint::new(&id).set(&mut sink, -1i64 as u64);
        PercentileDistributionSummary::new(&id).record(&mut sink, 1.9);
        PercentileTimer::new(&id).record_duration(&mut sink, Duration::from_millis(1500));
        Timer::new(&id).record(&mut sink, -0.0);
        Timer::new(&id).record(&mut sink, f64::NAN);
        let expected = [
            "A:m,k=v:0",
            "A:m,k=v:1700000000",
            "c:m,k=v:1",
            "c:m,k=v:2.5",
            "S:m,k=v:aMOpbGxv",
            "S:m,k=v://////////8=",
            "d:m,k=v:512",
            "g,60:m,k=v:nan",
            "m:m,k=v:-3",
            "C:m,k=v:1e+16",
            "U:m,k=v:18446744073709551615",
            "D:m,k=v:1.9",
            "T:m,k=v:1.5",
            "t:m,k=v:-0.0",
        ];
        let got: heapless::Vec<&str, 16> = sink.0.iter().map(|s| s.as_str()).collect();
        assert_eq!(&got[..], &expected[..]);
    }
}
