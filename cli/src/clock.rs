//! Wall-clock time for the aggregator: [`Clock`], [`SystemClock`] and [`ManualClock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch: spectatord's time unit for gauges and age gauges.
pub type Nanos = i64;

/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;

/// Where the listener reads the time from; tests use a [`ManualClock`].
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> Nanos;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Nanos {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| Nanos::try_from(d.as_nanos()).unwrap_or(Nanos::MAX))
    }
}

/// A clock that moves only when told to.
///
/// ```
/// use spectator_cli::{Clock, ManualClock, SECOND};
/// let clock = ManualClock::new(10 * SECOND);
/// clock.advance(5 * SECOND);
/// assert_eq!(clock.now(), 15 * SECOND);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: Nanos) -> Self {
        Self(AtomicI64::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: Nanos) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Nanos) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Nanos {
        self.0.load(Ordering::SeqCst)
    }
}
