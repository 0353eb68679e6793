//! [`ConfigError`]: what is wrong with a configuration, reported when a registry is built.

use std::fmt;

/// A configuration that cannot work. Returned by [`Config`](crate::Config) and
/// [`Registry::new`](crate::Registry::new), never raised later while recording.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The output could not be opened (file, socket).
    Open(String, String),
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

impl std::error::Error for ConfigError {}
