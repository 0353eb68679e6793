//! One [`Value`] in one 64-bit word, so a last-value or max cell updates with a single
//! atomic store, swap or compare-and-swap: no lock, no torn value, callable from an interrupt.
//!
//! A float is its own bits (NaN canonicalized to the positive quiet NaN). Everything else is
//! boxed in the negative quiet-NaN space, which no canonical float uses: the top 13 bits set,
//! a 3-bit tag, 48 bits of payload.
//!
//! | tag | value | payload | exact range |
//! |---|---|---|---|
//! | 0 | none (the cell's "nothing to report") | 0 | |
//! | 1 | `Int` | two's complement | ±2^47 (1.4e14) |
//! | 2 | `UInt` | the value | < 2^48 (2.8e14) |
//! | 3 | `Decimal` | 5-bit scale, 43-bit signed mantissa | mantissa ±2^42 (4.4e12), scale ≤ 31 |
//!
//! A value outside its range is stored as the nearest `f64` with the `float` feature (as
//! spectatord would parse it anyway), and without it is clamped to the range (integers) or
//! loses its last digits (decimals).

use crate::value::Value;

const BOX: u64 = 0xFFF8_0000_0000_0000;
const TAG_SHIFT: u32 = 48;
const PAYLOAD: u64 = (1 << TAG_SHIFT) - 1;
const TAG_INT: u64 = 1;
const TAG_UINT: u64 = 2;
const TAG_DECIMAL: u64 = 3;
const MANTISSA_BITS: u32 = 43;
const INT_MAX: i64 = (1 << 47) - 1;
const MANTISSA_MAX: i64 = (1 << 42) - 1;

/// The word of an empty cell.
pub(crate) const NONE: u64 = BOX;

#[cfg(feature = "float")]
const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

/// `value` as one word (never [`NONE`]). Inlined: a meter's update usually knows its value's
/// variant, and only that variant's arm is left.
#[inline]
pub(crate) fn encode(value: &Value<'_>) -> u64 {
    match *value {
        Value::Int(v) if fits_int(v) => boxed(TAG_INT, v as u64 & PAYLOAD),
        Value::UInt(v) if v <= PAYLOAD => boxed(TAG_UINT, v),
        #[cfg(feature = "float")]
        Value::Int(v) => float_bits(v as f64),
        #[cfg(feature = "float")]
        Value::UInt(v) => float_bits(v as f64),
        #[cfg(not(feature = "float"))]
        Value::Int(v) => boxed(TAG_INT, v.clamp(-INT_MAX, INT_MAX) as u64 & PAYLOAD),
        #[cfg(not(feature = "float"))]
        Value::UInt(_) => boxed(TAG_UINT, PAYLOAD),
        Value::Decimal { mantissa, scale } => encode_decimal(mantissa, scale),
        #[cfg(feature = "float")]
        Value::Float(f) => float_bits(f),
        // Sketch values never reach a cell (no aggregated sketch meter).
        #[cfg(feature = "sketch")]
        Value::Bytes(_) | Value::IntBytes(_) => boxed(TAG_INT, 0),
        #[cfg(not(feature = "sketch"))]
        Value::Unreachable(never, _) => match never {},
    }
}

/// The value a word holds, or `None` for [`NONE`].
pub(crate) fn decode(word: u64) -> Option<Value<'static>> {
    if word & BOX != BOX {
        #[cfg(feature = "float")]
        return Some(Value::Float(f64::from_bits(word)));
        #[cfg(not(feature = "float"))]
        return None;
    }
    let payload = word & PAYLOAD;
    match (word >> TAG_SHIFT) & 0b111 {
        TAG_INT => Some(Value::Int(sign_extend(payload, 48))),
        TAG_UINT => Some(Value::UInt(payload)),
        TAG_DECIMAL => Some(Value::Decimal {
            mantissa: sign_extend(payload & ((1 << MANTISSA_BITS) - 1), MANTISSA_BITS),
            scale: (payload >> MANTISSA_BITS) as u8,
        }),
        _ => None,
    }
}

/// Whether non-empty word `a` holds a larger value than non-empty word `b`, for max cells.
/// With the `float` feature the values compare as `f64` (NaN below everything).
#[cfg(feature = "float")]
pub(crate) fn greater(a: u64, b: u64) -> bool {
    order_key(a) > order_key(b)
}

/// The ordering key of a non-empty word: the value as `f64` (NaN below everything).
#[cfg(feature = "float")]
pub(crate) fn order_key(word: u64) -> f64 {
    match decode(word) {
        Some(Value::Float(f)) if f.is_nan() => f64::NEG_INFINITY,
        Some(v) => as_f64(&v),
        None => f64::NEG_INFINITY,
    }
}

/// Whether non-empty word `a` holds a larger value than non-empty word `b`, for max cells:
/// exactly, without the `float` feature (integers and decimals only). The value with fewer
/// decimals is brought to the other's scale, ten at a time; every unscaled payload is below
/// 2^48 in magnitude, so a scaled one that reaches 2^48 is already past the other and stops
/// there: no overflow, no 128-bit arithmetic.
#[cfg(not(feature = "float"))]
pub(crate) fn greater(a: u64, b: u64) -> bool {
    let ((x, x_scale), (y, y_scale)) = (parts(a), parts(b));
    if x_scale < y_scale {
        scale_up(x, y_scale - x_scale) > y
    } else {
        x > scale_up(y, x_scale - y_scale)
    }
}

/// `v` times 10^`digits`, or a value at least 2^48 in magnitude with `v`'s sign.
#[cfg(not(feature = "float"))]
fn scale_up(mut v: i64, mut digits: u8) -> i64 {
    while digits > 0 && v.unsigned_abs() < 1 << 48 {
        v *= 10;
        digits -= 1;
    }
    v
}

/// A non-empty word's value as a mantissa and a number of decimals.
#[cfg(not(feature = "float"))]
fn parts(word: u64) -> (i64, u8) {
    match decode(word) {
        Some(Value::Int(v)) => (v, 0),
        // At most 2^48 - 1: fits.
        Some(Value::UInt(v)) => (v as i64, 0),
        Some(Value::Decimal { mantissa, scale }) => (mantissa, scale),
        _ => (i64::MIN, 0),
    }
}

/// `v` as an `f64`.
#[cfg(feature = "float")]
pub(crate) fn as_f64(v: &Value<'_>) -> f64 {
    match *v {
        Value::Int(i) => i as f64,
        Value::UInt(u) => u as f64,
        Value::Float(f) => f,
        Value::Decimal { mantissa, scale } => mantissa as f64 / pow10_f64(scale),
        #[cfg(feature = "sketch")]
        Value::Bytes(_) | Value::IntBytes(_) => 0.0,
        #[cfg(not(feature = "sketch"))]
        Value::Unreachable(never, _) => match never {},
    }
}

#[cfg(feature = "float")]
fn pow10_f64(scale: u8) -> f64 {
    let mut p = 1.0;
    for _ in 0..scale {
        p *= 10.0;
    }
    p
}

fn encode_decimal(mantissa: i64, scale: u8) -> u64 {
    let fits = |m: i64, s: u8| (-MANTISSA_MAX..=MANTISSA_MAX).contains(&m) && s < 32;
    #[cfg(feature = "float")]
    if !fits(mantissa, scale) {
        return float_bits(as_f64(&Value::Decimal { mantissa, scale }));
    }
    #[cfg(not(feature = "float"))]
    let (mantissa, scale) = {
        let (mut m, mut s) = (mantissa, scale);
        while !fits(m, s) && s > 0 {
            m /= 10;
            s -= 1;
        }
        (m, s)
    };
    let mantissa = mantissa.clamp(-MANTISSA_MAX, MANTISSA_MAX);
    let payload = (u64::from(scale.min(31)) << MANTISSA_BITS)
        | (mantissa as u64 & ((1 << MANTISSA_BITS) - 1));
    boxed(TAG_DECIMAL, payload)
}

fn fits_int(v: i64) -> bool {
    (-INT_MAX..=INT_MAX).contains(&v)
}

#[cfg(feature = "float")]
fn float_bits(f: f64) -> u64 {
    if f.is_nan() {
        CANONICAL_NAN
    } else {
        f.to_bits()
    }
}

const fn boxed(tag: u64, payload: u64) -> u64 {
    BOX | (tag << TAG_SHIFT) | payload
}

fn sign_extend(payload: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((payload << shift) as i64) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value<'static>) -> Option<Value<'static>> {
        let word = encode(&v);
        assert_ne!(word, NONE);
        decode(word)
    }

    #[test]
    fn values_in_range_round_trip_exactly() {
        for v in [
            Value::Int(0),
            Value::Int(-1),
            Value::Int(INT_MAX),
            Value::Int(-INT_MAX),
            Value::UInt(0),
            Value::UInt(PAYLOAD),
            Value::decimal(2150, 2),
            Value::decimal(-MANTISSA_MAX, 31),
            Value::decimal(MANTISSA_MAX, 0),
            Value::decimal(250_000, 9),
        ] {
            assert_eq!(round_trip(v), Some(v));
        }
        assert_eq!(decode(NONE), None);
    }

    #[test]
    #[cfg(not(feature = "float"))]
    fn max_order_is_exact_without_floats() {
        let gt = |a: Value<'static>, b: Value<'static>| greater(encode(&a), encode(&b));
        // Large integers against decimals of every scale: no overflow, exact.
        assert!(gt(Value::Int(INT_MAX), Value::decimal(MANTISSA_MAX, 0)));
        assert!(gt(Value::UInt(PAYLOAD), Value::Int(INT_MAX)));
        assert!(gt(Value::Int(20_000_000), Value::Int(1)));
        assert!(!gt(Value::Int(1), Value::Int(20_000_000)));
        assert!(gt(Value::Int(1), Value::decimal(MANTISSA_MAX, 31)));
        assert!(gt(Value::Int(-1), Value::decimal(-MANTISSA_MAX, 12)));
        assert!(gt(Value::decimal(-MANTISSA_MAX, 31), Value::Int(-1)));
        assert!(gt(Value::decimal(15, 1), Value::Int(1)));
        assert!(gt(Value::Int(2), Value::decimal(15, 1)));
        assert!(gt(Value::decimal(1_000_001, 6), Value::decimal(1, 0)));
        assert!(!gt(Value::decimal(1_000_000, 6), Value::Int(1)));
        assert!(!gt(Value::Int(1), Value::decimal(1_000_000, 6)));
        assert!(!gt(Value::Int(-INT_MAX), Value::decimal(-MANTISSA_MAX, 0)));
        assert!(gt(Value::Int(0), Value::decimal(-1, 31)));
    }

    #[test]
    #[cfg(feature = "float")]
    fn floats_and_out_of_range_values_are_f64s() {
        for f in [
            0.0,
            -0.0,
            1.5,
            -3.25e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(
                round_trip(Value::Float(f)).map(|v| as_f64(&v).to_bits()),
                Some(f.to_bits())
            );
        }
        assert!(matches!(round_trip(Value::Float(-f64::NAN)), Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(
            round_trip(Value::Int(i64::MIN)),
            Some(Value::Float(i64::MIN as f64))
        );
        assert_eq!(
            round_trip(Value::UInt(u64::MAX)),
            Some(Value::Float(u64::MAX as f64))
        );
        assert_eq!(
            round_trip(Value::decimal(i64::MAX, 3)),
            Some(Value::Float(i64::MAX as f64 / 1000.0))
        );
        assert!(order_key(encode(&Value::Int(2))) > order_key(encode(&Value::decimal(15, 1))));
        assert!(
            order_key(encode(&Value::Float(f64::NAN))) < order_key(encode(&Value::Int(i64::MIN)))
        );
    }
}
