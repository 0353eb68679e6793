//! [`UdpTransport`]: spectator-core's [`Transport`] over a smoltcp UDP socket.
//!
//! `send` only queues the datagram in the socket's transmit ring; frames leave when the
//! application polls the smoltcp `Interface`. A full ring is `WouldBlock`, so the
//! `LineBuffer` keeps its datagram and retries on its next flush.
//!
//! A `UdpTransport` is short-lived: made for one call and lent to the `LineBuffer`
//! (`buffer.via(udp)`, `buffer.flush(&mut udp)`), so the socket set stays with the application,
//! free for `Interface::poll` between calls.

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::IpEndpoint;
use spectator_core::transport::{ErrorKind, Transport, TransportError};

/// The largest UDP payload in one Ethernet frame over IPv4: 1500 - 20 - 8.
pub const MAX_DATAGRAM: usize = 1472;

/// Why a datagram could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum UdpError {
    /// The socket is not bound, or the remote address or port is unspecified.
    Unaddressable,
    /// The datagram is larger than the socket's whole transmit ring.
    TooLarge,
}

impl TransportError for UdpError {
    fn kind(&self) -> ErrorKind {
        match self {
            UdpError::Unaddressable => ErrorKind::NoRoute,
            UdpError::TooLarge => ErrorKind::TooLarge,
        }
    }
}

/// Sends each datagram to `remote` through the UDP socket `handle` of `sockets`, borrowed.
pub struct UdpTransport<'s, 'a> {
    sockets: &'s mut SocketSet<'a>,
    handle: SocketHandle,
    remote: IpEndpoint,
}

impl<'s, 'a> UdpTransport<'s, 'a> {
    /// A transport over a bound UDP socket.
    pub fn new(sockets: &'s mut SocketSet<'a>, handle: SocketHandle, remote: IpEndpoint) -> Self {
        Self {
            sockets,
            handle,
            remote,
        }
    }

    /// The UDP socket.
    fn socket(&mut self) -> &mut udp::Socket<'a> {
        self.sockets.get_mut::<udp::Socket>(self.handle)
    }
}

impl Transport for UdpTransport<'_, '_> {
    type Error = UdpError;

    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), UdpError> {
        let remote = self.remote;
        let socket = self.socket();
        match socket.send_slice(datagram, remote) {
            Ok(()) => Ok(()),
            Err(udp::SendError::BufferFull) if datagram.len() > socket.payload_send_capacity() => {
                Err(nb::Error::Other(UdpError::TooLarge))
            }
            Err(udp::SendError::BufferFull) => Err(nb::Error::WouldBlock),
            Err(udp::SendError::Unaddressable) => Err(nb::Error::Other(UdpError::Unaddressable)),
        }
    }

    fn max_datagram(&self) -> usize {
        MAX_DATAGRAM
    }
}
