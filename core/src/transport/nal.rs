//! [`NalTransport`]: a [`Transport`] over any embedded-nal 0.9 UDP stack (feature `embedded-nal`).

use core::fmt;
use core::net::SocketAddr;

use embedded_nal::UdpClientStack;

use super::{ErrorKind, Transport, TransportError};

/// An error of an embedded-nal stack, with the portable kind it was given.
///
/// embedded-nal 0.9 gives UDP errors no kind of their own (its stacks' errors are only
/// `Debug`), so the kind is [`ErrorKind::Other`] unless the transport was given a classifier
/// with [`NalTransport::with_error_kinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NalError<E> {
    /// The stack's own error.
    pub error: E,
    /// Its portable kind.
    pub kind: ErrorKind,
}

impl<E: fmt::Debug> TransportError for NalError<E> {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// A UDP socket of an embedded-nal 0.9 [`UdpClientStack`], connected once to the spectatord
/// address: smoltcp-nal, std-embedded-nal, an AT-command modem driver, …
///
/// The stack's `send` maps 1:1: `WouldBlock` stays `WouldBlock` (the
/// [`LineBuffer`](crate::LineBuffer) keeps the datagram), other errors become [`NalError`].
/// The socket is closed when the transport is dropped. The transport is lent to the buffer for
/// each batch of updates ([`LineBuffer::via`](crate::LineBuffer::via)), never owned by it.
///
/// ```
/// use spectator_core::transport::NalTransport;
/// use spectator_core::{meters::Counter, static_meter, LineBuffer, StaticPrefix};
///
/// const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots");
///
/// fn report<S: embedded_nal::UdpClientStack>(stack: &mut S) -> Result<(), S::Error> {
///     let spectatord = "127.0.0.1:1234".parse().unwrap();
///     let mut udp = NalTransport::connect(stack, spectatord)?; // 1472-byte datagrams
///     let mut buffer: LineBuffer<1472> = LineBuffer::new();
///     BOOTS.increment(&mut buffer.via(&mut udp)); // sent when a datagram is full
///     let _ = nb::block!(buffer.flush(&mut udp)); // errors are counted in buffer.stats()
///     Ok(())
/// }
/// report(&mut std_embedded_nal::Stack).unwrap();
/// ```
pub struct NalTransport<'s, S: UdpClientStack> {
    stack: &'s mut S,
    socket: Option<S::UdpSocket>,
    max_datagram: usize,
    classify: fn(&S::Error) -> ErrorKind,
}

impl<'s, S: UdpClientStack> NalTransport<'s, S> {
    /// Opens a socket on `stack` and connects it to `remote`. The maximum datagram is 1472
    /// bytes for an IPv4 `remote` and 1452 for IPv6 (one Ethernet frame); see
    /// [`with_max_datagram`](Self::with_max_datagram).
    pub fn connect(stack: &'s mut S, remote: SocketAddr) -> Result<Self, S::Error> {
        let mut socket = stack.socket()?;
        if let Err(e) = stack.connect(&mut socket, remote) {
            let _ = stack.close(socket);
            return Err(e);
        }
        let max_datagram = match remote {
            SocketAddr::V4(_) => 1472,
            SocketAddr::V6(_) => 1452,
        };
        Ok(Self {
            stack,
            socket: Some(socket),
            max_datagram,
            classify: |_| ErrorKind::Other,
        })
    }

    /// Sets the largest datagram sent (e.g. the stack's socket buffer size, or up to about
    /// 60 KiB towards a spectatord on the same host).
    pub fn with_max_datagram(mut self, max: usize) -> Self {
        self.max_datagram = max;
        self
    }

    /// Gives the stack's errors a portable kind, instead of [`ErrorKind::Other`].
    ///
    /// ```
    /// # use spectator_core::transport::{ErrorKind, NalTransport};
    /// # let mut stack = std_embedded_nal::Stack;
    /// # let remote = "127.0.0.1:1234".parse().unwrap();
    /// // std-embedded-nal's errors are std::io::Error.
    /// let udp = NalTransport::connect(&mut stack, remote)?.with_error_kinds(|e| match e.kind() {
    ///     std::io::ErrorKind::ConnectionRefused => ErrorKind::NoRoute,
    ///     _ => ErrorKind::Other,
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_error_kinds(mut self, classify: fn(&S::Error) -> ErrorKind) -> Self {
        self.classify = classify;
        self
    }

    /// The stack, for example to poll it between sends.
    pub fn stack_mut(&mut self) -> &mut S {
        self.stack
    }

    /// Closes the socket and reports the stack's answer (dropping the transport closes it too,
    /// ignoring errors).
    pub fn close(mut self) -> Result<(), S::Error> {
        match self.socket.take() {
            Some(socket) => self.stack.close(socket),
            None => Ok(()),
        }
    }
}

impl<S: UdpClientStack> Transport for NalTransport<'_, S> {
    type Error = NalError<S::Error>;

    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), Self::Error> {
        // The socket is only taken by `close(self)` and `drop`: never absent here.
        let Some(socket) = self.socket.as_mut() else {
            return Err(nb::Error::WouldBlock);
        };
        self.stack.send(socket, datagram).map_err(|e| match e {
            nb::Error::WouldBlock => nb::Error::WouldBlock,
            nb::Error::Other(error) => nb::Error::Other(NalError {
                kind: (self.classify)(&error),
                error,
            }),
        })
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}

impl<S: UdpClientStack> Drop for NalTransport<'_, S> {
    fn drop(&mut self) {
        if let Some(socket) = self.socket.take() {
            let _ = self.stack.close(socket);
        }
    }
}

impl<S: UdpClientStack> fmt::Debug for NalTransport<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NalTransport")
            .field("open", &self.socket.is_some())
            .field("max_datagram", &self.max_datagram)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stack with one socket slot that can refuse connects and block sends.
    #[derive(Default)]
    struct Fake {
        open: u32,
        refuse_connect: bool,
        block: bool,
        sent: heapless::Vec<heapless::Vec<u8, 32>, 4>,
    }

    #[derive(Debug, PartialEq)]
    struct Refused;

    impl UdpClientStack for Fake {
        type UdpSocket = ();
        type Error = Refused;
        fn socket(&mut self) -> Result<(), Refused> {
            self.open += 1;
            Ok(())
        }
        fn connect(&mut self, _: &mut (), _: SocketAddr) -> Result<(), Refused> {
            if self.refuse_connect {
                Err(Refused)
            } else {
                Ok(())
            }
        }
        fn send(&mut self, _: &mut (), buffer: &[u8]) -> nb::Result<(), Refused> {
            if self.block {
                return Err(nb::Error::WouldBlock);
            }
            let datagram = heapless::Vec::from_slice(buffer).map_err(|_| Refused)?;
            self.sent
                .push(datagram)
                .map_err(|_| nb::Error::Other(Refused))
        }
        fn receive(
            &mut self,
            _: &mut (),
            _: &mut [u8],
        ) -> nb::Result<(usize, SocketAddr), Refused> {
            Err(nb::Error::WouldBlock)
        }
        fn close(&mut self, _: ()) -> Result<(), Refused> {
            self.open -= 1;
            Ok(())
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn would_block_passes_through_and_errors_are_classified() {
        let mut stack = Fake::default();
        let mut t = NalTransport::connect(&mut stack, addr("[::1]:1234")).unwrap();
        assert_eq!(t.max_datagram(), 1452);
        t.stack_mut().block = true;
        assert!(matches!(t.send(b"c:a:1"), Err(nb::Error::WouldBlock)));
        t.stack_mut().block = false;
        t.send(b"c:a:1").unwrap();
        let too_big = [b'x'; 33];
        let Err(nb::Error::Other(e)) = t.send(&too_big) else {
            panic!("expected an error")
        };
        assert_eq!((&e.error, e.kind()), (&Refused, ErrorKind::Other));
        let mut t = t.with_error_kinds(|_| ErrorKind::TooLarge);
        assert!(
            matches!(t.send(&too_big), Err(nb::Error::Other(e)) if e.kind == ErrorKind::TooLarge)
        );
        drop(t);
        assert_eq!(stack.open, 0, "dropping the transport closes the socket");
        assert_eq!(stack.sent.len(), 1);
    }

    #[test]
    fn a_refused_connect_closes_the_socket() {
        let mut stack = Fake {
            refuse_connect: true,
            ..Fake::default()
        };
        assert_eq!(
            NalTransport::connect(&mut stack, addr("10.0.0.1:1234")).map(|_| ()),
            Err(Refused)
        );
        assert_eq!(stack.open, 0);
        stack.refuse_connect = false;
        let t = NalTransport::connect(&mut stack, addr("10.0.0.1:1234")).unwrap();
        assert_eq!(t.max_datagram(), 1472);
        t.close().unwrap();
        assert_eq!(stack.open, 0);
    }
}
