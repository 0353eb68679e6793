//! Datagram sockets (UDP, Unix) in non-blocking mode, and their core [`Transport`].
//!
//! Sends never block: a full socket queue (spectatord not reading) is `WouldBlock`, and the
//! line or datagram is dropped and counted. The Unix socket is unconnected and addresses the
//! path on every send, so when spectatord restarts and recreates its socket, delivery resumes
//! by itself. UDP sends go to the address resolved once at construction.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;

use spectator_core::transport::{ErrorKind, Transport, TransportError};

/// A non-blocking datagram socket and its destination.
#[derive(Debug)]
pub(crate) enum DatagramSocket {
    Udp(UdpSocket, SocketAddr),
    Unix(UnixDatagram, PathBuf),
}

impl DatagramSocket {
    pub(crate) fn udp(to: SocketAddr) -> io::Result<Self> {
        let bind: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .expect("literal address");
        let socket = UdpSocket::bind(bind)?;
        socket.set_nonblocking(true)?;
        Ok(DatagramSocket::Udp(socket, to))
    }

    pub(crate) fn unix(to: PathBuf) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        socket.set_nonblocking(true)?;
        Ok(DatagramSocket::Unix(socket, to))
    }

    #[inline]
    pub(crate) fn send(&self, datagram: &[u8]) -> io::Result<()> {
        match self {
            DatagramSocket::Udp(s, to) => s.send_to(datagram, to).map(drop),
            DatagramSocket::Unix(s, to) => s.send_to(datagram, to).map(drop),
        }
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

/// The core [`Transport`] over a shared socket, for the line buffer.
#[derive(Debug)]
pub(crate) struct SocketTransport {
    pub(crate) socket: Arc<DatagramSocket>,
    pub(crate) max_datagram: usize,
}

impl Transport for SocketTransport {
    type Error = SocketError;

    #[inline]
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), SocketError> {
        log::trace!(target: "spectator::writer", "write buffer of {} bytes", datagram.len());
        let result = nb_result(self.socket.send(datagram));
        if let Err(nb::Error::Other(e)) = &result {
            log::error!(target: "spectator::writer", "failed to write buffer: {}", e.0);
        }
        result
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}
