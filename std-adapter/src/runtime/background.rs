//! [`RuntimeMetricsHandle`]: the background thread of [`RuntimeMetrics::start`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::RuntimeMetrics;
use crate::registry::WeakRegistry;

/// The name of the background thread (at most 15 bytes: Linux cuts longer names).
pub(crate) const THREAD_NAME: &str = "spectator-rt";

/// The background collection started by [`RuntimeMetrics::start`]: stops when
/// [`stop`](Self::stop) is called, when it is dropped, or when the registry is closed or
/// dropped, whichever comes first.
///
/// ```
/// use spectator_std::{Config, Registry, RuntimeMetrics};
///
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let collection = RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD);
/// assert!(collection.is_running());
/// collection.stop(); // returns once the thread has exited
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the handle stops the collection at once; call `detach` to keep it running"]
pub struct RuntimeMetricsHandle {
    stop: Arc<AtomicBool>,
    registry: WeakRegistry,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RuntimeMetricsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeMetricsHandle")
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

impl RuntimeMetricsHandle {
    /// Starts the thread; logs an error and collects nothing in the background if it cannot
    /// be started (the registry's background flush does the same).
    pub(super) fn spawn(metrics: &RuntimeMetrics, period: Duration) -> Self {
        let registry = metrics.registry.downgrade();
        let stop = Arc::new(AtomicBool::new(false));
        let task = Task {
            registry: registry.clone(),
            stop: Arc::clone(&stop),
            period,
            #[cfg(feature = "tokio")]
            tokio: metrics.tokio.as_ref().map(|t| t.handle().clone()),
        };
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || task.run())
            .map_err(|e| {
                log::error!(target: "spectator::runtime", "cannot start the runtime metrics thread: {e}");
            })
            .ok();
        Self {
            stop,
            registry,
            thread,
        }
    }

    /// Whether the background thread is still collecting (it ends by itself once the registry
    /// is closed or dropped).
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// let collection = RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD);
    /// assert!(collection.is_running());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops the collection and waits for the thread to exit (at most the end of one
    /// collection, which reads a few files under `/proc`).
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// let collection = RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD);
    /// collection.stop();
    /// // The registry is still open: only the collection stopped.
    /// registry.gauge("queue.size", &[]).set(3);
    /// assert_eq!(registry.memory_writer().unwrap().last_line().as_deref(), Some("g:queue.size:3"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    /// Lets the collection run until the registry is closed or dropped, like
    /// spectator-py-runtime-metrics's `StatsCollector(registry).start()`.
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD).detach();
    /// // ... the service runs; every 30 s the runtime metrics are sent ...
    /// registry.close(); // also ends the collection
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detach(mut self) {
        self.thread = None;
    }

    fn stop_and_join(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // Under the lock the thread checks `stop` with, so the wake-up cannot be missed.
        let (closed, wake) = self.registry.close_signal();
        drop(lock(closed));
        wake.notify_all();
        if thread.join().is_err() {
            log::error!(target: "spectator::runtime", "the runtime metrics thread panicked");
        }
    }
}

impl Drop for RuntimeMetricsHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the thread holds: no strong reference to the registry while it sleeps, so it never
/// keeps one alive.
struct Task {
    registry: WeakRegistry,
    stop: Arc<AtomicBool>,
    period: Duration,
    #[cfg(feature = "tokio")]
    tokio: Option<tokio::runtime::Handle>,
}

impl Task {
    /// Sleeps on the registry's close signal until the next collection is due, the registry
    /// is closed or dropped, or the handle stops it. The signal is also notified for other
    /// reasons (another collection stopping), so a wake-up only collects once due.
    fn run(self) {
        log::debug!(target: "spectator::runtime", "collect runtime metrics every {:?}", self.period);
        let (closed, wake) = self.registry.close_signal();
        let mut due = Instant::now() + self.period;
        let mut guard = lock(closed);
        loop {
            if *guard || self.stop.load(Ordering::SeqCst) {
                break;
            }
            let now = Instant::now();
            if now < due {
                guard = wake
                    .wait_timeout(guard, due - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            drop(guard);
            let Some(registry) = self.registry.upgrade() else {
                break;
            };
            let metrics = RuntimeMetrics::new(&registry);
            #[cfg(feature = "tokio")]
            let metrics = match &self.tokio {
                Some(handle) => metrics.with_tokio(handle.clone()),
                None => metrics,
            };
            metrics.collect();
            // The meters and the registry are dropped before sleeping; if this was the last
            // reference, dropping it closes the registry and the loop ends.
            drop((metrics, registry));
            due = Instant::now() + self.period;
            guard = lock(closed);
        }
        log::debug!(target: "spectator::runtime", "stop collecting runtime metrics");
    }
}
