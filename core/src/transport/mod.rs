//! [`Transport`]: where finished datagrams go.
//!
//! A transport sends one datagram per call, with an [`nb`] result: `WouldBlock` means "not now,
//! try again" (a full smoltcp TX ring, a non-blocking socket), any other error means the datagram
//! is lost. Errors expose a portable [`ErrorKind`], in the style of embedded-hal.
//!
//! Provided here: [`MemoryTransport`] (fixed-capacity spy for tests) and [`WriteTransport`]
//! (newline-terminated lines to any [`embedded_io::Write`]: a UART, a file, a stream). The std
//! adapter and the boards provide sockets.
//!
//! A transport is lent to a [`LineBuffer`](crate::LineBuffer) for each send, never owned by
//! it. Async code sends through an [`AsyncTransport`] instead ([`asynch`] shows the pattern).
//! Network stacks, each behind a feature:
//!
//! | feature | type | over |
//! |---|---|---|
//! | `embedded-nal` | `NalTransport` ([`Transport`]) | any embedded-nal 0.9 `UdpClientStack` |
//! | `embassy-net` | `EmbassyUdpTransport` ([`AsyncTransport`]) | an embassy-net 0.9 `UdpSocket` (smoltcp 0.13) |

pub mod asynch;
#[cfg(feature = "embassy-net")]
mod embassy;
mod io_write;
mod memory;
#[cfg(feature = "embedded-nal")]
mod nal;

pub use asynch::AsyncTransport;
#[cfg(feature = "embassy-net")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy-net")))]
pub use embassy::EmbassyUdpTransport;
pub use io_write::{WriteError, WriteTransport};
pub use memory::{MemoryError, MemoryTransport};
#[cfg(feature = "embedded-nal")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-nal")))]
pub use nal::{NalError, NalTransport};

/// What went wrong in a transport, portably.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The datagram is larger than the transport can carry.
    TooLarge,
    /// No route to the destination, or it cannot be resolved.
    NoRoute,
    /// The socket is not connected, not bound, or the peer is gone.
    NotConnected,
    /// The transport ran out of memory or storage.
    OutOfMemory,
    /// Anything else.
    Other,
}

/// What went wrong, in words; an [`ErrorKind`] is also a [`core::error::Error`], so a
/// transport's failure can travel as `Box<dyn Error>` (or `?` into one).
///
/// ```
/// use spectator_core::transport::ErrorKind;
///
/// assert_eq!(ErrorKind::NoRoute.to_string(), "no route to the destination");
/// let boxed: Box<dyn core::error::Error> = Box::new(ErrorKind::TooLarge);
/// assert_eq!(boxed.to_string(), "datagram too large for the transport");
/// assert!(boxed.source().is_none());
/// ```
impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ErrorKind::TooLarge => "datagram too large for the transport",
            ErrorKind::NoRoute => "no route to the destination",
            ErrorKind::NotConnected => "not connected",
            ErrorKind::OutOfMemory => "transport out of memory",
            ErrorKind::Other => "transport error",
        })
    }
}

impl core::error::Error for ErrorKind {}

/// An error of a [`Transport`].
///
/// ```
/// use spectator_core::transport::{ErrorKind, TransportError};
/// #[derive(Debug)]
/// struct Unplugged;
/// impl TransportError for Unplugged {
///     fn kind(&self) -> ErrorKind { ErrorKind::NotConnected }
/// }
/// assert_eq!(Unplugged.kind(), ErrorKind::NotConnected);
/// ```
pub trait TransportError: core::fmt::Debug {
    /// The portable kind of this error.
    fn kind(&self) -> ErrorKind;
}

impl TransportError for core::convert::Infallible {
    fn kind(&self) -> ErrorKind {
        match *self {}
    }
}

/// Sends datagrams: each call carries complete lines joined by `\n`, never a partial line.
///
/// ```
/// use spectator_core::transport::{Transport, ErrorKind, TransportError};
/// /// Counts datagrams and drops them.
/// struct Null(u32);
/// impl Transport for Null {
///     type Error = core::convert::Infallible;
///     fn send(&mut self, _datagram: &[u8]) -> nb::Result<(), Self::Error> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
/// let mut t = Null(0);
/// t.send(b"c:x:1").unwrap();
/// assert_eq!(t.0, 1);
/// ```
pub trait Transport {
    /// The transport's error.
    type Error: TransportError;

    /// Sends one datagram.
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), Self::Error>;

    /// The largest datagram this transport can carry, in bytes (e.g. 1472 for UDP over an
    /// Ethernet MTU with IPv4). Unbounded by default.
    fn max_datagram(&self) -> usize {
        usize::MAX
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    type Error = T::Error;

    #[inline]
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), Self::Error> {
        (**self).send(datagram)
    }

    fn max_datagram(&self) -> usize {
        (**self).max_datagram()
    }
}
