//! A registry's meters: the core's eleven meters ([`spectator_core::meters`]) bound to the
//! registry by a [`MeterBinding`], so that updates take no sink: `counter.increment()`.
//!
//! The meter types and their methods are the core's, defined once there; this module only
//! supplies what a registry meter writes through (its rendered line prefix and the registry's
//! output) and names the bound types. Meters are cheap to clone and to keep; an update copies
//! the prefix and formats the value, with no heap allocation on the socket outputs.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use spectator_core::meters::{self as core, Binding, Bound};
use spectator_core::{prefix, MeterKind, Value};

use crate::aggregation::{aggregates, AggregatedCell};
use crate::meter_id::{MeterId, Rendered};
use crate::registry::Shared;

/// What a registry meter writes through: its id, its line prefix `symbol[,ttl]:id:` rendered
/// once with the core's [`prefix::render`], and the registry's output.
///
/// Reach it with `meter.binding()`:
///
/// ```
/// use spectator_std::{Config, Registry};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let gauge = registry.gauge_with_ttl("queue.size", &[("q", "in")], 60);
/// assert_eq!(gauge.binding().id().unwrap().spectatord_id(), "queue.size,q=in");
/// assert_eq!(gauge.binding().ttl().map(|t| t.get()), Some(60));
/// assert_eq!(gauge.binding().prefix(), "g,60:queue.size,q=in:");
/// // An invalid id (an empty name) gives a meter that drops every update.
/// let disabled = registry.counter("", &[]);
/// assert!(disabled.binding().id().is_none());
/// disabled.increment();
/// assert!(registry.memory_writer().unwrap().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MeterBinding {
    /// `None` for a meter disabled by an invalid id.
    id: Option<MeterId>,
    /// The line up to the value; empty for a disabled meter.
    prefix: Arc<str>,
    ttl: Option<NonZeroU32>,
    /// The id's aggregation cell, when the registry aggregates this kind.
    cell: Option<Arc<AggregatedCell>>,
    shared: Arc<Shared>,
}

impl MeterBinding {
    /// Binds a meter of `kind` with `id` (`None`: disabled) to the registry's `shared` state,
    /// rendering its prefix. `ttl` is written for gauges only.
    pub(crate) fn new(
        kind: MeterKind,
        id: Option<MeterId>,
        ttl: Option<NonZeroU32>,
        shared: Arc<Shared>,
    ) -> Self {
        let ttl = ttl.filter(|_| kind == MeterKind::Gauge);
        let prefix = id.as_ref().map_or_else(
            || Arc::from(""),
            |id| {
                let id = id.spectatord_id();
                let mut text = Rendered(String::with_capacity(prefix::rendered_len(kind, ttl, id)));
                let _ = prefix::render(kind, ttl, id, &mut text);
                Arc::from(text.0)
            },
        );
        let cell = match (&id, &shared.aggregator) {
            (Some(_), Some(aggregator)) if aggregates(kind) => Some(aggregator.cell(kind, &prefix)),
            _ => None,
        };
        Self {
            id,
            prefix,
            ttl,
            cell,
            shared,
        }
    }

    /// The meter's id, or `None` for a meter disabled by an invalid id.
    pub fn id(&self) -> Option<&MeterId> {
        self.id.as_ref()
    }

    /// The gauge TTL written with each line (`g,<ttl>:…`), if any.
    pub fn ttl(&self) -> Option<NonZeroU32> {
        self.ttl
    }

    /// The line prefix `symbol[,ttl]:id:` every update writes before its value (empty for a
    /// disabled meter).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether this meter's updates are aggregated ([`ConfigBuilder::aggregate`](crate::ConfigBuilder::aggregate)).
    pub fn is_aggregated(&self) -> bool {
        self.cell.is_some()
    }
}

/// Writes the prefix and the value (already through the kind's filter) to the registry's
/// output, or folds the value into the meter's aggregation cell, unless the registry is closed
/// or the meter disabled.
impl Binding for MeterBinding {
    #[inline]
    fn update(&self, kind: MeterKind, value: Value<'_>) {
        let shared = &*self.shared;
        if let Some(cell) = &self.cell {
            if !shared.closed.load(std::sync::atomic::Ordering::Relaxed) {
                cell.update(&value);
            }
        } else if self.id.is_some() {
            let order_free = kind.is_order_free();
            shared
                .output
                .record(&self.prefix, &value, &shared.closed, order_free);
        }
    }
}

impl fmt::Debug for MeterBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeterBinding")
            .field("id", &self.id)
            .field("prefix", &&*self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// `A`: the time since the last success, reported as seconds ([`core::AgeGauge`] bound to a
/// registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// let last_success = registry.age_gauge("job.lastSuccess", &[]);
/// last_success.now(); // spectatord replaces 0 by its current time
/// last_success.set(1_700_000_000);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["A:job.lastSuccess:0", "A:job.lastSuccess:1700000000"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type AgeGauge = core::AgeGauge<Bound<MeterBinding>>;

/// `c`: a counter, reported as a rate per second; only values `> 0` are written
/// ([`core::Counter`] bound to a registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// let requests = registry.counter("server.numRequests", &[("status", "200")]);
/// requests.increment();
/// requests.increment_by(2.5);
/// requests.increment_by(0); // not written
/// assert_eq!(
///     registry.memory_writer().unwrap().lines(),
///     ["c:server.numRequests,status=200:1", "c:server.numRequests,status=200:2.5"]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Counter = core::Counter<Bound<MeterBinding>>;

/// `S`: a distinct-count sketch ([`core::DistinctCountSketch`] bound to a registry). The public
/// spectatord (429cd8d) rejects `S` lines; it is here for parity with spectator-py.
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.distinct_count_sketch("users", &[]).record_str("héllo");
/// assert_eq!(registry.memory_writer().unwrap().last_line().as_deref(), Some("S:users:aMOpbGxv"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DistinctCountSketch = core::DistinctCountSketch<Bound<MeterBinding>>;

/// `d`: a distribution summary; only values `>= 0` are written ([`core::DistributionSummary`]
/// bound to a registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// let sizes = registry.distribution_summary("response.size", &[]);
/// sizes.record(1024);
/// sizes.record(-1); // not written
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["d:response.size:1024"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DistributionSummary = core::DistributionSummary<Bound<MeterBinding>>;

/// `g`: the last value set, with spectatord's default TTL or the one given to
/// [`Registry::gauge_with_ttl`](crate::Registry::gauge_with_ttl) ([`core::Gauge`] bound to a
/// registry; the TTL is in its [`binding`](core::Gauge::binding)).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.gauge("queue.size", &[]).set(42);
/// registry.gauge_with_ttl("queue.size", &[], 60).set(f64::NAN);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["g:queue.size:42", "g,60:queue.size:nan"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Gauge = core::Gauge<Bound<MeterBinding>>;

/// `m`: the maximum of the values set in each interval ([`core::MaxGauge`] bound to a
/// registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.max_gauge("temp.max", &[]).set(-1.5);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["m:temp.max:-1.5"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type MaxGauge = core::MaxGauge<Bound<MeterBinding>>;

/// `C`: a monotonically increasing total; spectatord reports the deltas
/// ([`core::MonotonicCounter`] bound to a registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.monotonic_counter("bytes.in", &[]).set(1e16);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["C:bytes.in:1e+16"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type MonotonicCounter = core::MonotonicCounter<Bound<MeterBinding>>;

/// `U`: a monotonically increasing `u64` total; spectatord reports the deltas
/// ([`core::MonotonicCounterUint`] bound to a registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.monotonic_counter_uint("packets", &[]).set(u64::MAX);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["U:packets:18446744073709551615"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type MonotonicCounterUint = core::MonotonicCounterUint<Bound<MeterBinding>>;

/// `D`: a distribution summary with percentiles; only values `>= 0` are written
/// ([`core::PercentileDistributionSummary`] bound to a registry).
///
/// ```
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// registry.pct_distribution_summary("payload", &[]).record(7);
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["D:payload:7"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PercentileDistributionSummary = core::PercentileDistributionSummary<Bound<MeterBinding>>;

/// `T`: a timer with percentiles, in seconds; only values `>= 0` are written
/// ([`core::PercentileTimer`] bound to a registry). Time a scope with a
/// [`StopWatch`](crate::StopWatch).
///
/// ```
/// # use std::time::Duration;
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// let latency = registry.pct_timer("server.requestLatency", &[]);
/// latency.record_duration(Duration::from_nanos(19_646)); // exact, no float
/// latency.record(0.25);
/// assert_eq!(
///     registry.memory_writer().unwrap().lines(),
///     ["T:server.requestLatency:1.9646e-05", "T:server.requestLatency:0.25"]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PercentileTimer = core::PercentileTimer<Bound<MeterBinding>>;

/// `t`: a timer, in seconds; only values `>= 0` are written ([`core::Timer`] bound to a
/// registry). Time a scope with a [`StopWatch`](crate::StopWatch).
///
/// ```
/// # use std::time::Duration;
/// # let registry = spectator_std::Registry::new(spectator_std::Config::builder().location("memory").without_env().build()?)?;
/// let latency = registry.timer("request.latency", &[]);
/// latency.record_duration(Duration::from_micros(250));
/// latency.record(-1.0); // not written
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["t:request.latency:0.00025"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Timer = core::Timer<Bound<MeterBinding>>;

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
        use crate::RecordDuration;
        let r = memory_registry();
        let timer = r.timer("t", &[]);
        timer.record(Duration::from_micros(250));
        timer.record_duration(Duration::new(1, 1));
        fn through<T: RecordDuration>(timer: T, d: Duration) {
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
    fn bindings_show_their_id_prefix_and_ttl() {
        let r = memory_registry();
        let g = r.gauge_with_ttl("g", &[("k", "v")], 60);
        assert_eq!(
            format!("{:?}", g.binding()),
            "MeterBinding { id: Some(MeterId(name=g, tags={'k': 'v'})), prefix: \"g,60:g,k=v:\", ttl: Some(60), .. }"
        );
        // Only gauges have a TTL; TTL 0 means spectatord's default.
        assert_eq!(r.gauge_with_ttl("g", &[], 0).binding().prefix(), "g:g:");
        let c = r.counter("", &[]);
        assert_eq!((c.binding().id(), c.binding().prefix()), (None, ""));
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
