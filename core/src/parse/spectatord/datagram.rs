//! [`DatagramLines`]: a datagram split into lines as spectatord's `parse_lines` does.

use super::bytes::{count_leading, find_byte};
use super::line::{parse_logged, Buffer};
use super::{Accepted, Rejected, Warning};

/// One line of a datagram, as [`DatagramLines`] yields it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DatagramLine<'a> {
    /// Where the line starts in the datagram.
    pub offset: usize,
    /// The line's bytes, without its `\n` (empty only for a datagram that starts with `\n`).
    pub line: &'a [u8],
    /// What spectatord makes of it.
    pub result: Result<Accepted<'a>, Rejected>,
    /// The warning spectatord logs while parsing the line (`While parsing …: Got … ignoring
    /// chars starting at …`): an accepted line's [`Accepted::warning`], or, for a line then
    /// rejected as [`Rejected::UnknownType`], the warning logged before the type was checked
    /// (`S:x:5x` logs `While parsing x:5x: Got 5 parsing value, ignoring chars starting at x`,
    /// then is rejected with `Unknown type: S`). No other rejected line has one.
    pub warning: Option<Warning<'a>>,
}

/// The lines of a datagram, from [`parse_datagram`](super::parse_datagram).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DatagramLines<'a> {
    /// The whole datagram.
    pub(super) bytes: &'a [u8],
    /// Where its C string ends: the first NUL, or `bytes.len()`.
    pub(super) limit: usize,
    /// Where the next line starts; `limit` when done.
    pub(super) next: usize,
}

impl<'a> Iterator for DatagramLines<'a> {
    type Item = DatagramLine<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.next;
        let rest = self
            .bytes
            .get(start..self.limit)
            .filter(|rest| !rest.is_empty())?;
        let newline = find_byte(rest, 0, b'\n').map(|i| start + i);
        let end = newline.unwrap_or(self.limit);
        self.next = match newline {
            // Skip the `\n`s that follow the line's own.
            Some(at) => at + 1 + count_leading(self.bytes.get(at + 1..self.limit), b'\n'),
            None => self.limit,
        };
        let buffer = Buffer {
            bytes: self.bytes,
            start,
            end,
        };
        let (result, warning) = parse_logged(buffer);
        Some(DatagramLine {
            offset: start,
            line: self.bytes.get(start..end).unwrap_or_default(),
            result,
            warning,
        })
    }
}
