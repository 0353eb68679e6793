//! spectatord's own line parser, emulated byte for byte and without copying, so a program can
//! check what the agent will accept, and with which message it rejects the rest.
//!
//! The reference is `server/spectatord.cc` of Netflix-Skunkworks/spectatord at commit 429cd8d
//! (functions `Server::parse_lines`, `Server::parse_line` and `get_measurement`); the parsing
//! code there is the same as in the 2024 commit that introduced `U` (4e0f274) and in the later
//! `server/transport` reorganisation (38c27f0). Spec §12.2 summarises it; where the summary and
//! the code differ this module follows the code, and the differences are listed below.
//!
//! # The rules, in the order spectatord applies them
//!
//! 1. The symbol is the first byte, whatever it is.
//! 2. If the next byte is `,`, the option is C `strtoll(…, 10)` of what follows (leading spaces
//!    and a sign allowed, saturating). An option `<= 0` is an error for `g`
//!    ([`Rejected::InvalidGaugeTtl`]) and for `X` ([`Rejected::InvalidSampledTimestamp`]), both
//!    at index 2 (the byte after the `,`); other symbols keep it. Parsing goes on where `strtoll`
//!    stopped (right after the `,` when it read no digit).
//! 3. The next byte must be `:` ([`Rejected::ExpectingSeparator`], at the index of that byte).
//! 4. The name runs up to the first `,` or `:`; none found, or an empty name, is
//!    [`Rejected::MissingName`].
//! 5. After a `,`: the key runs up to the next `=` **anywhere** in the rest of the line (so a key
//!    may contain `:` or `,`), the value up to the next `,` or `:` ([`Rejected::MissingValue`]
//!    if there is none); this repeats while the value ends with `,`. Empty keys and values are
//!    accepted; a repeated key replaces the earlier value. If no `=` follows a `,`, tag parsing
//!    stops and the value starts **two** bytes after that `,` (the byte after the `,` is skipped
//!    whatever it is: `c:n,:5` and even `c:n,x5` are counters named `n` with value 5).
//! 6. The value is C `strtod` (`strtoull(…, 10)` for `U`): nothing parsed is
//!    [`Rejected::UnparsableValue`]. If the first byte after the number is neither the end of the
//!    line nor a C space, the line is still accepted, with a [`Warning`].
//! 7. Only then is the symbol checked: `A c C d D g m t T U X` are known, anything else is
//!    [`Rejected::UnknownType`] — so `S:x:AQ==` fails at step 6 and `S:x:12` here.
//!
//! A line with an unknown type and characters after its value (`S:x:5x`) gets the warning of
//! step 6 before it is rejected at step 7: spectatord logs both, and [`parse_datagram`] gives
//! the warning with the rejection ([`DatagramLine::warning`]).
//!
//! Accepted `X` lines without an option are counted as parsed but not recorded (see
//! [`Accepted::is_recorded`]). spectatord logs errors of steps 2–6 at INFO as
//! `Parse error for '<line>': <message>`, but not [`Rejected::UnknownType`]; every line counts
//! towards `spectatord.parsedCount` or `spectatord.parseErrors`.
//!
//! # Where the C code reads past the end of a line
//!
//! spectatord works on the NUL-terminated receive buffer in place, replacing each `\n` with a NUL
//! as it reaches it. Two inputs make it read beyond the line it is parsing:
//!
//! * a datagram that starts with `\n`: the empty first line has symbol NUL, and the bytes after
//!   the `\n` (later `\n` included) are read as the rest of that line. The line is always
//!   rejected, but with a message that depends on those bytes (`"\n"` gives
//!   `Expecting separator ':' at index 1`, `"\n:x:1"` gives `Unknown type: ` and a NUL);
//! * a tag section that ends with a `,` as the last byte (`c:n,`): the value is read from the
//!   byte after the line's terminator, that is from the next line of the datagram, or from the
//!   bytes after a NUL that ended the line (`c:n,\0 5` is a counter with value 5).
//!
//! [`parse_datagram`] reproduces both exactly, and [`parse_line`] the second one on its input.
//! Past the datagram's own terminator spectatord reads stale bytes of its receive buffer; this
//! module reads them as NUL (an empty string).
//!
//! This emulation was checked against a transcription of the three C++ functions built with
//! glibc and {fmt} (spectatord pins fmt 11): the same results, messages and warnings on millions
//! of random datagrams.
//!
//! # Differences from spec §12.2
//!
//! * Step 5: the spec says a `,` without a following `=` just ends the tags; the code also skips
//!   the next byte and takes the value from there, without requiring a `:` (see rule 5 above).
//!   Keys are not bounded by `:` or `,` (`c:n,a:b=c:1` has the key `a:b`).
//! * Step 6: only the first byte after the number is checked: `c:x:1 junk` gets no warning.
//! * A datagram starting with `\n` does produce one error, but its message depends on the bytes
//!   that follow (see above), not always a fixed one.
//! * Errors at step 2 always report index 2.
//!
//! spectatord later learned `S` and `s` (distinct count sketches, commit b693d05); at 429cd8d
//! they are unknown, as emulated here.
//!
//! # Not emulated
//!
//! spectatord receives at most 65,536 bytes per datagram; [`parse_datagram`] parses whatever it
//! is given. Names, keys and values are returned raw: the agent later maps every byte outside
//! `-._~^0-9A-Za-z` to `_`, so keys that differ only there collide (and the last value wins).

mod accepted;
mod bytes;
mod c_format;
mod datagram;
mod line;
mod rejected;
mod tags;
#[cfg(test)]
mod tests;

pub use accepted::{Accepted, Logged, ParsedValue, Warning};
pub use datagram::{DatagramLine, DatagramLines};
pub use rejected::Rejected;
pub use tags::Tags;

use bytes::c_len;
use line::{parse_in, Buffer};

/// Parses one line as spectatord's `parse_line` does.
///
/// `line` is one line of a datagram without its `\n` (a `\n` inside is an ordinary byte here,
/// which spectatord never sees). As in C, a NUL byte ends the line; the bytes after it are only
/// read where spectatord reads past the end of a line (a trailing `,`), so
/// `parse_line(bytes)` is the first line of `parse_datagram(bytes)` whenever `bytes` holds no
/// `\n`. Use [`parse_datagram`] to split a datagram the way spectatord does.
///
/// ```
/// use spectator_core::parse::spectatord::{parse_line, ParsedValue, Rejected};
///
/// let line = parse_line(b"g,60:queue.size,k=v:42").unwrap();
/// assert_eq!((line.symbol, line.option, line.name), (b'g', Some(60), &b"queue.size"[..]));
/// assert_eq!(line.tags.collect::<Vec<_>>(), [(&b"k"[..], &b"v"[..])]);
/// assert_eq!(line.value, ParsedValue::Float(42.0));
/// assert!(line.warning.is_none());
///
/// let rejected = parse_line(b"g,1.5:x:1").unwrap_err();
/// assert_eq!(rejected, Rejected::ExpectingSeparator { index: 3 });
/// assert_eq!(rejected.to_string(), "Expecting separator ':' at index 3");
///
/// let odd = parse_line(b"U:x:21.5").unwrap();
/// assert_eq!(odd.value, ParsedValue::Unsigned(21));
/// assert_eq!(
///     odd.warning.unwrap().to_string(),
///     "Got 21 parsing value, ignoring chars starting at .5"
/// );
/// ```
pub fn parse_line(line: &[u8]) -> Result<Accepted<'_>, Rejected> {
    parse_in(Buffer {
        bytes: line,
        start: 0,
        end: c_len(line),
    })
}

/// Splits a datagram into lines exactly as spectatord's `parse_lines` does, and parses each.
///
/// A NUL byte ends the datagram (bytes after it are only read where spectatord reads past the end
/// of a line, see the [module documentation](self)). Lines end at `\n`; the `\n`s that follow a
/// line's `\n` are
/// skipped, so blank lines and a trailing `\n` produce nothing, but a datagram that starts with
/// `\n` yields one rejected line first. A `\r` before a `\n` is part of the line; after a value
/// it is harmless (C whitespace), elsewhere it is an ordinary byte.
///
/// ```
/// use spectator_core::parse::spectatord::{parse_datagram, Rejected};
///
/// let mut lines = parse_datagram(b"c:a:1\r\n\n\nS:b:AQ==\ng,0:c:1\n");
/// let first = lines.next().unwrap();
/// assert_eq!((first.offset, first.line), (0, &b"c:a:1\r"[..]));
/// assert!(first.result.is_ok());
/// assert_eq!(lines.next().unwrap().result, Err(Rejected::UnparsableValue));
/// assert_eq!(
///     lines.next().unwrap().result.unwrap_err().to_string(),
///     "Invalid ttl specified for gauge at index 2"
/// );
/// assert!(lines.next().is_none());
/// ```
pub fn parse_datagram(datagram: &[u8]) -> DatagramLines<'_> {
    DatagramLines {
        bytes: datagram,
        limit: c_len(datagram),
        next: 0,
    }
}
