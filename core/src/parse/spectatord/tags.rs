//! [`Tags`]: the lazy iterator over an accepted line's raw tags.

use super::bytes::{find_byte, find_separator};

/// The tags of an accepted line: an iterator over raw `(key, value)` pairs in line order,
/// re-scanning the line lazily with spectatord's rules.
///
/// A key may appear more than once; spectatord keeps the **last** value (see [`Tags::get`]).
/// Keys and values may be empty, and a key may contain `:` or `,`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Tags<'a> {
    /// The line from the next `,` that may start a tag; empty when done.
    pub(super) rest: &'a [u8],
}

impl<'a> Tags<'a> {
    /// The value spectatord keeps for `key`: the last one given, if any.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        let tags = *self;
        tags.filter(|(k, _)| *k == key).last().map(|(_, v)| v)
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let tag = next_tag(self.rest);
        self.rest = tag.map_or(&[][..], |(_, _, rest)| rest);
        tag.map(|(key, value, _)| (key, value))
    }
}

/// One tag from `rest` (which starts at the `,` before it): key, value and what follows the
/// value (starting at its `,` or `:`).
fn next_tag(rest: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (&first, after) = rest.split_first()?;
    if first != b',' {
        return None;
    }
    let eq = find_byte(after, 0, b'=')?;
    let (key, tail) = after.split_at_checked(eq)?;
    let tail = tail.get(1..)?;
    let value_end = find_separator(tail, 0)?;
    let (value, rest) = tail.split_at_checked(value_end)?;
    Some((key, value, rest))
}
