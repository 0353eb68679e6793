//! [`LineBuffer`]: lines joined by `\n` into datagrams of at most `N` bytes, sent through a
//! [`Transport`].
//!
//! # Rules
//!
//! * A datagram holds whole lines joined by `\n`, with no leading or trailing newline, and is
//!   never larger than the buffer's limit: `min(N, transport.max_datagram())`.
//! * When the next line would not fit, the buffer is sent first (flush on size).
//! * [`poll`](LineBuffer::poll) flushes every `interval` of the time the caller supplies (the
//!   core has no clock): call it from a tick, a timer task or the main loop.
//! * A line longer than the limit is sent alone, as its own datagram, or dropped as `too_long`
//!   when it exceeds the transport's maximum datagram. A measurement is formatted straight into
//!   the buffer, so for it the capacity `N` is a bound too (it matters when the limit was
//!   lowered below `N` with [`with_max_datagram`](LineBuffer::with_max_datagram)); a preformatted
//!   line given to [`append`](LineBuffer::append) is sent from the caller's memory.
//! * `WouldBlock` keeps the buffered datagram for a later retry; a line that then does not fit
//!   is dropped as `backpressure`. A send error loses that datagram's lines (`send_failed`).
//! * [`LineBuffer::unbuffered`] sends every line as its own datagram, like spectator-py without
//!   a buffer.
//!
//! Nothing here allocates, blocks or panics.

use core::time::Duration;

use crate::measurement::{Measurement, Sink};
use crate::stats::Stats;
use crate::transport::{AsyncTransport, Transport, TransportError};
use crate::value::Value;
use crate::warn::warning;
use crate::write::Overflow;

/// The default interval between time-based flushes, as in spectator-py.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// A fixed-capacity datagram assembler in front of a [`Transport`].
///
/// ```
/// use spectator_core::{LineBuffer, MemoryTransport};
/// let mut buf: LineBuffer<MemoryTransport<256, 8>, 16> = LineBuffer::new(MemoryTransport::new());
/// buf.append("c:a:1");
/// buf.append("c:bb:22"); // 5 + 1 + 7 = 13 bytes: fits
/// buf.append("c:c:3"); // would make 19 > 16: the first two are sent first
/// buf.flush().unwrap();
/// let sent: heapless::Vec<&[u8], 4> = buf.transport().datagrams().collect();
/// assert_eq!(sent, [&b"c:a:1\nc:bb:22"[..], &b"c:c:3"[..]]);
/// assert_eq!(buf.stats().lines_sent, 3);
/// ```
#[derive(Debug)]
pub struct LineBuffer<T, const N: usize> {
    transport: T,
    buf: heapless::Vec<u8, N>,
    lines: u32,
    limit: usize,
    each_line: bool,
    interval: Duration,
    next_flush: Option<Duration>,
    stats: Stats,
}

impl<T: Transport, const N: usize> LineBuffer<T, N> {
    /// A buffer that flushes on size and on [`poll`](Self::poll) every 5 seconds.
    pub fn new(transport: T) -> Self {
        let limit = N.min(transport.max_datagram());
        Self {
            transport,
            buf: heapless::Vec::new(),
            lines: 0,
            limit,
            each_line: false,
            interval: DEFAULT_FLUSH_INTERVAL,
            next_flush: None,
            stats: Stats::default(),
        }
    }

    /// A sink that sends every line as its own datagram; `N` bounds the line length.
    pub fn unbuffered(transport: T) -> Self {
        let mut b = Self::new(transport);
        b.each_line = true;
        b
    }

    /// Sets the interval of time-based flushes (see [`poll`](Self::poll)).
    pub fn with_flush_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Lowers the datagram limit below `N` (e.g. 1472 for an Ethernet MTU). It never rises
    /// above `N` or the transport's maximum datagram.
    pub fn with_max_datagram(mut self, max: usize) -> Self {
        self.limit = max.min(N).min(self.transport.max_datagram());
        self
    }

    /// The largest datagram this buffer sends.
    pub fn max_datagram(&self) -> usize {
        self.limit
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (for example to poll a network stack).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives back the transport; buffered lines are discarded (flush first).
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Delivery and drop counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The buffered, unsent datagram.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// How many lines are buffered.
    pub fn pending_lines(&self) -> u32 {
        self.lines
    }

    /// Formats `m` into the buffer, flushing first when it would not fit.
    pub fn record(&mut self, m: &Measurement<'_>) {
        self.record_with(|buf| m.write_to(buf));
    }

    /// Like [`record`](Self::record) for a meter whose line up to the value was rendered once
    /// beforehand: writes `prefix` followed by `value`, so recording is one copy plus the
    /// value's digits. `prefix` is what [`Measurement::write_prefix_to`] writes,
    /// `symbol[,ttl]:id:`; the line is `prefix` and `value` whatever `prefix` holds, so it must
    /// be such a prefix, without `\n`. Same rules as [`record`](Self::record): flushed first when the line would
    /// not fit, sent alone or dropped as `too_long` when longer than the limit.
    ///
    /// ```
    /// use spectator_core::{LineBuffer, MemoryTransport, Measurement, MeterKind, Value};
    /// // Rendered once, when the meter is created.
    /// let m = Measurement::new(MeterKind::Counter, "server.numRequests,status=200", Value::Int(0));
    /// let mut line: heapless::String<64> = heapless::String::new();
    /// m.write_prefix_to(&mut line).unwrap();
    /// assert_eq!(line.as_str(), "c:server.numRequests,status=200:");
    ///
    /// let mut buf: LineBuffer<MemoryTransport<256, 8>, 128> = LineBuffer::new(MemoryTransport::new());
    /// buf.record_prefixed(&line, &Value::Int(1));
    /// buf.record_prefixed(&line, &Value::Int(25));
    /// buf.flush().unwrap();
    /// assert_eq!(
    ///     buf.transport().datagram(0),
    ///     Some(&b"c:server.numRequests,status=200:1\nc:server.numRequests,status=200:25"[..])
    /// );
    /// ```
    #[inline]
    pub fn record_prefixed(&mut self, prefix: &str, value: &Value<'_>) {
        // Integers, the usual values, are rendered first and appended with one bounds check.
        let mut digits = itoa::Buffer::new();
        let text = match *value {
            Value::Int(v) => digits.format(v),
            Value::UInt(v) => digits.format(v),
            _ => {
                return self.record_with(|buf| {
                    buf.extend_from_slice(prefix.as_bytes())
                        .map_err(|_| Overflow)?;
                    value.write_to(buf)
                })
            }
        };
        let (prefix, text) = (prefix.as_bytes(), text.as_bytes());
        let sep = usize::from(!self.buf.is_empty());
        let end = self.buf.len() + sep + prefix.len() + text.len();
        if end > self.limit {
            return self.record_with(|buf| {
                buf.extend_from_slice(prefix).map_err(|_| Overflow)?;
                buf.extend_from_slice(text).map_err(|_| Overflow)
            });
        }
        // `end <= limit <= N`: none of these can fail.
        if sep == 1 {
            let _ = self.buf.push(b'\n');
        }
        let _ = self.buf.extend_from_slice(prefix);
        // Byte by byte: a value has a few digits, fewer than a `memcpy` call costs.
        for &b in text {
            let _ = self.buf.push(b);
        }
        self.lines += 1;
        self.after_append();
    }

    /// Writes one line with `write` (all or nothing, as the formatters are): buffered, after a
    /// flush on size when it would not fit, or alone when longer than the limit.
    #[inline]
    fn record_with(&mut self, write: impl Fn(&mut heapless::Vec<u8, N>) -> Result<(), Overflow>) {
        if self.try_write(&write) || (self.make_room() && self.try_write(&write)) {
            self.lines += 1;
            self.after_append();
        } else if self.buf.is_empty() {
            self.record_alone(&write);
        }
    }

    /// A measurement longer than the limit: formatted in the whole capacity `N` and sent as its
    /// own datagram when it fits `N` and the transport, else dropped as `too_long`.
    fn record_alone(&mut self, write: impl Fn(&mut heapless::Vec<u8, N>) -> Result<(), Overflow>) {
        let fits = write(&mut self.buf).is_ok() && self.buf.len() <= self.transport.max_datagram();
        if !fits {
            self.clear();
            return self.drop_too_long();
        }
        self.lines = 1;
        if let Err(nb::Error::WouldBlock) = self.flush() {
            self.stats.dropped.backpressure += 1;
            self.clear();
        }
    }

    /// Appends a preformatted line (no `\n`, not empty): buffered, or sent alone when longer
    /// than the buffer, or dropped when longer than the transport's maximum datagram.
    pub fn append(&mut self, line: &str) {
        let bytes = line.as_bytes();
        if bytes.is_empty() || bytes.contains(&b'\n') {
            self.stats.dropped.invalid += 1;
            warning!(
                "spectator::line_buffer",
                "dropped a line that is empty or has a newline"
            );
        } else if bytes.len() > self.limit {
            self.send_alone(bytes);
        } else if self.try_push(bytes) || (self.make_room() && self.try_push(bytes)) {
            self.lines += 1;
            self.after_append();
        }
    }

    /// Sends the buffered lines now, if any. `WouldBlock` keeps them for a later try.
    pub fn flush(&mut self) -> nb::Result<(), T::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match self.transport.send(&self.buf) {
            Ok(()) => {
                self.stats.datagrams_sent += 1;
                self.stats.bytes_sent += self.buf.len() as u64;
                self.stats.lines_sent += u64::from(self.lines);
                self.clear();
                Ok(())
            }
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => {
                self.stats.send_errors += 1;
                self.stats.dropped.send_failed += u64::from(self.lines);
                warning!(
                    "spectator::line_buffer",
                    "send failed ({:?}), {} lines lost",
                    e.kind(),
                    self.lines
                );
                self.clear();
                Err(nb::Error::Other(e))
            }
        }
    }

    /// Time-based flushing: flushes when `now` has reached the next deadline, then schedules
    /// the following one `interval` later. `now` is any monotonic time (e.g. since boot); the
    /// first call only schedules.
    ///
    /// ```
    /// use core::time::Duration;
    /// use spectator_core::{LineBuffer, MemoryTransport};
    /// let mut buf: LineBuffer<MemoryTransport<64, 4>, 64> =
    ///     LineBuffer::new(MemoryTransport::new()).with_flush_interval(Duration::from_secs(5));
    /// buf.poll(Duration::from_secs(100));
    /// buf.append("c:x:1");
    /// buf.poll(Duration::from_secs(104));
    /// assert!(buf.transport().is_empty());
    /// buf.poll(Duration::from_secs(105));
    /// assert_eq!(buf.transport().len(), 1);
    /// ```
    pub fn poll(&mut self, now: Duration) -> nb::Result<(), T::Error> {
        match self.next_flush {
            Some(deadline) if now < deadline => Ok(()),
            Some(_) => {
                self.next_flush = now.checked_add(self.interval);
                self.flush()
            }
            None => {
                self.next_flush = now.checked_add(self.interval);
                Ok(())
            }
        }
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.lines = 0;
    }

    /// Writes a line with `write` (after a separator) within the limit; on failure the buffer
    /// is unchanged.
    #[inline]
    fn try_write(
        &mut self,
        write: impl Fn(&mut heapless::Vec<u8, N>) -> Result<(), Overflow>,
    ) -> bool {
        let start = self.buf.len();
        let sep_ok = start == 0 || self.buf.push(b'\n').is_ok();
        if sep_ok && write(&mut self.buf).is_ok() && self.buf.len() <= self.limit {
            return true;
        }
        self.buf.truncate(start);
        false
    }

    #[inline]
    fn try_push(&mut self, line: &[u8]) -> bool {
        let sep = usize::from(!self.buf.is_empty());
        if self.buf.len() + sep + line.len() > self.limit {
            return false;
        }
        if sep == 1 {
            let _ = self.buf.push(b'\n');
        }
        self.buf.extend_from_slice(line).is_ok()
    }

    /// Sends the buffer to make room; false when nothing was freed (empty or would block).
    fn make_room(&mut self) -> bool {
        if self.buf.is_empty() {
            return false;
        }
        match self.flush() {
            Ok(()) | Err(nb::Error::Other(_)) => true,
            Err(nb::Error::WouldBlock) => {
                self.stats.dropped.backpressure += 1;
                false
            }
        }
    }

    #[inline]
    fn after_append(&mut self) {
        if self.each_line || self.buf.len() == self.limit {
            let _ = self.flush();
        }
    }

    fn drop_too_long(&mut self) {
        self.stats.dropped.too_long += 1;
        warning!(
            "spectator::line_buffer",
            "dropped a line longer than the {}-byte limit",
            self.limit
        );
    }

    fn send_alone(&mut self, line: &[u8]) {
        if line.len() > self.transport.max_datagram() {
            return self.drop_too_long();
        }
        if let Err(nb::Error::WouldBlock) = self.flush() {
            self.stats.dropped.backpressure += 1;
            return;
        }
        match self.transport.send(line) {
            Ok(()) => {
                self.stats.datagrams_sent += 1;
                self.stats.bytes_sent += line.len() as u64;
                self.stats.lines_sent += 1;
            }
            Err(nb::Error::WouldBlock) => self.stats.dropped.backpressure += 1,
            Err(nb::Error::Other(_)) => {
                self.stats.send_errors += 1;
                self.stats.dropped.send_failed += 1;
            }
        }
    }
}

/// Sending through an [`AsyncTransport`], for async tasks; usually the buffer's own transport
/// is then a [`Deferred`](crate::transport::Deferred) placeholder (see
/// [`transport::asynch`](crate::transport::asynch) for the pattern).
///
/// Both futures are cancel-safe: lines leave the buffer only when the send has completed.
impl<T: Transport, const N: usize> LineBuffer<T, N> {
    /// Sends the buffered lines through `transport`, if any, and counts them like
    /// [`flush`](Self::flush). On an error the lines are lost (`send_failed`), as with a
    /// synchronous send error.
    pub async fn flush_async<A: AsyncTransport + ?Sized>(
        &mut self,
        transport: &mut A,
    ) -> Result<(), A::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = transport.send(&self.buf).await;
        match &result {
            Ok(()) => {
                self.stats.datagrams_sent += 1;
                self.stats.bytes_sent += self.buf.len() as u64;
                self.stats.lines_sent += u64::from(self.lines);
            }
            Err(e) => {
                self.stats.send_errors += 1;
                self.stats.dropped.send_failed += u64::from(self.lines);
                warning!(
                    "spectator::line_buffer",
                    "async send failed ({:?}), {} lines lost",
                    e.kind(),
                    self.lines
                );
            }
        }
        self.clear();
        result
    }

    /// Like [`record`](Self::record), but when `m` does not fit the buffered datagram, the
    /// datagram is first sent through `transport` (flush on size) instead of asking the
    /// buffer's own transport. The error is that send's; `m` is buffered either way (or
    /// dropped as `too_long` when it cannot fit an empty buffer).
    pub async fn record_async<A: AsyncTransport + ?Sized>(
        &mut self,
        m: &Measurement<'_>,
        transport: &mut A,
    ) -> Result<(), A::Error> {
        let sep = usize::from(!self.buf.is_empty());
        let result = if self.buf.len() + sep + m.line_len() > self.limit {
            self.flush_async(transport).await
        } else {
            Ok(())
        };
        self.record(m);
        result
    }
}

impl<T: Transport, const N: usize> Sink for LineBuffer<T, N> {
    #[inline]
    fn record(&mut self, measurement: &Measurement<'_>) {
        LineBuffer::record(self, measurement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{ErrorKind, MemoryTransport};
    use crate::{MeterKind, Value};

    type Spy = MemoryTransport<4096, 64>;

    fn sent(b: &LineBuffer<Spy, 16>) -> heapless::Vec<&[u8], 64> {
        b.transport().datagrams().collect()
    }

    fn counter(id: &str) -> Measurement<'_> {
        Measurement::new(MeterKind::Counter, id, Value::Int(1))
    }

    #[test]
    fn flushes_when_the_next_line_would_not_fit() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new());
        b.record(&counter("a")); // c:a:1 (5)
        b.record(&counter("bb")); // +1+6 = 12
        assert!(sent(&b).is_empty());
        b.record(&counter("cc")); // 12+1+6 = 19 > 16: flush first
        assert_eq!(sent(&b), [&b"c:a:1\nc:bb:1"[..]]);
        assert_eq!(b.pending(), b"c:cc:1");
        assert_eq!(b.pending_lines(), 1);
        let s = b.stats();
        assert_eq!((s.lines_sent, s.datagrams_sent, s.bytes_sent), (2, 1, 12));
    }

    #[test]
    fn an_exactly_full_buffer_is_sent_at_once() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new());
        b.append("c:a:1");
        b.append("c:bbbbbb:1"); // 5 + 1 + 10 = 16
        assert_eq!(sent(&b), [&b"c:a:1\nc:bbbbbb:1"[..]]);
        assert!(b.pending().is_empty());
    }

    #[test]
    fn long_lines_alone_or_dropped() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new().with_max_datagram(24));
        b.append("c:a:1");
        b.append("c:seventeen_long:1"); // 18 > 16, <= 24: buffer first, then alone
        assert_eq!(sent(&b), [&b"c:a:1"[..], b"c:seventeen_long:1"]);
        b.append("c:twenty_five_bytes_long:1"); // 26 > 24
        b.record(&counter("seventeen_long")); // cannot be formatted in 16 bytes
        assert_eq!(b.stats().dropped.too_long, 2);
        assert_eq!(b.stats().lines_sent, 2);
        b.append("");
        b.append("c:a:1\nc:b:1");
        assert_eq!(b.stats().dropped.invalid, 2);
        assert_eq!(sent(&b).len(), 2);
    }

    #[test]
    fn measurements_over_a_lowered_limit_are_sent_alone() {
        let mut b: LineBuffer<Spy, 16> =
            LineBuffer::new(Spy::new().with_max_datagram(14)).with_max_datagram(8);
        b.record(&counter("a")); // c:a:1
        b.record(&counter("long_id")); // c:long_id:1 (11 > 8): buffer first, then alone
        b.record(&counter("longer_id_x")); // 15 > 14: too long for the transport
        b.record(&counter("way_too_long_id")); // 19 > N: cannot be formatted
        assert_eq!(sent(&b), [&b"c:a:1"[..], b"c:long_id:1"]);
        assert_eq!(b.stats().dropped.too_long, 2);
        assert!(b.pending().is_empty());
        b.transport_mut().block(true);
        b.record(&counter("long_id"));
        assert_eq!(b.stats().dropped.backpressure, 1);
        assert!(b.pending().is_empty());
    }

    /// `m`'s line without its value: the prefix a meter renders once.
    fn prefix(m: &Measurement<'_>) -> heapless::String<32> {
        let mut s = heapless::String::new();
        m.write_prefix_to(&mut s).unwrap();
        s
    }

    #[test]
    fn record_prefixed_writes_what_record_writes() {
        let ttl = core::num::NonZeroU32::new(60);
        let ms = [
            counter("a"),
            Measurement::new(MeterKind::Gauge, "g", Value::Int(-7)).with_ttl(ttl),
            counter("long_id"), // 11 > 8: buffer first, then alone
            Measurement::new(MeterKind::Timer, "t", Value::UInt(42)),
            counter("longer_id_x"), // the socket is full: dropped (backpressure)
            counter("way_too_long_id"), // 19 > N: cannot be formatted
            Measurement::new(MeterKind::Gauge, "q", Value::Int(1)),
            counter("b"),
        ];
        let run = |prefixed: bool| {
            let mut b: LineBuffer<Spy, 16> =
                LineBuffer::new(Spy::new().with_max_datagram(14)).with_max_datagram(8);
            for (i, m) in ms.iter().enumerate() {
                b.transport_mut().block(i == 3 || i == 4); // a full socket: t:t:42 waits
                if prefixed {
                    b.record_prefixed(&prefix(m), &m.value);
                } else {
                    b.record(m);
                }
            }
            b.flush().unwrap();
            b
        };
        let (plain, prefixed) = (run(false), run(true));
        assert_eq!(sent(&prefixed), sent(&plain));
        assert_eq!(prefixed.stats(), plain.stats());
        assert_eq!(
            sent(&prefixed),
            [
                &b"c:a:1"[..],
                b"g,60:g:-7",
                b"c:long_id:1",
                b"t:t:42",
                b"g:q:1",
                b"c:b:1"
            ]
        );
        let s = prefixed.stats();
        assert_eq!(
            (s.lines_sent, s.dropped.too_long, s.dropped.backpressure),
            (6, 1, 1)
        );
    }

    #[test]
    fn record_prefixed_joins_lines_and_flushes_on_size() {
        let m = counter("a");
        let p = prefix(&m);
        assert_eq!(p.as_str(), "c:a:");
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new());
        b.record_prefixed(&p, &Value::Int(1)); // 5
        b.record_prefixed(&p, &Value::Int(22)); // +1+6 = 12
        b.record_prefixed(&p, &Value::Int(333)); // 12+1+7 = 20 > 16: flush first
        b.record_prefixed(&p, &Value::Int(4444)); // 7+1+8 = 16: full, sent at once
        assert_eq!(sent(&b), [&b"c:a:1\nc:a:22"[..], b"c:a:333\nc:a:4444"]);
        assert!(b.pending().is_empty());
        assert_eq!(b.stats().lines_sent, 4);
    }

    #[test]
    fn max_datagram_never_exceeds_capacity_or_transport() {
        let b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new().with_max_datagram(10));
        assert_eq!(b.max_datagram(), 10);
        let b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new()).with_max_datagram(100);
        assert_eq!(b.max_datagram(), 16);
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new()).with_max_datagram(11);
        b.append("c:a:1");
        b.append("c:b:1"); // 11: full at once
        b.append("c:c:1");
        b.flush().unwrap();
        assert_eq!(sent(&b), [&b"c:a:1\nc:b:1"[..], b"c:c:1"]);
    }

    #[test]
    fn would_block_keeps_the_datagram_and_drops_new_lines_that_do_not_fit() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new());
        b.append("c:a:1");
        b.transport_mut().block(true);
        assert_eq!(b.flush(), Err(nb::Error::WouldBlock));
        b.append("c:b:1"); // still fits
        b.append("c:c:1"); // needs a flush that would block: dropped
        assert_eq!(b.stats().dropped.backpressure, 1);
        assert_eq!(b.pending(), b"c:a:1\nc:b:1");
        b.transport_mut().block(false);
        b.append("c:d:1"); // flush succeeds now
        b.flush().unwrap();
        assert_eq!(sent(&b), [&b"c:a:1\nc:b:1"[..], b"c:d:1"]);
        assert_eq!(b.stats().lines_sent, 3);
    }

    #[test]
    fn send_errors_lose_the_datagram_and_are_counted() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new());
        b.append("c:a:1");
        b.append("c:b:1");
        b.transport_mut().fail_next(1, ErrorKind::NoRoute);
        let err = b.flush().unwrap_err();
        assert!(matches!(err, nb::Error::Other(e) if e.kind() == ErrorKind::NoRoute));
        let s = b.stats();
        assert_eq!(
            (s.send_errors, s.dropped.send_failed, s.lines_sent),
            (1, 2, 0)
        );
        assert!(b.pending().is_empty());
        b.append("c:c:1");
        b.flush().unwrap();
        assert_eq!(sent(&b), [&b"c:c:1"[..]]);
    }

    #[test]
    fn poll_flushes_on_a_fixed_schedule() {
        let secs = Duration::from_secs;
        let mut b: LineBuffer<Spy, 16> = LineBuffer::new(Spy::new()).with_flush_interval(secs(5));
        b.append("c:a:1");
        b.poll(secs(10)).unwrap(); // first call schedules only
        assert!(sent(&b).is_empty());
        b.poll(secs(14)).unwrap();
        assert!(sent(&b).is_empty());
        b.poll(secs(15)).unwrap();
        assert_eq!(sent(&b).len(), 1);
        b.append("c:b:1");
        b.poll(secs(19)).unwrap();
        assert_eq!(sent(&b).len(), 1);
        b.poll(secs(21)).unwrap();
        assert_eq!(sent(&b), [&b"c:a:1"[..], b"c:b:1"]);
        b.poll(secs(40)).unwrap(); // nothing pending: nothing sent
        assert_eq!(sent(&b).len(), 2);
    }

    #[test]
    fn unbuffered_sends_each_line() {
        let mut b: LineBuffer<Spy, 16> = LineBuffer::unbuffered(Spy::new());
        b.record(&counter("a"));
        b.record(&counter("b"));
        b.append("c:c:1");
        assert_eq!(sent(&b), [&b"c:a:1"[..], b"c:b:1", b"c:c:1"]);
        assert!(b.pending().is_empty());
        assert_eq!(b.stats().datagrams_sent, 3);
    }
}
