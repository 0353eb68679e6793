//! The cells of aggregated meters: lock-free state of one report interval, updated with
//! `&self` from any thread or interrupt, and taken (read and reset in one step per word) by
//! the report.
//!
//! | cell | meters | update | report |
//! |---|---|---|---|
//! | [`SumCell`] | `c` counter | atomic adds: integers exactly, decimals exactly in 10^-9 units, floats in `f64` | the sum, if not 0 |
//! | [`LastCell`] | `g` gauge, `A` age gauge, `C` monotonic counter | one atomic store of the value ([`boxed`](super::boxed)) | the last value |
//! | [`MaxCell`] | `m` max gauge | compare-and-swap while larger ([`fetch_update`](core::sync::atomic::AtomicU64::fetch_update)) | the maximum |
//! | [`UintCell`] | `U` monotonic counter | two stores | the last value |
//!
//! Every word is taken with one atomic swap, so an update that races with a report lands
//! either in this report or in the next one: never lost, never counted twice. Where the
//! target has no 64-bit atomics, the words are [critical sections](super::cs) (feature
//! `critical-section`).

use portable_atomic::Ordering::Relaxed;

// Native atomics, or critical sections where the target has no 64-bit atomics (see `cs`).
#[cfg(not(target_has_atomic = "64"))]
use super::cs::AtomicBool;
#[cfg(all(feature = "float", not(target_has_atomic = "64")))]
use super::cs::AtomicF64;
#[cfg(not(target_has_atomic = "64"))]
use super::cs::AtomicU64;
#[cfg(target_has_atomic = "64")]
use portable_atomic::AtomicBool;
#[cfg(all(feature = "float", target_has_atomic = "64"))]
use portable_atomic::AtomicF64;
#[cfg(target_has_atomic = "64")]
use portable_atomic::AtomicU64;

use super::boxed::{self, NONE};
use crate::value::Value;

/// The state of one aggregated meter for one report interval.
pub trait Cell {
    /// Takes one update (already past the meter kind's filter).
    fn update(&self, value: &Value<'_>);
    /// What to report for the interval, resetting the cell; `None` when there is nothing.
    fn take(&self) -> Option<Value<'static>>;
}

/// A counter's sum of increments: integers summed as `u64` (exact; wraps past 2^64), exact
/// decimals summed as 10^-9 units (digits past the 9th decimal are dropped), and, with the
/// `float` feature, floats summed in `f64` (each addition rounds to the nearest `f64`, as
/// spectatord's own sum does).
///
/// The report is the sum as an integer when only integers were added, as an exact decimal
/// when decimals were, and as an `f64` when floats were.
#[derive(Debug, Default)]
pub struct SumCell {
    int: AtomicU64,
    nanos: AtomicU64,
    #[cfg(feature = "float")]
    float: AtomicF64,
}

impl SumCell {
    /// An empty sum.
    pub const fn new() -> Self {
        Self {
            int: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            #[cfg(feature = "float")]
            float: AtomicF64::new(0.0),
        }
    }
}

const NANOS: u64 = 1_000_000_000;

impl Cell for SumCell {
    #[inline]
    fn update(&self, value: &Value<'_>) {
        match *value {
            Value::Int(v) => {
                self.int.fetch_add(v as u64, Relaxed);
            }
            Value::UInt(v) => {
                self.int.fetch_add(v, Relaxed);
            }
            Value::Decimal { mantissa, scale } => {
                let m = mantissa.unsigned_abs();
                let nanos = if scale <= 9 {
                    m.saturating_mul(10u64.pow(9 - u32::from(scale)))
                } else {
                    m / 10u64.saturating_pow(u32::from(scale) - 9)
                };
                self.nanos.fetch_add(nanos, Relaxed);
            }
            #[cfg(feature = "float")]
            Value::Float(f) => {
                self.float.fetch_add(f, Relaxed);
            }
            #[cfg(feature = "sketch")]
            Value::Bytes(_) | Value::IntBytes(_) => {}
            #[cfg(not(feature = "sketch"))]
            Value::Unreachable(never, _) => match never {},
        }
    }

    fn take(&self) -> Option<Value<'static>> {
        let int = self.int.swap(0, Relaxed);
        let nanos = self.nanos.swap(0, Relaxed);
        #[cfg(feature = "float")]
        {
            let float = self.float.swap(0.0, Relaxed);
            if float != 0.0 {
                return Some(Value::Float(
                    int as f64 + nanos as f64 / NANOS as f64 + float,
                ));
            }
        }
        if nanos != 0 {
            let total = u128::from(int) * u128::from(NANOS) + u128::from(nanos);
            return Some(match i64::try_from(total) {
                Ok(mantissa) => Value::Decimal { mantissa, scale: 9 },
                // Past 9.2e9 units plus decimals: the whole units (exact) win.
                Err(_) => Value::UInt(int.saturating_add(nanos / NANOS)),
            });
        }
        (int != 0).then_some(Value::UInt(int))
    }
}

/// The last value set (gauge, age gauge, monotonic counter): one word.
#[derive(Debug)]
pub struct LastCell(AtomicU64);

impl LastCell {
    /// An empty cell.
    pub const fn new() -> Self {
        Self(AtomicU64::new(NONE))
    }
}

impl Default for LastCell {
    fn default() -> Self {
        Self::new()
    }
}

impl Cell for LastCell {
    #[inline]
    fn update(&self, value: &Value<'_>) {
        self.0.store(boxed::encode(value), Relaxed);
    }

    fn take(&self) -> Option<Value<'static>> {
        boxed::decode(self.0.swap(NONE, Relaxed))
    }
}

/// The largest value set (max gauge): one word, raised by compare-and-swap. NaN never
/// replaces a number.
#[derive(Debug)]
pub struct MaxCell(AtomicU64);

impl MaxCell {
    /// An empty cell.
    pub const fn new() -> Self {
        Self(AtomicU64::new(NONE))
    }
}

impl Default for MaxCell {
    fn default() -> Self {
        Self::new()
    }
}

impl Cell for MaxCell {
    #[inline]
    fn update(&self, value: &Value<'_>) {
        let new = boxed::encode(value);
        // A compare-and-swap loop, or one critical section (`cs`).
        let _ = self.0.fetch_update(Relaxed, Relaxed, |current| {
            (current == NONE || boxed::greater(new, current)).then_some(new)
        });
    }

    fn take(&self) -> Option<Value<'static>> {
        boxed::decode(self.0.swap(NONE, Relaxed))
    }
}

/// The last `u64` total set (`U` monotonic counter), exact over the whole range: the value
/// and an "updated" flag. An update racing with a report may be reported twice (the same
/// total again: spectatord sees a delta of 0), never lost.
#[derive(Debug, Default)]
pub struct UintCell {
    value: AtomicU64,
    updated: AtomicBool,
}

impl UintCell {
    /// An empty cell.
    pub const fn new() -> Self {
        Self {
            value: AtomicU64::new(0),
            updated: AtomicBool::new(false),
        }
    }
}

impl Cell for UintCell {
    #[inline]
    fn update(&self, value: &Value<'_>) {
        if let Value::UInt(v) = *value {
            self.value.store(v, Relaxed);
            self.updated.store(true, portable_atomic::Ordering::Release);
        }
    }

    fn take(&self) -> Option<Value<'static>> {
        self.updated
            .swap(false, portable_atomic::Ordering::Acquire)
            .then(|| Value::UInt(self.value.load(Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_per_kind_of_increment() {
        let c = SumCell::new();
        assert_eq!(c.take(), None);
        c.update(&Value::Int(1));
        c.update(&Value::UInt(u64::from(u32::MAX)));
        assert_eq!(c.take(), Some(Value::UInt(4_294_967_296)));
        assert_eq!(c.take(), None);
        c.update(&Value::Int(2));
        c.update(&Value::decimal(25, 2));
        c.update(&Value::from(core::time::Duration::from_nanos(1)));
        assert_eq!(c.take(), Some(Value::decimal(2_250_000_001, 9)));
    }

    #[test]
    #[cfg(feature = "float")]
    fn floats_make_an_f64_sum() {
        let c = SumCell::new();
        c.update(&Value::Int(1));
        c.update(&Value::Float(0.5));
        c.update(&Value::decimal(25, 2));
        assert_eq!(c.take(), Some(Value::Float(1.75)));
    }

    #[test]
    fn last_max_and_uint_cells() {
        let last = LastCell::new();
        last.update(&Value::Int(3));
        last.update(&Value::decimal(-15, 1));
        assert_eq!(last.take(), Some(Value::decimal(-15, 1)));
        assert_eq!(last.take(), None);

        let max = MaxCell::new();
        for v in [
            Value::Int(-5),
            Value::decimal(75, 1),
            Value::Int(7),
            Value::Int(-9),
        ] {
            max.update(&v);
        }
        assert_eq!(max.take(), Some(Value::decimal(75, 1)));
        assert_eq!(max.take(), None);

        let u = UintCell::new();
        u.update(&Value::UInt(u64::MAX));
        assert_eq!(u.take(), Some(Value::UInt(u64::MAX)));
        assert_eq!(u.take(), None);
    }
}
