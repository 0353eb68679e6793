//! [`LineBuffer`]: lines joined by `\n` into datagrams of at most `N` bytes, and its
//! [`Sender`], which sends full datagrams through a [`Transport`].
//!
//! The buffer assembles datagrams and owns no transport: whoever sends lends it one, for one
//! call ([`flush`](LineBuffer::flush), [`poll`](LineBuffer::poll),
//! [`flush_async`](LineBuffer::flush_async)) or for a batch of updates
//! ([`via`](LineBuffer::via), which gives a [`Sender`]). So a board keeps its network stack
//! beside the buffer, and async tasks send through an [`AsyncTransport`] with no placeholder.
//!
//! # Rules
//!
//! * A datagram holds whole lines joined by `\n`, with no leading or trailing newline, and is
//!   never larger than the buffer's limit: `N`, or less with
//!   [`with_max_datagram`](LineBuffer::with_max_datagram), and, for lines joined through a
//!   [`Sender`], the lent transport's [`max_datagram`](Transport::max_datagram). (An
//!   [`AsyncTransport`]'s is not known while lines are recorded: set the buffer's limit to it.)
//! * Through a [`Sender`], when the next line would not fit, the buffered lines are sent first
//!   (flush on size), and an exactly full datagram is sent at once.
//! * [`poll`](LineBuffer::poll) flushes every `interval` of the time the caller supplies (the
//!   core has no clock): call it from a tick, a timer task or the main loop.
//! * A line longer than the limit is sent alone, as its own datagram (so a limit of 0 sends
//!   every line alone), or dropped as `too_long` when it does not fit `N` bytes or the
//!   transport's maximum datagram. There is one such path for every kind of line.
//! * `WouldBlock` keeps the buffered datagram for a later retry; a line that then does not fit
//!   is dropped as `backpressure`. A send error loses that datagram's lines (`send_failed`).
//! * The buffer itself is a [`Sink`] too, for code that sends later (an async task): lines
//!   that do not fit the pending datagram are dropped as `backpressure`; check
//!   [`room`](LineBuffer::room) and flush before a batch of updates.
//!
//! Nothing here allocates, blocks or panics.

use core::convert::Infallible;
use core::time::Duration;

use crate::measurement::Measurement;
use crate::sink::Sink;
use crate::stats::Stats;
use crate::transport::{AsyncTransport, Transport, TransportError};
use crate::value::Value;
use crate::warn::warning;
use crate::write::Overflow;

/// The default interval between time-based flushes, as in spectator-py.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// A fixed-capacity datagram assembler.
///
/// ```
/// use spectator_core::{LineBuffer, MemoryTransport};
/// let mut udp: MemoryTransport<256, 8> = MemoryTransport::new();
/// let mut buf: LineBuffer<16> = LineBuffer::new();
/// let mut sender = buf.via(&mut udp);
/// sender.append("c:a:1");
/// sender.append("c:bb:22"); // 5 + 1 + 7 = 13 bytes: fits
/// sender.append("c:c:3"); // would make 19 > 16: the first two are sent first
/// sender.flush().unwrap();
/// let sent: heapless::Vec<&[u8], 4> = udp.datagrams().collect();
/// assert_eq!(sent, [&b"c:a:1\nc:bb:22"[..], &b"c:c:3"[..]]);
/// assert_eq!(buf.stats().lines_sent, 3);
/// ```
#[derive(Debug, Clone)]
pub struct LineBuffer<const N: usize> {
    buf: heapless::Vec<u8, N>,
    lines: u32,
    limit: usize,
    interval: Duration,
    next_flush: Option<Duration>,
    stats: Stats,
}

impl<const N: usize> Default for LineBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineBuffer<N> {
    /// An empty buffer whose datagrams are at most `N` bytes, flushed by
    /// [`poll`](Self::poll) every 5 seconds. `const`, so it can initialize a `static`.
    pub const fn new() -> Self {
        Self {
            buf: heapless::Vec::new(),
            lines: 0,
            limit: N,
            interval: DEFAULT_FLUSH_INTERVAL,
            next_flush: None,
            stats: Stats::new(),
        }
    }

    /// Sets the interval of time-based flushes (see [`poll`](Self::poll)).
    pub const fn with_flush_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Lowers the datagram limit below `N` (e.g. 1472 for an Ethernet MTU); it never rises
    /// above `N`. Lines longer than the limit are sent alone.
    pub const fn with_max_datagram(mut self, max: usize) -> Self {
        self.limit = if max < N { max } else { N };
        self
    }

    /// The largest datagram of joined lines this buffer sends (less through a [`Sender`] whose
    /// transport carries less).
    pub fn max_datagram(&self) -> usize {
        self.limit
    }

    /// Delivery and drop counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The counters, for a sender that learns only later that accepted datagrams were lost
    /// (spectator-std's bounded backlog; see [`Stats::unsent`]).
    pub fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    /// The buffered, unsent datagram.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// How many lines are buffered.
    pub fn pending_lines(&self) -> u32 {
        self.lines
    }

    /// Bytes a line can have and still join the pending datagram.
    ///
    /// ```
    /// let mut buf: spectator_core::LineBuffer<16> = spectator_core::LineBuffer::new();
    /// assert_eq!(buf.room(), 16);
    /// spectator_core::Sink::record(&mut buf, "c:a:", &1.into());
    /// assert_eq!(buf.room(), 10); // 16 - 5 - the `\n`
    /// ```
    pub fn room(&self) -> usize {
        let sep = usize::from(!self.buf.is_empty());
        self.limit.saturating_sub(self.buf.len() + sep)
    }

    /// A [`Sender`]: the buffer with `transport` lent to it, for updates that flush on size.
    pub fn via<T: Transport>(&mut self, transport: T) -> Sender<'_, N, T> {
        Sender {
            buffer: self,
            transport,
        }
    }

    /// Sends the buffered lines through `transport` now, if any. `WouldBlock` keeps them for
    /// a later try; an error loses them (counted as `send_failed`).
    pub fn flush<T: Transport + ?Sized>(&mut self, transport: &mut T) -> nb::Result<(), T::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = transport.send(&self.buf);
        match &result {
            Err(nb::Error::WouldBlock) => return result,
            Ok(()) => self.count_sent(),
            Err(nb::Error::Other(e)) => self.count_failed(e.kind()),
        }
        self.clear();
        result
    }

    /// Sends the buffered lines through an [`AsyncTransport`], if any, counted like
    /// [`flush`](Self::flush). Cancel-safe: lines leave the buffer only when the send has
    /// completed.
    pub async fn flush_async<A: AsyncTransport + ?Sized>(
        &mut self,
        transport: &mut A,
    ) -> Result<(), A::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = transport.send(&self.buf).await;
        match &result {
            Ok(()) => self.count_sent(),
            Err(e) => self.count_failed(e.kind()),
        }
        self.clear();
        result
    }

    /// Whether a time-based flush is due at `now` (any monotonic time, e.g. since boot); when
    /// it is, the next one is scheduled `interval` later. The first call only schedules. What
    /// [`poll`](Self::poll) uses, for code that flushes in its own way (async tasks).
    pub fn due(&mut self, now: Duration) -> bool {
        match self.next_flush {
            Some(deadline) if now < deadline => false,
            Some(_) => {
                self.next_flush = now.checked_add(self.interval);
                true
            }
            None => {
                self.next_flush = now.checked_add(self.interval);
                false
            }
        }
    }

    /// Time-based flushing: flushes through `transport` when [`due`](Self::due) at `now`.
    ///
    /// ```
    /// use core::time::Duration;
    /// use spectator_core::{LineBuffer, MemoryTransport};
    /// let mut udp: MemoryTransport<64, 4> = MemoryTransport::new();
    /// let mut buf: LineBuffer<64> = LineBuffer::new().with_flush_interval(Duration::from_secs(5));
    /// buf.poll(Duration::from_secs(100), &mut udp).unwrap();
    /// buf.via(&mut udp).append("c:x:1");
    /// buf.poll(Duration::from_secs(104), &mut udp).unwrap();
    /// assert!(udp.is_empty());
    /// buf.poll(Duration::from_secs(105), &mut udp).unwrap();
    /// assert_eq!(udp.len(), 1);
    /// ```
    pub fn poll<T: Transport + ?Sized>(
        &mut self,
        now: Duration,
        transport: &mut T,
    ) -> nb::Result<(), T::Error> {
        if self.due(now) {
            self.flush(transport)
        } else {
            Ok(())
        }
    }

    /// The line `prefix` + `value`: integers (the usual values) are rendered first and
    /// appended with one bounds check; anything else goes through [`put`](Self::put).
    #[inline]
    fn record_line<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        prefix: &str,
        value: &Value<'_>,
    ) {
        // Every other case goes through `put` with this one writer (one copy of `put` in
        // firmware, where flash counts).
        let line = |buf: &mut heapless::Vec<u8, N>| {
            buf.extend_from_slice(prefix.as_bytes())
                .map_err(|_| Overflow)?;
            value.write_to(buf)
        };
        let mut digits = itoa::Buffer::new();
        let text = match *value {
            Value::Int(v) => digits.format(v),
            Value::UInt(v) => digits.format(v),
            _ => return self.put(transport, line),
        };
        let (prefix, text) = (prefix.as_bytes(), text.as_bytes());
        let sep = usize::from(!self.buf.is_empty());
        let end = self.buf.len() + sep + prefix.len() + text.len();
        if end > self.limit_for(transport) {
            return self.put(transport, line);
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
        self.appended(transport);
    }

    /// The one way a line enters the buffer: `write` appends it (all or nothing, as the
    /// formatters are). Buffered when it fits; else the buffered lines are sent first and it
    /// is tried again; else, longer than the limit, it is written into the whole capacity and
    /// sent alone, or dropped as `too_long`. Not inlined: it is the slow path, and each copy
    /// costs firmware flash.
    #[inline(never)]
    fn put<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        write: impl Fn(&mut heapless::Vec<u8, N>) -> Result<(), Overflow>,
    ) {
        let limit = self.limit_for(transport);
        if self.try_write(limit, &write) {
            return self.appended(transport);
        }
        if !self.buf.is_empty() {
            if let Err(nb::Error::WouldBlock) = self.flush(transport) {
                return self.drop_backpressure();
            }
            if self.try_write(limit, &write) {
                return self.appended(transport);
            }
        }
        // Longer than the limit, alone in the empty buffer.
        if write(&mut self.buf).is_err() || self.buf.len() > transport.max_datagram() {
            self.clear();
            return self.drop_too_long();
        }
        self.lines = 1;
        if let Err(nb::Error::WouldBlock) = self.flush(transport) {
            self.clear();
            self.drop_backpressure();
        }
    }

    /// Writes a line with `write` (after a separator) within `limit`; on failure the buffer
    /// is unchanged.
    #[inline]
    fn try_write(
        &mut self,
        limit: usize,
        write: impl Fn(&mut heapless::Vec<u8, N>) -> Result<(), Overflow>,
    ) -> bool {
        let start = self.buf.len();
        let sep_ok = start == 0 || self.buf.push(b'\n').is_ok();
        if sep_ok && write(&mut self.buf).is_ok() && self.buf.len() <= limit {
            return true;
        }
        self.buf.truncate(start);
        false
    }

    /// The limit of datagrams joined for `transport`: the buffer's, or less when the transport
    /// carries less.
    #[inline]
    fn limit_for<T: Transport + ?Sized>(&self, transport: &T) -> usize {
        self.limit.min(transport.max_datagram())
    }

    /// A line was buffered; an exactly full datagram is sent at once.
    #[inline]
    fn appended<T: Transport + ?Sized>(&mut self, transport: &mut T) {
        self.lines += 1;
        if self.buf.len() >= self.limit_for(transport) {
            let _ = self.flush(transport);
        }
    }

    /// `lines` lines joined by `\n` ([`Sender::append_buffer`]): copied in runs of whole
    /// lines as large as the limit allows, full datagrams sent between runs; a line over the
    /// limit alone takes [`put`](Self::put)'s path. Each line is counted once, as `append`
    /// would; newlines are counted only where a run is split, on its shorter side.
    fn put_joined<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        mut joined: &[u8],
        mut lines: u32,
    ) {
        while !joined.is_empty() {
            let limit = self.limit_for(transport).min(N);
            let sep = usize::from(!self.buf.is_empty());
            let room = limit.saturating_sub(self.buf.len() + sep);
            // The longest run of whole lines that fits: up to the last `\n` within `room`.
            let (run, run_lines) = if joined.len() <= room {
                (joined.len(), lines)
            } else {
                let run = memchr::memrchr(b'\n', &joined[..=room]).unwrap_or(0);
                let (head, tail) = (&joined[..run], &joined[run..]);
                let head_lines = if head.len() <= tail.len() {
                    newlines(head) + 1
                } else {
                    lines.saturating_sub(newlines(tail))
                };
                (run, head_lines)
            };
            if run == 0 {
                if self.buf.is_empty() {
                    // Its first line alone is over the limit.
                    let end = memchr::memchr(b'\n', joined).unwrap_or(joined.len());
                    let line = &joined[..end];
                    self.put(transport, |buf| {
                        buf.extend_from_slice(line).map_err(|_| Overflow)
                    });
                    joined = joined.get(end + 1..).unwrap_or_default();
                    lines = lines.saturating_sub(1);
                } else if let Err(nb::Error::WouldBlock) = self.flush(transport) {
                    // The pending datagram waits for a retry: what does not fit is dropped.
                    self.stats.dropped.backpressure += u64::from(lines);
                    return;
                }
                continue;
            }
            if sep == 1 {
                let _ = self.buf.push(b'\n');
            }
            // `run <= room`: it fits.
            let _ = self.buf.extend_from_slice(&joined[..run]);
            self.lines = self.lines.saturating_add(run_lines);
            lines = lines.saturating_sub(run_lines);
            joined = joined.get(run + 1..).unwrap_or_default();
            if self.buf.len() >= limit {
                let _ = self.flush(transport);
            }
        }
    }

    /// A preformatted line: dropped as `invalid` when empty or holding a `\n`.
    fn append<T: Transport + ?Sized>(&mut self, transport: &mut T, line: &str) {
        let bytes = line.as_bytes();
        if bytes.is_empty() || bytes.contains(&b'\n') {
            self.stats.dropped.invalid += 1;
            warning!(
                "spectator::line_buffer",
                "dropped a line that is empty or has a newline"
            );
            return;
        }
        self.put(transport, |buf| {
            buf.extend_from_slice(bytes).map_err(|_| Overflow)
        });
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.lines = 0;
    }

    fn count_sent(&mut self) {
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += self.buf.len() as u64;
        self.stats.lines_sent += u64::from(self.lines);
    }

    fn count_failed(&mut self, kind: crate::transport::ErrorKind) {
        self.stats.send_errors += 1;
        self.stats.dropped.send_failed += u64::from(self.lines);
        warning!(
            "spectator::line_buffer",
            "send failed ({:?}), {} lines lost",
            kind,
            self.lines
        );
    }

    fn drop_backpressure(&mut self) {
        self.stats.dropped.backpressure += 1;
    }

    fn drop_too_long(&mut self) {
        self.stats.dropped.too_long += 1;
        warning!(
            "spectator::line_buffer",
            "dropped a line longer than the {}-byte limit",
            self.limit
        );
    }
}

/// The newlines in `bytes` (memchr's vectorized count).
fn newlines(bytes: &[u8]) -> u32 {
    let n = memchr::memchr_iter(b'\n', bytes).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The buffer alone keeps lines for a later send: a line that needs the pending datagram sent
/// first is dropped as `backpressure` (see the [module rules](self)).
impl<const N: usize> Sink for LineBuffer<N> {
    #[inline]
    fn record(&mut self, prefix: &str, value: &Value<'_>) {
        self.record_line(&mut Hold, prefix, value);
    }
}

/// The transport of a buffer used alone: nothing can be sent now.
struct Hold;

impl Transport for Hold {
    type Error = Infallible;

    fn send(&mut self, _datagram: &[u8]) -> nb::Result<(), Infallible> {
        Err(nb::Error::WouldBlock)
    }
}

/// A [`LineBuffer`] with a [`Transport`] lent to it ([`LineBuffer::via`]): a [`Sink`] that
/// sends each datagram when full.
///
/// ```
/// use spectator_core::meters::Counter;
/// use spectator_core::{static_meter, LineBuffer, MemoryTransport, StaticPrefix};
/// const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots");
/// let mut udp: MemoryTransport<64, 4> = MemoryTransport::new();
/// let mut buf: LineBuffer<64> = LineBuffer::new();
/// BOOTS.increment(&mut buf.via(&mut udp));
/// buf.flush(&mut udp).unwrap();
/// assert_eq!(udp.last_line(), Some(&b"c:boots:1"[..]));
/// ```
#[derive(Debug)]
pub struct Sender<'a, const N: usize, T> {
    buffer: &'a mut LineBuffer<N>,
    transport: T,
}

impl<const N: usize, T: Transport> Sender<'_, N, T> {
    /// Formats `m` into the buffer, flushing first when it would not fit.
    pub fn record(&mut self, m: &Measurement<'_>) {
        self.buffer.put(&mut self.transport, |buf| m.write_to(buf));
    }

    /// Appends a preformatted line (no `\n`, not empty), flushing first when it would not
    /// fit; dropped as `invalid` otherwise.
    pub fn append(&mut self, line: &str) {
        self.buffer.append(&mut self.transport, line);
    }

    /// Moves every line of `other` into this buffer (which `other` is left without), copying
    /// runs of lines rather than one line at a time: how per-thread buffers give their lines
    /// to a shared one. Full datagrams are sent between runs; each line is counted once, in
    /// this buffer's stats.
    ///
    /// ```
    /// use spectator_core::{LineBuffer, MemoryTransport, Sink, Value};
    /// let mut staged: LineBuffer<64> = LineBuffer::new();
    /// staged.record("c:a:", &Value::Int(1)); // alone, the buffer keeps lines
    /// staged.record("c:bb:", &Value::Int(22));
    /// let mut udp: MemoryTransport<64, 4> = MemoryTransport::new();
    /// let mut shared: LineBuffer<16> = LineBuffer::new();
    /// let mut sender = shared.via(&mut udp);
    /// sender.append("c:c:3");
    /// sender.append_buffer(&mut staged); // "c:c:3\nc:a:1" fits 16 bytes, "c:bb:22" waits
    /// sender.flush().unwrap();
    /// assert!(staged.pending().is_empty());
    /// let sent: heapless::Vec<&[u8], 4> = udp.datagrams().collect();
    /// assert_eq!(sent, [&b"c:c:3\nc:a:1"[..], &b"c:bb:22"[..]]);
    /// assert_eq!(shared.stats().lines_sent, 3);
    /// ```
    pub fn append_buffer<const M: usize>(&mut self, other: &mut LineBuffer<M>) {
        self.buffer
            .put_joined(&mut self.transport, &other.buf, other.lines);
        other.clear();
    }

    /// [`LineBuffer::flush`] through the lent transport.
    pub fn flush(&mut self) -> nb::Result<(), T::Error> {
        self.buffer.flush(&mut self.transport)
    }

    /// [`LineBuffer::poll`] through the lent transport.
    pub fn poll(&mut self, now: Duration) -> nb::Result<(), T::Error> {
        self.buffer.poll(now, &mut self.transport)
    }

    /// The buffer.
    pub fn buffer(&self) -> &LineBuffer<N> {
        self.buffer
    }

    /// The lent transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }
}

impl<const N: usize, T: Transport> Sink for Sender<'_, N, T> {
    #[inline]
    fn record(&mut self, prefix: &str, value: &Value<'_>) {
        self.buffer.record_line(&mut self.transport, prefix, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{ErrorKind, MemoryTransport};
    use crate::MeterKind;

    type Spy = MemoryTransport<4096, 64>;
    type Buf = LineBuffer<16>;

    fn sent(t: &Spy) -> heapless::Vec<&[u8], 64> {
        t.datagrams().collect()
    }

    fn counter(id: &str) -> Measurement<'_> {
        Measurement::new(MeterKind::Counter, id, Value::Int(1))
    }

    #[test]
    fn flushes_when_the_next_line_would_not_fit() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        b.via(&mut t).record(&counter("a")); // c:a:1 (5)
        b.via(&mut t).record(&counter("bb")); // +1+6 = 12
        assert!(sent(&t).is_empty());
        b.via(&mut t).record(&counter("cc")); // 12+1+6 = 19 > 16: flush first
        assert_eq!(sent(&t), [&b"c:a:1\nc:bb:1"[..]]);
        assert_eq!(b.pending(), b"c:cc:1");
        assert_eq!(b.pending_lines(), 1);
        let s = b.stats();
        assert_eq!((s.lines_sent, s.datagrams_sent, s.bytes_sent), (2, 1, 12));
    }

    #[test]
    fn an_exactly_full_buffer_is_sent_at_once() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        let mut s = b.via(&mut t);
        s.append("c:a:1");
        s.append("c:bbbbbb:1"); // 5 + 1 + 10 = 16
        assert!(s.buffer().pending().is_empty());
        assert_eq!(sent(&t), [&b"c:a:1\nc:bbbbbb:1"[..]]);
    }

    #[test]
    fn long_lines_alone_or_dropped() {
        let mut t = Spy::new().with_max_datagram(14);
        let mut b = Buf::new().with_max_datagram(8);
        let mut s = b.via(&mut t);
        s.append("c:a:1");
        s.append("c:long_id:1"); // 11 > 8, <= 14: buffer first, then alone
        s.append("c:longer_id_x:1"); // 15 > 14: too long for the transport
        s.append("c:seventeen_long:1"); // 18 > N: cannot be buffered
        s.record(&counter("way_too_long_id")); // 19 > N: cannot be formatted
        assert_eq!(s.buffer().stats().dropped.too_long, 3);
        assert_eq!(s.buffer().stats().lines_sent, 2);
        s.append("");
        s.append("c:a:1\nc:b:1");
        assert_eq!(s.buffer().stats().dropped.invalid, 2);
        assert!(s.buffer().pending().is_empty());
        assert_eq!(sent(&t), [&b"c:a:1"[..], b"c:long_id:1"]);
    }

    /// `append_buffer` sends the same datagrams and counts the same as appending each line,
    /// for every limit and with or without a line already pending.
    #[test]
    fn moved_lines_go_out_as_each_line_would() {
        let lines = [
            "c:a:1",
            "c:bb:22",
            "c:c:3",
            "c:long_id:1",
            "c:dddd:4",
            "c:e:5",
        ];
        for limit in 0..=17 {
            for pending in [false, true] {
                for from in 0..lines.len() {
                    let (mut one, mut t1) = (Buf::new().with_max_datagram(limit), Spy::new());
                    let (mut run, mut t2) = (Buf::new().with_max_datagram(limit), Spy::new());
                    if pending {
                        one.via(&mut t1).append("c:p:0");
                        run.via(&mut t2).append("c:p:0");
                    }
                    let mut staged: LineBuffer<64> = LineBuffer::new();
                    for line in &lines[from..] {
                        staged.via(Spy::new()).append(line);
                        one.via(&mut t1).append(line);
                    }
                    run.via(&mut t2).append_buffer(&mut staged);
                    assert!(staged.pending().is_empty() && staged.pending_lines() == 0);
                    one.flush(&mut t1).unwrap();
                    run.flush(&mut t2).unwrap();
                    assert_eq!(sent(&t1), sent(&t2), "limit {limit}, from {from}");
                    assert_eq!(one.stats(), run.stats(), "limit {limit}, from {from}");
                }
            }
        }
    }

    #[test]
    fn moved_lines_that_do_not_fit_a_blocked_socket_are_dropped() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        b.via(&mut t).append("c:p:0");
        let mut staged: LineBuffer<64> = LineBuffer::new();
        for line in ["c:a:1", "c:bb:22", "c:c:3"] {
            staged.via(Spy::new()).append(line);
        }
        t.block(true);
        b.via(&mut t).append_buffer(&mut staged);
        // "c:a:1" joins the pending line; the other two wait for no send.
        assert_eq!(b.pending(), b"c:p:0\nc:a:1");
        assert_eq!(b.stats().dropped.backpressure, 2);
    }

    #[test]
    fn a_full_socket_drops_a_line_sent_alone() {
        let mut t = Spy::new();
        let mut b = Buf::new().with_max_datagram(8);
        t.block(true);
        b.via(&mut t).record(&counter("long_id"));
        assert_eq!(b.stats().dropped.backpressure, 1);
        assert!(b.pending().is_empty());
    }

    #[test]
    fn a_zero_limit_sends_every_line_alone() {
        let mut t = Spy::new();
        let mut b = Buf::new().with_max_datagram(0);
        b.via(&mut t).record(&counter("a"));
        Sink::record(&mut b.via(&mut t), "c:b:", &Value::Int(1));
        b.via(&mut t).append("c:c:1");
        assert_eq!(sent(&t), [&b"c:a:1"[..], b"c:b:1", b"c:c:1"]);
        assert!(b.pending().is_empty());
        assert_eq!(b.stats().datagrams_sent, 3);
    }

    /// `m`'s line without its value: the prefix a meter renders once.
    fn prefix(m: &Measurement<'_>) -> heapless::String<32> {
        let mut s = heapless::String::new();
        m.write_prefix_to(&mut s).unwrap();
        s
    }

    #[test]
    fn prefix_and_value_write_what_a_measurement_writes() {
        let ttl = core::num::NonZeroU32::new(60);
        let ms = [
            counter("a"),
            Measurement::new(MeterKind::Gauge, "g", Value::Int(-7)).with_ttl(ttl),
            counter("long_id"), // 11 > 8: buffer first, then alone
            Measurement::new(MeterKind::Timer, "t", Value::UInt(42)),
            counter("longer_id_x"), // the socket is full: dropped (backpressure)
            counter("way_too_long_id"), // 19 > N: cannot be formatted
            Measurement::new(MeterKind::Gauge, "q", Value::decimal(15, 1)),
            counter("b"),
        ];
        let run = |prefixed: bool| {
            let mut t = Spy::new().with_max_datagram(14);
            let mut b = Buf::new().with_max_datagram(8);
            for (i, m) in ms.iter().enumerate() {
                t.block(i == 3 || i == 4); // a full socket: t:t:42 waits
                let mut s = b.via(&mut t);
                if prefixed {
                    Sink::record(&mut s, &prefix(m), &m.value);
                } else {
                    s.record(m);
                }
            }
            b.flush(&mut t).unwrap();
            (t, b)
        };
        let ((plain_t, plain), (prefixed_t, prefixed)) = (run(false), run(true));
        assert_eq!(sent(&prefixed_t), sent(&plain_t));
        assert_eq!(prefixed.stats(), plain.stats());
        assert_eq!(
            sent(&prefixed_t),
            [
                &b"c:a:1"[..],
                b"g,60:g:-7",
                b"c:long_id:1",
                b"t:t:42",
                b"g:q:1.5",
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
    fn prefixed_lines_join_and_flush_on_size() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        let mut s = b.via(&mut t);
        for v in [1, 22, 333, 4444] {
            Sink::record(&mut s, "c:a:", &Value::Int(v));
        }
        // 5, +1+6 = 12, 12+1+7 = 20 > 16: flush first; 7+1+8 = 16: full, sent at once.
        assert!(s.buffer().pending().is_empty());
        assert_eq!(s.buffer().stats().lines_sent, 4);
        assert_eq!(sent(&t), [&b"c:a:1\nc:a:22"[..], b"c:a:333\nc:a:4444"]);
    }

    /// A lent transport that carries less than the buffer's limit lowers it: joined lines
    /// never make a datagram the transport must refuse.
    #[test]
    fn the_lent_transport_caps_joined_datagrams() {
        let mut t = Spy::new().with_max_datagram(11);
        let mut b = Buf::new();
        let mut s = b.via(&mut t);
        s.append("c:a:1");
        s.append("c:b:1"); // 11: full for this transport, sent at once
        s.append("c:c:1");
        Sink::record(&mut s, "c:d:", &Value::Int(1)); // 11 again
        s.append("c:long_id:1"); // 11 alone: fits the transport
        s.append("c:longer_id:1"); // 13 > 11: too long for it
        s.flush().unwrap();
        assert_eq!(
            sent(&t),
            [&b"c:a:1\nc:b:1"[..], b"c:c:1\nc:d:1", b"c:long_id:1"]
        );
        let s = b.stats();
        assert_eq!((s.send_errors, s.dropped.too_long, s.lines_sent), (0, 1, 5));
    }

    #[test]
    fn max_datagram_never_exceeds_capacity() {
        assert_eq!(Buf::new().max_datagram(), 16);
        assert_eq!(Buf::new().with_max_datagram(100).max_datagram(), 16);
        let (mut t, mut b) = (Spy::new(), Buf::new().with_max_datagram(11));
        let mut s = b.via(&mut t);
        s.append("c:a:1");
        s.append("c:b:1"); // 11: full at once
        s.append("c:c:1");
        s.flush().unwrap();
        assert_eq!(sent(&t), [&b"c:a:1\nc:b:1"[..], b"c:c:1"]);
    }

    #[test]
    fn would_block_keeps_the_datagram_and_drops_new_lines_that_do_not_fit() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        b.via(&mut t).append("c:a:1");
        t.block(true);
        assert_eq!(b.flush(&mut t), Err(nb::Error::WouldBlock));
        b.via(&mut t).append("c:b:1"); // still fits
        b.via(&mut t).append("c:c:1"); // needs a flush that would block: dropped
        assert_eq!(b.stats().dropped.backpressure, 1);
        assert_eq!(b.pending(), b"c:a:1\nc:b:1");
        t.block(false);
        b.via(&mut t).append("c:d:1"); // flush succeeds now
        b.flush(&mut t).unwrap();
        assert_eq!(sent(&t), [&b"c:a:1\nc:b:1"[..], b"c:d:1"]);
        assert_eq!(b.stats().lines_sent, 3);
    }

    #[test]
    fn send_errors_lose_the_datagram_and_are_counted() {
        let (mut t, mut b) = (Spy::new(), Buf::new());
        b.via(&mut t).append("c:a:1");
        b.via(&mut t).append("c:b:1");
        t.fail_next(1, ErrorKind::NoRoute);
        let err = b.flush(&mut t).unwrap_err();
        assert!(matches!(err, nb::Error::Other(e) if e.kind() == ErrorKind::NoRoute));
        let s = b.stats();
        assert_eq!(
            (s.send_errors, s.dropped.send_failed, s.lines_sent),
            (1, 2, 0)
        );
        assert!(b.pending().is_empty());
        b.via(&mut t).append("c:c:1");
        b.flush(&mut t).unwrap();
        assert_eq!(sent(&t), [&b"c:c:1"[..]]);
    }

    #[test]
    fn poll_flushes_on_a_fixed_schedule() {
        let secs = Duration::from_secs;
        let (mut t, mut b) = (Spy::new(), Buf::new().with_flush_interval(secs(5)));
        b.via(&mut t).append("c:a:1");
        b.poll(secs(10), &mut t).unwrap(); // first call schedules only
        assert!(sent(&t).is_empty());
        b.poll(secs(14), &mut t).unwrap();
        assert!(sent(&t).is_empty());
        b.via(&mut t).poll(secs(15)).unwrap();
        assert_eq!(sent(&t).len(), 1);
        b.via(&mut t).append("c:b:1");
        b.poll(secs(19), &mut t).unwrap();
        assert_eq!(sent(&t).len(), 1);
        b.poll(secs(21), &mut t).unwrap();
        assert_eq!(sent(&t), [&b"c:a:1"[..], b"c:b:1"]);
        b.poll(secs(40), &mut t).unwrap(); // nothing pending: nothing sent
        assert_eq!(sent(&t).len(), 2);
    }

    #[test]
    fn alone_the_buffer_holds_lines_and_drops_what_does_not_fit() {
        let mut b = Buf::new();
        Sink::record(&mut b, "c:a:", &Value::Int(1));
        Sink::record(&mut b, "c:bb:", &Value::Int(1)); // 12 bytes
        assert_eq!(b.room(), 3);
        Sink::record(&mut b, "c:cc:", &Value::Int(1)); // does not fit: dropped
        assert_eq!(b.pending(), b"c:a:1\nc:bb:1");
        assert_eq!(b.stats().dropped.backpressure, 1);
        let mut t = Spy::new();
        b.flush(&mut t).unwrap();
        assert_eq!(b.room(), 16);
        assert_eq!(sent(&t), [&b"c:a:1\nc:bb:1"[..]]);
    }

    #[test]
    fn a_static_buffer_starts_empty() {
        static EMPTY: LineBuffer<8> = LineBuffer::new().with_max_datagram(4);
        assert_eq!((EMPTY.max_datagram(), EMPTY.pending_lines()), (4, 0));
        assert_eq!(*EMPTY.stats(), Stats::default());
    }
}
