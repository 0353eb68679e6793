//! [`LineWrite`]: the fixed-capacity text targets that lines are formatted into.
//!
//! Every formatter in this crate writes through this trait, so the same code fills a
//! `heapless::String`, a `heapless::Vec<u8, N>`, a plain byte slice ([`SliceWriter`]) or, in the
//! std adapter, a growable string. Everything the crate writes is ASCII.

use core::fmt;

/// The target did not have room for what was written.
///
/// Formatters that report it leave the target as it was before the call (all-or-nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("capacity exceeded")
    }
}

impl core::error::Error for Overflow {}

/// A text target of bounded capacity that formatters append to.
///
/// ```
/// use spectator_core::LineWrite;
/// let mut s: heapless::String<8> = heapless::String::new();
/// s.push_text("abc").unwrap();
/// assert!(s.push_text("too long").is_err());
/// LineWrite::truncate_to(&mut s, 1);
/// assert_eq!(s.as_str(), "a");
/// ```
pub trait LineWrite {
    /// Appends `s` entirely, or appends nothing and returns [`Overflow`].
    fn push_text(&mut self, s: &str) -> Result<(), Overflow>;
    /// Appends one ASCII byte, or returns [`Overflow`].
    fn push_ascii(&mut self, b: u8) -> Result<(), Overflow>;
    /// Bytes written so far.
    fn written(&self) -> usize;
    /// Drops everything after the first `len` bytes (used to roll back a partial line).
    fn truncate_to(&mut self, len: usize);
}

impl<const N: usize> LineWrite for heapless::String<N> {
    #[inline]
    fn push_text(&mut self, s: &str) -> Result<(), Overflow> {
        self.push_str(s).map_err(|_| Overflow)
    }
    #[inline]
    fn push_ascii(&mut self, b: u8) -> Result<(), Overflow> {
        self.push(char::from(b & 0x7f)).map_err(|_| Overflow)
    }
    #[inline]
    fn written(&self) -> usize {
        self.len()
    }
    #[inline]
    fn truncate_to(&mut self, len: usize) {
        self.truncate(len);
    }
}

impl<const N: usize> LineWrite for heapless::Vec<u8, N> {
    #[inline]
    fn push_text(&mut self, s: &str) -> Result<(), Overflow> {
        self.extend_from_slice(s.as_bytes()).map_err(|_| Overflow)
    }
    #[inline]
    fn push_ascii(&mut self, b: u8) -> Result<(), Overflow> {
        self.push(b).map_err(|_| Overflow)
    }
    #[inline]
    fn written(&self) -> usize {
        self.len()
    }
    #[inline]
    fn truncate_to(&mut self, len: usize) {
        self.truncate(len);
    }
}

/// A [`LineWrite`] over a caller-owned byte slice.
///
/// ```
/// use spectator_core::{LineWrite, SliceWriter};
/// let mut storage = [0u8; 16];
/// let mut w = SliceWriter::new(&mut storage);
/// w.push_text("c:x:1").unwrap();
/// assert_eq!(w.as_bytes(), b"c:x:1");
/// ```
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// Wraps `buf`; writing starts at its beginning.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The text written so far (always ASCII when written by this crate).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl LineWrite for SliceWriter<'_> {
    #[inline]
    fn push_text(&mut self, s: &str) -> Result<(), Overflow> {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(Overflow)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
    #[inline]
    fn push_ascii(&mut self, b: u8) -> Result<(), Overflow> {
        let slot = self.buf.get_mut(self.len).ok_or(Overflow)?;
        *slot = b;
        self.len += 1;
        Ok(())
    }
    #[inline]
    fn written(&self) -> usize {
        self.len
    }
    #[inline]
    fn truncate_to(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// Runs `f` against `w`, rolling `w` back to where it was if `f` fails.
#[inline]
pub(crate) fn all_or_nothing<W: LineWrite + ?Sized>(
    w: &mut W,
    f: impl FnOnce(&mut W) -> Result<(), Overflow>,
) -> Result<(), Overflow> {
    let start = w.written();
    let result = f(w);
    if result.is_err() {
        w.truncate_to(start);
    }
    result
}
