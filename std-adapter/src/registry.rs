//! [`Registry`]: spectator-py's `Registry`, shared across threads.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use spectator_core::meters::Bound;
use spectator_core::{CommonTags, IdError, MeterKind, Stats};

use crate::aggregation::Aggregator;
use crate::binding::*;
use crate::config::Config;
use crate::error::ConfigError;
use crate::meter_id::MeterId;
use crate::output::{MemoryWriter, Output};

/// What every meter of a registry shares: a [`MeterBinding`] writes its lines to `output`, which
/// drops them once `closed`.
pub(crate) struct Shared {
    config: Config,
    pub(crate) output: Output,
    pub(crate) closed: AtomicBool,
    /// The aggregation cells, when [`Config::aggregate`] is on.
    pub(crate) aggregator: Option<Aggregator>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Shared {
    /// Writes the aggregated meters' lines of the interval to the output (even while
    /// closing: `open` is the output's closed flag to obey, or a fresh one at close).
    fn report(&self, open: &AtomicBool) {
        if let Some(aggregator) = &self.aggregator {
            // In order through the shared buffer: the report's thread keeps no lane.
            aggregator.report(|prefix, value| self.output.record(prefix, value, open, false));
        }
    }

    /// What the background thread does every interval: the aggregation report, then a flush.
    fn tick(&self) {
        self.report(&self.closed);
        self.output.flush();
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        log::debug!(target: "spectator::registry", "Close Registry Writer");
        // Updates stop at `closed`; what the cells took before is reported once more.
        self.report(&AtomicBool::new(false));
        self.output.close();
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close();
    }
}

/// Reports aggregated meters and flushes `shared` every `interval` until it is closed or gone;
/// holds no strong reference while sleeping, so it never keeps a registry alive.
fn spawn_flusher(shared: Weak<Shared>, stop: Arc<(Mutex<bool>, Condvar)>, interval: Duration) {
    let spawned = std::thread::Builder::new()
        .name("spectator-flush".into())
        .spawn(move || {
            let (stopped, wake) = &*stop;
            let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if *guard {
                    return;
                }
                let (g, _) = wake
                    .wait_timeout(guard, interval)
                    .unwrap_or_else(|p| p.into_inner());
                guard = g;
                if *guard {
                    return;
                }
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                drop(guard);
                shared.tick();
                drop(shared);
                guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
            }
        });
    if let Err(e) = spawned {
        log::error!(target: "spectator::registry", "cannot start the background flush: {e}");
    }
}

/// Creates meters and sends their lines to the configured output. Cheap to clone, `Send` and
/// `Sync`; meters keep the registry's output alive.
///
/// Buffered and file/stdout output is flushed every [`Config::flush_interval`] in the
/// background, on [`close`](Registry::close), and when the last registry or meter handle is
/// dropped, so a short batch job loses nothing at exit.
///
/// ```
/// use spectator_std::{Config, Registry};
/// let registry = Registry::new(Config::builder().location("memory").extra_common_tag("nf.app", "www").without_env().build()?)?;
/// let requests = registry.counter("server.numRequests", &[("status", "200")]);
/// requests.increment();
/// registry.gauge_with_ttl("queue.size", &[], 60).set(42);
/// let lines = registry.memory_writer().unwrap().lines();
/// assert_eq!(lines, ["c:server.numRequests,nf.app=www,status=200:1", "g,60:queue.size,nf.app=www:42"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A registry for `config`; fails if the output cannot be opened (a file in a missing
    /// directory, no sockets available).
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        log::info!(
            target: "spectator::registry",
            "Create Registry with extra_common_tags={:?}",
            config.extra_common_tags()
        );
        let output = Output::open(&config)?;
        log::info!(target: "spectator::writer", "initialize writer to {} (buffer_size={})", config.location(), config.buffer_size());
        let needs_flusher = output.needs_flusher() || config.aggregate().is_some();
        // With aggregation, the report interval paces the flushes too: its lines leave at once.
        let interval = config.aggregate().unwrap_or(config.flush_interval());
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let aggregator = config.aggregate().map(|_| Aggregator::new());
        let shared = Arc::new(Shared {
            config,
            output,
            closed: AtomicBool::new(false),
            aggregator,
            stop: Arc::clone(&stop),
        });
        if needs_flusher && !interval.is_zero() {
            log::info!(target: "spectator::writer", "start background flush and aggregation report, every {interval:?}");
            spawn_flusher(Arc::downgrade(&shared), stop, interval);
        }
        Ok(Self { shared })
    }

    /// A registry configured from the defaults and the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(Config::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The memory writer, for a `memory` registry.
    pub fn memory_writer(&self) -> Option<&MemoryWriter> {
        self.shared.output.memory_writer()
    }

    /// Lines, bytes and datagrams sent, lines dropped and send errors so far; with
    /// aggregation, also the updates aggregated and the lines their reports wrote.
    pub fn stats(&self) -> Stats {
        let mut stats = self.shared.output.stats();
        if let Some(aggregator) = &self.shared.aggregator {
            (stats.aggregated_updates, stats.aggregated_lines) = aggregator.counts();
        }
        stats
    }

    /// Reports aggregated meters, sends buffered lines and flushes file or stdout output now.
    pub fn flush(&self) {
        self.shared.tick();
    }

    /// Flushes, then drops every later write (spectator-py's `close()`). If spectatord is not
    /// reading, waits at most 100 ms for it before dropping (and counting) what is left.
    pub fn close(&self) {
        self.shared.close();
    }

    /// An id with the extra common tags and environment tags applied (spec §3.4).
    pub fn new_id(&self, name: &str, tags: &[(&str, &str)]) -> Result<MeterId, IdError> {
        let config = &self.shared.config;
        let extra: Vec<(&str, &str)> = config
            .extra_common_tags()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let common = CommonTags {
            extra: &extra,
            container: config.container(),
            process: config.process(),
        };
        MeterId::with_common_tags(name, tags, &common)
    }

    fn id_or_warn(&self, name: &str, tags: &[(&str, &str)]) -> Option<MeterId> {
        self.new_id(name, tags)
            .map_err(|e| log::warn!(target: "spectator::meter_id", "meter {name:?} disabled: {e}"))
            .ok()
    }

    /// A meter of `kind` bound to this registry (see [`MeterBinding`]).
    fn bind(
        &self,
        kind: MeterKind,
        id: Option<MeterId>,
        ttl: Option<NonZeroU32>,
    ) -> Bound<MeterBinding> {
        Bound::new(MeterBinding::new(kind, id, ttl, Arc::clone(&self.shared)))
    }
}

/// A registry that a background task (runtime metrics) refers to without keeping it alive:
/// [`upgrade`](Self::upgrade) gives it while it is open, and [`close_signal`](Self::close_signal)
/// is the registry's own, set and notified when it is closed or dropped.
#[derive(Clone)]
pub(crate) struct WeakRegistry {
    shared: Weak<Shared>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl WeakRegistry {
    /// The registry, unless it was dropped or closed.
    pub(crate) fn upgrade(&self) -> Option<Registry> {
        let shared = self.shared.upgrade()?;
        (!shared.closed.load(Ordering::Relaxed)).then_some(Registry { shared })
    }

    /// `true` once the registry is closed or dropped; its condition variable is notified then
    /// (the background flush waits on it too, so a notification must not mean "closed").
    pub(crate) fn close_signal(&self) -> &(Mutex<bool>, Condvar) {
        &self.stop
    }
}

impl Registry {
    /// A reference that does not keep this registry alive.
    pub(crate) fn downgrade(&self) -> WeakRegistry {
        WeakRegistry {
            shared: Arc::downgrade(&self.shared),
            stop: Arc::clone(&self.shared.stop),
        }
    }
}

macro_rules! factories {
    ($($(#[$doc:meta])* $method:ident, $with_id:ident => $meter:ident;)*) => {
        impl Registry {
            $(
                $(#[$doc])*
                /// The id gets the common tags; an invalid id (empty name) gives a meter that
                /// drops every update, with one warning.
                pub fn $method(&self, name: &str, tags: &[(&str, &str)]) -> $meter {
                    $meter::new(self.bind($meter::KIND, self.id_or_warn(name, tags), None))
                }

                #[doc = concat!("A [`", stringify!($meter), "`] for an existing id, used as is (no common tags added).")]
                pub fn $with_id(&self, id: &MeterId) -> $meter {
                    $meter::new(self.bind($meter::KIND, Some(id.clone()), None))
                }
            )*
        }
    };
}

factories! {
    /// An age gauge (`A`).
    age_gauge, age_gauge_with_id => AgeGauge;
    /// A counter (`c`).
    counter, counter_with_id => Counter;
    /// A distinct-count sketch (`S`); the public spectatord rejects its lines.
    distinct_count_sketch, distinct_count_sketch_with_id => DistinctCountSketch;
    /// A distribution summary (`d`).
    distribution_summary, distribution_summary_with_id => DistributionSummary;
    /// A gauge (`g`) with spectatord's default TTL.
    gauge, gauge_with_id => Gauge;
    /// A max gauge (`m`).
    max_gauge, max_gauge_with_id => MaxGauge;
    /// A monotonic counter (`C`).
    monotonic_counter, monotonic_counter_with_id => MonotonicCounter;
    /// A `u64` monotonic counter (`U`).
    monotonic_counter_uint, monotonic_counter_uint_with_id => MonotonicCounterUint;
    /// A percentile distribution summary (`D`).
    pct_distribution_summary, pct_distribution_summary_with_id => PercentileDistributionSummary;
    /// A percentile timer (`T`).
    pct_timer, pct_timer_with_id => PercentileTimer;
    /// A timer (`t`).
    timer, timer_with_id => Timer;
}

impl Registry {
    /// A gauge whose lines carry a TTL in seconds (`g,60:…`). A TTL of 0, which spectatord
    /// rejects, is replaced by spectatord's default TTL with a warning (spectator-py writes
    /// `g,0`).
    pub fn gauge_with_ttl(&self, name: &str, tags: &[(&str, &str)], ttl_seconds: u32) -> Gauge {
        Gauge::new(self.bind(Gauge::KIND, self.id_or_warn(name, tags), ttl(ttl_seconds)))
    }

    /// [`gauge_with_ttl`](Self::gauge_with_ttl) for an existing id.
    pub fn gauge_with_id_and_ttl(&self, id: &MeterId, ttl_seconds: u32) -> Gauge {
        Gauge::new(self.bind(Gauge::KIND, Some(id.clone()), ttl(ttl_seconds)))
    }
}

/// A gauge TTL; 0, which spectatord rejects, is `None` (spectatord's default TTL), with a warning.
fn ttl(seconds: u32) -> Option<NonZeroU32> {
    let ttl = NonZeroU32::new(seconds);
    if ttl.is_none() {
        log::warn!(target: "spectator::meter_id", "gauge TTL 0 is rejected by spectatord; using its default TTL");
    }
    ttl
}
