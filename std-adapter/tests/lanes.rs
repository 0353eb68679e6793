//! The buffered output's per-thread lanes, over a real Unix datagram socket: lines of
//! order-free kinds (counters, timers, distribution summaries, max gauges) wait in their
//! thread's lane and reach the shared buffer when the lane is full, at a flush, at close, and
//! after their thread has ended; lines whose order counts (gauges) keep it. Lanes from the
//! first line here ([`ThreadBuffers::Always`]); by default they start once threads contend.

mod common;

use std::time::Duration;

use common::{drain_unix, unix_listener, Reader, TempDir, NO_ENV};
use spectator_std::{Config, Registry, ThreadBuffers};

/// A registry on `unix://PATH` with a `buffer`-byte datagram buffer, no background flush and
/// lanes `when` said.
fn registry_with(path: &std::path::Path, buffer: usize, when: ThreadBuffers) -> Registry {
    let config = Config::builder()
        .location(&format!("unix://{}", path.display()))
        .env(NO_ENV)
        .buffer_size(buffer)
        .flush_interval(Duration::ZERO)
        .thread_buffers(when)
        .build()
        .unwrap();
    Registry::new(config).unwrap()
}

/// [`registry_with`] lanes from the first line.
fn registry(path: &std::path::Path, buffer: usize) -> Registry {
    registry_with(path, buffer, ThreadBuffers::Always)
}

fn lines(datagrams: &[String]) -> Vec<&str> {
    datagrams.iter().flat_map(|d| d.split('\n')).collect()
}

#[test]
fn lines_wait_in_the_lane_until_a_flush() {
    let dir = TempDir::new("lane-flush");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 1024);
    r.timer("t", &[]).record(0.5);
    r.counter("c", &[]).increment();
    r.gauge("g", &[]).set(1);
    // The gauge is alone in the shared buffer; the others are in this thread's lane.
    r.flush();
    assert_eq!(drain_unix(&listener), ["g:g:1\nt:t:0.5\nc:c:1"]);
    assert_eq!(r.stats().lines_sent, 3);

    // Without lanes (and by default, on one thread), lines keep the order they were written.
    for when in [ThreadBuffers::Never, ThreadBuffers::Auto] {
        let r = registry_with(&path, 1024, when);
        r.timer("t", &[]).record(0.5);
        r.counter("c", &[]).increment();
        r.gauge("g", &[]).set(1);
        r.flush();
        assert_eq!(drain_unix(&listener), ["t:t:0.5\nc:c:1\ng:g:1"], "{when:?}");
    }
}

#[test]
fn a_thread_that_ended_is_drained_at_the_next_flush() {
    let dir = TempDir::new("lane-ended");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 1024);
    let timer = r.timer("t", &[]);
    std::thread::spawn(move || {
        for i in 0..3 {
            timer.record(i);
        }
    })
    .join()
    .unwrap();
    assert!(drain_unix(&listener).is_empty(), "no flush yet");
    r.flush();
    assert_eq!(drain_unix(&listener), ["t:t:0\nt:t:1\nt:t:2"]);
    // Drained once: the next flush sends nothing.
    r.flush();
    assert!(drain_unix(&listener).is_empty());
    assert_eq!(r.stats().lines_sent, 3);
}

#[test]
fn close_sends_every_lane_then_drops_new_lines() {
    let dir = TempDir::new("lane-close");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 1024);
    let summary = r.distribution_summary("d", &[]);
    let (ready, go) = std::sync::mpsc::channel();
    let (closed, done) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn({
        let summary = summary.clone();
        move || {
            summary.record(1);
            ready.send(()).unwrap();
            done.recv().unwrap();
            summary.record(2); // after close: discarded
        }
    });
    go.recv().unwrap();
    summary.record(3);
    r.close();
    closed.send(()).unwrap();
    other.join().unwrap();
    summary.record(4); // after close: discarded
    r.flush();
    let got = drain_unix(&listener);
    let mut got = lines(&got);
    got.sort();
    assert_eq!(got, ["d:d:1", "d:d:3"]);
    assert_eq!(r.stats().lines_sent, 2);
}

#[test]
fn a_full_lane_goes_to_the_shared_buffer_which_sends_on_size() {
    const LINES: usize = 3_000; // "m:max.gauge:NNNN", some 50 KiB: three lanes' worth
    let dir = TempDir::new("lane-full");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let reader = Reader::start(listener);
    let r = registry(&path, 1000);
    let max = r.max_gauge("max.gauge", &[]);
    for i in 0..LINES {
        max.set(i);
    }
    // Without any flush, full lanes were handed over and sent in datagrams of the buffer size.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reader.lines() < 2_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        reader.lines() >= 2_000,
        "{} lines before a flush",
        reader.lines()
    );
    r.close();
    let datagrams = reader.finish();
    assert!(datagrams.iter().all(|d| d.len() <= 1000));
    let texts: Vec<String> = datagrams
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    let expected: Vec<String> = (0..LINES).map(|i| format!("m:max.gauge:{i}")).collect();
    assert_eq!(lines(&texts), expected, "one thread's lane keeps its order");
    let s = r.stats();
    assert_eq!((s.lines_sent, s.dropped.total()), (LINES as u64, 0));
}

#[test]
fn gauges_keep_their_order_across_threads() {
    const SETS: usize = 2_000;
    let dir = TempDir::new("lane-order");
    let path = dir.join("s.unix");
    let reader = Reader::start(unix_listener(&path));
    let r = registry(&path, 4096);
    let (gauge, timer) = (r.gauge("level", &[]), r.timer("latency", &[]));
    // Two threads take turns (a token passed over channels): each sets the gauge to the next
    // value and records a timer. A gauge line must reach spectatord after the ones set before
    // it on the other thread, or the last value would be wrong.
    let (to_odd, odd_turn) = std::sync::mpsc::channel::<usize>();
    let (to_even, even_turn) = std::sync::mpsc::channel::<usize>();
    to_even.send(0).unwrap();
    std::thread::scope(|s| {
        for (turn, next) in [(even_turn, to_odd), (odd_turn, to_even)] {
            let (gauge, timer) = (gauge.clone(), timer.clone());
            s.spawn(move || {
                while let Ok(i) = turn.recv() {
                    if i == SETS {
                        let _ = next.send(i);
                        return;
                    }
                    gauge.set(i);
                    timer.record(i);
                    let _ = next.send(i + 1);
                }
            });
        }
    });
    r.close();
    let texts: Vec<String> = reader
        .finish()
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    let all = lines(&texts);
    let gauges: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| l.starts_with("g:"))
        .collect();
    let expected: Vec<String> = (0..SETS).map(|i| format!("g:level:{i}")).collect();
    assert_eq!(gauges, expected);
    let mut timers: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| l.starts_with("t:"))
        .collect();
    timers.sort_unstable();
    let mut expected: Vec<String> = (0..SETS).map(|i| format!("t:latency:{i}")).collect();
    expected.sort_unstable();
    assert_eq!(timers, expected);
    assert_eq!(r.stats().lines_sent, 2 * SETS as u64);
}
