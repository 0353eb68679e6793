//! The `metrics` facade's cost per update and datagrams sent: spectator-metrics side by side
//! with `metrics-exporter-dogstatsd` 0.9 and `metrics-exporter-statsd` 0.9, all three over UDP
//! on loopback.
//!
//! Run with `cargo bench -p spectator-metrics`. A plain `main` (no harness): it prints figures
//! and ratios, never asserts a timing. Under `cargo test --all-targets` (a debug build, no
//! `--bench`), only the short datagram pass runs, as a check that every recorder delivers.
//!
//! # Workload
//!
//! One iteration is two updates: a counter with two labels and a histogram,
//!
//! ```text
//! counter!("server.requestCount", "country" => "US", "status" => "200").increment(1);
//! histogram!("server.responseSize").record((i % 1024) as f64);
//! ```
//!
//! through the macros (a registration and a lookup per call) or through handles taken once
//! (`let c = counter!(…)`), on one thread and on two (the same two meters, each thread with the
//! recorder as its local recorder). Each recorder with its defaults, except the address and
//! DogStatsD's flush interval, set to 1 s like spectator-metrics's aggregation:
//!
//! * **spectator-metrics**: counter aggregated (one line a second), one `d` line per histogram
//!   value, lines joined into datagrams of up to 60 KiB;
//! * **dogstatsd**: counter aggregated, histogram values kept in memory and sent packed
//!   (`name:v1:v2:…|d`) in payloads of at most 1432 bytes by its forwarder thread at each flush;
//! * **statsd**: one line formatted per update (a `String`) and queued to cadence's thread
//!   (queue of 5000; a full queue drops), which sends datagrams of up to 256 bytes.
//!
//! # Timing
//!
//! Every variant runs [`RUN`] per round, [`ROUNDS`] rounds interleaved; its figure is its best
//! round (interference on this shared 2-core machine only slows a run down). The timed runs send
//! to a UDP socket that is never read, so that no reader thread takes a core. "ns per update" is
//! the calling thread's time per update (wall time × threads / updates): the exporters'
//! background threads (DogStatsD's forwarder, cadence's queue thread) are not in it, though on
//! two threads they compete for the same two cores.
//!
//! So each variant also prints the **CPU time per update of the whole process**, every thread
//! included (`/proc/self/stat`'s user and system time, 10 ms ticks), from the start of its run
//! until, after the pause that follows it (1.2 s for DogStatsD, whose forwarder formats and
//! sends the values at its next flush), the process is idle again (at most one tick in 100 ms;
//! it is idle before each run starts too): what the updates cost the machine, wherever the
//! work is done.
//!
//! # Datagrams
//!
//! A separate pass sends 1M updates (macro path, one thread) from each recorder to a socket read
//! by a thread, waits until every datagram is in (DogStatsD spreads a flush's payloads over its
//! interval), and counts the datagrams, their bytes and the drops of that socket
//! (`/proc/net/udp`). Datagrams per second is that count per update times the recorder's own
//! single-thread macro-path rate.

use std::hint::black_box;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics::{counter, histogram, with_local_recorder, Recorder};
use metrics_exporter_dogstatsd::DogStatsDBuilder;
use metrics_exporter_statsd::StatsdBuilder;
use spectator_metrics::SpectatorRecorder;

const RUN: Duration = Duration::from_millis(1000);
const ROUNDS: usize = 3;
const WARMUP: Duration = Duration::from_millis(200);
/// Iterations between two clock reads.
const BATCH: u64 = 256;
/// Iterations of the datagram pass (two updates each).
const DATAGRAM_ITERATIONS: u64 = 500_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Spectator,
    DogStatsD,
    StatsD,
}

const KINDS: [Kind; 3] = [Kind::Spectator, Kind::DogStatsD, Kind::StatsD];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Spectator => "spectator-metrics",
            Kind::DogStatsD => "dogstatsd",
            Kind::StatsD => "statsd",
        }
    }

    /// A recorder sending to `port` on loopback.
    fn recorder(self, port: u16) -> Box<dyn Recorder + Send + Sync> {
        match self {
            Kind::Spectator => Box::new(
                SpectatorRecorder::builder()
                    .location(&format!("udp://127.0.0.1:{port}"))
                    .without_env()
                    .build()
                    .expect("spectator-metrics"),
            ),
            Kind::DogStatsD => Box::new(
                DogStatsDBuilder::default()
                    .with_remote_address(format!("127.0.0.1:{port}"))
                    .expect("address")
                    .with_flush_interval(Duration::from_secs(1))
                    .build()
                    .expect("dogstatsd"),
            ),
            Kind::StatsD => Box::new(
                StatsdBuilder::from("127.0.0.1", port)
                    .build(None)
                    .expect("statsd"),
            ),
        }
    }

    /// How long its background thread may still be sending after a run.
    fn settle(self) -> Duration {
        match self {
            Kind::DogStatsD => Duration::from_millis(1200),
            _ => Duration::from_millis(50),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Path {
    Macro,
    Handle,
}

/// One iteration through the macros.
#[inline]
fn macro_iteration(i: u64) {
    counter!("server.requestCount", "country" => "US", "status" => "200").increment(1);
    histogram!("server.responseSize").record((i % 1024) as f64);
}

/// Runs the workload on `threads` threads for `run` with `recorder` as each thread's local
/// recorder; returns the iterations done and the wall time.
fn timed(
    recorder: &(dyn Recorder + Sync),
    path: Path,
    threads: usize,
    run: Duration,
) -> (u64, Duration) {
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let done = &done;
            s.spawn(move || {
                with_local_recorder(recorder, || {
                    let c = counter!("server.requestCount", "country" => "US", "status" => "200");
                    let h = histogram!("server.responseSize");
                    let t0 = Instant::now();
                    let mut i = 0u64;
                    while t0.elapsed() < run {
                        match path {
                            Path::Macro => {
                                for _ in 0..BATCH {
                                    macro_iteration(black_box(i));
                                    i += 1;
                                }
                            }
                            Path::Handle => {
                                for _ in 0..BATCH {
                                    c.increment(1);
                                    h.record((black_box(i) % 1024) as f64);
                                    i += 1;
                                }
                            }
                        }
                    }
                    done.fetch_add(i, Relaxed);
                })
            });
        }
    });
    (done.load(Relaxed), start.elapsed())
}

/// The table's columns: the path and the number of threads.
const COLUMNS: [(Path, usize); 4] = [
    (Path::Macro, 1),
    (Path::Handle, 1),
    (Path::Macro, 2),
    (Path::Handle, 2),
];

/// Prints `data` (per variant, per round; `index` finds a variant) as a table of each
/// recorder's best round, all rounds in brackets, then each competitor's ratio to
/// spectator-metrics; returns in how many columns spectator-metrics has the least.
fn print_table(
    title: &str,
    ratio: &str,
    data: &[Vec<f64>],
    index: impl Fn(usize, Path, usize) -> usize,
) -> usize {
    let best = |v: usize| data[v].iter().copied().fold(f64::INFINITY, f64::min);
    println!("{title}");
    println!(
        "{:<18} {:>22} {:>22} {:>22} {:>22}",
        "recorder", "macro, 1 thread", "handle, 1 thread", "macro, 2 threads", "handle, 2 threads"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|&(p, t)| {
                let v = index(k, p, t);
                let all: Vec<String> = data[v].iter().map(|f| format!("{f:.0}")).collect();
                format!("{:.1} [{}]", best(v), all.join(" "))
            })
            .collect();
        println!(
            "{:<18} {:>22} {:>22} {:>22} {:>22}",
            kind.name(),
            cells[0],
            cells[1],
            cells[2],
            cells[3]
        );
    }
    let mut least = 0;
    for (p, t) in COLUMNS {
        let ours = best(index(0, p, t));
        let (dog, statsd) = (best(index(1, p, t)), best(index(2, p, t)));
        least += usize::from(ours <= dog && ours <= statsd);
        println!(
            "{ratio} {p:?}, {t} thread(s): dogstatsd/spectator {:.2}x, statsd/spectator {:.2}x",
            dog / ours,
            statsd / ours
        );
    }
    least
}

/// The CPU time (user and system) of every thread of this process so far, from
/// `/proc/self/stat` (in clock ticks of 10 ms); zero where it cannot be read.
fn process_cpu() -> Duration {
    const TICK: Duration = Duration::from_millis(10);
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name (which is in parentheses and may hold spaces):
    // state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u32>().ok())
            .unwrap_or(0)
    };
    TICK * (ticks(11) + ticks(12))
}

/// Waits (at most 5 s) until the process's threads have used no more than one clock tick of
/// CPU for 100 ms: every recorder's background work (a queue still being sent) is done.
fn wait_idle() {
    for _ in 0..50 {
        let before = process_cpu();
        std::thread::sleep(Duration::from_millis(100));
        if process_cpu().saturating_sub(before) <= Duration::from_millis(10) {
            return;
        }
    }
}

/// The kernel's drop count of the UDP socket bound to `port` on this host (`/proc/net/udp`).
fn socket_drops(port: u16) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1)?.ends_with(&wanted)).then(|| fields.last()?.parse().ok())?
    })
}

/// What a read socket received.
#[derive(Default)]
struct Received {
    datagrams: AtomicU64,
    bytes: AtomicU64,
    lines: AtomicU64,
    /// Milliseconds since `start` of the last datagram.
    last_ms: AtomicU64,
}

/// Sends the datagram pass's updates through `kind`'s recorder to a socket read by a thread;
/// returns (datagrams, bytes, lines, drops).
fn datagram_pass(kind: Kind, iterations: u64) -> (u64, u64, u64, u64) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let received = Arc::new(Received::default());
    let start = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while !stop.load(Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    received.datagrams.fetch_add(1, Relaxed);
                    received.bytes.fetch_add(n as u64, Relaxed);
                    let lines = buf[..n].split(|b| *b == b'\n').filter(|l| !l.is_empty());
                    received.lines.fetch_add(lines.count() as u64, Relaxed);
                    received
                        .last_ms
                        .store(start.elapsed().as_millis() as u64, Relaxed);
                }
            }
        })
    };
    let recorder = kind.recorder(port);
    with_local_recorder(&*recorder, || {
        for i in 0..iterations {
            macro_iteration(i);
        }
    });
    if kind == Kind::Spectator {
        drop(recorder); // the registry closes: the last report and buffer leave now
    } else {
        std::mem::forget(recorder); // their threads live on; they must flush by themselves
    }
    // Done when nothing arrived for 1.5 s, after at least 2.5 s (two DogStatsD flushes).
    let sent_at = start.elapsed();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = start.elapsed();
        let last = Duration::from_millis(received.last_ms.load(Relaxed));
        if now > sent_at + Duration::from_millis(2500) && now > last + Duration::from_millis(1500) {
            break;
        }
        if now > sent_at + Duration::from_secs(30) {
            break;
        }
    }
    let drops = socket_drops(port).unwrap_or(0);
    stop.store(true, Relaxed);
    reader.join().unwrap();
    (
        received.datagrams.load(Relaxed),
        received.bytes.load(Relaxed),
        received.lines.load(Relaxed),
        drops,
    )
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    if !benching {
        // A debug build under `cargo test`: check that each recorder delivers, quickly.
        for kind in KINDS {
            let (datagrams, bytes, lines, _) = datagram_pass(kind, 1_000);
            println!(
                "{}: {datagrams} datagrams, {bytes} bytes, {lines} lines",
                kind.name()
            );
            assert!(datagrams > 0 && lines > 0, "{} sent nothing", kind.name());
        }
        return;
    }

    // Timed rounds: every recorder sends to its own socket that nobody reads.
    let sinks: Vec<UdpSocket> = KINDS
        .iter()
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let recorders: Vec<Box<dyn Recorder + Send + Sync>> = KINDS
        .iter()
        .zip(&sinks)
        .map(|(k, s)| k.recorder(s.local_addr().unwrap().port()))
        .collect();
    let variants: Vec<(usize, Path, usize)> = (0..KINDS.len())
        .flat_map(|k| COLUMNS.map(|(p, t)| (k, p, t)))
        .collect();
    // ns per update, per variant, per round; and the process's CPU ns per update.
    let mut figures: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..=ROUNDS {
        let run = if round == 0 { WARMUP } else { RUN };
        for v in 0..variants.len() {
            let v = (v + round) % variants.len(); // rotate the order
            let (k, path, threads) = variants[v];
            wait_idle();
            let cpu_before = process_cpu();
            let (iterations, elapsed) = timed(&*recorders[k], path, threads, run);
            std::thread::sleep(KINDS[k].settle());
            wait_idle();
            let cpu_used = process_cpu().saturating_sub(cpu_before);
            if round > 0 {
                let ns = elapsed.as_nanos() as f64 * threads as f64 / (2 * iterations) as f64;
                figures[v].push(ns);
                cpu[v].push(cpu_used.as_nanos() as f64 / (2 * iterations) as f64);
            }
        }
    }
    let best = |v: usize| figures[v].iter().copied().fold(f64::INFINITY, f64::min);
    let index = |k: usize, path: Path, threads: usize| {
        variants
            .iter()
            .position(|&(kk, p, t)| kk == k && p == path && t == threads)
            .unwrap()
    };

    let fastest_variants = print_table(
        &format!("ns per update (best of {ROUNDS} rounds of {RUN:?}; all rounds in brackets):"),
        "ratio",
        &figures,
        index,
    );
    let least_cpu_variants = print_table(
        &format!("\nCPU ns per update, every thread of the process, until the recorder's background work for the run is done (best of {ROUNDS} rounds):"),
        "cpu ratio",
        &cpu,
        index,
    );
    let macro_cost = best(index(0, Path::Macro, 1)) - best(index(0, Path::Handle, 1));
    println!(
        "spectator-metrics: a macro call costs {macro_cost:.1} ns more than a held handle's update (1 thread)"
    );

    drop(recorders);
    println!(
        "\ndatagrams for {}M updates (macro path, 1 thread, socket read):",
        2 * DATAGRAM_ITERATIONS / 1_000_000
    );
    let mut per_update = [0f64; 3];
    for (k, kind) in KINDS.iter().enumerate() {
        let (datagrams, bytes, lines, drops) = datagram_pass(*kind, DATAGRAM_ITERATIONS);
        let sent = datagrams + drops;
        per_update[k] = sent as f64 / (2 * DATAGRAM_ITERATIONS) as f64;
        let rate = 1e9 / best(index(k, Path::Macro, 1));
        println!(
            "{:<18} {sent:>8} datagrams ({drops} dropped by the receiver), {:>6.0} bytes each, {lines} lines: {:.0} datagrams/s at its {:.1} M updates/s",
            kind.name(),
            bytes as f64 / datagrams.max(1) as f64,
            per_update[k] * rate,
            rate / 1e6
        );
    }
    println!(
        "summary: spectator-metrics fastest per update on the calling thread in every variant: {} ({fastest_variants} of 4); least CPU per update, whole process, in every variant: {}; datagrams per update vs dogstatsd: {:.3}x ({})",
        if fastest_variants == COLUMNS.len() { "yes" } else { "MISSED" },
        if least_cpu_variants == COLUMNS.len() { "yes" } else { "MISSED" },
        per_update[0] / per_update[1],
        if per_update[0] <= per_update[1] { "target met: never more" } else { "MISSED: more" }
    );
}
