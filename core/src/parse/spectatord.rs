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

use core::fmt::{self, Write as _};

use super::strtod::{is_c_space, strtod, strtoll, strtoull};

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

/// A line spectatord accepts, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Accepted<'a> {
    /// The first byte of the line: one of `A c C d D g m t T U X`.
    pub symbol: u8,
    /// The `strtoll` value of the option when a `,` followed the symbol (`Some(0)` for `c,:…`);
    /// spectatord uses it as the gauge TTL in seconds (`g`, when `> 0`) and as the sample time
    /// in milliseconds since the epoch (`X`). Other symbols ignore it.
    pub option: Option<i64>,
    /// The meter name, raw (never empty).
    pub name: &'a [u8],
    /// The tags, raw, in line order. spectatord keeps the **last** value of a repeated key.
    pub tags: Tags<'a>,
    /// The parsed value.
    pub value: ParsedValue,
    /// Set when the byte right after the number is neither the end of the line nor a C space:
    /// spectatord accepts the line and logs this warning at INFO.
    pub warning: Option<Warning<'a>>,
}

impl Accepted<'_> {
    /// Whether spectatord records the measurement: always, except for `X` without an option,
    /// which it counts as parsed and then ignores.
    pub fn is_recorded(&self) -> bool {
        self.symbol != b'X' || self.option.is_some()
    }
}

/// A value as spectatord parsed it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ParsedValue {
    /// `strtod` of the value, for every symbol but `U`. For `X` spectatord goes on to use the
    /// bit pattern of this double as a `u64` (`f64::to_bits`), at commit 429cd8d.
    Float(f64),
    /// `strtoull(…, 10)` of the value, for `U`.
    Unsigned(u64),
}

/// `Display` renders the value as spectatord's log messages do (fmt's `{}`): the shortest
/// representation that round-trips, fixed notation for decimal exponents from -4 to 15
/// (`0.0001`, `123`, `1000000000000000`), exponent notation otherwise (`1e+16`, `1.5e-07`),
/// and `inf`, `-inf`, `nan`, `-nan`.
impl fmt::Display for ParsedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParsedValue::Float(value) => write_like_fmt(f, value),
            ParsedValue::Unsigned(value) => write!(f, "{value}"),
        }
    }
}

/// The warning for trailing bytes after a value; the line is still accepted.
///
/// `Display` renders spectatord's message, `Got <value> parsing value, ignoring chars starting
/// at <rest of the line>`. Bytes that are not UTF-8 are shown as U+FFFD (spectatord writes them
/// raw). spectatord logs it as `While parsing <line after the first ':'>: <message>`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Warning<'a> {
    /// The value that was parsed and kept.
    pub value: ParsedValue,
    /// The bytes that were ignored, from the first one the number parser stopped at.
    pub ignored: &'a [u8],
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Got {} parsing value, ignoring chars starting at ",
            self.value
        )?;
        write_lossy(f, self.ignored)
    }
}

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

/// The tags of an accepted line: an iterator over raw `(key, value)` pairs in line order,
/// re-scanning the line lazily with spectatord's rules.
///
/// A key may appear more than once; spectatord keeps the **last** value (see [`Tags::get`]).
/// Keys and values may be empty, and a key may contain `:` or `,`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Tags<'a> {
    /// The line from the next `,` that may start a tag; empty when done.
    rest: &'a [u8],
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
}

/// The lines of a datagram, from [`parse_datagram`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DatagramLines<'a> {
    /// The whole datagram.
    bytes: &'a [u8],
    /// Where its C string ends: the first NUL, or `bytes.len()`.
    limit: usize,
    /// Where the next line starts; `limit` when done.
    next: usize,
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
        Some(DatagramLine {
            offset: start,
            line: self.bytes.get(start..end).unwrap_or_default(),
            result: parse_in(buffer),
        })
    }
}

/// The receive buffer as spectatord's `parse_line` sees it while parsing one line: the whole
/// datagram followed by a NUL, with the `\n` that ends the current line replaced by a NUL and
/// later `\n`s still in place. Bytes past the datagram's terminator read as NUL.
#[derive(Clone, Copy)]
struct Buffer<'a> {
    /// The whole datagram (or lone line), NUL bytes included.
    bytes: &'a [u8],
    /// Where the line starts (its symbol).
    start: usize,
    /// Where the line's terminating NUL is: its `\n`, the datagram's first NUL, or
    /// `bytes.len()`.
    end: usize,
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
fn parse_in(buffer: Buffer<'_>) -> Result<Accepted<'_>, Rejected> {
    let symbol = buffer.byte(buffer.start);
    let (option, separator) = parse_option(buffer, symbol)?;
    if buffer.byte(separator) != b':' {
        return Err(Rejected::ExpectingSeparator {
            index: separator - buffer.start,
        });
    }
    let measurement = parse_measurement(buffer, separator + 1, symbol)?;
    if !matches!(
        symbol,
        b'A' | b'c' | b'C' | b'd' | b'D' | b'g' | b'm' | b't' | b'T' | b'U' | b'X'
    ) {
        return Err(Rejected::UnknownType { symbol });
    }
    Ok(Accepted {
        symbol,
        option,
        name: measurement.name,
        tags: measurement.tags,
        value: measurement.value,
        warning: measurement.warning,
    })
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
    let (value, warning) = parse_value(buffer.c_str(at + value_at), symbol)?;
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

/// Step 6: the value, from the C string `text`.
fn parse_value(text: &[u8], symbol: u8) -> Result<(ParsedValue, Option<Warning<'_>>), Rejected> {
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
        Some(&byte) if !is_c_space(byte) => Some(Warning { value, ignored }),
        _ => None,
    };
    Ok((value, warning))
}

/// The length of the C string `bytes` holds: up to its first NUL.
fn c_len(bytes: &[u8]) -> usize {
    find_byte(bytes, 0, 0).unwrap_or(bytes.len())
}

/// The index of the first `needle` at or after `from`.
fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    let found = bytes.get(from..)?.iter().position(|&b| b == needle)?;
    Some(from + found)
}

/// The index of the first `,` or `:` at or after `from` (C++ `find_first_of(",:")`).
fn find_separator(bytes: &[u8], from: usize) -> Option<usize> {
    let found = bytes
        .get(from..)?
        .iter()
        .position(|&b| b == b',' || b == b':')?;
    Some(from + found)
}

/// How many leading bytes of `bytes` are `byte`.
fn count_leading(bytes: Option<&[u8]>, byte: u8) -> usize {
    bytes.map_or(0, |b| b.iter().take_while(|&&c| c == byte).count())
}

/// Writes `bytes` as text, each invalid UTF-8 sequence as U+FFFD.
fn write_lossy(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        f.write_str(chunk.valid())?;
        if !chunk.invalid().is_empty() {
            f.write_char(char::REPLACEMENT_CHARACTER)?;
        }
    }
    Ok(())
}

/// Writes `value` as the {fmt} library's `{}` does for a `double` (shortest round-trip digits,
/// fixed notation for decimal exponents in `-4..16`, else `d.ddde±XX`).
fn write_like_fmt(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value.is_nan() {
        return write!(f, "{sign}nan");
    }
    if value.is_infinite() {
        return write!(f, "{sign}inf");
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d[.ddd]e[-]x`.
    let mut text = StackText::default();
    write!(text, "{:e}", value.abs())?;
    let (mantissa, exponent) = text.split_exponent().ok_or(fmt::Error)?;
    let mut digits = StackText::default();
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        digits.push(b)?;
    }
    let digits = digits.as_str();
    f.write_str(sign)?;
    if (-4..16).contains(&exponent) {
        write_fixed(f, digits, exponent)
    } else {
        write_exponential(f, digits, exponent)
    }
}

/// `digits` (the first one non-zero unless the value is 0) times 10^(`exponent` + 1 - len) in
/// fixed notation, without a trailing `.0`.
fn write_fixed(f: &mut fmt::Formatter<'_>, digits: &str, exponent: i32) -> fmt::Result {
    let int_len = usize::try_from(exponent + 1).unwrap_or(0);
    if exponent < 0 {
        f.write_str("0.")?;
        for _ in 0..exponent.unsigned_abs() - 1 {
            f.write_char('0')?;
        }
        return f.write_str(digits);
    }
    match (digits.get(..int_len), digits.get(int_len..)) {
        (Some(int), Some(frac)) if !frac.is_empty() => write!(f, "{int}.{frac}"),
        _ => {
            f.write_str(digits)?;
            for _ in digits.len()..int_len {
                f.write_char('0')?;
            }
            Ok(())
        }
    }
}

/// `d[.ddd]e±XX` with at least two exponent digits.
fn write_exponential(f: &mut fmt::Formatter<'_>, digits: &str, exponent: i32) -> fmt::Result {
    let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
    f.write_str(first)?;
    if !rest.is_empty() {
        write!(f, ".{rest}")?;
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    write!(f, "e{sign}{:02}", exponent.unsigned_abs())
}

/// A small ASCII text buffer on the stack, for formatting without allocation.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    /// Appends one byte.
    fn push(&mut self, byte: u8) -> fmt::Result {
        let slot = self.bytes.get_mut(self.len).ok_or(fmt::Error)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }

    /// The text written so far.
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The text written so far (only ASCII is ever written).
    fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Splits `…e<exponent>` into the part before the `e` and the exponent.
    fn split_exponent(&self) -> Option<(&[u8], i32)> {
        let bytes = self.as_bytes();
        let e = find_byte(bytes, 0, b'e')?;
        let exponent = core::str::from_utf8(bytes.get(e + 1..)?)
            .ok()?
            .parse()
            .ok()?;
        Some((bytes.get(..e)?, exponent))
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().try_for_each(|b| self.push(b))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::{String, ToString};
    use std::vec::Vec;

    use super::*;

    fn ok(line: &str) -> Accepted<'_> {
        match parse_line(line.as_bytes()) {
            Ok(accepted) => accepted,
            Err(e) => panic!("{line:?} rejected: {e}"),
        }
    }

    fn err(line: &str) -> Rejected {
        match parse_line(line.as_bytes()) {
            Ok(accepted) => panic!("{line:?} accepted: {accepted:?}"),
            Err(e) => e,
        }
    }

    fn message(line: &str) -> String {
        err(line).to_string()
    }

    fn float(line: &str) -> f64 {
        match ok(line).value {
            ParsedValue::Float(v) => v,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    fn warning(line: &str) -> Option<String> {
        ok(line).warning.map(|w| w.to_string())
    }

    fn tags(line: &str) -> Vec<(&str, &str)> {
        ok(line)
            .tags
            .map(|(k, v)| {
                (
                    core::str::from_utf8(k).unwrap(),
                    core::str::from_utf8(v).unwrap(),
                )
            })
            .collect()
    }

    fn datagram(d: &[u8]) -> Vec<(usize, &[u8], Result<Accepted<'_>, Rejected>)> {
        parse_datagram(d)
            .map(|l| (l.offset, l.line, l.result))
            .collect()
    }

    #[test]
    fn spectator_py_lines_are_accepted() {
        let a = ok("c:server.numRequests,id=failed:1");
        assert_eq!(a.symbol, b'c');
        assert_eq!(a.option, None);
        assert_eq!(a.name, b"server.numRequests");
        assert_eq!(a.value, ParsedValue::Float(1.0));
        assert_eq!(a.warning, None);
        assert_eq!(tags("c:server.numRequests,id=failed:1"), [("id", "failed")]);
        let g = ok("g,60:queue.size,k=v:42");
        assert_eq!((g.symbol, g.option), (b'g', Some(60)));
        assert_eq!(
            ok("A:time.sinceLastSuccess:0").value,
            ParsedValue::Float(0.0)
        );
        assert_eq!(
            ok("U:bytes:18446744073709551615").value,
            ParsedValue::Unsigned(u64::MAX)
        );
        assert_eq!(float("t:latency:1e-05"), 1e-5);
        for symbol in "AcCdDgmtTUX".chars() {
            let line = std::format!("{symbol}:n:1");
            assert_eq!(ok(&line).symbol, symbol as u8);
        }
    }

    #[test]
    fn option_rules() {
        assert_eq!(ok("c,:n:1").option, Some(0));
        assert_eq!(ok("c,5:n:1").option, Some(5));
        assert_eq!(ok("c,-3:n:1").option, Some(-3));
        assert_eq!(ok("g, +7:n:1").option, Some(7));
        assert_eq!(ok("X,1543160297100:m:42").option, Some(1_543_160_297_100));
        assert_eq!(
            ok("g,99999999999999999999:n:1").option,
            Some(i64::MAX),
            "strtoll saturates"
        );
        for line in [
            "g,0:x:1",
            "g,-5:x:1",
            "g,:x:1",
            "g,abc:x:1",
            "g,-99999999999999999999:x:1",
        ] {
            assert_eq!(err(line), Rejected::InvalidGaugeTtl { index: 2 }, "{line}");
        }
        assert_eq!(
            message("g,0:x:1"),
            "Invalid ttl specified for gauge at index 2"
        );
        assert_eq!(
            err("X,0:x:1"),
            Rejected::InvalidSampledTimestamp { index: 2 }
        );
        assert_eq!(
            message("X,-1:x:1"),
            "Invalid timestamp specified for monotonic sampled source at index 2"
        );
    }

    #[test]
    fn separator_rules() {
        assert_eq!(err("g,1.5:x:1"), Rejected::ExpectingSeparator { index: 3 });
        assert_eq!(message("g,1.5:x:1"), "Expecting separator ':' at index 3");
        assert_eq!(err("c"), Rejected::ExpectingSeparator { index: 1 });
        assert_eq!(err(""), Rejected::ExpectingSeparator { index: 1 });
        assert_eq!(err("cc:x:1"), Rejected::ExpectingSeparator { index: 1 });
        assert_eq!(err("c,"), Rejected::ExpectingSeparator { index: 2 });
        assert_eq!(err("c,abc:x:1"), Rejected::ExpectingSeparator { index: 2 });
        assert_eq!(err("c,12x:x:1"), Rejected::ExpectingSeparator { index: 4 });
        assert_eq!(err("c, 12 :x:1"), Rejected::ExpectingSeparator { index: 5 });
        // An unknown symbol still gets the separator checks first.
        assert_eq!(err("S,1.5:x:1"), Rejected::ExpectingSeparator { index: 3 });
    }

    #[test]
    fn name_rules() {
        assert_eq!(err("c::1"), Rejected::MissingName);
        assert_eq!(message("c::1"), "Missing name");
        assert_eq!(err("c:,a=b:1"), Rejected::MissingName);
        assert_eq!(err("c:"), Rejected::MissingName);
        assert_eq!(err("c:name"), Rejected::MissingName);
        assert_eq!(err("c:name 1"), Rejected::MissingName);
        assert_eq!(err("S::1"), Rejected::MissingName);
        assert_eq!(parse_line(b"c:a b\xff:1").unwrap().name, b"a b\xff");
    }

    #[test]
    fn tag_rules() {
        assert_eq!(
            tags("c:n,foo=bar,k=v1,k2=v2:2"),
            [("foo", "bar"), ("k", "v1"), ("k2", "v2")]
        );
        // Empty keys and values are accepted.
        assert_eq!(tags("c:n,=:1"), [("", "")]);
        assert_eq!(tags("c:n,a=:1"), [("a", "")]);
        assert_eq!(tags("c:n,=b:1"), [("", "b")]);
        // The key runs to the next `=` wherever it is.
        assert_eq!(tags("c:n,a:b=c:1"), [("a:b", "c")]);
        assert_eq!(tags("c:n,a,b=c:1"), [("a,b", "c")]);
        // The value runs to the next `,` or `:`; `=` is an ordinary byte in it.
        assert_eq!(tags("c:n,a=b=c:1"), [("a", "b=c")]);
        assert_eq!(message("c:n,a=b"), "Missing value");
        assert_eq!(err("c:n,a=b,c=d"), Rejected::MissingValue);
        assert_eq!(err("S:n,a=b"), Rejected::MissingValue);
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let a = ok("c:n,k=1,j=2,k=3:1");
        assert_eq!(a.tags.count(), 3);
        assert_eq!(a.tags.get(b"k"), Some(&b"3"[..]));
        assert_eq!(a.tags.get(b"j"), Some(&b"2"[..]));
        assert_eq!(a.tags.get(b"x"), None);
        assert_eq!(ok("c:n:1").tags.count(), 0);
    }

    #[test]
    fn comma_without_equals_skips_one_byte() {
        // Tag parsing stops; the value starts two bytes after the `,`.
        let a = ok("c:n,:5");
        assert_eq!((a.name, a.tags.count()), (&b"n"[..], 0));
        assert_eq!(a.value, ParsedValue::Float(5.0));
        assert_eq!(float("c:n,x5"), 5.0);
        assert_eq!(float("c:n,a=b,:7"), 7.0);
        assert_eq!(tags("c:n,a=b,:7"), [("a", "b")]);
        assert_eq!(err("c:n,a:1"), Rejected::UnparsableValue);
        assert_eq!(err("c:n,:"), Rejected::UnparsableValue);
        assert_eq!(err("c:n,a=b,cd:1"), Rejected::UnparsableValue);
    }

    #[test]
    fn trailing_comma_reads_past_a_lone_line_as_empty() {
        assert_eq!(err("c:n,"), Rejected::UnparsableValue);
        assert_eq!(err("c:n,a=b,"), Rejected::UnparsableValue);
    }

    #[test]
    fn value_forms() {
        assert_eq!(float("c:x:.001"), 0.001);
        assert_eq!(float("c:x:1e+16"), 1e16);
        assert_eq!(float("c:x:0x1p3"), 8.0);
        assert_eq!(float("c:x: \t42"), 42.0);
        assert_eq!(float("c:x:+Inf"), f64::INFINITY);
        assert_eq!(float("c:x:infinity"), f64::INFINITY);
        assert_eq!(float("c:x:-inf"), f64::NEG_INFINITY);
        assert!(float("c:x:nan").is_nan());
        assert!(float("c:x:NaN").is_nan());
        let negative_nan = float("c:x:-nan");
        assert!(negative_nan.is_nan() && negative_nan.is_sign_negative());
        assert_eq!(float("c:x:1\r"), 1.0);
        assert_eq!(warning("c:x:1\r"), None);
        assert_eq!(err("c:x:"), Rejected::UnparsableValue);
        assert_eq!(err("c:x:abc"), Rejected::UnparsableValue);
        assert_eq!(message("c:x:True"), "Unable to parse value for measurement");
        assert_eq!(err("c:x:."), Rejected::UnparsableValue);
    }

    #[test]
    fn unsigned_values() {
        assert_eq!(
            ok("U:x:-1").value,
            ParsedValue::Unsigned(18_446_744_073_709_551_615)
        );
        assert_eq!(
            ok("U:x:99999999999999999999").value,
            ParsedValue::Unsigned(u64::MAX)
        );
        assert_eq!(warning("U:x:99999999999999999999"), None);
        let a = ok("U:x:21.5");
        assert_eq!(a.value, ParsedValue::Unsigned(21));
        assert_eq!(
            a.warning.unwrap().to_string(),
            "Got 21 parsing value, ignoring chars starting at .5"
        );
        assert_eq!(
            warning("U:x:1e3").unwrap(),
            "Got 1 parsing value, ignoring chars starting at e3"
        );
        assert_eq!(err("U:x:nan"), Rejected::UnparsableValue);
        assert_eq!(err("U:x:.5"), Rejected::UnparsableValue);
    }

    #[test]
    fn trailing_bytes_give_a_warning() {
        let a = ok("c:name:123abc");
        assert_eq!(a.value, ParsedValue::Float(123.0));
        assert_eq!(a.warning.unwrap().ignored, b"abc");
        assert_eq!(
            warning("c:name:123abc").unwrap(),
            "Got 123 parsing value, ignoring chars starting at abc"
        );
        assert_eq!(
            warning("c:x:1e").unwrap(),
            "Got 1 parsing value, ignoring chars starting at e"
        );
        assert_eq!(
            warning("c:x:1.5:2").unwrap(),
            "Got 1.5 parsing value, ignoring chars starting at :2"
        );
        assert_eq!(
            warning("g:x:1e20x").unwrap(),
            "Got 1e+20 parsing value, ignoring chars starting at x"
        );
        assert_eq!(
            warning("g:x:-nan(").unwrap(),
            "Got -nan parsing value, ignoring chars starting at ("
        );
        assert_eq!(
            warning("g:x:infx").unwrap(),
            "Got inf parsing value, ignoring chars starting at x"
        );
        assert_eq!(
            warning("g:x:1\u{e9}").unwrap(),
            "Got 1 parsing value, ignoring chars starting at \u{e9}"
        );
        let raw = parse_line(b"g:x:1\xff!").unwrap().warning.unwrap();
        assert_eq!(
            raw.to_string(),
            "Got 1 parsing value, ignoring chars starting at \u{fffd}!"
        );
        // Only the first byte after the number is looked at.
        assert_eq!(warning("c:x:1 junk"), None);
        assert_eq!(warning("c:x:1\tjunk"), None);
    }

    #[test]
    fn unknown_types_are_checked_last() {
        assert_eq!(err("S:x:AQ=="), Rejected::UnparsableValue);
        assert_eq!(message("S:x:AQ=="), "Unable to parse value for measurement");
        assert_eq!(err("S:x:12"), Rejected::UnknownType { symbol: b'S' });
        assert_eq!(message("S:x:12"), "Unknown type: S");
        assert_eq!(message("s:x:12"), "Unknown type: s");
        assert_eq!(
            message("S:users:aMOpbGxv"),
            "Unable to parse value for measurement"
        );
        assert_eq!(message("1:c:1"), "Unknown type: 1");
        assert_eq!(err("1:c:x:1"), Rejected::UnparsableValue);
        assert_eq!(
            parse_line(b"\xc3:x:1").unwrap_err().to_string(),
            "Unknown type: \u{fffd}"
        );
        // The option of an unknown type is parsed and kept before it fails.
        assert_eq!(err("Z,0:x:1"), Rejected::UnknownType { symbol: b'Z' });
    }

    #[test]
    fn x_rules() {
        let x = ok("X:x:1");
        assert_eq!((x.symbol, x.option), (b'X', None));
        assert!(!x.is_recorded());
        assert!(ok("X,1543160297100:x:1").is_recorded());
        assert!(ok("c:x:1").is_recorded());
    }

    #[test]
    fn nul_ends_a_line() {
        assert_eq!(float("c:x:12\x0034"), 12.0);
        assert_eq!(warning("c:x:12\x00junk"), None);
        assert_eq!(err("c:x\x00:1"), Rejected::MissingName);
    }

    #[test]
    fn fmt_style_numbers() {
        let shown = |v: f64| ParsedValue::Float(v).to_string();
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(-0.0), "-0");
        assert_eq!(shown(1.0), "1");
        assert_eq!(shown(123.0), "123");
        assert_eq!(shown(1.5), "1.5");
        assert_eq!(shown(-2.25), "-2.25");
        assert_eq!(shown(0.1), "0.1");
        assert_eq!(shown(0.0001), "0.0001");
        assert_eq!(shown(0.00012), "0.00012");
        assert_eq!(shown(0.00001), "1e-05");
        assert_eq!(shown(1.5e-7), "1.5e-07");
        assert_eq!(shown(1e15), "1000000000000000");
        assert_eq!(shown(1.5e15), "1500000000000000");
        assert_eq!(shown(1234567.125), "1234567.125");
        assert_eq!(shown(1e16), "1e+16");
        assert_eq!(shown(1.2345e16), "1.2345e+16");
        assert_eq!(shown(1e100), "1e+100");
        assert_eq!(shown(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(shown(f64::from_bits(1)), "5e-324");
        assert_eq!(shown(f64::INFINITY), "inf");
        assert_eq!(shown(f64::NEG_INFINITY), "-inf");
        assert_eq!(shown(f64::NAN), "nan");
        assert_eq!(shown(-f64::NAN), "-nan");
        assert_eq!(
            ParsedValue::Unsigned(u64::MAX).to_string(),
            "18446744073709551615"
        );
    }

    #[test]
    fn rejected_index_accessor() {
        assert_eq!(err("g,0:x:1").index(), Some(2));
        assert_eq!(err("g,1.5:x:1").index(), Some(3));
        assert_eq!(err("c::1").index(), None);
        assert_eq!(err("S:x:1").index(), None);
    }

    #[test]
    fn datagram_splitting() {
        let lines = datagram(b"c:a:1\nc:b:2\n\n\nc:c:3\n\n");
        let offsets: Vec<usize> = lines.iter().map(|l| l.0).collect();
        assert_eq!(offsets, [0, 6, 14]);
        assert_eq!(lines[2].1, b"c:c:3");
        assert!(lines.iter().all(|l| l.2.is_ok()));
        assert!(datagram(b"").is_empty());
        assert!(datagram(b"\0c:a:1").is_empty());
        assert_eq!(datagram(b"c:a:1").len(), 1);
        // A NUL ends the datagram.
        let lines = datagram(b"c:a:1\nc:b:2\0\nc:c:3");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].1, b"c:b:2");
        // `\r\n` leaves the `\r` in the line, harmless after a value.
        let lines = datagram(b"c:a:1\r\nc:b,k=v\r:2\r\n");
        assert_eq!(lines[0].1, b"c:a:1\r");
        assert_eq!(lines[0].2.unwrap().warning, None);
        let second = lines[1].2.unwrap();
        assert_eq!(second.tags.get(b"k"), Some(&b"v\r"[..]));
    }

    #[test]
    fn leading_newline_is_one_error_that_reads_ahead() {
        let lines = datagram(b"\nc:a:1");
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].0, lines[0].1), (0, &b""[..]));
        assert_eq!(lines[0].2, Err(Rejected::ExpectingSeparator { index: 1 }));
        assert!(lines[1].2.is_ok());
        assert_eq!(
            datagram(b"\n")[0].2,
            Err(Rejected::ExpectingSeparator { index: 1 })
        );
        let lines = datagram(b"\n\n\nc:a:1\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, 3);
        // The bytes after the `\n` are read as the rest of the empty line.
        let lines = datagram(b"\n:x:1\nc:a:1");
        assert_eq!(lines[0].2, Err(Rejected::UnknownType { symbol: 0 }));
        assert_eq!(lines[0].2.unwrap_err().to_string(), "Unknown type: \0");
        assert_eq!(lines[1].1, b":x:1");
        assert_eq!(
            datagram(b"\n,0x:1")[0].2,
            Err(Rejected::ExpectingSeparator { index: 3 })
        );
        assert_eq!(
            datagram(b"\n,0:x:1")[0].2,
            Err(Rejected::UnknownType { symbol: 0 })
        );
        assert_eq!(
            datagram(b"\n:x,a=b\nc:1")[0].2,
            Err(Rejected::UnknownType { symbol: 0 })
        );
        assert_eq!(datagram(b"\n:\n")[0].2, Err(Rejected::MissingName));
    }

    #[test]
    fn trailing_comma_reads_the_next_line() {
        let lines = datagram(b"c:n,\n5");
        let first = lines[0].2.unwrap();
        assert_eq!(
            (first.name, first.value),
            (&b"n"[..], ParsedValue::Float(5.0))
        );
        assert_eq!(lines[1].2, Err(Rejected::ExpectingSeparator { index: 1 }));
        // Later `\n`s are still in place: whitespace to strtod, and part of the ignored text.
        let lines = datagram(b"c:n,\n\n\n7x\nc:y:1");
        let first = lines[0].2.unwrap();
        assert_eq!(first.value, ParsedValue::Float(7.0));
        assert_eq!(first.warning.unwrap().ignored, b"x\nc:y:1");
        assert_eq!(lines.len(), 3);
        assert_eq!(
            datagram(b"c:n,\nc:y:1")[0].2,
            Err(Rejected::UnparsableValue)
        );
        assert_eq!(datagram(b"c:n,")[0].2, Err(Rejected::UnparsableValue));
    }

    #[test]
    fn trailing_comma_reads_past_a_nul() {
        let lines = datagram(b"X:X,\x001");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].1, b"X:X,");
        let first = lines[0].2.unwrap();
        assert_eq!(
            (first.name, first.value),
            (&b"X"[..], ParsedValue::Float(1.0))
        );
        let a = parse_line(b"c:n,\x00 5 x").unwrap();
        assert_eq!(a.value, ParsedValue::Float(5.0));
        assert_eq!(a.warning, None);
        // The read stops at the next NUL.
        assert_eq!(err("c:n,\x00\x005"), Rejected::UnparsableValue);
        // Only the value is read there: a trailing `=` still needs its `,` or `:` in the line.
        assert_eq!(err("c:n,a=\x00:1"), Rejected::MissingValue);
    }

    #[test]
    fn datagram_lines_match_parse_line_for_ordinary_lines() {
        let d = b"c:a:1\ng,0:b:1\nS:c:12\nd:e,k=v:3.5x\n";
        for l in parse_datagram(d) {
            assert_eq!(l.result, parse_line(l.line), "{:?}", l.line);
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let samples: [&[u8]; 12] = [
            b"",
            b"\n",
            b",",
            b":",
            b",,",
            b"g,",
            b"c:,",
            b"c:n,=",
            b"c:n,a=,",
            b"\xff\xfe",
            b"c:n,a=b:\xff",
            b"\n\n,\n:\n,",
        ];
        for s in samples {
            let _ = parse_line(s);
            let _ = parse_datagram(s).count();
        }
        for a in 0..=255u8 {
            for b in [b',', b':', b'=', b'\n', b'1', 0, a] {
                let line = [a, b, b':', a, b, b'1', a];
                let _ = parse_line(&line).map(|x| x.tags.count());
                let _ = parse_datagram(&line).count();
            }
        }
    }
}
