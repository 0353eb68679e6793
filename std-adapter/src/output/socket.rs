//! Datagram sockets (UDP, Unix) in non-blocking mode, and the buffered output's core
//! [`Transport`] over one, [`SocketSender`].
//!
//! Sends never block: a full socket queue (spectatord not reading) is `WouldBlock`; an
//! unbuffered line is then dropped and counted, a buffered datagram waits in the sender's
//! bounded backlog. The Unix socket is unconnected and addresses the
//! path on every send, so when spectatord restarts and recreates its socket, delivery resumes
//! by itself. The UDP socket is connected once, at construction, to the resolved address: the
//! kernel then skips a route lookup per send, and when nothing listens (ICMP port unreachable)
//! a later send reports `ConnectionRefused`, counted as a failed send and logged at debug level
//! (spectator-py's unconnected socket never learns it).

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use spectator_core::transport::{ErrorKind, Transport, TransportError};
use spectator_core::Stats;

/// A non-blocking datagram socket and its destination.
#[derive(Debug)]
pub(crate) enum DatagramSocket {
    Udp(UdpSocket),
    Unix(UnixDatagram, PathBuf),
}

impl DatagramSocket {
    pub(crate) fn udp(to: SocketAddr) -> io::Result<Self> {
        let bind: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .expect("literal address");
        let socket = UdpSocket::bind(bind)?;
        socket.connect(to)?;
        socket.set_nonblocking(true)?;
        Ok(DatagramSocket::Udp(socket))
    }

    pub(crate) fn unix(to: PathBuf) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        socket.set_nonblocking(true)?;
        Ok(DatagramSocket::Unix(socket, to))
    }

    #[inline]
    pub(crate) fn send(&self, datagram: &[u8]) -> io::Result<()> {
        match self {
            DatagramSocket::Udp(s) => s.send(datagram).map(drop),
            DatagramSocket::Unix(s, to) => s.send_to(datagram, to).map(drop),
        }
    }
}

/// Logs a failed send: at debug when the peer is just not there (spectatord down), else at
/// error.
pub(crate) fn log_send_error(e: &io::Error, what: std::fmt::Arguments<'_>) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
    ) {
        log::debug!(target: "spectator::writer", "failed to write {what}: {e}");
    } else {
        log::error!(target: "spectator::writer", "failed to write {what}: {e}");
    }
}

/// A socket error, with the portable kind the core counts.
#[derive(Debug)]
pub(crate) struct SocketError(pub(crate) io::Error);

impl TransportError for SocketError {
    fn kind(&self) -> ErrorKind {
        use io::ErrorKind as Io;
        match self.0.kind() {
            Io::NotFound | Io::ConnectionRefused | Io::NotConnected => ErrorKind::NotConnected,
            Io::AddrNotAvailable | Io::HostUnreachable | Io::NetworkUnreachable => {
                ErrorKind::NoRoute
            }
            Io::OutOfMemory => ErrorKind::OutOfMemory,
            _ if self.0.raw_os_error() == Some(90) => ErrorKind::TooLarge, // EMSGSIZE
            _ => ErrorKind::Other,
        }
    }
}

/// Maps an `io::Result` of a send to the core's `nb` convention.
#[inline]
pub(crate) fn nb_result(result: io::Result<()>) -> nb::Result<(), SocketError> {
    result.map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock => nb::Error::WouldBlock,
        _ => nb::Error::Other(SocketError(e)),
    })
}

/// A datagram the socket refused for now, with its line count.
#[derive(Debug)]
struct Waiting {
    datagram: Vec<u8>,
    lines: u64,
}

/// The core [`Transport`] of the buffered output: the socket, and a bounded backlog of the
/// datagrams it refused for now (`WouldBlock`), oldest first.
///
/// A datagram the socket refuses waits in the backlog and is sent before any newer one, so a
/// receiver that pauses briefly loses nothing and the caller never waits; a receiver that stays
/// stalled makes the backlog drop its oldest datagrams (counted as `backpressure`).
///
/// # Stats
///
/// The output's one [`Stats`] is its line buffer's; the backlog keeps no counters. The buffer
/// counts a datagram as sent when [`send`](Transport::send) accepts it, which the backlog does
/// too; [`settle`](Self::settle), called under the output's lock at the end of every operation
/// that may send, corrects that in the same `Stats`: a datagram that went into the backlog is
/// moved back out of `*_sent` (it waits), and counted as sent when the socket takes it, or as
/// dropped when the backlog gives it up. So `lines_sent` is what reached the socket, whenever
/// the lock is free. `fresh` (how many of the newest waiting datagrams the buffer has counted
/// but `settle` has not yet moved) is the only state this needs, and is 0 outside the lock.
#[derive(Debug)]
pub(crate) struct SocketSender {
    socket: DatagramSocket,
    max_datagram: usize,
    waiting: VecDeque<Waiting>,
    /// The most bytes the backlog keeps.
    capacity: usize,
    /// Bytes in `waiting`.
    bytes: usize,
    /// How many of the newest datagrams in `waiting` the buffer counted as sent.
    fresh: usize,
}

fn line_count(datagram: &[u8]) -> u64 {
    1 + datagram.iter().filter(|b| **b == b'\n').count() as u64
}

impl SocketSender {
    pub(crate) fn new(socket: DatagramSocket, max_datagram: usize, backlog_bytes: usize) -> Self {
        Self {
            socket,
            max_datagram,
            waiting: VecDeque::new(),
            capacity: backlog_bytes,
            bytes: 0,
            fresh: 0,
        }
    }

    /// Whether datagrams wait in the backlog (then [`settle`](Self::settle) has work to do).
    #[inline]
    pub(crate) fn has_backlog(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Sends what waits, in order, until the socket is full again, and keeps the backlog within
    /// its capacity, counting each outcome in the output's `stats` (see [Stats](Self#stats)).
    /// True when nothing waits any more.
    #[cold]
    pub(crate) fn settle(&mut self, stats: &mut Stats) -> bool {
        // Accepted into the backlog, not sent: the buffer counted these as sent.
        for w in self.waiting.iter().rev().take(self.fresh) {
            stats.lines_sent -= w.lines;
            stats.bytes_sent -= w.datagram.len() as u64;
            stats.datagrams_sent -= 1;
        }
        self.fresh = 0;
        while let Some(front) = self.waiting.front() {
            match nb_result(self.socket.send(&front.datagram)) {
                Err(nb::Error::WouldBlock) => break,
                Ok(()) => {
                    stats.lines_sent += front.lines;
                    stats.bytes_sent += front.datagram.len() as u64;
                    stats.datagrams_sent += 1;
                }
                Err(nb::Error::Other(e)) => {
                    log_send_error(&e.0, format_args!("buffer"));
                    stats.send_errors += 1;
                    stats.dropped.send_failed += front.lines;
                }
            }
            self.pop_oldest();
        }
        // The newest datagram stays even when it alone is over the capacity.
        while self.bytes > self.capacity && self.waiting.len() > 1 {
            if let Some(oldest) = self.pop_oldest() {
                stats.dropped.backpressure += oldest.lines;
                log::warn!(target: "spectator::writer", "socket full: dropped a datagram of {} bytes", oldest.datagram.len());
            }
        }
        self.waiting.is_empty()
    }

    /// Gives up everything waiting, counting it as dropped (`backpressure`); returns the lines.
    pub(crate) fn abandon(&mut self, stats: &mut Stats) -> u64 {
        self.settle(stats);
        let mut lines = 0;
        while let Some(w) = self.pop_oldest() {
            lines += w.lines;
        }
        stats.dropped.backpressure += lines;
        lines
    }

    fn pop_oldest(&mut self) -> Option<Waiting> {
        let w = self.waiting.pop_front()?;
        self.bytes -= w.datagram.len();
        Some(w)
    }

    #[cold]
    fn wait(&mut self, datagram: &[u8]) {
        self.bytes += datagram.len();
        self.fresh += 1;
        self.waiting.push_back(Waiting {
            datagram: datagram.to_vec(),
            lines: line_count(datagram),
        });
        // Let the receiver (often on this machine) run before the backlog grows; this gives up
        // the time slice, it does not wait.
        std::thread::yield_now();
    }
}

impl Transport for SocketSender {
    type Error = SocketError;

    #[inline]
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), SocketError> {
        log::trace!(target: "spectator::writer", "write buffer of {} bytes", datagram.len());
        // Behind older datagrams, a datagram waits its turn.
        if self.has_backlog() {
            self.wait(datagram);
            return Ok(());
        }
        match nb_result(self.socket.send(datagram)) {
            Err(nb::Error::WouldBlock) => {
                self.wait(datagram);
                Ok(())
            }
            Err(nb::Error::Other(e)) => {
                log_send_error(&e.0, format_args!("buffer"));
                Err(nb::Error::Other(e))
            }
            Ok(()) => Ok(()),
        }
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}
