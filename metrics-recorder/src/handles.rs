//! The handles behind the facade's `Counter`, `Gauge` and `Histogram`: each holds spectator-std
//! meters whose line prefix was rendered when the key was registered, so an update does no
//! hashing, no allocation and no formatting of the id.

use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{CounterFn, GaugeFn, HistogramFn, Unit};
use spectator_std::{
    Counter, DistributionSummary, Gauge, MonotonicCounterUint, PercentileDistributionSummary,
    PercentileTimer, Registry, Timer, Value,
};

/// When a handle was last updated, in the recorder's coarse time: the clock reading of the
/// latest sweep ([`crate::SpectatorRecorder::sweep`]), shared by every handle as `epoch`. An
/// update reads the epoch and stores it only when it changed: no clock read, and one store per
/// handle per sweep period. A handle's per-thread copies ([`ThreadCopy`]) share its `last`.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    epoch: Arc<AtomicU64>,
    last: Arc<AtomicU64>,
}

impl Seen {
    pub(crate) fn new(epoch: &Arc<AtomicU64>) -> Self {
        Self {
            last: Arc::new(AtomicU64::new(epoch.load(Ordering::Relaxed))),
            epoch: Arc::clone(epoch),
        }
    }

    #[inline]
    fn touch(&self) {
        let now = self.epoch.load(Ordering::Relaxed);
        if self.last.load(Ordering::Relaxed) != now {
            self.last.store(now, Ordering::Relaxed);
        }
    }

    /// The epoch of the last update (or of the registration).
    pub(crate) fn last(&self) -> u64 {
        self.last.load(Ordering::Relaxed)
    }
}

/// The largest `f64` below 2^63: integral values up to it are written as integers.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// A facade value as a line value: an integral value as an integer (`30`, not `30.0`), any
/// other as a float written like Python's `repr` (`0.25`, `nan`).
#[inline]
pub(crate) fn number(v: f64) -> Value<'static> {
    // `v as i64` then back, not `v.fract()`: `fract` is a libm call on baseline x86-64.
    let int = v as i64;
    if v.abs() < I64_LIMIT && int as f64 == v {
        Value::Int(int)
    } else {
        Value::Float(v)
    }
}

/// The unit a time histogram's values come in (from `describe_histogram!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl TimeUnit {
    /// The time unit of a facade unit, if it is one.
    pub(crate) fn of(unit: Unit) -> Option<Self> {
        match unit {
            Unit::Seconds => Some(Self::Seconds),
            Unit::Milliseconds => Some(Self::Milliseconds),
            Unit::Microseconds => Some(Self::Microseconds),
            Unit::Nanoseconds => Some(Self::Nanoseconds),
            _ => None,
        }
    }

    /// Nanoseconds per unit.
    fn nanos(self) -> u64 {
        match self {
            Self::Seconds => 1_000_000_000,
            Self::Milliseconds => 1_000_000,
            Self::Microseconds => 1_000,
            Self::Nanoseconds => 1,
        }
    }

    /// `v` of this unit as seconds for a timer line: seconds as given ([`number`]); an integral
    /// count of milliseconds, microseconds or nanoseconds exactly (`250` ms is `0.25`, through
    /// a [`Duration`], no floating point), a fractional one rounded to the nanosecond
    /// (spectatord's resolution). Negative values and NaN stay floats for the timer's filter
    /// to drop.
    #[inline]
    pub(crate) fn seconds(self, v: f64) -> Value<'static> {
        const U64_LIMIT: f64 = 18_446_744_073_709_551_616.0;
        if self == Self::Seconds {
            return number(v);
        }
        let per_unit = self.nanos();
        if (0.0..U64_LIMIT).contains(&v) {
            let units = v as u64;
            if units as f64 == v {
                let d = match self {
                    Self::Milliseconds => Duration::from_millis(units),
                    Self::Microseconds => Duration::from_micros(units),
                    _ => Duration::from_nanos(units),
                };
                return Value::from(d);
            }
            let nanos = (v * per_unit as f64).round();
            if nanos < U64_LIMIT {
                return Value::from(Duration::from_nanos(nanos as u64));
            }
        }
        Value::Float(v * per_unit as f64 / 1e9)
    }
}

/// A handle that can be copied for one thread: the copy updates the same meters (the
/// registry's, whose state is shared by id) and the same [`Seen`], and its own reference count
/// is the only word a `metrics::Counter` made from it writes: threads that call the macros for
/// one key at once do not fight over the map's handle's count (the per-thread cache, `cache`,
/// keeps the copies).
pub(crate) trait ThreadCopy: Sized {
    /// A copy for this thread.
    fn thread_copy(&self) -> Self;
}

/// A facade counter: `increment` adds to a counter (`c`), `absolute` sets a monotonic counter
/// (`U`) of the same id, created on the first `absolute`.
pub(crate) struct CounterHandle {
    counter: Counter,
    total: OnceLock<MonotonicCounterUint>,
    registry: Registry,
    pub(crate) seen: Seen,
}

impl CounterHandle {
    pub(crate) fn new(registry: &Registry, counter: Counter, seen: Seen) -> Self {
        Self {
            counter,
            total: OnceLock::new(),
            registry: registry.clone(),
            seen,
        }
    }

    /// The `U` meter of this counter's id (with the same common tags).
    fn total(&self) -> &MonotonicCounterUint {
        self.total
            .get_or_init(|| match self.counter.binding().id() {
                Some(id) => self.registry.monotonic_counter_uint_with_id(id),
                // The counter is disabled (its id was invalid and warned about): so is this.
                None => self.registry.monotonic_counter_uint("", &[]),
            })
    }
}

/// The counter's state is the registry's (an aggregated cell per id, or none): a copy is the
/// same counter.
impl ThreadCopy for CounterHandle {
    fn thread_copy(&self) -> Self {
        Self {
            counter: self.counter.clone(),
            total: self.total.clone(),
            registry: self.registry.clone(),
            seen: self.seen.clone(),
        }
    }
}

impl CounterFn for CounterHandle {
    #[inline]
    fn increment(&self, value: u64) {
        self.seen.touch();
        self.counter.increment_by(value);
    }

    #[inline]
    fn absolute(&self, value: u64) {
        self.seen.touch();
        self.total().set(value);
    }
}

/// A facade gauge: the gauge's current value as atomic `f64` bits, and the gauge (`g`) that
/// carries it.
pub(crate) struct GaugeHandle {
    value: AtomicU64,
    gauge: Gauge,
    pub(crate) seen: Seen,
}

impl GaugeHandle {
    pub(crate) fn new(gauge: Gauge, seen: Seen) -> Self {
        Self {
            value: AtomicU64::new(0.0f64.to_bits()),
            gauge,
            seen,
        }
    }

    /// Adds `delta` to the value (a compare-and-swap loop) and sends the result.
    #[inline]
    fn add(&self, delta: f64) {
        self.seen.touch();
        let mut current = self.value.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(current) + delta).to_bits();
            match self.value.compare_exchange_weak(
                current,
                new,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return self.publish(new),
                Err(now) => current = now,
            }
        }
    }

    /// Writes `bits` to the gauge, then again the current value for as long as it differs from
    /// what was written: when two threads race, the one that changed the value last writes
    /// last, so the gauge's last line (or aggregated figure) is the value after every update.
    ///
    /// Why it is exact: take the last write to the gauge, by thread X, of `w`. After it X
    /// reads the value (behind a sequentially consistent fence) and stops only if it is still
    /// `w`. Any change to the value after that read is followed, on its thread, by a write to
    /// the gauge, which would come after X's: so there is none, and the value stays `w`.
    #[inline]
    fn publish(&self, mut bits: u64) {
        loop {
            self.gauge.set(number(f64::from_bits(bits)));
            fence(Ordering::SeqCst);
            let now = self.value.load(Ordering::SeqCst);
            if now == bits {
                return;
            }
            bits = now;
        }
    }
}

impl GaugeFn for GaugeHandle {
    #[inline]
    fn increment(&self, value: f64) {
        self.add(value);
    }

    #[inline]
    fn decrement(&self, value: f64) {
        self.add(-value);
    }

    #[inline]
    fn set(&self, value: f64) {
        self.seen.touch();
        let bits = value.to_bits();
        self.value.store(bits, Ordering::SeqCst);
        self.publish(bits);
    }
}

/// What a facade histogram records into.
#[derive(Clone)]
pub(crate) enum HistogramMeter {
    /// `d`: no time unit described.
    Summary(DistributionSummary),
    /// `D`: no time unit, percentiles opted in.
    PercentileSummary(PercentileDistributionSummary),
    /// `t`: described with a time unit; values converted to seconds.
    Timer(Timer, TimeUnit),
    /// `T`: a time unit and percentiles opted in.
    PercentileTimer(PercentileTimer, TimeUnit),
}

/// A facade histogram.
pub(crate) struct HistogramHandle {
    meter: HistogramMeter,
    pub(crate) seen: Seen,
}

impl HistogramHandle {
    pub(crate) fn new(meter: HistogramMeter, seen: Seen) -> Self {
        Self { meter, seen }
    }
}

/// A histogram writes a line per value: a copy is the same histogram.
impl ThreadCopy for HistogramHandle {
    fn thread_copy(&self) -> Self {
        Self {
            meter: self.meter.clone(),
            seen: self.seen.clone(),
        }
    }
}

impl HistogramFn for HistogramHandle {
    #[inline]
    fn record(&self, value: f64) {
        self.seen.touch();
        match &self.meter {
            HistogramMeter::Summary(m) => m.record(number(value)),
            HistogramMeter::PercentileSummary(m) => m.record(number(value)),
            HistogramMeter::Timer(m, unit) => m.record(unit.seconds(value)),
            HistogramMeter::PercentileTimer(m, unit) => m.record(unit.seconds(value)),
        }
    }
}

/// The handle of every key refused by the meter cap: counts the updates it drops.
#[derive(Debug, Default)]
pub(crate) struct Refused {
    pub(crate) dropped: AtomicU64,
}

impl Refused {
    #[inline]
    fn drop_one(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl CounterFn for Refused {
    fn increment(&self, _: u64) {
        self.drop_one();
    }

    fn absolute(&self, _: u64) {
        self.drop_one();
    }
}

impl GaugeFn for Refused {
    fn increment(&self, _: f64) {
        self.drop_one();
    }

    fn decrement(&self, _: f64) {
        self.drop_one();
    }

    fn set(&self, _: f64) {
        self.drop_one();
    }
}

impl HistogramFn for Refused {
    fn record(&self, _: f64) {
        self.drop_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spectator_std::Config;

    /// The text of each value, as a timer line writes it.
    fn texts(values: &[Value<'_>]) -> Vec<String> {
        let config = Config::builder().location("memory").without_env().build();
        let registry = Registry::new(config.unwrap()).unwrap();
        let gauge = registry.gauge("v", &[]);
        for v in values {
            gauge.set(*v);
        }
        let lines = registry.memory_writer().unwrap().lines();
        lines.iter().map(|l| l["g:v:".len()..].to_owned()).collect()
    }

    #[test]
    fn integral_values_are_integers_others_python_floats() {
        let values = [30.0, -2.0, -0.0, 0.25, 1e20, f64::NAN, f64::INFINITY, 1e-5];
        assert_eq!(
            texts(&values.map(number)),
            ["30", "-2", "0", "0.25", "1e+20", "nan", "inf", "1e-05"]
        );
    }

    #[test]
    fn time_units_become_exact_seconds() {
        use TimeUnit::*;
        let cases = [
            Seconds.seconds(0.25),
            Seconds.seconds(2.0),
            Milliseconds.seconds(250.0),
            Milliseconds.seconds(1.5),
            Milliseconds.seconds(0.1),
            Microseconds.seconds(19.646),
            Microseconds.seconds(250.0),
            Nanoseconds.seconds(19_646.0),
            Nanoseconds.seconds(0.4),
            Milliseconds.seconds(1e16),
            Milliseconds.seconds(-1.0),
            Nanoseconds.seconds(f64::NAN),
        ];
        assert_eq!(
            texts(&cases),
            [
                "0.25",
                "2",
                "0.25",
                "0.0015",
                "0.0001",
                "1.9646e-05",
                "0.00025",
                "1.9646e-05",
                "0.0",
                "10000000000000.0",
                "-0.001",
                "nan"
            ]
        );
    }
}
