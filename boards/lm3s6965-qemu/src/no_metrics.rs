//! The stand-in for `metrics.rs` when the `metrics` feature is off: the same interface, no
//! spectator-core. The workload's values are still computed (`black_box`), and the UDP socket
//! still exists and is polled, so comparing the two builds isolates spectator-core's cost
//! (plus the few bytes of `transport.rs` and smoltcp's `send_slice`). The reporter knows the
//! socket's handle in both builds, so the static RAM they differ by is the `LineBuffer`.

use core::convert::Infallible;
use core::hint::black_box;
use core::mem::MaybeUninit;
use core::time::Duration;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;

use crate::workload::{MotorSample, Tick};

/// What was delivered: nothing.
#[derive(Debug, Clone, Copy, defmt::Format)]
pub struct Summary {
    /// Always 0.
    pub lines: u32,
    /// Always 0.
    pub datagrams: u32,
    /// Always 0.
    pub dropped: u32,
}

/// Knows the UDP socket; reports nothing.
pub struct Reporter {
    udp: SocketHandle,
}

impl Reporter {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = false;
    /// No `LineBuffer`.
    pub const LINE_BUFFER_BYTES: usize = 0;

    /// Keeps the socket's handle in `slot`.
    pub fn init(slot: &'static mut MaybeUninit<Self>, udp: SocketHandle) -> &'static mut Self {
        slot.write(Self { udp })
    }

    /// Consumes a motor sample (from the SysTick interrupt handler).
    pub fn motor(sample: &MotorSample) {
        black_box(sample);
    }

    /// Consumes the tick's values and the time.
    pub fn tick(
        &mut self,
        tick: &Tick,
        now: Duration,
        _sockets: &mut SocketSet<'static>,
    ) -> nb::Result<(), Infallible> {
        black_box((tick, now));
        Ok(())
    }

    /// Nothing to flush.
    pub fn flush(&mut self, _sockets: &mut SocketSet<'static>) -> nb::Result<(), Infallible> {
        Ok(())
    }

    /// Bytes still queued in the UDP socket.
    pub fn queued(&self, sockets: &SocketSet<'static>) -> usize {
        sockets.get::<udp::Socket>(self.udp).send_queue()
    }

    /// Nothing was sent.
    pub fn summary(&self) -> Summary {
        Summary {
            lines: 0,
            datagrams: 0,
            dropped: 0,
        }
    }
}
