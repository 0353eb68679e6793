//! The appliance's metrics (feature `metrics`): each event and sample becomes spectatord lines
//! in a `LineBuffer<UdpTransport, 1472>`, flushed on size and by `poll` on the clock's tick.
//!
//! The meters are `const` items over ids checked at compile time (`static_id!`): their text is
//! in flash, and they take no RAM and no start-up code. Values are integers, exact decimals
//! (the temperature in centi-degrees) and `Duration`s, so spectator-core's `float` feature is
//! off: no software floating point in the firmware.

use core::convert::Infallible;
use core::mem::MaybeUninit;
use core::num::NonZeroU32;
use core::time::Duration;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::wire::IpEndpoint;
use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::{static_id, LineBuffer, StaticId, Value};

use crate::transport::{UdpError, UdpTransport, MAX_DATAGRAM};
use crate::workload::{Event, Kind, Sample, Status};

/// Time between time-based flushes.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

const SENSOR_OK: Counter<StaticId> =
    Counter::new(static_id!("appliance.events", "kind" => "sensor", "status" => "ok"));
const SENSOR_CRC_ERROR: Counter<StaticId> =
    Counter::new(static_id!("appliance.events", "kind" => "sensor", "status" => "crc_error"));
const COMMAND_OK: Counter<StaticId> =
    Counter::new(static_id!("appliance.events", "kind" => "command", "status" => "ok"));
const HANDLE_TIME: Timer<StaticId> = Timer::new(static_id!("appliance.handleTime"));
const LAST_SUCCESS: AgeGauge<StaticId> = AgeGauge::new(static_id!("appliance.lastSuccess"));
const PAYLOAD_SIZE: DistributionSummary<StaticId> =
    DistributionSummary::new(static_id!("appliance.payloadSize"));
const QUEUE_DEPTH: MaxGauge<StaticId> = MaxGauge::new(static_id!("appliance.queueDepth"));
const TEMPERATURE: Gauge<StaticId> = Gauge::with_ttl(
    static_id!("appliance.temperature", "unit" => "celsius"),
    NonZeroU32::new(60).expect("60 is not 0"), // evaluated at compile time
);
const BYTES_IN: MonotonicCounter<StaticId> = MonotonicCounter::new(static_id!("appliance.bytesIn"));

/// What was delivered, for the final report.
#[derive(Debug, Clone, Copy, defmt::Format)]
pub struct Summary {
    /// Lines in datagrams the socket accepted.
    pub lines: u32,
    /// Datagrams the socket accepted.
    pub datagrams: u32,
    /// Lines dropped, any reason.
    pub dropped: u32,
}

type Sink = LineBuffer<UdpTransport<'static, 'static>, MAX_DATAGRAM>;

/// The buffer the meters write to: the reporter's only memory.
pub struct Reporter {
    sink: Sink,
}

impl Reporter {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = true;
    /// The `LineBuffer`'s share of the reporter's memory (all of it: the meters are consts).
    pub const LINE_BUFFER_BYTES: usize = core::mem::size_of::<Sink>();

    /// Builds the reporter in `slot`, reporting through the UDP socket `udp` of `sockets` to
    /// `remote`. In place, so that no 1.6 KB temporary lands on the stack.
    pub fn init(
        slot: &'static mut MaybeUninit<Self>,
        sockets: &'static mut SocketSet<'static>,
        udp: SocketHandle,
        remote: IpEndpoint,
    ) -> Result<&'static mut Self, Infallible> {
        let sink = LineBuffer::new(UdpTransport::new(sockets, udp, remote));
        Ok(slot.write(Self {
            sink: sink.with_flush_interval(FLUSH_INTERVAL),
        }))
    }

    /// Reports a handled event.
    pub fn event(&mut self, e: &Event) {
        let sink = &mut self.sink;
        match (e.kind, e.status) {
            (Kind::Sensor, Status::Ok) => SENSOR_OK.increment(sink),
            (Kind::Sensor, Status::CrcError) => SENSOR_CRC_ERROR.increment(sink),
            (Kind::Command, _) => COMMAND_OK.increment(sink),
        }
        if e.status == Status::Ok {
            HANDLE_TIME.record_duration(sink, e.handle_time);
            LAST_SUCCESS.now(sink);
        }
        PAYLOAD_SIZE.record(sink, e.payload_bytes);
        QUEUE_DEPTH.set(sink, e.queue_depth);
    }

    /// Reports a sample.
    pub fn sample(&mut self, s: &Sample) {
        let centi_celsius = Value::decimal(i64::from(s.centi_celsius), 2);
        TEMPERATURE.set(&mut self.sink, centi_celsius);
        BYTES_IN.set(&mut self.sink, s.bytes_in);
    }

    /// Time-based flushing, on every clock tick. `WouldBlock` keeps the datagram for the
    /// next tick.
    pub fn poll(&mut self, now: Duration) -> nb::Result<(), UdpError> {
        self.sink.poll(now)
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) -> nb::Result<(), UdpError> {
        self.sink.flush()
    }

    /// The socket set, for `Interface::poll`.
    pub fn sockets(&mut self) -> &mut SocketSet<'static> {
        self.sink.transport_mut().sockets()
    }

    /// Bytes still queued in the UDP socket.
    pub fn queued(&mut self) -> usize {
        self.sink.transport_mut().socket().send_queue()
    }

    /// Delivery figures.
    pub fn summary(&self) -> Summary {
        let s = self.sink.stats();
        Summary {
            lines: s.lines_sent as u32,
            datagrams: s.datagrams_sent as u32,
            dropped: s.dropped.total() as u32,
        }
    }
}
