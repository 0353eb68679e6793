//! [`Measurement`]: one line as data (kind, TTL, id, value), and its rendering as a protocol
//! line (spec §1–2): for code that has a line's parts rather than a meter (tests, tools,
//! parsers' round trips). Meters render their prefix once instead ([`crate::prefix`]).
//!
//! A line is `symbol[,ttl]:id:value`. The id text is rendered once when the [`MeterId`] is
//! built.
//!
//! [`MeterId`]: crate::MeterId

use core::num::NonZeroU32;

use crate::meter_kind::MeterKind;
use crate::prefix;
use crate::value::Value;
use crate::write::{all_or_nothing, LineWrite, Overflow};

/// An update: meter kind, gauge TTL, rendered id and value. Cheap to copy.
///
/// ```
/// use spectator_core::{Measurement, MeterId, MeterKind, Value};
/// let id: MeterId<32> = MeterId::new("queue.size", &[("k", "v")])?;
/// let m = Measurement::new(MeterKind::Gauge, id.spectatord_id(), Value::Int(42))
///     .with_ttl(core::num::NonZeroU32::new(60));
/// let mut line: heapless::String<64> = heapless::String::new();
/// m.write_to(&mut line).unwrap();
/// assert_eq!(line.as_str(), "g,60:queue.size,k=v:42");
/// assert_eq!(m.line_len(), line.len());
/// # Ok::<(), spectator_core::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Measurement<'a> {
    /// The meter type.
    pub kind: MeterKind,
    /// The gauge TTL in seconds, written as `g,<ttl>`. spectatord rejects a TTL of 0, so the
    /// type cannot hold one. Ignored for other kinds.
    pub ttl: Option<NonZeroU32>,
    /// The rendered id ([`crate::MeterId::spectatord_id`]).
    pub id: &'a str,
    /// The value.
    pub value: Value<'a>,
}

impl<'a> Measurement<'a> {
    /// A measurement without TTL. The kind's client-side filter is not applied here; see
    /// [`Measurement::filtered`].
    #[inline]
    pub const fn new(kind: MeterKind, id: &'a str, value: Value<'a>) -> Self {
        Self {
            kind,
            ttl: None,
            id,
            value,
        }
    }

    /// A measurement, or `None` when the kind's filter drops the value (spec §1: counters write
    /// only values `> 0`; timers and distribution summaries only values `>= 0`).
    ///
    /// ```
    /// use spectator_core::{Measurement, MeterKind, Value};
    /// assert!(Measurement::filtered(MeterKind::Counter, "x", Value::Int(0)).is_none());
    /// assert!(Measurement::filtered(MeterKind::Timer, "x", Value::Float(-0.0)).is_some());
    /// ```
    #[inline]
    pub fn filtered(kind: MeterKind, id: &'a str, value: Value<'a>) -> Option<Self> {
        kind.accepts(&value).then_some(Self::new(kind, id, value))
    }

    /// Sets the gauge TTL (kept only for [`MeterKind::Gauge`]).
    #[inline]
    pub fn with_ttl(mut self, ttl: Option<NonZeroU32>) -> Self {
        self.ttl = ttl.filter(|_| self.kind == MeterKind::Gauge);
        self
    }

    /// Appends the line, without a trailing newline, to `out` (all or nothing).
    #[inline]
    pub fn write_to<W: LineWrite + ?Sized>(&self, out: &mut W) -> Result<(), Overflow> {
        all_or_nothing(out, |out| {
            self.push_prefix(out)?;
            self.value.write_to(out)
        })
    }

    /// Appends the line up to its value, `symbol[,ttl]:id:`, to `out` (all or nothing): what a
    /// meter renders once ([`crate::prefix`]) and reuses for every update.
    ///
    /// ```
    /// use spectator_core::{Measurement, MeterKind, Value};
    /// let m = Measurement::new(MeterKind::Gauge, "queue.size", Value::Int(42))
    ///     .with_ttl(core::num::NonZeroU32::new(60));
    /// let mut prefix: heapless::String<32> = heapless::String::new();
    /// m.write_prefix_to(&mut prefix).unwrap();
    /// assert_eq!(prefix.as_str(), "g,60:queue.size:");
    /// ```
    pub fn write_prefix_to<W: LineWrite + ?Sized>(&self, out: &mut W) -> Result<(), Overflow> {
        all_or_nothing(out, |out| self.push_prefix(out))
    }

    #[inline]
    fn push_prefix<W: LineWrite + ?Sized>(&self, out: &mut W) -> Result<(), Overflow> {
        prefix::render(self.kind, self.ttl, self.id, out)
    }

    /// The length in bytes of the line [`write_to`](Self::write_to) writes.
    pub fn line_len(&self) -> usize {
        prefix::rendered_len(self.kind, self.ttl, self.id) + self.value.rendered_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(m: Measurement<'_>) -> heapless::String<128> {
        let mut s = heapless::String::new();
        m.write_to(&mut s).unwrap();
        assert_eq!(s.len(), m.line_len());
        s
    }

    #[test]
    #[cfg(all(feature = "sketch", feature = "float"))]
    fn lines_have_the_protocol_shape() {
        assert_eq!(
            line(Measurement::new(
                MeterKind::Counter,
                "server.numRequests,id=failed",
                1.into()
            )),
            "c:server.numRequests,id=failed:1"
        );
        assert_eq!(
            line(Measurement::new(MeterKind::Counter, "x", 1.0.into())),
            "c:x:1.0"
        );
        assert_eq!(
            line(Measurement::new(
                MeterKind::AgeGauge,
                "time.sinceLastSuccess",
                0.into()
            )),
            "A:time.sinceLastSuccess:0"
        );
        assert_eq!(
            line(Measurement::new(
                MeterKind::MonotonicCounterUint,
                "bytes",
                u64::MAX.into()
            )),
            "U:bytes:18446744073709551615"
        );
        assert_eq!(
            line(Measurement::new(
                MeterKind::Timer,
                "latency",
                0.00001.into()
            )),
            "t:latency:1e-05"
        );
        assert_eq!(
            line(Measurement::new(
                MeterKind::DistinctCountSketch,
                "users",
                Value::Bytes("héllo".as_bytes())
            )),
            "S:users:aMOpbGxv"
        );
        let ttl = NonZeroU32::new(4294967295);
        assert_eq!(
            line(Measurement::new(MeterKind::Gauge, "q", 42.into()).with_ttl(ttl)),
            "g,4294967295:q:42"
        );
    }

    #[test]
    fn ttl_is_only_for_gauges() {
        let m = Measurement::new(MeterKind::MaxGauge, "q", 1.into()).with_ttl(NonZeroU32::new(5));
        assert_eq!(line(m), "m:q:1");
    }

    #[test]
    fn overflow_leaves_nothing_behind() {
        let mut s: heapless::String<8> = heapless::String::new();
        s.push_str("ab").unwrap();
        let m = Measurement::new(MeterKind::Counter, "name", Value::decimal(15, 1));
        assert_eq!(m.write_to(&mut s), Err(Overflow));
        assert_eq!(s, "ab");
    }
}
