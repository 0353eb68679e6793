//! [`Lanes`]: the buffered output's per-thread line buffers, for the lines of order-free kinds
//! ([`MeterKind::is_order_free`](spectator_core::MeterKind::is_order_free): counters, timers,
//! distribution summaries, max gauges, each per line).
//!
//! Through the shared line buffer alone, threads that write lines at once fight for its lock
//! and for the cache lines of the datagram being filled, on every line. Instead, each thread
//! that writes such a line gets a lane: its own small core [`LineBuffer`] of [`LANE_BYTES`],
//! under a spin lock that only the thread takes, but for the flusher. A full lane hands all its
//! lines to the shared buffer at once ([`Sender::append_buffer`](spectator_core::Sender::append_buffer):
//! one shared lock and a few copies per few hundred lines), and the flusher takes every lane's
//! lines at each flush and at close. The shared buffer still assembles every datagram, so
//! datagrams stay as large, and all counting stays in its one [`Stats`](spectator_core::Stats).
//! Lines of the other kinds (a gauge: the last line wins) keep their order through the shared
//! buffer.
//!
//! # Rules
//!
//! * A thread never waits for its lane: when the flusher holds it, or the thread is re-entered
//!   while writing (a logger that records metrics), or is ending, the line takes the shared
//!   path; its kind is order-free.
//! * Lock order: a lane, then the shared buffer; never the reverse.
//! * `closed` is read under the lane's lock, and close drains every lane after setting it: a
//!   line racing with close is either in close's last flush or discarded, as on the shared
//!   path.
//! * A lane whose thread has ended is drained once more and released at the next flush; a
//!   thread forgets the lanes of outputs that are gone when it takes a new lane.
//! * A lane costs [`LANE_BYTES`] of heap per thread that writes an order-free line, once.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use spectator_core::{LineBuffer, Sink, Value};
use spin::mutex::SpinMutex;

use super::{lock, spin_lock};

/// A lane's capacity: its lines go to the shared buffer in runs of up to this many bytes.
pub(crate) const LANE_BYTES: usize = 16 * 1024;

/// Lines with a longer prefix take the shared path, so that every laned line (a prefix and a
/// number) fits an empty lane and none is ever too long for it.
const LONGEST_PREFIX: usize = LANE_BYTES / 2;

/// More than the longest text of a number value (`-9223372036854775808`, 20 bytes; a float or
/// decimal in Python's `repr` layout, at most 24): a lane with less room hands its lines over
/// before a line is written, so the line always fits.
const LONGEST_NUMBER: usize = 64;

/// One thread's lines for one output, used alone (it never sends).
pub(crate) type LaneBuffer = LineBuffer<LANE_BYTES>;

type Lane = SpinMutex<LaneBuffer>;

/// Every lane of one buffered output.
pub(crate) struct Lanes {
    /// This output's key in each thread's [`MINE`]: unique for the life of the process.
    key: u64,
    all: Mutex<Vec<Arc<Lane>>>,
}

thread_local! {
    /// This thread's lane of each output it wrote an order-free line to, by output key.
    static MINE: RefCell<Vec<(u64, Arc<Lane>)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

impl Lanes {
    pub(crate) fn new() -> Self {
        Self {
            key: NEXT_KEY.fetch_add(1, Relaxed),
            all: Mutex::new(Vec::new()),
        }
    }

    /// Writes the line `prefix` + `value` into this thread's lane, unless `closed`; a full lane
    /// first gives its lines to `hand_over`. False when the line must take the shared path
    /// instead (see the [rules](self#rules)).
    #[inline]
    pub(crate) fn record(
        &self,
        prefix: &str,
        value: &Value<'_>,
        closed: &AtomicBool,
        hand_over: impl FnOnce(&mut LaneBuffer),
    ) -> bool {
        if prefix.len() > LONGEST_PREFIX || !is_number(value) {
            return false;
        }
        MINE.try_with(|mine| {
            let Ok(mut mine) = mine.try_borrow_mut() else {
                return false;
            };
            let lane = match mine.iter().position(|(key, _)| *key == self.key) {
                Some(i) => &mine[i].1,
                None => self.new_lane(&mut mine),
            };
            let Some(mut lane) = lane.try_lock() else {
                return false;
            };
            if closed.load(Relaxed) {
                return true; // discarded, as on the shared path
            }
            if lane.room() < prefix.len() + LONGEST_NUMBER {
                hand_over(&mut lane);
            }
            // It fits (see `LONGEST_NUMBER`): the lane alone, as a `Sink`, keeps the line.
            Sink::record(&mut *lane, prefix, value);
            true
        })
        .unwrap_or(false)
    }

    /// A new lane for this thread, in `mine` and in [`all`](Self::all); `mine` forgets the
    /// lanes no output holds any more.
    #[cold]
    fn new_lane<'a>(&self, mine: &'a mut Vec<(u64, Arc<Lane>)>) -> &'a Arc<Lane> {
        mine.retain(|(_, lane)| Arc::strong_count(lane) > 1);
        let lane = Arc::new(SpinMutex::new(LineBuffer::new()));
        lock(&self.all).push(Arc::clone(&lane));
        mine.push((self.key, lane));
        &mine[mine.len() - 1].1
    }

    /// Gives every lane's lines to `hand_over`, and releases the lanes of ended threads.
    pub(crate) fn drain(&self, mut hand_over: impl FnMut(&mut LaneBuffer)) {
        lock(&self.all).retain(|lane| {
            // Only this list holds it: its thread has ended. Its last line was written under
            // the lane's lock, which is taken below: that line is seen.
            let ended = Arc::strong_count(lane) == 1;
            hand_over(&mut spin_lock::lock(lane));
            !ended
        });
    }

    /// How many lanes this output has (threads that wrote to it and have not been seen ended).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.all).len()
    }
}

/// A number, not a sketch's bytes: its text is short.
#[inline]
fn is_number(value: &Value<'_>) -> bool {
    matches!(
        value,
        Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Decimal { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use spectator_core::transport::MemoryTransport;

    /// Where the tests' lanes hand their lines: every hand-over as one datagram.
    type Shared = MemoryTransport<{ 4 * LANE_BYTES }, 64>;

    fn hand_over(shared: &mut Shared) -> impl FnMut(&mut LaneBuffer) + '_ {
        move |lane| {
            let _ = lane.flush(shared);
        }
    }

    fn lines(shared: &Shared) -> Vec<String> {
        shared
            .lines()
            .map(|l| String::from_utf8(l.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn each_thread_gets_a_lane_released_after_the_thread_ends() {
        let lanes = Lanes::new();
        let open = AtomicBool::new(false);
        let mut shared = Shared::new();
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..3)
                .map(|t| {
                    let (lanes, open) = (&lanes, &open);
                    s.spawn(move || {
                        for i in 0..2 {
                            assert!(lanes.record("t:x:", &Value::Int(t * 10 + i), open, |_| {}));
                        }
                    })
                })
                .collect();
            // Joined explicitly: the scope's own wait ends before a thread's thread-locals
            // (which hold its lane) are dropped; `join` waits for the thread to exit.
            for thread in threads {
                thread.join().unwrap();
            }
        });
        assert!(lanes.record("t:x:", &Value::Int(99), &open, |_| {}));
        assert_eq!(lanes.len(), 4);
        lanes.drain(hand_over(&mut shared));
        let mut got = lines(&shared);
        got.sort();
        assert_eq!(
            got,
            ["t:x:0", "t:x:1", "t:x:10", "t:x:11", "t:x:20", "t:x:21", "t:x:99"]
        );
        // The three ended threads' lanes are gone; this thread's stays, empty.
        assert_eq!(lanes.len(), 1);
        lanes.drain(hand_over(&mut shared));
        assert_eq!(lines(&shared).len(), 7);
    }

    #[test]
    fn a_full_lane_is_handed_over_before_the_line_that_does_not_fit() {
        let lanes = Lanes::new();
        let open = AtomicBool::new(false);
        let prefix = "d:a.distribution.summary.with.a.long.name,and=some,tags=here:";
        let per_lane = LANE_BYTES / (prefix.len() + 5); // "1234" and a newline
        let mut handed = Vec::new();
        for i in 0..2 * per_lane {
            let v = Value::Int(1000 + (i % 9000) as i64);
            assert!(lanes.record(prefix, &v, &open, |lane| {
                handed.push(lane.pending_lines());
                let _ = lane.flush(&mut Shared::new());
            }));
        }
        // Handed over only when full: one lane's worth at a time.
        assert!(!handed.is_empty());
        assert!(
            handed.iter().all(|&n| n as usize >= per_lane - 1),
            "{handed:?}"
        );
    }

    #[test]
    fn a_line_written_while_the_lane_is_in_use_takes_the_shared_path() {
        let lanes = Lanes::new();
        let open = AtomicBool::new(false);
        let prefix = "c:x:";
        let mut nested = None;
        // Fill the lane until a hand-over, and record again from inside it (as a logger that
        // records metrics would): that line cannot use the lane.
        for _ in 0..LANE_BYTES {
            let taken = lanes.record(prefix, &Value::Int(1), &open, |_lane| {
                nested = Some(lanes.record(prefix, &Value::Int(2), &open, |_| {}));
            });
            assert!(taken);
            if nested.is_some() {
                break;
            }
        }
        assert_eq!(nested, Some(false));
    }

    #[test]
    fn closed_lines_are_discarded_and_long_or_sketch_lines_refused() {
        let lanes = Lanes::new();
        let closed = AtomicBool::new(true);
        let mut shared = Shared::new();
        assert!(lanes.record("c:x:", &Value::Int(1), &closed, |_| {}));
        let open = AtomicBool::new(false);
        let long = format!("c:{}:", "x".repeat(LONGEST_PREFIX));
        assert!(!lanes.record(&long, &Value::Int(1), &open, |_| {}));
        assert!(!lanes.record("S:x:", &Value::IntBytes([0; 8]), &open, |_| {}));
        lanes.drain(hand_over(&mut shared));
        assert!(lines(&shared).is_empty());
    }
}
