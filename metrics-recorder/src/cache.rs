//! A per-thread cache in front of the recorder's map, for the macros' path: the last handles
//! this thread registered, by key hash, held weakly.
//!
//! A hit skips the shard's read lock (two atomic read-modify-writes on a word every thread
//! registering in that shard shares): it compares the key by address ([`same_key`]) and
//! upgrades a `Weak` (one compare-and-swap on the handle's count, which the returned
//! `metrics::Counter` needs anyway). The cache never keeps a handle alive, so idle expiry is
//! unchanged: a handle the map dropped and nobody holds fails to upgrade, and the lookup goes
//! to the map. Removals that leave a handle alive (a histogram's unit described anew while
//! someone holds it) bump the recorder's generation, which every entry is checked against.
//!
//! 64 direct-mapped entries per thread: bounded memory, whatever the number of keys.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use metrics::Key;

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};
use crate::recorder::same_key;

const SLOTS: usize = 64;

/// A cached handle of one of the three types.
pub(crate) enum Cached {
    Counter(Weak<CounterHandle>),
    Gauge(Weak<GaugeHandle>),
    Histogram(Weak<HistogramHandle>),
}

/// The handle types the cache holds.
pub(crate) trait Cacheable: Sized {
    fn wrap(handle: &Arc<Self>) -> Cached;
    fn get(cached: &Cached) -> Option<&Weak<Self>>;
}

macro_rules! cacheable {
    ($($t:ty => $variant:ident),*) => {$(
        impl Cacheable for $t {
            fn wrap(handle: &Arc<Self>) -> Cached {
                Cached::$variant(Arc::downgrade(handle))
            }

            #[inline]
            fn get(cached: &Cached) -> Option<&Weak<Self>> {
                match cached {
                    Cached::$variant(w) => Some(w),
                    _ => None,
                }
            }
        }
    )*};
}

cacheable!(CounterHandle => Counter, GaugeHandle => Gauge, HistogramHandle => Histogram);

struct Slot {
    recorder: u64,
    generation: u64,
    /// The map's key (retained: shares the caller's static parts).
    key: Key,
    handle: Cached,
}

thread_local! {
    static SLOTS_OF_THREAD: RefCell<[Option<Slot>; SLOTS]> =
        const { RefCell::new([const { None }; SLOTS]) };
}

#[inline]
fn index(key: &Key) -> usize {
    // Bits 16 and up pick the shard; bits 8 to 13 here.
    (key.get_hash() >> 8) as usize % SLOTS
}

/// The handle of `key` cached by this thread for `recorder` at `generation`, if it is alive.
#[inline]
pub(crate) fn get<H: Cacheable>(recorder: u64, generation: u64, key: &Key) -> Option<Arc<H>> {
    SLOTS_OF_THREAD
        .try_with(|slots| {
            let slots = slots.try_borrow().ok()?;
            let slot = slots[index(key)].as_ref()?;
            if slot.recorder != recorder
                || slot.generation != generation
                || !same_key(&slot.key, key)
            {
                return None;
            }
            H::get(&slot.handle)?.upgrade()
        })
        .ok()
        .flatten()
}

/// Caches `handle` for `key` (the map's retained key).
pub(crate) fn put<H: Cacheable>(recorder: u64, generation: u64, key: &Key, handle: &Arc<H>) {
    let _ = SLOTS_OF_THREAD.try_with(|slots| {
        if let Ok(mut slots) = slots.try_borrow_mut() {
            slots[index(key)] = Some(Slot {
                recorder,
                generation,
                key: key.clone(),
                handle: H::wrap(handle),
            });
        }
    });
}
