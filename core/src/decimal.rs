//! Exact decimals (`mantissa × 10^-scale`) rendered in Python's `repr` layout, with integer
//! arithmetic only.
//!
//! Firmware reads fixed-point sensors (centi-degrees, millivolts) and measures time in ticks
//! or [`Duration`]s: converting those to `f64` only to print them needs software floating
//! point and a shortest-digits algorithm, about 5 KB of flash on a Cortex-M3. A decimal keeps
//! the value exact and prints its digits directly:
//!
//! * the text is what Python's `repr(mantissa / 10**scale)` gives whenever the mantissa has at
//!   most 15 significant digits (every such decimal survives the round trip through `f64`):
//!   `2150, 2` → `21.5`, `2200, 2` → `22.0`, `250_000, 9` → `0.00025`, `12, 6` → `1.2e-05`;
//! * with 16 to 19 significant digits the exact digits are written, where Python would write
//!   the 17 digits of the nearest `f64` (spectatord parses both to the same `f64` or the exact
//!   value's nearer one: a documented divergence, in our favour).
//!
//! A [`Duration`] is the decimal of its nanoseconds with scale 9: for durations under a second
//! (and whole seconds) the text equals Python's `repr` of `Duration::as_secs_f64()`; above a
//! second it is the exact duration, where `as_secs_f64()` can be off by one unit in the last
//! place.
//!
//! ```
//! use spectator_core::Value;
//! let mut s: heapless::String<64> = heapless::String::new();
//! Value::decimal(2225, 2).write_to(&mut s).unwrap();
//! s.push(' ').unwrap();
//! Value::from(core::time::Duration::from_micros(250)).write_to(&mut s).unwrap();
//! assert_eq!(s.as_str(), "22.25 0.00025");
//! ```

use core::time::Duration;

use crate::write::{all_or_nothing, LineWrite, Overflow, SliceWriter};

/// Longest rendering: a sign, `0.000` and 19 digits, or 19 digits, `.` and `e-255`.
pub const MAX_LEN: usize = 32;

/// The nanoseconds of `d` as a decimal with scale 9, or its whole seconds (scale 0) when the
/// nanoseconds exceed `i64` (durations over 292 years).
pub(crate) fn duration_parts(d: Duration) -> (i64, u8) {
    match i64::try_from(d.as_nanos()) {
        Ok(nanos) => (nanos, 9),
        Err(_) => (i64::try_from(d.as_secs()).unwrap_or(i64::MAX), 0),
    }
}

/// Appends `mantissa × 10^-scale` in Python's `repr` layout (all or nothing).
///
/// ```
/// let mut s: heapless::String<32> = heapless::String::new();
/// spectator_core::decimal::write_decimal(&mut s, 12, 6).unwrap();
/// assert_eq!(s.as_str(), "1.2e-05");
/// ```
pub fn write_decimal<W: LineWrite + ?Sized>(
    out: &mut W,
    mantissa: i64,
    scale: u8,
) -> Result<(), Overflow> {
    if mantissa == 0 {
        return out.push_text("0.0");
    }
    let mut buf = itoa::Buffer::new();
    let all = buf.format(mantissa.unsigned_abs());
    // Significant digits: trailing zeros removed (the mantissa is not 0, so one digit stays).
    let kept = all.bytes().rposition(|d| d != b'0').map_or(1, |i| i + 1);
    let digits = all.get(..kept).unwrap_or_default();
    let n = digits.len() as i32;
    // The value is 0.DIGITS × 10^decpt, as CPython's `_Py_dg_dtoa` reports it.
    let decpt = n + (all.len() - digits.len()) as i32 - i32::from(scale);
    all_or_nothing(out, |out| {
        if mantissa < 0 {
            out.push_ascii(b'-')?;
        }
        // CPython's `repr` switches to scientific notation when decpt <= -4 or decpt > 16.
        if !(-3..=16).contains(&decpt) {
            return write_scientific(out, digits, decpt - 1);
        }
        if decpt <= 0 {
            out.push_text("0.")?;
            push_zeros(out, decpt.unsigned_abs())?;
            return out.push_text(digits);
        }
        let point = decpt as usize;
        match (digits.get(..point), digits.get(point..)) {
            (Some(int), Some(frac)) if !frac.is_empty() => {
                out.push_text(int)?;
                out.push_ascii(b'.')?;
                out.push_text(frac)
            }
            _ => {
                out.push_text(digits)?;
                push_zeros(out, (decpt - n).unsigned_abs())?;
                out.push_text(".0")
            }
        }
    })
}

/// Bytes [`write_decimal`] writes.
pub(crate) fn rendered_len(mantissa: i64, scale: u8) -> usize {
    let mut buf = [0u8; MAX_LEN];
    let mut w = SliceWriter::new(&mut buf);
    let _ = write_decimal(&mut w, mantissa, scale);
    w.written()
}

/// `D[.DDD]e±XX` from significant `digits` and the decimal `exponent`, as CPython's `repr`
/// writes it (shared with `pyfloat`).
pub(crate) fn write_scientific<W: LineWrite + ?Sized>(
    out: &mut W,
    digits: &str,
    exponent: i32,
) -> Result<(), Overflow> {
    out.push_text(digits.get(..1).unwrap_or_default())?;
    let rest = digits.get(1..).unwrap_or_default();
    if !rest.is_empty() {
        out.push_ascii(b'.')?;
        out.push_text(rest)?;
    }
    out.push_text(if exponent < 0 { "e-" } else { "e+" })?;
    if exponent.unsigned_abs() < 10 {
        out.push_ascii(b'0')?;
    }
    out.push_text(itoa::Buffer::new().format(exponent.unsigned_abs()))
}

fn push_zeros<W: LineWrite + ?Sized>(out: &mut W, count: u32) -> Result<(), Overflow> {
    (0..count).try_for_each(|_| out.push_ascii(b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(mantissa: i64, scale: u8) -> heapless::String<MAX_LEN> {
        let mut s = heapless::String::new();
        write_decimal(&mut s, mantissa, scale).unwrap();
        assert_eq!(s.len(), rendered_len(mantissa, scale));
        s
    }

    #[test]
    fn fixed_layout_is_pythons() {
        assert_eq!(r(0, 0), "0.0");
        assert_eq!(r(0, 9), "0.0");
        assert_eq!(r(1, 0), "1.0");
        assert_eq!(r(-1, 0), "-1.0");
        assert_eq!(r(2150, 2), "21.5");
        assert_eq!(r(2200, 2), "22.0");
        assert_eq!(r(-2225, 2), "-22.25");
        assert_eq!(r(250_000, 9), "0.00025");
        assert_eq!(r(1, 4), "0.0001");
        assert_eq!(r(123, 6), "0.000123");
        assert_eq!(r(1_500_000_000, 9), "1.5");
        assert_eq!(r(9_999_999_999_999_998, 0), "9999999999999998.0");
        assert_eq!(r(1_000_000_000_000_000, 0), "1000000000000000.0");
        assert_eq!(r(1_000_000_000_000_000_001, 3), "1000000000000000.001");
    }

    #[test]
    fn scientific_layout_is_pythons() {
        assert_eq!(r(1, 5), "1e-05");
        assert_eq!(r(12, 6), "1.2e-05");
        assert_eq!(r(-15, 6), "-1.5e-05");
        assert_eq!(r(1, 9), "1e-09");
        assert_eq!(r(10_000_000_000_000_000, 0), "1e+16");
        assert_eq!(r(15_000_000_000_000_000, 0), "1.5e+16");
        assert_eq!(r(i64::MAX, 0), "9.223372036854775807e+18");
        assert_eq!(r(i64::MIN, 0), "-9.223372036854775808e+18");
        assert_eq!(r(5, 255), "5e-255");
        assert_eq!(r(-123_456, 200), "-1.23456e-195");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_parts(Duration::from_micros(250)), (250_000, 9));
        assert_eq!(duration_parts(Duration::from_secs(3)), (3_000_000_000, 9));
        assert_eq!(duration_parts(Duration::MAX), (i64::MAX, 0));
        let (m, s) = duration_parts(Duration::from_secs(300 * 365 * 86_400));
        assert_eq!(r(m, s), "9460800000.0");
    }

    #[test]
    fn overflow_writes_nothing() {
        let mut s: heapless::String<4> = heapless::String::new();
        assert_eq!(write_decimal(&mut s, 2225, 2), Err(Overflow));
        assert_eq!(s, "");
    }
}
