//! The eleven typed meters (spec §5), the same operations as spectator-py's meter classes,
//! defined once for firmware and for bound meters.
//!
//! A meter is its kind (the type), the kind's client-side filter, and what it writes through,
//! the type parameter:
//!
//! * a [`LinePrefix`] (firmware): the meter holds its rendered line prefix
//!   ([`StaticPrefix`](crate::StaticPrefix) from [`static_meter!`](crate::static_meter), or a
//!   [`Prefix`] built from a run-time id with `for_id`), and each update takes
//!   the [`Sink`] to write into: `counter.increment(&mut sink)`;
//! * a [`Bound`] [`Binding`] (spectator-std's registry meters): the binding knows where lines
//!   go, and updates take no sink: `counter.increment()`.
//!
//! Both method sets come from one list of operations below, so the two kinds of use cannot
//! drift apart.
//!
//! ```
//! use spectator_core::meters::{Counter, Timer};
//! use spectator_core::{LineBuffer, MemoryTransport, MeterId, Prefix};
//!
//! let mut udp: MemoryTransport<256, 8> = MemoryTransport::new();
//! let mut buffer: LineBuffer<128> = LineBuffer::new();
//! let id: MeterId<64> = MeterId::new("server.numRequests", &[("id", "failed")])?;
//! let requests: Counter<Prefix<80>> = Counter::for_id(&id)?;
//! let latency: Timer<Prefix<32>> = Timer::for_id(&MeterId::<16>::new("latency", &[])?)?;
//! let mut sink = buffer.via(&mut udp);
//! requests.increment(&mut sink);
//! requests.increment_by(&mut sink, -1); // dropped: counters only take values > 0
//! latency.record(&mut sink, 0.00001);
//! sink.flush().unwrap();
//! assert_eq!(udp.datagram(0), Some(&b"c:server.numRequests,id=failed:1\nt:latency:1e-05"[..]));
//! # Ok::<(), spectator_core::IdError>(())
//! ```

use core::num::NonZeroU32;
use core::time::Duration;

use crate::meter_id::IdError;
use crate::meter_kind::MeterKind;
use crate::prefix::{LinePrefix, Prefix};
use crate::sink::Sink;
use crate::value::Value;

/// Something that has a rendered `name,k=v,…` id: [`MeterId`](crate::MeterId),
/// [`StaticId`](crate::StaticId), spectator-std's `MeterId`.
pub trait Identity {
    /// The rendered id placed between type and value in each line.
    fn spectatord_id(&self) -> &str;
}

impl<I: Identity + ?Sized> Identity for &I {
    #[inline]
    fn spectatord_id(&self) -> &str {
        (**self).spectatord_id()
    }
}

/// Where a bound meter's updates go: implemented by spectator-std for its registry (the
/// meter's rendered prefix and the registry's output), or by anything that wants meters whose
/// updates take no sink argument.
///
/// ```
/// use core::cell::RefCell;
/// use spectator_core::meters::{Binding, Bound, Counter};
/// use spectator_core::{MeterKind, Value};
///
/// /// Keeps the sum of a counter's increments.
/// struct Sum(RefCell<i64>);
/// impl Binding for Sum {
///     fn update(&self, _kind: MeterKind, value: Value<'_>) {
///         if let Value::Int(v) = value {
///             *self.0.borrow_mut() += v;
///         }
///     }
/// }
/// let requests = Counter::new(Bound::new(Sum(RefCell::new(0))));
/// requests.increment();
/// requests.increment_by(2);
/// requests.increment_by(-5); // filtered: counters take values > 0 only
/// assert_eq!(*requests.binding().0.borrow(), 3);
/// ```
pub trait Binding {
    /// Takes one update of a meter of kind `kind`, after the kind's client-side filter.
    fn update(&self, kind: MeterKind, value: Value<'_>);
}

/// A meter's [`Binding`], as its type parameter: `Counter<Bound<B>>` has update methods that
/// take no sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Bound<B>(B);

impl<B> Bound<B> {
    /// Wraps a binding.
    pub const fn new(binding: B) -> Self {
        Self(binding)
    }
}

/// Writes `value` through `sink` after `kind`'s filter.
#[inline(always)]
fn emit<S: Sink + ?Sized>(kind: MeterKind, prefix: &str, sink: &mut S, value: Value<'_>) {
    if kind.accepts(&value) {
        sink.record(prefix, &value);
    }
}

/// Hands `value` to `binding` after `kind`'s filter.
#[inline]
fn emit_bound<B: Binding + ?Sized>(kind: MeterKind, binding: &B, value: Value<'_>) {
    if kind.accepts(&value) {
        binding.update(kind, value);
    }
}

/// Defines a meter type and its operations, once, for both kinds of use: each operation
/// `name(args) => value` becomes `name(&self, sink, args)` for prefix meters and
/// `name(&self, args)` for bound meters.
macro_rules! meter {
    (
        $(#[$doc:meta])*
        $name:ident: $kind:ident;
        $(
            $(#[$op_doc:meta])*
            fn $op:ident $(<$lt:lifetime>)? ($($arg:ident: $ty:ty),*) => $value:expr;
        )*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name<P> {
            inner: P,
        }

        impl<P> $name<P> {
            /// The kind of lines this meter writes.
            pub const KIND: MeterKind = MeterKind::$kind;

            /// A meter writing through `inner`: a [`LinePrefix`] of this kind (see
            /// [`static_meter!`](crate::static_meter)) or a [`Bound`] binding.
            pub const fn new(inner: P) -> Self {
                Self { inner }
            }
        }

        impl<const N: usize> $name<Prefix<N>> {
            /// A meter for a run-time `id`, its prefix rendered once into `N` bytes
            /// ([`IdError::TooLong`] when it does not fit).
            pub fn for_id<I: Identity + ?Sized>(id: &I) -> Result<Self, IdError> {
                Prefix::new(Self::KIND, None, id.spectatord_id())
                    .map(Self::new)
                    .map_err(|_| IdError::TooLong)
            }
        }

        impl<P: LinePrefix> $name<P> {
            /// The meter's line prefix.
            pub fn prefix(&self) -> &P {
                &self.inner
            }

            $(
                $(#[$op_doc])*
                #[inline]
                pub fn $op<$($lt,)? S: Sink + ?Sized>(&self, sink: &mut S, $($arg: $ty),*) {
                    emit(Self::KIND, self.inner.line_prefix(), sink, $value);
                }
            )*
        }

        impl<B: Binding> $name<Bound<B>> {
            /// The meter's binding.
            pub fn binding(&self) -> &B {
                &self.inner.0
            }

            $(
                $(#[$op_doc])*
                #[inline]
                pub fn $op$(<$lt>)?(&self, $($arg: $ty),*) {
                    emit_bound(Self::KIND, &self.inner.0, $value);
                }
            )*
        }
    };
}

meter! {
    /// `A`: the time since an event, reported by spectatord as seconds since the last success.
    AgeGauge: AgeGauge;
    /// Marks success now: writes `0`, which spectatord replaces by its current time.
    fn now() => Value::Int(0);
    /// Sets the time of the last success, in seconds since the epoch.
    fn set<'v>(epoch_seconds: impl Into<Value<'v>>) => epoch_seconds.into();
}

meter! {
    /// `c`: a counter; spectatord reports a rate per second. Only values `> 0` are written.
    Counter: Counter;
    /// Adds one.
    fn increment() => Value::Int(1);
    /// Adds `delta`; nothing is written unless `delta > 0`.
    fn increment_by<'v>(delta: impl Into<Value<'v>>) => delta.into();
}

#[cfg(feature = "sketch")]
meter! {
    /// `S`: a distinct-count sketch of values (feature `sketch`). The public spectatord
    /// (429cd8d) rejects every `S` line; it is here for parity with spectator-py 1.2.1.
    #[cfg_attr(docsrs, doc(cfg(feature = "sketch")))]
    DistinctCountSketch: DistinctCountSketch;
    /// Records a string (its UTF-8 bytes, base64-encoded on the line).
    fn record_str<'v>(value: &'v str) => Value::Bytes(value.as_bytes());
    /// Records raw bytes.
    fn record_bytes<'v>(value: &'v [u8]) => Value::Bytes(value);
    /// Records a signed integer (as its 8-byte little-endian two's complement, like Python).
    fn record_i64(value: i64) => Value::IntBytes(value.to_le_bytes());
    /// Records an unsigned integer (as its 8 little-endian bytes).
    fn record_u64(value: u64) => Value::IntBytes(value.to_le_bytes());
}

meter! {
    /// `d`: a distribution summary of amounts. Only values `>= 0` are written.
    DistributionSummary: DistributionSummary;
    /// Records `amount`; nothing is written unless `amount >= 0`.
    fn record<'v>(amount: impl Into<Value<'v>>) => amount.into();
}

meter! {
    /// `g`: the last value set, kept by spectatord until its TTL expires (15 minutes by
    /// default). A gauge with a TTL has it in its prefix: `g,60:…` (see
    /// [`Gauge::for_id_with_ttl`], [`static_meter!`](crate::static_meter)).
    Gauge: Gauge;
    /// Sets the value (every value is written, NaN included).
    fn set<'v>(value: impl Into<Value<'v>>) => value.into();
}

meter! {
    /// `m`: the maximum of the values set in each interval.
    MaxGauge: MaxGauge;
    /// Sets the value; every value is written.
    fn set<'v>(value: impl Into<Value<'v>>) => value.into();
}

meter! {
    /// `C`: a monotonically increasing total; spectatord reports the deltas.
    MonotonicCounter: MonotonicCounter;
    /// Sets the total; every value is written.
    fn set<'v>(total: impl Into<Value<'v>>) => total.into();
}

meter! {
    /// `U`: a monotonically increasing `u64` total (wraps); spectatord reports the deltas.
    MonotonicCounterUint: MonotonicCounterUint;
    /// Sets the total. Use `x as u64` for Python's `c_uint64` wrap-around of negatives.
    fn set(total: u64) => Value::UInt(total);
}

meter! {
    /// `D`: a distribution summary with percentiles (spectatord truncates values to integers).
    /// Only values `>= 0` are written.
    PercentileDistributionSummary: PercentileDistributionSummary;
    /// Records `amount`; nothing is written unless `amount >= 0`.
    fn record<'v>(amount: impl Into<Value<'v>>) => amount.into();
}

meter! {
    /// `T`: a timer with percentiles, in seconds. Only values `>= 0` are written.
    PercentileTimer: PercentileTimer;
    /// Records `seconds`; nothing is written unless `seconds >= 0`.
    fn record<'v>(seconds: impl Into<Value<'v>>) => seconds.into();
    /// Records a duration as seconds, exactly and without floating point
    /// ([`crate::decimal`]): `0.00025` for 250 µs.
    fn record_duration(duration: Duration) => Value::from(duration);
}

meter! {
    /// `t`: a timer, in seconds. Only values `>= 0` are written (`-0.0` is, like Python).
    Timer: Timer;
    /// Records `seconds`; nothing is written unless `seconds >= 0`.
    fn record<'v>(seconds: impl Into<Value<'v>>) => seconds.into();
    /// Records a duration as seconds, exactly and without floating point
    /// ([`crate::decimal`]): `0.00025` for 250 µs.
    fn record_duration(duration: Duration) => Value::from(duration);
}

impl<const N: usize> Gauge<Prefix<N>> {
    /// A gauge for a run-time `id` whose lines carry a TTL in seconds (`g,<ttl>:…`).
    /// spectatord raises TTLs below 5 s to 5 s. A TTL of 0 cannot be expressed: spectatord
    /// rejects such lines, and spectator-py writes them anyway (a documented divergence).
    ///
    /// ```
    /// use core::num::NonZeroU32;
    /// use spectator_core::prefix::LinePrefix;
    /// use spectator_core::{meters::Gauge, MeterId, Prefix};
    /// let id = MeterId::<32>::new("queue.size", &[])?;
    /// let g: Gauge<Prefix<32>> = Gauge::for_id_with_ttl(&id, NonZeroU32::new(60).unwrap())?;
    /// assert_eq!(g.prefix().line_prefix(), "g,60:queue.size:");
    /// # Ok::<(), spectator_core::IdError>(())
    /// ```
    pub fn for_id_with_ttl<I: Identity + ?Sized>(
        id: &I,
        ttl_seconds: NonZeroU32,
    ) -> Result<Self, IdError> {
        Prefix::new(MeterKind::Gauge, Some(ttl_seconds), id.spectatord_id())
            .map(Self::new)
            .map_err(|_| IdError::TooLong)
    }
}

#[cfg(all(test, feature = "sketch", feature = "float"))]
mod tests {
    use super::*;
    use crate::MeterId;

    /// A spy sink that renders every line it receives.
    struct Lines(heapless::Vec<heapless::String<64>, 16>);

    impl Sink for Lines {
        fn record(&mut self, prefix: &str, value: &Value<'_>) {
            let mut s = heapless::String::new();
            s.push_str(prefix).unwrap();
            value.write_to(&mut s).unwrap();
            self.0.push(s).unwrap();
        }
    }

    #[test]
    fn every_meter_writes_its_line() {
        let id: MeterId<32> = MeterId::new("m", &[("k", "v")]).unwrap();
        type P = Prefix<40>;
        let mut sink = Lines(heapless::Vec::new());
        let ttl = NonZeroU32::new(60).unwrap();
        AgeGauge::<P>::for_id(&id).unwrap().now(&mut sink);
        AgeGauge::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, 1700000000);
        let c = Counter::<P>::for_id(&id).unwrap();
        c.increment(&mut sink);
        c.increment_by(&mut sink, 2.5);
        c.increment_by(&mut sink, 0);
        let s = DistinctCountSketch::<P>::for_id(&id).unwrap();
        s.record_str(&mut sink, "héllo");
        s.record_i64(&mut sink, -1);
        let d = DistributionSummary::<P>::for_id(&id).unwrap();
        d.record(&mut sink, 512);
        d.record(&mut sink, -1);
        Gauge::<P>::for_id_with_ttl(&id, ttl)
            .unwrap()
            .set(&mut sink, f64::NAN);
        MaxGauge::<P>::for_id(&id).unwrap().set(&mut sink, -3);
        MonotonicCounter::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, 1e16);
        MonotonicCounterUint::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, -1i64 as u64);
        PercentileDistributionSummary::<P>::for_id(&id)
            .unwrap()
            .record(&mut sink, 1.9);
        PercentileTimer::<P>::for_id(&id)
            .unwrap()
            .record_duration(&mut sink, Duration::from_millis(1500));
        let t = Timer::<P>::for_id(&id).unwrap();
        t.record(&mut sink, -0.0);
        t.record(&mut sink, f64::NAN);
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

    #[test]
    fn a_prefix_too_long_for_its_capacity_is_an_error() {
        let id: MeterId<32> = MeterId::new("twelve.chars", &[]).unwrap();
        assert_eq!(Counter::<Prefix<8>>::for_id(&id), Err(IdError::TooLong));
        assert!(Counter::<Prefix<15>>::for_id(&id).is_ok());
    }

    /// Every update of a bound meter reaches its binding with the kind, after the filter.
    #[test]
    fn bound_meters_take_no_sink() {
        use core::cell::RefCell;
        struct Spy(RefCell<heapless::Vec<(MeterKind, i64), 8>>);
        impl Binding for Spy {
            fn update(&self, kind: MeterKind, value: Value<'_>) {
                if let Value::Int(v) = value {
                    self.0.borrow_mut().push((kind, v)).unwrap();
                }
            }
        }
        let c = Counter::new(Bound::new(Spy(RefCell::new(heapless::Vec::new()))));
        c.increment();
        c.increment_by(0);
        c.increment_by(7);
        let g = MaxGauge::new(Bound::new(Spy(RefCell::new(heapless::Vec::new()))));
        g.set(-2);
        assert_eq!(
            &c.binding().0.borrow()[..],
            &[(MeterKind::Counter, 1), (MeterKind::Counter, 7)]
        );
        assert_eq!(&g.binding().0.borrow()[..], &[(MeterKind::MaxGauge, -2)]);
    }
}
