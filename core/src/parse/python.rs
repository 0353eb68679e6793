//! spectator-py's `parse_protocol_line` (spec §8): strict, zero-copy, for tests.
//!
//! The line must split on `:` into exactly three fields; the symbol is the first field up to its
//! first `,` (a gauge TTL is discarded, not checked); every tag must split on `=` into exactly
//! two parts. The value is returned as raw text. Errors carry Python's `ValueError` messages.

use core::fmt;

use crate::meter_id::{IdError, MeterId};
use crate::meter_kind::MeterKind;

/// Why [`parse_protocol_line`] refused a line; `Display` gives Python's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PyParseError {
    /// Fewer than three `:`-separated fields (the count found).
    NotEnoughFields(usize),
    /// More than three `:`-separated fields.
    TooManyFields,
    /// A tag without `=`.
    TagWithoutValue,
    /// A tag with more than one `=`.
    TagWithExtraEquals,
}

impl fmt::Display for PyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PyParseError::NotEnoughFields(got) => {
                write!(f, "not enough values to unpack (expected 3, got {got})")
            }
            PyParseError::TooManyFields => f.write_str("too many values to unpack (expected 3)"),
            PyParseError::TagWithoutValue => {
                f.write_str("not enough values to unpack (expected 2, got 1)")
            }
            PyParseError::TagWithExtraEquals => {
                f.write_str("too many values to unpack (expected 2)")
            }
        }
    }
}

impl core::error::Error for PyParseError {}

/// The parts of a line, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyLine<'a> {
    /// The text before the first `,` of the first field (`g` in `g,60:…`); may be empty or
    /// longer than one character, as in Python.
    pub symbol: &'a str,
    /// The name, unsanitized.
    pub name: &'a str,
    /// The raw value text (may be empty).
    pub value: &'a str,
    tags: &'a str,
}

impl<'a> PyLine<'a> {
    /// The tags in line order as `(key, value)`; a repeated key appears twice (Python keeps the
    /// last, and [`PyLine::meter_id`] does too).
    pub fn tags(&self) -> impl Iterator<Item = (&'a str, &'a str)> + Clone + 'a {
        let tags = self.tags;
        tags.split(',').skip(1).filter_map(|t| t.split_once('='))
    }

    /// spectator-py's `get_meter_class(symbol)`.
    pub fn kind(&self) -> Option<MeterKind> {
        match self.symbol.as_bytes() {
            [b] => MeterKind::from_symbol(*b),
            _ => None,
        }
    }

    /// The `MeterId` Python returns: tags re-validated (empty values dropped with a warning).
    pub fn meter_id<const N: usize, const T: usize>(&self) -> Result<MeterId<N, T>, IdError> {
        let mut pairs: heapless::Vec<(&str, &str), T> = heapless::Vec::new();
        for tag in self.tags() {
            pairs.push(tag).map_err(|_| IdError::TooManyTags)?;
        }
        MeterId::new(self.name, &pairs)
    }
}

/// Splits `line` like spectator-py 1.2.1's `parse_protocol_line`.
///
/// ```
/// use spectator_core::parse::python::parse_protocol_line;
/// let l = parse_protocol_line("c:server.numRequests,id=failed:1").unwrap();
/// assert_eq!(l.tags().collect::<heapless::Vec<_, 2>>(), [("id", "failed")]);
/// assert_eq!(parse_protocol_line("c:x").unwrap_err().to_string(),
///            "not enough values to unpack (expected 3, got 2)");
/// ```
pub fn parse_protocol_line(line: &str) -> Result<PyLine<'_>, PyParseError> {
    let mut fields = line.splitn(4, ':');
    let (Some(first), Some(id), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(PyParseError::NotEnoughFields(line.split(':').count()));
    };
    if fields.next().is_some() {
        return Err(PyParseError::TooManyFields);
    }
    for tag in id.split(',').skip(1) {
        match tag.bytes().filter(|b| *b == b'=').count() {
            0 => return Err(PyParseError::TagWithoutValue),
            1 => {}
            _ => return Err(PyParseError::TagWithExtraEquals),
        }
    }
    let symbol = first.split(',').next().unwrap_or_default();
    let name = id.split(',').next().unwrap_or_default();
    Ok(PyLine {
        symbol,
        name,
        value,
        tags: id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_python() {
        let l = parse_protocol_line("g,abc:n,b=2,a=1,b=3:xyz\n").unwrap();
        assert_eq!((l.symbol, l.name, l.value), ("g", "n", "xyz\n"));
        let tags: heapless::Vec<_, 4> = l.tags().collect();
        assert_eq!(&tags[..], &[("b", "2"), ("a", "1"), ("b", "3")]);
        assert_eq!(l.kind(), Some(MeterKind::Gauge));
        let id: MeterId<32, 4> = l.meter_id().unwrap();
        assert_eq!(id.spectatord_id(), "n,a=1,b=3");
        let l = parse_protocol_line("xy::").unwrap();
        assert_eq!((l.symbol, l.name, l.value, l.kind()), ("xy", "", "", None));
    }

    #[test]
    fn empty_tag_values_are_dropped_by_the_id() {
        let l = parse_protocol_line("c:n,a=,b=1:1").unwrap();
        let id: MeterId<32, 4> = l.meter_id().unwrap();
        assert_eq!(id.spectatord_id(), "n,b=1");
    }

    #[test]
    fn python_error_messages() {
        let msg = |line| {
            let mut s: heapless::String<64> = heapless::String::new();
            core::fmt::write(
                &mut s,
                format_args!("{}", parse_protocol_line(line).unwrap_err()),
            )
            .unwrap();
            s
        };
        assert_eq!(msg(""), "not enough values to unpack (expected 3, got 1)");
        assert_eq!(
            msg("a:b"),
            "not enough values to unpack (expected 3, got 2)"
        );
        assert_eq!(msg("a:b:c:d"), "too many values to unpack (expected 3)");
        assert_eq!(
            msg("c:n,k:1"),
            "not enough values to unpack (expected 2, got 1)"
        );
        assert_eq!(msg("c:n,k=v=w:1"), "too many values to unpack (expected 2)");
    }
}
