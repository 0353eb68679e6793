//! The appliance's metrics (feature `metrics`): each event and sample becomes spectatord lines
//! in a `LineBuffer<UdpTransport, 1472>`, flushed on size and by `poll` on the clock's tick.

use core::mem::MaybeUninit;
use core::num::NonZeroU32;
use core::ptr::addr_of_mut;
use core::time::Duration;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::wire::IpEndpoint;
use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::{IdError, LineBuffer, MeterId};

use crate::transport::{UdpError, UdpTransport, MAX_DATAGRAM};
use crate::workload::{Event, Kind, Sample, Status};

/// Ids of at most 48 bytes and 2 tags: about 120 bytes each, kept in RAM.
type Id = MeterId<48, 2>;

/// Time between time-based flushes.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

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

/// The meters and the buffer they write to.
pub struct Reporter {
    sink: Sink,
    sensor_ok: Counter<Id>,
    sensor_crc_error: Counter<Id>,
    command_ok: Counter<Id>,
    handle_time: Timer<Id>,
    last_success: AgeGauge<Id>,
    payload_size: DistributionSummary<Id>,
    queue_depth: MaxGauge<Id>,
    temperature: Gauge<Id>,
    bytes_in: MonotonicCounter<Id>,
}

impl Reporter {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = true;
    /// The `LineBuffer`'s share of the reporter's memory (the rest is the meter ids).
    pub const LINE_BUFFER_BYTES: usize = core::mem::size_of::<Sink>();

    /// Builds the reporter in `slot`, reporting through the UDP socket `udp` of `sockets` to
    /// `remote`. Field by field, in place: building it by value would need a 2.7 KB
    /// temporary on the stack.
    pub fn init(
        slot: &'static mut MaybeUninit<Self>,
        sockets: &'static mut SocketSet<'static>,
        udp: SocketHandle,
        remote: IpEndpoint,
    ) -> Result<&'static mut Self, IdError> {
        let events =
            |kind, status| Id::new("appliance.events", &[("kind", kind), ("status", status)]);
        let ttl = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        let r = slot.as_mut_ptr();
        // SAFETY: every field is written before the slot is taken as initialized; on an error
        // it stays uninitialized (no field needs dropping).
        unsafe {
            let sink = LineBuffer::new(UdpTransport::new(sockets, udp, remote));
            addr_of_mut!((*r).sink).write(sink.with_flush_interval(FLUSH_INTERVAL));
            addr_of_mut!((*r).sensor_ok).write(Counter::new(events("sensor", "ok")?));
            // "crc error" is sanitized to "crc_error".
            addr_of_mut!((*r).sensor_crc_error).write(Counter::new(events("sensor", "crc error")?));
            addr_of_mut!((*r).command_ok).write(Counter::new(events("command", "ok")?));
            addr_of_mut!((*r).handle_time).write(Timer::new(Id::new("appliance.handleTime", &[])?));
            addr_of_mut!((*r).last_success)
                .write(AgeGauge::new(Id::new("appliance.lastSuccess", &[])?));
            addr_of_mut!((*r).payload_size).write(DistributionSummary::new(Id::new(
                "appliance.payloadSize",
                &[],
            )?));
            addr_of_mut!((*r).queue_depth)
                .write(MaxGauge::new(Id::new("appliance.queueDepth", &[])?));
            let temperature = Id::new("appliance.temperature", &[("unit", "celsius")])?;
            addr_of_mut!((*r).temperature).write(Gauge::with_ttl(temperature, ttl));
            addr_of_mut!((*r).bytes_in)
                .write(MonotonicCounter::new(Id::new("appliance.bytesIn", &[])?));
            Ok(slot.assume_init_mut())
        }
    }

    /// Reports a handled event.
    pub fn event(&mut self, e: &Event) {
        let sink = &mut self.sink;
        match (e.kind, e.status) {
            (Kind::Sensor, Status::Ok) => self.sensor_ok.increment(sink),
            (Kind::Sensor, Status::CrcError) => self.sensor_crc_error.increment(sink),
            (Kind::Command, _) => self.command_ok.increment(sink),
        }
        if e.status == Status::Ok {
            self.handle_time.record_duration(sink, e.handle_time);
            self.last_success.now(sink);
        }
        self.payload_size.record(sink, e.payload_bytes);
        self.queue_depth.set(sink, e.queue_depth);
    }

    /// Reports a sample.
    pub fn sample(&mut self, s: &Sample) {
        self.temperature.set(&mut self.sink, s.temperature);
        self.bytes_in.set(&mut self.sink, s.bytes_in);
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
