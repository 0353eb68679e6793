//! `f64` rendered exactly like CPython's `repr(float)` (spec §4.1).
//!
//! The shortest round-trip digits come from `ryu` (which, like CPython, breaks exact ties towards
//! an even last digit); this module only lays them out the Python way:
//!
//! * `nan`, `inf`, `-inf`, `0.0`, `-0.0`;
//! * fixed notation with a `.` when `1e-4 <= |x| < 1e16` (`1.0`, `0.0001`, `9999999999999998.0`);
//! * otherwise scientific with a signed, at least two-digit exponent (`1e+16`, `1.5e-05`, `5e-324`).

use crate::write::{LineWrite, Overflow};

/// Longest rendering: `-1.7976931348623157e+308` is 24 bytes; fixed notation peaks at
/// `-0.000` plus 17 digits.
pub const MAX_LEN: usize = 32;

/// Shortest round-trip decimal digits of a finite, non-zero `|x|`: `digits[..len]` (no leading
/// or trailing zeros) and the position of the decimal point, so that `|x| = 0.D1D2… × 10^decpt`.
struct Decimal {
    digits: [u8; 20],
    len: usize,
    decpt: i32,
}

impl Decimal {
    fn of(x: f64) -> Self {
        let mut ryu_buf = ryu::Buffer::new();
        let text = ryu_buf.format_finite(x).as_bytes();
        let mut d = Decimal {
            digits: [0; 20],
            len: 0,
            decpt: 0,
        };
        let mut int_digits = 0i32;
        let mut seen_point = false;
        let mut leading_zeros = 0i32;
        let mut exp = 0i32;
        let mut exp_neg = false;
        let mut in_exp = false;
        for &b in text {
            match b {
                b'-' if in_exp => exp_neg = true,
                b'-' | b'+' => {}
                b'e' | b'E' => in_exp = true,
                b'.' => seen_point = true,
                b'0'..=b'9' if in_exp => exp = exp * 10 + i32::from(b - b'0'),
                b'0'..=b'9' => {
                    if !seen_point {
                        int_digits += 1;
                    }
                    if d.len == 0 && b == b'0' {
                        leading_zeros += 1;
                    } else if let Some(slot) = d.digits.get_mut(d.len) {
                        *slot = b;
                        d.len += 1;
                    }
                }
                _ => {}
            }
        }
        while d.len > 1 && d.digits.get(d.len - 1) == Some(&b'0') {
            d.len -= 1;
        }
        d.decpt = int_digits - leading_zeros + if exp_neg { -exp } else { exp };
        d
    }

    fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or_default()
    }
}

/// Fills `buf` with Python's rendering of `x` and returns its length.
fn render(x: f64, buf: &mut [u8; MAX_LEN]) -> usize {
    let special: Option<&[u8]> = if x.is_nan() {
        Some(b"nan")
    } else if x.is_infinite() {
        Some(if x > 0.0 { b"inf" } else { b"-inf" })
    } else if x == 0.0 {
        Some(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        })
    } else {
        None
    };
    let mut w = Cursor { buf, len: 0 };
    if let Some(text) = special {
        w.put_all(text);
        return w.len;
    }
    let dec = Decimal::of(x);
    let digits = dec.digits();
    let n = digits.len() as i32;
    if x.is_sign_negative() {
        w.put(b'-');
    }
    if dec.decpt <= -4 || dec.decpt > 16 {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        w.put_all(first);
        if !rest.is_empty() {
            w.put(b'.');
            w.put_all(rest);
        }
        let e = dec.decpt - 1;
        w.put(b'e');
        w.put(if e < 0 { b'-' } else { b'+' });
        let mut e_buf = itoa::Buffer::new();
        let e_text = e_buf.format(e.unsigned_abs()).as_bytes();
        if e_text.len() < 2 {
            w.put(b'0');
        }
        w.put_all(e_text);
    } else if dec.decpt <= 0 {
        w.put_all(b"0.");
        for _ in 0..-dec.decpt {
            w.put(b'0');
        }
        w.put_all(digits);
    } else if dec.decpt < n {
        let (int_part, frac) = digits.split_at(dec.decpt as usize);
        w.put_all(int_part);
        w.put(b'.');
        w.put_all(frac);
    } else {
        w.put_all(digits);
        for _ in 0..dec.decpt - n {
            w.put(b'0');
        }
        w.put_all(b".0");
    }
    w.len
}

struct Cursor<'a> {
    buf: &'a mut [u8; MAX_LEN],
    len: usize,
}

impl Cursor<'_> {
    fn put(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
    fn put_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
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
        let len = render(x, &mut buf);
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

/// Appends Python's `repr(x)` to `out` (all or nothing).
///
/// ```
/// let mut s: heapless::String<32> = heapless::String::new();
/// spectator_core::pyfloat::write_f64(&mut s, 111275153569243.125).unwrap();
/// assert_eq!(s.as_str(), "111275153569243.12");
/// ```
#[inline]
pub fn write_f64<W: LineWrite + ?Sized>(out: &mut W, x: f64) -> Result<(), Overflow> {
    out.push_text(PyFloat::new(x).as_str())
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
