//! Client-side aggregation against the per-line path: what an application can update, and
//! what reaches a receiver.
//!
//! Run with `cargo bench -p spectator-std --bench aggregation`. A plain `main` (no harness)
//! that prints figures and ratios to the targets; nothing is asserted on speed.
//!
//! 1. **One counter, one and two threads**: updates/s and ns per update of a prebuilt counter
//!    handle, aggregated (1 s interval) vs the buffered per-line path (2 KiB datagrams), both
//!    to a UDP socket on loopback that is never read (as in the throughput bench: the figures
//!    are the client's cost plus the syscalls). Also lines and datagrams sent per second.
//! 2. **1,000 counters through real UDP to a reader**: two threads update 1,000 distinct
//!    counters as fast as they can for 2 s while a thread reads the socket the way spectatord
//!    does and sums each counter's values; the fraction of the updates the reader counted,
//!    with aggregation (100 ms interval) and without (buffered per-line).
//!
//! Targets (issue 10): one thread ≥ 100 M updates/s (≤ 10 ns), two threads on one counter
//! ≥ 100 M updates/s together, ≥ 10x the per-line path, lines = meters × intervals, and every
//! update counted by the reader with aggregation.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spectator_std::{Config, Registry};

const RUN: Duration = Duration::from_secs(1);
const ROUNDS: usize = 3;

fn registry(location: &str, aggregate: Option<Duration>) -> Registry {
    let mut config = Config::builder()
        .location(location)
        .buffer_size(2048)
        .without_env();
    if let Some(interval) = aggregate {
        config = config.aggregate(interval);
    }
    Registry::new(config.build().expect("config")).expect("registry")
}

/// Updates one counter from `threads` threads for [`RUN`]; returns updates made and the time.
fn hammer(r: &Registry, threads: usize) -> (u64, Duration) {
    let counter = r.counter(
        "server.numRequests",
        &[("nf.app", "www"), ("status", "200")],
    );
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let counter = counter.clone();
                s.spawn(move || {
                    let mut n = 0u64;
                    while start.elapsed() < RUN {
                        for _ in 0..10_000 {
                            black_box(&counter).increment();
                        }
                        n += 10_000;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    (total, start.elapsed())
}

struct Figure {
    updates_per_s: f64,
    lines_per_s: f64,
    datagrams_per_s: f64,
}

fn one_counter(location: &str, aggregate: bool, threads: usize) -> Figure {
    let mut best: Option<Figure> = None;
    for _ in 0..ROUNDS {
        let r = registry(location, aggregate.then_some(Duration::from_secs(1)));
        let (updates, elapsed) = hammer(&r, threads);
        r.close();
        let stats = r.stats();
        let secs = elapsed.as_secs_f64();
        let f = Figure {
            updates_per_s: updates as f64 / secs,
            lines_per_s: stats.lines_sent as f64 / secs,
            datagrams_per_s: stats.datagrams_sent as f64 / secs,
        };
        if best
            .as_ref()
            .is_none_or(|b| f.updates_per_s > b.updates_per_s)
        {
            best = Some(f);
        }
    }
    best.expect("rounds")
}

/// Two threads update 1,000 counters for 2 s; a reader sums what arrives. Returns (updates
/// made, updates the reader counted, lines received).
fn thousand_counters(aggregate: Option<Duration>) -> (u64, u64, u64) {
    let reader = UdpSocket::bind("127.0.0.1:0").expect("bind");
    reader
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let location = format!("udp://{}", reader.local_addr().expect("addr"));
    let stop = Arc::new(AtomicBool::new(false));
    let read = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut counted: HashMap<String, f64> = HashMap::new();
            let (mut lines, mut buf) = (0u64, vec![0u8; 65536]);
            loop {
                match reader.recv(&mut buf) {
                    Ok(n) => {
                        for line in std::str::from_utf8(&buf[..n]).unwrap_or("").split('\n') {
                            if let Some((id, v)) = line.rsplit_once(':') {
                                *counted.entry(id.to_owned()).or_default() +=
                                    v.parse::<f64>().unwrap_or(0.0);
                                lines += 1;
                            }
                        }
                    }
                    Err(_) if stop.load(Ordering::Acquire) => break,
                    Err(_) => {}
                }
            }
            (counted.values().sum::<f64>() as u64, lines)
        })
    };
    let r = registry(&location, aggregate);
    let counters: Vec<_> = (0..1000)
        .map(|i| r.counter("requests", &[("route", &format!("r{i}"))]))
        .collect();
    let start = Instant::now();
    let made: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let counters = &counters;
                s.spawn(move || {
                    let mut n = 0u64;
                    let mut i = t;
                    while start.elapsed() < Duration::from_secs(2) {
                        for _ in 0..1000 {
                            counters[i % 1000].increment();
                            i += 7;
                        }
                        n += 1000;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    r.close();
    stop.store(true, Ordering::Release);
    let (counted, lines) = read.join().expect("reader");
    (made, counted, lines)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("aggregation: smoke run (no --bench): no figures");
        return;
    }
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind the receiver");
    let location = format!("udp://{}", sink.local_addr().expect("addr"));
    println!("receiver {location}: bound, never read; best of {ROUNDS} rounds of {RUN:?}");
    for threads in [1, 2] {
        let agg = one_counter(&location, true, threads);
        let per_line = one_counter(&location, false, threads);
        let ns = |f: &Figure| 1e9 * threads as f64 / f.updates_per_s;
        println!(
            "one counter, {threads} thread(s): aggregated {:.1} M updates/s ({:.2} ns per update per thread), {:.1} lines/s, {:.1} datagrams/s",
            agg.updates_per_s / 1e6, ns(&agg), agg.lines_per_s, agg.datagrams_per_s
        );
        println!(
            "one counter, {threads} thread(s): per-line   {:.1} M updates/s ({:.2} ns per update per thread), {:.0} lines/s, {:.0} datagrams/s",
            per_line.updates_per_s / 1e6, ns(&per_line), per_line.lines_per_s, per_line.datagrams_per_s
        );
        let ratio = agg.updates_per_s / per_line.updates_per_s;
        let target = |ok: bool| if ok { "ok" } else { "MISSED" };
        println!(
            "summary: {threads} thread(s): aggregated {:.0} M updates/s (target >= 100 M: {}), {ratio:.1}x the per-line path (target >= 10x: {})",
            agg.updates_per_s / 1e6,
            target(agg.updates_per_s >= 100e6),
            target(ratio >= 10.0)
        );
    }
    for (name, aggregate) in [
        ("aggregated (100 ms)", Some(Duration::from_millis(100))),
        ("per-line", None),
    ] {
        let (made, counted, lines) = thousand_counters(aggregate);
        println!(
            "summary: 1,000 counters, 2 threads, 2 s, {name}: {made} updates made, {counted} counted by the reader ({:.2}%), in {lines} lines",
            100.0 * counted as f64 / made as f64
        );
    }
}
