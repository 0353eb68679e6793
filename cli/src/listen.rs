//! `spectator listen`: receive datagrams like spectatord, and print what it would publish.
//!
//! A [`Listener`] binds a UDP socket (by default `[::]:1234`, dual stack: IPv4 clients reach it
//! too; `0.0.0.0` when IPv6 is unavailable) and optionally a Unix datagram socket, each with a
//! large receive buffer and its own receiving thread, feeding one shared [`Aggregator`].
//! [`run_steps`] ends a step every step length and hands each [`StepReport`] to the caller.
//!
//! # Steps on the wall clock
//!
//! The step length is spectatord's `--frequency` (its publishing interval, 5 s by default).
//! Steps end on multiples of the step length since the Unix epoch (a 5 s step ends at :00, :05,
//! :10, …), the boundaries of the intervals Atlas stores and graphs, so a step here lines up with
//! a data point there; the first step runs from the start to the first boundary, and is partial
//! (its counter rates still divide by the whole step, as Atlas's would). spectatord 429cd8d
//! itself publishes every `--frequency` from its start, and Atlas puts each publication in the
//! interval it falls in.
//!
//! # JSON output (`--json`)
//!
//! One object per step, on one line:
//!
//! ```json
//! {"step": 1, "time_ms": 1700000005000, "step_seconds": 5.0,
//!  "datagrams": 3, "bytes": 181,
//!  "lines": {"total": 4, "accepted": 3, "warnings": 1, "rejected": 1, "ignored": 0},
//!  "meters": [
//!    {"type": "counter", "symbol": "c", "id": "req,status=200", "name": "req",
//!     "tags": {"status": "200"}, "rate": 0.4, "sum": 2},
//!    {"type": "percentile-timer", "symbol": "T", "id": "lat", "name": "lat", "tags": {},
//!     "count": 2, "total": 0.75, "max": 0.5,
//!     "percentiles": {"p50": 0.268435456, "p90": 0.518975214, "p99": 0.5350813413, "p99.9": 0.53669195403}}
//!  ],
//!  "rejected": [{"line": "g,0:q:1", "error": "Invalid ttl specified for gauge at index 2"},
//!               {"line": "S:x:5x", "error": "Unknown type: S",
//!                "warning": "While parsing x:5x: Got 5 parsing value, ignoring chars starting at x"}],
//!  "warnings": [{"line": "c:req,status=200:1x", "warning": "Got 1 parsing value, ignoring chars starting at x"}],
//!  "invalid_for_atlas": [{"id": "x,k=v", "reason": "tag key 'k' is 1 character long; Atlas accepts 2 to 60"}],
//!  "notes": []}
//! ```
//!
//! Per meter type, besides `type`, `symbol`, `id`, `name` and `tags`: counters `rate` (per
//! second) and `sum`; gauges `value` and `ttl_seconds`; max gauges and age gauges `value`
//! (seconds since, for age gauges); timers, percentile timers, distribution summaries and
//! percentile distribution summaries `count`, `total` and `max` (seconds for timers), and for
//! the percentile ones `percentiles` (`p50`, `p90`, `p99`, `p99.9`, seconds for timers, as
//! Atlas estimates them from spectatord's buckets); monotonic counters `delta`. A rejected line
//! that spectatord logged a warning for first has its `warning`; `invalid_for_atlas` lists the
//! step's ids that the Atlas backend drops, once each, with the rule broken. Numbers JSON cannot
//! hold are the strings `"inf"`, `"-inf"`, `"nan"`.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::aggregator::Aggregator;
use crate::clock::{wall_nanos, Clock, Nanos};
use crate::report::{LineCounts, StepReport};

/// spectatord's UDP address: the IPv6 any-address, dual stack, port 1234.
pub const DEFAULT_UDP: &str = "[::]:1234";
/// The receive buffer asked for (the kernel caps it at `net.core.rmem_max`).
pub const RECV_BUFFER: usize = 16 << 20;
/// spectatord's receive buffer per datagram.
pub const MAX_DATAGRAM: usize = 65_536;
/// How often a receiving thread checks whether it should stop.
const POLL: Duration = Duration::from_millis(50);

/// What to listen on.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// A UDP address (`[::]:1234`, `127.0.0.1:0`, …), or none.
    pub udp: Option<SocketAddr>,
    /// A Unix datagram socket path, or none.
    pub unix: Option<PathBuf>,
    /// The step length.
    pub step: Duration,
    /// Whether receiving threads print rejected lines and warnings to stderr as they come.
    pub print_messages: bool,
}

fn open_udp(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    // Best effort: the kernel caps it, and a small buffer only means drops under load.
    let _ = socket.set_recv_buffer_size(RECV_BUFFER);
    socket.bind(&addr.into())?;
    socket.set_read_timeout(Some(POLL))?;
    Ok(socket)
}

/// Binds a UDP socket at `addr` with a large receive buffer; for the IPv6 any-address, dual
/// stack (`IPV6_V6ONLY` off), falling back to `0.0.0.0` on the same port when IPv6 is not
/// available (the second value then says so).
pub fn bind_udp(addr: SocketAddr) -> io::Result<(UdpSocket, Option<String>)> {
    match open_udp(addr) {
        Ok(socket) => Ok((socket.into(), None)),
        Err(e) if addr.ip() == Ipv6Addr::UNSPECIFIED && e.kind() != io::ErrorKind::AddrInUse => {
            let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), addr.port());
            let socket = open_udp(v4)?;
            let note = format!("IPv6 is not available ({e}); listening on IPv4 only");
            Ok((socket.into(), Some(note)))
        }
        Err(e) => Err(e),
    }
}

/// Binds a Unix datagram socket at `path` like spectatord: the parent directory is created, and
/// a stale socket file is replaced.
pub fn bind_unix(path: &Path) -> io::Result<UnixDatagram> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(path)?;
    }
    let socket = UnixDatagram::bind(path)?;
    let _ = SockRef::from(&socket).set_recv_buffer_size(RECV_BUFFER);
    socket.set_read_timeout(Some(POLL))?;
    Ok(socket)
}

/// A datagram socket a receiving thread reads from.
trait Source: Send + 'static {
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
}

impl Source for UdpSocket {
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        UdpSocket::recv(self, buf)
    }
}

impl Source for UnixDatagram {
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        UnixDatagram::recv(self, buf)
    }
}

struct Shared {
    aggregator: Mutex<Aggregator>,
    stop: AtomicBool,
    clock: Arc<dyn Clock>,
    print_messages: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Aggregator> {
        self.aggregator
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Receives datagrams until told to stop; one aggregator lock per datagram.
fn receive_loop(source: impl Source, shared: Arc<Shared>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while !shared.stop.load(Ordering::Relaxed) {
        match source.recv(&mut buf) {
            Ok(n) => {
                let now = wall_nanos(&*shared.clock);
                let datagram = buf.get(..n).unwrap_or_default();
                let messages = {
                    let mut aggregator = shared.lock();
                    aggregator.ingest(datagram, now);
                    aggregator.take_messages()
                };
                if shared.print_messages {
                    if n == buf.len() {
                        eprintln!("datagram of {n} bytes or more: spectatord reads at most {MAX_DATAGRAM} bytes and logs 'too many bytes transferred'");
                    }
                    for m in messages {
                        eprintln!("{m}");
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                eprintln!("receive error: {e}");
                std::thread::sleep(POLL);
            }
        }
    }
}

/// Sockets bound and threads receiving into one [`Aggregator`]. Dropping it stops the threads
/// and removes the Unix socket file.
pub struct Listener {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    udp: Option<SocketAddr>,
    unix: Option<PathBuf>,
    notes: Vec<String>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("udp", &self.udp)
            .field("unix", &self.unix)
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// Binds the sockets of `config` and starts receiving, with `clock` as the time source.
    pub fn start(config: &ListenConfig, clock: Arc<dyn Clock>) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            aggregator: Mutex::new(Aggregator::new(config.step)),
            stop: AtomicBool::new(false),
            clock,
            print_messages: config.print_messages,
        });
        let mut listener = Listener {
            shared: Arc::clone(&shared),
            threads: Vec::new(),
            udp: None,
            unix: None,
            notes: Vec::new(),
        };
        if let Some(addr) = config.udp {
            let (socket, note) = bind_udp(addr).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot listen on udp {addr}: {e}"))
            })?;
            listener.notes.extend(note);
            let local = socket.local_addr()?;
            let buffer = SockRef::from(&socket).recv_buffer_size().unwrap_or(0);
            listener.notes.push(format!(
                "listening on udp://{local} (receive buffer {buffer} bytes)"
            ));
            listener.udp = Some(local);
            listener.spawn("spectator-udp", socket)?;
        }
        if let Some(path) = &config.unix {
            let socket = bind_unix(path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot listen on unix {}: {e}", path.display()),
                )
            })?;
            listener
                .notes
                .push(format!("listening on unix://{}", path.display()));
            listener.unix = Some(path.clone());
            listener.spawn("spectator-unix", socket)?;
        }
        Ok(listener)
    }

    fn spawn(&mut self, name: &str, source: impl Source) -> io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || receive_loop(source, shared))?;
        self.threads.push(thread);
        Ok(())
    }

    /// The bound UDP address (with the actual port when bound to port 0).
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp
    }

    /// The Unix socket path.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// What to tell the user: `listening on udp://ADDR (…)` per socket, and any fallback.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The step length.
    pub fn step_length(&self) -> Duration {
        self.shared.lock().step_length()
    }

    /// The time on the listener's clock.
    pub fn now(&self) -> Nanos {
        wall_nanos(&*self.shared.clock)
    }

    /// Line counts of the current step so far.
    pub fn counts(&self) -> LineCounts {
        self.shared.lock().counts()
    }

    /// Ends the current step now.
    pub fn step(&self) -> StepReport {
        let now = wall_nanos(&*self.shared.clock);
        self.shared.lock().step(now)
    }

    /// Runs `f` on the aggregator (under its lock).
    pub fn with_aggregator<T>(&self, f: impl FnOnce(&mut Aggregator) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// Stops receiving and waits for the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(path) = self.unix.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The end of the step that `now` falls in: the next multiple of `step` since the Unix epoch
/// (a 5 s step ends at :00, :05, :10, …; a 7 s step at multiples of 7 s since the epoch).
///
/// ```
/// use spectator_cli::listen::next_step_end;
/// use spectator_cli::SECOND;
/// use std::time::Duration;
/// let five = Duration::from_secs(5);
/// assert_eq!(next_step_end(1_700_000_002 * SECOND, five), 1_700_000_005 * SECOND);
/// assert_eq!(next_step_end(1_700_000_005 * SECOND, five), 1_700_000_010 * SECOND);
/// ```
pub fn next_step_end(now: Nanos, step: Duration) -> Nanos {
    let step = Nanos::try_from(step.as_nanos())
        .unwrap_or(Nanos::MAX)
        .max(1);
    now.div_euclid(step).saturating_add(1).saturating_mul(step)
}

/// The wall-clock step boundaries a listener ends its steps at ([`next_step_end`]).
#[derive(Debug, Clone, Copy)]
pub struct StepClock {
    step: Nanos,
    due: Nanos,
}

impl StepClock {
    /// Boundaries every `step`, the first one after `now`.
    pub fn new(now: Nanos, step: Duration) -> Self {
        Self {
            step: Nanos::try_from(step.as_nanos())
                .unwrap_or(Nanos::MAX)
                .max(1),
            due: next_step_end(now, step),
        }
    }

    /// When the current step ends.
    pub fn due(&self) -> Nanos {
        self.due
    }

    /// How long from `now` until the current step ends (zero when it has).
    pub fn remaining(&self, now: Nanos) -> Duration {
        Duration::from_nanos(u64::try_from(self.due.saturating_sub(now)).unwrap_or(0))
    }

    /// Moves to the next boundary after `now` (skipping the boundaries missed if the caller
    /// fell behind by more than a step).
    pub fn advance(&mut self, now: Nanos) {
        self.due = self.due.saturating_add(self.step);
        if self.due <= now {
            self.due = now
                .div_euclid(self.step)
                .saturating_add(1)
                .saturating_mul(self.step);
        }
    }
}

/// Sleeps until the listener's clock reads `due` or later.
pub fn sleep_until(listener: &Listener, due: Nanos) {
    loop {
        let now = listener.now();
        if now >= due {
            return;
        }
        let left = Duration::from_nanos(u64::try_from(due - now).unwrap_or(0));
        std::thread::sleep(left.min(Duration::from_secs(1)));
    }
}

/// Ends a step at each wall-clock step boundary ([`next_step_end`]), `steps` times (forever
/// with `None`), handing each report to `emit`; stops early when `emit` fails. The first step
/// runs from now to the first boundary.
pub fn run_steps(
    listener: &Listener,
    steps: Option<u64>,
    mut emit: impl FnMut(&StepReport) -> io::Result<()>,
) -> io::Result<()> {
    let mut clock = StepClock::new(listener.now(), listener.step_length());
    for k in 1u64.. {
        sleep_until(listener, clock.due());
        emit(&listener.step())?;
        if steps == Some(k) {
            break;
        }
        clock.advance(listener.now());
    }
    Ok(())
}

/// Writes a report to `out`: the table, or one JSON line.
pub fn write_report(out: &mut impl io::Write, report: &StepReport, json: bool) -> io::Result<()> {
    if json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        writeln!(out, "{}", report.render_table())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SECOND;

    #[test]
    fn steps_end_on_multiples_of_the_step_since_the_epoch() {
        let five = Duration::from_secs(5);
        let t = 1_700_000_000 * SECOND; // 22:13:20Z, a multiple of 5 s.
        assert_eq!(next_step_end(t, five), t + 5 * SECOND);
        assert_eq!(next_step_end(t - 1, five), t);
        assert_eq!(
            next_step_end(t + 4 * SECOND + 999_999_999, five),
            t + 5 * SECOND
        );
        // 7 s: multiples of 7 s since the epoch.
        assert_eq!(
            next_step_end(t, Duration::from_secs(7)),
            1_700_000_001 * SECOND
        );
        // Fractional steps.
        let tenth = Duration::from_millis(100);
        assert_eq!(next_step_end(t + 150_000_000, tenth), t + 200_000_000);
        // Before the epoch, and a step longer than all time.
        assert_eq!(next_step_end(-1, five), 0);
        assert_eq!(next_step_end(t, Duration::MAX), Nanos::MAX);
    }

    #[test]
    fn the_step_clock_advances_by_steps_and_skips_missed_ones() {
        let t = 1_700_000_000 * SECOND;
        let mut clock = StepClock::new(t + 2 * SECOND, Duration::from_secs(5));
        assert_eq!(clock.due(), t + 5 * SECOND);
        assert_eq!(clock.remaining(t + 2 * SECOND), Duration::from_secs(3));
        assert_eq!(clock.remaining(t + 6 * SECOND), Duration::ZERO);
        clock.advance(t + 5 * SECOND + 1);
        assert_eq!(clock.due(), t + 10 * SECOND);
        // 12 s late: the next boundary after now.
        clock.advance(t + 22 * SECOND);
        assert_eq!(clock.due(), t + 25 * SECOND);
    }
}
