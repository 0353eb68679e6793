//! [`EmbassyUdpTransport`]: an [`AsyncTransport`] over an embassy-net 0.9 UDP socket
//! (feature `embassy-net`).
//!
//! embassy-net 0.9 is built on smoltcp 0.13; a board using this adapter takes its network
//! types from `embassy_net` (or smoltcp 0.13), never from another smoltcp major.

use embassy_net::udp::{BindError, SendError, UdpSocket};
use embassy_net::{IpAddress, IpEndpoint};

use super::{AsyncTransport, ErrorKind, TransportError};

#[cfg_attr(docsrs, doc(cfg(feature = "embassy-net")))]
impl TransportError for SendError {
    fn kind(&self) -> ErrorKind {
        match self {
            SendError::NoRoute => ErrorKind::NoRoute,
            SendError::SocketNotBound => ErrorKind::NotConnected,
            SendError::PacketTooLarge => ErrorKind::TooLarge,
        }
    }
}

/// An embassy-net [`UdpSocket`] sending every datagram to one remote endpoint (spectatord).
///
/// `send` waits for room in the socket's transmit buffer, then queues the datagram; the
/// stack's runner task puts it on the wire. Meters record into a
/// [`LineBuffer`](crate::LineBuffer) used alone (recording never awaits), and the task sends
/// with [`flush_async`](crate::LineBuffer::flush_async): when the pending datagram has too
/// little [`room`](crate::LineBuffer::room) for the next updates, and when
/// [`due`](crate::LineBuffer::due).
///
/// ```no_run
/// use embassy_net::udp::{PacketMetadata, UdpSocket};
/// use embassy_net::{Ipv4Address, Stack};
/// use spectator_core::transport::EmbassyUdpTransport;
/// use spectator_core::{meters::Counter, static_meter, LineBuffer, StaticPrefix};
///
/// const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots");
///
/// async fn report(stack: Stack<'_>) {
///     let (mut rx_meta, mut tx_meta) = ([PacketMetadata::EMPTY; 1], [PacketMetadata::EMPTY; 4]);
///     let (mut rx_buf, mut tx_buf) = ([0; 64], [0; 4096]);
///     let socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
///     let spectatord = (Ipv4Address::new(192, 168, 69, 100), 1234);
///     let mut udp = EmbassyUdpTransport::new(socket, spectatord).unwrap(); // binds a local port
///
///     let mut buffer: LineBuffer<1472> = LineBuffer::new();
///     BOOTS.increment(&mut buffer);
///     let _ = buffer.flush_async(&mut udp).await; // errors are counted in buffer.stats()
///     udp.flush().await; // wait until the datagrams have left the socket
/// }
/// ```
///
/// The transmit buffer should hold at least two maximum datagrams: smoltcp stores each one
/// contiguously in a ring.
pub struct EmbassyUdpTransport<'a> {
    socket: UdpSocket<'a>,
    remote: IpEndpoint,
    max_datagram: usize,
}

impl<'a> EmbassyUdpTransport<'a> {
    /// Sends through `socket` to `remote`, binding the socket to an ephemeral local port if it
    /// is not bound yet. The maximum datagram is 1472 bytes for an IPv4 `remote` and 1452 for
    /// IPv6 (one Ethernet frame), and never more than the socket's transmit buffer.
    pub fn new(
        mut socket: UdpSocket<'a>,
        remote: impl Into<IpEndpoint>,
    ) -> Result<Self, BindError> {
        if !socket.is_open() {
            socket.bind(0)?;
        }
        let remote = remote.into();
        let mtu_payload = if matches!(remote.addr, IpAddress::Ipv4(_)) {
            1472
        } else {
            1452
        };
        let max_datagram = mtu_payload.min(socket.payload_send_capacity());
        Ok(Self {
            socket,
            remote,
            max_datagram,
        })
    }

    /// Sets the largest datagram sent (for instance for a smaller link MTU); it never exceeds
    /// the socket's transmit buffer.
    pub fn with_max_datagram(mut self, max: usize) -> Self {
        self.max_datagram = max.min(self.socket.payload_send_capacity());
        self
    }

    /// Where datagrams go.
    pub fn remote(&self) -> IpEndpoint {
        self.remote
    }

    /// The socket (its `&self` methods include `recv_from`).
    pub fn socket(&self) -> &UdpSocket<'a> {
        &self.socket
    }

    /// The socket, mutably.
    pub fn socket_mut(&mut self) -> &mut UdpSocket<'a> {
        &mut self.socket
    }

    /// Waits until every queued datagram has left the socket (before a reset or deep sleep).
    pub async fn flush(&mut self) {
        self.socket.flush().await;
    }

    /// Gives the socket back.
    pub fn into_inner(self) -> UdpSocket<'a> {
        self.socket
    }
}

impl AsyncTransport for EmbassyUdpTransport<'_> {
    type Error = SendError;

    async fn send(&mut self, datagram: &[u8]) -> Result<(), SendError> {
        self.socket.send_to(datagram, self.remote).await
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}

impl core::fmt::Debug for EmbassyUdpTransport<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EmbassyUdpTransport")
            .field("remote", &self.remote)
            .field("max_datagram", &self.max_datagram)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_errors_have_portable_kinds() {
        assert_eq!(SendError::NoRoute.kind(), ErrorKind::NoRoute);
        assert_eq!(SendError::SocketNotBound.kind(), ErrorKind::NotConnected);
        assert_eq!(SendError::PacketTooLarge.kind(), ErrorKind::TooLarge);
    }
}
