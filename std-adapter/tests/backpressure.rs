//! spectator-std against a stalled Unix receiver (bound, never read): sends never block, drops
//! are counted, every line is accounted for, and delivery resumes by itself when the receiver
//! is restarted at the same path (spec §7.1, §14.9).

mod common;

use std::os::unix::net::UnixDatagram;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{drain_unix, unix_listener, Reader, TempDir, NO_ENV};
use spectator_std::{Config, Registry, Stats};

const UPDATES: u64 = 10_000;

/// A 256-byte counter line (`c:` + 252-byte name + `:1`), so that 10,000 of them (2.5 MB) are
/// more than the kernel queue plus the 1 MiB backlog of the buffered output can hold.
fn long_name() -> String {
    let mut name = String::from("stalled.");
    while name.len() < 252 {
        name.push('x');
    }
    name
}

/// The buffered output's backlog in these tests (the default is 4 MiB).
const BACKLOG: usize = 1 << 20;

fn registry(path: &std::path::Path, buffer_size: usize, flush: Duration) -> Registry {
    Registry::new(
        Config::builder()
            .location(&format!("unix://{}", path.display()))
            .env(NO_ENV)
            .buffer_size(buffer_size)
            .flush_interval(flush)
            .backlog_size(BACKLOG)
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Runs `f` on another thread and waits at most 10 s for it: a blocking send fails the test
/// instead of hanging it. Returns the elapsed time.
fn bounded(label: &str, f: impl FnOnce() + Send + 'static) -> Duration {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        f();
        let _ = done.send(start.elapsed());
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{label}: writes did not complete within 10 s (blocked?)"))
}

/// `UPDATES` increments of a counter named `name`, bounded in time; prints the elapsed time.
fn write_updates_bounded(r: &Registry, name: &str, label: &str) -> Duration {
    let counter = r.counter(name, &[]);
    let elapsed = bounded(label, move || {
        for _ in 0..UPDATES {
            counter.increment();
        }
    });
    println!(
        "{label}: {UPDATES} updates to a stalled receiver took {elapsed:?} ({:.2} us/update)",
        elapsed.as_secs_f64() * 1e6 / UPDATES as f64
    );
    elapsed
}

fn report(label: &str, s: &Stats) {
    println!(
        "{label}: lines_sent={} datagrams_sent={} dropped={:?} send_errors={}",
        s.lines_sent, s.datagrams_sent, s.dropped, s.send_errors
    );
}

/// Splits datagrams into lines, checking that every line is `expected`.
fn count_lines(datagrams: &[String], expected: &str) -> u64 {
    let mut n = 0;
    for d in datagrams {
        for line in d.split('\n') {
            assert_eq!(line, expected);
            n += 1;
        }
    }
    n
}

#[test]
fn stalled_receiver_unbuffered_never_blocks_and_counts_drops() {
    let dir = TempDir::new("bp-unbuf");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 0, Duration::ZERO);
    let name = long_name();
    write_updates_bounded(&r, &name, "unbuffered");
    let s = r.stats();
    report("unbuffered", &s);
    assert!(s.dropped.backpressure > 0, "no drops: {s:?}");
    assert_eq!(s.dropped.total(), s.dropped.backpressure);
    assert_eq!(s.lines_sent + s.dropped.total(), UPDATES);
    assert_eq!(s.send_errors, 0);
    // Exactly the lines counted as sent are waiting in the receiver's queue.
    let line = format!("c:{name}:1");
    let received = drain_unix(&listener);
    assert!(received.iter().all(|d| *d == line));
    assert_eq!(received.len() as u64, s.lines_sent);
}

#[test]
fn stalled_receiver_buffered_backlog_then_drops_every_line_accounted() {
    let dir = TempDir::new("bp-buf");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 4096, Duration::ZERO);
    let name = long_name();
    write_updates_bounded(&r, &name, "buffered");
    let s = r.stats();
    report("buffered, stalled", &s);
    assert!(s.dropped.backpressure > 0, "no drops: {s:?}");
    assert_eq!(s.dropped.total(), s.dropped.backpressure);
    assert_eq!(s.send_errors, 0);
    // Lines in the backlog and the open buffer are neither sent nor dropped yet; what counts
    // as sent is exactly what the receiver's queue holds.
    assert!(s.lines_sent + s.dropped.total() < UPDATES);
    let line = format!("c:{name}:1");
    let mut received = count_lines(&drain_unix(&listener), &line);
    assert_eq!(received, s.lines_sent);

    // The receiver wakes up: flushing drains the backlog into it, and then every line is
    // either received or counted as dropped.
    let deadline = Instant::now() + Duration::from_secs(10);
    let s = loop {
        r.flush();
        received += count_lines(&drain_unix(&listener), &line);
        let s = r.stats();
        if s.lines_sent + s.dropped.total() == UPDATES && received == s.lines_sent {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "not all lines accounted for after 10 s: received {received}, {s:?}"
        );
    };
    report("buffered, drained", &s);
    assert_eq!(s.lines_sent + s.dropped.backpressure, UPDATES);
    assert_eq!(received, s.lines_sent);
    assert!(s.dropped.backpressure > 0);
}

/// `close()` with a stalled receiver: whatever is left in the backlog will never be sent, so it
/// must be counted as dropped. (Regression test: before e14ccd9, ~4,075 lines stayed in the
/// backlog at close, counted neither as sent nor as dropped.)
#[test]
fn stalled_receiver_buffered_close_accounts_for_every_line() {
    let dir = TempDir::new("bp-close");
    let path = dir.join("s.unix");
    let _listener = unix_listener(&path);
    let r = registry(&path, 4096, Duration::ZERO);
    write_updates_bounded(&r, &long_name(), "buffered, close");
    let r2 = r.clone();
    let took = bounded("close", move || r2.close());
    let s = r.stats();
    report("buffered, after close", &s);
    println!("close() with a stalled receiver took {took:?}");
    assert_eq!(s.lines_sent + s.dropped.total(), UPDATES, "{s:?}");
    assert_eq!(s.dropped.total(), s.dropped.backpressure);
}

/// `close()` with a receiver that is behind but reading: the backlog reaches it.
#[test]
fn slow_receiver_gets_the_backlog_at_close() {
    let dir = TempDir::new("bp-slow");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = registry(&path, 4096, Duration::ZERO);
    let name = long_name();
    let counter = r.counter(&name, &[]);
    const LINES: u64 = 2_000; // ~0.5 MB: in the kernel queue and the backlog, none dropped
    bounded("slow receiver", move || {
        for _ in 0..LINES {
            counter.increment();
        }
    });
    let s = r.stats();
    assert_eq!(s.dropped.total(), 0, "{s:?}");
    assert!(s.lines_sent < LINES);

    // The receiver catches up while close() runs.
    let line = format!("c:{name}:1");
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        let mut lines = 0;
        // Reads until idle for 100 ms (the listener's read timeout).
        while let Ok(n) = listener.recv(&mut buf) {
            let d = std::str::from_utf8(&buf[..n]).unwrap();
            lines += count_lines(&[d.to_owned()], &line);
        }
        lines
    });
    let r2 = r.clone();
    let took = bounded("close", move || r2.close());
    let received = reader.join().unwrap();
    let s = r.stats();
    println!("slow receiver: close() took {took:?}; received {received} of {LINES} lines");
    assert_eq!(
        (received, s.lines_sent, s.dropped.total()),
        (LINES, LINES, 0)
    );
}

#[test]
fn restarted_receiver_unbuffered_delivery_resumes() {
    let dir = TempDir::new("bp-rs0");
    let path = dir.join("s.unix");
    let stalled = unix_listener(&path);
    let r = registry(&path, 0, Duration::ZERO);
    let before = r.counter("before", &[]);
    bounded("unbuffered restart, stalled", move || {
        for _ in 0..100 {
            before.increment();
        }
    });
    let s = r.stats();
    report("unbuffered restart, stalled", &s);
    assert!(s.dropped.backpressure > 0);
    assert_eq!(s.lines_sent + s.dropped.backpressure, 100);

    // spectatord restarts: the old socket goes away, a new one is bound at the same path.
    std::fs::remove_file(&path).unwrap();
    let old = drain_unix(&stalled);
    drop(stalled);
    let restarted = unix_listener(&path);

    let r2 = r.clone();
    bounded("unbuffered restart, resumed", move || {
        for i in 0..5 {
            r2.counter("after", &[("i", &i.to_string())]).increment();
        }
    });
    assert_eq!(
        drain_unix(&restarted),
        [
            "c:after,i=0:1",
            "c:after,i=1:1",
            "c:after,i=2:1",
            "c:after,i=3:1",
            "c:after,i=4:1"
        ]
    );
    assert_eq!(old.len() as u64, s.lines_sent);
    assert!(old.iter().all(|d| d == "c:before:1"));
    let t = r.stats();
    assert_eq!(t.lines_sent, s.lines_sent + 5);
    assert_eq!(t.dropped, s.dropped);
}

#[test]
fn restarted_receiver_buffered_delivery_resumes_without_caller_action() {
    let dir = TempDir::new("bp-rs1");
    let path = dir.join("s.unix");
    let stalled = unix_listener(&path);
    let r = registry(&path, 4096, Duration::from_millis(100));
    let name = long_name();
    let old_line = format!("c:{name}:1");
    let before = r.counter(&name, &[]);
    const BEFORE: u64 = 400; // ~27 datagrams: more than the kernel queue holds
    bounded("buffered restart, stalled", move || {
        for _ in 0..BEFORE {
            before.increment();
        }
    });
    let s = r.stats();
    report("buffered restart, stalled", &s);
    // The kernel queue is full and the rest waits in the backlog: nothing dropped yet.
    assert!(s.lines_sent < BEFORE);
    assert_eq!(s.dropped.total(), 0);

    std::fs::remove_file(&path).unwrap();
    let restarted = UnixDatagram::bind(&path).unwrap();
    restarted
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let old = drain_unix(&stalled);
    drop(stalled);
    assert_eq!(count_lines(&old, &old_line), s.lines_sent);

    // A reader drains the new socket, as spectatord would.
    let reader = Reader::start(restarted);

    // New lines, then nothing from the caller: the background flush delivers them.
    let r2 = r.clone();
    bounded("buffered restart, resumed", move || {
        for i in 0..3 {
            r2.counter("after", &[("i", &i.to_string())]).increment();
        }
    });
    // The new lines join the old ones still in the open buffer, so they end a datagram.
    let markers = "c:after,i=0:1\nc:after,i=1:1\nc:after,i=2:1";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.texts().iter().any(|d| d.ends_with(markers)) {
        assert!(
            Instant::now() < deadline,
            "new lines not delivered within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut got = reader.texts();
    drop(reader);
    // Everything before the markers is old lines, in whole datagrams, in order.
    let last = got.pop().unwrap();
    let old_in_last = last.strip_suffix(markers).unwrap();
    got.push(old_in_last.trim_end_matches('\n').to_owned());
    got.retain(|d| !d.is_empty());
    let from_backlog = count_lines(&got, &old_line);
    let in_old_queue = count_lines(&old, &old_line);
    let t = r.stats();
    report("buffered restart, resumed", &t);
    println!("buffered restart: {in_old_queue} lines in the old socket's queue, {from_backlog} delivered from the backlog to the new one");
    assert_eq!(t.lines_sent, in_old_queue + from_backlog + 3);
    assert_eq!(t.lines_sent + t.dropped.total(), BEFORE + 3);
}
