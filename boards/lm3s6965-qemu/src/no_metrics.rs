//! The stand-in for `metrics.rs` when the `metrics` feature is off: the same interface, no
//! spectator-core. The workload's values are still computed (`black_box`), and the UDP socket
//! still exists and is polled, so comparing the two builds isolates spectator-core's cost
//! (plus the few bytes of `transport.rs` and smoltcp's `send_slice`).

use core::convert::Infallible;
use core::hint::black_box;
use core::mem::MaybeUninit;
use core::time::Duration;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::IpEndpoint;

use crate::workload::{Event, Sample};

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

/// Holds the socket set; reports nothing.
pub struct Reporter {
    sockets: &'static mut SocketSet<'static>,
    udp: SocketHandle,
}

impl Reporter {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = false;
    /// No `LineBuffer`.
    pub const LINE_BUFFER_BYTES: usize = 0;

    /// Keeps the socket set in `slot`; `remote` is unused.
    pub fn init(
        slot: &'static mut MaybeUninit<Self>,
        sockets: &'static mut SocketSet<'static>,
        udp: SocketHandle,
        remote: IpEndpoint,
    ) -> Result<&'static mut Self, Infallible> {
        black_box(remote);
        Ok(slot.write(Self { sockets, udp }))
    }

    /// Consumes the event's values.
    pub fn event(&mut self, e: &Event) {
        black_box(e);
    }

    /// Consumes the sample's values.
    pub fn sample(&mut self, s: &Sample) {
        black_box(s);
    }

    /// Nothing to flush.
    pub fn poll(&mut self, now: Duration) -> nb::Result<(), Infallible> {
        black_box(now);
        Ok(())
    }

    /// Nothing to flush.
    pub fn flush(&mut self) -> nb::Result<(), Infallible> {
        Ok(())
    }

    /// The socket set, for `Interface::poll`.
    pub fn sockets(&mut self) -> &mut SocketSet<'static> {
        self.sockets
    }

    /// Bytes still queued in the UDP socket.
    pub fn queued(&mut self) -> usize {
        self.sockets.get_mut::<udp::Socket>(self.udp).send_queue()
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
