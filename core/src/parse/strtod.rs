//! C `strtod`, `strtoll` and `strtoull` as glibc implements them in the "C" locale, which is
//! what spectatord uses to read the option and the value of a line.
//!
//! Every function reads its input as a C string: the end of the slice plays the part of the
//! terminating NUL, and a NUL byte inside the slice stops a parse too (it is never a space, a sign
//! or a digit). Each returns the converted value and the number of bytes consumed; `0` consumed
//! is C's `*endptr == nptr` ("nothing parsed"), and the value is then `0`.
//!
//! Decimal text is converted by `core`'s `f64::from_str`, which rounds correctly for any number of
//! digits, as glibc does; only spans already validated against C's grammar are handed to it.
//! Hexadecimal floats are converted here, exactly: the first 16 significant hex digits (64 bits)
//! are kept and any further non-zero digit is folded into a sticky bit, which is all that
//! round-half-to-even needs.

/// The sign bit of an `f64`.
const SIGN_BIT: u64 = 1 << 63;
/// glibc's `NAN`: the default quiet NaN, positive.
const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;
/// The payload bits glibc's `SET_NAN_PAYLOAD` writes (`mantissa0`, 19 bits, and `mantissa1`, 32
/// bits): every mantissa bit but the quiet bit.
const NAN_PAYLOAD_MASK: u64 = (1 << 51) - 1;
/// The 52 stored mantissa bits of an `f64`.
const MANTISSA_MASK: u64 = (1 << 52) - 1;
/// A binary exponent bigger than any that can matter; larger written exponents saturate here.
const EXPONENT_CAP: u64 = 1 << 40;

/// C `isspace` in the "C" locale: space, `\t`, `\n`, `\v`, `\f` and `\r`.
pub(crate) const fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C `strtod` (glibc, "C" locale): leading spaces, an optional sign, then `inf`/`infinity`,
/// `nan`/`nan(chars)` (any case), a hexadecimal float (`0x1.8p3`) or a decimal one (`.5`, `5.`,
/// `1e+16`). Overflow gives ±infinity and underflow ±0 or a subnormal, all bytes of the number
/// consumed, as glibc does (it also sets `ERANGE`, which spectatord never looks at).
pub(crate) fn strtod(s: &[u8]) -> (f64, usize) {
    let (negative, start) = parse_sign(s, skip_spaces(s));
    let parsed = parse_special(s, start)
        .or_else(|| parse_hex(s, start))
        .or_else(|| parse_decimal(s, start));
    match parsed {
        Some((magnitude, end)) => {
            let sign = if negative { SIGN_BIT } else { 0 };
            (f64::from_bits(magnitude.to_bits() | sign), end)
        }
        None => (0.0, 0),
    }
}

/// C `strtoll` in base 10: leading spaces, an optional sign, decimal digits; saturates to
/// `i64::MIN`/`i64::MAX` on overflow (consuming every digit), as glibc does.
pub(crate) fn strtoll(s: &[u8]) -> (i64, usize) {
    let (negative, start) = parse_sign(s, skip_spaces(s));
    let (magnitude, overflow, end) = accumulate(s, start, 10);
    if end == start {
        return (0, 0);
    }
    let limit = if negative {
        1 << 63
    } else {
        i64::MAX.unsigned_abs()
    };
    let value = if overflow || magnitude > limit {
        if negative {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if negative {
        0i64.wrapping_sub_unsigned(magnitude)
    } else {
        0i64.wrapping_add_unsigned(magnitude)
    };
    (value, end)
}

/// C `strtoull` in base 10: leading spaces, an optional sign, decimal digits. A `-` negates
/// modulo 2^64 (`-1` is `u64::MAX`); overflow saturates to `u64::MAX` whatever the sign.
pub(crate) fn strtoull(s: &[u8]) -> (u64, usize) {
    let (negative, start) = parse_sign(s, skip_spaces(s));
    let (magnitude, overflow, end) = accumulate(s, start, 10);
    if end == start {
        return (0, 0);
    }
    let value = if overflow {
        u64::MAX
    } else if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    (value, end)
}

/// The number of leading C spaces.
fn skip_spaces(s: &[u8]) -> usize {
    s.iter().take_while(|&&b| is_c_space(b)).count()
}

/// An optional `+` or `-` at `at`: whether it was `-`, and the index after it.
fn parse_sign(s: &[u8], at: usize) -> (bool, usize) {
    match s.get(at) {
        Some(b'-') => (true, at + 1),
        Some(b'+') => (false, at + 1),
        _ => (false, at),
    }
}

/// The value of `byte` as a digit of `radix`, if it is one.
fn digit_value(byte: u8, radix: u32) -> Option<u32> {
    char::from(byte).to_digit(radix)
}

/// Reads the digits of `radix` from `at`: the value (meaningless if it overflowed), whether it
/// overflowed `u64`, and the index after the last digit.
fn accumulate(s: &[u8], at: usize, radix: u32) -> (u64, bool, usize) {
    let mut value: u64 = 0;
    let mut overflow = false;
    let mut end = at;
    while let Some(digit) = s.get(end).and_then(|&b| digit_value(b, radix)) {
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        end += 1;
    }
    (value, overflow, end)
}

/// The index after the decimal digits starting at `at`.
fn skip_digits(s: &[u8], at: usize) -> usize {
    at + s
        .get(at..)
        .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// Whether `s[at..]` starts with `word`, ignoring ASCII case.
fn starts_with_ignore_case(s: &[u8], at: usize, word: &[u8]) -> bool {
    s.get(at..)
        .and_then(|t| t.get(..word.len()))
        .is_some_and(|t| t.eq_ignore_ascii_case(word))
}

/// `inf`, `infinity` and `nan`, `nan(n-char-sequence)`, any case, without the sign.
fn parse_special(s: &[u8], at: usize) -> Option<(f64, usize)> {
    if starts_with_ignore_case(s, at, b"inf") {
        let end = at + 3;
        let end = if starts_with_ignore_case(s, end, b"inity") {
            end + 5
        } else {
            end
        };
        return Some((f64::INFINITY, end));
    }
    if starts_with_ignore_case(s, at, b"nan") {
        return Some(parse_nan_tail(s, at + 3));
    }
    None
}

/// After `nan`: an optional `(n-char-sequence)`, consumed only when the `)` is there. As in
/// glibc's `__strtod_nan`, a sequence that `strtoull(…, 0)` reads in full sets the payload bits.
fn parse_nan_tail(s: &[u8], after: usize) -> (f64, usize) {
    let plain = (f64::from_bits(QUIET_NAN), after);
    if s.get(after) != Some(&b'(') {
        return plain;
    }
    let seq_start = after + 1;
    let seq = s.get(seq_start..).map_or(&[][..], |t| {
        let len = t
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        t.get(..len).unwrap_or_default()
    });
    let close = seq_start + seq.len();
    if s.get(close) != Some(&b')') {
        return plain;
    }
    let bits = match nan_payload(seq) {
        Some(payload) => QUIET_NAN | (payload & NAN_PAYLOAD_MASK),
        None => QUIET_NAN,
    };
    (f64::from_bits(bits), close + 1)
}

/// `strtoull(seq, &end, 0)` when it consumes all of `seq` (glibc's condition for using it as a
/// NaN payload), saturating on overflow; `None` when it stops early.
fn nan_payload(seq: &[u8]) -> Option<u64> {
    let (radix, digits) = match seq {
        [] => return Some(0),
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', ..] => (8, seq),
        _ => (10, seq),
    };
    let (value, overflow, end) = accumulate(digits, 0, radix);
    let whole = end > 0 && end == digits.len();
    whole.then_some(if overflow { u64::MAX } else { value })
}

/// A hexadecimal float, without the sign: `0x` or `0X`, hex digits with an optional `.`, at
/// least one digit, then an optional `p`/`P` binary exponent that needs at least one decimal
/// digit. `0x` not followed by a digit is glibc's special case: only the `0` is consumed.
fn parse_hex(s: &[u8], at: usize) -> Option<(f64, usize)> {
    if s.get(at) != Some(&b'0') || !matches!(s.get(at + 1), Some(b'x' | b'X')) {
        return None;
    }
    let mut mantissa = HexMantissa::default();
    let mut end = mantissa.read_digits(s, at + 2, false);
    if s.get(end) == Some(&b'.') {
        end = mantissa.read_digits(s, end + 1, true);
    }
    if mantissa.digits == 0 {
        return Some((0.0, at + 1));
    }
    let (exponent, end) = parse_binary_exponent(s, end);
    let value = compose_binary(
        mantissa.bits,
        mantissa.exp2.saturating_add(exponent),
        mantissa.sticky,
    );
    Some((value, end))
}

/// The significant bits of a hexadecimal mantissa: value = (`bits` + sticky) * 2^`exp2`.
#[derive(Default)]
struct HexMantissa {
    /// Up to 16 significant hex digits.
    bits: u64,
    /// Whether a non-zero digit was dropped after `bits` filled up.
    sticky: bool,
    /// The binary exponent of the last bit of `bits`.
    exp2: i64,
    /// How many hex digits were read.
    digits: usize,
}

impl HexMantissa {
    /// Reads hex digits from `at` (after the point when `fractional`); returns the index after
    /// them.
    fn read_digits(&mut self, s: &[u8], at: usize, fractional: bool) -> usize {
        let mut end = at;
        while let Some(digit) = s.get(end).and_then(|&b| digit_value(b, 16)) {
            self.push(u64::from(digit), fractional);
            end += 1;
        }
        end
    }

    /// Adds one hex digit.
    fn push(&mut self, digit: u64, fractional: bool) {
        self.digits += 1;
        if self.bits >> 60 == 0 {
            // Room for four more bits (leading zeros land here too and change nothing).
            self.bits = (self.bits << 4) | digit;
            if fractional {
                self.exp2 = self.exp2.saturating_sub(4);
            }
        } else {
            self.sticky |= digit != 0;
            if !fractional {
                self.exp2 = self.exp2.saturating_add(4);
            }
        }
    }
}

/// An optional `p`/`P` exponent at `at`: its value (saturated far beyond any `f64` range) and
/// the index after it; `(0, at)` when there is none, as when `p` has no digit after it.
fn parse_binary_exponent(s: &[u8], at: usize) -> (i64, usize) {
    if !matches!(s.get(at), Some(b'p' | b'P')) {
        return (0, at);
    }
    let (negative, digits_start) = parse_sign(s, at + 1);
    let (value, overflow, end) = accumulate(s, digits_start, 10);
    if end == digits_start {
        return (0, at);
    }
    let capped = if overflow {
        EXPONENT_CAP
    } else {
        value.min(EXPONENT_CAP)
    };
    let magnitude = i64::try_from(capped).unwrap_or(i64::MAX);
    (if negative { -magnitude } else { magnitude }, end)
}

/// The `f64` nearest to (`bits` + `sticky`·ε) · 2^`exp2`, ties to even, where `sticky` says that
/// non-zero bits below `bits` were dropped.
fn compose_binary(bits: u64, exp2: i64, sticky: bool) -> f64 {
    if bits == 0 {
        return 0.0;
    }
    let leading = bits.leading_zeros();
    let normalized = bits << leading;
    // value = normalized * 2^e with normalized in [2^63, 2^64).
    let e = exp2.saturating_sub(i64::from(leading));
    // Bits to drop: 11 for a normal result (53 kept), more for a subnormal one.
    let shift = (-1074i64).saturating_sub(e).max(11);
    if shift > 64 {
        return 0.0;
    }
    let shift = u32::try_from(shift).unwrap_or(64);
    let kept = normalized.checked_shr(shift).unwrap_or(0);
    let half = (normalized >> (shift - 1)) & 1 == 1;
    let below = normalized & ((1u64 << (shift - 1)) - 1) != 0 || sticky;
    let kept = if half && (below || kept & 1 == 1) {
        kept + 1
    } else {
        kept
    };
    if shift > 11 {
        // Subnormal; a carry into bit 52 correctly makes the smallest normal number.
        return f64::from_bits(kept);
    }
    let (kept, biased) = if kept >> 53 == 1 {
        (kept >> 1, e.saturating_add(1087))
    } else {
        (kept, e.saturating_add(1086))
    };
    if biased >= 2047 {
        return f64::INFINITY;
    }
    let biased = u64::try_from(biased).unwrap_or(1);
    f64::from_bits((biased << 52) | (kept & MANTISSA_MASK))
}

/// A decimal float, without the sign: digits with an optional `.` (at least one digit in all),
/// then an optional `e`/`E` exponent that needs at least one digit.
fn parse_decimal(s: &[u8], at: usize) -> Option<(f64, usize)> {
    let int_end = skip_digits(s, at);
    let mut end = int_end;
    let mut digits = int_end - at;
    if s.get(end) == Some(&b'.') {
        let frac_end = skip_digits(s, end + 1);
        digits += frac_end - (end + 1);
        end = frac_end;
    }
    if digits == 0 {
        return None;
    }
    let end = skip_exponent(s, end);
    let text = core::str::from_utf8(s.get(at..end)?).ok()?;
    text.parse::<f64>().ok().map(|value| (value, end))
}

/// The index after an `e`/`E` exponent at `at`, or `at` when there is no complete one.
fn skip_exponent(s: &[u8], at: usize) -> usize {
    if !matches!(s.get(at), Some(b'e' | b'E')) {
        return at;
    }
    let (_, digits_start) = parse_sign(s, at + 1);
    let end = skip_digits(s, digits_start);
    if end == digits_start {
        at
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> (u64, usize) {
        let (v, n) = strtod(s.as_bytes());
        (v.to_bits(), n)
    }

    fn d(s: &str) -> (f64, usize) {
        strtod(s.as_bytes())
    }

    #[test]
    fn c_space_is_the_c_locale_set() {
        let spaces: [u8; 6] = [b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'];
        for b in 0..=255u8 {
            assert_eq!(is_c_space(b), spaces.contains(&b), "byte {b:#x}");
        }
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(d("1"), (1.0, 1));
        assert_eq!(d("42.0"), (42.0, 4));
        assert_eq!(d(".001"), (0.001, 4));
        assert_eq!(d("5."), (5.0, 2));
        assert_eq!(d("5.x"), (5.0, 2));
        assert_eq!(d("1.e5"), (100_000.0, 4));
        assert_eq!(d("1e+16"), (1e16, 5));
        assert_eq!(d("1E-2"), (0.01, 4));
        assert_eq!(d("+.5"), (0.5, 3));
        assert_eq!(d("-.5e-3"), (-0.0005, 6));
        assert_eq!(d("007"), (7.0, 3));
        assert_eq!(d("123abc"), (123.0, 3));
    }

    #[test]
    fn incomplete_exponent_is_not_consumed() {
        assert_eq!(d("1e"), (1.0, 1));
        assert_eq!(d("1e+"), (1.0, 1));
        assert_eq!(d("1e-x"), (1.0, 1));
        assert_eq!(d("2.5E"), (2.5, 3));
    }

    #[test]
    fn nothing_parsed() {
        for s in [
            "", ".", "-", "+", "+-1", ".e5", "e5", "x", "AQ==", "-.", " ", "in", "na",
        ] {
            assert_eq!(d(s), (0.0, 0), "{s:?}");
        }
    }

    #[test]
    fn leading_c_spaces_are_skipped() {
        assert_eq!(d(" \t\n\x0b\x0c\r7"), (7.0, 7));
        assert_eq!(d("  -2"), (-2.0, 4));
        // A space after the sign is not allowed.
        assert_eq!(d("- 2"), (0.0, 0));
    }

    #[test]
    fn a_nul_byte_ends_the_string() {
        assert_eq!(d("1\x002"), (1.0, 1));
        assert_eq!(d("\x001"), (0.0, 0));
    }

    #[test]
    fn infinity_forms() {
        assert_eq!(d("inf"), (f64::INFINITY, 3));
        assert_eq!(d("+Inf"), (f64::INFINITY, 4));
        assert_eq!(d("-INF"), (f64::NEG_INFINITY, 4));
        assert_eq!(d("infinity"), (f64::INFINITY, 8));
        assert_eq!(d("InFiNiTy!"), (f64::INFINITY, 8));
        assert_eq!(d("infinit"), (f64::INFINITY, 3));
        assert_eq!(d("infx"), (f64::INFINITY, 3));
    }

    #[test]
    fn nan_forms() {
        assert_eq!(bits("nan"), (0x7ff8_0000_0000_0000, 3));
        assert_eq!(bits("NaN"), (0x7ff8_0000_0000_0000, 3));
        assert_eq!(bits("-nan"), (0xfff8_0000_0000_0000, 4));
        assert_eq!(bits("+nan"), (0x7ff8_0000_0000_0000, 4));
        assert_eq!(bits("nan()"), (0x7ff8_0000_0000_0000, 5));
        assert_eq!(bits("nan(abc_1)"), (0x7ff8_0000_0000_0000, 10));
        // Without the closing parenthesis only `nan` is consumed.
        assert_eq!(bits("nan(abc"), (0x7ff8_0000_0000_0000, 3));
        assert_eq!(bits("nan(a-b)"), (0x7ff8_0000_0000_0000, 3));
    }

    #[test]
    fn nan_payloads_follow_glibc() {
        assert_eq!(bits("nan(1)"), (0x7ff8_0000_0000_0001, 6));
        assert_eq!(bits("nan(0x10)"), (0x7ff8_0000_0000_0010, 9));
        assert_eq!(bits("nan(010)"), (0x7ff8_0000_0000_0008, 8));
        assert_eq!(bits("-nan(5)"), (0xfff8_0000_0000_0005, 7));
        // Not all of the sequence is a number: no payload.
        assert_eq!(bits("nan(08)"), (0x7ff8_0000_0000_0000, 7));
        assert_eq!(bits("nan(0x)"), (0x7ff8_0000_0000_0000, 7));
        assert_eq!(bits("nan(12a)"), (0x7ff8_0000_0000_0000, 8));
        // Only the 51 payload bits are written; the quiet bit stays set.
        assert_eq!(
            bits("nan(0xfffffffffffffffff)"),
            (0x7fff_ffff_ffff_ffff, 24)
        );
    }

    #[test]
    fn hex_floats() {
        assert_eq!(d("0x1p3"), (8.0, 5));
        assert_eq!(d("0x.8"), (0.5, 4));
        assert_eq!(d("0X1P-2"), (0.25, 6));
        assert_eq!(d("0x1.8p1"), (3.0, 7));
        assert_eq!(d("0x1e5"), (485.0, 5));
        assert_eq!(d("0x10"), (16.0, 4));
        assert_eq!(d("0x1."), (1.0, 4));
        assert_eq!(d("-0x1p0"), (-1.0, 6));
        assert_eq!(d("0x1p"), (1.0, 3));
        assert_eq!(d("0x1p+"), (1.0, 3));
        assert_eq!(d("0x1pz"), (1.0, 3));
        assert_eq!(d("0x0p99999999999999999999999"), (0.0, 27));
    }

    #[test]
    fn hex_prefix_without_digits_consumes_the_zero() {
        assert_eq!(d("0x"), (0.0, 1));
        assert_eq!(d("0xg"), (0.0, 1));
        assert_eq!(d("0x."), (0.0, 1));
        assert_eq!(d("0x.p1"), (0.0, 1));
        assert_eq!(d("0xp3"), (0.0, 1));
        let (v, n) = d("-0x");
        assert_eq!((v.to_bits(), n), ((-0.0f64).to_bits(), 2));
    }

    #[test]
    fn hex_rounding_is_exact() {
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: to even.
        assert_eq!(d("0x20000000000001").0, 9_007_199_254_740_992.0);
        // 2^53 + 3 is a tie between 2^53 + 2 and 2^53 + 4: to even.
        assert_eq!(d("0x20000000000003").0, 9_007_199_254_740_996.0);
        // A sticky digit far beyond the 16th breaks the tie upwards.
        assert_eq!(
            d("0x20000000000001000000000001").0,
            d("0x20000000000002p48").0
        );
        // The largest finite value, and the next step overflows.
        assert_eq!(d("0x1.fffffffffffffp1023").0, f64::MAX);
        assert_eq!(d("0x1.fffffffffffff8p1023").0, f64::INFINITY);
        assert_eq!(d("0x1p1024").0, f64::INFINITY);
        assert_eq!(d("0x1p99999999999999999999").0, f64::INFINITY);
        // Subnormals and underflow.
        assert_eq!(d("0x1p-1074").0, f64::from_bits(1));
        assert_eq!(d("0x1p-1075").0, 0.0);
        assert_eq!(d("0x1.0000000000001p-1075").0, f64::from_bits(1));
        assert_eq!(d("0x3p-1076").0, f64::from_bits(1));
        assert_eq!(d("0x1p-1022").0, f64::MIN_POSITIVE);
        assert_eq!(d("0x0.fffffffffffff8p-1022").0, f64::MIN_POSITIVE);
        assert_eq!(d("0x1p-99999999999999999999").0, 0.0);
        assert_eq!(d("0x0.0000000000000000001p4").0, 2f64.powi(-72));
    }

    #[test]
    fn decimal_extremes_round_like_glibc() {
        assert_eq!(d("1e400").0, f64::INFINITY);
        assert_eq!(d("-1e400").0, f64::NEG_INFINITY);
        assert_eq!(d("1e-400").0, 0.0);
        assert_eq!(d("4.9406564584124654e-324").0, f64::from_bits(1));
        assert_eq!(d("2.4703282292062328e-324").0, f64::from_bits(1));
        assert_eq!(d("2.4703282292062327e-324").0, 0.0);
        assert_eq!(d("1.7976931348623157e308").0, f64::MAX);
        assert_eq!(d("0e99999999999999999999"), (0.0, 22));
        assert_eq!(d("9007199254740993").0, 9_007_199_254_740_992.0);
        assert_eq!(
            d("9007199254740993.000000000001").0,
            9_007_199_254_740_994.0
        );
    }

    #[test]
    fn strtoll_base_10() {
        assert_eq!(strtoll(b"60"), (60, 2));
        assert_eq!(strtoll(b"  -5:"), (-5, 4));
        assert_eq!(strtoll(b"+7"), (7, 2));
        assert_eq!(strtoll(b"1.5"), (1, 1));
        assert_eq!(strtoll(b""), (0, 0));
        assert_eq!(strtoll(b":"), (0, 0));
        assert_eq!(strtoll(b"-"), (0, 0));
        assert_eq!(strtoll(b"0x10"), (0, 1));
        assert_eq!(strtoll(b"9223372036854775807"), (i64::MAX, 19));
        assert_eq!(strtoll(b"9223372036854775808"), (i64::MAX, 19));
        assert_eq!(strtoll(b"-9223372036854775808"), (i64::MIN, 20));
        assert_eq!(strtoll(b"-9223372036854775809"), (i64::MIN, 20));
        assert_eq!(strtoll(b"99999999999999999999999x"), (i64::MAX, 23));
    }

    #[test]
    fn strtoull_base_10() {
        assert_eq!(strtoull(b"10"), (10, 2));
        assert_eq!(strtoull(b"21.5"), (21, 2));
        assert_eq!(strtoull(b"-1"), (u64::MAX, 2));
        assert_eq!(strtoull(b"-0"), (0, 2));
        assert_eq!(strtoull(b"-18446744073709551615"), (1, 21));
        assert_eq!(strtoull(b"18446744073709551615"), (u64::MAX, 20));
        assert_eq!(strtoull(b"18446744073709551616"), (u64::MAX, 20));
        assert_eq!(strtoull(b"-18446744073709551616"), (u64::MAX, 21));
        assert_eq!(strtoull(b" +3 "), (3, 3));
        assert_eq!(strtoull(b"AQ=="), (0, 0));
        assert_eq!(strtoull(b"1e3"), (1, 1));
    }
}
