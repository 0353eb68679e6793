//! Time for the aggregator: spectatord's unit, nanoseconds since the Unix epoch ([`Nanos`]),
//! read from spectator-std's one [`Clock`] (tests use its [`ManualClock`]).

pub use spectator_std::{Clock, ManualClock, SystemClock};

/// Nanoseconds since the Unix epoch: spectatord's time unit for gauges and age gauges.
pub type Nanos = i64;

/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;

/// `clock`'s wall time in [`Nanos`].
///
/// ```
/// use std::time::Duration;
/// use spectator_cli::{wall_nanos, ManualClock, SECOND};
/// let clock = ManualClock::new(Duration::from_secs(10), Duration::ZERO);
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(wall_nanos(&clock), 15 * SECOND);
/// ```
pub fn wall_nanos(clock: &dyn Clock) -> Nanos {
    Nanos::try_from(clock.wall().as_nanos()).unwrap_or(Nanos::MAX)
}
