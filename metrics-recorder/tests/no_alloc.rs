//! Heap allocations per update, counted by `allocation-counter` (this test binary's global
//! allocator, counting per thread) over a UDP registry (bound on loopback, never read), with
//! and without aggregation:
//!
//! * a held handle (`let c = counter!(…); c.increment(1)`): 0, for every facade call;
//! * a macro call of a key with literal labels (`counter!("x", "k" => "v")`): 0 (the facade
//!   builds a `static` key; the recorder's lookup does not allocate);
//! * a macro call with a label value from a variable (`"k" => v`, `v: &'static str`): 1, the
//!   facade's `Vec` of labels; with an owned `String` value, 2 (that string and the `Vec`);
//! * a key refused by the meter cap: 0 per call;
//! * the first registration of a key: a few dozen (its id, prefix and handle), printed; and,
//!   at its next macro call on each thread, a copy of a counter's or histogram's handle for
//!   that thread.

use std::net::UdpSocket;
use std::time::Duration;

use metrics::{counter, describe_histogram, gauge, histogram, with_local_recorder, Unit};
use spectator_metrics::{Builder, SpectatorRecorder};

const UPDATES: usize = 10_000;

fn count_allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

/// A recorder over UDP to `listener` (bound, never read), aggregating or not.
fn udp(listener: &UdpSocket, aggregate: bool) -> SpectatorRecorder {
    let b: Builder = SpectatorRecorder::builder()
        .location(&format!("udp://{}", listener.local_addr().unwrap()))
        .without_env()
        .common_tag("nf.app", "alloc")
        .percentiles_for("pct");
    let b = if aggregate {
        b.config(|c| c.spectatord_step(Duration::from_secs(7200)))
            .aggregate(Duration::from_secs(3600))
    } else {
        b.without_aggregation().buffer_size(0)
    };
    b.build().unwrap()
}

fn listener() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

#[test]
fn the_counter_counts() {
    assert_eq!(
        count_allocations(|| drop(std::hint::black_box(vec![1u8; 16]))),
        1
    );
    assert_eq!(count_allocations(|| ()), 0);
}

/// Allocations of `UPDATES` calls of `f`, after six warm-up calls: every key the tests below
/// use is registered by then, and was found again in this thread's cache, which then made its
/// copy of a counter's or histogram's handle (once per key and thread).
fn per_updates(f: impl Fn(usize)) -> u64 {
    (0..6).for_each(&f);
    count_allocations(|| (6..UPDATES + 6).for_each(&f))
}

fn held_handles(aggregate: bool) {
    let l = listener();
    let r = udp(&l, aggregate);
    with_local_recorder(&r, || {
        describe_histogram!("latency", Unit::Milliseconds, "");
        describe_histogram!("pct", Unit::Microseconds, "");
        let c = counter!("requests", "status" => "200");
        let total = counter!("bytes");
        let g = gauge!("inflight");
        let d = histogram!("size");
        let t = histogram!("latency");
        let p = histogram!("pct");
        let counts = [
            per_updates(|_| c.increment(1)),
            per_updates(|i| total.absolute(i as u64)),
            per_updates(|_| g.increment(1.0)),
            per_updates(|_| g.decrement(0.5)),
            per_updates(|i| g.set(i as f64)),
            per_updates(|i| d.record(i as f64)),
            per_updates(|i| t.record(i as f64 * 0.5)),
            per_updates(|i| p.record(i as f64)),
        ];
        assert_eq!(counts, [0; 8], "aggregate {aggregate}");
    });
    r.flush();
    let s = r.registry().stats();
    assert!(s.lines_sent > 3 * UPDATES as u64, "{s:?}");
}

#[test]
fn held_handles_do_not_allocate_with_aggregation() {
    held_handles(true);
}

#[test]
fn held_handles_do_not_allocate_without_aggregation() {
    held_handles(false);
}

#[test]
fn macro_calls_allocate_only_what_the_facade_allocates() {
    let l = listener();
    let r = udp(&l, true);
    with_local_recorder(&r, || {
        let static_labels = per_updates(|i| {
            counter!("requests", "status" => "200").increment(1);
            counter!("requests", "status" => "200").absolute(i as u64);
            gauge!("inflight", "pool" => "main").increment(1.0);
            histogram!("size", "route" => "/play").record(i as f64);
        });
        assert_eq!(static_labels, 0, "literal labels");

        let statuses: [&'static str; 3] = ["200", "404", "500"];
        let variable_labels = per_updates(|i| {
            counter!("requests", "status" => statuses[i % 3]).increment(1);
        });
        assert_eq!(
            variable_labels, UPDATES as u64,
            "one Vec of labels per call"
        );

        let owned_labels = per_updates(|i| {
            counter!("requests", "status" => (200 + i % 3).to_string()).increment(1);
        });
        assert_eq!(owned_labels, 2 * UPDATES as u64, "the String and the Vec");

        let first = count_allocations(|| counter!("new.key", "k" => "v").increment(1));
        println!(
            "allocations per {UPDATES} macro calls: literal labels {static_labels}, a &'static str \
             label {variable_labels}, a String label {owned_labels}; first registration of a \
             key: {first}"
        );
        assert!(first > 0);
    });
}

#[test]
fn refused_keys_do_not_allocate() {
    let l = listener();
    let r = SpectatorRecorder::builder()
        .location(&format!("udp://{}", l.local_addr().unwrap()))
        .without_env()
        .max_meters(1)
        .build()
        .unwrap();
    with_local_recorder(&r, || {
        counter!("first").increment(1);
        let refused = per_updates(|_| counter!("second", "k" => "v").increment(1));
        assert_eq!(refused, 0);
    });
    let s = r.stats();
    assert_eq!(
        (s.meters, s.refused, s.dropped_updates),
        (1, UPDATES as u64 + 6, UPDATES as u64 + 6)
    );
}
