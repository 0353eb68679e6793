//! [`ConfigError`]: what is wrong with a configuration, reported when a registry is built.

use std::fmt;
use std::io;
use std::sync::Arc;

/// A configuration that cannot work. Returned by [`Config`](crate::Config) and
/// [`Registry::new`](crate::Registry::new), never raised later while recording.
///
/// An output that cannot be opened keeps the operating system's error as its
/// [`source`](std::error::Error::source):
///
/// ```
/// use std::error::Error;
/// use spectator_std::{Config, ConfigError, Registry};
///
/// let config = Config::builder()
///     .location("file:///nonexistent-directory/metrics.txt")
///     .without_env()
///     .build()?;
/// let err = Registry::new(config).unwrap_err();
/// assert!(matches!(&err, ConfigError::Open(location, e)
///     if location == "file:///nonexistent-directory/metrics.txt"
///         && e.kind() == std::io::ErrorKind::NotFound));
/// let io = err.source().and_then(|e| e.downcast_ref::<std::io::Error>()).unwrap();
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConfigError {
    /// The location is not one spectator-py accepts.
    InvalidLocation(String),
    /// `SPECTATOR_OUTPUT_LOCATION` is set to an invalid location (empty included).
    InvalidEnvLocation(String),
    /// `udp://HOST` without a port (spectator-py fails on every write instead).
    MissingPort(String),
    /// The port is not a number from 0 to 65535.
    InvalidPort(String),
    /// The host name does not resolve.
    Unresolvable(String, String),
    /// `file://` or `unix://` without a path.
    MissingPath(String),
    /// The maximum datagram size is 0 or larger than a UDP datagram can be (65507 bytes).
    InvalidMaxDatagram(usize),
    /// The output (file, socket) could not be opened: the location, and the operating
    /// system's error, which is also the [`source`](std::error::Error::source) (in an [`Arc`],
    /// so the error stays `Clone`).
    Open(String, Arc<io::Error>),
    /// The aggregation interval is 0, or not shorter than spectatord's step.
    InvalidAggregateInterval {
        /// The interval asked for.
        interval: std::time::Duration,
        /// spectatord's step it must stay below.
        step: std::time::Duration,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidLocation(l) => {
                write!(f, "spectatord output location is invalid: {l}")
            }
            ConfigError::InvalidEnvLocation(l) => {
                write!(f, "SPECTATOR_OUTPUT_LOCATION is invalid: {l}")
            }
            ConfigError::MissingPort(l) => write!(f, "spectatord output location has no port: {l}"),
            ConfigError::InvalidPort(l) => {
                write!(f, "spectatord output location has an invalid port: {l}")
            }
            ConfigError::Unresolvable(l, e) => {
                write!(f, "spectatord output location does not resolve: {l}: {e}")
            }
            ConfigError::MissingPath(l) => write!(f, "spectatord output location has no path: {l}"),
            ConfigError::InvalidMaxDatagram(n) => {
                write!(
                    f,
                    "maximum datagram size must be from 1 to 65507 bytes, not {n}"
                )
            }
            ConfigError::Open(l, e) => write!(f, "cannot open spectatord output {l}: {e}"),
            ConfigError::InvalidAggregateInterval { interval, step } => write!(
                f,
                "aggregation interval {interval:?} must be above 0 and shorter than spectatord's step of {step:?}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Open(_, e) => Some(&**e),
            _ => None,
        }
    }
}

/// Equal variants with equal fields; two [`ConfigError::Open`]s are equal when their locations,
/// error kinds and messages are.
impl PartialEq for ConfigError {
    fn eq(&self, other: &Self) -> bool {
        use ConfigError::*;
        match (self, other) {
            (InvalidLocation(a), InvalidLocation(b))
            | (InvalidEnvLocation(a), InvalidEnvLocation(b))
            | (MissingPort(a), MissingPort(b))
            | (InvalidPort(a), InvalidPort(b))
            | (MissingPath(a), MissingPath(b)) => a == b,
            (Unresolvable(a, e), Unresolvable(b, f)) => a == b && e == f,
            (InvalidMaxDatagram(a), InvalidMaxDatagram(b)) => a == b,
            (
                InvalidAggregateInterval { interval, step },
                InvalidAggregateInterval {
                    interval: i,
                    step: s,
                },
            ) => interval == i && step == s,
            (Open(a, e), Open(b, f)) => {
                a == b && e.kind() == f.kind() && e.to_string() == f.to_string()
            }
            _ => false,
        }
    }
}

impl Eq for ConfigError {}
