//! The ingest benchmark: how many lines per second the listener's hot path (spectatord's
//! acceptance rules + aggregation) takes, in process and over loopback UDP, against the
//! 1,000,000 lines/s target.
//!
//! Run with `cargo bench -p spectator-cli` (10M lines) or `spectator bench-ingest --lines N`.
//! Three measurements:
//!
//! 1. **in process**: the datagrams go straight into an [`Aggregator`], one clock read per
//!    datagram, as the receiving thread does; once with the counter lines, once with
//!    percentile-timer lines (each value also counted in its percentile bucket, [`Mix`]);
//! 2. **over UDP, paced at 1M lines/s**: a sender thread sends the datagrams to a [`Listener`]
//!    over loopback at the target rate; every line must arrive (none lost);
//! 3. **over UDP, flow-controlled**: the sender sends as fast as the listener takes lines,
//!    keeping at most 4 MiB in flight (below the socket's receive buffer, so nothing is
//!    dropped): the listener's maximum sustained rate.
//!
//! Besides wall-clock rates, each figure gives the rate per second of CPU time of the thread
//! doing the work (from `/proc/thread-self/schedstat`), which stays meaningful on a busy machine.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aggregator::Aggregator;
use crate::clock::{wall_nanos, SystemClock};
use crate::listen::{ListenConfig, Listener};

/// The target: lines per second.
pub const TARGET: f64 = 1_000_000.0;
/// Datagram size used by the benchmark: spectator-std's default maximum.
pub const DATAGRAM: usize = 60 * 1024;
/// Bytes in flight at most in the flow-controlled run.
const WINDOW_BYTES: usize = 4 << 20;

/// What the benchmark's lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// 2-tag counter lines over 120 ids: `c:server.numRequests,nf.app=ingest-bench-3,status=207:1`.
    Counters,
    /// 2-tag percentile-timer lines over 120 ids, with durations from 1 µs to 1 s:
    /// `T:server.requestLatency,nf.app=ingest-bench-3,status=207:0.012345`.
    PercentileTimers,
}

/// Datagrams of at most 60 KiB holding `lines` 2-tag counter lines over 120 ids, e.g.
/// `c:server.numRequests,nf.app=ingest-bench-3,status=207:1`; also returns the mean line length.
pub fn datagrams(lines: u64) -> (Vec<Vec<u8>>, f64) {
    datagrams_of(lines, Mix::Counters)
}

/// Datagrams of at most 60 KiB holding `lines` lines of `mix`; also returns the mean line
/// length.
pub fn datagrams_of(lines: u64, mix: Mix) -> (Vec<Vec<u8>>, f64) {
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::with_capacity(DATAGRAM);
    let mut bytes = 0usize;
    for i in 0..lines {
        let (app, status) = (i % 8, 200 + i % 15);
        let line = match mix {
            Mix::Counters => {
                format!("c:server.numRequests,nf.app=ingest-bench-{app},status={status}:1")
            }
            Mix::PercentileTimers => {
                // 1 µs to about 1 s, spread over the buckets.
                let micros = 1 + (i.wrapping_mul(2_654_435_761) % 1_000_000);
                format!(
                    "T:server.requestLatency,nf.app=ingest-bench-{app},status={status}:{}",
                    micros as f64 / 1e6
                )
            }
        };
        bytes += line.len();
        if !current.is_empty() && current.len() + 1 + line.len() > DATAGRAM {
            out.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(DATAGRAM),
            ));
        }
        if !current.is_empty() {
            current.push(b'\n');
        }
        current.extend_from_slice(line.as_bytes());
    }
    if !current.is_empty() {
        out.push(current);
    }
    (out, bytes as f64 / lines.max(1) as f64)
}

/// CPU time of a thread so far, from `/proc/.../schedstat` (`None` where unavailable).
fn cpu_time(schedstat: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(schedstat).ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The `schedstat` path of this process's thread named `name`.
fn thread_schedstat(name: &str) -> Option<String> {
    std::fs::read_dir("/proc/self/task").ok()?.find_map(|task| {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
        (comm.trim() == name).then(|| dir.join("schedstat").to_string_lossy().into_owned())
    })
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Lines offered.
    pub sent: u64,
    /// Lines aggregated.
    pub received: u64,
    /// Wall-clock seconds taken.
    pub seconds: f64,
    /// CPU seconds of the aggregating thread, if known.
    pub cpu_seconds: Option<f64>,
}

impl Figure {
    /// Lines aggregated per second (wall clock).
    pub fn lines_per_second(&self) -> f64 {
        self.received as f64 / self.seconds
    }

    /// Lines aggregated per CPU second of the aggregating thread.
    pub fn lines_per_cpu_second(&self) -> Option<f64> {
        self.cpu_seconds.map(|c| self.received as f64 / c)
    }

    /// The wall-clock rate's ratio to [`TARGET`].
    pub fn ratio(&self) -> f64 {
        self.lines_per_second() / TARGET
    }

    /// Lines sent but not aggregated.
    pub fn lost(&self) -> u64 {
        self.sent - self.received
    }

    /// `10000000 lines in 5.1 s: 1.96M lines/s (1.96x the 1M target); per CPU second of the
    /// receiving thread: 2.4M (2.40x); 0 lost`.
    pub fn describe(&self) -> String {
        let cpu = self.lines_per_cpu_second().map_or(String::new(), |r| {
            format!(
                "; per CPU second of the aggregating thread {:.2}M ({:.2}x)",
                r / 1e6,
                r / TARGET
            )
        });
        format!(
            "{} lines in {:.3} s: {:.2}M lines/s ({:.2}x the 1M target){cpu}; {} lost",
            self.received,
            self.seconds,
            self.lines_per_second() / 1e6,
            self.ratio(),
            self.lost()
        )
    }
}

/// Lines in a datagram.
fn lines_of(datagram: &[u8]) -> u64 {
    1 + datagram.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Feeds `lines` counter lines through an [`Aggregator`] in this thread, as the receiving
/// thread does (one clock read per datagram).
pub fn in_process(lines: u64) -> Figure {
    in_process_of(lines, Mix::Counters)
}

/// [`in_process`] with the lines of `mix`.
pub fn in_process_of(lines: u64, mix: Mix) -> Figure {
    let (datagrams, _) = datagrams_of(lines, mix);
    let clock = SystemClock;
    let mut aggregator = Aggregator::new(Duration::from_secs(5));
    let cpu_start = cpu_time("/proc/thread-self/schedstat");
    let start = Instant::now();
    for d in &datagrams {
        aggregator.ingest(d, wall_nanos(&clock));
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu_end = cpu_time("/proc/thread-self/schedstat");
    let counts = aggregator.step(wall_nanos(&clock)).counts;
    assert_eq!(counts.accepted, lines, "every benchmark line is accepted");
    Figure {
        sent: lines,
        received: counts.accepted,
        seconds,
        cpu_seconds: cpu_start
            .zip(cpu_end)
            .map(|(a, b)| (b.saturating_sub(a)).as_secs_f64()),
    }
}

/// How the sender of [`over_udp`] is held back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// At most this many lines per second.
    Rate(f64),
    /// As fast as the listener takes lines, with at most 4 MiB in flight.
    FlowControlled,
}

/// Sends `lines` lines from a sender thread over loopback UDP to a [`Listener`] in 60 KiB
/// datagrams. The time runs from the first send to the last line aggregated (the wait ends
/// 0.5 s after the last progress).
pub fn over_udp(lines: u64, pace: Pace) -> std::io::Result<Figure> {
    let (datagrams, _) = datagrams(lines);
    let sent: u64 = datagrams.iter().map(|d| lines_of(d)).sum();
    let listener = Arc::new(Listener::start(
        &ListenConfig {
            udp: Some(([127, 0, 0, 1], 0).into()),
            unix: None,
            step: Duration::from_secs(3600),
            print_messages: false,
        },
        Arc::new(SystemClock),
    )?);
    let addr = listener
        .udp_addr()
        .ok_or_else(|| std::io::Error::other("no UDP address"))?;
    // The thread names itself once it runs.
    let receiver_stat = (0..100).find_map(|_| {
        thread_schedstat("spectator-udp").or_else(|| {
            std::thread::sleep(Duration::from_millis(1));
            None
        })
    });
    let cpu_start = receiver_stat.as_deref().and_then(cpu_time);
    let done = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let sender = {
        let listener = Arc::clone(&listener);
        let done = Arc::clone(&done);
        std::thread::spawn(move || -> std::io::Result<()> {
            let socket = UdpSocket::bind(("127.0.0.1", 0))?;
            let window = (WINDOW_BYTES / DATAGRAM) as u64 * lines_of(&datagrams[0]);
            let mut offered = 0u64;
            for d in &datagrams {
                match pace {
                    Pace::Rate(rate) => {
                        let due = start + Duration::from_secs_f64(offered as f64 / rate);
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                    }
                    Pace::FlowControlled => {
                        while offered.saturating_sub(listener.counts().accepted) > window {
                            std::thread::yield_now();
                        }
                    }
                }
                socket.send_to(d, addr)?;
                offered += lines_of(d);
            }
            done.store(true, Ordering::SeqCst);
            Ok(())
        })
    };
    let mut last = (0u64, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(2));
        let accepted = listener.counts().accepted;
        if accepted != last.0 {
            last = (accepted, Instant::now());
        }
        let stalled = done.load(Ordering::SeqCst) && last.1.elapsed() > Duration::from_millis(500);
        if accepted >= sent || stalled {
            break;
        }
    }
    let cpu_end = receiver_stat.as_deref().and_then(cpu_time);
    sender
        .join()
        .map_err(|_| std::io::Error::other("sender panicked"))??;
    let seconds = last.1.duration_since(start).as_secs_f64();
    Ok(Figure {
        sent,
        received: last.0,
        seconds,
        cpu_seconds: cpu_start
            .zip(cpu_end)
            .map(|(a, b)| (b.saturating_sub(a)).as_secs_f64()),
    })
}

/// Runs the measurements and prints them; `in_process_only` skips the UDP ones.
pub fn run(lines: u64, in_process_only: bool) -> std::io::Result<()> {
    let (_, mean) = datagrams(1000);
    println!(
        "ingest benchmark: {lines} two-tag counter lines of {mean:.0} bytes in {} KiB datagrams; target 1,000,000 lines/s; {} CPUs",
        DATAGRAM / 1024,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let figure = in_process(lines);
    println!("in process (parse + aggregate):     {}", figure.describe());
    let (_, mean) = datagrams_of(1000, Mix::PercentileTimers);
    let figure = in_process_of(lines, Mix::PercentileTimers);
    println!(
        "in process, percentile timers ({mean:.0}-byte T lines, 276 buckets each): {}",
        figure.describe()
    );
    if in_process_only {
        return Ok(());
    }
    let figure = over_udp(lines, Pace::Rate(TARGET))?;
    println!("over loopback UDP, paced at 1M/s:   {}", figure.describe());
    let figure = over_udp(lines, Pace::FlowControlled)?;
    println!("over loopback UDP, flow-controlled: {}", figure.describe());
    Ok(())
}
