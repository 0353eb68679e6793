//! What spectatord makes of a line it accepts: [`Accepted`], its [`ParsedValue`] and the
//! [`Warning`] for trailing bytes, with the messages their `Display` renders.

use core::fmt::{self, Write as _};

use super::c_format::write_like_fmt;
use super::tags::Tags;

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

/// The warning for trailing bytes after a value; the line is still accepted (unless its type
/// is unknown: spectatord checks the type only after parsing the value, so it logs this warning
/// and then rejects the line, see [`DatagramLine::warning`](super::DatagramLine::warning)).
///
/// `Display` renders spectatord's message, `Got <value> parsing value, ignoring chars starting
/// at <rest of the line>`. Bytes that are not UTF-8 are shown as U+FFFD (spectatord writes them
/// raw). spectatord logs it at INFO as `While parsing <measurement>: <message>`, where the
/// measurement is the line after the `:` that follows the type and option: [`Warning::logged`]
/// renders that whole log message.
///
/// ```
/// use spectator_core::parse::spectatord::parse_line;
/// let warning = parse_line(b"c,5:req,k=v:1x").unwrap().warning.unwrap();
/// assert_eq!(warning.to_string(), "Got 1 parsing value, ignoring chars starting at x");
/// assert_eq!(
///     warning.logged().to_string(),
///     "While parsing req,k=v:1x: Got 1 parsing value, ignoring chars starting at x"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Warning<'a> {
    /// The value that was parsed and kept.
    pub value: ParsedValue,
    /// The bytes that were ignored, from the first one the number parser stopped at.
    pub ignored: &'a [u8],
    /// What spectatord's log message quotes: the line from the byte after the `:` that follows
    /// the type (and option) to the end of the line.
    pub measurement: &'a [u8],
}

impl<'a> Warning<'a> {
    /// spectatord's whole log message for the warning: `While parsing <measurement>:
    /// <message>`.
    pub fn logged(&self) -> Logged<'a> {
        Logged(*self)
    }
}

/// The `Display` of spectatord's log message for a [`Warning`], from [`Warning::logged`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Logged<'a>(Warning<'a>);

impl fmt::Display for Logged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("While parsing ")?;
        write_lossy(f, self.0.measurement)?;
        write!(f, ": {}", self.0)
    }
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
