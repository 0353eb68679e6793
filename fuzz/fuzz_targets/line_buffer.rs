//! `LineBuffer<64>` with a `MemoryTransport<65536, 1024>` lent to it, driven by a fuzzed
//! sequence of operations and checked against a model after every one of them.
//!
//! Configurations: plain; a transport `with_max_datagram`; a buffer `with_max_datagram` (down
//! to 0); both; a limit of 0 (every line alone). One run in four uses a
//! `MemoryTransport<1024, 16>` instead, which fills up and then fails sends. Operations: append
//! a preformatted line of arbitrary ASCII (empty, with `\n`, longer than the buffer or the
//! transport included) through a `Sender`; record a measurement through a `Sender`; a meter's
//! update (its kind's filter, then `Sink::record(prefix, value)`) through a `Sender` or into
//! the buffer alone; flush; poll at an increasing time; an async flush polled once (a blocked
//! transport leaves it pending and it is dropped: cancelled); block / unblock the transport;
//! make its next sends fail.
//!
//! The model does not re-implement the buffer's policy; it follows every line and checks the
//! rules of `core/src/line_buffer.rs`:
//!
//! * every datagram is non-empty, neither starts nor ends with `\n`, has no `\n\n`, and is at
//!   most the limit (the buffer's `max_datagram()`, lowered to the transport's maximum for lines
//!   joined through a `Sender`), unless it is the operation's one line sent alone, within `N`
//!   and the transport's maximum; the pending datagram is within the buffer's limit and
//!   `room()` is what is left of it;
//! * after each operation, the new datagrams' lines followed by the pending lines are, in order,
//!   the previously pending lines plus the new one, minus exactly as many lines as the drop
//!   counters grew by (so nothing is duplicated, reordered, invented or silently lost);
//!   `lines_sent`, `datagrams_sent` and `bytes_sent` grow by what the transport got;
//! * accounting: lines appended or recorded after the filter == `lines_sent +
//!   dropped.total() + pending_lines()`; filtered values change nothing;
//! * drop reasons: `invalid` exactly for empty lines or lines with `\n`; `too_long` only for a
//!   line longer than `N` or the transport's maximum, whatever its source; `backpressure` only
//!   while blocked or into the buffer alone; send errors only from injected failures, a full
//!   transport, or a datagram held by the buffer alone that is larger than the transport takes;
//! * policy: into the buffer alone, a line is buffered exactly when it fits the pending
//!   datagram, else dropped (`too_long` when over `N` and nothing is pending, `backpressure`
//!   otherwise), and nothing is sent; through a `Sender`, a line that fits the pending datagram without filling it is
//!   buffered without any send; while the transport takes datagrams nothing stays pending at
//!   the limit, a limit of 0 keeps nothing pending and, with room and no failures, no line is
//!   dropped but for being invalid or too long; `flush`, due `poll`s and completed async
//!   flushes empty the buffer, a blocked flush keeps it, and a `poll` before its deadline does
//!   nothing;
//! * at the end the transport's lines, in order, are exactly the model's sent lines, and a final
//!   unblocked flush leaves nothing pending.
#![no_main]

use core::future::Future;
use core::num::NonZeroU32;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spectator_core::transport::MemoryError;
use spectator_core::{
    AsyncTransport, ErrorKind, LineBuffer, Measurement, MemoryTransport, MeterId, MeterKind,
    Prefix, Sink, Stats, Transport, Value,
};

const N: usize = 64;
type Buffer = LineBuffer<N>;

#[derive(Debug, Arbitrary)]
enum Number {
    Int(i64),
    UInt(u64),
    FloatBits(u64),
    Small(i8),
}

#[derive(Debug, Arbitrary)]
enum Op {
    /// A preformatted line; each byte is masked to ASCII.
    Append(Vec<u8>),
    /// A `Measurement` through a `Sender`.
    Record {
        kind: u8,
        meter: u8,
        number: Number,
    },
    /// A meter's update: its prefix and value, through a `Sender` or into the buffer alone.
    Meter {
        kind: u8,
        meter: u8,
        number: Number,
        alone: bool,
    },
    Flush,
    /// `flush_async`, polled once.
    FlushAsync,
    /// Advances the clock by this many milliseconds, then polls.
    Poll(u16),
    Block(bool),
    FailNext(u8, bool),
}

#[derive(Debug, Arbitrary)]
struct Input {
    config: u8,
    transport_max: u8,
    buffer_max: u8,
    interval_ms: u16,
    ops: Vec<Op>,
}

/// How a line reached the buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Through a `Sender` (the transport lent).
    Sender,
    /// Into the buffer alone (no transport).
    Alone,
}

struct NewLine {
    text: Vec<u8>,
    via: Via,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Append, record or a filtered-out record: checked through the line.
    Line,
    /// A flush (or a due poll) with its result.
    Flush(Result<(), FlushErr>),
    /// Nothing may change.
    Nothing,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FlushErr {
    WouldBlock,
    Other,
}

struct Model {
    /// The buffer's limit (`max_datagram()`).
    limit: usize,
    transport_max: usize,
    /// A limit of 0: every line alone.
    unbuffered: bool,
    interval: Duration,
    now: Duration,
    next_flush: Option<Duration>,
    blocked: bool,
    fail_budget: u32,
    /// Lines the model believes are buffered, in order.
    pending: Vec<Vec<u8>>,
    /// Every line the transport got, in order.
    sent: Vec<Vec<u8>>,
    /// Lines appended or recorded (after the filter).
    accepted: u64,
    datagrams: usize,
    bytes: usize,
}

fn split_lines(datagram: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    datagram.split(|&b| b == b'\n').map(<[u8]>::to_vec)
}

fn check_datagram_shape(d: &[u8], what: &str) {
    assert!(!d.is_empty(), "empty {what}");
    assert!(
        d.first() != Some(&b'\n'),
        "{what} starts with a newline: {d:?}"
    );
    assert!(
        d.last() != Some(&b'\n'),
        "{what} ends with a newline: {d:?}"
    );
    assert!(
        !d.windows(2).any(|w| w == b"\n\n"),
        "{what} has an empty line: {d:?}"
    );
}

/// Whether `needles` is an order-preserving subsequence of `hay`.
fn is_subsequence(needles: &[Vec<u8>], hay: &[Vec<u8>]) -> bool {
    let mut hay = hay.iter();
    needles.iter().all(|n| hay.any(|h| h == n))
}

impl Model {
    fn joined_len(lines: &[Vec<u8>]) -> usize {
        lines.iter().map(Vec::len).sum::<usize>() + lines.len().saturating_sub(1)
    }

    /// The limit of datagrams joined through a `Sender`.
    fn sender_limit(&self) -> usize {
        self.limit.min(self.transport_max)
    }

    /// The longest line that is not too long: any line is written into the buffer's capacity
    /// `N`, and sent (alone when over the limit) within the transport's maximum.
    fn alone_bound(&self, via: Via) -> usize {
        match via {
            Via::Sender => N.min(self.transport_max),
            Via::Alone => N,
        }
    }

    /// Checks what one operation did; `before` are the stats before it.
    fn settle<const B: usize, const D: usize>(
        &mut self,
        buf: &Buffer,
        t: &MemoryTransport<B, D>,
        before: Stats,
        new_line: Option<NewLine>,
        expect: Expect,
    ) {
        let stats = *buf.stats();
        let d_dropped = |f: fn(&Stats) -> u64| f(&stats) - f(&before);
        let (d_invalid, d_too_long, d_backpressure, d_send_failed) = (
            d_dropped(|s| s.dropped.invalid),
            d_dropped(|s| s.dropped.too_long),
            d_dropped(|s| s.dropped.backpressure),
            d_dropped(|s| s.dropped.send_failed),
        );
        let d_errors = d_dropped(|s| s.send_errors);
        let d_total = d_dropped(|s| s.dropped.total());

        // The new datagrams.
        let new_datagrams: Vec<&[u8]> = (self.datagrams..t.len())
            .map(|i| t.datagram(i).unwrap())
            .collect();
        let mut new_sent: Vec<Vec<u8>> = Vec::new();
        for d in &new_datagrams {
            check_datagram_shape(d, "datagram");
            if d.len() > self.sender_limit() {
                let alone = new_line.as_ref().is_some_and(|l| {
                    l.via == Via::Sender && l.text == *d && d.len() <= self.alone_bound(l.via)
                });
                assert!(
                    alone,
                    "a {}-byte datagram over the {}-byte limit: {d:?}",
                    d.len(),
                    self.sender_limit()
                );
            }
            new_sent.extend(split_lines(d));
        }
        assert_eq!(d_dropped(|s| s.datagrams_sent), new_datagrams.len() as u64);
        assert_eq!(d_dropped(|s| s.lines_sent), new_sent.len() as u64);
        let new_bytes: usize = new_datagrams.iter().map(|d| d.len()).sum();
        assert_eq!(d_dropped(|s| s.bytes_sent), new_bytes as u64);
        assert_eq!(buf.max_datagram(), self.limit);

        // The pending datagram.
        let pending = buf.pending();
        let now_pending: Vec<Vec<u8>> = if pending.is_empty() {
            Vec::new()
        } else {
            check_datagram_shape(pending, "pending datagram");
            split_lines(pending).collect()
        };
        assert_eq!(buf.pending_lines() as usize, now_pending.len());
        assert!(pending.len() <= self.limit, "pending over the limit");
        let sep = usize::from(!pending.is_empty());
        assert_eq!(buf.room(), self.limit.saturating_sub(pending.len() + sep));

        // Where the lines went.
        let invalid = new_line
            .as_ref()
            .is_some_and(|l| l.text.is_empty() || l.text.contains(&b'\n'));
        assert_eq!(d_invalid, u64::from(invalid), "invalid count");
        let mut in_flight = self.pending.clone();
        if let Some(l) = &new_line {
            self.accepted += 1;
            if !invalid {
                in_flight.push(l.text.clone());
            }
        }
        let mut outcome = new_sent.clone();
        outcome.extend(now_pending.iter().cloned());
        assert!(
            is_subsequence(&outcome, &in_flight),
            "sent + pending {outcome:?} is not an ordered part of {in_flight:?}"
        );
        assert_eq!(
            (in_flight.len() - outcome.len()) as u64,
            d_total - d_invalid,
            "lines lost or duplicated: in flight {in_flight:?}, out {outcome:?}"
        );
        assert_eq!(
            self.accepted,
            stats.lines_sent + stats.dropped.total() + u64::from(buf.pending_lines()),
            "accounting"
        );

        // Drop reasons.
        let alone = new_line.as_ref().is_some_and(|l| l.via == Via::Alone);
        if d_backpressure > 0 {
            assert!(
                self.blocked || alone,
                "backpressure while the transport is not blocked"
            );
        }
        assert!(d_too_long <= 1);
        if d_too_long > 0 {
            let l = new_line.as_ref().expect("too_long without a line");
            let bound = self.alone_bound(l.via);
            assert!(l.text.len() > bound, "{:?} dropped as too long", l.text);
        }
        // Lines held by the buffer alone may make a datagram larger than the transport takes.
        let oversize_pending = Self::joined_len(&self.pending) > self.transport_max;
        if d_send_failed > 0 {
            assert!(d_errors > 0, "send_failed without a send error");
        }
        let room = t.len() + 2 < D
            && self.bytes
                + new_bytes
                + 2 * self
                    .limit
                    .max(new_line.as_ref().map_or(0, |l| l.text.len()))
                < B;
        let budget_before = self.fail_budget;
        if d_errors > 0 {
            let injected = u64::from(self.fail_budget).min(d_errors);
            if d_errors > injected {
                assert!(
                    !room || oversize_pending,
                    "a send error with no failure injected and room left"
                );
            }
            if u64::from(self.fail_budget) > d_errors {
                assert!(
                    new_datagrams.is_empty(),
                    "a send went through an injected failure"
                );
            }
            self.fail_budget -= injected as u32;
        }

        // Policy, for operations that could send (an unblock alone sends nothing).
        // An invalid line is refused before the buffer is touched.
        let acted =
            (new_line.is_some() && !invalid && !alone) || matches!(expect, Expect::Flush(_));
        if acted && !self.blocked {
            assert!(
                pending.is_empty() || pending.len() < self.sender_limit(),
                "a full datagram stayed pending"
            );
            if self.unbuffered {
                assert!(pending.is_empty(), "a limit of 0 kept a line");
            }
            if budget_before == 0 && room && !oversize_pending {
                assert_eq!(d_send_failed, 0);
                if let Some(l) = &new_line {
                    let deliverable = l.text.len() <= self.alone_bound(l.via);
                    if deliverable && !invalid {
                        assert_eq!(d_total, 0, "{:?} was dropped", l.text);
                    }
                }
            }
        }
        match expect {
            Expect::Line => {
                let sep = usize::from(!self.pending.is_empty());
                match new_line.as_ref().filter(|_| !invalid) {
                    Some(l) if l.via == Via::Alone => {
                        // Into the buffer alone: buffered exactly when it fits, never sent.
                        let total = Self::joined_len(&self.pending) + sep + l.text.len();
                        assert!(new_datagrams.is_empty(), "the buffer alone sent");
                        if total <= self.limit {
                            assert_eq!(now_pending, in_flight, "a fitting line was not buffered");
                        } else {
                            assert_eq!(now_pending, self.pending);
                            // Over `N` is `too_long`; with lines pending, which cannot be sent
                            // first, any line that does not fit is `backpressure`.
                            let too_long = self.pending.is_empty() && l.text.len() > N;
                            assert_eq!(
                                (d_too_long, d_backpressure),
                                (u64::from(too_long), u64::from(!too_long))
                            );
                        }
                    }
                    Some(l) if !self.unbuffered => {
                        let total = Self::joined_len(&self.pending) + sep + l.text.len();
                        if total < self.sender_limit() {
                            assert!(new_datagrams.is_empty(), "sent although the line fitted");
                            assert_eq!(now_pending, in_flight, "a fitting line was not buffered");
                        }
                    }
                    _ => {}
                }
                if new_line.is_none() {
                    assert!(new_datagrams.is_empty() && now_pending == self.pending);
                    assert_eq!(stats, before, "a filtered measurement changed the stats");
                }
            }
            Expect::Flush(result) => match result {
                Ok(()) => {
                    assert!(now_pending.is_empty());
                    if self.pending.is_empty() {
                        assert!(new_datagrams.is_empty());
                    } else {
                        assert_eq!(new_datagrams.len(), 1);
                        assert_eq!(new_sent, self.pending);
                    }
                }
                Err(FlushErr::WouldBlock) => {
                    assert!(self.blocked && !self.pending.is_empty());
                    assert_eq!(now_pending, self.pending);
                    assert_eq!(stats, before);
                }
                Err(FlushErr::Other) => {
                    assert!(!self.blocked && now_pending.is_empty());
                    assert_eq!(d_send_failed, self.pending.len() as u64);
                    assert_eq!(d_errors, 1);
                }
            },
            Expect::Nothing => {
                assert!(new_datagrams.is_empty());
                assert_eq!(now_pending, self.pending);
                assert_eq!(stats, before);
            }
        }

        self.pending = now_pending;
        self.sent.extend(new_sent);
        self.datagrams = t.len();
        self.bytes += new_bytes;
    }
}

fn flush_result(r: nb::Result<(), MemoryError>) -> Result<(), FlushErr> {
    match r {
        Ok(()) => Ok(()),
        Err(nb::Error::WouldBlock) => Err(FlushErr::WouldBlock),
        Err(nb::Error::Other(_)) => Err(FlushErr::Other),
    }
}

/// A memory transport behind an async face: a blocked send waits (forever, here).
struct Async<'t, const B: usize, const D: usize>(&'t mut MemoryTransport<B, D>);

impl<const B: usize, const D: usize> AsyncTransport for Async<'_, B, D> {
    type Error = MemoryError;

    async fn send(&mut self, datagram: &[u8]) -> Result<(), MemoryError> {
        core::future::poll_fn(|_| match self.0.send(datagram) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(nb::Error::Other(e)) => Poll::Ready(Err(e)),
            Err(nb::Error::WouldBlock) => Poll::Pending,
        })
        .await
    }
}

/// Polls `f` once: its output, or `None` when it is pending (it is then dropped: cancelled).
fn poll_once<F: Future>(f: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// The buffer and transport of configuration `config % 5`, the transport's maximum, the
/// buffer's limit and whether it is 0.
fn configure<const B: usize, const D: usize>(
    config: u8,
    tmax: usize,
    bmax: usize,
) -> (Buffer, MemoryTransport<B, D>, usize, usize, bool) {
    let mt = MemoryTransport::<B, D>::new;
    match config % 5 {
        0 => (Buffer::new(), mt(), usize::MAX, N, false),
        1 => (Buffer::new(), mt().with_max_datagram(tmax), tmax, N, false),
        2 => (
            Buffer::new().with_max_datagram(bmax),
            mt(),
            usize::MAX,
            N.min(bmax),
            bmax == 0,
        ),
        3 => (
            Buffer::new().with_max_datagram(bmax),
            mt().with_max_datagram(tmax),
            tmax,
            N.min(bmax),
            bmax == 0,
        ),
        _ => (
            Buffer::new().with_max_datagram(0),
            mt(),
            usize::MAX,
            0,
            true,
        ),
    }
}

fuzz_target!(|input: Input| {
    // Mostly the transport of the spec (64 KiB, 1024 datagrams); one run in four a tiny one
    // (1 KiB, 16 datagrams) so that it fills up and refuses datagrams.
    if (input.config / 5) % 4 == 3 {
        run::<1024, 16>(input);
    } else {
        run::<65536, 1024>(input);
    }
});

fn run<const B: usize, const D: usize>(input: Input) {
    let tmax = usize::from(input.transport_max);
    let bmax = usize::from(input.buffer_max % 100);
    let interval = Duration::from_millis(u64::from(input.interval_ms));
    let (buffer, mut t, transport_max, limit, unbuffered) =
        configure::<B, D>(input.config, tmax, bmax);
    let mut buf = buffer.with_flush_interval(interval);
    assert_eq!(buf.max_datagram(), limit);
    assert_eq!(t.max_datagram(), transport_max);

    type Id = MeterId<128, 4>;
    let long_name = "long.meter.name.".repeat(5);
    let ids: [Id; 4] = [
        Id::new("a", &[]).unwrap(),
        Id::new("server.numRequests", &[("id", "failed")]).unwrap(),
        Id::new("x y", &[("country", "é"), ("status", "200")]).unwrap(),
        Id::new(&long_name, &[("k", "v")]).unwrap(),
    ];

    let mut model = Model {
        limit,
        transport_max,
        unbuffered,
        interval,
        now: Duration::ZERO,
        next_flush: None,
        blocked: false,
        fail_budget: 0,
        pending: Vec::new(),
        sent: Vec::new(),
        accepted: 0,
        datagrams: 0,
        bytes: 0,
    };

    for op in input.ops {
        let before = *buf.stats();
        match op {
            Op::Append(bytes) => {
                let text: String = bytes.iter().map(|&b| char::from(b & 0x7f)).collect();
                buf.via(&mut t).append(&text);
                let line = NewLine {
                    text: text.into_bytes(),
                    via: Via::Sender,
                };
                model.settle(&buf, &t, before, Some(line), Expect::Line);
            }
            Op::Record {
                kind,
                meter,
                number,
            } => {
                let (kind, id, value, ttl) = line_parts(kind, &ids, meter, number);
                let measurement =
                    Measurement::filtered(kind, id.spectatord_id(), value).map(|m| m.with_ttl(ttl));
                assert_eq!(measurement.is_some(), passes(kind, &value));
                let line = measurement.map(|m| {
                    let mut text: heapless::String<1024> = heapless::String::new();
                    m.write_to(&mut text).unwrap();
                    assert_eq!(text.len(), m.line_len());
                    buf.via(&mut t).record(&m);
                    NewLine {
                        text: text.as_bytes().to_vec(),
                        via: Via::Sender,
                    }
                });
                model.settle(&buf, &t, before, line, Expect::Line);
            }
            Op::Meter {
                kind,
                meter,
                number,
                alone,
            } => {
                let (kind, id, value, ttl) = line_parts(kind, &ids, meter, number);
                // What a meter does: its kind's filter, then its prefix and the value.
                let prefix: Prefix<256> = Prefix::new(kind, ttl, id.spectatord_id()).unwrap();
                let prefix = spectator_core::prefix::LinePrefix::line_prefix(&prefix);
                let line = kind.accepts(&value).then(|| {
                    assert!(passes(kind, &value));
                    let via = if alone {
                        Sink::record(&mut buf, prefix, &value);
                        Via::Alone
                    } else {
                        Sink::record(&mut buf.via(&mut t), prefix, &value);
                        Via::Sender
                    };
                    let mut text: heapless::String<1024> = heapless::String::new();
                    Measurement::new(kind, id.spectatord_id(), value)
                        .with_ttl(ttl)
                        .write_to(&mut text)
                        .unwrap();
                    NewLine {
                        text: text.as_bytes().to_vec(),
                        via,
                    }
                });
                model.settle(&buf, &t, before, line, Expect::Line);
            }
            Op::Flush => {
                let result = flush_result(buf.flush(&mut t));
                model.settle(&buf, &t, before, None, Expect::Flush(result));
            }
            Op::FlushAsync => {
                let expect = match poll_once(buf.flush_async(&mut Async(&mut t))) {
                    Some(result) => {
                        assert!(!model.blocked || model.pending.is_empty());
                        Expect::Flush(result.map_err(|_| FlushErr::Other))
                    }
                    // Blocked: the flush waits, and dropping it keeps the lines (cancel-safe).
                    None => {
                        assert!(model.blocked && !model.pending.is_empty());
                        Expect::Nothing
                    }
                };
                model.settle(&buf, &t, before, None, expect);
            }
            Op::Poll(ms) => {
                model.now += Duration::from_millis(u64::from(ms));
                let due = match model.next_flush {
                    Some(deadline) => model.now >= deadline,
                    None => false,
                };
                if model.next_flush.is_none() || due {
                    model.next_flush = Some(model.now + model.interval);
                }
                let result = flush_result(buf.poll(model.now, &mut t));
                let expect = if due {
                    Expect::Flush(result)
                } else {
                    assert_eq!(result, Ok(()));
                    Expect::Nothing
                };
                model.settle(&buf, &t, before, None, expect);
            }
            Op::Block(blocked) => {
                t.block(blocked);
                model.blocked = blocked;
                model.settle(&buf, &t, before, None, Expect::Nothing);
            }
            Op::FailNext(count, no_route) => {
                let count = u32::from(count % 4);
                let kind = if no_route {
                    ErrorKind::NoRoute
                } else {
                    ErrorKind::Other
                };
                t.fail_next(count, kind);
                model.fail_budget = count;
                model.settle(&buf, &t, before, None, Expect::Nothing);
            }
        }
    }

    let got: Vec<Vec<u8>> = t.lines().map(<[u8]>::to_vec).collect();
    assert_eq!(
        got, model.sent,
        "the transport's lines differ from the model's"
    );
    assert_eq!(buf.stats().datagrams_sent, t.len() as u64);

    // Unblocked and without failures, a final flush empties the buffer (if the transport has room).
    t.block(false);
    t.fail_next(0, ErrorKind::Other);
    model.blocked = false;
    model.fail_budget = 0;
    let before = *buf.stats();
    let result = flush_result(buf.flush(&mut t));
    assert_ne!(result, Err(FlushErr::WouldBlock));
    model.settle(&buf, &t, before, None, Expect::Flush(result));
    assert_eq!(buf.pending_lines(), 0);
    let got: Vec<Vec<u8>> = t.lines().map(<[u8]>::to_vec).collect();
    assert_eq!(got, model.sent);
}

/// The kind, id, value and TTL of a fuzzed line.
fn line_parts<const L: usize, const T: usize>(
    kind: u8,
    ids: &[MeterId<L, T>],
    meter: u8,
    number: Number,
) -> (
    MeterKind,
    &MeterId<L, T>,
    Value<'static>,
    Option<NonZeroU32>,
) {
    let kind = MeterKind::ALL[usize::from(kind) % MeterKind::ALL.len()];
    let id = &ids[usize::from(meter) % ids.len()];
    let value = match number {
        _ if kind == MeterKind::DistinctCountSketch => {
            Value::IntBytes(i64::from(meter).to_le_bytes())
        }
        Number::Int(v) => Value::Int(v),
        Number::UInt(v) => Value::UInt(v),
        Number::FloatBits(b) => Value::Float(f64::from_bits(b)),
        Number::Small(v) => Value::Int(v.into()),
    };
    (kind, id, value, NonZeroU32::new(u32::from(meter) * 7))
}

/// The kind's client-side filter, written out independently.
fn passes(kind: MeterKind, value: &Value<'_>) -> bool {
    match kind.filter() {
        spectator_core::Filter::None => true,
        spectator_core::Filter::Positive => match *value {
            Value::Int(v) => v > 0,
            Value::UInt(v) => v > 0,
            Value::Float(v) => v > 0.0,
            _ => true,
        },
        spectator_core::Filter::NonNegative => match *value {
            Value::Int(v) => v >= 0,
            Value::Float(v) => v >= 0.0,
            _ => true,
        },
    }
}
