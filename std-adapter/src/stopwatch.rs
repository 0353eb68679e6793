//! [`StopWatch`] and clocks: timing a block of code into a timer (spectator-py's `StopWatch`,
//! `Clock`, `SystemClock`, `ManualClock`), in [`Duration`]s.
//!
//! Times are `Duration`s, not `f64` seconds: a stopwatch subtracts two exact times and the timer
//! writes the exact nanoseconds as a decimal ([`spectator_core::decimal`]), so 19,646 ns is
//! `1.9646e-05`, whatever the process's uptime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spectator_core::meters::{Binding, Bound, PercentileTimer, Timer};

/// A source of time.
///
/// ```
/// use std::time::Duration;
/// use spectator_std::{Clock, SystemClock};
/// let clock = SystemClock;
/// assert!(clock.wall() > Duration::from_secs(1_600_000_000)); // after September 2020
/// let (a, b) = (clock.monotonic(), clock.monotonic());
/// assert!(b >= a);
/// ```
pub trait Clock: Send + Sync {
    /// The time since the Unix epoch (Python's `time.time()`).
    fn wall(&self) -> Duration;
    /// The time since a fixed origin, never going backwards (Python's
    /// `time.perf_counter()`): what a [`StopWatch`] measures with.
    fn monotonic(&self) -> Duration;
}

/// The system's clocks: [`SystemTime`] and [`Instant`] (measured from the first call in the
/// process).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn wall(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn monotonic(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that moves only when told to, for tests; shareable between threads (its times are
/// atomic nanoseconds).
///
/// ```
/// use std::time::Duration;
/// use spectator_std::{Clock, ManualClock};
/// let ms = Duration::from_millis;
/// let clock = ManualClock::new(Duration::from_secs(1_700_000_000), ms(100));
/// clock.set_monotonic(ms(300));
/// assert_eq!(clock.monotonic(), ms(300));
/// clock.advance(ms(5));
/// assert_eq!((clock.wall().as_millis(), clock.monotonic()), (1_700_000_000_005, ms(305)));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    wall: AtomicU64,
    monotonic: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ManualClock {
    /// A clock at the given times (each up to 584 years).
    pub fn new(wall: Duration, monotonic: Duration) -> Self {
        Self {
            wall: AtomicU64::new(nanos(wall)),
            monotonic: AtomicU64::new(nanos(monotonic)),
        }
    }

    /// Sets the wall time.
    pub fn set_wall(&self, since_epoch: Duration) {
        self.wall.store(nanos(since_epoch), Ordering::SeqCst);
    }

    /// Sets the monotonic time.
    pub fn set_monotonic(&self, since_origin: Duration) {
        self.monotonic.store(nanos(since_origin), Ordering::SeqCst);
    }

    /// Moves both times forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = nanos(by);
        for time in [&self.wall, &self.monotonic] {
            let _ = time.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
        }
    }
}

impl Clock for ManualClock {
    fn wall(&self) -> Duration {
        Duration::from_nanos(self.wall.load(Ordering::SeqCst))
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.monotonic.load(Ordering::SeqCst))
    }
}

/// The timers a [`StopWatch`] records into: the core's [`Timer`] and [`PercentileTimer`] (a
/// registry's [`crate::Timer`] and [`crate::PercentileTimer`]), owned or borrowed.
///
/// ```
/// use std::time::Duration;
/// use spectator_std::{Config, RecordDuration, Registry};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// fn twice(timer: impl RecordDuration, d: Duration) {
///     timer.record_duration(d);
///     timer.record_duration(d * 2);
/// }
/// twice(&registry.timer("t", &[]), Duration::from_millis(1));
/// assert_eq!(registry.memory_writer().unwrap().lines(), ["t:t:0.001", "t:t:0.002"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RecordDuration {
    /// Records `duration` as exact seconds.
    fn record_duration(&self, duration: Duration);
}

impl<B: Binding> RecordDuration for Timer<Bound<B>> {
    #[inline]
    fn record_duration(&self, duration: Duration) {
        Timer::<Bound<B>>::record_duration(self, duration);
    }
}

impl<B: Binding> RecordDuration for PercentileTimer<Bound<B>> {
    #[inline]
    fn record_duration(&self, duration: Duration) {
        PercentileTimer::<Bound<B>>::record_duration(self, duration);
    }
}

impl<T: RecordDuration + ?Sized> RecordDuration for &T {
    #[inline]
    fn record_duration(&self, duration: Duration) {
        (**self).record_duration(duration);
    }
}

/// Times a scope: records the elapsed time into its timer when dropped (or at
/// [`stop`](StopWatch::stop)), even when the scope unwinds. The time is recorded exactly, in
/// nanoseconds.
///
/// The timer is borrowed (`StopWatch::start(&timer)`) or owned (`StopWatch::start(timer.clone())`,
/// a `'static` stopwatch that can move into another thread or task).
///
/// ```
/// use std::time::Duration;
/// use spectator_std::{Config, ManualClock, Registry, StopWatch};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let timer = registry.timer("request.latency", &[]);
/// let clock = ManualClock::new(Duration::ZERO, Duration::from_millis(100));
/// {
///     let _sw = StopWatch::with_clock(&timer, &clock);
///     clock.advance(Duration::from_nanos(19_646));
/// }
/// let line = registry.memory_writer().unwrap().last_line();
/// assert_eq!(line.as_deref(), Some("t:request.latency:1.9646e-05"));
///
/// let owned: StopWatch<'static, _> = StopWatch::start(timer.clone());
/// std::thread::spawn(move || drop(owned)).join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StopWatch<'c, T: RecordDuration, C: Clock = SystemClock> {
    timer: T,
    clock: ClockRef<'c, C>,
    start: Duration,
    armed: bool,
}

enum ClockRef<'c, C> {
    Owned(C),
    Borrowed(&'c C),
}

impl<C: Clock> ClockRef<'_, C> {
    fn now(&self) -> Duration {
        match self {
            ClockRef::Owned(c) => c.monotonic(),
            ClockRef::Borrowed(c) => c.monotonic(),
        }
    }
}

impl<T: RecordDuration> StopWatch<'static, T, SystemClock> {
    /// Starts timing with the system clock.
    pub fn start(timer: T) -> Self {
        let clock = ClockRef::Owned(SystemClock);
        Self {
            timer,
            start: clock.now(),
            clock,
            armed: true,
        }
    }
}

impl<'c, T: RecordDuration, C: Clock> StopWatch<'c, T, C> {
    /// Starts timing with `clock`.
    pub fn with_clock(timer: T, clock: &'c C) -> Self {
        let clock = ClockRef::Borrowed(clock);
        Self {
            timer,
            start: clock.now(),
            clock,
            armed: true,
        }
    }

    /// The time elapsed so far.
    pub fn duration(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// Records now and returns the time recorded.
    pub fn stop(mut self) -> Duration {
        self.armed = false;
        let elapsed = self.duration();
        self.timer.record_duration(elapsed);
        elapsed
    }
}

impl<T: RecordDuration, C: Clock> Drop for StopWatch<'_, T, C> {
    fn drop(&mut self) {
        if self.armed {
            self.timer.record_duration(self.duration());
        }
    }
}

impl<T: RecordDuration + std::fmt::Debug, C: Clock> std::fmt::Debug for StopWatch<'_, T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopWatch")
            .field("timer", &self.timer)
            .field("elapsed", &self.duration())
            .finish()
    }
}

/// Runs `f` and records how long it took into `timer`; returns what `f` returns.
///
/// ```
/// use spectator_std::{time, Config, Registry};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let answer = time(&registry.pct_timer("work", &[]), || 6 * 7);
/// assert_eq!(answer, 42);
/// assert!(registry.memory_writer().unwrap().last_line().unwrap().starts_with("T:work:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn time<T: RecordDuration, R>(timer: &T, f: impl FnOnce() -> R) -> R {
    let _sw = StopWatch::start(timer);
    f()
}
