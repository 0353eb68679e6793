//! A per-thread cache in front of the recorder's map, for the macros' path: the last handles
//! this thread registered, by key hash, held weakly.
//!
//! A hit skips the shard's read lock (two atomic read-modify-writes on a word every thread
//! registering in that shard shares): it compares the key by address ([`same_key`]). A gauge
//! hit upgrades the `Weak` (one compare-and-swap on the handle's count, which the returned
//! `metrics::Gauge` needs anyway). A counter or histogram hit returns this thread's copy of the
//! handle ([`ThreadCopy`], made on the second hit), so the count the returned handle takes and
//! gives back is on a word no other thread writes: two threads calling `counter!` for one key
//! at once would otherwise bounce that word between their cores twice per call. Gauges keep
//! their value in the handle, so they are not copied.
//!
//! The cache never keeps a map's handle alive (the copies hold the meters, not the handle), so
//! idle expiry is unchanged: a handle the map dropped and nobody holds is seen gone (its weak
//! count), and the lookup goes to the map. Removals that leave a handle alive (a histogram's
//! unit described anew while someone holds it) bump the recorder's generation, which every
//! entry is checked against.
//!
//! 64 direct-mapped entries per thread: bounded memory, whatever the number of keys.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use metrics::Key;

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle, ThreadCopy};
use crate::recorder::same_key;

const SLOTS: usize = 64;

/// A cached handle of one of the three types: the map's, weakly, and for counters and
/// histograms this thread's copy once it was hit.
pub(crate) enum Cached {
    Counter(Weak<CounterHandle>, Option<Arc<CounterHandle>>),
    Gauge(Weak<GaugeHandle>),
    Histogram(Weak<HistogramHandle>, Option<Arc<HistogramHandle>>),
}

/// The handle types the cache holds.
pub(crate) trait Cacheable: Sized {
    fn wrap(handle: &Arc<Self>) -> Cached;
    /// The handle to give for a hit on `cached`, if the map's handle is alive.
    fn hit(cached: &mut Cached) -> Option<Arc<Self>>;
}

/// The copy in `mine` (made now if not yet) while the map's handle lives.
#[inline]
fn copy_of<H: ThreadCopy>(map: &Weak<H>, mine: &mut Option<Arc<H>>) -> Option<Arc<H>> {
    if map.strong_count() == 0 {
        *mine = None;
        return None;
    }
    if mine.is_none() {
        *mine = Some(Arc::new(map.upgrade()?.thread_copy()));
    }
    mine.clone()
}

macro_rules! copied {
    ($($t:ty => $variant:ident),*) => {$(
        impl Cacheable for $t {
            fn wrap(handle: &Arc<Self>) -> Cached {
                Cached::$variant(Arc::downgrade(handle), None)
            }

            #[inline]
            fn hit(cached: &mut Cached) -> Option<Arc<Self>> {
                match cached {
                    Cached::$variant(map, mine) => copy_of(map, mine),
                    _ => None,
                }
            }
        }
    )*};
}

copied!(CounterHandle => Counter, HistogramHandle => Histogram);

impl Cacheable for GaugeHandle {
    fn wrap(handle: &Arc<Self>) -> Cached {
        Cached::Gauge(Arc::downgrade(handle))
    }

    #[inline]
    fn hit(cached: &mut Cached) -> Option<Arc<Self>> {
        match cached {
            Cached::Gauge(map) => map.upgrade(),
            _ => None,
        }
    }
}

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
            let mut slots = slots.try_borrow_mut().ok()?;
            let slot = slots[index(key)].as_mut()?;
            if slot.recorder != recorder
                || slot.generation != generation
                || !same_key(&slot.key, key)
            {
                return None;
            }
            H::hit(&mut slot.handle)
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
