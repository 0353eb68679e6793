//! 64-bit atomic words made of critical sections, for targets without 64-bit atomic
//! instructions (thumbv6m, thumbv7m, thumbv7em, riscv32imc): what the cells use there, with the
//! crate's `critical-section` feature and a critical-section implementation the firmware
//! provides (e.g. `cortex-m`'s `critical-section-single-core`, or the HAL's). Every word of a
//! cell is one of these there, so the cells need nothing from `portable-atomic` on such
//! targets, and the firmware stays free to choose how portable-atomic emulates compare-and-swap
//! for other crates (esp-hal, for instance, enables its `unsafe-assume-single-core`, which
//! cannot be combined with its `critical-section`).
//!
//! Why not `portable_atomic::AtomicU64` there: on targets that do have 32-bit compare-and-swap
//! (thumbv7m, thumbv7em), portable-atomic's `critical-section` feature is not used for the
//! 64-bit types; its `fallback` makes them of global spin locks (a seqlock), which do not mask
//! interrupts. An interrupt handler updating a cell while the main loop's report holds the same
//! lock would spin forever. A critical section masks the interrupt instead, on every target.
//!
//! Each operation is one critical section around a plain read and write of the word, so it is
//! atomic with respect to interrupt handlers and, with a multi-core implementation of
//! `critical-section`, other cores. The orderings the callers pass are implied.

use core::cell::Cell;

use critical_section::Mutex;
use portable_atomic::Ordering;

/// A `u64` updated in critical sections, with the subset of `AtomicU64`'s API the cells use.
#[derive(Debug)]
pub struct AtomicU64(Mutex<Cell<u64>>);

impl AtomicU64 {
    /// A word holding `v`.
    pub const fn new(v: u64) -> Self {
        Self(Mutex::new(Cell::new(v)))
    }

    /// Reads the word.
    #[inline]
    pub fn load(&self, _: Ordering) -> u64 {
        critical_section::with(|cs| self.0.borrow(cs).get())
    }

    /// Writes the word.
    #[inline]
    pub fn store(&self, v: u64, _: Ordering) {
        critical_section::with(|cs| self.0.borrow(cs).set(v));
    }

    /// Writes `v`, returning the previous value.
    #[inline]
    pub fn swap(&self, v: u64, _: Ordering) -> u64 {
        critical_section::with(|cs| self.0.borrow(cs).replace(v))
    }

    /// Adds `v` (wrapping), returning the previous value.
    #[inline]
    pub fn fetch_add(&self, v: u64, _: Ordering) -> u64 {
        critical_section::with(|cs| {
            let cell = self.0.borrow(cs);
            let old = cell.get();
            cell.set(old.wrapping_add(v));
            old
        })
    }

    /// Writes `f(value)` if it is `Some`, in one critical section: `Ok(previous)` then, else
    /// `Err(previous)`.
    #[inline]
    pub fn fetch_update(
        &self,
        _: Ordering,
        _: Ordering,
        mut f: impl FnMut(u64) -> Option<u64>,
    ) -> Result<u64, u64> {
        critical_section::with(|cs| {
            let cell = self.0.borrow(cs);
            let old = cell.get();
            match f(old) {
                Some(new) => {
                    cell.set(new);
                    Ok(old)
                }
                None => Err(old),
            }
        })
    }
}

impl Default for AtomicU64 {
    fn default() -> Self {
        Self::new(0)
    }
}

/// A `bool` updated in critical sections (a `U` cell's flag; thumbv6m and riscv32imc have no
/// atomic swap of a byte either).
#[derive(Debug)]
pub struct AtomicBool(Mutex<Cell<bool>>);

impl AtomicBool {
    /// A flag holding `v`.
    pub const fn new(v: bool) -> Self {
        Self(Mutex::new(Cell::new(v)))
    }

    /// Writes the flag.
    #[inline]
    pub fn store(&self, v: bool, _: Ordering) {
        critical_section::with(|cs| self.0.borrow(cs).set(v));
    }

    /// Writes `v`, returning the previous value.
    #[inline]
    pub fn swap(&self, v: bool, _: Ordering) -> bool {
        critical_section::with(|cs| self.0.borrow(cs).replace(v))
    }
}

impl Default for AtomicBool {
    fn default() -> Self {
        Self::new(false)
    }
}

/// An `f64` updated in critical sections (a counter's float sum).
#[cfg(feature = "float")]
#[derive(Debug)]
pub struct AtomicF64(AtomicU64);

#[cfg(feature = "float")]
impl AtomicF64 {
    /// A word holding `v`.
    pub const fn new(v: f64) -> Self {
        Self(AtomicU64::new(v.to_bits()))
    }

    /// Writes `v`, returning the previous value.
    #[inline]
    pub fn swap(&self, v: f64, order: Ordering) -> f64 {
        f64::from_bits(self.0.swap(v.to_bits(), order))
    }

    /// Adds `v`, returning the previous value.
    #[inline]
    pub fn fetch_add(&self, v: f64, _: Ordering) -> f64 {
        critical_section::with(|cs| {
            let cell = self.0 .0.borrow(cs);
            let old = f64::from_bits(cell.get());
            cell.set((old + v).to_bits());
            old
        })
    }
}

#[cfg(feature = "float")]
impl Default for AtomicF64 {
    fn default() -> Self {
        Self::new(0.0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use portable_atomic::Ordering::Relaxed;

    /// The host's critical section (`critical-section/std`, a global lock) stands in for the
    /// firmware's: many threads adding lose nothing.
    #[test]
    fn words_behave_like_atomics() {
        let w = AtomicU64::new(u64::MAX);
        assert_eq!(w.fetch_add(2, Relaxed), u64::MAX);
        assert_eq!(w.load(Relaxed), 1);
        assert_eq!(w.swap(7, Relaxed), 1);
        assert_eq!(
            w.fetch_update(Relaxed, Relaxed, |v| (v == 6).then_some(9)),
            Err(7)
        );
        assert_eq!(
            w.fetch_update(Relaxed, Relaxed, |v| (v == 7).then_some(9)),
            Ok(7)
        );
        assert_eq!(w.load(Relaxed), 9);
        w.store(3, Relaxed);
        assert_eq!(w.load(Relaxed), 3);

        let sum = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        sum.fetch_add(1, Relaxed);
                    }
                });
            }
        });
        assert_eq!(sum.load(Relaxed), 40_000);
    }

    #[test]
    fn flags_swap() {
        let f = AtomicBool::new(false);
        f.store(true, Relaxed);
        assert!(f.swap(false, Relaxed));
        assert!(!f.swap(false, Relaxed));
    }

    #[test]
    #[cfg(feature = "float")]
    fn float_words_add() {
        let f = AtomicF64::new(0.5);
        assert_eq!(f.fetch_add(0.25, Relaxed), 0.5);
        assert_eq!(f.swap(0.0, Relaxed), 0.75);
    }
}
