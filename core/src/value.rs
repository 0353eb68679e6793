//! [`Value`]: the number (or sketch payload) at the end of a line, rendered like spectator-py.
//!
//! Integers and floats are different values on purpose: `increment(1)` writes `1` and
//! `increment(1.0)` writes `1.0`, exactly as Python's `str()` does. There is no `bool` value:
//! spectator-py writes `True`, which spectatord rejects.

#[cfg(feature = "sketch")]
use base64::Engine as _;

use core::time::Duration;

use crate::decimal::{duration_parts, write_decimal};
#[cfg(feature = "float")]
use crate::pyfloat::write_f64;
#[cfg(feature = "sketch")]
use crate::write::all_or_nothing;
use crate::write::{LineWrite, Overflow};

/// A measurement's value.
///
/// ```
/// use spectator_core::Value;
/// let mut s: heapless::String<32> = heapless::String::new();
/// Value::from(42u8).write_to(&mut s).unwrap();
/// Value::from(0.5f32).write_to(&mut s).unwrap();
/// assert_eq!(s.as_str(), "420.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value<'a> {
    /// A signed integer, written in decimal.
    Int(i64),
    /// An unsigned integer, written in decimal (`U` lines and integers above `i64::MAX`).
    UInt(u64),
    /// A float, written like Python's `repr` (see [`crate::pyfloat`]; feature `float`).
    #[cfg(feature = "float")]
    #[cfg_attr(docsrs, doc(cfg(feature = "float")))]
    Float(f64),
    /// An exact decimal, `mantissa × 10^-scale`, written like Python's `repr` of that quotient
    /// with integer arithmetic only: `21.5` for `(2150, 2)`, `0.00025` for `(250000, 9)`.
    /// Identical to Python's text up to 15 significant digits, exact beyond. What fixed-point
    /// sensors and [`Duration`]s become (see [`Value::decimal`]).
    Decimal {
        /// The digits, e.g. `2225` for 22.25.
        mantissa: i64,
        /// Digits after the decimal point, e.g. `2` for 22.25.
        scale: u8,
    },
    /// Raw bytes of a distinct-count sketch (`S`), written as padded standard base64
    /// (feature `sketch`).
    #[cfg(feature = "sketch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sketch")))]
    Bytes(&'a [u8]),
    /// An integer sketched as its 8-byte little-endian two's complement, written as base64
    /// (feature `sketch`).
    #[cfg(feature = "sketch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sketch")))]
    IntBytes([u8; 8]),
    /// Keeps the lifetime without the `sketch` feature; cannot be constructed.
    #[cfg(not(feature = "sketch"))]
    #[doc(hidden)]
    Unreachable(core::convert::Infallible, core::marker::PhantomData<&'a ()>),
}

impl Value<'_> {
    /// The exact decimal `mantissa × 10^-scale` ([`Value::Decimal`]): a fixed-point reading
    /// written without floating point.
    ///
    /// ```
    /// use spectator_core::Value;
    /// let mut s: heapless::String<16> = heapless::String::new();
    /// Value::decimal(-405, 1).write_to(&mut s).unwrap(); // a sensor's -40.5 °C
    /// assert_eq!(s.as_str(), "-40.5");
    /// ```
    #[inline]
    pub const fn decimal(mantissa: i64, scale: u8) -> Self {
        Value::Decimal { mantissa, scale }
    }

    /// `> 0`: the counter filter. NaN fails it.
    #[inline]
    pub fn is_positive(&self) -> bool {
        match *self {
            Value::Int(v) => v > 0,
            Value::UInt(v) => v > 0,
            #[cfg(feature = "float")]
            Value::Float(v) => v > 0.0,
            Value::Decimal { mantissa, .. } => mantissa > 0,
            #[cfg(feature = "sketch")]
            Value::Bytes(_) | Value::IntBytes(_) => true,
            #[cfg(not(feature = "sketch"))]
            Value::Unreachable(never, _) => match never {},
        }
    }

    /// `>= 0`: the timer and distribution filter. NaN fails it, `-0.0` passes.
    #[inline]
    pub fn is_non_negative(&self) -> bool {
        match *self {
            Value::Int(v) => v >= 0,
            #[cfg(feature = "float")]
            Value::Float(v) => v >= 0.0,
            Value::Decimal { mantissa, .. } => mantissa >= 0,
            Value::UInt(_) => true,
            #[cfg(feature = "sketch")]
            Value::Bytes(_) | Value::IntBytes(_) => true,
            #[cfg(not(feature = "sketch"))]
            Value::Unreachable(never, _) => match never {},
        }
    }

    /// Bytes this value takes once written.
    pub fn rendered_len(&self) -> usize {
        match *self {
            Value::Int(v) => itoa::Buffer::new().format(v).len(),
            Value::UInt(v) => itoa::Buffer::new().format(v).len(),
            #[cfg(feature = "float")]
            Value::Float(v) => crate::pyfloat::PyFloat::new(v).as_str().len(),
            Value::Decimal { mantissa, scale } => crate::decimal::rendered_len(mantissa, scale),
            #[cfg(feature = "sketch")]
            Value::Bytes(b) => b.len().div_ceil(3) * 4,
            #[cfg(feature = "sketch")]
            Value::IntBytes(_) => 12,
            #[cfg(not(feature = "sketch"))]
            Value::Unreachable(never, _) => match never {},
        }
    }

    /// Appends the rendering to `out` (all or nothing).
    #[inline]
    pub fn write_to<W: LineWrite + ?Sized>(&self, out: &mut W) -> Result<(), Overflow> {
        match *self {
            Value::Int(v) => out.push_text(itoa::Buffer::new().format(v)),
            Value::UInt(v) => out.push_text(itoa::Buffer::new().format(v)),
            #[cfg(feature = "float")]
            Value::Float(v) => write_f64(out, v),
            Value::Decimal { mantissa, scale } => write_decimal(out, mantissa, scale),
            #[cfg(feature = "sketch")]
            Value::Bytes(b) => write_base64(out, b),
            #[cfg(feature = "sketch")]
            Value::IntBytes(b) => write_base64(out, &b),
            #[cfg(not(feature = "sketch"))]
            Value::Unreachable(never, _) => match never {},
        }
    }
}

/// Standard, padded base64 of `bytes`, encoded in stack-sized chunks.
#[cfg(feature = "sketch")]
fn write_base64<W: LineWrite + ?Sized>(out: &mut W, bytes: &[u8]) -> Result<(), Overflow> {
    const IN: usize = 48;
    all_or_nothing(out, |out| {
        let mut chunk_out = [0u8; IN / 3 * 4];
        for chunk in bytes.chunks(IN) {
            let n = base64::engine::general_purpose::STANDARD
                .encode_slice(chunk, &mut chunk_out)
                .map_err(|_| Overflow)?;
            let text = chunk_out.get(..n).unwrap_or_default();
            out.push_text(core::str::from_utf8(text).map_err(|_| Overflow)?)?;
        }
        Ok(())
    })
}

macro_rules! value_from {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            #[inline]
            fn from(v: $t) -> Self {
                Value::$variant(v.into())
            }
        }
    )*};
}

value_from!(Int: i8, i16, i32, i64, u8, u16, u32);
value_from!(UInt: u64);
#[cfg(feature = "float")]
value_from!(Float: f32, f64);

/// Seconds, as the exact decimal of the nanoseconds (see [`crate::decimal`]): `0.00025` for
/// 250 µs, `1.5` for 1500 ms.
impl From<Duration> for Value<'_> {
    #[inline]
    fn from(d: Duration) -> Self {
        let (mantissa, scale) = duration_parts(d);
        Value::Decimal { mantissa, scale }
    }
}

impl From<usize> for Value<'_> {
    #[inline]
    fn from(v: usize) -> Self {
        Value::UInt(v as u64)
    }
}

impl From<isize> for Value<'_> {
    #[inline]
    fn from(v: isize) -> Self {
        Value::Int(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: Value<'_>) -> heapless::String<64> {
        let mut s = heapless::String::new();
        v.write_to(&mut s).unwrap();
        assert_eq!(s.len(), v.rendered_len());
        s
    }

    #[test]
    fn integers_are_exact() {
        assert_eq!(w(Value::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(w(Value::UInt(u64::MAX)), "18446744073709551615");
        assert_eq!(w(Value::from(9007199254740993u64)), "9007199254740993");
        assert_eq!(w(Value::from(-1i8)), "-1");
    }

    #[test]
    #[cfg(feature = "float")]
    fn f32_is_widened_like_numpy() {
        assert_eq!(w(Value::from(0.1f32)), "0.10000000149011612");
    }

    #[test]
    #[cfg(feature = "sketch")]
    fn sketch_payloads_are_base64() {
        assert_eq!(w(Value::Bytes("héllo".as_bytes())), "aMOpbGxv");
        assert_eq!(w(Value::Bytes(b"")), "");
        assert_eq!(w(Value::IntBytes(1i64.to_le_bytes())), "AQAAAAAAAAA=");
        let long = [0xffu8; 100];
        let s: heapless::String<256> = {
            let mut s = heapless::String::new();
            Value::Bytes(&long).write_to(&mut s).unwrap();
            s
        };
        assert_eq!(s.len(), 136);
        assert!(s.starts_with("////") && s.ends_with("/w=="));
    }

    #[test]
    #[cfg(feature = "float")]
    fn float_filters() {
        assert!(!Value::Float(f64::NAN).is_positive());
        assert!(!Value::Float(f64::NAN).is_non_negative());
        assert!(!Value::Float(-0.0).is_positive());
        assert!(Value::Float(-0.0).is_non_negative());
    }

    #[test]
    fn filters() {
        assert!(!Value::decimal(0, 3).is_positive());
        assert!(Value::decimal(0, 3).is_non_negative());
        assert!(Value::decimal(1, 30).is_positive());
        assert!(!Value::decimal(-1, 3).is_non_negative());
        assert!(!Value::Int(0).is_positive());
        assert!(Value::Int(0).is_non_negative());
        assert!(!Value::Int(-1).is_non_negative());
        assert!(!Value::UInt(0).is_positive());
        assert!(Value::UInt(1).is_positive());
    }

    #[test]
    fn durations_are_exact_seconds() {
        assert_eq!(w(Duration::from_micros(250).into()), "0.00025");
        assert_eq!(w(Duration::from_millis(1500).into()), "1.5");
        assert_eq!(w(Duration::from_nanos(1).into()), "1e-09");
        assert_eq!(w(Duration::ZERO.into()), "0.0");
        assert_eq!(w(Duration::new(1, 1).into()), "1.000000001");
    }

    #[test]
    fn overflow_writes_nothing() {
        let mut s: heapless::String<6> = heapless::String::new();
        assert_eq!(Value::decimal(1_234_567, 3).write_to(&mut s), Err(Overflow));
        assert_eq!(s, "");
        #[cfg(feature = "float")]
        assert_eq!(Value::Float(0.1 + 0.2).write_to(&mut s), Err(Overflow));
        assert_eq!(s, "");
    }
}
