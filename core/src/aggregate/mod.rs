//! Exact client-side aggregation: meters whose updates change a few atomic words in place,
//! and a report step that writes one line per updated meter per interval.
//!
//! spectatord publishes, per step, the sum of a counter's increments, the last value of a
//! gauge, age gauge or monotonic counter, and the maximum of a max gauge. A client that sends
//! those per interval instead of one line per update publishes the same figures with a few
//! lines, so an update costs an atomic operation and nothing is lost in a full socket.
//!
//! | meter | update | reported per interval |
//! |---|---|---|
//! | [`Counter`] `c` | [`SumCell`] | the sum of the increments; nothing when 0 |
//! | [`Gauge`] `g` | [`LastCell`] | the last value, with the gauge's TTL |
//! | [`MaxGauge`] `m` | [`MaxCell`] | the maximum |
//! | [`AgeGauge`] `A` | [`LastCell`] | the last value (`now()` stays `0`) |
//! | [`MonotonicCounter`] `C` | [`LastCell`] | the last value |
//! | [`MonotonicCounterUint`] `U` | [`UintCell`] | the last value |
//!
//! Timers, distribution summaries and sketches (`t`, `T`, `d`, `D`, `S`) are not aggregated:
//! spectatord computes count, total, total of squares, maximum and percentile buckets from
//! every value, and the protocol has no line that carries a pre-aggregated batch of them.
//! A meter not updated in an interval sends nothing.
//!
//! The report interval must be shorter than spectatord's step (5 s by default), so that each
//! step's total lands in that step or, at its edge, the next.
//!
//! Aggregated meters are the [`meters`] over an [`Aggregated`] binding: the
//! update methods take `&self` and no sink, so a meter can be a `static` updated from an
//! interrupt handler and several threads, while the main loop reports:
//!
//! ```
//! use spectator_core::aggregate::{self, Report};
//! use spectator_core::{static_meter, LineBuffer, MemoryTransport, StaticPrefix};
//!
//! static TICKS: aggregate::Counter<StaticPrefix> = static_meter!(aggregated Counter, "ticks");
//! static DEPTH: aggregate::MaxGauge<StaticPrefix> = static_meter!(aggregated MaxGauge, "queue.depth");
//!
//! // In an interrupt handler, or any thread: no sink, no lock.
//! for depth in [3, 9, 4] {
//!     TICKS.increment();
//!     DEPTH.set(depth);
//! }
//!
//! // In the main loop, every interval:
//! let mut udp: MemoryTransport<256, 4> = MemoryTransport::new();
//! let mut buffer: LineBuffer<1472> = LineBuffer::new();
//! let mut sink = buffer.via(&mut udp);
//! let meters: [&dyn Report; 2] = [&TICKS, &DEPTH];
//! let lines = aggregate::report_all(&meters, &mut sink);
//! sink.flush().unwrap();
//! assert_eq!(lines, 2);
//! assert_eq!(udp.datagram(0), Some(&b"c:ticks:3\nm:queue.depth:9"[..]));
//! ```
//!
//! Where the target has no 64-bit atomics (thumbv6m, thumbv7m, thumbv7em, riscv32imc), the
//! cells' 64-bit words are updated in critical sections, which mask interrupts: this needs the
//! `critical-section` feature and a critical-section implementation (e.g. `cortex-m`'s
//! `critical-section-single-core`, or the HAL's). (Not `portable-atomic`'s 64-bit fallback:
//! on thumbv7m and thumbv7em it is made of spin locks that an interrupt handler could wait on
//! forever.)

mod boxed;
mod cells;
#[cfg(any(test, not(target_has_atomic = "64")))]
mod cs;

pub use cells::{Cell, LastCell, MaxCell, SumCell, UintCell};

use crate::meter_kind::MeterKind;
use crate::meters::{self, Binding, Bound};
use crate::prefix::LinePrefix;
use crate::sink::Sink;
use crate::value::Value;

/// The binding of an aggregated meter: its line prefix and its cell.
#[derive(Debug, Default)]
pub struct Aggregated<P, C> {
    prefix: P,
    cell: C,
}

impl<P, C> Aggregated<P, C> {
    /// Binds `prefix` to a fresh `cell`.
    pub const fn new(prefix: P, cell: C) -> Self {
        Self { prefix, cell }
    }

    /// The meter's line prefix.
    pub fn prefix(&self) -> &P {
        &self.prefix
    }

    /// The meter's cell.
    pub fn cell(&self) -> &C {
        &self.cell
    }
}

impl<P, C: Cell> Binding for Aggregated<P, C> {
    #[inline]
    fn update(&self, _kind: MeterKind, value: Value<'_>) {
        self.cell.update(&value);
    }
}

/// What the report step calls on each aggregated meter.
pub trait Report {
    /// Writes the meter's line for the interval into `sink` and resets it; false when the
    /// meter had nothing to report.
    fn report(&self, sink: &mut dyn Sink) -> bool;
}

impl<P: LinePrefix, C: Cell> Report for Aggregated<P, C> {
    fn report(&self, sink: &mut dyn Sink) -> bool {
        match self.cell.take() {
            Some(value) => {
                sink.record(self.prefix.line_prefix(), &value);
                true
            }
            None => false,
        }
    }
}

/// Reports every meter of `meters` into `sink`; returns how many lines were written.
pub fn report_all(meters: &[&dyn Report], sink: &mut dyn Sink) -> usize {
    meters.iter().filter(|m| m.report(sink)).count()
}

/// The cell each meter type aggregates into (what [`static_meter!`](crate::static_meter)'s
/// `aggregated` form builds).
pub trait Aggregatable {
    /// The cell type.
    type Cell: Cell;
    /// A fresh cell.
    #[allow(clippy::declare_interior_mutable_const)]
    const CELL: Self::Cell;
}

macro_rules! aggregated {
    ($($(#[$doc:meta])* $name:ident => $cell:ident;)*) => {$(
        $(#[$doc])*
        pub type $name<P> = meters::$name<Bound<Aggregated<P, $cell>>>;

        impl<P> Aggregatable for meters::$name<P> {
            type Cell = $cell;
            #[allow(clippy::declare_interior_mutable_const)]
            const CELL: $cell = $cell::new();
        }

        impl<P: LinePrefix> Report for meters::$name<Bound<Aggregated<P, $cell>>> {
            fn report(&self, sink: &mut dyn Sink) -> bool {
                self.binding().report(sink)
            }
        }
    )*};
}

aggregated! {
    /// An aggregated `c` counter: one line per interval with the sum of the increments.
    Counter => SumCell;
    /// An aggregated `g` gauge: the last value per interval.
    Gauge => LastCell;
    /// An aggregated `m` max gauge: the maximum per interval.
    MaxGauge => MaxCell;
    /// An aggregated `A` age gauge: the last value per interval.
    AgeGauge => LastCell;
    /// An aggregated `C` monotonic counter: the last value per interval.
    MonotonicCounter => LastCell;
    /// An aggregated `U` monotonic counter: the last value per interval.
    MonotonicCounterUint => UintCell;
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::vec::Vec;

    use super::*;
    use crate::{static_meter, StaticPrefix};

    /// Collects reported lines.
    #[derive(Default)]
    struct Lines(Vec<std::string::String>);
    impl Sink for Lines {
        fn record(&mut self, prefix: &str, value: &Value<'_>) {
            let mut s: heapless::String<96> = heapless::String::new();
            s.push_str(prefix).unwrap();
            value.write_to(&mut s).unwrap();
            self.0.push(s.as_str().into());
        }
    }

    static C: Counter<StaticPrefix> = static_meter!(aggregated Counter, "c", "kk" => "v");
    static G: Gauge<StaticPrefix> = static_meter!(aggregated Gauge, ttl = 60, "g");
    static M: MaxGauge<StaticPrefix> = static_meter!(aggregated MaxGauge, "m");
    static A: AgeGauge<StaticPrefix> = static_meter!(aggregated AgeGauge, "a");
    static MC: MonotonicCounter<StaticPrefix> = static_meter!(aggregated MonotonicCounter, "mc");
    static U: MonotonicCounterUint<StaticPrefix> =
        static_meter!(aggregated MonotonicCounterUint, "u");

    #[test]
    fn each_kind_reports_its_interval_figure_once() {
        let all: [&dyn Report; 6] = [&C, &G, &M, &A, &MC, &U];
        C.increment();
        C.increment_by(0); // filtered
        C.increment_by(41);
        G.set(1);
        G.set(-2);
        M.set(5);
        M.set(3);
        A.now();
        MC.set(10);
        MC.set(12);
        U.set(u64::MAX);
        let mut lines = Lines::default();
        assert_eq!(report_all(&all, &mut lines), 6);
        assert_eq!(
            lines.0,
            [
                "c:c,kk=v:42",
                "g,60:g:-2",
                "m:m:5",
                "A:a:0",
                "C:mc:12",
                "U:u:18446744073709551615"
            ]
        );
        // Nothing updated since: nothing reported.
        assert_eq!(report_all(&all, &mut Lines::default()), 0);
    }

    /// Threads increment while a reporter takes in a tight loop: the reported sums add up to
    /// exactly the increments made, and the max of the max gauge is the largest value set.
    #[test]
    fn reports_racing_with_updates_lose_and_double_nothing() {
        static RACED: Counter<StaticPrefix> = static_meter!(aggregated Counter, "raced");
        static PEAK: MaxGauge<StaticPrefix> = static_meter!(aggregated MaxGauge, "peak");
        const THREADS: u64 = 4;
        const PER_THREAD: u64 = 200_000;
        let done = AtomicBool::new(false);
        let (total, peak) = std::thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    s.spawn(move || {
                        for i in 0..PER_THREAD {
                            RACED.increment_by(t + 1);
                            PEAK.set(i64::try_from(i * THREADS + t).unwrap());
                        }
                    })
                })
                .collect();
            let reporter = s.spawn(|| {
                let (mut total, mut peak) = (0u64, i64::MIN);
                let mut take = || {
                    let mut lines = Lines::default();
                    RACED.report(&mut lines);
                    PEAK.report(&mut lines);
                    for line in &lines.0 {
                        let (prefix, v) = line.rsplit_once(':').unwrap();
                        match prefix {
                            "c:raced" => total += v.parse::<u64>().unwrap(),
                            _ => peak = peak.max(v.parse().unwrap()),
                        }
                    }
                };
                while !done.load(Ordering::Acquire) {
                    take();
                }
                take();
                (total, peak)
            });
            for w in workers {
                w.join().unwrap();
            }
            done.store(true, Ordering::Release);
            reporter.join().unwrap()
        });
        assert_eq!(total, PER_THREAD * (1 + 2 + 3 + 4));
        assert_eq!(peak, i64::try_from(PER_THREAD * THREADS - 1).unwrap());
    }
}
