//! [`MemoryTransport`]: keeps datagrams in fixed memory, for tests and spies.

use super::{ErrorKind, Transport, TransportError};

/// Why a [`MemoryTransport`] refused a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MemoryError {
    /// Its byte or datagram capacity is used up.
    Full,
    /// The datagram is larger than the configured maximum.
    TooLarge,
    /// A failure injected with [`MemoryTransport::fail_next`].
    Injected(ErrorKind),
}

impl TransportError for MemoryError {
    fn kind(&self) -> ErrorKind {
        match self {
            MemoryError::Full => ErrorKind::OutOfMemory,
            MemoryError::TooLarge => ErrorKind::TooLarge,
            MemoryError::Injected(kind) => *kind,
        }
    }
}

/// Records up to `D` datagrams totalling up to `B` bytes.
///
/// It can also play a misbehaving network: [`block`](Self::block) makes sends return
/// `WouldBlock`, [`fail_next`](Self::fail_next) makes the next sends fail, and
/// [`with_max_datagram`](Self::with_max_datagram) limits the datagram size.
///
/// ```
/// use spectator_core::transport::{MemoryTransport, Transport};
/// let mut t: MemoryTransport<64, 4> = MemoryTransport::new();
/// t.send(b"c:a:1\nc:b:2").unwrap();
/// assert_eq!(t.datagram(0), Some(&b"c:a:1\nc:b:2"[..]));
/// assert_eq!(t.lines().collect::<heapless::Vec<_, 4>>(), [&b"c:a:1"[..], &b"c:b:2"[..]]);
/// ```
#[derive(Debug, Clone)]
pub struct MemoryTransport<const B: usize, const D: usize> {
    bytes: heapless::Vec<u8, B>,
    ends: heapless::Vec<usize, D>,
    max_datagram: usize,
    blocked: bool,
    failures: (u32, ErrorKind),
}

impl<const B: usize, const D: usize> Default for MemoryTransport<B, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: usize, const D: usize> MemoryTransport<B, D> {
    /// An empty transport with no datagram size limit.
    pub const fn new() -> Self {
        Self {
            bytes: heapless::Vec::new(),
            ends: heapless::Vec::new(),
            max_datagram: usize::MAX,
            blocked: false,
            failures: (0, ErrorKind::Other),
        }
    }

    /// Refuses datagrams over `max` bytes with [`MemoryError::TooLarge`], and reports `max` as
    /// its [`Transport::max_datagram`].
    pub const fn with_max_datagram(mut self, max: usize) -> Self {
        self.max_datagram = max;
        self
    }

    /// While `blocked`, every send returns `WouldBlock`.
    pub fn block(&mut self, blocked: bool) {
        self.blocked = blocked;
    }

    /// Makes the next `count` sends fail with an error of `kind`.
    pub fn fail_next(&mut self, count: u32, kind: ErrorKind) {
        self.failures = (count, kind);
    }

    /// How many datagrams were received.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th datagram received.
    pub fn datagram(&self, i: usize) -> Option<&[u8]> {
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.bytes.get(start..*self.ends.get(i)?)
    }

    /// Every datagram received, in order.
    pub fn datagrams(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(|i| self.datagram(i))
    }

    /// Every line received, in order, across datagrams.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.datagrams().flat_map(|d| d.split(|b| *b == b'\n'))
    }

    /// The last line received.
    pub fn last_line(&self) -> Option<&[u8]> {
        self.lines().last()
    }

    /// Forgets everything received.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

impl<const B: usize, const D: usize> Transport for MemoryTransport<B, D> {
    type Error = MemoryError;

    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), MemoryError> {
        if self.blocked {
            return Err(nb::Error::WouldBlock);
        }
        if self.failures.0 > 0 {
            self.failures.0 -= 1;
            return Err(nb::Error::Other(MemoryError::Injected(self.failures.1)));
        }
        if datagram.len() > self.max_datagram {
            return Err(nb::Error::Other(MemoryError::TooLarge));
        }
        if self.ends.is_full() || self.bytes.len() + datagram.len() > B {
            return Err(nb::Error::Other(MemoryError::Full));
        }
        let _ = self.bytes.extend_from_slice(datagram);
        let _ = self.ends.push(self.bytes.len());
        Ok(())
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_misbehaves_on_request() {
        let mut t: MemoryTransport<16, 2> = MemoryTransport::new().with_max_datagram(8);
        assert_eq!(
            t.send(b"123456789"),
            Err(nb::Error::Other(MemoryError::TooLarge))
        );
        t.block(true);
        assert_eq!(t.send(b"a"), Err(nb::Error::WouldBlock));
        t.block(false);
        t.fail_next(1, ErrorKind::NoRoute);
        assert_eq!(
            t.send(b"a").map_err(|e| e.map(|e| e.kind())),
            Err(nb::Error::Other(ErrorKind::NoRoute))
        );
        t.send(b"abc").unwrap();
        t.send(b"d\ne").unwrap();
        assert_eq!(t.send(b"f"), Err(nb::Error::Other(MemoryError::Full)));
        assert_eq!(t.len(), 2);
        assert_eq!(t.datagram(1), Some(&b"d\ne"[..]));
        assert_eq!(t.last_line(), Some(&b"e"[..]));
        t.clear();
        assert!(t.is_empty());
    }
}
