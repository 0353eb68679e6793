//! The appliance's metrics (feature `metrics`): the only file that uses spectator-core. The
//! loop records into a `LineBuffer<Deferred, 1472>` synchronously, and [`Reporter::report`]
//! sends the buffered lines as one datagram through an embassy-net UDP socket.
//!
//! The meters are `const` items over ids checked at compile time (`static_id!`): their text is
//! in flash, they take no RAM. Values are integers and `Duration`s, so spectator-core's `float`
//! feature is off: no software floating point on this FPU-less core.
//!
//! Lines per report: up to [`REPORT_EVERY`](crate::REPORT_EVERY) loop-time lines (about 30
//! bytes each) and four more, well under one datagram: nothing is dropped for lack of room.

use core::net::SocketAddrV4;
use core::num::NonZeroU32;
use core::time::Duration;

use embassy_net::udp::{BindError, UdpSocket};
use spectator_core::meters::{Counter, Gauge, MonotonicCounter, Timer};
use spectator_core::transport::{Deferred, EmbassyUdpTransport};
use spectator_core::{static_id, LineBuffer, StaticId};

use crate::Sample;

/// The largest datagram: one 1500-byte frame of UDP over IPv4 (1500 - 20 - 8).
pub const MAX_DATAGRAM: usize = 1472;

/// Gauges expire in spectatord a minute after the board stops reporting (15 minutes without).
const TTL: NonZeroU32 = NonZeroU32::new(60).expect("60 is not 0"); // evaluated at compile time

const LOOP_TIME: Timer<StaticId> = Timer::new(static_id!("appliance.loopTime"));
const RSSI: Gauge<StaticId> =
    Gauge::with_ttl(static_id!("appliance.wifi.rssi", "unit" => "dBm"), TTL);
const RECONNECTS: Counter<StaticId> = Counter::new(static_id!("appliance.wifi.reconnects"));
const FREE_HEAP: Gauge<StaticId> =
    Gauge::with_ttl(static_id!("appliance.heap.free", "unit" => "bytes"), TTL);
const UPTIME: MonotonicCounter<StaticId> =
    MonotonicCounter::new(static_id!("appliance.uptime", "unit" => "seconds"));

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

/// The meters' buffer and the socket it is sent through.
pub struct Reporter<'a> {
    udp: EmbassyUdpTransport<'a>,
    sink: LineBuffer<Deferred, MAX_DATAGRAM>,
    /// The re-joins already counted.
    reconnects: u32,
}

impl<'a> Reporter<'a> {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = true;

    /// Reports to `spectatord` through `socket`, bound here to an ephemeral port.
    pub fn new(socket: UdpSocket<'a>, spectatord: SocketAddrV4) -> Result<Self, BindError> {
        let udp = EmbassyUdpTransport::new(socket, (*spectatord.ip(), spectatord.port()))?;
        let sink = LineBuffer::new(Deferred::for_transport(&udp));
        Ok(Self {
            udp,
            sink,
            reconnects: 0,
        })
    }

    /// Records how long one tick's work took.
    pub fn loop_time(&mut self, work: Duration) {
        LOOP_TIME.record_duration(&mut self.sink, work);
    }

    /// Records `s` and sends everything buffered as one datagram. A failed send is counted
    /// (see [`summary`](Self::summary)) and the appliance goes on.
    pub async fn report(&mut self, s: &Sample) {
        if let Some(dbm) = s.rssi_dbm {
            RSSI.set(&mut self.sink, dbm);
        }
        // A counter takes increments, and writes nothing for 0.
        RECONNECTS.increment_by(&mut self.sink, s.reconnects.wrapping_sub(self.reconnects));
        self.reconnects = s.reconnects;
        FREE_HEAP.set(&mut self.sink, s.free_heap);
        UPTIME.set(&mut self.sink, s.uptime.as_secs());
        let _ = self.sink.flush_async(&mut self.udp).await;
    }

    /// Delivery figures since boot.
    pub fn summary(&self) -> Summary {
        let s = self.sink.stats();
        Summary {
            lines: s.lines_sent,
            datagrams: s.datagrams_sent,
            dropped: s.dropped.total(),
            send_errors: s.send_errors,
        }
    }
}
