//! A millisecond clock from SysTick: the time base of smoltcp, of `LineBuffer::poll` and of
//! the workload's ticks.
//!
//! SysTick runs from the processor clock (QEMU's lm3s6965 connects no SysTick reference
//! clock) and interrupts every millisecond; the handler counts, then hands the millisecond to
//! [`crate::on_systick`] (the motor's samples, recorded from the interrupt). 32-bit
//! milliseconds wrap after 49 days, far beyond this firmware's run.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;

/// The LM3S6965's system clock after reset in QEMU: 200 MHz / (SYSDIV 15 + 1) = 12.5 MHz.
/// A real board that sets up its PLL must pass its own frequency to [`Clock::start`].
pub const QEMU_SYSCLK_HZ: u32 = 12_500_000;

static MILLIS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    let ms = MILLIS.fetch_add(1, Ordering::Relaxed);
    crate::on_systick(ms);
}

/// Milliseconds since [`Clock::start`] (also usable where no `Clock` is at hand, such as
/// defmt timestamps).
pub fn millis() -> u32 {
    MILLIS.load(Ordering::Relaxed)
}

/// The running clock; it keeps the SysTick peripheral.
pub struct Clock {
    _syst: SYST,
}

impl Clock {
    /// Starts a 1 kHz SysTick interrupt from a `sysclk_hz` processor clock.
    pub fn start(mut syst: SYST, sysclk_hz: u32) -> Self {
        syst.disable_counter();
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(sysclk_hz / 1000 - 1);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        Self { _syst: syst }
    }

    /// Milliseconds since start.
    pub fn millis(&self) -> u32 {
        millis()
    }

    /// Time since start, for `LineBuffer::poll`.
    pub fn now(&self) -> Duration {
        Duration::from_millis(u64::from(self.millis()))
    }

    /// Time since start, for smoltcp.
    pub fn instant(&self) -> smoltcp::time::Instant {
        smoltcp::time::Instant::from_millis(i64::from(self.millis()))
    }

    /// Sleeps (WFI) until `ms` milliseconds after start.
    pub fn wait_until(&self, ms: u32) {
        while self.millis() < ms {
            cortex_m::asm::wfi();
        }
    }
}
