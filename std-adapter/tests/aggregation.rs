//! Client-side aggregation (`ConfigBuilder::aggregate`): what each meter type reports per
//! interval, exactly, in memory and through a real UDP socket under concurrent updates.

mod common;

use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spectator_std::{Config, Registry};

fn memory(interval_ms: u64) -> Registry {
    let config = Config::builder()
        .location("memory")
        .aggregate(Duration::from_millis(interval_ms))
        .without_env()
        .build()
        .unwrap();
    Registry::new(config).unwrap()
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[test]
fn each_type_reports_its_interval_figure_once() {
    // A long interval: the test drives the reports with `flush`.
    let r = memory(4_000);
    let c = r.counter("requests", &[("status", "200")]);
    c.increment();
    c.increment_by(0); // filtered
    c.increment_by(41);
    r.counter("requests", &[("status", "200")]).increment(); // another handle, same cell
    r.counter("bytes", &[]).increment_by(0.5);
    r.counter("bytes", &[]).increment_by(0.25);
    r.counter("time", &[])
        .increment_by(Duration::from_micros(1500));
    r.counter("time", &[]).increment_by(Duration::from_nanos(1));
    let g = r.gauge_with_ttl("queue", &[], 60);
    g.set(3);
    g.set(-2);
    r.max_gauge("peak", &[]).set(5);
    r.max_gauge("peak", &[]).set(7.5);
    r.max_gauge("peak", &[]).set(1);
    r.age_gauge("last", &[]).now();
    r.monotonic_counter("total", &[]).set(10);
    r.monotonic_counter("total", &[]).set(12.5);
    r.monotonic_counter_uint("u", &[]).set(u64::MAX);
    r.timer("latency", &[]).record(Duration::from_millis(2)); // not aggregated
    r.timer("latency", &[]).record(Duration::from_millis(3));
    assert!(r.counter("x", &[]).binding().is_aggregated());
    assert!(!r.timer("x", &[]).binding().is_aggregated());

    let writer = r.memory_writer().unwrap();
    assert_eq!(writer.lines(), ["t:latency:0.002", "t:latency:0.003"]);
    writer.clear();
    r.flush();
    assert_eq!(
        sorted(writer.lines()),
        [
            "A:last:0",
            "C:total:12.5",
            "U:u:18446744073709551615",
            "c:bytes:0.75",
            "c:requests,status=200:43",
            "c:time:0.001500001",
            "g,60:queue:-2",
            "m:peak:7.5",
        ]
    );
    let stats = r.stats();
    // 3 + 2 + 2 + 2 + 3 + 1 + 2 + 1 updates (the filtered 0 is not one).
    assert_eq!((stats.aggregated_updates, stats.aggregated_lines), (16, 8));

    // Nothing updated since: nothing reported.
    writer.clear();
    r.flush();
    assert!(writer.is_empty());
}

#[test]
fn the_background_thread_reports_and_close_reports_what_is_left() {
    let r = memory(20);
    r.counter("c", &[]).increment_by(5);
    let writer = r.memory_writer().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while writer.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(writer.lines(), ["c:c:5"]);
    r.counter("c", &[]).increment_by(2);
    r.close();
    r.counter("c", &[]).increment_by(100); // after close: dropped
    assert_eq!(writer.lines(), ["c:c:5", "c:c:2"]);
}

#[test]
fn the_interval_must_be_shorter_than_spectatords_step() {
    let build = |interval: u64, step: Option<u64>| {
        let mut b = Config::builder().aggregate(Duration::from_millis(interval));
        if let Some(step) = step {
            b = b.spectatord_step(Duration::from_millis(step));
        }
        b.without_env().build()
    };
    assert!(build(4_999, None).is_ok());
    assert!(build(5_000, None).is_err());
    assert!(build(0, None).is_err());
    assert!(build(9_000, Some(10_000)).is_ok());
    let e = build(6_000, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "aggregation interval 6s must be above 0 and shorter than spectatord's step of 5s"
    );
}

/// What a UDP receiver got, per line prefix: the values in arrival order.
fn receive(
    socket: UdpSocket,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<HashMap<String, Vec<String>>> {
    std::thread::spawn(move || {
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        let mut buf = vec![0u8; 65536];
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut quiet_since = None;
        while Instant::now() < deadline {
            match socket.recv(&mut buf) {
                Ok(n) => {
                    quiet_since = None;
                    for line in std::str::from_utf8(&buf[..n]).unwrap().split('\n') {
                        let (prefix, value) = line.rsplit_once(':').unwrap();
                        seen.entry(prefix.to_owned())
                            .or_default()
                            .push(value.to_owned());
                    }
                }
                Err(_) if stop.load(Ordering::Acquire) => {
                    // Stopped: leave after 300 ms of silence.
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_millis(300) {
                        break;
                    }
                }
                Err(_) => {}
            }
        }
        seen
    })
}

/// 4 threads x 1,000,000 increments (and a float counter, gauges, max gauges and monotonic
/// counters set concurrently) through real UDP with aggregation at 50 ms: the receiver's sums
/// equal the totals exactly, the last values and the max are exact, and each meter sent at
/// most (run time / interval + 2) lines.
#[test]
fn concurrent_updates_arrive_exactly_over_udp() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 1_000_000;
    const FLOATS: u64 = 100_000;
    let (socket, location) = common::udp_listener();
    let stop = Arc::new(AtomicBool::new(false));
    let receiver = receive(socket, Arc::clone(&stop));
    let interval = Duration::from_millis(50);
    let r = Registry::new(
        Config::builder()
            .location(&location)
            .buffer_size(1400)
            .aggregate(interval)
            .without_env()
            .build()
            .unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let r = &r;
            s.spawn(move || {
                let ints = r.counter("ints", &[]);
                let floats = r.counter("floats", &[]);
                let peak = r.max_gauge("peak", &[]);
                let total = r.monotonic_counter_uint("total", &[("thread", &t.to_string())]);
                let gauge = r.gauge("gauge", &[("thread", &t.to_string())]);
                for i in 0..PER_THREAD {
                    ints.increment();
                    if i < FLOATS {
                        floats.increment_by(0.25);
                    }
                    if i % 1000 == 0 {
                        peak.set(i64::try_from(i * THREADS + t).unwrap());
                        total.set(i);
                        gauge.set(i64::try_from(i).unwrap());
                    }
                }
                total.set(PER_THREAD);
                gauge.set(-1);
            });
        }
    });
    r.close();
    let run_time = started.elapsed();
    stop.store(true, Ordering::Release);
    let seen = receiver.join().unwrap();

    let sum =
        |prefix: &str| -> f64 { seen[prefix].iter().map(|v| v.parse::<f64>().unwrap()).sum() };
    let ints: u64 = seen["c:ints"]
        .iter()
        .map(|v| v.parse::<u64>().unwrap())
        .sum();
    assert_eq!(ints, THREADS * PER_THREAD);
    // 0.25 is exact in binary and the partial sums stay below 2^53: the f64 sum is exact too.
    assert_eq!(sum("c:floats"), (THREADS * FLOATS) as f64 * 0.25);
    let peak = seen["m:peak"]
        .iter()
        .map(|v| v.parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert_eq!(peak, (PER_THREAD - 1000) * THREADS + (THREADS - 1));
    for t in 0..THREADS {
        let total = &seen[&format!("U:total,thread={t}")];
        assert_eq!(total.last().map(String::as_str), Some("1000000"));
        assert_eq!(
            seen[&format!("g:gauge,thread={t}")]
                .last()
                .map(String::as_str),
            Some("-1")
        );
    }
    let most = (run_time.as_millis() / interval.as_millis()) as usize + 2;
    for (prefix, values) in &seen {
        assert!(
            values.len() <= most,
            "{prefix}: {} lines in {run_time:?}",
            values.len()
        );
    }
    let stats = r.stats();
    assert_eq!(stats.dropped.total(), 0);
    assert_eq!(stats.lines_sent, stats.aggregated_lines);
    assert_eq!(
        stats.lines_sent,
        seen.values().map(|v| v.len() as u64).sum::<u64>()
    );
}

/// Threads increment while the test reports in a tight loop: the reported sums add up to
/// exactly the increments made (an update racing with a report lands in it or the next).
#[test]
fn reports_in_a_tight_loop_lose_and_double_nothing() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 250_000;
    let r = memory(4_000);
    let done = AtomicBool::new(false);
    let mut reported = 0u64;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let counter = r.counter("raced", &[]);
                s.spawn(move || {
                    for _ in 0..PER_THREAD {
                        counter.increment();
                    }
                })
            })
            .collect();
        s.spawn(|| {
            for w in workers {
                w.join().unwrap();
            }
            done.store(true, Ordering::Release);
        });
        let writer = r.memory_writer().unwrap();
        let mut seen = 0;
        let mut take = || {
            r.flush();
            let lines = writer.lines();
            for line in &lines[seen..] {
                reported += line
                    .strip_prefix("c:raced:")
                    .unwrap()
                    .parse::<u64>()
                    .unwrap();
            }
            seen = lines.len();
        };
        while !done.load(Ordering::Acquire) {
            take();
        }
        take();
    });
    assert_eq!(reported, THREADS * PER_THREAD);
}
