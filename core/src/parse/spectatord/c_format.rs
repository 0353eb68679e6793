//! Formatting a `double` as the {fmt} library's `{}` does, for spectatord's messages.

use core::fmt::{self, Write as _};

use super::bytes::find_byte;

/// Writes `value` as the {fmt} library's `{}` does for a `double` (shortest round-trip digits,
/// fixed notation for decimal exponents in `-4..16`, else `d.ddde±XX`).
pub(super) fn write_like_fmt(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value.is_nan() {
        return write!(f, "{sign}nan");
    }
    if value.is_infinite() {
        return write!(f, "{sign}inf");
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d[.ddd]e[-]x`.
    let mut text = StackText::default();
    write!(text, "{:e}", value.abs())?;
    let (mantissa, exponent) = text.split_exponent().ok_or(fmt::Error)?;
    let mut digits = StackText::default();
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        digits.push(b)?;
    }
    let digits = digits.as_str();
    f.write_str(sign)?;
    if (-4..16).contains(&exponent) {
        write_fixed(f, digits, exponent)
    } else {
        write_exponential(f, digits, exponent)
    }
}

/// `digits` (the first one non-zero unless the value is 0) times 10^(`exponent` + 1 - len) in
/// fixed notation, without a trailing `.0`.
fn write_fixed(f: &mut fmt::Formatter<'_>, digits: &str, exponent: i32) -> fmt::Result {
    let int_len = usize::try_from(exponent + 1).unwrap_or(0);
    if exponent < 0 {
        f.write_str("0.")?;
        for _ in 0..exponent.unsigned_abs() - 1 {
            f.write_char('0')?;
        }
        return f.write_str(digits);
    }
    match (digits.get(..int_len), digits.get(int_len..)) {
        (Some(int), Some(frac)) if !frac.is_empty() => write!(f, "{int}.{frac}"),
        _ => {
            f.write_str(digits)?;
            for _ in digits.len()..int_len {
                f.write_char('0')?;
            }
            Ok(())
        }
    }
}

/// `d[.ddd]e±XX` with at least two exponent digits.
fn write_exponential(f: &mut fmt::Formatter<'_>, digits: &str, exponent: i32) -> fmt::Result {
    let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
    f.write_str(first)?;
    if !rest.is_empty() {
        write!(f, ".{rest}")?;
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    write!(f, "e{sign}{:02}", exponent.unsigned_abs())
}

/// A small ASCII text buffer on the stack, for formatting without allocation.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    /// Appends one byte.
    fn push(&mut self, byte: u8) -> fmt::Result {
        let slot = self.bytes.get_mut(self.len).ok_or(fmt::Error)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }

    /// The text written so far.
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The text written so far (only ASCII is ever written).
    fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Splits `…e<exponent>` into the part before the `e` and the exponent.
    fn split_exponent(&self) -> Option<(&[u8], i32)> {
        let bytes = self.as_bytes();
        let e = find_byte(bytes, 0, b'e')?;
        let exponent = core::str::from_utf8(bytes.get(e + 1..)?)
            .ok()?
            .parse()
            .ok()?;
        Some((bytes.get(..e)?, exponent))
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().try_for_each(|b| self.push(b))
    }
}
