//! A meter's line prefix, `symbol[,ttl]:id:`: the part of every line that does not change
//! between updates, rendered once per meter and copied in front of each value.
//!
//! | type | rendered | for |
//! |---|---|---|
//! | [`StaticPrefix`] | while compiling, by [`static_meter!`](crate::static_meter) | `const`/`static` firmware meters: the text is in flash |
//! | [`Prefix<N>`] | once, from a run-time id ([`Prefix::new`]) | ids built at run time, in fixed memory |
//! | a binding's own (e.g. spectator-std's `Arc<str>`) | once, by the binding | bound meters ([`crate::meters::Binding`]) |
//!
//! [`render`] is the one function that writes a prefix; [`Measurement`](crate::Measurement)
//! uses it too.

use core::fmt;
use core::num::NonZeroU32;

use crate::meter_kind::MeterKind;
use crate::static_id::StaticId;
use crate::write::{all_or_nothing, LineWrite, Overflow};

/// Something holding a rendered line prefix, `symbol[,ttl]:id:`.
pub trait LinePrefix {
    /// The prefix: each line is this text followed by the value.
    fn line_prefix(&self) -> &str;
}

impl<P: LinePrefix + ?Sized> LinePrefix for &P {
    #[inline]
    fn line_prefix(&self) -> &str {
        (**self).line_prefix()
    }
}

/// Writes `symbol[,ttl]:id:` to `out`, all or nothing. The TTL is written for gauges only.
///
/// ```
/// use core::num::NonZeroU32;
/// use spectator_core::{prefix, MeterKind};
/// let mut s: heapless::String<32> = heapless::String::new();
/// prefix::render(MeterKind::Gauge, NonZeroU32::new(60), "queue.size", &mut s).unwrap();
/// assert_eq!(s.as_str(), "g,60:queue.size:");
/// ```
#[inline]
pub fn render<W: LineWrite + ?Sized>(
    kind: MeterKind,
    ttl: Option<NonZeroU32>,
    id: &str,
    out: &mut W,
) -> Result<(), Overflow> {
    all_or_nothing(out, |out| {
        out.push_ascii(kind.symbol())?;
        if let Some(ttl) = ttl.filter(|_| kind == MeterKind::Gauge) {
            out.push_ascii(b',')?;
            out.push_text(itoa::Buffer::new().format(ttl.get()))?;
        }
        out.push_ascii(b':')?;
        out.push_text(id)?;
        out.push_ascii(b':')
    })
}

/// The length of what [`render`] writes.
pub fn rendered_len(kind: MeterKind, ttl: Option<NonZeroU32>, id: &str) -> usize {
    let ttl = ttl
        .filter(|_| kind == MeterKind::Gauge)
        .map_or(0, |t| 1 + decimal_digits(t.get()));
    1 + ttl + 1 + id.len() + 1
}

/// A prefix rendered at run time into `N` bytes of fixed memory.
///
/// ```
/// use spectator_core::prefix::{LinePrefix, Prefix};
/// use spectator_core::{MeterId, MeterKind};
/// let id: MeterId<64> = MeterId::new("disk.used", &[("dev", "sda1")])?;
/// let p: Prefix<80> = Prefix::new(MeterKind::Counter, None, id.spectatord_id())?;
/// assert_eq!(p.line_prefix(), "c:disk.used,dev=sda1:");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Prefix<const N: usize>(heapless::String<N>);

impl<const N: usize> Prefix<N> {
    /// Renders the prefix of a `kind` meter (with `ttl` for a gauge) for the rendered `id`;
    /// [`Overflow`] when it does not fit `N` bytes.
    pub fn new(kind: MeterKind, ttl: Option<NonZeroU32>, id: &str) -> Result<Self, Overflow> {
        let mut text = heapless::String::new();
        render(kind, ttl, id, &mut text)?;
        Ok(Self(text))
    }
}

impl<const N: usize> LinePrefix for Prefix<N> {
    #[inline]
    fn line_prefix(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for Prefix<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Prefix").field(&self.0.as_str()).finish()
    }
}

#[cfg(feature = "defmt")]
#[cfg_attr(docsrs, doc(cfg(feature = "defmt")))]
impl<const N: usize> defmt::Format for Prefix<N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Prefix({=str})", self.0.as_str());
    }
}

/// A prefix rendered while compiling, whose text lives in flash: what
/// [`static_meter!`](crate::static_meter) builds for `const` and `static` meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StaticPrefix(&'static str);

impl StaticPrefix {
    /// The length of the prefix of a `kind` meter with `ttl_seconds` (0: none) for `id`.
    /// Fails to compile (in a `const`) when `ttl_seconds` is given for a kind other than a
    /// gauge.
    pub const fn rendered_len(kind: MeterKind, ttl_seconds: u32, id: StaticId) -> usize {
        let ttl = if ttl_seconds == 0 {
            0
        } else if matches!(kind, MeterKind::Gauge) {
            1 + decimal_digits(ttl_seconds)
        } else {
            panic!("static_meter!: only gauges have a TTL")
        };
        3 + ttl + id.as_str().len()
    }

    /// The prefix's bytes; `L` must be [`rendered_len`](Self::rendered_len) of the same
    /// arguments (a compile error otherwise, in a `const`).
    pub const fn render<const L: usize>(
        kind: MeterKind,
        ttl_seconds: u32,
        id: StaticId,
    ) -> [u8; L] {
        assert!(
            L == Self::rendered_len(kind, ttl_seconds, id),
            "static_meter!: wrong prefix length"
        );
        let mut out = [0u8; L];
        out[0] = kind.symbol();
        let mut i = 1;
        if ttl_seconds != 0 {
            out[1] = b',';
            let digits = decimal_digits(ttl_seconds);
            let mut rest = ttl_seconds;
            let mut d = digits;
            while d > 0 {
                out[1 + d] = b'0' + (rest % 10) as u8;
                rest /= 10;
                d -= 1;
            }
            i = 2 + digits;
        }
        out[i] = b':';
        i += 1;
        let id = id.as_str().as_bytes();
        let mut j = 0;
        while j < id.len() {
            out[i + j] = id[j];
            j += 1;
        }
        out[L - 1] = b':';
        out
    }

    /// Wraps rendered bytes (from [`render`](Self::render), kept in a `const`).
    pub const fn from_rendered(bytes: &'static [u8]) -> Self {
        match core::str::from_utf8(bytes) {
            Ok(text) => Self(text),
            Err(_) => panic!("static_meter!: a prefix is ASCII"),
        }
    }

    /// The prefix text.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl LinePrefix for StaticPrefix {
    #[inline]
    fn line_prefix(&self) -> &str {
        self.0
    }
}

const fn decimal_digits(mut v: u32) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// A `const` meter whose id is checked and whose line prefix is rendered while compiling:
/// `static_meter!(Kind, "name", "key" => "value", …)`, or `static_meter!(Gauge, ttl = 60,
/// "name", …)` for a gauge with a TTL. `Kind` is one of the types of [`meters`](crate::meters);
/// the id rules are those of [`static_id!`](crate::static_id).
///
/// The result is a `Kind<StaticPrefix>`: the prefix text is in flash, the meter takes no RAM
/// and updating it copies the prefix and writes the value. `static_meter!(aggregated Kind, …)`
/// builds an [aggregated](crate::aggregate) meter instead (a `static`, whose updates take no
/// sink; counters, gauges, max gauges, age gauges and monotonic counters).
///
/// ```
/// use spectator_core::meters::{Counter, Gauge};
/// use spectator_core::{static_meter, LineBuffer, MemoryTransport, StaticPrefix};
///
/// const PRESSES: Counter<StaticPrefix> = static_meter!(Counter, "button.presses", "button" => "left");
/// const TEMP: Gauge<StaticPrefix> = static_meter!(Gauge, ttl = 60, "temp", "unit" => "celsius");
///
/// let mut udp: MemoryTransport<256, 4> = MemoryTransport::new();
/// let mut buffer: LineBuffer<128> = LineBuffer::new();
/// let mut sink = buffer.via(&mut udp);
/// PRESSES.increment(&mut sink);
/// TEMP.set(&mut sink, 21);
/// sink.flush().unwrap();
/// assert_eq!(udp.datagram(0), Some(&b"c:button.presses,button=left:1\ng,60:temp,unit=celsius:21"[..]));
/// ```
///
/// ```compile_fail
/// // Only gauges have a TTL.
/// const C: spectator_core::meters::Counter<spectator_core::StaticPrefix> =
///     spectator_core::static_meter!(Counter, ttl = 60, "c");
/// ```
#[macro_export]
macro_rules! static_meter {
    (aggregated $meter:ident, ttl = $ttl:expr, $name:literal $(, $key:literal => $value:literal)* $(,)?) => {
        $crate::__static_meter!(aggregated $meter, $ttl, $name $(, $key => $value)*)
    };
    (aggregated $meter:ident, $name:literal $(, $key:literal => $value:literal)* $(,)?) => {
        $crate::__static_meter!(aggregated $meter, 0, $name $(, $key => $value)*)
    };
    ($meter:ident, ttl = $ttl:expr, $name:literal $(, $key:literal => $value:literal)* $(,)?) => {
        $crate::__static_meter!($meter, $ttl, $name $(, $key => $value)*)
    };
    ($meter:ident, $name:literal $(, $key:literal => $value:literal)* $(,)?) => {
        $crate::__static_meter!($meter, 0, $name $(, $key => $value)*)
    };
}

/// The body of [`static_meter!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __static_meter {
    (aggregated $meter:ident, $ttl:expr, $name:literal $(, $key:literal => $value:literal)*) => {
        $crate::meters::$meter::new($crate::meters::Bound::new($crate::aggregate::Aggregated::new(
            $crate::__static_meter!(@prefix $meter, $ttl, $name $(, $key => $value)*),
            <$crate::meters::$meter<()> as $crate::aggregate::Aggregatable>::CELL,
        )))
    };
    ($meter:ident, $ttl:expr, $name:literal $(, $key:literal => $value:literal)*) => {
        $crate::meters::$meter::new($crate::__static_meter!(@prefix $meter, $ttl, $name $(, $key => $value)*))
    };
    (@prefix $meter:ident, $ttl:expr, $name:literal $(, $key:literal => $value:literal)*) => {{
        const ID: $crate::StaticId = $crate::static_id!($name $(, $key => $value)*);
        const KIND: $crate::MeterKind = $crate::meters::$meter::<$crate::StaticPrefix>::KIND;
        const LEN: usize = $crate::StaticPrefix::rendered_len(KIND, $ttl, ID);
        const BYTES: [u8; LEN] = $crate::StaticPrefix::render::<LEN>(KIND, $ttl, ID);
        $crate::StaticPrefix::from_rendered(&BYTES)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meters::{Counter, Gauge, Timer};

    const C: Counter<StaticPrefix> = static_meter!(Counter, "a.b", "kk" => "v", "ll" => "w");
    const G: Gauge<StaticPrefix> = static_meter!(Gauge, ttl = 4294967295, "q");
    const G0: Gauge<StaticPrefix> = static_meter!(Gauge, "q");
    const T: Timer<StaticPrefix> = static_meter!(Timer, "t", "zz" => "1",);

    fn rendered<const N: usize>(kind: MeterKind, ttl: u32, id: &str) -> Prefix<N> {
        Prefix::new(kind, NonZeroU32::new(ttl), id).unwrap()
    }

    #[test]
    fn static_prefixes_are_the_rendered_ones() {
        let cases: [(&str, Prefix<32>); 4] = [
            (
                C.prefix().as_str(),
                rendered(MeterKind::Counter, 0, "a.b,kk=v,ll=w"),
            ),
            (
                G.prefix().as_str(),
                rendered(MeterKind::Gauge, 4294967295, "q"),
            ),
            (G0.prefix().as_str(), rendered(MeterKind::Gauge, 0, "q")),
            (T.prefix().as_str(), rendered(MeterKind::Timer, 0, "t,zz=1")),
        ];
        for (fixed, runtime) in cases {
            assert_eq!(fixed, runtime.line_prefix());
            assert_eq!(fixed.len(), rendered_len_of(&runtime));
        }
        assert_eq!(G.prefix().as_str(), "g,4294967295:q:");
    }

    fn rendered_len_of<const N: usize>(p: &Prefix<N>) -> usize {
        p.line_prefix().len()
    }

    #[test]
    fn ttl_only_for_gauges_and_lengths_agree() {
        let ttl = NonZeroU32::new(60);
        let p: Prefix<16> = Prefix::new(MeterKind::MaxGauge, ttl, "m").unwrap();
        assert_eq!(p.line_prefix(), "m:m:");
        for (kind, id) in [(MeterKind::Gauge, "g"), (MeterKind::MaxGauge, "m")] {
            let p: Prefix<16> = Prefix::new(kind, ttl, id).unwrap();
            assert_eq!(p.line_prefix().len(), rendered_len(kind, ttl, id));
        }
        assert_eq!(
            Prefix::<4>::new(MeterKind::Counter, None, "ab"),
            Err(Overflow)
        );
    }
}
