//! The stand-in for `metrics.rs` when the `metrics` feature is off: the same interface, no
//! spectator-core. The samples are still taken and consumed (`black_box`), the reports are
//! still due every [`REPORT_INTERVAL`], and the UDP socket is still created and bound, so
//! comparing the two builds isolates spectator-core's cost plus embassy-net's UDP send path
//! (only the metrics send).

use core::hint::black_box;
use core::net::SocketAddrV4;
use core::time::Duration;

use embassy_net::udp::{BindError, UdpSocket};

/// The largest datagram, for the socket's buffer (as with metrics).
pub const MAX_DATAGRAM: usize = 1472;
/// Time between reports (as with metrics).
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

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
    next_report: Option<Duration>,
}

impl<'a> Reporter<'a> {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = false;

    /// Binds `socket` to an ephemeral port; `spectatord` is unused.
    pub fn new(mut socket: UdpSocket<'a>, spectatord: SocketAddrV4) -> Result<Self, BindError> {
        black_box(spectatord);
        socket.bind(0)?;
        Ok(Self {
            _socket: socket,
            next_report: None,
        })
    }

    /// Consumes the event.
    pub fn reconnected() {
        black_box(());
    }

    /// Consumes the value.
    pub fn rssi(dbm: i32) {
        black_box(dbm);
    }

    /// Consumes the values.
    pub fn sample(free_heap: usize, uptime: Duration) {
        black_box((free_heap, uptime));
    }

    /// Consumes the value.
    pub async fn loop_time(&mut self, work: Duration) {
        black_box(work);
    }

    /// Whether a report is due at `now`, every [`REPORT_INTERVAL`] (the first call schedules).
    pub async fn report_if_due(&mut self, now: Duration) -> bool {
        let due = self.next_report.is_some_and(|next| now >= next);
        if due || self.next_report.is_none() {
            self.next_report = now.checked_add(REPORT_INTERVAL);
        }
        due
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
