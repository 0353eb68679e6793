//! `MeterId` + `Measurement` formatting against independent models, and both parsers on the
//! result.
//!
//! From the fuzzer's bytes: a name, up to 8 tags, a meter kind, a value (an `i64`, a `u64`, an
//! `f64` from raw bits, or sketch bytes for `S`) and an optional gauge TTL. Checked:
//!
//! * `MeterId::<512, 8>::new` succeeds or fails exactly as modelled (empty name; raw or
//!   rendered text over 512 bytes), keeps the tags of the dict model (last value wins, empty
//!   key or value dropped) sorted by raw key, and renders `sanitize(name),sanitize(k)=sanitize(v)…`;
//! * the line is exactly `symbol[,ttl]:id:value`, has no `\n`, `line_len()` equals the written
//!   length, `Value::rendered_len` equals the value's length, and writing into a buffer that is
//!   one byte too small fails and leaves it unchanged;
//! * integers render as Rust's `to_string`; floats render like Python's `repr` (modelled from
//!   Rust's shortest `{:e}` digits) and parse back to the same bits (NaN to NaN); decimals
//!   render like Python's `repr` of the correctly rounded quotient when they have at most 15
//!   significant digits, as their exact digits in the same layout otherwise, and parse back to
//!   the quotient's correctly rounded `f64`;
//! * `Measurement::filtered` applies exactly the kind's filter (counters `> 0`, timers and
//!   distribution summaries `>= 0`, NaN fails both);
//! * `parse::python::parse_protocol_line` gives back the symbol, name, tags and value text;
//! * `parse::spectatord::parse_line` accepts every line but `S` ones (and `U` lines whose float
//!   value has no leading integer: `nan`, `inf`), with the same name, tags, option and value.
#![no_main]

use core::num::NonZeroU32;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spectator_core::parse::python::parse_protocol_line;
use spectator_core::parse::spectatord::{self, ParsedValue, Rejected};
use spectator_core::{IdError, LineWrite, Measurement, MeterId, MeterKind, Overflow, Value};

const N: usize = 512;
const T: usize = 8;

#[derive(Debug, Arbitrary)]
enum Number {
    Int(i64),
    UInt(u64),
    /// Raw bits, so NaN payloads, subnormals and both zeros all occur.
    FloatBits(u64),
    /// A "nice" float: small integers and fractions that humans write.
    SmallFloat(i16, u8),
    /// An exact decimal `mantissa × 10^-scale`.
    Decimal(i64, u8),
}

#[derive(Debug, Arbitrary)]
struct Input {
    name: String,
    tags: Vec<(String, String)>,
    kind: u8,
    number: Number,
    sketch: Vec<u8>,
    sketch_int: Option<i64>,
    ttl: u32,
}

fn model_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '^')
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if model_allowed(c) { c } else { '_' })
        .collect()
}

/// spectator-py's dict semantics for user tags: the last value of a key wins, and keys whose
/// final value is empty, or that are empty themselves, are absent. Sorted by raw key.
fn model_tags<'a>(tags: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for &(k, v) in tags {
        if k.is_empty() {
            continue;
        }
        let at = out.iter().position(|(key, _)| *key == k);
        match (at, v.is_empty()) {
            (Some(i), true) => {
                out.remove(i);
            }
            (Some(i), false) => out[i].1 = v,
            (None, true) => {}
            (None, false) => out.push((k, v)),
        }
    }
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

/// The digits and decimal exponent of Python's `repr` of a finite non-zero `x`: the fewest
/// digits that round-trip (Rust's shortest `{:e}` finds how many), and among those the correctly
/// rounded ones, exact ties to even (Rust's `{:.N$e}`). Rust's shortest output alone breaks
/// such ties upwards (`23576.0113525390625`: Python and ryu say `…062`, `{:e}` says `…063`).
fn repr_digits(x: f64) -> (String, i32) {
    let split = |sci: String| {
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
        (digits, exp.parse::<i32>().unwrap())
    };
    let (shortest, exp) = split(format!("{:e}", x));
    let rounded = format!("{:.*e}", shortest.len() - 1, x);
    if rounded.parse::<f64>().unwrap() == x {
        split(rounded)
    } else {
        (shortest, exp)
    }
}

/// Python's `repr(float)`, modelled on Rust's formatting (see [`repr_digits`]).
fn py_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = repr_digits(x.abs());
    assert!(!digits.starts_with('0') && (digits.len() == 1 || !digits.ends_with('0')));
    if (-4..16).contains(&exp) {
        if exp < 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let int_len = (exp + 1) as usize;
            if digits.len() > int_len {
                format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
            } else {
                format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.unsigned_abs())
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Text of a value, modelled without the crate.
fn model_value(value: &Value<'_>) -> String {
    match *value {
        Value::Int(v) => v.to_string(),
        Value::UInt(v) => v.to_string(),
        Value::Float(v) => py_repr(v),
        Value::Decimal { mantissa, scale } => model_decimal(mantissa, scale),
        Value::Bytes(b) => base64(b),
        Value::IntBytes(b) => base64(&b),
    }
}

fn filter_passes(kind: MeterKind, value: &Value<'_>) -> bool {
    let (positive, non_negative) = match *value {
        Value::Int(v) => (v > 0, v >= 0),
        Value::UInt(v) => (v > 0, true),
        Value::Float(v) => (v > 0.0, v >= 0.0),
        Value::Decimal { mantissa, .. } => (mantissa > 0, mantissa >= 0),
        Value::Bytes(_) | Value::IntBytes(_) => (true, true),
    };
    match kind {
        MeterKind::Counter => positive,
        MeterKind::Timer
        | MeterKind::PercentileTimer
        | MeterKind::DistributionSummary
        | MeterKind::PercentileDistributionSummary => non_negative,
        _ => true,
    }
}

/// The correctly rounded `f64` of `mantissa × 10^-scale` (Rust's parser is exact).
fn decimal_f64(mantissa: i64, scale: u8) -> f64 {
    format!("{mantissa}e-{scale}").parse().unwrap()
}

/// Text of a decimal: with at most 15 significant digits, Python's `repr` of the quotient;
/// otherwise the exact digits laid out as `repr` lays out digits.
fn model_decimal(mantissa: i64, scale: u8) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let significant = digits.trim_end_matches('0');
    if significant.len() <= 15 {
        return py_repr(decimal_f64(mantissa, scale));
    }
    // value = 0.significant × 10^point
    let point = digits.len() as i32 - i32::from(scale);
    let sign = if mantissa < 0 { "-" } else { "" };
    let body = if (-3..=16).contains(&point) {
        if point <= 0 {
            format!("0.{}{significant}", "0".repeat((-point) as usize))
        } else if (point as usize) < significant.len() {
            let (int, frac) = significant.split_at(point as usize);
            format!("{int}.{frac}")
        } else {
            format!(
                "{significant}{}.0",
                "0".repeat(point as usize - significant.len())
            )
        }
    } else {
        let (first, rest) = significant.split_at(1);
        let exp = point - 1;
        let dot = if rest.is_empty() { "" } else { "." };
        format!(
            "{first}{dot}{rest}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    };
    format!("{sign}{body}")
}

/// What spectatord's `strtoull` makes of the text of a `U` line's float value: the optional
/// `-` and the leading decimal digits, negated modulo 2^64; `None` when there are no digits.
fn strtoull_prefix(text: &str) -> Option<u64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    // Python's fixed notation stays below 1e16, so the integer part always fits.
    let v: u64 = digits.parse().unwrap();
    Some(if negative { v.wrapping_neg() } else { v })
}

fn check_spectatord(
    line: &str,
    m: &Measurement<'_>,
    name: &str,
    tags: &[(String, String)],
    value_text: &str,
) {
    let result = spectatord::parse_line(line.as_bytes());
    // The whole line as a one-line datagram, and with a trailing newline: the same verdict.
    let mut datagram = spectatord::parse_datagram(line.as_bytes());
    let only = datagram.next().expect("a non-empty datagram has a line");
    assert!(datagram.next().is_none());
    assert_eq!(only.line, line.as_bytes());
    // (Compared through `Debug`: NaN values are equal there.)
    assert_eq!(format!("{:?}", only.result), format!("{result:?}"));
    let with_newline = format!("{line}\n");
    let mut datagram = spectatord::parse_datagram(with_newline.as_bytes());
    assert_eq!(
        format!("{:?}", datagram.next().map(|l| l.result)),
        format!("{:?}", Some(result))
    );
    assert!(datagram.next().is_none());

    let expected_value = match (m.kind, m.value) {
        (MeterKind::DistinctCountSketch, _) => {
            // The public spectatord does not know `S`: base64 is either not a number, or a
            // number followed by the unknown type.
            match result {
                Err(Rejected::UnparsableValue) | Err(Rejected::UnknownType { symbol: b'S' }) => {}
                other => panic!("S line {line:?} must be rejected, got {other:?}"),
            }
            return;
        }
        (MeterKind::MonotonicCounterUint, Value::Int(v)) => ParsedValue::Unsigned(v as u64),
        (MeterKind::MonotonicCounterUint, Value::UInt(v)) => ParsedValue::Unsigned(v),
        (MeterKind::MonotonicCounterUint, Value::Float(_) | Value::Decimal { .. }) => {
            match strtoull_prefix(value_text) {
                Some(v) => ParsedValue::Unsigned(v),
                None => {
                    assert_eq!(result, Err(Rejected::UnparsableValue), "{line:?}");
                    return;
                }
            }
        }
        (_, Value::Int(v)) => ParsedValue::Float(v as f64),
        (_, Value::UInt(v)) => ParsedValue::Float(v as f64),
        (_, Value::Float(v)) => ParsedValue::Float(v),
        (_, Value::Decimal { mantissa, scale }) => ParsedValue::Float(decimal_f64(mantissa, scale)),
        (kind, value) => panic!("the input never builds {kind:?} with {value:?}"),
    };
    let accepted = match result {
        Ok(accepted) => accepted,
        Err(e) => panic!("spectatord rejects {line:?}: {e}"),
    };
    assert_eq!(accepted.symbol, m.kind.symbol());
    assert_eq!(
        accepted.option,
        m.ttl.map(|t| i64::from(t.get())),
        "{line:?}"
    );
    assert!(accepted.is_recorded());
    assert_eq!(accepted.name, sanitize(name).as_bytes(), "{line:?}");
    let parsed_tags: Vec<(&[u8], &[u8])> = accepted.tags.collect();
    let expected_tags: Vec<(String, String)> = tags
        .iter()
        .map(|(k, v)| (sanitize(k), sanitize(v)))
        .collect();
    let expected_tags: Vec<(&[u8], &[u8])> = expected_tags
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    assert_eq!(parsed_tags, expected_tags, "{line:?}");
    match (accepted.value, expected_value) {
        (ParsedValue::Float(got), ParsedValue::Float(want)) if want.is_nan() => {
            assert!(got.is_nan(), "{line:?} gave {got}")
        }
        (ParsedValue::Float(got), ParsedValue::Float(want)) => {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{line:?}: {got:e} != {want:e}"
            )
        }
        (got, want) => assert_eq!(got, want, "{line:?}"),
    }
    // Python-repr floats and integers are consumed whole, except floats on `U` lines (`1.5`
    // becomes 1 with a warning about `.5`).
    match (m.kind, m.value, accepted.warning) {
        (MeterKind::MonotonicCounterUint, Value::Float(_) | Value::Decimal { .. }, Some(w)) => {
            let unsigned = value_text.strip_prefix('-').unwrap_or(value_text);
            let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
            let consumed = value_text.len() - unsigned.len() + digits;
            assert_eq!(w.ignored, &value_text.as_bytes()[consumed..], "{line:?}");
            assert_eq!(w.value, expected_value);
        }
        (MeterKind::MonotonicCounterUint, Value::Float(_) | Value::Decimal { .. }, None) => {
            panic!("{line:?}: a float or decimal on a U line leaves a fraction or exponent behind")
        }
        (_, _, warning) => assert!(warning.is_none(), "{line:?}: {warning:?}"),
    }
}

fuzz_target!(|input: Input| {
    let Input {
        name,
        mut tags,
        kind,
        number,
        sketch,
        sketch_int,
        ttl,
    } = input;
    tags.truncate(T);
    let kind = MeterKind::ALL[usize::from(kind) % MeterKind::ALL.len()];
    let value = if kind == MeterKind::DistinctCountSketch {
        match sketch_int {
            Some(v) => Value::IntBytes(v.to_le_bytes()),
            None => Value::Bytes(&sketch),
        }
    } else {
        match number {
            Number::Int(v) => Value::Int(v),
            Number::UInt(v) => Value::UInt(v),
            Number::FloatBits(bits) => Value::Float(f64::from_bits(bits)),
            Number::SmallFloat(int, frac) => Value::Float(f64::from(int) + f64::from(frac) / 256.0),
            Number::Decimal(mantissa, scale) => Value::decimal(mantissa, scale),
        }
    };
    let ttl = NonZeroU32::new(ttl);

    // The id, against the model.
    let tag_refs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let kept = model_tags(&tag_refs);
    let raw_len = name.len() + kept.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let mut rendered = sanitize(&name);
    for (k, v) in &kept {
        rendered.push(',');
        rendered.push_str(&sanitize(k));
        rendered.push('=');
        rendered.push_str(&sanitize(v));
    }
    let id = match MeterId::<N, T>::new(&name, &tag_refs) {
        Ok(id) => id,
        Err(e) => {
            let expected = if name.is_empty() {
                IdError::EmptyName
            } else {
                IdError::TooLong
            };
            assert_eq!(e, expected, "{name:?} {tags:?}");
            assert!(name.is_empty() || raw_len > N || rendered.len() > N);
            return;
        }
    };
    assert!(!name.is_empty() && raw_len <= N && rendered.len() <= N);
    assert_eq!(id.name(), name);
    assert_eq!(id.tags().collect::<Vec<_>>(), kept);
    assert_eq!(id.spectatord_id(), rendered);
    for (k, v) in &kept {
        assert_eq!(id.tag(k), Some(*v));
    }

    // The measurement and its line, against the model.
    let m = Measurement::new(kind, id.spectatord_id(), value).with_ttl(ttl);
    assert_eq!(
        m.ttl,
        ttl.filter(|_| kind == MeterKind::Gauge),
        "TTL only on gauges"
    );
    let passes = filter_passes(kind, &value);
    assert_eq!(kind.accepts(&value), passes, "{kind:?} {value:?}");
    assert_eq!(
        Measurement::filtered(kind, id.spectatord_id(), value).is_some(),
        passes
    );

    let value_text = model_value(&value);
    // Room for the base64 of any sketch libFuzzer builds (inputs stay under 4096 bytes).
    let mut own_value: heapless::String<8192> = heapless::String::new();
    value.write_to(&mut own_value).unwrap();
    assert_eq!(own_value.as_str(), value_text, "{value:?}");
    assert_eq!(value.rendered_len(), value_text.len());
    if let Value::Float(v) = value {
        let back: f64 = match value_text.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            text => text.parse().unwrap(),
        };
        assert!(
            if v.is_nan() {
                back.is_nan()
            } else {
                back.to_bits() == v.to_bits()
            },
            "{value_text} does not round-trip {v:e}"
        );
    }

    if let Value::Decimal { mantissa, scale } = value {
        let back: f64 = value_text.parse().unwrap();
        assert_eq!(
            back.to_bits(),
            decimal_f64(mantissa, scale).to_bits(),
            "{value_text} is not {mantissa}e-{scale}"
        );
    }

    let mut line: heapless::String<1024> = heapless::String::new();
    let written = m.write_to(&mut line);
    let ttl_text = m.ttl.map(|t| format!(",{t}")).unwrap_or_default();
    let expected_line = format!(
        "{}{ttl_text}:{rendered}:{value_text}",
        char::from(kind.symbol())
    );
    assert_eq!(m.line_len(), expected_line.len());
    if expected_line.len() > 1024 {
        assert_eq!(written, Err(Overflow));
        assert!(line.is_empty());
        return;
    }
    written.unwrap();
    assert_eq!(line.as_str(), expected_line);
    assert!(!line.contains('\n'));
    assert_eq!(m.line_len(), line.len());

    // All or nothing: one byte short leaves a prefilled target as it was; exactly enough fits.
    let mut storage = [0u8; 1026];
    let mut slice = spectator_core::SliceWriter::new(&mut storage[..m.line_len() + 1]);
    slice.push_text("xy").unwrap();
    assert_eq!(m.write_to(&mut slice), Err(Overflow));
    assert_eq!(slice.as_bytes(), b"xy");
    let mut slice = spectator_core::SliceWriter::new(&mut storage[..m.line_len() + 2]);
    slice.push_text("xy").unwrap();
    m.write_to(&mut slice).unwrap();
    assert_eq!(&slice.as_bytes()[2..], line.as_bytes());
    assert_eq!(slice.written(), line.len() + 2);

    // spectator-py's parser gives the parts back.
    let py = parse_protocol_line(&line).expect("python parser accepts our line");
    assert_eq!(py.symbol.as_bytes(), [kind.symbol()]);
    assert_eq!(py.kind(), Some(kind));
    assert_eq!(py.name, sanitize(&name));
    assert_eq!(py.value, value_text);
    let py_tags: Vec<(String, String)> = py
        .tags()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sanitized_tags: Vec<(String, String)> = kept
        .iter()
        .map(|(k, v)| (sanitize(k), sanitize(v)))
        .collect();
    assert_eq!(py_tags, sanitized_tags);
    // Re-building the id from the parsed parts gives the same id, unless sanitizing made keys
    // collide or changed their order (then the dict and the sort see different keys).
    let sanitized_keys: Vec<&str> = sanitized_tags.iter().map(|(k, _)| k.as_str()).collect();
    if sanitized_keys.windows(2).all(|w| w[0] < w[1]) {
        let reparsed: MeterId<N, T> = py.meter_id().expect("the parsed id fits");
        assert_eq!(reparsed.spectatord_id(), id.spectatord_id());
    }

    // spectatord accepts it (except `S`).
    let kept_owned: Vec<(String, String)> = kept
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    check_spectatord(&line, &m, &name, &kept_owned, &value_text);
});
