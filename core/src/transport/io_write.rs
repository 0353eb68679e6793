//! [`WriteTransport`]: newline-terminated lines to any [`embedded_io::Write`].

use super::{ErrorKind, Transport, TransportError};

/// The error of a [`WriteTransport`]: the writer's error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WriteError(pub embedded_io::ErrorKind);

impl TransportError for WriteError {
    fn kind(&self) -> ErrorKind {
        use embedded_io::ErrorKind as Io;
        match self.0 {
            Io::OutOfMemory => ErrorKind::OutOfMemory,
            Io::NotConnected | Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe => {
                ErrorKind::NotConnected
            }
            Io::ConnectionRefused | Io::AddrNotAvailable => ErrorKind::NoRoute,
            Io::InvalidInput => ErrorKind::TooLarge,
            _ => ErrorKind::Other,
        }
    }
}

/// Writes each datagram to a byte stream followed by `\n`, so every line ends with a newline
/// (a UART console, a log file, a pipe). Blocking, like the writer itself.
///
/// ```
/// use spectator_core::{meters::Counter, LineBuffer, MeterId, Prefix, WriteTransport};
/// let mut out = [0u8; 64];
/// let mut buffer: LineBuffer<64> = LineBuffer::new();
/// let c = Counter::<Prefix<32>>::for_id(&MeterId::<32>::new("boots", &[])?)?;
/// let mut sink = buffer.via(WriteTransport::new(&mut out[..]));
/// c.increment(&mut sink);
/// c.increment(&mut sink);
/// sink.flush().unwrap();
/// assert!(out.starts_with(b"c:boots:1\nc:boots:1\n"));
/// # Ok::<(), spectator_core::IdError>(())
/// ```
#[derive(Debug)]
pub struct WriteTransport<W> {
    writer: W,
}

impl<W: embedded_io::Write> WriteTransport<W> {
    /// Wraps `writer`.
    pub const fn new(writer: W) -> Self {
        Self { writer }
    }

    /// The writer.
    pub fn writer(&self) -> &W {
        &self.writer
    }

    /// The writer, mutably.
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.writer
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.writer
    }
}

impl<W: embedded_io::Write> Transport for WriteTransport<W> {
    type Error = WriteError;

    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), WriteError> {
        use embedded_io::Error as _;
        let kind = |e: W::Error| nb::Error::Other(WriteError(e.kind()));
        self.writer.write_all(datagram).map_err(kind)?;
        self.writer.write_all(b"\n").map_err(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminates_every_datagram() {
        let mut buf = [0u8; 12];
        let mut t = WriteTransport::new(&mut buf[..]);
        t.send(b"c:a:1\nc:b:2").unwrap();
        assert_eq!(
            t.send(b"x").map_err(|e| e.map(|e| e.kind())),
            Err(nb::Error::Other(ErrorKind::Other))
        );
        assert_eq!(&buf, b"c:a:1\nc:b:2\n");
    }
}
