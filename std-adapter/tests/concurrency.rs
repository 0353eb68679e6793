//! spectator-std under contention: 4 threads x 250,000 increments on one shared Registry with a
//! 60 KiB line buffer, to a Unix socket drained by a reader thread. Every line must arrive,
//! whole, in datagrams no larger than the buffer.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Reader, TempDir};
use spectator_std::{Config, Registry};

const THREADS: usize = 4;
const PER_THREAD: usize = 250_000;
const CAP: usize = 60 * 1024;

#[test]
fn four_threads_a_million_lines_none_lost_none_torn() {
    let dir = TempDir::new("conc");
    let path = dir.join("s.unix");
    let listener = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // The reader only copies datagrams out (checked after the run), to keep up with the writers.
    let reader = Reader::start(listener);

    let registry = Registry::new(
        Config::builder()
            .location(&format!("unix://{}", path.display()))
            .env([("NETFLIX_PROCESS_NAME", "conc")])
            .buffer_size(CAP)
            .build()
            .unwrap(),
    )
    .unwrap();
    let start = Instant::now();
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let counter = registry.counter("conc.requests", &[("thread", &t.to_string())]);
            std::thread::spawn(move || {
                for _ in 0..PER_THREAD {
                    counter.increment();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let wrote = start.elapsed();
    registry.close();
    let stats = registry.stats();
    let datagrams = reader.finish();
    println!(
        "{} lines written by {THREADS} threads in {wrote:?}; {} datagrams received; stats {stats:?}",
        THREADS * PER_THREAD,
        datagrams.len()
    );

    let mut per_line: BTreeMap<&[u8], usize> = BTreeMap::new();
    let mut largest = 0;
    for d in &datagrams {
        largest = largest.max(d.len());
        for line in d.split(|b| *b == b'\n') {
            *per_line.entry(line).or_default() += 1;
        }
    }
    println!("largest datagram: {largest} bytes (cap {CAP})");
    let expected: BTreeMap<Vec<u8>, usize> = (0..THREADS)
        .map(|t| {
            let line = format!("c:conc.requests,nf.process=conc,thread={t}:1");
            (line.into_bytes(), PER_THREAD)
        })
        .collect();
    let got: BTreeMap<Vec<u8>, usize> =
        per_line.into_iter().map(|(l, n)| (l.to_vec(), n)).collect();
    if got != expected {
        let shown: Vec<(String, usize)> = got
            .iter()
            .take(10)
            .map(|(l, n)| (String::from_utf8_lossy(l).into_owned(), *n))
            .collect();
        panic!(
            "lines received differ: {} distinct, total {}; first: {shown:?}; stats {stats:?}",
            got.len(),
            got.values().sum::<usize>()
        );
    }
    assert!(largest <= CAP, "a datagram of {largest} bytes");
    assert_eq!(stats.lines_sent, (THREADS * PER_THREAD) as u64);
    assert_eq!(stats.dropped.total(), 0);
    assert_eq!(stats.datagrams_sent, datagrams.len() as u64);
    assert_eq!(
        stats.bytes_sent,
        datagrams.iter().map(|d| d.len() as u64).sum::<u64>()
    );
}
