//! The appliance's metrics (feature `metrics`): each event and sample becomes spectatord lines
//! in a `LineBuffer<1472>`, sent on size and by `poll` on the clock's tick.
//!
//! The meters are `const` items made by `static_meter!`: each id is checked and each line
//! prefix (`c:appliance.events,kind=sensor,status=ok:`) rendered while compiling, so the text is
//! in flash, the meters take no RAM and no start-up code, and an update copies its prefix and
//! writes the value. Values are integers, exact decimals (the temperature in centi-degrees) and
//! `Duration`s, so spectator-core's `float` feature is off: no software floating point in the
//! firmware.
//!
//! The buffer owns no transport: the socket set stays with `main`, and each call lends it for
//! the call's sends (`buffer.via(UdpTransport::new(sockets, udp, SPECTATORD))`).
//!
//! The motor's meters are aggregated `static`s (`static_meter!(aggregated …)`): the SysTick
//! handler updates them ([`Reporter::motor`]: `&self`, no sink, no lock; the 64-bit cells go
//! through `portable-atomic`'s critical-section fallback, as the Cortex-M3 has no 64-bit
//! atomics), and the main loop reports each as one line per cycle into the same buffer: the
//! number of samples, their maximum and the last one. Their cells take RAM (24 B after LTO);
//! the other meters take none.

use core::mem::MaybeUninit;
use core::time::Duration;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use spectator_core::aggregate::{self, Report};
use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::{static_meter, LineBuffer, Sink, StaticPrefix, Value};

use crate::transport::{UdpError, UdpTransport, MAX_DATAGRAM};
use crate::workload::{Kind, MotorSample, Status, Tick};
use crate::SPECTATORD;

/// Time between time-based flushes.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

const SENSOR_OK: Counter<StaticPrefix> =
    static_meter!(Counter, "appliance.events", "kind" => "sensor", "status" => "ok");
const SENSOR_CRC_ERROR: Counter<StaticPrefix> =
    static_meter!(Counter, "appliance.events", "kind" => "sensor", "status" => "crc_error");
const COMMAND_OK: Counter<StaticPrefix> =
    static_meter!(Counter, "appliance.events", "kind" => "command", "status" => "ok");
const HANDLE_TIME: Timer<StaticPrefix> = static_meter!(Timer, "appliance.handleTime");
const LAST_SUCCESS: AgeGauge<StaticPrefix> = static_meter!(AgeGauge, "appliance.lastSuccess");
const PAYLOAD_SIZE: DistributionSummary<StaticPrefix> =
    static_meter!(DistributionSummary, "appliance.payloadSize");
const QUEUE_DEPTH: MaxGauge<StaticPrefix> = static_meter!(MaxGauge, "appliance.queueDepth");
const TEMPERATURE: Gauge<StaticPrefix> =
    static_meter!(Gauge, ttl = 60, "appliance.temperature", "unit" => "celsius");
const BYTES_IN: MonotonicCounter<StaticPrefix> =
    static_meter!(MonotonicCounter, "appliance.bytesIn");

// Updated by the SysTick handler, reported by the main loop.
static MOTOR_SAMPLES: aggregate::Counter<StaticPrefix> =
    static_meter!(aggregated Counter, "appliance.motor.samples");
static MOTOR_PEAK: aggregate::MaxGauge<StaticPrefix> =
    static_meter!(aggregated MaxGauge, "appliance.motor.peakCurrent", "unit" => "mA");
static MOTOR_CURRENT: aggregate::Gauge<StaticPrefix> =
    static_meter!(aggregated Gauge, "appliance.motor.current", "unit" => "mA");

/// Writes the motor's line of each meter updated since the last report, and resets them. Not
/// inlined: one copy for its two callers. (`aggregate::report_all(&[&A, &B], sink)` does the
/// same through `dyn Report`; direct calls take about 200 B less flash here.)
#[inline(never)]
fn report_motor(sink: &mut dyn Sink) {
    MOTOR_SAMPLES.report(sink);
    MOTOR_PEAK.report(sink);
    MOTOR_CURRENT.report(sink);
}

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

/// The buffer the meters write to, and the UDP socket it sends through.
pub struct Reporter {
    buffer: LineBuffer<MAX_DATAGRAM>,
    udp: SocketHandle,
}

impl Reporter {
    /// Whether this build reports metrics.
    pub const ENABLED: bool = true;
    /// The `LineBuffer`'s share of the reporter's memory (the rest, the socket's handle, is in
    /// the build without metrics too; the meters are consts).
    pub const LINE_BUFFER_BYTES: usize = core::mem::size_of::<LineBuffer<MAX_DATAGRAM>>();

    /// Builds the reporter in `slot`, reporting through the UDP socket `udp` to spectatord. In
    /// place, and not inlined: any temporary lives in a frame of its own, gone once it returns.
    #[inline(never)]
    pub fn init(slot: &'static mut MaybeUninit<Self>, udp: SocketHandle) -> &'static mut Self {
        slot.write(Self {
            buffer: LineBuffer::new().with_flush_interval(FLUSH_INTERVAL),
            udp,
        })
    }

    /// The socket, lent for one call's sends.
    fn udp<'s>(&self, sockets: &'s mut SocketSet<'static>) -> UdpTransport<'s, 'static> {
        UdpTransport::new(sockets, self.udp, SPECTATORD)
    }

    /// Records one motor sample: called from the SysTick interrupt handler.
    pub fn motor(sample: &MotorSample) {
        MOTOR_SAMPLES.increment();
        MOTOR_PEAK.set(sample.milliamps);
        MOTOR_CURRENT.set(sample.milliamps);
    }

    /// Reports one tick's event and sample (and, on a cycle's last tick, the motor's meters),
    /// sending full datagrams through `sockets`, then flushes if the flush interval has passed
    /// at `now`. `WouldBlock` keeps the datagram for the next tick.
    pub fn tick(
        &mut self,
        tick: &Tick,
        now: Duration,
        sockets: &mut SocketSet<'static>,
    ) -> nb::Result<(), UdpError> {
        let udp = self.udp(sockets);
        let sink = &mut self.buffer.via(udp);
        let e = &tick.event;
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
        if let Some(s) = &tick.sample {
            let centi_celsius = Value::decimal(i64::from(s.centi_celsius), 2);
            TEMPERATURE.set(sink, centi_celsius);
            BYTES_IN.set(sink, s.bytes_in);
        }
        if tick.report {
            report_motor(sink);
        }
        sink.poll(now)
    }

    /// Reports the motor's meters updated since the last report, then sends what is buffered.
    pub fn flush(&mut self, sockets: &mut SocketSet<'static>) -> nb::Result<(), UdpError> {
        let udp = self.udp(sockets);
        let sink = &mut self.buffer.via(udp);
        report_motor(sink);
        sink.flush()
    }

    /// Bytes still queued in the UDP socket.
    pub fn queued(&self, sockets: &SocketSet<'static>) -> usize {
        sockets.get::<udp::Socket>(self.udp).send_queue()
    }

    /// Delivery figures.
    pub fn summary(&self) -> Summary {
        let s = self.buffer.stats();
        Summary {
            lines: s.lines_sent as u32,
            datagrams: s.datagrams_sent as u32,
            dropped: s.dropped.total() as u32,
        }
    }
}
