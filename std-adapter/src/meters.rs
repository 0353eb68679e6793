//! Meter handles of a [`Registry`](crate::Registry): the core's typed meters bound to the
//! registry's output. Cheap to clone and to keep; updating one formats a line on the stack and
//! sends it, with no heap allocation.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use spectator_core::meters as core;
use spectator_core::{Measurement, Value};

use crate::meter_id::MeterId;
use crate::registry::{line_prefix, MeterSink, Shared};

macro_rules! meter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            meter: Option<core::$name<MeterId>>,
            /// The line up to the value, `symbol:id:` (empty for a disabled meter).
            prefix: Arc<str>,
            shared: Arc<Shared>,
        }

        impl $name {
            pub(crate) fn new(id: Option<MeterId>, shared: Arc<Shared>) -> Self {
                let prefix = id.as_ref().map_or_else(
                    || Arc::from(""),
                    |id| {
                        let kind = core::$name::<MeterId>::KIND;
                        line_prefix(&Measurement::new(kind, id.spectatord_id(), Value::Int(0)))
                    },
                );
                Self { meter: id.map(core::$name::new), prefix, shared }
            }

            /// The id, or `None` for a meter disabled by an invalid id.
            pub fn id(&self) -> Option<&MeterId> {
                self.meter.as_ref().map(|m| m.id())
            }

            #[inline]
            fn with(&self, f: impl FnOnce(&core::$name<MeterId>, &mut MeterSink<'_>)) {
                if let Some(m) = &self.meter {
                    f(m, &mut MeterSink { shared: &self.shared, prefix: &self.prefix });
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

    fn record_duration(&self, duration: Duration) {
        (**self).record_duration(duration);
    }
}

impl RecordSeconds for Timer {
    fn record_seconds(&self, seconds: f64) {
        self.record(seconds);
    }

    /// The exact seconds, as the core writes them (`0.00025` for 250 µs; see
    /// [`spectator_core::decimal`]).
    fn record_duration(&self, duration: Duration) {
        self.record(duration);
    }
}

impl RecordSeconds for PercentileTimer {
    fn record_seconds(&self, seconds: f64) {
        self.record(seconds);
    }

    /// The exact seconds, as the core writes them.
    fn record_duration(&self, duration: Duration) {
        self.record(duration);
    }
}

/// `g`: the last value set, optionally with a TTL in seconds.
#[derive(Clone)]
pub struct Gauge {
    meter: Option<core::Gauge<MeterId>>,
    /// The line up to the value, `g[,ttl]:id:` (empty for a disabled gauge).
    prefix: Arc<str>,
    shared: Arc<Shared>,
}

impl Gauge {
    pub(crate) fn new(id: Option<MeterId>, shared: Arc<Shared>) -> Self {
        Self::bind(id.map(core::Gauge::new), shared)
    }

    pub(crate) fn with_ttl(id: Option<MeterId>, shared: Arc<Shared>, ttl_seconds: u32) -> Self {
        let Some(ttl) = NonZeroU32::new(ttl_seconds) else {
            log::warn!(target: "spectator::meter_id", "gauge TTL 0 is rejected by spectatord; using its default TTL");
            return Self::new(id, shared);
        };
        Self::bind(id.map(|id| core::Gauge::with_ttl(id, ttl)), shared)
    }

    fn bind(meter: Option<core::Gauge<MeterId>>, shared: Arc<Shared>) -> Self {
        let prefix = meter
            .as_ref()
            .map_or_else(|| Arc::from(""), |m| line_prefix(&m.measure(Value::Int(0))));
        Self {
            meter,
            prefix,
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
            let mut sink = MeterSink {
                shared: &self.shared,
                prefix: &self.prefix,
            };
            m.set(&mut sink, value);
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

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::time::Duration;

    use crate::{Config, Registry};

    /// One update of every meter kind, with values of every type.
    fn updates(r: &Registry) {
        let tags = [("nf.app", "www"), ("status", "200")];
        r.age_gauge("a", &tags).now();
        r.age_gauge("a", &[]).set(1_700_000_000);
        let c = r.counter("server.numRequests", &tags);
        c.increment();
        c.increment_by(2.5);
        c.increment_by(0); // filtered out
        c.increment_by(u64::MAX);
        r.distinct_count_sketch("s", &tags).record_str("héllo");
        r.distinct_count_sketch("s", &[]).record_i64(-1);
        r.distribution_summary("d", &tags).record(512);
        r.distribution_summary("d", &tags).record(-1); // filtered out
        r.gauge("g", &tags).set(f64::NAN);
        r.gauge_with_ttl("g", &tags, 60).set(-42);
        r.gauge_with_ttl("g", &[], 0).set(1); // TTL 0: the default TTL
        r.max_gauge("m", &tags).set(-3);
        r.monotonic_counter("C", &tags).set(1e16);
        r.monotonic_counter_uint("U", &tags).set(u64::MAX);
        r.pct_distribution_summary("D", &tags).record(7);
        r.pct_timer("T", &tags).record(0.00001);
        r.timer("t", &tags)
            .record(Duration::from_micros(250).as_secs_f64());
        r.timer("t", &[]).record(Duration::new(1, 1));
        r.counter("", &[]).increment(); // disabled: invalid id
    }

    fn memory_registry() -> Registry {
        let config = Config::builder().location("memory").without_env().build();
        Registry::new(config.unwrap()).unwrap()
    }

    #[test]
    fn durations_are_exact_seconds_through_every_path() {
        use crate::meters::RecordSeconds;
        let r = memory_registry();
        let timer = r.timer("t", &[]);
        timer.record(Duration::from_micros(250));
        timer.record_duration(Duration::new(1, 1));
        fn through<T: RecordSeconds>(timer: T, d: Duration) {
            timer.record_duration(d);
        }
        through(&timer, Duration::from_millis(1500));
        r.pct_timer("T", &[])
            .record_duration(Duration::from_nanos(12_345));
        assert_eq!(
            r.memory_writer().unwrap().lines(),
            [
                "t:t:0.00025",
                "t:t:1.000000001",
                "t:t:1.5",
                "T:T:1.2345e-05"
            ]
        );
    }

    #[test]
    fn buffered_lines_are_the_memory_lines() {
        let memory = memory_registry();
        updates(&memory);
        let expected = memory.memory_writer().unwrap().lines();
        assert_eq!(expected.len(), 18);
        assert_eq!(expected[0], "A:a,nf.app=www,status=200:0", "{expected:?}");

        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let addr = receiver.local_addr().unwrap();
        let buffered = Registry::new(
            Config::builder()
                .location(&format!("udp://{addr}"))
                .buffer_size(2048)
                .without_env()
                .build()
                .unwrap(),
        )
        .unwrap();
        updates(&buffered);
        buffered.flush();
        let mut datagram = vec![0u8; 4096];
        let n = receiver.recv(&mut datagram).unwrap();
        let text = std::str::from_utf8(&datagram[..n]).unwrap();
        assert_eq!(text.split('\n').collect::<Vec<_>>(), expected);
        assert_eq!(buffered.stats().lines_sent, 18);
    }
}
