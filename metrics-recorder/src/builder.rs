//! [`Builder`]: the recorder's registry configuration and options; [`Installed`]: the global
//! recorder's guard.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use spectator_std::{Clock, Config, ConfigBuilder, ConfigError, Registry, DEFAULT_MAX_DATAGRAM};

use crate::SpectatorRecorder;

/// The default [idle timeout](Builder::idle_timeout): spectatord's own gauge TTL.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The default [meter cap](Builder::max_meters).
pub const DEFAULT_MAX_METERS: usize = 10_000;
/// The default [aggregation interval](Builder::aggregate).
pub const DEFAULT_AGGREGATE: Duration = Duration::from_secs(1);

/// The recorder's own options (the registry has the rest).
#[derive(Clone)]
pub(crate) struct Options {
    pub(crate) percentile_names: Vec<String>,
    pub(crate) percentile_prefixes: Vec<String>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_meters: usize,
    pub(crate) clock: Option<Arc<dyn Clock>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            percentile_names: Vec::new(),
            percentile_prefixes: Vec::new(),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_meters: DEFAULT_MAX_METERS,
            clock: None,
        }
    }
}

impl Options {
    /// How often idle meters are looked for: a quarter of the timeout, from 1 ms to 1 minute.
    pub(crate) fn sweep_period(&self) -> Option<Duration> {
        self.idle_timeout
            .map(|t| (t / 4).clamp(Duration::from_millis(1), Duration::from_secs(60)))
    }

    /// Whether histograms named `name` are percentile timers or distribution summaries.
    pub(crate) fn wants_percentiles(&self, name: &str) -> bool {
        self.percentile_names.iter().any(|n| n == name)
            || self
                .percentile_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }
}

/// Why a recorder could not be built or installed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The registry's configuration: an invalid location, aggregation interval, datagram size,
    /// or an output that cannot be opened.
    Config(ConfigError),
    /// An idle timeout of zero (use `idle_timeout(None)` to keep idle meters).
    ZeroIdleTimeout,
    /// A meter cap of zero.
    ZeroMaxMeters,
    /// An empty percentile name or prefix (which would opt every histogram in).
    EmptyPercentileName,
    /// [`Builder::install`]: a global recorder is already installed.
    AlreadyInstalled,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::ZeroIdleTimeout => f.write_str("idle timeout of 0 (None keeps idle meters)"),
            Error::ZeroMaxMeters => f.write_str("meter cap of 0"),
            Error::EmptyPercentileName => f.write_str("empty percentile name or prefix"),
            Error::AlreadyInstalled => f.write_str("a global metrics recorder is already set"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Builds a [`SpectatorRecorder`] and its registry; [`build`](Self::build) and
/// [`install`](Self::install) validate everything and never panic.
///
/// Defaults: location `udp` (`127.0.0.1:1234`, spectatord's; `SPECTATOR_OUTPUT_LOCATION`
/// wins, and `NETFLIX_CONTAINER_NAME`/`NETFLIX_PROCESS_NAME` add tags, as in spectator-std),
/// aggregation every second, a 60 KiB line buffer, no percentile histograms, idle meters
/// expire after 15 minutes, at most 10,000 meters.
///
/// ```
/// use std::time::Duration;
/// use spectator_metrics::{Error, SpectatorRecorder};
///
/// let recorder = SpectatorRecorder::builder()
///     .location("memory")
///     .without_env()
///     .common_tag("nf.app", "www")
///     .aggregate(Duration::from_millis(500))
///     .percentiles_for("server.requestLatency")
///     .percentiles_for_prefix("db.")
///     .idle_timeout(Some(Duration::from_secs(600)))
///     .max_meters(1_000)
///     .build()?;
/// assert_eq!(recorder.registry().config().aggregate(), Some(Duration::from_millis(500)));
///
/// // Configuration errors are errors, never panics.
/// let bad = SpectatorRecorder::builder().location("udp://127.0.0.1").build();
/// assert!(matches!(bad, Err(Error::Config(_))));
/// let bad = SpectatorRecorder::builder().without_env().max_meters(0).build();
/// assert!(matches!(bad, Err(Error::ZeroMaxMeters)));
/// # Ok::<(), Error>(())
/// ```
#[must_use]
pub struct Builder {
    config: ConfigBuilder,
    aggregate: Option<Duration>,
    buffer_size: usize,
    options: Options,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            config: Config::builder(),
            aggregate: Some(DEFAULT_AGGREGATE),
            buffer_size: DEFAULT_MAX_DATAGRAM,
            options: Options::default(),
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("aggregate", &self.aggregate)
            .field("buffer_size", &self.buffer_size)
            .field("percentile_names", &self.options.percentile_names)
            .field("percentile_prefixes", &self.options.percentile_prefixes)
            .field("idle_timeout", &self.options.idle_timeout)
            .field("max_meters", &self.options.max_meters)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The output location, as spectator-std takes it: `udp`, `unix`, `udp://HOST:PORT`,
    /// `unix://PATH`, `file://PATH`, `stdout`, `stderr`, `memory`, `none`.
    pub fn location(mut self, location: &str) -> Self {
        self.config = self.config.location(location);
        self
    }

    /// A tag on every meter: what other exporters call a global label. It overrides a
    /// label of the same key, and the environment's `nf.container`/`nf.process` override it
    /// (spectator-py's `extra_common_tags`).
    #[doc(alias = "global_label")]
    pub fn common_tag(mut self, key: &str, value: &str) -> Self {
        self.config = self.config.extra_common_tag(key, value);
        self
    }

    /// Several [common tags](Self::common_tag).
    pub fn common_tags<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.config = self.config.extra_common_tags(tags);
        self
    }

    /// Counters, gauges and monotonic counters fold their updates into one line per meter
    /// every `interval` (default 1 s; shorter than spectatord's 5 s step, or `build` fails).
    pub fn aggregate(mut self, interval: Duration) -> Self {
        self.aggregate = Some(interval);
        self
    }

    /// Every update sends its own line (no client-side aggregation).
    pub fn without_aggregation(mut self) -> Self {
        self.aggregate = None;
        self
    }

    /// Joins lines into datagrams of at most `bytes` (default 60 KiB; 0: one line per
    /// datagram) on UDP and Unix outputs.
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// Ignores the environment (`SPECTATOR_OUTPUT_LOCATION`, `NETFLIX_*`): for tests.
    pub fn without_env(mut self) -> Self {
        self.config = self.config.without_env();
        self
    }

    /// Any other setting of the registry's [`ConfigBuilder`] (flush interval, datagram size,
    /// spectatord's step, ...).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = spectator_metrics::SpectatorRecorder::builder()
    ///     .config(|c| c.max_datagram(1472).spectatord_step(Duration::from_secs(10)));
    /// ```
    pub fn config(mut self, f: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Self {
        self.config = f(self.config);
        self
    }

    /// Histograms named `name` get percentiles: percentile timers (`T`) or percentile
    /// distribution summaries (`D`). Each costs Atlas up to about 300 times the storage of a
    /// plain one, so they are opt-in by name.
    pub fn percentiles_for(mut self, name: &str) -> Self {
        self.options.percentile_names.push(name.to_owned());
        self
    }

    /// Histograms whose name starts with `prefix` get percentiles (see
    /// [`percentiles_for`](Self::percentiles_for)).
    pub fn percentiles_for_prefix(mut self, prefix: &str) -> Self {
        self.options.percentile_prefixes.push(prefix.to_owned());
        self
    }

    /// Meters not updated for `timeout` are removed from the recorder's map (see
    /// [`SpectatorRecorder::sweep`]); `None` keeps them. Default 15 minutes, spectatord's
    /// gauge TTL.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.options.idle_timeout = timeout;
        self
    }

    /// At most `meters` distinct meters (keys of each type); the keys beyond get a handle that
    /// drops and counts their updates ([`RecorderStats`](crate::RecorderStats)). Default 10,000.
    pub fn max_meters(mut self, meters: usize) -> Self {
        self.options.max_meters = meters;
        self
    }

    /// The clock idle expiry reads (default: the system's), e.g. a
    /// [`ManualClock`](spectator_std::ManualClock) in tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.options.clock = Some(clock);
        self
    }

    /// Validates the options and the registry configuration and opens the output.
    pub fn build(self) -> Result<SpectatorRecorder, Error> {
        let options = self.options;
        if options.idle_timeout == Some(Duration::ZERO) {
            return Err(Error::ZeroIdleTimeout);
        }
        if options.max_meters == 0 {
            return Err(Error::ZeroMaxMeters);
        }
        if options
            .percentile_names
            .iter()
            .chain(&options.percentile_prefixes)
            .any(String::is_empty)
        {
            return Err(Error::EmptyPercentileName);
        }
        let mut config = self.config.buffer_size(self.buffer_size);
        if let Some(interval) = self.aggregate {
            config = config.aggregate(interval);
        }
        let registry = Registry::new(config.build()?)?;
        Ok(SpectatorRecorder::with_options(registry, options))
    }

    /// [`build`](Self::build)s the recorder and sets it as the `metrics` facade's global
    /// recorder. Keep the returned guard until the end of `main`: dropping it flushes what is
    /// aggregated or buffered (the global recorder itself is never dropped).
    ///
    /// ```no_run
    /// fn main() -> Result<(), spectator_metrics::Error> {
    ///     let _metrics = spectator_metrics::SpectatorRecorder::builder()
    ///         .common_tag("nf.app", "www")
    ///         .install()?;
    ///     metrics::counter!("jobs.done").increment(1);
    ///     Ok(())
    /// } // `_metrics` dropped: the aggregated count is sent
    /// ```
    pub fn install(self) -> Result<Installed, Error> {
        let recorder = self.build()?;
        metrics::set_global_recorder(recorder.clone()).map_err(|_| Error::AlreadyInstalled)?;
        Ok(Installed { recorder })
    }
}

/// The guard of the global recorder set by [`Builder::install`]: flushes on drop.
#[derive(Debug)]
#[must_use = "dropping the guard at once flushes at once, not at the end"]
pub struct Installed {
    recorder: SpectatorRecorder,
}

impl Installed {
    /// The installed recorder (its stats, its registry).
    pub fn recorder(&self) -> &SpectatorRecorder {
        &self.recorder
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        self.recorder.flush();
    }
}
