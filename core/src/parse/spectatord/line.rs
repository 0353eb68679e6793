//! The line parser proper, spectatord's `parse_line` and `get_measurement`, on a [`Buffer`].

use crate::parse::strtod::{is_c_space, strtod, strtoll, strtoull};

use super::bytes::{c_len, find_byte, find_separator};
use super::{Accepted, ParsedValue, Rejected, Tags, Warning};

/// The receive buffer as spectatord's `parse_line` sees it while parsing one line: the whole
/// datagram followed by a NUL, with the `\n` that ends the current line replaced by a NUL and
/// later `\n`s still in place. Bytes past the datagram's terminator read as NUL.
#[derive(Clone, Copy)]
pub(super) struct Buffer<'a> {
    /// The whole datagram (or lone line), NUL bytes included.
    pub(super) bytes: &'a [u8],
    /// Where the line starts (its symbol).
    pub(super) start: usize,
    /// Where the line's terminating NUL is: its `\n`, the datagram's first NUL, or
    /// `bytes.len()`.
    pub(super) end: usize,
}

impl<'a> Buffer<'a> {
    /// The byte at `at`; NUL at the line's end and past the datagram.
    fn byte(&self, at: usize) -> u8 {
        if at == self.end {
            0
        } else {
            self.bytes.get(at).copied().unwrap_or(0)
        }
    }

    /// The C string that starts at `at`: up to the line's end, or, past the line's end, up to
    /// the next NUL of the datagram; empty past the datagram.
    fn c_str(&self, at: usize) -> &'a [u8] {
        if at <= self.end {
            return self.bytes.get(at..self.end).unwrap_or_default();
        }
        let rest = self.bytes.get(at..).unwrap_or_default();
        rest.get(..c_len(rest)).unwrap_or_default()
    }
}

/// spectatord's `parse_line` on the line at `buffer.start`.
pub(super) fn parse_in(buffer: Buffer<'_>) -> Result<Accepted<'_>, Rejected> {
    parse_logged(buffer).0
}

/// spectatord's `parse_line` on the line at `buffer.start`, with the warning it logs on the
/// way: an accepted line's [`Accepted::warning`], or the warning logged for a line then
/// rejected as an unknown type (the value is parsed before the type is checked).
pub(super) fn parse_logged(
    buffer: Buffer<'_>,
) -> (Result<Accepted<'_>, Rejected>, Option<Warning<'_>>) {
    let symbol = buffer.byte(buffer.start);
    let (option, separator) = match parse_option(buffer, symbol) {
        Ok(parsed) => parsed,
        Err(rejected) => return (Err(rejected), None),
    };
    if buffer.byte(separator) != b':' {
        let index = separator - buffer.start;
        return (Err(Rejected::ExpectingSeparator { index }), None);
    }
    let measurement = match parse_measurement(buffer, separator + 1, symbol) {
        Ok(measurement) => measurement,
        Err(rejected) => return (Err(rejected), None),
    };
    if !matches!(
        symbol,
        b'A' | b'c' | b'C' | b'd' | b'D' | b'g' | b'm' | b't' | b'T' | b'U' | b'X'
    ) {
        return (Err(Rejected::UnknownType { symbol }), measurement.warning);
    }
    let accepted = Accepted {
        symbol,
        option,
        name: measurement.name,
        tags: measurement.tags,
        value: measurement.value,
        warning: measurement.warning,
    };
    (Ok(accepted), measurement.warning)
}

/// Step 2: the optional `,<option>` after the symbol. Returns the option and the index where
/// the `:` is expected.
fn parse_option(buffer: Buffer<'_>, symbol: u8) -> Result<(Option<i64>, usize), Rejected> {
    let after_symbol = buffer.start + 1;
    if buffer.byte(after_symbol) != b',' {
        return Ok((None, after_symbol));
    }
    let digits = after_symbol + 1;
    let (option, consumed) = strtoll(buffer.c_str(digits));
    if option <= 0 {
        let index = digits - buffer.start;
        match symbol {
            b'g' => return Err(Rejected::InvalidGaugeTtl { index }),
            b'X' => return Err(Rejected::InvalidSampledTimestamp { index }),
            _ => {}
        }
    }
    Ok((Some(option), digits + consumed))
}

/// The parts `get_measurement` extracts.
struct Measurement<'a> {
    name: &'a [u8],
    tags: Tags<'a>,
    value: ParsedValue,
    warning: Option<Warning<'a>>,
}

/// Steps 4 to 6, spectatord's `get_measurement` on the C string that starts at `at`.
fn parse_measurement(
    buffer: Buffer<'_>,
    at: usize,
    symbol: u8,
) -> Result<Measurement<'_>, Rejected> {
    let text = buffer.c_str(at);
    let name_end = match find_separator(text, 0) {
        None | Some(0) => return Err(Rejected::MissingName),
        Some(end) => end,
    };
    let value_at = skip_tags(text, name_end)?;
    // `value_at` may point past the end of `text` (a trailing `,`); the C code then reads the
    // bytes after the line's terminator.
    let (value, warning) = parse_value(buffer.c_str(at + value_at), symbol, text)?;
    Ok(Measurement {
        name: text.get(..name_end).unwrap_or_default(),
        tags: Tags {
            rest: text.get(name_end..).unwrap_or_default(),
        },
        value,
        warning,
    })
}

/// Step 5: walks the tags after the name (`pos` is the `,` or `:` that ends it) and returns
/// where the value starts, relative to `text`.
fn skip_tags(text: &[u8], mut pos: usize) -> Result<usize, Rejected> {
    if text.get(pos) == Some(&b',') {
        while text.get(pos) != Some(&b':') {
            pos += 1;
            let Some(eq) = find_byte(text, pos, b'=') else {
                break;
            };
            pos = find_separator(text, eq + 1).ok_or(Rejected::MissingValue)?;
        }
    }
    Ok(pos + 1)
}

/// Step 6: the value, from the C string `text`; `measurement` is what a warning quotes.
fn parse_value<'a>(
    text: &'a [u8],
    symbol: u8,
    measurement: &'a [u8],
) -> Result<(ParsedValue, Option<Warning<'a>>), Rejected> {
    let (value, consumed) = if symbol == b'U' {
        let (value, consumed) = strtoull(text);
        (ParsedValue::Unsigned(value), consumed)
    } else {
        let (value, consumed) = strtod(text);
        (ParsedValue::Float(value), consumed)
    };
    if consumed == 0 {
        return Err(Rejected::UnparsableValue);
    }
    let ignored = text.get(consumed..).unwrap_or_default();
    let warning = match ignored.first() {
        Some(&byte) if !is_c_space(byte) => Some(Warning {
            value,
            ignored,
            measurement,
        }),
        _ => None,
    };
    Ok((value, warning))
}
