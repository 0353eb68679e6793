//! `spectator send`: one update through spectator-std, exactly as a program using the library
//! would send it.

use std::fmt;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use spectator_core::{Filter, MeterKind};
use spectator_std::{Config, ConfigError, Location, Registry, Value, LOCATION_ENV};

/// The command-line parser of a meter type: the kinds' names ([`MeterKind::name`]), each with
/// its symbol and description as help (`c: increments, published as a rate per second`).
pub fn meter_kind_parser() -> impl TypedValueParser<Value = MeterKind> {
    PossibleValuesParser::new(MeterKind::ALL.map(|kind| {
        let help = format!("{}: {}", char::from(kind.symbol()), kind.description());
        PossibleValue::new(kind.name()).help(help)
    }))
    .try_map(|name| MeterKind::from_name(&name).ok_or("not a meter type"))
}

/// A failure of `spectator send`, with its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// 2 for invalid input or configuration, 1 when sending failed.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl SendError {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendError {}

/// One update to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// The meter type.
    pub meter: MeterKind,
    /// The meter name.
    pub name: String,
    /// Tags, `(key, value)`.
    pub tags: Vec<(String, String)>,
    /// Extra common tags for the [`Config`].
    pub common_tags: Vec<(String, String)>,
    /// Gauge TTL in seconds.
    pub ttl: Option<u32>,
    /// The value as typed.
    pub value: String,
}

/// What the value filter of a meter kind lets through, in words (`only values > 0`).
fn filter_words(filter: Filter) -> &'static str {
    match filter {
        Filter::None => "every value",
        Filter::Positive => "only values > 0",
        Filter::NonNegative => "only values >= 0",
    }
}

/// `K=V`, split at the first `=`; the key and the value must not be empty.
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_owned(), v.to_owned())),
        Some(_) => Err(format!(
            "invalid tag '{text}': the key and the value must not be empty (spectator drops such tags)"
        )),
        None => Err(format!("invalid tag '{text}': expected KEY=VALUE")),
    }
}

/// A number as written: an integer literal is an integer (`i64`, or `u64` above `i64::MAX`),
/// anything else a float (`1.0`, `nan`, `inf`, `-inf`, `1e-05`), as a Python caller's `1` and
/// `1.0` differ.
///
/// ```
/// use spectator_cli::send::parse_number;
/// use spectator_std::Value;
/// assert_eq!(parse_number("1"), Ok(Value::Int(1)));
/// assert_eq!(parse_number("18446744073709551615"), Ok(Value::UInt(u64::MAX)));
/// assert_eq!(parse_number("1.0"), Ok(Value::Float(1.0)));
/// assert!(parse_number("abc").is_err());
/// ```
pub fn parse_number(text: &str) -> Result<Value<'static>, String> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Ok(Value::UInt(u));
        }
        return Err(format!(
            "invalid value '{text}': integers must fit in 64 bits (from {} to {})",
            i64::MIN,
            u64::MAX
        ));
    }
    let lower = text.to_ascii_lowercase();
    let is_number_like = lower
        .trim_start_matches(['-', '+'])
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        || ["nan", "inf", "infinity"].contains(&lower.trim_start_matches(['-', '+']));
    match text.parse::<f64>() {
        Ok(f) if is_number_like => Ok(Value::Float(f)),
        _ => Err(format!(
            "invalid value '{text}': expected a number (1, -2, 1.5, 1e-05, nan, inf, -inf)"
        )),
    }
}

/// `U` totals: an integer; a negative one wraps modulo 2^64 like Python's `c_uint64(-1)`.
fn parse_uint(text: &str) -> Result<u64, String> {
    match parse_number(text)? {
        Value::Int(i) => Ok(i as u64),
        Value::UInt(u) => Ok(u),
        _ => Err(format!(
            "invalid value '{text}': monotonic-counter-uint takes an integer"
        )),
    }
}

/// The registry's configuration: location from `SPECTATOR_OUTPUT_LOCATION` (default `udp`),
/// the extra common tags, the environment's `nf.*` tags.
fn config(request: &SendRequest) -> Result<Config, SendError> {
    let config = Config::builder()
        .location("udp")
        .extra_common_tags(request.common_tags.iter().map(|(k, v)| (k, v)))
        .build()
        .map_err(|e: ConfigError| SendError::usage(e.to_string()))?;
    if config.location() == &Location::Memory {
        return Err(SendError::usage(format!(
            "{LOCATION_ENV}=memory keeps lines inside the process: nothing would be sent"
        )));
    }
    Ok(config)
}

/// Sends `request`; returns a note when the meter's filter ([`MeterKind::filter`]) dropped the
/// value (as spectator-py does: counters take only values `> 0`, timers and distribution
/// summaries only `>= 0`).
pub fn send(request: &SendRequest) -> Result<Option<String>, SendError> {
    if request.name.is_empty() {
        return Err(SendError::usage(
            "the meter name must not be empty (spectatord rejects it: Missing name)",
        ));
    }
    if request.ttl.is_some() && request.meter != MeterKind::Gauge {
        return Err(SendError::usage("--ttl applies only to gauge"));
    }
    if request.ttl == Some(0) {
        return Err(SendError::usage(
            "--ttl must be at least 1 second (spectatord rejects a gauge TTL of 0)",
        ));
    }
    let config = config(request)?;
    let registry = Registry::new(config).map_err(|e| SendError {
        code: 1,
        message: e.to_string(),
    })?;
    let tags: Vec<(&str, &str)> = request
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (name, value) = (request.name.as_str(), request.value.as_str());
    let kind = request.meter;
    // The value as the kind takes it: text for a sketch, `now` for an age gauge, an integer
    // for `U`, a number otherwise; the kind's filter decides whether it is written.
    let number = match kind {
        MeterKind::DistinctCountSketch => None,
        MeterKind::AgeGauge if value == "now" => None,
        MeterKind::MonotonicCounterUint => {
            Some(Value::UInt(parse_uint(value).map_err(SendError::usage)?))
        }
        _ => Some(parse_number(value).map_err(SendError::usage)?),
    };
    let filtered = number.is_some_and(|v| !kind.accepts(&v));
    let before = registry.stats();
    // The one place that names each kind: the registry has one method per meter type.
    match (kind, number) {
        (MeterKind::Counter, Some(v)) => registry.counter(name, &tags).increment_by(v),
        (MeterKind::Gauge, Some(v)) => match request.ttl {
            Some(ttl) => registry.gauge_with_ttl(name, &tags, ttl).set(v),
            None => registry.gauge(name, &tags).set(v),
        },
        (MeterKind::MaxGauge, Some(v)) => registry.max_gauge(name, &tags).set(v),
        (MeterKind::AgeGauge, Some(v)) => registry.age_gauge(name, &tags).set(v),
        (MeterKind::AgeGauge, None) => registry.age_gauge(name, &tags).now(),
        (MeterKind::MonotonicCounter, Some(v)) => registry.monotonic_counter(name, &tags).set(v),
        (MeterKind::MonotonicCounterUint, Some(Value::UInt(total))) => {
            registry.monotonic_counter_uint(name, &tags).set(total)
        }
        (MeterKind::DistributionSummary, Some(v)) => {
            registry.distribution_summary(name, &tags).record(v)
        }
        (MeterKind::PercentileDistributionSummary, Some(v)) => {
            registry.pct_distribution_summary(name, &tags).record(v)
        }
        (MeterKind::Timer, Some(v)) => registry.timer(name, &tags).record(v),
        (MeterKind::PercentileTimer, Some(v)) => registry.pct_timer(name, &tags).record(v),
        (MeterKind::DistinctCountSketch, _) => registry
            .distinct_count_sketch(name, &tags)
            .record_str(value),
        (kind, _) => {
            return Err(SendError::usage(format!(
                "invalid value '{value}' for a {}",
                kind.name()
            )))
        }
    }
    registry.close();
    if filtered {
        return Ok(Some(format!(
            "nothing sent: a {} sends {} (like spectator-py), not {value}",
            kind.name(),
            filter_words(kind.filter())
        )));
    }
    if registry.config().location() == &Location::None {
        return Ok(Some("location none: the line was discarded".into()));
    }
    let after = registry.stats();
    if after.lines_sent == before.lines_sent {
        return Err(SendError {
            code: 1,
            message: format!(
                "the line could not be sent to {} (send errors: {}, dropped: {:?})",
                registry.config().location(),
                after.send_errors,
                after.dropped
            ),
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_written_type() {
        assert_eq!(parse_number("-5"), Ok(Value::Int(-5)));
        assert_eq!(parse_number("+5"), Ok(Value::Int(5)));
        assert_eq!(
            parse_number("9223372036854775808"),
            Ok(Value::UInt(9_223_372_036_854_775_808))
        );
        assert!(parse_number("18446744073709551616").is_err());
        assert!(parse_number("-9223372036854775809").is_err());
        assert_eq!(parse_number("1e-05"), Ok(Value::Float(1e-05)));
        assert_eq!(parse_number(".5"), Ok(Value::Float(0.5)));
        assert_eq!(parse_number("-inf"), Ok(Value::Float(f64::NEG_INFINITY)));
        assert!(matches!(parse_number("nan"), Ok(Value::Float(f)) if f.is_nan()));
        for bad in ["", "-", "abc", "1x", "0x10", "1_000", " 1", "e5"] {
            assert!(parse_number(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uint_wraps_negatives_like_c_uint64() {
        assert_eq!(parse_uint("-1"), Ok(u64::MAX));
        assert!(parse_uint("1.5").is_err());
    }

    #[test]
    fn tags_need_key_and_value() {
        assert_eq!(parse_tag("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_tag("a").is_err());
        assert!(parse_tag("=b").is_err());
        assert!(parse_tag("a=").is_err());
    }
}
