//! [`Rejected`]: why spectatord rejects a line, and its exact error messages.

use core::fmt::{self, Write as _};

/// Why spectatord rejects a line; one variant per message of spectatord's line parser.
///
/// `Display` renders the message exactly (for [`Rejected::UnknownType`] with a non-ASCII symbol,
/// U+FFFD stands for the raw byte spectatord writes). Indexes count bytes from the start of the
/// line, the symbol being index 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rejected {
    /// `Invalid ttl specified for gauge at index N`: a `g` option `<= 0` (or missing, `g,:`).
    /// `N` is the index after the `,`, always 2.
    InvalidGaugeTtl {
        /// Where the option starts (always 2).
        index: usize,
    },
    /// `Invalid timestamp specified for monotonic sampled source at index N`: an `X` option
    /// `<= 0`. `N` is always 2.
    InvalidSampledTimestamp {
        /// Where the option starts (always 2).
        index: usize,
    },
    /// `Expecting separator ':' at index N`: the byte after the symbol, or after the digits of
    /// the option (after the `,` when there are none), is not `:`.
    ExpectingSeparator {
        /// The index of the offending byte (the line's length if the line ends there).
        index: usize,
    },
    /// `Missing name`: no `,` or `:` after the type field, or an empty name.
    MissingName,
    /// `Missing value`: a tag with `=` but no `,` or `:` after its value.
    MissingValue,
    /// `Unable to parse value for measurement`: no number where the value starts.
    UnparsableValue,
    /// `Unknown type: <symbol>`: the symbol is not one of `A c C d D g m t T U X`. Checked after
    /// the rest of the line parsed.
    UnknownType {
        /// The first byte of the line.
        symbol: u8,
    },
}

impl Rejected {
    /// The index in the message, for the three messages that have one.
    pub fn index(&self) -> Option<usize> {
        match *self {
            Rejected::InvalidGaugeTtl { index }
            | Rejected::InvalidSampledTimestamp { index }
            | Rejected::ExpectingSeparator { index } => Some(index),
            _ => None,
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rejected::InvalidGaugeTtl { index } => {
                write!(f, "Invalid ttl specified for gauge at index {index}")
            }
            Rejected::InvalidSampledTimestamp { index } => write!(
                f,
                "Invalid timestamp specified for monotonic sampled source at index {index}"
            ),
            Rejected::ExpectingSeparator { index } => {
                write!(f, "Expecting separator ':' at index {index}")
            }
            Rejected::MissingName => f.write_str("Missing name"),
            Rejected::MissingValue => f.write_str("Missing value"),
            Rejected::UnparsableValue => f.write_str("Unable to parse value for measurement"),
            Rejected::UnknownType { symbol } => {
                f.write_str("Unknown type: ")?;
                let shown = if symbol.is_ascii() {
                    char::from(symbol)
                } else {
                    char::REPLACEMENT_CHARACTER
                };
                f.write_char(shown)
            }
        }
    }
}

impl core::error::Error for Rejected {}
