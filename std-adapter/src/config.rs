//! [`Config`]: location, common tags, buffering and flushing of a [`Registry`](crate::Registry)
//! (spec §3.4, §6, §7).

use std::collections::HashMap;
use std::time::Duration;

use crate::error::ConfigError;
use crate::location::Location;

/// The environment variable that overrides the configured location.
pub const LOCATION_ENV: &str = "SPECTATOR_OUTPUT_LOCATION";
/// The largest datagram a registry sends by default: below spectatord's 64 KiB receive buffer.
pub const DEFAULT_MAX_DATAGRAM: usize = 60 * 1024;
/// How many bytes of datagrams a buffered socket output keeps by default while spectatord is
/// not reading, before dropping the oldest.
pub const DEFAULT_BACKLOG: usize = 4 << 20;
/// The largest UDP/IPv4 payload.
pub const UDP_MAX_PAYLOAD: usize = 65_507;

/// Where the environment is read from: the process, or a fixed map (for tests).
#[derive(Debug, Clone, Default)]
enum Env {
    #[default]
    Process,
    Fixed(HashMap<String, String>),
}

impl Env {
    fn get(&self, key: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var_os(key).map(|v| v.to_string_lossy().into_owned()),
            Env::Fixed(map) => map.get(key).cloned(),
        }
    }
}

/// A registry's configuration, validated.
///
/// ```
/// use std::time::Duration;
/// use spectator_std::{Config, Location};
/// let config = Config::builder()
///     .location("memory")
///     .extra_common_tag("nf.app", "www")
///     .buffer_size(2048)
///     .flush_interval(Duration::from_secs(1))
///     .without_env()
///     .build()?;
/// assert_eq!(config.location(), &Location::Memory);
/// # Ok::<(), spectator_std::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    location: Location,
    extra_common_tags: Vec<(String, String)>,
    container: Option<String>,
    process: Option<String>,
    buffer_size: usize,
    max_datagram: usize,
    backlog_size: usize,
    flush_interval: Duration,
    aggregate: Option<Duration>,
    thread_buffers: ThreadBuffers,
}

/// When a buffered UDP or Unix output gives each thread its own small line buffer (a lane,
/// 16 KiB of heap per thread) for the lines of order-free kinds (counters, timers,
/// distribution summaries, max gauges: [`MeterKind::is_order_free`](spectator_core::MeterKind::is_order_free)),
/// handed to the shared buffer in runs ([`ConfigBuilder::thread_buffers`]).
///
/// Threads writing lines at once through the shared buffer alone wait for its lock and pass
/// its cache lines between their cores on every line; with lanes they do not, at a cost of a
/// few nanoseconds per line on one thread. Lines whose order counts (gauges: the last line
/// wins) always keep it, through the shared buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreadBuffers {
    /// Lanes once threads have been seen waiting for the shared buffer (64 times, not counting
    /// flushes): a program that writes from one thread, or seldom, keeps the shorter path.
    #[default]
    Auto,
    /// Lanes from the first line.
    Always,
    /// The shared buffer only.
    Never,
}

impl Config {
    /// A builder with spectator-py's defaults: location `udp`, no extra tags, no buffer.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The defaults, with the environment applied (what [`Registry::default`](crate::Registry)
    /// and the global registry use).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().build()
    }

    /// The resolved location.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Extra common tags, validated (empty keys or values dropped).
    pub fn extra_common_tags(&self) -> &[(String, String)] {
        &self.extra_common_tags
    }

    /// `nf.container` from `NETFLIX_CONTAINER_NAME` or `TITUS_CONTAINER_NAME`, trimmed.
    pub fn container(&self) -> Option<&str> {
        self.container.as_deref()
    }

    /// `nf.process` from `NETFLIX_PROCESS_NAME`, trimmed.
    pub fn process(&self) -> Option<&str> {
        self.process.as_deref()
    }

    /// The line buffer size in bytes (0: every line is its own datagram). Applies to UDP and
    /// Unix outputs; datagrams never exceed it.
    pub fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    /// The largest datagram sent; longer lines are dropped and counted.
    pub fn max_datagram(&self) -> usize {
        self.max_datagram
    }

    /// Bytes of datagrams a buffered UDP or Unix output keeps while the socket is full.
    pub fn backlog_size(&self) -> usize {
        self.backlog_size
    }

    /// How often buffered lines (and file or stdout output) are flushed in the background.
    pub fn flush_interval(&self) -> Duration {
        self.flush_interval
    }

    /// The aggregation report interval, when client-side aggregation is on
    /// ([`ConfigBuilder::aggregate`]).
    pub fn aggregate(&self) -> Option<Duration> {
        self.aggregate
    }

    /// When a buffered output gives threads their own line buffers
    /// ([`ConfigBuilder::thread_buffers`]).
    pub fn thread_buffers(&self) -> ThreadBuffers {
        self.thread_buffers
    }
}

/// Builds a [`Config`]; [`build`](ConfigBuilder::build) validates everything.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    location: String,
    extra_common_tags: Vec<(String, String)>,
    buffer_size: usize,
    max_datagram: usize,
    backlog_size: usize,
    flush_interval: Duration,
    aggregate: Option<Duration>,
    spectatord_step: Duration,
    thread_buffers: ThreadBuffers,
    env: Env,
    use_env: bool,
}

/// spectatord's default step (its `--frequency`): what an aggregation interval must stay below
/// unless [`ConfigBuilder::spectatord_step`] says otherwise.
pub const DEFAULT_SPECTATORD_STEP: Duration = Duration::from_secs(5);

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self {
            location: "udp".to_owned(),
            extra_common_tags: Vec::new(),
            buffer_size: 0,
            max_datagram: DEFAULT_MAX_DATAGRAM,
            backlog_size: DEFAULT_BACKLOG,
            flush_interval: Duration::from_secs(5),
            aggregate: None,
            spectatord_step: DEFAULT_SPECTATORD_STEP,
            thread_buffers: ThreadBuffers::Auto,
            env: Env::Process,
            use_env: true,
        }
    }
}

impl ConfigBuilder {
    /// The output location (spec §6): `none`, `memory`, `stdout`, `stderr`, `udp`, `unix`,
    /// `file://PATH`, `udp://HOST:PORT`, `unix://PATH`. `SPECTATOR_OUTPUT_LOCATION` wins.
    pub fn location(mut self, location: &str) -> Self {
        location.clone_into(&mut self.location);
        self
    }

    /// Adds a tag to every id built by the registry's factories; it overrides a user tag of the
    /// same key, and the environment tags override it. A repeated key keeps its last value; an
    /// empty key or value is dropped silently (as spectator-py does).
    pub fn extra_common_tag(mut self, key: &str, value: &str) -> Self {
        self.extra_common_tags
            .push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds several extra common tags.
    pub fn extra_common_tags<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in tags {
            self = self.extra_common_tag(k.as_ref(), v.as_ref());
        }
        self
    }

    /// Enables the line buffer for UDP and Unix outputs: lines are joined into datagrams of at
    /// most `bytes` (capped at the maximum datagram size). 0 disables it.
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// The largest datagram to send, 1 to 65507 bytes (default 60 KiB).
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes;
        self
    }

    /// How many bytes of datagrams a buffered UDP or Unix output keeps while spectatord is not
    /// reading (default 4 MiB), sent in order once it reads again; past that the oldest are
    /// dropped and counted. 0 drops at once.
    pub fn backlog_size(mut self, bytes: usize) -> Self {
        self.backlog_size = bytes;
        self
    }

    /// When a buffered output gives each thread its own line buffer (default
    /// [`ThreadBuffers::Auto`]: once threads contend for the shared one).
    ///
    /// ```
    /// use spectator_std::{Config, ThreadBuffers};
    /// let config = Config::builder().buffer_size(60 * 1024).thread_buffers(ThreadBuffers::Always).without_env().build()?;
    /// assert_eq!(config.thread_buffers(), ThreadBuffers::Always);
    /// # Ok::<(), spectator_std::ConfigError>(())
    /// ```
    pub fn thread_buffers(mut self, when: ThreadBuffers) -> Self {
        self.thread_buffers = when;
        self
    }

    /// The background flush interval (default 5 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Turns on exact client-side aggregation: counters, gauges, max gauges, age gauges and
    /// monotonic counters keep their interval's figure in atomic cells (the sum, the last
    /// value, the maximum) and the registry reports one line per updated meter every
    /// `interval` (1 s is a good choice), on [`Registry::flush`](crate::Registry::flush), on
    /// close and when the last handle is dropped. Timers, distribution summaries and sketches
    /// still send one line per update: spectatord needs every value of those. Off by default,
    /// so the output stays line for line spectator-py's. A meter whose handles are all dropped
    /// is reported once more and forgotten, so short-lived ids do not accumulate.
    ///
    /// The interval must be shorter than spectatord's step (5 s unless
    /// [`spectatord_step`](Self::spectatord_step) says otherwise), so that each step's figure
    /// lands in that step or, at its edge, the next; [`build`](Self::build) refuses a longer
    /// one or 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// use spectator_std::{Config, ConfigError};
    /// let config = Config::builder().aggregate(Duration::from_secs(1)).without_env().build()?;
    /// assert_eq!(config.aggregate(), Some(Duration::from_secs(1)));
    /// let too_long = Config::builder().aggregate(Duration::from_secs(5)).without_env().build();
    /// assert!(matches!(too_long, Err(ConfigError::InvalidAggregateInterval { .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn aggregate(mut self, interval: Duration) -> Self {
        self.aggregate = Some(interval);
        self
    }

    /// spectatord's step (its `--frequency`, 5 s by default), when it was started with a
    /// longer one: raises the limit on the [aggregation interval](Self::aggregate).
    pub fn spectatord_step(mut self, step: Duration) -> Self {
        self.spectatord_step = step;
        self
    }

    /// Reads the environment from `vars` instead of the process (for tests).
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Env::Fixed(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self.use_env = true;
        self
    }

    /// Ignores the environment entirely: no location override, no `nf.*` tags.
    pub fn without_env(mut self) -> Self {
        self.use_env = false;
        self
    }

    /// Validates and resolves: the location argument first, then `SPECTATOR_OUTPUT_LOCATION`
    /// when set (even empty), then the datagram sizes and common tags.
    pub fn build(self) -> Result<Config, ConfigError> {
        if !Location::is_valid(&self.location) {
            return Err(ConfigError::InvalidLocation(self.location));
        }
        let env = |key: &str| {
            if self.use_env {
                self.env.get(key)
            } else {
                None
            }
        };
        let location = match env(LOCATION_ENV) {
            Some(from_env) if !Location::is_valid(&from_env) => {
                return Err(ConfigError::InvalidEnvLocation(from_env));
            }
            Some(from_env) => Location::parse(&from_env)?,
            None => Location::parse(&self.location)?,
        };
        if self.max_datagram == 0 || self.max_datagram > UDP_MAX_PAYLOAD {
            return Err(ConfigError::InvalidMaxDatagram(self.max_datagram));
        }
        if let Some(interval) = self.aggregate {
            if interval.is_zero() || interval >= self.spectatord_step {
                return Err(ConfigError::InvalidAggregateInterval {
                    interval,
                    step: self.spectatord_step,
                });
            }
        }
        let buffer_size = if self.buffer_size > self.max_datagram {
            log::warn!(
                target: "spectator::registry",
                "buffer_size {} is larger than the maximum datagram; using {}",
                self.buffer_size,
                self.max_datagram
            );
            self.max_datagram
        } else {
            self.buffer_size
        };
        let non_blank = |keys: &[&str]| {
            let values: Vec<Option<String>> = keys.iter().map(|k| env(k)).collect();
            spectator_core::CommonTags::first_non_blank(values.iter().map(Option::as_deref))
                .map(str::to_owned)
        };
        Ok(Config {
            location,
            extra_common_tags: dict_then_validate(self.extra_common_tags),
            container: non_blank(&["NETFLIX_CONTAINER_NAME", "TITUS_CONTAINER_NAME"]),
            process: non_blank(&["NETFLIX_PROCESS_NAME"]),
            buffer_size,
            max_datagram: self.max_datagram,
            backlog_size: self.backlog_size,
            flush_interval: self.flush_interval,
            aggregate: self.aggregate,
            thread_buffers: self.thread_buffers,
        })
    }
}

/// Python's `validate_tags(dict(pairs))`: a repeated key keeps its last value, then entries
/// with an empty key or value are dropped.
fn dict_then_validate(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut dict: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match dict.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => dict.push((k, v)),
        }
    }
    dict.retain(|(k, v)| !k.is_empty() && !v.is_empty());
    dict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(location: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::builder()
            .location(location)
            .env(env.iter().copied())
            .build()
    }

    #[test]
    fn env_location_wins_but_the_argument_is_validated_first() {
        assert_eq!(
            build("udp", &[(LOCATION_ENV, "memory")])
                .unwrap()
                .location(),
            &Location::Memory
        );
        assert_eq!(
            build("bogus", &[(LOCATION_ENV, "memory")]),
            Err(ConfigError::InvalidLocation("bogus".into()))
        );
        assert_eq!(
            build("udp", &[(LOCATION_ENV, "")]),
            Err(ConfigError::InvalidEnvLocation("".into()))
        );
        assert_eq!(
            build("udp", &[(LOCATION_ENV, "UDP")]),
            Err(ConfigError::InvalidEnvLocation("UDP".into()))
        );
        assert_eq!(
            build("memory", &[(LOCATION_ENV, "udp://x")]),
            Err(ConfigError::MissingPort("udp://x".into()))
        );
    }

    #[test]
    fn env_tags_first_non_blank_trimmed() {
        let c = build(
            "none",
            &[
                ("NETFLIX_CONTAINER_NAME", "  "),
                ("TITUS_CONTAINER_NAME", " titus "),
                ("NETFLIX_PROCESS_NAME", "my proc/1"),
            ],
        )
        .unwrap();
        assert_eq!(
            (c.container(), c.process()),
            (Some("titus"), Some("my proc/1"))
        );
        let c = build("none", &[("TITUS_PROCESS_NAME", "ignored")]).unwrap();
        assert_eq!((c.container(), c.process()), (None, None));
        let c = Config::builder()
            .location("none")
            .without_env()
            .build()
            .unwrap();
        assert_eq!(c.container(), None);
    }

    #[test]
    fn sizes_are_checked() {
        let b = || Config::builder().location("none").without_env();
        assert_eq!(
            b().max_datagram(0).build(),
            Err(ConfigError::InvalidMaxDatagram(0))
        );
        assert_eq!(
            b().max_datagram(65508).build(),
            Err(ConfigError::InvalidMaxDatagram(65508))
        );
        assert_eq!(
            b().buffer_size(1 << 20).build().unwrap().buffer_size(),
            DEFAULT_MAX_DATAGRAM
        );
        assert_eq!(b().buffer_size(2048).build().unwrap().buffer_size(), 2048);
    }

    #[test]
    fn invalid_extra_tags_are_dropped_silently() {
        let c = Config::builder()
            .location("none")
            .without_env()
            .extra_common_tags([("a", "1"), ("", "2"), ("b", ""), ("c", "3"), ("c", "")])
            .build()
            .unwrap();
        assert_eq!(c.extra_common_tags(), &[("a".to_owned(), "1".to_owned())]);
    }
}
