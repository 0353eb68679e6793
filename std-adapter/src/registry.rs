//! [`Registry`]: spectator-py's `Registry`, shared across threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use spectator_core::{CommonTags, IdError, Measurement, Sink, Stats};

use crate::config::Config;
use crate::error::ConfigError;
use crate::meter_id::{MeterId, Rendered};
use crate::meters::*;
use crate::output::{AtomicStats, MemoryWriter, Output};

/// What every meter of a registry shares.
pub(crate) struct Shared {
    config: Config,
    output: Output,
    stats: AtomicStats,
    closed: AtomicBool,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Shared {
    /// Writes one measurement of a meter whose line up to the value is `prefix` (see
    /// [`MeterSink`]); dropped once the registry is closed.
    #[inline]
    fn write_prefixed(&self, prefix: &str, m: &Measurement<'_>) {
        if !self.closed.load(Ordering::Relaxed) {
            self.output
                .write_prefixed(prefix, m, &self.stats, &self.closed);
        }
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        log::debug!(target: "spectator::registry", "Close Registry Writer");
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

/// What a meter handle writes through: the registry's state and the meter's line up to the
/// value, `symbol[,ttl]:id:` ([`line_prefix`]), rendered once when the meter was created, so a
/// buffered update copies it and formats only the value.
pub(crate) struct MeterSink<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) prefix: &'a str,
}

impl Sink for MeterSink<'_> {
    #[inline]
    fn record(&mut self, m: &Measurement<'_>) {
        #[cfg(debug_assertions)]
        check_prefix(self.prefix, m);
        self.shared.write_prefixed(self.prefix, m);
    }
}

/// `m`'s line without its value: `symbol[,ttl]:id:`, the prefix a meter renders once.
pub(crate) fn line_prefix(m: &Measurement<'_>) -> Arc<str> {
    let mut prefix = Rendered(String::with_capacity(m.line_len()));
    let _ = m.write_prefix_to(&mut prefix);
    Arc::from(prefix.0)
}

/// Debug builds (the tests) check that a meter's prefix is its measurements' (on the stack:
/// the hot path stays allocation-free there too).
#[cfg(debug_assertions)]
fn check_prefix(prefix: &str, m: &Measurement<'_>) {
    let mut line: heapless::Vec<u8, 1024> = heapless::Vec::new();
    if m.write_to(&mut line).is_ok() {
        debug_assert!(
            line.starts_with(prefix.as_bytes())
                && line.len() == prefix.len() + m.value.rendered_len(),
            "meter prefix {prefix:?} is not that of {m:?}"
        );
    }
}

/// Flushes `shared` every `interval` until it is closed or gone; holds no strong reference
/// while sleeping, so it never keeps a registry alive.
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
                shared.output.flush();
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
        let needs_flusher = output.needs_flusher();
        let interval = config.flush_interval();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = Arc::new(Shared {
            config,
            output,
            stats: AtomicStats::default(),
            closed: AtomicBool::new(false),
            stop: Arc::clone(&stop),
        });
        if needs_flusher && !interval.is_zero() {
            log::info!(target: "spectator::writer", "start background flush, every {interval:?}");
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

    /// Lines, bytes and datagrams sent, lines dropped and send errors so far.
    pub fn stats(&self) -> Stats {
        self.shared.output.stats(&self.shared.stats)
    }

    /// Sends buffered lines and flushes file or stdout output now.
    pub fn flush(&self) {
        self.shared.output.flush();
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
                    $meter::new(self.id_or_warn(name, tags), Arc::clone(&self.shared))
                }

                #[doc = concat!("A [`", stringify!($meter), "`] for an existing id, used as is (no common tags added).")]
                pub fn $with_id(&self, id: &MeterId) -> $meter {
                    $meter::new(Some(id.clone()), Arc::clone(&self.shared))
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
        Gauge::with_ttl(
            self.id_or_warn(name, tags),
            Arc::clone(&self.shared),
            ttl_seconds,
        )
    }

    /// [`gauge_with_ttl`](Self::gauge_with_ttl) for an existing id.
    pub fn gauge_with_id_and_ttl(&self, id: &MeterId, ttl_seconds: u32) -> Gauge {
        Gauge::with_ttl(Some(id.clone()), Arc::clone(&self.shared), ttl_seconds)
    }
}
