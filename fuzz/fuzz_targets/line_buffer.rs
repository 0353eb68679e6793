//! `LineBuffer<MemoryTransport<65536, 1024>, 64>` driven by a fuzzed sequence of operations and
//! checked against a model after every one of them.
//!
//! Configurations: plain; a transport `with_max_datagram`; a buffer `with_max_datagram` (down
//! to 0); both; unbuffered. One run in four uses a `MemoryTransport<1024, 16>` instead, which
//! fills up and then fails sends. Operations: append a preformatted line of arbitrary ASCII (empty,
//! with `\n`, longer than the buffer or the transport included), record a measurement through
//! the kind's filter, flush, poll at an increasing time, block / unblock the transport, make its
//! next sends fail.
//!
//! The model does not re-implement the buffer's policy; it follows every line and checks:
//!
//! * every datagram is non-empty, neither starts nor ends with `\n`, has no `\n\n`, and is at
//!   most `max_datagram()` bytes, unless it is one oversize preformatted line sent alone by the
//!   `append` that gave it, within the transport's maximum;
//! * after each operation, the new datagrams' lines followed by the pending lines are, in order,
//!   the previously pending lines plus the new one, minus exactly as many lines as the drop
//!   counters grew by (so nothing is duplicated, reordered, invented or silently lost);
//!   `lines_sent`, `datagrams_sent` and `bytes_sent` grow by what the transport got;
//! * accounting: lines appended or recorded after the filter == `lines_sent +
//!   dropped.total() + pending_lines()`; filtered measurements change nothing;
//! * drop reasons: `invalid` exactly for empty lines or lines with `\n`; `too_long` only for a
//!   line longer than the limit (record) or the transport (append); `backpressure` only while
//!   blocked; send errors only from injected failures or a full transport;
//! * policy: a line that fits the pending datagram without filling it is buffered without any
//!   send (buffered mode); while the transport takes datagrams, nothing stays pending at the
//!   limit, unbuffered mode keeps nothing pending and, with room and no failures, no line is
//!   dropped but for being invalid or too long; `flush` and due `poll`s empty the buffer unless
//!   blocked, and a `poll` before its deadline does nothing;
//! * at the end the transport's lines, in order, are exactly the model's sent lines, and a final
//!   unblocked flush leaves nothing pending.
#![no_main]

use core::num::NonZeroU32;
use core::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spectator_core::{
    ErrorKind, LineBuffer, Measurement, MemoryTransport, MeterId, MeterKind, Stats, Transport,
    Value,
};

const N: usize = 64;
type Buffer<const B: usize, const D: usize> = LineBuffer<MemoryTransport<B, D>, N>;

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
    Record {
        kind: u8,
        meter: u8,
        number: Number,
    },
    Flush,
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Append,
    Record,
}

struct NewLine {
    text: Vec<u8>,
    source: Source,
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
    limit: usize,
    transport_max: usize,
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

    /// Checks what one operation did; `before` are the stats before it.
    /// The longest line that is delivered (alone when over the limit): a measurement is
    /// formatted in the buffer's capacity `N`, an appended line is sent from its own memory.
    fn alone_bound(&self, source: Source) -> usize {
        match source {
            Source::Record => N.min(self.transport_max),
            Source::Append => self.transport_max,
        }
    }

    fn settle<const B: usize, const D: usize>(
        &mut self,
        buf: &Buffer<B, D>,
        before: Stats,
        new_line: Option<NewLine>,
        expect: Expect,
    ) {
        let stats = *buf.stats();
        let t = buf.transport();
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
            if d.len() > self.limit {
                let alone = new_line
                    .as_ref()
                    .is_some_and(|l| l.text == *d && d.len() <= self.alone_bound(l.source));
                assert!(
                    alone,
                    "a {}-byte datagram over the {}-byte limit: {d:?}",
                    d.len(),
                    self.limit
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
        if d_backpressure > 0 {
            assert!(
                self.blocked,
                "backpressure while the transport is not blocked"
            );
        }
        assert!(d_too_long <= 1);
        if d_too_long > 0 {
            let l = new_line.as_ref().expect("too_long without a line");
            let bound = self.alone_bound(l.source);
            assert!(l.text.len() > bound, "{:?} dropped as too long", l.text);
        }
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
                assert!(!room, "a send error with no failure injected and room left");
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
        let acted = (new_line.is_some() && !invalid) || matches!(expect, Expect::Flush(_));
        if acted && !self.blocked {
            assert!(
                pending.is_empty() || pending.len() < self.limit,
                "a full datagram stayed pending"
            );
            if self.unbuffered {
                assert!(pending.is_empty(), "unbuffered mode kept a line");
            }
            if budget_before == 0 && room {
                assert_eq!(d_send_failed, 0);
                if let Some(l) = &new_line {
                    let deliverable = l.text.len() <= self.alone_bound(l.source);
                    if deliverable && !invalid {
                        assert_eq!(d_total, 0, "{:?} was dropped", l.text);
                    }
                }
            }
        }
        match expect {
            Expect::Line => {
                if let Some(l) = new_line.as_ref().filter(|_| !invalid && !self.unbuffered) {
                    let sep = usize::from(!self.pending.is_empty());
                    let total = Self::joined_len(&self.pending) + sep + l.text.len();
                    if total < self.limit {
                        assert!(new_datagrams.is_empty(), "sent although the line fitted");
                        assert_eq!(now_pending, in_flight, "a fitting line was not buffered");
                    }
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

fn flush_result(r: nb::Result<(), spectator_core::transport::MemoryError>) -> Result<(), FlushErr> {
    match r {
        Ok(()) => Ok(()),
        Err(nb::Error::WouldBlock) => Err(FlushErr::WouldBlock),
        Err(nb::Error::Other(_)) => Err(FlushErr::Other),
    }
}

/// The buffer of configuration `config % 5`, its transport's maximum, its limit and whether it
/// is unbuffered.
fn configure<const B: usize, const D: usize>(
    config: u8,
    tmax: usize,
    bmax: usize,
) -> (Buffer<B, D>, usize, usize, bool) {
    let mt = MemoryTransport::<B, D>::new;
    match config % 5 {
        0 => (Buffer::new(mt()), usize::MAX, N, false),
        1 => (
            Buffer::new(mt().with_max_datagram(tmax)),
            tmax,
            N.min(tmax),
            false,
        ),
        2 => (
            Buffer::new(mt()).with_max_datagram(bmax),
            usize::MAX,
            N.min(bmax),
            false,
        ),
        3 => (
            Buffer::new(mt().with_max_datagram(tmax)).with_max_datagram(bmax),
            tmax,
            N.min(tmax).min(bmax),
            false,
        ),
        _ => (Buffer::unbuffered(mt()), usize::MAX, N, true),
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
    let (buffer, transport_max, limit, unbuffered) = configure::<B, D>(input.config, tmax, bmax);
    let mut buf = buffer.with_flush_interval(interval);
    assert_eq!(buf.max_datagram(), limit);
    assert_eq!(buf.transport().max_datagram(), transport_max);

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
                buf.append(&text);
                let line = NewLine {
                    text: text.into_bytes(),
                    source: Source::Append,
                };
                model.settle(&buf, before, Some(line), Expect::Line);
            }
            Op::Record {
                kind,
                meter,
                number,
            } => {
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
                let ttl = NonZeroU32::new(u32::from(meter) * 7);
                let passes = match kind.filter() {
                    spectator_core::Filter::None => true,
                    spectator_core::Filter::Positive => match value {
                        Value::Int(v) => v > 0,
                        Value::UInt(v) => v > 0,
                        Value::Float(v) => v > 0.0,
                        _ => true,
                    },
                    spectator_core::Filter::NonNegative => match value {
                        Value::Int(v) => v >= 0,
                        Value::Float(v) => v >= 0.0,
                        _ => true,
                    },
                };
                let measurement =
                    Measurement::filtered(kind, id.spectatord_id(), value).map(|m| m.with_ttl(ttl));
                assert_eq!(measurement.is_some(), passes);
                let line = measurement.map(|m| {
                    let mut text: heapless::String<1024> = heapless::String::new();
                    m.write_to(&mut text).unwrap();
                    assert_eq!(text.len(), m.line_len());
                    buf.record(&m);
                    NewLine {
                        text: text.as_bytes().to_vec(),
                        source: Source::Record,
                    }
                });
                model.settle(&buf, before, line, Expect::Line);
            }
            Op::Flush => {
                let result = flush_result(buf.flush());
                model.settle(&buf, before, None, Expect::Flush(result));
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
                let result = flush_result(buf.poll(model.now));
                let expect = if due {
                    Expect::Flush(result)
                } else {
                    assert_eq!(result, Ok(()));
                    Expect::Nothing
                };
                model.settle(&buf, before, None, expect);
            }
            Op::Block(blocked) => {
                buf.transport_mut().block(blocked);
                model.blocked = blocked;
                model.settle(&buf, before, None, Expect::Nothing);
            }
            Op::FailNext(count, no_route) => {
                let count = u32::from(count % 4);
                let kind = if no_route {
                    ErrorKind::NoRoute
                } else {
                    ErrorKind::Other
                };
                buf.transport_mut().fail_next(count, kind);
                model.fail_budget = count;
                model.settle(&buf, before, None, Expect::Nothing);
            }
        }
    }

    let got: Vec<Vec<u8>> = buf.transport().lines().map(<[u8]>::to_vec).collect();
    assert_eq!(
        got, model.sent,
        "the transport's lines differ from the model's"
    );
    assert_eq!(buf.stats().datagrams_sent, buf.transport().len() as u64);

    // Unblocked and without failures, a final flush empties the buffer (if the transport has room).
    buf.transport_mut().block(false);
    buf.transport_mut().fail_next(0, ErrorKind::Other);
    model.blocked = false;
    model.fail_budget = 0;
    let before = *buf.stats();
    let result = flush_result(buf.flush());
    assert_ne!(result, Err(FlushErr::WouldBlock));
    model.settle(&buf, before, None, Expect::Flush(result));
    assert_eq!(buf.pending_lines(), 0);
    let got: Vec<Vec<u8>> = buf.transport().lines().map(<[u8]>::to_vec).collect();
    assert_eq!(got, model.sent);
}
