//! [`StopWatch`] and clocks: timing a block of code into a timer (spectator-py's `StopWatch`,
//! `Clock`, `SystemClock`, `ManualClock`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::meters::RecordSeconds;

/// A source of time, in seconds as `f64` like Python's `time.time()` / `time.perf_counter()`.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn wall_time(&self) -> f64;
    /// Seconds from an arbitrary fixed origin, never going backwards.
    fn monotonic_time(&self) -> f64;
}

/// The system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn wall_time(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    fn monotonic_time(&self) -> f64 {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
    }
}

/// A clock that moves only when told to, for tests.
///
/// ```
/// use spectator_std::{Clock, ManualClock};
/// let clock = ManualClock::new(0.0, 0.1);
/// clock.set_monotonic_time(0.3);
/// assert_eq!(clock.monotonic_time(), 0.3);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    wall: AtomicU64,
    monotonic: AtomicU64,
}

impl ManualClock {
    /// A clock at the given times.
    pub fn new(wall: f64, monotonic: f64) -> Self {
        Self {
            wall: AtomicU64::new(wall.to_bits()),
            monotonic: AtomicU64::new(monotonic.to_bits()),
        }
    }

    /// Sets the wall time.
    pub fn set_wall_time(&self, seconds: f64) {
        self.wall.store(seconds.to_bits(), Ordering::SeqCst);
    }

    /// Sets the monotonic time.
    pub fn set_monotonic_time(&self, seconds: f64) {
        self.monotonic.store(seconds.to_bits(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn wall_time(&self) -> f64 {
        f64::from_bits(self.wall.load(Ordering::SeqCst))
    }

    fn monotonic_time(&self) -> f64 {
        f64::from_bits(self.monotonic.load(Ordering::SeqCst))
    }
}

/// Times a scope: records the elapsed seconds into its timer when dropped (or at
/// [`stop`](StopWatch::stop)), even when the scope unwinds.
///
/// The timer is borrowed (`StopWatch::start(&timer)`) or owned (`StopWatch::start(timer.clone())`,
/// a `'static` stopwatch that can move into another thread or task).
///
/// ```
/// use spectator_std::{Config, ManualClock, Registry, StopWatch};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let timer = registry.timer("request.latency", &[]);
/// let clock = ManualClock::new(0.0, 0.1);
/// {
///     let _sw = StopWatch::with_clock(&timer, &clock);
///     clock.set_monotonic_time(0.3);
/// }
/// let line = registry.memory_writer().unwrap().last_line();
/// assert_eq!(line.as_deref(), Some("t:request.latency:0.19999999999999998"));
///
/// let owned: StopWatch<'static, _> = StopWatch::start(timer.clone());
/// std::thread::spawn(move || drop(owned)).join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StopWatch<'c, T: RecordSeconds, C: Clock = SystemClock> {
    timer: T,
    clock: ClockRef<'c, C>,
    start: f64,
    armed: bool,
}

enum ClockRef<'c, C> {
    Owned(C),
    Borrowed(&'c C),
}

impl<C: Clock> ClockRef<'_, C> {
    fn now(&self) -> f64 {
        match self {
            ClockRef::Owned(c) => c.monotonic_time(),
            ClockRef::Borrowed(c) => c.monotonic_time(),
        }
    }
}

impl<T: RecordSeconds> StopWatch<'static, T, SystemClock> {
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

impl<'c, T: RecordSeconds, C: Clock> StopWatch<'c, T, C> {
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

    /// Seconds elapsed so far.
    pub fn duration(&self) -> f64 {
        self.clock.now() - self.start
    }

    /// Records now and returns the seconds recorded.
    pub fn stop(mut self) -> f64 {
        self.armed = false;
        let elapsed = self.duration();
        self.timer.record_seconds(elapsed);
        elapsed
    }
}

impl<T: RecordSeconds, C: Clock> Drop for StopWatch<'_, T, C> {
    fn drop(&mut self) {
        if self.armed {
            self.timer.record_seconds(self.duration());
        }
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
pub fn time<T: RecordSeconds, R>(timer: &T, f: impl FnOnce() -> R) -> R {
    let _sw = StopWatch::start(timer);
    f()
}
