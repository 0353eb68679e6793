//! The stand-in for `metrics.rs` when the `metrics` feature is off: the same interface, no
//! spectator-core. The samples are still taken and consumed (`black_box`), and the UDP socket
//! is still created and bound, so comparing the two builds isolates spectator-core's cost plus
//! embassy-net's UDP send path (only the metrics send).

use core::hint::black_box;
use core::net::SocketAddrV4;
use core::time::Duration;

use embassy_net::udp::{BindError, UdpSocket};

use crate::Sample;

/// The largest datagram, for the socket's buffer (as with metrics).
pub const MAX_DATAGRAM: usize = 1472;

/// Delivery figures: all 0.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Always 0.
    pub lines: u64,
    /// Always 0.
    pub datagrams: u64,
    /// Always 0.
    pub dropped: u64,
    /// Always 0.
    pub send_errors: u64,
}

/// Holds the bound socket; reports nothing.
pub struct Reporter<'a> {
    _socket: UdpSocket<'a>,
}

impl<'a> Reporter<'a> {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = false;

    /// Binds `socket` to an ephemeral port; `spectatord` is unused.
    pub fn new(mut socket: UdpSocket<'a>, spectatord: SocketAddrV4) -> Result<Self, BindError> {
        black_box(spectatord);
        socket.bind(0)?;
        Ok(Self { _socket: socket })
    }

    /// Consumes the value.
    pub fn loop_time(&mut self, work: Duration) {
        black_box(work);
    }

    /// Consumes the sample.
    pub async fn report(&mut self, s: &Sample) {
        black_box(s);
    }

    /// Nothing was sent.
    pub fn summary(&self) -> Summary {
        Summary {
            lines: 0,
            datagrams: 0,
            dropped: 0,
            send_errors: 0,
        }
    }
}
