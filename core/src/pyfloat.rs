//! `f64` rendered exactly like CPython's `repr(float)` (spec §4.1).
//!
//! The shortest round-trip digits come from `zmij` (Schubfach-based; like CPython's `repr`, it
//! gives the shortest digits that round-trip and breaks exact ties towards an even last digit).
//! This module only makes the layout Python's:
//!
//! * `nan`, `inf`, `-inf`, `0.0`, `-0.0`;
//! * fixed notation with a `.` when `1e-4 <= |x| < 1e16` (`1.0`, `0.0001`, `9999999999999998.0`):
//!   zmij's own layout in that range already is Python's, so it is copied as is (the fast path);
//! * otherwise scientific with a signed, at least two-digit exponent (`1e+16`, `1.5e-05`,
//!   `5e-324`): zmij's exponent is re-signed and padded, and any other layout is rebuilt from
//!   its digits.

use crate::write::{all_or_nothing, LineWrite, Overflow, SliceWriter};

/// Longest rendering: `-1.7976931348623157e+308` is 24 bytes; fixed notation peaks at
/// `-0.000` plus 17 digits.
pub const MAX_LEN: usize = 32;

/// Appends Python's `repr(x)` to `out` (all or nothing).
///
/// ```
/// let mut s: heapless::String<32> = heapless::String::new();
/// spectator_core::pyfloat::write_f64(&mut s, 111275153569243.125).unwrap();
/// assert_eq!(s.as_str(), "111275153569243.12");
/// ```
#[inline]
pub fn write_f64<W: LineWrite + ?Sized>(out: &mut W, x: f64) -> Result<(), Overflow> {
    if !x.is_finite() {
        return out.push_text(if x.is_nan() {
            "nan"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        });
    }
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(x);
    if is_fixed_notation(x) {
        return out.push_text(text);
    }
    all_or_nothing(out, |out| write_scientific(out, x.is_sign_negative(), text))
}

/// Whether Python's `repr` uses fixed notation for `x`. Exact: shortest digits are monotonic
/// in `x`, `1e16` is a double, and the double nearest `1e-4` prints as `0.0001`.
#[inline]
fn is_fixed_notation(x: f64) -> bool {
    let a = x.abs();
    a == 0.0 || (1e-4..1e16).contains(&a)
}

/// Writes a finite, non-zero value outside the fixed range in Python's scientific layout,
/// from zmij's rendering `text` of it.
fn write_scientific<W: LineWrite + ?Sized>(
    out: &mut W,
    negative: bool,
    text: &str,
) -> Result<(), Overflow> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    if negative {
        out.push_ascii(b'-')?;
    }
    if let Some((mantissa, exp)) = unsigned.split_once('e') {
        // `1e16`, `1.5e-7`: the mantissa is already Python's; re-sign and pad the exponent.
        out.push_text(mantissa)?;
        let (exp_negative, digits) = match exp.as_bytes().first() {
            Some(b'-') => (true, exp.get(1..).unwrap_or_default()),
            Some(b'+') => (false, exp.get(1..).unwrap_or_default()),
            _ => (false, exp),
        };
        out.push_text(if exp_negative { "e-" } else { "e+" })?;
        if digits.len() < 2 {
            out.push_ascii(b'0')?;
        }
        return out.push_text(digits);
    }
    // Any other layout (e.g. `0.0000123`): rebuild from the digits.
    let dec = Decimal::from_text(unsigned);
    crate::decimal::write_scientific(out, &dec.digits(), dec.decpt - 1)
}

/// The digits of a plain decimal rendering (`123.45`, `0.00012`) without leading or trailing
/// zeros, and the position of the decimal point: the value is `0.D1D2… × 10^decpt`.
struct Decimal<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    decpt: i32,
}

impl<'a> Decimal<'a> {
    fn from_text(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let point = bytes.iter().position(|b| *b == b'.');
        let int_digits = point.unwrap_or(bytes.len()) as i32;
        let is_digit = |b: &u8| b.is_ascii_digit() && *b != b'0';
        let start = bytes.iter().position(is_digit).unwrap_or(bytes.len());
        let end = bytes.iter().rposition(is_digit).map_or(start, |i| i + 1);
        let leading_zeros = match point {
            Some(p) if start > p => start as i32 - 1,
            _ => start as i32,
        };
        Decimal {
            text,
            start,
            end,
            decpt: int_digits - leading_zeros,
        }
    }

    /// The significant digits, the decimal point removed.
    fn digits(&self) -> heapless::String<24> {
        let span = self.text.get(self.start..self.end).unwrap_or_default();
        let mut digits = heapless::String::new();
        for c in span.chars().filter(|c| *c != '.') {
            let _ = digits.push(c);
        }
        digits
    }
}

/// A rendered float, held on the stack.
///
/// ```
/// use spectator_core::pyfloat::PyFloat;
/// assert_eq!(PyFloat::new(1.0).as_str(), "1.0");
/// assert_eq!(PyFloat::new(1e16).as_str(), "1e+16");
/// assert_eq!(PyFloat::new(1e-5).as_str(), "1e-05");
/// assert_eq!(PyFloat::new(f64::NAN).as_str(), "nan");
/// assert_eq!(PyFloat::new(-0.0).as_str(), "-0.0");
/// ```
#[derive(Clone, Copy)]
pub struct PyFloat {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl PyFloat {
    /// Renders `x`.
    pub fn new(x: f64) -> Self {
        let mut buf = [0u8; MAX_LEN];
        let mut w = SliceWriter::new(&mut buf);
        let _ = write_f64(&mut w, x);
        let len = w.written();
        Self { buf, len }
    }

    /// The rendering, e.g. `0.30000000000000004`.
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl core::fmt::Debug for PyFloat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::PyFloat;

    fn r(x: f64) -> heapless::String<32> {
        heapless::String::try_from(PyFloat::new(x).as_str()).unwrap()
    }

    #[test]
    fn specials() {
        assert_eq!(r(f64::NAN), "nan");
        assert_eq!(r(-f64::NAN), "nan");
        assert_eq!(r(f64::INFINITY), "inf");
        assert_eq!(r(f64::NEG_INFINITY), "-inf");
        assert_eq!(r(0.0), "0.0");
        assert_eq!(r(-0.0), "-0.0");
    }

    #[test]
    #[allow(clippy::excessive_precision)] // 111275153569243.125 is an exact tie, on purpose
    fn fixed_notation() {
        assert_eq!(r(1.0), "1.0");
        assert_eq!(r(-1.0), "-1.0");
        assert_eq!(r(0.0001), "0.0001");
        assert_eq!(r(0.00012), "0.00012");
        assert_eq!(r(123456789.0), "123456789.0");
        assert_eq!(r(9999999999999998.0), "9999999999999998.0");
        assert_eq!(r(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(r(0.3 - 0.1), "0.19999999999999998");
        assert_eq!(r(1.5), "1.5");
        assert_eq!(r(100.0), "100.0");
        assert_eq!(r(1e15), "1000000000000000.0");
        assert_eq!(r(111275153569243.125), "111275153569243.12");
        // Exact ties go to the even digit, as in CPython (Rust's `{}` rounds this one up).
        assert_eq!(r(23576.0113525390625), "23576.011352539062");
    }

    #[test]
    fn plain_decimal_text_is_relaid_out() {
        let mut s: heapless::String<32> = heapless::String::new();
        super::write_scientific(&mut s, false, "0.0000123").unwrap();
        assert_eq!(s, "1.23e-05");
        s.clear();
        super::write_scientific(&mut s, true, "-0.00001").unwrap();
        assert_eq!(s, "-1e-05");
        s.clear();
        super::write_scientific(&mut s, false, "12300000000000000000.0").unwrap();
        assert_eq!(s, "1.23e+19");
        s.clear();
        super::write_scientific(&mut s, false, "1e100").unwrap();
        assert_eq!(s, "1e+100");
    }

    #[test]
    fn scientific_notation() {
        assert_eq!(r(1e16), "1e+16");
        assert_eq!(r(1.5e16), "1.5e+16");
        assert_eq!(r(-1e16), "-1e+16");
        assert_eq!(r(1e-5), "1e-05");
        assert_eq!(r(1.5e-5), "1.5e-05");
        assert_eq!(r(1e-7), "1e-07");
        assert_eq!(r(1e-9), "1e-09");
        assert_eq!(r(1e100), "1e+100");
        assert_eq!(r(5e-324), "5e-324");
        assert_eq!(r(2.2250738585072014e-308), "2.2250738585072014e-308");
        assert_eq!(r(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(r(-f64::MAX), "-1.7976931348623157e+308");
        assert_eq!(r(18446744073709551615.0), "1.8446744073709552e+19");
    }
}
