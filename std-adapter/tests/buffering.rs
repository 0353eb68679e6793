//! spectator-std's line buffer over a real Unix datagram socket: exact datagram contents and
//! boundaries when flushing on size, on the background timer, on `close()` and when the last
//! handle is dropped; unbuffered output; lines over the datagram limit.

mod common;

use std::time::{Duration, Instant};

use common::{drain_unix, recv_datagrams, unix_listener, TempDir, NO_ENV};
use spectator_std::{Config, ConfigBuilder, Registry};

/// A builder for `unix://PATH` with no environment and no background flush.
fn unix_config(path: &std::path::Path) -> ConfigBuilder {
    Config::builder()
        .location(&format!("unix://{}", path.display()))
        .env(NO_ENV)
        .flush_interval(Duration::ZERO)
}

#[test]
fn size_flush_exact_datagrams_and_boundaries() {
    let dir = TempDir::new("buf-size");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(unix_config(&path).buffer_size(32).build().unwrap()).unwrap();
    assert_eq!(r.config().buffer_size(), 32);
    let a = r.counter("aaaa", &[]); // "c:aaaa:1", 8 bytes

    // 8, 8+1+8 = 17, 17+1+8 = 26: all fit in 32 bytes, nothing is sent.
    for _ in 0..3 {
        a.increment();
    }
    assert!(drain_unix(&listener).is_empty());

    // 26+1+8 = 35 > 32: the buffer is sent first, the new line starts the next datagram.
    a.increment();
    assert_eq!(drain_unix(&listener), ["c:aaaa:1\nc:aaaa:1\nc:aaaa:1"]);

    // 8+1+23 = 32: exactly full, sent at once with the line that filled it.
    r.gauge("abcdefghijklmnopqr", &[]).set(42);
    assert_eq!(drain_unix(&listener), ["c:aaaa:1\ng:abcdefghijklmnopqr:42"]);

    r.timer("x", &[]).record(0.5);
    assert!(drain_unix(&listener).is_empty(), "waits for the next flush");

    r.close();
    assert_eq!(drain_unix(&listener), ["t:x:0.5"]);
    let s = r.stats();
    assert_eq!(
        (
            s.lines_sent,
            s.datagrams_sent,
            s.bytes_sent,
            s.dropped.total()
        ),
        (6, 3, 26 + 32 + 7, 0)
    );

    // After close: writes are dropped silently, flushes send nothing.
    a.increment();
    r.flush();
    r.close();
    assert!(drain_unix(&listener).is_empty());
    assert_eq!(r.stats(), s);
}

#[test]
fn explicit_flush_sends_what_is_buffered() {
    let dir = TempDir::new("buf-flush");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(unix_config(&path).buffer_size(1024).build().unwrap()).unwrap();
    r.flush(); // nothing buffered: no empty datagram
    r.counter("a", &[]).increment();
    r.counter("b", &[]).increment_by(2.5);
    r.flush();
    r.flush();
    r.counter("c", &[]).increment();
    r.flush();
    assert_eq!(drain_unix(&listener), ["c:a:1\nc:b:2.5", "c:c:1"]);
}

#[test]
fn timer_flush_after_the_interval_and_not_before() {
    let dir = TempDir::new("buf-timer");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let start = Instant::now();
    let r = Registry::new(
        unix_config(&path)
            .buffer_size(1024)
            .flush_interval(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    r.counter("tick", &[]).increment();
    r.gauge("level", &[]).set(7);

    // The first flush is due 200 ms after the registry started. Nothing has arrived at
    // 100 ms (checked only if this thread got there in time, so a loaded machine cannot
    // fail the test), and whatever arrives, arrives at 200 ms or later.
    std::thread::sleep(Duration::from_millis(100).saturating_sub(start.elapsed()));
    if start.elapsed() < Duration::from_millis(190) {
        assert!(
            drain_unix(&listener).is_empty(),
            "flushed before the interval"
        );
    }
    let got = recv_datagrams(|b| listener.recv(b), 1, Duration::from_secs(3));
    let elapsed = start.elapsed();
    println!("timer flush arrived after {elapsed:?} (interval 200 ms)");
    assert_eq!(got, ["c:tick:1\ng:level:7"]);
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");

    // And again on a later tick.
    r.counter("tock", &[]).increment();
    let got = recv_datagrams(|b| listener.recv(b), 1, Duration::from_secs(3));
    assert_eq!(got, ["c:tock:1"]);
}

#[test]
fn dropping_the_registry_then_the_last_meter_flushes() {
    let dir = TempDir::new("buf-drop");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(unix_config(&path).buffer_size(1024).build().unwrap()).unwrap();
    let clone = r.clone();
    let counter = r.counter("kept", &[("k", "v")]);
    counter.increment();
    drop(r);
    assert!(drain_unix(&listener).is_empty());
    drop(clone); // the last registry handle: the meter still keeps the output alive
    assert!(drain_unix(&listener).is_empty());
    counter.increment_by(3);
    let again = counter.clone();
    drop(counter);
    assert!(drain_unix(&listener).is_empty());
    again.increment();
    drop(again); // the last handle of all: flushed
    assert_eq!(
        drain_unix(&listener),
        ["c:kept,k=v:1\nc:kept,k=v:3\nc:kept,k=v:1"]
    );
}

#[test]
fn unbuffered_sends_one_line_per_datagram_without_newline() {
    let dir = TempDir::new("buf-none");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(unix_config(&path).build().unwrap()).unwrap();
    assert_eq!(r.config().buffer_size(), 0);
    r.counter("a", &[]).increment();
    r.pct_timer("b", &[("t", "1")]).record(0.001);
    r.monotonic_counter_uint("c", &[]).set(u64::MAX);
    r.age_gauge("d", &[]).now();
    let got = drain_unix(&listener);
    assert_eq!(
        got,
        [
            "c:a:1",
            "T:b,t=1:0.001",
            "U:c:18446744073709551615",
            "A:d:0"
        ]
    );
    let s = r.stats();
    assert_eq!((s.lines_sent, s.datagrams_sent), (4, 4));
    r.close();
    r.counter("after", &[]).increment();
    assert!(drain_unix(&listener).is_empty());
}

/// A counter line of exactly `len` bytes: `c:` + name + `:1`.
fn counter_name(len: usize) -> String {
    "n".repeat(len - 4)
}

#[test]
fn lines_over_max_datagram_are_dropped_and_counted() {
    let dir = TempDir::new("buf-long");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);

    // Unbuffered.
    let r = Registry::new(unix_config(&path).max_datagram(64).build().unwrap()).unwrap();
    r.counter(&counter_name(65), &[]).increment();
    r.counter(&counter_name(64), &[]).increment();
    r.counter(&counter_name(2000), &[]).increment(); // formatted on the heap, still dropped
    let got = drain_unix(&listener);
    assert_eq!(got, [format!("c:{}:1", counter_name(64))]);
    let s = r.stats();
    assert_eq!(
        (s.lines_sent, s.dropped.too_long, s.dropped.total()),
        (1, 2, 2)
    );

    // Buffered, with the buffer as large as a datagram may be.
    let r = Registry::new(
        unix_config(&path)
            .max_datagram(64)
            .buffer_size(64)
            .build()
            .unwrap(),
    )
    .unwrap();
    r.counter("a", &[]).increment();
    r.counter(&counter_name(58), &[]).increment(); // 5 + 1 + 58 = 64: full, sent
    r.counter(&counter_name(65), &[]).increment(); // over 64: dropped
    r.counter(&counter_name(64), &[]).increment(); // 64 alone: full, sent
    r.close();
    let n58 = format!("c:{}:1", counter_name(58));
    let n64 = format!("c:{}:1", counter_name(64));
    assert_eq!(drain_unix(&listener), [format!("c:a:1\n{n58}"), n64]);
    let s = r.stats();
    assert_eq!(
        (s.lines_sent, s.datagrams_sent, s.dropped.too_long),
        (3, 2, 1)
    );
}

#[test]
fn buffer_size_is_capped_at_max_datagram() {
    let c = |b: ConfigBuilder| b.location("none").env(NO_ENV).build().unwrap();
    assert_eq!(
        c(Config::builder().buffer_size(1 << 20)).buffer_size(),
        60 * 1024
    );
    assert_eq!(
        c(Config::builder().buffer_size(4096).max_datagram(1000)).buffer_size(),
        1000
    );
}

/// A line longer than `buffer_size` but within `max_datagram` is sent alone, as the
/// unbuffered output, spectator-py and the core's `LineBuffer::append` do.
#[test]
fn buffered_line_longer_than_the_buffer_is_sent_alone() {
    let dir = TempDir::new("buf-bug");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(unix_config(&path).buffer_size(32).build().unwrap()).unwrap();
    r.counter("a", &[]).increment();
    r.counter(&counter_name(40), &[]).increment(); // 40 bytes: over the buffer, far under 60 KiB
    r.close();
    let s = r.stats();
    assert_eq!(
        (drain_unix(&listener), s.lines_sent, s.dropped.too_long),
        (
            vec!["c:a:1".to_owned(), format!("c:{}:1", counter_name(40))],
            2,
            0
        )
    );
}
