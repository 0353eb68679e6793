//! Client-side aggregation for a registry ([`ConfigBuilder::aggregate`](crate::ConfigBuilder::aggregate)):
//! the core's lock-free [cells](spectator_core::aggregate), one per meter id, reported by the
//! registry every interval.
//!
//! A counter's cell is striped: one [`SumCell`] per stripe, each on its own cache line, and
//! each thread adds to the stripe of its index, so two threads hammering one counter do not
//! fight over a cache line. The report takes every stripe (one atomic swap per word: an
//! update racing with it lands in this report or the next, never lost or counted twice) and
//! writes one line with the sum.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crossbeam_utils::CachePadded;
use spectator_core::aggregate::{Cell, LastCell, MaxCell, SumCell, UintCell};
use spectator_core::{MeterKind, Value};

/// Whether meters of `kind` are aggregated (the others send a line per update).
pub(crate) fn aggregates(kind: MeterKind) -> bool {
    matches!(
        kind,
        MeterKind::Counter
            | MeterKind::Gauge
            | MeterKind::MaxGauge
            | MeterKind::AgeGauge
            | MeterKind::MonotonicCounter
            | MeterKind::MonotonicCounterUint
    )
}

/// One stripe of a counter: its sum and its updates.
#[derive(Debug, Default)]
struct Stripe {
    sum: SumCell,
    updates: AtomicU64,
}

/// The state of one aggregated meter, shared by every handle of its id.
#[derive(Debug)]
pub(crate) struct AggregatedCell {
    /// The meter's line prefix, `symbol[,ttl]:id:`.
    prefix: Arc<str>,
    state: State,
}

#[derive(Debug)]
enum State {
    Sum(Box<[CachePadded<Stripe>]>),
    Other(Box<CachePadded<(OtherCell, AtomicU64)>>),
}

#[derive(Debug)]
enum OtherCell {
    Last(LastCell),
    Max(MaxCell),
    Uint(UintCell),
}

impl OtherCell {
    fn as_cell(&self) -> &dyn Cell {
        match self {
            OtherCell::Last(c) => c,
            OtherCell::Max(c) => c,
            OtherCell::Uint(c) => c,
        }
    }
}

thread_local! {
    /// This thread's index, for its counter stripe.
    static THREAD_INDEX: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Relaxed)
    };
}

impl AggregatedCell {
    fn new(kind: MeterKind, prefix: Arc<str>, stripes: usize) -> Self {
        let other = |cell| State::Other(Box::new(CachePadded::new((cell, AtomicU64::new(0)))));
        let state = match kind {
            MeterKind::Counter => State::Sum(
                (0..stripes.max(1).next_power_of_two())
                    .map(|_| CachePadded::default())
                    .collect(),
            ),
            MeterKind::MaxGauge => other(OtherCell::Max(MaxCell::new())),
            MeterKind::MonotonicCounterUint => other(OtherCell::Uint(UintCell::new())),
            _ => other(OtherCell::Last(LastCell::new())),
        };
        Self { prefix, state }
    }

    /// Takes one update (after the kind's filter): an atomic add (counters, on this thread's
    /// stripe), store or compare-and-swap, plus the update count on the same cache line.
    #[inline]
    pub(crate) fn update(&self, value: &Value<'_>) {
        match &self.state {
            State::Sum(stripes) => {
                // The stripe count is a power of two: a mask, not a division.
                let i = THREAD_INDEX.with(|i| *i) & (stripes.len() - 1);
                if let Some(stripe) = stripes.get(i) {
                    stripe.sum.update(value);
                    stripe.updates.fetch_add(1, Relaxed);
                }
            }
            State::Other(cell) => {
                cell.0.as_cell().update(value);
                cell.1.fetch_add(1, Relaxed);
            }
        }
    }

    /// The interval's line value, resetting the cell, and the updates it aggregates.
    fn take(&self) -> (Option<Value<'static>>, u64) {
        match &self.state {
            State::Sum(stripes) => {
                let total = SumCell::new();
                let mut updates = 0;
                for stripe in stripes.iter() {
                    updates += stripe.updates.swap(0, Relaxed);
                    if let Some(v) = stripe.sum.take() {
                        total.update(&v);
                    }
                }
                (total.take(), updates)
            }
            State::Other(cell) => (cell.0.as_cell().take(), cell.1.swap(0, Relaxed)),
        }
    }
}

/// Every aggregated cell of a registry, by line prefix.
#[derive(Debug)]
pub(crate) struct Aggregator {
    cells: Mutex<HashMap<Arc<str>, Arc<AggregatedCell>>>,
    stripes: usize,
    /// Updates folded into the lines reported so far.
    updates: AtomicU64,
    /// Lines the reports wrote.
    lines: AtomicU64,
}

impl Aggregator {
    /// An aggregator whose counters have one stripe per available CPU (rounded up to a power of
    /// two, at most 16).
    pub(crate) fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            cells: Mutex::new(HashMap::new()),
            stripes: cpus.clamp(1, 16).next_power_of_two(),
            updates: AtomicU64::new(0),
            lines: AtomicU64::new(0),
        }
    }

    /// The cell of the meter whose line prefix is `prefix` (one per prefix: every handle of
    /// an id shares it).
    pub(crate) fn cell(&self, kind: MeterKind, prefix: &Arc<str>) -> Arc<AggregatedCell> {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(cells.entry(Arc::clone(prefix)).or_insert_with(|| {
            Arc::new(AggregatedCell::new(kind, Arc::clone(prefix), self.stripes))
        }))
    }

    /// Writes each updated meter's line through `write` and resets it.
    ///
    /// A cell that no meter handle holds any more is reported one last time and released, so
    /// meters created and dropped over a process's life (one per label value, say) do not
    /// accumulate. No handle can reach it again: handles get cells from [`cell`](Self::cell),
    /// under the same lock, or clone a live handle; a later handle of the id gets a new cell.
    pub(crate) fn report(&self, mut write: impl FnMut(&str, &Value<'_>)) {
        let cells: Vec<Arc<AggregatedCell>> = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            let mut all = Vec::with_capacity(cells.len());
            cells.retain(|_, cell| {
                all.push(Arc::clone(cell));
                // The map's reference, `all`'s, and one per handle.
                Arc::strong_count(cell) > 2
            });
            // The last handle's updates happen before its release of the cell (`Arc`'s drop
            // is a release): this report sees them.
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            all
        };
        for cell in cells {
            let (value, updates) = cell.take();
            self.updates.fetch_add(updates, Relaxed);
            if let Some(value) = value {
                write(&cell.prefix, &value);
                self.lines.fetch_add(1, Relaxed);
            }
        }
    }

    /// Updates aggregated into reported lines, and those lines.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.updates.load(Relaxed), self.lines.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(a: &Aggregator) -> Vec<String> {
        let mut lines = Vec::new();
        a.report(|prefix, value| {
            let mut line = heapless::String::<128>::new();
            let _ = line.push_str(prefix);
            let _ = value.write_to(&mut line);
            lines.push(line.to_string());
        });
        lines.sort();
        lines
    }

    #[test]
    fn handles_of_one_id_share_a_cell_and_report_once() {
        let a = Aggregator::new();
        let prefix: Arc<str> = Arc::from("c:requests:");
        let (h1, h2) = (
            a.cell(MeterKind::Counter, &prefix),
            a.cell(MeterKind::Counter, &prefix),
        );
        assert!(Arc::ptr_eq(&h1, &h2));
        let g = a.cell(MeterKind::Gauge, &Arc::from("g,60:queue:"));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        h1.update(&Value::Int(1));
                    }
                });
            }
        });
        h2.update(&Value::Int(5));
        g.update(&Value::Int(3));
        g.update(&Value::Int(2));
        assert_eq!(report(&a), ["c:requests:4005", "g,60:queue:2"]);
        assert_eq!(a.counts(), (4003, 2));
        assert!(report(&a).is_empty());
    }

    #[test]
    fn cells_no_handle_holds_are_reported_once_more_then_released() {
        let a = Aggregator::new();
        let held = a.cell(MeterKind::Counter, &Arc::from("c:held:"));
        let dropped = a.cell(MeterKind::Counter, &Arc::from("c:dropped:"));
        held.update(&Value::Int(1));
        dropped.update(&Value::Int(2));
        drop(dropped);
        assert_eq!(report(&a), ["c:dropped:2", "c:held:1"]);
        assert_eq!(a.cells.lock().unwrap().len(), 1);
        // A new handle of the released id starts a new cell.
        a.cell(MeterKind::Counter, &Arc::from("c:dropped:"))
            .update(&Value::Int(5));
        assert_eq!(report(&a), ["c:dropped:5"]);
        assert_eq!(a.cells.lock().unwrap().len(), 1);
        drop(held);
        assert!(report(&a).is_empty());
        assert!(a.cells.lock().unwrap().is_empty());
    }
}
