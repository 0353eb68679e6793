//! Datagram sockets (UDP, Unix) in non-blocking mode, and their core [`Transport`].
//!
//! Sends never block: a full socket queue (spectatord not reading) is `WouldBlock`, and the
//! line or datagram is dropped and counted. The Unix socket is unconnected and addresses the
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
use std::sync::Arc;

use spectator_core::transport::{ErrorKind, Transport, TransportError};

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

/// Datagrams waiting for a full socket, oldest first, at most `capacity` bytes of them.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    datagrams: VecDeque<Vec<u8>>,
    capacity: usize,
    bytes: usize,
    lines: u64,
    /// Lines, bytes and datagrams dropped to keep the backlog bounded.
    pub(crate) lost: (u64, u64, u64),
}

fn line_count(datagram: &[u8]) -> u64 {
    1 + datagram.iter().filter(|b| **b == b'\n').count() as u64
}

impl Backlog {
    fn push(&mut self, datagram: &[u8]) {
        while self.bytes + datagram.len() > self.capacity {
            let Some(oldest) = self.datagrams.pop_front() else {
                break;
            };
            self.forget(&oldest);
            self.lost.0 += line_count(&oldest);
            self.lost.1 += oldest.len() as u64;
            self.lost.2 += 1;
            log::warn!(target: "spectator::writer", "socket full: dropped a datagram of {} bytes", oldest.len());
        }
        self.bytes += datagram.len();
        self.lines += line_count(datagram);
        self.datagrams.push_back(datagram.to_vec());
    }

    fn forget(&mut self, datagram: &[u8]) {
        self.bytes -= datagram.len();
        self.lines -= line_count(datagram);
    }

    /// Drops everything waiting, counting it as lost.
    pub(crate) fn abandon(&mut self) {
        let (lines, bytes, datagrams) = self.waiting();
        self.lost = (
            self.lost.0 + lines,
            self.lost.1 + bytes,
            self.lost.2 + datagrams,
        );
        self.datagrams.clear();
        self.bytes = 0;
        self.lines = 0;
    }

    /// Lines, bytes and datagrams waiting.
    pub(crate) fn waiting(&self) -> (u64, u64, u64) {
        (self.lines, self.bytes as u64, self.datagrams.len() as u64)
    }
}

/// The core [`Transport`] over a shared socket, for the line buffer.
///
/// When the socket is full, the datagram is kept in a bounded [`Backlog`] and sent before any
/// newer one, so a receiver that pauses briefly loses nothing and the caller never waits; a
/// receiver that stays stalled makes the backlog drop its oldest datagrams (counted).
#[derive(Debug)]
pub(crate) struct SocketTransport {
    pub(crate) socket: Arc<DatagramSocket>,
    pub(crate) max_datagram: usize,
    pub(crate) backlog: Backlog,
}

impl SocketTransport {
    pub(crate) fn new(
        socket: Arc<DatagramSocket>,
        max_datagram: usize,
        backlog_bytes: usize,
    ) -> Self {
        let backlog = Backlog {
            capacity: backlog_bytes,
            ..Backlog::default()
        };
        Self {
            socket,
            max_datagram,
            backlog,
        }
    }

    /// Sends waiting datagrams in order; true when none is left.
    pub(crate) fn drain_backlog(&mut self) -> bool {
        while let Some(front) = self.backlog.datagrams.front() {
            match nb_result(self.socket.send(front)) {
                Err(nb::Error::WouldBlock) => return false,
                Ok(()) => {}
                Err(nb::Error::Other(e)) => {
                    log_send_error(&e.0, format_args!("buffer"));
                    let lines = line_count(front);
                    self.backlog.lost.0 += lines;
                    self.backlog.lost.1 += front.len() as u64;
                    self.backlog.lost.2 += 1;
                }
            }
            if let Some(sent) = self.backlog.datagrams.pop_front() {
                self.backlog.forget(&sent);
            }
        }
        true
    }
}

impl Transport for SocketTransport {
    type Error = SocketError;

    #[inline]
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), SocketError> {
        log::trace!(target: "spectator::writer", "write buffer of {} bytes", datagram.len());
        if !self.drain_backlog() {
            self.backlog.push(datagram);
            std::thread::yield_now();
            return Ok(());
        }
        match nb_result(self.socket.send(datagram)) {
            Err(nb::Error::WouldBlock) => {
                self.backlog.push(datagram);
                // Let the receiver (often on this machine) run before the backlog grows; this
                // gives up the time slice, it does not wait.
                std::thread::yield_now();
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
