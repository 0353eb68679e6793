//! Meter handles of a [`Registry`](crate::Registry): the core's typed meters bound to the
//! registry's output. Cheap to clone and to keep; updating one formats a line on the stack and
//! sends it, with no heap allocation.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use spectator_core::meters as core;
use spectator_core::Value;

use crate::meter_id::MeterId;
use crate::registry::Shared;

macro_rules! meter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            meter: Option<core::$name<MeterId>>,
            shared: Arc<Shared>,
        }

        impl $name {
            pub(crate) fn new(id: Option<MeterId>, shared: Arc<Shared>) -> Self {
                Self { meter: id.map(core::$name::new), shared }
            }

            /// The id, or `None` for a meter disabled by an invalid id.
            pub fn id(&self) -> Option<&MeterId> {
                self.meter.as_ref().map(|m| m.id())
            }

            #[inline]
            fn with(&self, f: impl FnOnce(&core::$name<MeterId>, &mut &Shared)) {
                if let Some(m) = &self.meter {
                    f(m, &mut &*self.shared);
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.id()).finish()
            }
        }
    };
}

meter!(
    /// `A`: time since the last success, as seconds.
    AgeGauge
);
meter!(
    /// `c`: a counter, reported as a rate per second. Only values `> 0` are written.
    Counter
);
meter!(
    /// `S`: a distinct-count sketch. The public spectatord (429cd8d) rejects `S` lines.
    DistinctCountSketch
);
meter!(
    /// `d`: a distribution summary. Only values `>= 0` are written.
    DistributionSummary
);
meter!(
    /// `m`: the maximum value set in each interval.
    MaxGauge
);
meter!(
    /// `C`: a monotonically increasing total; spectatord reports the deltas.
    MonotonicCounter
);
meter!(
    /// `U`: a monotonically increasing `u64` total; spectatord reports the deltas.
    MonotonicCounterUint
);
meter!(
    /// `D`: a distribution summary with percentiles. Only values `>= 0` are written.
    PercentileDistributionSummary
);
meter!(
    /// `T`: a timer with percentiles, in seconds. Only values `>= 0` are written.
    PercentileTimer
);
meter!(
    /// `t`: a timer, in seconds. Only values `>= 0` are written.
    Timer
);

impl AgeGauge {
    /// Marks success now (writes `0`).
    pub fn now(&self) {
        self.with(|m, s| m.now(s));
    }

    /// Sets the time of the last success, in seconds since the epoch.
    pub fn set<'v>(&self, epoch_seconds: impl Into<Value<'v>>) {
        self.with(|m, s| m.set(s, epoch_seconds));
    }
}

impl Counter {
    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.with(|m, s| m.increment(s));
    }

    /// Adds `delta` (written only when `> 0`).
    #[inline]
    pub fn increment_by<'v>(&self, delta: impl Into<Value<'v>>) {
        self.with(|m, s| m.increment_by(s, delta));
    }
}

impl DistinctCountSketch {
    /// Records a string.
    pub fn record_str(&self, value: &str) {
        self.with(|m, s| m.record_str(s, value));
    }

    /// Records bytes.
    pub fn record_bytes(&self, value: &[u8]) {
        self.with(|m, s| m.record_bytes(s, value));
    }

    /// Records a signed integer.
    pub fn record_i64(&self, value: i64) {
        self.with(|m, s| m.record_i64(s, value));
    }

    /// Records an unsigned integer.
    pub fn record_u64(&self, value: u64) {
        self.with(|m, s| m.record_u64(s, value));
    }
}

macro_rules! record {
    ($($name:ident),*) => {$(
        impl $name {
            /// Records `amount` (written only when `>= 0`).
            #[inline]
            pub fn record<'v>(&self, amount: impl Into<Value<'v>>) {
                self.with(|m, s| m.record(s, amount));
            }
        }
    )*};
}

record!(
    DistributionSummary,
    PercentileDistributionSummary,
    Timer,
    PercentileTimer
);

macro_rules! set {
    ($($name:ident),*) => {$(
        impl $name {
            /// Sets the value.
            #[inline]
            pub fn set<'v>(&self, value: impl Into<Value<'v>>) {
                self.with(|m, s| m.set(s, value));
            }
        }
    )*};
}

set!(MaxGauge, MonotonicCounter);

impl MonotonicCounterUint {
    /// Sets the total (`x as u64` gives Python's `c_uint64` wrap-around of negatives).
    #[inline]
    pub fn set(&self, total: u64) {
        self.with(|m, s| m.set(s, total));
    }
}

/// Timers record seconds; [`StopWatch`](crate::StopWatch) works with both kinds.
pub trait RecordSeconds {
    /// Records a duration in seconds.
    fn record_seconds(&self, seconds: f64);

    /// Records a [`Duration`].
    fn record_duration(&self, duration: Duration) {
        self.record_seconds(duration.as_secs_f64());
    }
}

impl<T: RecordSeconds + ?Sized> RecordSeconds for &T {
    fn record_seconds(&self, seconds: f64) {
        (**self).record_seconds(seconds);
    }
}

impl RecordSeconds for Timer {
    fn record_seconds(&self, seconds: f64) {
        self.record(seconds);
    }
}

impl RecordSeconds for PercentileTimer {
    fn record_seconds(&self, seconds: f64) {
        self.record(seconds);
    }
}

/// `g`: the last value set, optionally with a TTL in seconds.
#[derive(Clone)]
pub struct Gauge {
    meter: Option<core::Gauge<MeterId>>,
    shared: Arc<Shared>,
}

impl Gauge {
    pub(crate) fn new(id: Option<MeterId>, shared: Arc<Shared>) -> Self {
        Self {
            meter: id.map(core::Gauge::new),
            shared,
        }
    }

    pub(crate) fn with_ttl(id: Option<MeterId>, shared: Arc<Shared>, ttl_seconds: u32) -> Self {
        let Some(ttl) = NonZeroU32::new(ttl_seconds) else {
            log::warn!(target: "spectator::meter_id", "gauge TTL 0 is rejected by spectatord; using its default TTL");
            return Self::new(id, shared);
        };
        Self {
            meter: id.map(|id| core::Gauge::with_ttl(id, ttl)),
            shared,
        }
    }

    /// The id, or `None` for a meter disabled by an invalid id.
    pub fn id(&self) -> Option<&MeterId> {
        self.meter.as_ref().map(|m| m.id())
    }

    /// The TTL written with each line.
    pub fn ttl(&self) -> Option<NonZeroU32> {
        self.meter.as_ref().and_then(|m| m.ttl())
    }

    /// Sets the value (every value is written, NaN included).
    #[inline]
    pub fn set<'v>(&self, value: impl Into<Value<'v>>) {
        if let Some(m) = &self.meter {
            m.set(&mut &*self.shared, value);
        }
    }
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge")
            .field("id", &self.id())
            .field("ttl", &self.ttl())
            .finish()
    }
}
