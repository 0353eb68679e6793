//! spectator-std promises that updating a prebuilt meter makes no heap allocation on the
//! `none`, `udp` and `unix` outputs, buffered or not. This test binary runs those updates under
//! a counting global allocator and asserts that it saw exactly zero allocations; the `memory`
//! output, which keeps every line as a `String`, must show allocations (a sanity check that the
//! counter works through the registry).
//!
//! Counting is scoped: only allocations made by the thread inside [`count_allocations`] are
//! counted, so the test harness, the socket reader threads, the background flush threads and
//! tests running in parallel cannot disturb the count.

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::{line_count, udp_listener, Reader, TempDir};
use spectator_std::{Config, Registry};

/// Runs `f` and returns how many heap allocations (reallocations included) this thread made
/// meanwhile. `allocation-counter`, a dev-dependency, is this test binary's global allocator
/// and counts per thread, so socket readers, flush threads and parallel tests do not count.
fn count_allocations(f: impl FnOnce()) -> usize {
    usize::try_from(allocation_counter::measure(f).count_total).unwrap_or(usize::MAX)
}

const UPDATES: usize = 10_000;

/// Builds the four meters on `r`, warms each up with one update, then counts the allocations
/// of `UPDATES` updates of each, separately. Returns the counts in the order counter, gauge
/// with TTL, timer (float), distribution summary.
fn allocations_per_meter(r: &Registry) -> [usize; 4] {
    paced_allocations_per_meter(r, &|| ())
}

/// [`allocations_per_meter`], calling `pace` (which must not allocate) every 64 updates.
fn paced_allocations_per_meter(r: &Registry, pace: &dyn Fn()) -> [usize; 4] {
    let counter = r.counter("alloc.counter", &[("k", "v")]);
    let gauge = r.gauge_with_ttl("alloc.gauge", &[("k", "v")], 60);
    let timer = r.timer("alloc.timer", &[("k", "v")]);
    let summary = r.distribution_summary("alloc.summary", &[("k", "v")]);
    counter.increment();
    gauge.set(1.5);
    timer.record(0.125);
    summary.record(1024);
    [
        count_allocations(|| {
            for i in 0..UPDATES {
                counter.increment();
                if i % 64 == 63 {
                    pace();
                }
            }
        }),
        count_allocations(|| {
            for i in 0..UPDATES {
                gauge.set(i as f64 * 0.5);
                if i % 64 == 63 {
                    pace();
                }
            }
        }),
        count_allocations(|| {
            for i in 0..UPDATES {
                timer.record(i as f64 * 1e-6);
                if i % 64 == 63 {
                    pace();
                }
            }
        }),
        count_allocations(|| {
            for i in 0..UPDATES {
                summary.record(i as u64);
                if i % 64 == 63 {
                    pace();
                }
            }
        }),
    ]
}

fn config(location: &str, buffer_size: usize) -> Config {
    Config::builder()
        .location(location)
        .env([("NETFLIX_PROCESS_NAME", "alloc")])
        .buffer_size(buffer_size)
        .flush_interval(Duration::ZERO)
        .build()
        .unwrap()
}

/// A Unix datagram listener drained by a [`Reader`] thread (so that sends never meet a full
/// socket), and its location.
struct DrainedUnix {
    _dir: TempDir,
    location: String,
    reader: Reader,
}

impl DrainedUnix {
    fn new(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        let path = dir.join("s.unix");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Self {
            location: format!("unix://{}", path.display()),
            _dir: dir,
            reader: Reader::start(socket),
        }
    }

    /// Stops the reader once it has been idle, and returns the lines it received.
    fn finish(self) -> u64 {
        line_count(&self.reader.finish())
    }
}

const TOTAL: u64 = 4 * (UPDATES as u64 + 1);

#[test]
fn the_counter_counts() {
    // Without this, a broken allocator hook would make every other test pass vacuously.
    let count = count_allocations(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert_eq!(count, 1);
    assert_eq!(count_allocations(|| ()), 0);
}

#[test]
fn memory_output_allocates_per_line() {
    let r = Registry::new(config("memory", 0)).unwrap();
    let counts = allocations_per_meter(&r);
    println!(
        "memory: allocations per {UPDATES} updates (counter, gauge, timer, summary): {counts:?}"
    );
    for count in counts {
        assert!(count >= UPDATES, "every line is a new String: {counts:?}");
    }
    assert_eq!(r.memory_writer().unwrap().lines().len() as u64, TOTAL);
}

#[test]
fn none_output_does_not_allocate() {
    let r = Registry::new(config("none", 0)).unwrap();
    assert_eq!(allocations_per_meter(&r), [0; 4]);
}

#[test]
fn udp_unbuffered_does_not_allocate() {
    let (_listener, location) = udp_listener(); // bound, never read
    let r = Registry::new(config(&location, 0)).unwrap();
    assert_eq!(allocations_per_meter(&r), [0; 4]);
    let s = r.stats();
    assert_eq!(s.lines_sent + s.dropped.total(), TOTAL, "{s:?}");
}

#[test]
fn udp_buffered_does_not_allocate() {
    let (_listener, location) = udp_listener(); // bound, never read
    let r = Registry::new(config(&location, 60 * 1024)).unwrap();
    assert_eq!(allocations_per_meter(&r), [0; 4]);
    r.flush();
    let s = r.stats();
    assert_eq!(s.lines_sent + s.dropped.total(), TOTAL, "{s:?}");
    assert!(s.datagrams_sent < TOTAL / 100, "{s:?}");
}

#[test]
fn unix_unbuffered_does_not_allocate() {
    let drained = DrainedUnix::new("na-unix0");
    let r = Registry::new(config(&drained.location, 0)).unwrap();
    assert_eq!(allocations_per_meter(&r), [0; 4]);
    let s = r.stats();
    assert_eq!(s.lines_sent + s.dropped.total(), TOTAL, "{s:?}");
    let received = drained.finish();
    assert_eq!(received, s.lines_sent);
}

/// The buffered Unix output keeps datagrams in a heap backlog while the socket is full (by
/// design, see std-adapter/src/output/socket.rs), so the writer is paced: every 64 updates it
/// waits, without allocating, until the reader has received every line sent so far. Unpaced, a
/// reader that falls behind on this 2-core machine (tests run in parallel) shows a few
/// allocations per 10,000 updates, all from the backlog.
#[test]
fn unix_buffered_does_not_allocate() {
    let drained = DrainedUnix::new("na-unix1");
    let r = Registry::new(config(&drained.location, 8192)).unwrap();
    let pace = || {
        let deadline = Instant::now() + Duration::from_secs(5);
        while drained.reader.lines() < r.stats().lines_sent && Instant::now() < deadline {
            std::thread::yield_now();
        }
    };
    assert_eq!(paced_allocations_per_meter(&r, &pace), [0; 4]);
    r.close();
    let s = r.stats();
    let received = drained.finish();
    assert_eq!(
        (received, s.lines_sent, s.dropped.total()),
        (TOTAL, TOTAL, 0)
    );
}

/// Aggregated updates (counter: this thread's stripe; gauge: one word) allocate nothing; the
/// timer and summary still write a line each into the buffer.
#[test]
fn aggregated_updates_do_not_allocate() {
    let (_listener, location) = udp_listener(); // bound, never read
    let config = Config::builder()
        .location(&location)
        .buffer_size(1400)
        .aggregate(std::time::Duration::from_millis(20))
        .without_env()
        .build()
        .unwrap();
    let r = Registry::new(config).unwrap();
    assert!(r.counter("alloc.counter", &[]).binding().is_aggregated());
    assert_eq!(allocations_per_meter(&r), [0; 4]);
    r.flush();
    let s = r.stats();
    assert_eq!(s.aggregated_updates, UPDATES as u64 * 2 + 2, "{s:?}");
}
