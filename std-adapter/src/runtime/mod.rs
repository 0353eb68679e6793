//! [`RuntimeMetrics`]: the process's health and the client's own delivery, sent through a
//! registry now ([`collect`](RuntimeMetrics::collect)) or every period in the background
//! ([`start`](RuntimeMetrics::start)), like spectator-py-runtime-metrics's `StatsCollector`.

mod background;
mod client;
mod process;
#[cfg(feature = "tokio")]
mod tokio_meters;

use std::time::Duration;

pub use background::RuntimeMetricsHandle;

use crate::binding::{Gauge, MonotonicCounter, MonotonicCounterUint};
use crate::registry::Registry;
use client::ClientMeters;
use process::ProcessSample;

/// Runtime metrics: the process's file descriptors, resource usage, memory, threads and CPUs,
/// and the client's own delivery (lines sent and dropped, from [`Registry::stats`]), as
/// spectator-py-runtime-metrics reports them for Python with the `py.` prefix replaced by
/// `rust.`.
///
/// | id | kind | meaning |
/// |---|---|---|
/// | `rust.fd,id=allocated` | gauge | open file descriptors |
/// | `rust.fd,id=max` | gauge | the soft `RLIMIT_NOFILE` (not sent when unlimited) |
/// | `rust.resource.time,mode=user` / `mode=system` | `C` | CPU seconds |
/// | `rust.resource.maxResidentSetSize` | gauge | peak resident set size, bytes |
/// | `rust.memory.residentSetSize` | gauge | current resident set size, bytes |
/// | `rust.resource.pageFaults,io.required=false` / `true` | `U` | minor / major page faults |
/// | `rust.resource.blockOperations,id=input` / `output` | `U` | file system block reads / writes |
/// | `rust.resource.contextSwitches,id=voluntary` / `involuntary` | `U` | context switches |
/// | `rust.threads` | gauge | the process's threads |
/// | `rust.cpu.count` | gauge | CPUs the process may use ([`std::thread::available_parallelism`]) |
/// | `spectator.client.lines,id=sent` | `U` | lines the output accepted |
/// | `spectator.client.dropped,reason=too_long` / `invalid` / `backpressure` / `send_failed` | `U` | lines dropped, by reason ([`spectator_core::Dropped`]) |
///
/// Unlike spectator-py-runtime-metrics, which sets gauges, cumulative counts are monotonic
/// counters (`C` for seconds, `U` for counts), so Atlas shows their rates.
///
/// Linux and Android report every id. Other Unix systems (macOS, the BSDs) skip
/// `rust.memory.residentSetSize` and `rust.threads`; other platforms report only
/// `rust.cpu.count` and the client's delivery. An id whose figure cannot be read (no `/proc`
/// in a sandbox) is skipped, logged at debug level (target `spectator::runtime`).
///
/// ```
/// use spectator_std::{Config, Registry, RuntimeMetrics};
///
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// RuntimeMetrics::new(&registry).collect();
/// let lines = registry.memory_writer().unwrap().lines();
/// assert!(lines.iter().any(|l| l.starts_with("g:rust.fd,id=allocated:")));
/// assert!(lines.iter().any(|l| l.starts_with("C:rust.resource.time,mode=user:")));
/// assert!(lines.contains(&"U:spectator.client.dropped,reason=backpressure:0".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeMetrics {
    registry: Registry,
    process: ProcessMeters,
    client: ClientMeters,
    #[cfg(feature = "tokio")]
    tokio: Option<tokio_meters::TokioMeters>,
}

impl RuntimeMetrics {
    /// How often [`start`](Self::start)ed collections run unless told otherwise: every 30 s,
    /// like spectator-py-runtime-metrics.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(spectator_std::RuntimeMetrics::DEFAULT_PERIOD, Duration::from_secs(30));
    /// ```
    pub const DEFAULT_PERIOD: Duration = Duration::from_secs(30);

    /// Runtime metrics sent through `registry` (the ids get its common tags).
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let config = Config::builder().location("memory").extra_common_tag("nf.app", "www").without_env().build()?;
    /// let registry = Registry::new(config)?;
    /// RuntimeMetrics::new(&registry).collect();
    /// let lines = registry.memory_writer().unwrap().lines();
    /// assert!(lines.iter().any(|l| l.starts_with("g:rust.threads,nf.app=www:")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(registry: &Registry) -> Self {
        Self {
            registry: registry.clone(),
            process: ProcessMeters::new(registry),
            client: ClientMeters::new(registry),
            #[cfg(feature = "tokio")]
            tokio: None,
        }
    }

    /// Adds the stable metrics of the tokio runtime behind `handle`: `rust.tokio.workers`
    /// (worker threads), `rust.tokio.aliveTasks` (tasks spawned and not finished) and
    /// `rust.tokio.globalQueueDepth` (tasks waiting in the shared queue), all gauges.
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// RuntimeMetrics::new(&registry).with_tokio(runtime.handle().clone()).collect();
    /// let lines = registry.memory_writer().unwrap().lines();
    /// assert!(lines.contains(&"g:rust.tokio.workers:2".to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn with_tokio(mut self, handle: tokio::runtime::Handle) -> Self {
        self.tokio = Some(tokio_meters::TokioMeters::new(&self.registry, handle));
        self
    }

    /// Collects and sends every runtime metric once, now. The client's delivery is counted as
    /// of the start of the collection (its own lines count in the next one).
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// let metrics = RuntimeMetrics::new(&registry);
    /// metrics.collect();
    /// let threads = registry.memory_writer().unwrap().lines().into_iter().find(|l| l.starts_with("g:rust.threads:"));
    /// # #[cfg(target_os = "linux")]
    /// assert!(threads.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect(&self) {
        let stats = self.registry.stats();
        self.process.record(&ProcessSample::read());
        #[cfg(feature = "tokio")]
        if let Some(tokio) = &self.tokio {
            tokio.record();
        }
        self.client.record(&stats);
    }

    /// Collects now, then every `period` on a background thread (named `spectator-rt`)
    /// until the returned handle is stopped or dropped, or the registry is closed or dropped
    /// (the thread does not keep the registry alive). A zero period is replaced by
    /// [`DEFAULT_PERIOD`](Self::DEFAULT_PERIOD), with a warning.
    ///
    /// ```
    /// use spectator_std::{Config, Registry, RuntimeMetrics};
    ///
    /// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
    /// let runtime_metrics = RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD);
    /// // The first collection is done when start returns.
    /// let lines = registry.memory_writer().unwrap().lines();
    /// assert!(lines.iter().any(|l| l.starts_with("U:spectator.client.lines,id=sent:")));
    /// // ... the service runs ...
    /// runtime_metrics.stop();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self, period: Duration) -> RuntimeMetricsHandle {
        let period = if period.is_zero() {
            log::warn!(target: "spectator::runtime", "runtime metrics period of 0 replaced by {:?}", Self::DEFAULT_PERIOD);
            Self::DEFAULT_PERIOD
        } else {
            period
        };
        self.collect();
        RuntimeMetricsHandle::spawn(self, period)
    }
}

/// The meters of the process's health ([`ProcessSample`]).
#[derive(Debug, Clone)]
struct ProcessMeters {
    fd_allocated: Gauge,
    fd_max: Gauge,
    user_time: MonotonicCounter,
    system_time: MonotonicCounter,
    max_rss: Gauge,
    rss: Gauge,
    minor_faults: MonotonicCounterUint,
    major_faults: MonotonicCounterUint,
    block_inputs: MonotonicCounterUint,
    block_outputs: MonotonicCounterUint,
    voluntary_switches: MonotonicCounterUint,
    involuntary_switches: MonotonicCounterUint,
    threads: Gauge,
    cpus: Gauge,
}

impl ProcessMeters {
    fn new(r: &Registry) -> Self {
        let counts = |name, key, value| r.monotonic_counter_uint(name, &[(key, value)]);
        Self {
            fd_allocated: r.gauge("rust.fd", &[("id", "allocated")]),
            fd_max: r.gauge("rust.fd", &[("id", "max")]),
            user_time: r.monotonic_counter("rust.resource.time", &[("mode", "user")]),
            system_time: r.monotonic_counter("rust.resource.time", &[("mode", "system")]),
            max_rss: r.gauge("rust.resource.maxResidentSetSize", &[]),
            rss: r.gauge("rust.memory.residentSetSize", &[]),
            minor_faults: counts("rust.resource.pageFaults", "io.required", "false"),
            major_faults: counts("rust.resource.pageFaults", "io.required", "true"),
            block_inputs: counts("rust.resource.blockOperations", "id", "input"),
            block_outputs: counts("rust.resource.blockOperations", "id", "output"),
            voluntary_switches: counts("rust.resource.contextSwitches", "id", "voluntary"),
            involuntary_switches: counts("rust.resource.contextSwitches", "id", "involuntary"),
            threads: r.gauge("rust.threads", &[]),
            cpus: r.gauge("rust.cpu.count", &[]),
        }
    }

    fn record(&self, s: &ProcessSample) {
        fn set(gauge: &Gauge, value: Option<u64>) {
            if let Some(v) = value {
                gauge.set(v);
            }
        }
        set(&self.fd_allocated, s.fds);
        set(&self.fd_max, s.fd_limit);
        if let Some(u) = &s.usage {
            self.user_time.set(u.user_seconds);
            self.system_time.set(u.system_seconds);
            self.max_rss.set(u.max_rss_bytes);
        }
        set(&self.rss, s.rss_bytes);
        if let Some(u) = &s.usage {
            self.minor_faults.set(u.minor_faults);
            self.major_faults.set(u.major_faults);
            self.block_inputs.set(u.block_inputs);
            self.block_outputs.set(u.block_outputs);
            self.voluntary_switches.set(u.voluntary_switches);
            self.involuntary_switches.set(u.involuntary_switches);
        }
        set(&self.threads, s.threads);
        set(&self.cpus, s.cpus);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<RuntimeMetrics>();
        send_sync::<RuntimeMetricsHandle>();
    }
}
