//! Peak stack use, measured by painting: the free RAM below the stack pointer is filled with a
//! pattern at boot, and [`peak`] finds the lowest word that no longer holds it.
//!
//! cortex-m-rt puts the stack at the top of RAM, growing down to the end of `.bss`/`.uninit`
//! (`_stack_end`): everything between is stack. `size` reports `.data` and `.bss`; this
//! reports the rest of the RAM a run needed.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PAINT: u32 = 0x5ca1_ab1e;
/// Left unpainted below the stack pointer, for `paint`'s own use.
const MARGIN: usize = 64;

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

fn bounds() -> (usize, usize) {
    // Linker symbols: only their addresses are used.
    (
        addr_of!(_stack_end) as usize,
        addr_of!(_stack_start) as usize,
    )
}

/// Paints the stack below the stack pointer: first thing in `main`, and again to measure a
/// later phase on its own.
pub fn paint() {
    cortex_m::interrupt::free(|_| paint_below_sp());
}

#[inline(never)]
fn paint_below_sp() {
    let (bottom, _) = bounds();
    let limit = (cortex_m::register::msp::read() as usize - MARGIN) & !3;
    let mut at = bottom;
    while at < limit {
        // SAFETY: below the stack pointer, above the statics: RAM nobody uses yet.
        unsafe { write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

/// The most stack used since [`paint`], in bytes.
pub fn peak() -> u32 {
    let (bottom, top) = bounds();
    let mut at = bottom;
    // SAFETY: reads RAM between the statics and the top of the stack.
    while at < top && unsafe { read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    (top - at) as u32
}
