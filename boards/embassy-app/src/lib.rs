//! The workload of the embassy boards, independent of board and network stack: a sensor
//! appliance reporting readings to spectatord through [`spectator_core`].
//!
//! Every meter type a firmware typically needs appears: a counter with tags, a gauge with a
//! TTL, a timer, a distribution summary, a max gauge, a monotonic counter and an age gauge.
//! Values are deterministic functions of the tick number, so a test can compare the received
//! lines with [`EXPECTED`] exactly.
//!
//! Meters record synchronously into a [`LineBuffer`] used alone (it holds the lines; it owns
//! no transport), and the calling task sends them through an [`AsyncTransport`] with
//! [`flush_async`](LineBuffer::flush_async): on size, before a tick whose lines would not fit
//! the pending datagram's [`room`](LineBuffer::room), and on time, every [`FLUSH_EVERY`] ticks
//! and at the end.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use core::num::NonZeroU32;
use core::ops::AsyncFnMut;

use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::{AsyncTransport, IdError, LineBuffer, MeterId, Prefix, Sink, Stats, Value};

/// The largest datagram: one Ethernet frame of UDP over IPv4 (1500 - 20 - 8).
pub const MAX_DATAGRAM: usize = 1472;

/// Ticks between time-based flushes.
pub const FLUSH_EVERY: u32 = 10;

/// Ticks in one run of [`run`] by default.
pub const TICKS: u32 = 20;

/// The lines a run of [`TICKS`] ticks sends, in order, one per line.
pub const EXPECTED: &str = include_str!("../expected.txt");

/// Ids are built at run time (sanitized on the device: `crc error` becomes `crc_error`), and
/// each meter's line prefix is rendered once, into fixed memory.
type Id = MeterId<64, 2>;
type P = Prefix<64>;

/// The appliance's meters.
struct Meters {
    events_ok: Counter<P>,
    events_err: Counter<P>,
    temperature: Gauge<P>,
    read_time: Timer<P>,
    payload: DistributionSummary<P>,
    peak: MaxGauge<P>,
    uptime: MonotonicCounter<P>,
    last_ok: AgeGauge<P>,
}

impl Meters {
    fn new() -> Result<Self, IdError> {
        let ttl = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        let events = |status| Id::new("sensor.events", &[("kind", "reading"), ("status", status)]);
        Ok(Self {
            events_ok: Counter::for_id(&events("ok")?)?,
            events_err: Counter::for_id(&events("crc error")?)?,
            temperature: Gauge::for_id_with_ttl(
                &Id::new("sensor.temperature", &[("unit", "°C")])?,
                ttl,
            )?,
            read_time: Timer::for_id(&Id::new("sensor.readTime", &[])?)?,
            payload: DistributionSummary::for_id(&Id::new("sensor.payloadSize", &[])?)?,
            peak: MaxGauge::for_id(&Id::new("sensor.queuePeak", &[])?)?,
            uptime: MonotonicCounter::for_id(&Id::new("sensor.uptimeTicks", &[])?)?,
            last_ok: AgeGauge::for_id(&Id::new("sensor.lastSuccess", &[])?)?,
        })
    }

    /// The updates of one tick, as in the `sensor` example of spectator-core.
    fn tick(&self, tick: u32, sink: &mut impl Sink) {
        if tick.is_multiple_of(17) {
            self.events_err.increment(sink);
        } else {
            self.events_ok.increment(sink);
            self.last_ok.now(sink);
        }
        self.temperature
            .set(sink, 21.5 + f64::from(tick % 7) * 0.25);
        self.read_time
            .record(sink, 0.000_250 + f64::from(tick % 5) * 0.000_01);
        self.payload.record(sink, 48 + tick % 16);
        self.peak.set(sink, tick % 23);
        self.uptime.set(sink, tick);
    }

    /// The bytes the lines of one tick take in a datagram, `\n`s between them included.
    fn tick_bytes(&self, tick: u32) -> usize {
        let mut size = LineBytes(0);
        self.tick(tick, &mut size);
        size.0.saturating_sub(1)
    }
}

/// A sink that only counts: each line's bytes and a `\n`.
struct LineBytes(usize);

impl Sink for LineBytes {
    fn record(&mut self, prefix: &str, value: &Value<'_>) {
        self.0 += prefix.len() + value.rendered_len() + 1;
    }
}

/// Reports `ticks` ticks of readings through `transport`, calling `pause(tick)` after each
/// (a board sleeps there, e.g. `embassy_time::Timer::after_millis(10)`), and flushes the last
/// lines. Returns the buffer's counters: everything was delivered when
/// `stats.dropped.total() == 0 && stats.send_errors == 0`.
///
/// Send errors do not stop the run (they are counted, as spectator clients do).
pub async fn run<A: AsyncTransport>(
    transport: &mut A,
    ticks: u32,
    mut pause: impl AsyncFnMut(u32),
) -> Result<Stats, IdError> {
    let meters = Meters::new()?;
    let mut buffer: LineBuffer<MAX_DATAGRAM> =
        LineBuffer::new().with_max_datagram(transport.max_datagram());
    for tick in 0..ticks {
        // Flush on size: the pending datagram goes first when this tick's lines would not fit.
        if buffer.room() < meters.tick_bytes(tick) {
            let _ = buffer.flush_async(transport).await;
        }
        meters.tick(tick, &mut buffer);
        // Flush on time.
        if (tick + 1).is_multiple_of(FLUSH_EVERY) {
            let _ = buffer.flush_async(transport).await;
        }
        pause(tick).await;
    }
    let _ = buffer.flush_async(transport).await;
    Ok(*buffer.stats())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    use spectator_core::ErrorKind;
    use spectator_core::TransportError;

    use super::*;

    #[derive(Debug)]
    struct Never;
    impl TransportError for Never {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    struct Spy(Vec<String>);
    impl AsyncTransport for Spy {
        type Error = Never;
        async fn send(&mut self, datagram: &[u8]) -> Result<(), Never> {
            self.0.push(String::from_utf8(datagram.into()).unwrap());
            Ok(())
        }
        fn max_datagram(&self) -> usize {
            MAX_DATAGRAM
        }
    }

    #[test]
    fn the_run_sends_exactly_the_expected_lines_in_bounded_datagrams() {
        let mut spy = Spy(Vec::new());
        let mut pauses = 0;
        let stats = embassy_futures::block_on(run(&mut spy, TICKS, async |_| pauses += 1)).unwrap();
        assert_eq!(pauses, TICKS);
        let lines: Vec<&str> = spy.0.iter().flat_map(|d| d.split('\n')).collect();
        let expected: Vec<&str> = EXPECTED.lines().collect();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write("expected.txt", lines.join("\n") + "\n").unwrap();
        }
        assert_eq!(lines, expected);
        assert!(spy.0.iter().all(|d| d.len() <= MAX_DATAGRAM));
        assert!(
            spy.0.len() > (TICKS / FLUSH_EVERY) as usize,
            "some flushes on size"
        );
        assert_eq!((stats.dropped.total(), stats.send_errors), (0, 0));
        assert_eq!(stats.lines_sent, expected.len() as u64);
        assert_eq!(stats.datagrams_sent, spy.0.len() as u64);
    }
}
