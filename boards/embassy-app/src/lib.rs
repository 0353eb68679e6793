//! The workload of the embassy boards, independent of board and network stack: a sensor
//! appliance reporting readings to spectatord through [`spectator_core`].
//!
//! Every meter type a firmware typically needs appears: a counter with tags, a gauge with a
//! TTL, a timer, a distribution summary, a max gauge, a monotonic counter and an age gauge.
//! Values are deterministic functions of the tick number, so a test can compare the received
//! lines with [`EXPECTED`] exactly.
//!
//! Lines are staged in a [`LineBuffer`] over the [`Deferred`] placeholder and sent by the
//! calling task through an [`AsyncTransport`]: on size with
//! [`record_async`](LineBuffer::record_async), and every [`FLUSH_EVERY`] ticks with
//! [`flush_async`](LineBuffer::flush_async), the async counterpart of
//! [`LineBuffer::poll`].

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use core::num::NonZeroU32;
use core::ops::AsyncFnMut;

use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::{AsyncTransport, Deferred, IdError, LineBuffer, Measurement, MeterId, Stats};

/// The largest datagram: one Ethernet frame of UDP over IPv4 (1500 - 20 - 8).
pub const MAX_DATAGRAM: usize = 1472;

/// Ticks between time-based flushes.
pub const FLUSH_EVERY: u32 = 10;

/// Ticks in one run of [`run`] by default.
pub const TICKS: u32 = 20;

/// The lines a run of [`TICKS`] ticks sends, in order, one per line.
pub const EXPECTED: &str = include_str!("../expected.txt");

type Id = MeterId<64, 2>;

/// The appliance's meters.
struct Meters {
    events_ok: Counter<Id>,
    events_err: Counter<Id>,
    temperature: Gauge<Id>,
    read_time: Timer<Id>,
    payload: DistributionSummary<Id>,
    peak: MaxGauge<Id>,
    uptime: MonotonicCounter<Id>,
    last_ok: AgeGauge<Id>,
}

impl Meters {
    fn new() -> Result<Self, IdError> {
        let ttl = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            events_ok: Counter::new(Id::new(
                "sensor.events",
                &[("kind", "reading"), ("status", "ok")],
            )?),
            events_err: Counter::new(Id::new(
                "sensor.events",
                &[("kind", "reading"), ("status", "crc error")],
            )?),
            temperature: Gauge::with_ttl(Id::new("sensor.temperature", &[("unit", "°C")])?, ttl),
            read_time: Timer::new(Id::new("sensor.readTime", &[])?),
            payload: DistributionSummary::new(Id::new("sensor.payloadSize", &[])?),
            peak: MaxGauge::new(Id::new("sensor.queuePeak", &[])?),
            uptime: MonotonicCounter::new(Id::new("sensor.uptimeTicks", &[])?),
            last_ok: AgeGauge::new(Id::new("sensor.lastSuccess", &[])?),
        })
    }

    /// The measurements of one tick, as in the `sensor` example of spectator-core (`None`
    /// where a meter's filter drops the value or the tick has no such reading).
    fn tick(&self, tick: u32) -> [Option<Measurement<'_>>; 7] {
        let (events, last_ok) = if tick.is_multiple_of(17) {
            (self.events_err.measure(1.into()), None)
        } else {
            (
                self.events_ok.measure(1.into()),
                self.last_ok.measure(0.into()),
            )
        };
        [
            events,
            last_ok,
            Some(
                self.temperature
                    .measure((21.5 + f64::from(tick % 7) * 0.25).into()),
            ),
            self.read_time
                .measure((0.000_250 + f64::from(tick % 5) * 0.000_01).into()),
            self.payload.measure((48 + tick % 16).into()),
            self.peak.measure((tick % 23).into()),
            self.uptime.measure(tick.into()),
        ]
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
    let mut sink: LineBuffer<Deferred, MAX_DATAGRAM> =
        LineBuffer::new(Deferred::for_transport(transport));
    for tick in 0..ticks {
        for m in meters.tick(tick).iter().flatten() {
            let _ = sink.record_async(m, transport).await;
        }
        if (tick + 1).is_multiple_of(FLUSH_EVERY) {
            let _ = sink.flush_async(transport).await;
        }
        pause(tick).await;
    }
    let _ = sink.flush_async(transport).await;
    Ok(*sink.stats())
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
