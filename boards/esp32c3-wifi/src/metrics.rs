//! The appliance's metrics (feature `metrics`): the only file that uses spectator-core.
//!
//! Two kinds of meters:
//! - aggregated `static`s for the appliance's state: the Wi-Fi task counts re-joins
//!   ([`Reporter::reconnected`]) and sets the RSSI ([`Reporter::rssi`]), the loop sets the
//!   free heap and the uptime every tick ([`Reporter::sample`]). An update takes `&self` and no
//!   buffer (one word changed in a critical section: this core has no atomic instructions, and
//!   esp-hal provides the critical section), and each report sends one line per meter updated
//!   since the previous report: the re-joins' count, the last RSSI, free heap and uptime;
//! - a `const` timer for the loop time, one line per tick (spectatord computes the count, total
//!   and maximum from every value).
//!
//! The lines go into a `LineBuffer<1472>` used alone; [`flush_async`](LineBuffer::flush_async)
//! sends it through an embassy-net UDP socket on size (before a line that would not fit its
//! [`room`](LineBuffer::room)) and on time (when [`due`](LineBuffer::due): every
//! [`REPORT_INTERVAL`], after the aggregated meters' report).
//!
//! Every prefix is rendered at compile time (`static_meter!`); values are integers and
//! `Duration`s, so spectator-core's `float` feature is off: no software floating point on this
//! FPU-less core.

use core::net::SocketAddrV4;
use core::time::Duration;

use embassy_net::udp::{BindError, UdpSocket};
use spectator_core::aggregate::{self, Report};
use spectator_core::meters::Timer;
use spectator_core::prefix::LinePrefix;
use spectator_core::transport::EmbassyUdpTransport;
use spectator_core::{static_meter, LineBuffer, StaticPrefix, Value};

/// The largest datagram: one 1500-byte frame of UDP over IPv4 (1500 - 20 - 8).
pub const MAX_DATAGRAM: usize = 1472;
/// Time between reports of the aggregated meters (each followed by a flush).
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

const LOOP_TIME: Timer<StaticPrefix> = static_meter!(Timer, "appliance.loopTime");
// Gauges expire in spectatord a minute after the board stops reporting (15 minutes without).
static RSSI: aggregate::Gauge<StaticPrefix> =
    static_meter!(aggregated Gauge, ttl = 60, "appliance.wifi.rssi", "unit" => "dBm");
static RECONNECTS: aggregate::Counter<StaticPrefix> =
    static_meter!(aggregated Counter, "appliance.wifi.reconnects");
static FREE_HEAP: aggregate::Gauge<StaticPrefix> =
    static_meter!(aggregated Gauge, ttl = 60, "appliance.heap.free", "unit" => "bytes");
static UPTIME: aggregate::MonotonicCounter<StaticPrefix> =
    static_meter!(aggregated MonotonicCounter, "appliance.uptime", "unit" => "seconds");

/// Room for one report of the aggregated meters: four lines of at most 64 bytes (the longest
/// prefix has 36, a value at most 20).
const REPORT_BYTES: usize = 4 * 64;

/// Delivery figures since boot.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Lines in datagrams the socket accepted.
    pub lines: u64,
    /// Datagrams the socket accepted.
    pub datagrams: u64,
    /// Lines dropped, any reason.
    pub dropped: u64,
    /// Datagrams the socket refused (no route while the link is down, for instance).
    pub send_errors: u64,
}

/// The lines' buffer and the socket it is sent through.
pub struct Reporter<'a> {
    udp: EmbassyUdpTransport<'a>,
    buffer: LineBuffer<MAX_DATAGRAM>,
}

impl<'a> Reporter<'a> {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = true;

    /// Reports to `spectatord` through `socket`, bound here to an ephemeral port.
    pub fn new(socket: UdpSocket<'a>, spectatord: SocketAddrV4) -> Result<Self, BindError> {
        let udp = EmbassyUdpTransport::new(socket, (*spectatord.ip(), spectatord.port()))?;
        Ok(Self {
            udp,
            buffer: LineBuffer::new().with_flush_interval(REPORT_INTERVAL),
        })
    }

    /// The link came back after a drop (from the Wi-Fi task).
    pub fn reconnected() {
        RECONNECTS.increment();
    }

    /// The access point's signal strength, read while joined (from the Wi-Fi task).
    pub fn rssi(dbm: i32) {
        RSSI.set(dbm);
    }

    /// The appliance's state at this tick.
    pub fn sample(free_heap: usize, uptime: Duration) {
        FREE_HEAP.set(free_heap);
        UPTIME.set(uptime.as_secs());
    }

    /// Records how long one tick's work took, sending the pending datagram first if the line
    /// would not fit.
    pub async fn loop_time(&mut self, work: Duration) {
        let value = Value::from(work);
        if self.buffer.room() < LOOP_TIME.prefix().line_prefix().len() + value.rendered_len() {
            let _ = self.buffer.flush_async(&mut self.udp).await;
        }
        LOOP_TIME.record(&mut self.buffer, value);
    }

    /// When a report is due at `now` (time since boot): writes the aggregated meters' lines and
    /// sends everything buffered. A failed send is counted (see [`summary`](Self::summary)) and
    /// the appliance goes on. Returns whether it reported.
    pub async fn report_if_due(&mut self, now: Duration) -> bool {
        if !self.buffer.due(now) {
            return false;
        }
        if self.buffer.room() < REPORT_BYTES {
            let _ = self.buffer.flush_async(&mut self.udp).await;
        }
        let meters: [&dyn Report; 4] = [&RSSI, &RECONNECTS, &FREE_HEAP, &UPTIME];
        aggregate::report_all(&meters, &mut self.buffer);
        let _ = self.buffer.flush_async(&mut self.udp).await;
        true
    }

    /// Delivery figures since boot.
    pub fn summary(&self) -> Summary {
        let s = self.buffer.stats();
        Summary {
            lines: s.lines_sent,
            datagrams: s.datagrams_sent,
            dropped: s.dropped.total(),
            send_errors: s.send_errors,
        }
    }
}
