//! [`SpectatorRecorder`]: the `metrics` facade's [`Recorder`], keys to handles in a sharded map.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use spectator_std::{Clock, Registry, SystemClock};

use crate::builder::{Builder, Options};
use crate::cache::{self, Cacheable};
use crate::handles::{
    CounterHandle, GaugeHandle, HistogramHandle, HistogramMeter, Refused, Seen, TimeUnit,
};

/// A `Hasher` that passes a [`Key`]'s hash through: `Key` computed it when it was built (at
/// compile time for the macros' static keys), so a lookup hashes nothing.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached (keys write their one u64); a plain FNV-1a for anything else.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Key equality, by address first. A key stored for a macro's static key shares its name and
/// label slice (`Key::to_retained` keeps borrowed and shared parts), and the same literal at
/// another call site is usually the same text in the binary (the compiler merges equal
/// literals): then a lookup compares pointers and no text. Equal addresses are equal contents,
/// since the stored key's parts live as long as it does. Otherwise, the text; and for labels
/// in another order, `Key`'s own equality.
#[inline]
pub(crate) fn same_key(a: &Key, b: &Key) -> bool {
    #[inline]
    fn same_str(x: &str, y: &str) -> bool {
        std::ptr::eq(x, y) || x == y
    }
    if a.get_hash() != b.get_hash() || !same_str(a.name(), b.name()) {
        return false;
    }
    let (la, lb) = (a.labels().as_slice(), b.labels().as_slice());
    if std::ptr::eq(la, lb) {
        return true;
    }
    la.len() == lb.len()
        && (la
            .iter()
            .zip(lb)
            .all(|(x, y)| same_str(x.key(), y.key()) && same_str(x.value(), y.value()))
            || a == b)
}

/// A key as the map looks it up: a stored [`MapKey`] or a caller's `&Key`, borrowed as the
/// same trait object, hashed and compared with [`same_key`].
trait AsKey {
    fn key(&self) -> &Key;
}

impl AsKey for Key {
    fn key(&self) -> &Key {
        self
    }
}

impl Hash for dyn AsKey + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.key().get_hash());
    }
}

impl PartialEq for dyn AsKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        same_key(self.key(), other.key())
    }
}

impl Eq for dyn AsKey + '_ {}

/// A stored key (retained: cheap to clone, never borrowing the caller's data).
struct MapKey(Key);

impl AsKey for MapKey {
    fn key(&self) -> &Key {
        &self.0
    }
}

impl Hash for MapKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.get_hash());
    }
}

impl PartialEq for MapKey {
    fn eq(&self, other: &Self) -> bool {
        same_key(&self.0, &other.0)
    }
}

impl Eq for MapKey {}

impl<'a> Borrow<dyn AsKey + 'a> for MapKey {
    fn borrow(&self) -> &(dyn AsKey + 'a) {
        self
    }
}

type KeyMap<H> = HashMap<MapKey, Arc<H>, BuildHasherDefault<KeyHasher>>;

/// One shard of the map: the handles of the keys whose hash falls in it, by meter type (the
/// facade lets one key name a counter, a gauge and a histogram).
#[derive(Default)]
struct Shard {
    counters: KeyMap<CounterHandle>,
    gauges: KeyMap<GaugeHandle>,
    histograms: KeyMap<HistogramHandle>,
}

/// What the recorder has done so far ([`SpectatorRecorder::stats`]); the registry's own
/// figures (lines and datagrams sent, drops) are in `recorder.registry().stats()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Distinct meters (keys of each type) in the recorder's map now.
    pub meters: usize,
    /// Meters created since the start.
    pub created: u64,
    /// Meters removed after being idle for the idle timeout.
    pub expired: u64,
    /// Registrations refused because the map held the [meter cap](Builder::max_meters): every
    /// macro call of a key that did not fit counts.
    pub refused: u64,
    /// Updates dropped on the handles of refused keys.
    pub dropped_updates: u64,
}

struct Inner {
    /// This recorder among the process's (for the per-thread cache).
    id: u64,
    /// Bumped when handles that may still be alive leave the map (see [`cache`]).
    generation: AtomicU64,
    registry: Registry,
    shards: Box<[CachePadded<RwLock<Shard>>]>,
    /// `shards.len() - 1` (a power of two minus one).
    shard_mask: usize,
    options: Options,
    /// The time unit of every histogram described with one, by name.
    units: RwLock<HashMap<String, TimeUnit>>,
    clock: Arc<dyn Clock>,
    /// The clock's monotonic nanoseconds at the last sweep (see [`Seen`]).
    epoch: Arc<AtomicU64>,
    meters: AtomicUsize,
    created: AtomicU64,
    expired: AtomicU64,
    refused: AtomicU64,
    refused_handle: Arc<Refused>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
    }
}

/// A [`metrics::Recorder`] that reports to SpectatorD through a [`spectator_std::Registry`].
///
/// Every key (name and labels) of each type gets one handle: its spectator-std meters, whose
/// line prefix (`c:name,k=v:`) is rendered when the key is first registered. The facade's
/// macros register on every call, so the lookup is cheap: a per-thread cache of the last 64
/// handles (weakly held), then the key's precomputed hash picks one of the map's shards and its
/// bucket (no hashing), under a read lock; keys compare by address first. A handle kept by the
/// caller (`let c = metrics::counter!(…)`) skips the lookup: its update is the meter's, with
/// no hashing, allocation or formatting of the id.
///
/// Cheap to clone (an `Arc`); `Send` and `Sync`. See the [crate documentation](crate) for the
/// mapping of each facade call to a SpectatorD line.
///
/// ```
/// use spectator_metrics::SpectatorRecorder;
/// use spectator_std::{Config, Registry};
///
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let recorder = SpectatorRecorder::new(registry.clone());
/// metrics::with_local_recorder(&recorder, || {
///     metrics::counter!("jobs", "result" => "ok").increment(2);
///     metrics::gauge!("queue.size").set(42.0);
///     metrics::histogram!("payload.size").record(1024.0);
/// });
/// assert_eq!(
///     registry.memory_writer().unwrap().lines(),
///     ["c:jobs,result=ok:2", "g:queue.size:42", "d:payload.size:1024"]
/// );
/// assert_eq!(recorder.stats().meters, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SpectatorRecorder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SpectatorRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectatorRecorder")
            .field("registry", &self.inner.registry)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl SpectatorRecorder {
    /// A recorder over `registry`, with the default options: idle meters expire after 15
    /// minutes, at most 10,000 meters, no percentile histograms. Aggregation is the registry's
    /// ([`ConfigBuilder::aggregate`](spectator_std::ConfigBuilder::aggregate)); the
    /// [`builder`](Self::builder) turns it on by default.
    pub fn new(registry: Registry) -> Self {
        Self::with_options(registry, Options::default())
    }

    /// A [`Builder`]: location, common tags, aggregation, percentiles, idle timeout, meter cap.
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub(crate) fn with_options(registry: Registry, options: Options) -> Self {
        let shards = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_mul(4)
            .clamp(4, 64)
            .next_power_of_two();
        let clock = options
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
        let epoch = Arc::new(AtomicU64::new(nanos(clock.monotonic())));
        static IDS: AtomicU64 = AtomicU64::new(0);
        let inner = Arc::new(Inner {
            id: IDS.fetch_add(1, Relaxed),
            generation: AtomicU64::new(0),
            registry,
            shards: (0..shards).map(|_| CachePadded::default()).collect(),
            shard_mask: shards - 1,
            units: RwLock::default(),
            clock,
            epoch,
            meters: AtomicUsize::new(0),
            created: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            refused_handle: Arc::default(),
            stop: Arc::new((Mutex::new(false), Condvar::new())),
            options,
        });
        if let Some(period) = inner.options.sweep_period() {
            spawn_sweeper(Arc::downgrade(&inner), Arc::clone(&inner.stop), period);
        }
        Self { inner }
    }

    /// The registry the meters report to (its `stats()`, `flush()`, `memory_writer()`).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Reports aggregated meters and sends buffered lines now (the registry's
    /// [`flush`](Registry::flush)).
    pub fn flush(&self) {
        self.inner.registry.flush();
    }

    /// What the recorder has done so far.
    pub fn stats(&self) -> RecorderStats {
        let inner = &*self.inner;
        RecorderStats {
            meters: inner.meters.load(Relaxed),
            created: inner.created.load(Relaxed),
            expired: inner.expired.load(Relaxed),
            refused: inner.refused.load(Relaxed),
            dropped_updates: inner.refused_handle.dropped.load(Relaxed),
        }
    }

    /// Reads the clock and removes the meters idle for longer than the
    /// [idle timeout](Builder::idle_timeout); returns how many it removed. A background thread
    /// calls it every quarter of the timeout (at most every minute); tests with a
    /// [`ManualClock`](spectator_std::ManualClock) call it after moving the clock.
    ///
    /// A meter's last update is known to the sweep period: each update notes the time of the
    /// latest sweep. A meter is removed at the first sweep that finds it unchanged since
    /// `timeout + period` after the sweep before its last update, so it has been idle for at
    /// least `timeout` and at most `timeout + 2 × period`. A meter whose handle someone still
    /// holds (`let c = counter!(…)`) is kept: it costs nothing more in the map and keeps its
    /// state (a gauge's value). A removed meter's next macro call creates it again (a gauge
    /// from 0); its aggregated figure is reported once more and its registry cell released.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use spectator_metrics::SpectatorRecorder;
    /// use spectator_std::ManualClock;
    ///
    /// let clock = Arc::new(ManualClock::default());
    /// let recorder = SpectatorRecorder::builder()
    ///     .location("memory")
    ///     .without_env()
    ///     .idle_timeout(Some(Duration::from_secs(60))) // checked every 15 s
    ///     .clock(clock.clone())
    ///     .build()?;
    /// metrics::with_local_recorder(&recorder, || metrics::counter!("requests").increment(1));
    /// clock.advance(Duration::from_secs(74));
    /// assert_eq!(recorder.sweep(), 0);
    /// clock.advance(Duration::from_secs(1)); // 60 s + 15 s since the sweep before the update
    /// assert_eq!(recorder.sweep(), 1);
    /// assert_eq!((recorder.stats().meters, recorder.stats().expired), (0, 1));
    /// # Ok::<(), spectator_metrics::Error>(())
    /// ```
    pub fn sweep(&self) -> usize {
        let inner = &*self.inner;
        let now = nanos(inner.clock.monotonic());
        inner.epoch.store(now, Relaxed);
        let (Some(timeout), Some(period)) =
            (inner.options.idle_timeout, inner.options.sweep_period())
        else {
            return 0;
        };
        let limit = nanos(timeout).saturating_add(nanos(period));
        let idle = |seen: &Seen| now.saturating_sub(seen.last()) >= limit;
        let mut removed = 0;
        for shard in inner.shards.iter() {
            let any = {
                let s = shard.read().unwrap_or_else(|p| p.into_inner());
                s.counters.values().any(|h| idle(&h.seen))
                    || s.gauges.values().any(|h| idle(&h.seen))
                    || s.histograms.values().any(|h| idle(&h.seen))
            };
            if !any {
                continue;
            }
            let mut s = shard.write().unwrap_or_else(|p| p.into_inner());
            let before = s.counters.len() + s.gauges.len() + s.histograms.len();
            // Kept: recently updated, or held by someone besides the map.
            s.counters
                .retain(|_, h| !idle(&h.seen) || Arc::strong_count(h) > 1);
            s.gauges
                .retain(|_, h| !idle(&h.seen) || Arc::strong_count(h) > 1);
            s.histograms
                .retain(|_, h| !idle(&h.seen) || Arc::strong_count(h) > 1);
            removed += before - (s.counters.len() + s.gauges.len() + s.histograms.len());
        }
        inner.meters.fetch_sub(removed, Relaxed);
        inner.expired.fetch_add(removed as u64, Relaxed);
        removed
    }
}

/// Sweeps `inner` every `period` until it is dropped; holds no strong reference while waiting.
fn spawn_sweeper(inner: Weak<Inner>, stop: Arc<(Mutex<bool>, Condvar)>, period: Duration) {
    let spawned = std::thread::Builder::new()
        .name("spectator-metrics-sweep".into())
        .spawn(move || {
            let (stopped, wake) = &*stop;
            let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
            while !*guard {
                guard = wake
                    .wait_timeout(guard, period)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                if *guard {
                    return;
                }
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                drop(guard);
                SpectatorRecorder { inner }.sweep();
                guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
            }
        });
    if let Err(e) = spawned {
        log::error!(target: "spectator::metrics", "cannot start the idle-meter sweep: {e}");
    }
}

impl Inner {
    fn shard(&self, key: &Key) -> &RwLock<Shard> {
        // The map inside a shard uses the hash's low bits; the shard, bits 16 and up.
        &self.shards[(key.get_hash() >> 16) as usize & self.shard_mask]
    }

    /// Finds `key`'s handle in `map` of its shard, or creates it with `create` (outside the
    /// lock), if the meter cap allows.
    fn get_or_create<H: Cacheable>(
        &self,
        key: &Key,
        map: fn(&Shard) -> &KeyMap<H>,
        map_mut: fn(&mut Shard) -> &mut KeyMap<H>,
        create: impl FnOnce(Seen) -> H,
    ) -> Option<Arc<H>> {
        let generation = self.generation.load(Acquire);
        if let Some(h) = cache::get::<H>(self.id, generation, key) {
            return Some(h);
        }
        let found = |s: &Shard| {
            map(s).get_key_value(key as &dyn AsKey).map(|(k, h)| {
                cache::put(self.id, generation, &k.0, h);
                Arc::clone(h)
            })
        };
        let shard = self.shard(key);
        if let Some(h) = found(&shard.read().unwrap_or_else(|p| p.into_inner())) {
            return Some(h);
        }
        // A new key: take a place under the cap, then build the meters outside the lock.
        let admitted = self
            .meters
            .fetch_update(Relaxed, Relaxed, |n| {
                (n < self.options.max_meters).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            // Another thread may have created it meanwhile; else refused.
            let h = found(&shard.read().unwrap_or_else(|p| p.into_inner()));
            if h.is_none() {
                self.refused.fetch_add(1, Relaxed);
            }
            return h;
        }
        let handle = Arc::new(create(Seen::new(&self.epoch)));
        let mut s = shard.write().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = found(&s) {
            // Another thread created it first: give back the place.
            self.meters.fetch_sub(1, Relaxed);
            return Some(existing);
        }
        let stored = key.to_retained();
        cache::put(self.id, generation, &stored, &handle);
        map_mut(&mut s).insert(MapKey(stored), Arc::clone(&handle));
        self.created.fetch_add(1, Relaxed);
        Some(handle)
    }

    /// The registry's tags for a key's labels.
    fn with_tags<T>(key: &Key, f: impl FnOnce(&str, &[(&str, &str)]) -> T) -> T {
        let tags: Vec<(&str, &str)> = key.labels().map(|l| (l.key(), l.value())).collect();
        f(key.name(), &tags)
    }

    fn histogram_meter(&self, key: &Key) -> HistogramMeter {
        let unit = self
            .units
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key.name())
            .copied();
        let percentiles = self.options.wants_percentiles(key.name());
        let r = &self.registry;
        Self::with_tags(key, |name, tags| match (unit, percentiles) {
            (None, false) => HistogramMeter::Summary(r.distribution_summary(name, tags)),
            (None, true) => {
                HistogramMeter::PercentileSummary(r.pct_distribution_summary(name, tags))
            }
            (Some(unit), false) => HistogramMeter::Timer(r.timer(name, tags), unit),
            (Some(unit), true) => HistogramMeter::PercentileTimer(r.pct_timer(name, tags), unit),
        })
    }
}

impl Recorder for SpectatorRecorder {
    /// Counter units and descriptions change nothing on the line.
    fn describe_counter(&self, _key: KeyName, _unit: Option<Unit>, _description: SharedString) {}

    /// Gauge units and descriptions change nothing on the line.
    fn describe_gauge(&self, _key: KeyName, _unit: Option<Unit>, _description: SharedString) {}

    /// A time unit (`Seconds`, `Milliseconds`, `Microseconds`, `Nanoseconds`) makes the
    /// histograms of this name timers (`t`, or `T` when opted in), their values converted to
    /// seconds. Describe before the first use: when the unit changes, the recorder forgets the
    /// name's existing histograms, so the next macro call creates them anew (handles held
    /// elsewhere keep their type and unit).
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _description: SharedString) {
        let inner = &*self.inner;
        let unit = unit.and_then(TimeUnit::of);
        let previous = {
            let mut units = inner.units.write().unwrap_or_else(|p| p.into_inner());
            match unit {
                Some(unit) => units.insert(key.as_str().to_owned(), unit),
                None => units.remove(key.as_str()),
            }
        };
        if previous == unit {
            return;
        }
        let mut removed = 0;
        for shard in inner.shards.iter() {
            let mut s = shard.write().unwrap_or_else(|p| p.into_inner());
            let before = s.histograms.len();
            s.histograms.retain(|k, _| k.0.name() != key.as_str());
            removed += before - s.histograms.len();
        }
        inner.meters.fetch_sub(removed, Relaxed);
        // Handles held elsewhere are still alive: no thread's cache may return them now.
        inner.generation.fetch_add(1, Release);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        let inner = &*self.inner;
        let handle = inner.get_or_create(
            key,
            |s| &s.counters,
            |s| &mut s.counters,
            |seen| {
                let counter = Inner::with_tags(key, |n, t| inner.registry.counter(n, t));
                CounterHandle::new(&inner.registry, counter, seen)
            },
        );
        match handle {
            Some(h) => Counter::from_arc(h),
            None => Counter::from_arc(Arc::clone(&inner.refused_handle)),
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        let inner = &*self.inner;
        let handle = inner.get_or_create(
            key,
            |s| &s.gauges,
            |s| &mut s.gauges,
            |seen| {
                let gauge = Inner::with_tags(key, |n, t| inner.registry.gauge(n, t));
                GaugeHandle::new(gauge, seen)
            },
        );
        match handle {
            Some(h) => Gauge::from_arc(h),
            None => Gauge::from_arc(Arc::clone(&inner.refused_handle)),
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        let inner = &*self.inner;
        let handle = inner.get_or_create(
            key,
            |s| &s.histograms,
            |s| &mut s.histograms,
            |seen| HistogramHandle::new(inner.histogram_meter(key), seen),
        );
        match handle {
            Some(h) => Histogram::from_arc(h),
            None => Histogram::from_arc(Arc::clone(&inner.refused_handle)),
        }
    }
}
