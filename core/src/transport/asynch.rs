//! [`AsyncTransport`]: datagrams sent by `async` code, and [`Deferred`], the placeholder that
//! lets a [`LineBuffer`](crate::LineBuffer) hold lines for an async task to flush.
//!
//! # The pattern
//!
//! Meters write into a [`Sink`](crate::Sink) synchronously: recording never awaits. An async
//! board therefore builds its buffer over [`Deferred`], a [`Transport`] that always answers
//! `WouldBlock`, so the buffer keeps each finished datagram instead of sending it. The task
//! that owns the network sends it with [`LineBuffer::flush_async`](crate::LineBuffer::flush_async),
//! and [`LineBuffer::record_async`](crate::LineBuffer::record_async) flushes on size the way
//! the synchronous [`record`](crate::LineBuffer::record) does.
//!
//! ```
//! use spectator_core::meters::{Counter, Gauge};
//! use spectator_core::transport::{AsyncTransport, Deferred};
//! use spectator_core::{LineBuffer, MeterId};
//!
//! /// Collects datagrams; stands in for an embassy-net or embedded-nal-async socket.
//! struct Spy(heapless::Vec<heapless::String<64>, 8>);
//! impl AsyncTransport for Spy {
//!     type Error = core::convert::Infallible;
//!     async fn send(&mut self, datagram: &[u8]) -> Result<(), Self::Error> {
//!         let text = core::str::from_utf8(datagram).unwrap();
//!         self.0.push(heapless::String::try_from(text).unwrap()).unwrap();
//!         Ok(())
//!     }
//!     fn max_datagram(&self) -> usize {
//!         32
//!     }
//! }
//!
//! let mut udp = Spy(heapless::Vec::new());
//! // The buffer's limit comes from the async transport: 32 bytes here, 1472 on Ethernet.
//! let mut sink: LineBuffer<Deferred, 1472> = LineBuffer::new(Deferred::for_transport(&udp));
//! let boots = Counter::new(MeterId::<32>::new("boots", &[])?);
//! let temp = Gauge::new(MeterId::<32>::new("temp", &[("zone", "a")])?);
//!
//! block_on(async {
//!     boots.increment(&mut sink); // synchronous, as everywhere
//!     temp.set(&mut sink, 21.5);
//!     assert_eq!(sink.pending(), b"c:boots:1\ng:temp,zone=a:21.5");
//!     // Flush on size: this line does not fit the 32-byte datagram, so the buffered
//!     // one is sent first.
//!     if let Some(m) = boots.measure(2.into()) {
//!         sink.record_async(&m, &mut udp).await.unwrap();
//!     }
//!     sink.flush_async(&mut udp).await.unwrap(); // e.g. every few seconds
//! });
//! assert_eq!(udp.0, ["c:boots:1\ng:temp,zone=a:21.5", "c:boots:2"]);
//! assert_eq!(sink.stats().lines_sent, 3);
//!
//! /// Any executor will do; this one polls until ready (the futures above never wait).
//! fn block_on<F: core::future::Future>(f: F) -> F::Output {
//!     let mut f = core::pin::pin!(f);
//!     let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
//!     loop {
//!         if let core::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
//!             return out;
//!         }
//!     }
//! }
//! # Ok::<(), spectator_core::IdError>(())
//! ```
//!
//! Between flushes the buffer holds at most one datagram: a line recorded synchronously that
//! does not fit the pending one is dropped as `backpressure` (see [`Stats`](crate::Stats)).
//! Record in batches that fit a datagram and flush after each, or use
//! [`record_async`](crate::LineBuffer::record_async). To share one buffer between tasks, put
//! it in an async mutex (e.g. `embassy_sync::mutex::Mutex`).

use core::convert::Infallible;

use super::{Transport, TransportError};

/// Sends datagrams asynchronously: each call carries complete lines joined by `\n`.
///
/// The future completes when the datagram was handed to the network (queued in a socket
/// buffer, for instance); waiting for buffer space is the implementation's job, so there is no
/// `WouldBlock`. An error means the datagram is lost.
///
/// Futures of this trait are not required to be `Send`, like those of `embedded-io-async`:
/// embedded executors run tasks on one core. Implemented in this crate for an embassy-net UDP
/// socket (feature `embassy-net`) and for `&mut T`.
#[allow(async_fn_in_trait)]
pub trait AsyncTransport {
    /// The transport's error.
    type Error: TransportError;

    /// Sends one datagram.
    async fn send(&mut self, datagram: &[u8]) -> Result<(), Self::Error>;

    /// The largest datagram this transport can carry, in bytes (e.g. 1472 for UDP over an
    /// Ethernet MTU with IPv4). Unbounded by default.
    fn max_datagram(&self) -> usize {
        usize::MAX
    }
}

impl<T: AsyncTransport + ?Sized> AsyncTransport for &mut T {
    type Error = T::Error;

    #[inline]
    async fn send(&mut self, datagram: &[u8]) -> Result<(), Self::Error> {
        (**self).send(datagram).await
    }

    fn max_datagram(&self) -> usize {
        (**self).max_datagram()
    }
}

/// A [`Transport`] that never sends: every `send` returns `WouldBlock`, so a
/// [`LineBuffer`](crate::LineBuffer) over it keeps its datagram until an async task sends it
/// with [`flush_async`](crate::LineBuffer::flush_async). It only carries the maximum datagram
/// size, which sets the buffer's limit. See the [module documentation](self) for the pattern.
///
/// ```
/// use spectator_core::transport::{Deferred, Transport};
/// use spectator_core::LineBuffer;
/// let mut sink: LineBuffer<Deferred, 2048> = LineBuffer::new(Deferred::new(1472));
/// assert_eq!(sink.max_datagram(), 1472);
/// sink.append("c:x:1");
/// assert_eq!(sink.flush(), Err(nb::Error::WouldBlock)); // kept for flush_async
/// assert_eq!(sink.pending(), b"c:x:1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Deferred {
    max_datagram: usize,
}

impl Deferred {
    /// A placeholder whose maximum datagram is `max_datagram` bytes.
    pub const fn new(max_datagram: usize) -> Self {
        Self { max_datagram }
    }

    /// A placeholder with the maximum datagram of the transport that will do the sending.
    pub fn for_transport<A: AsyncTransport + ?Sized>(transport: &A) -> Self {
        Self::new(transport.max_datagram())
    }
}

impl Transport for Deferred {
    type Error = Infallible;

    /// Always `WouldBlock`: the datagram stays in the buffer.
    fn send(&mut self, _datagram: &[u8]) -> nb::Result<(), Infallible> {
        Err(nb::Error::WouldBlock)
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram
    }
}

#[cfg(test)]
mod tests {
    use core::future::Future;
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};

    use super::*;
    use crate::transport::{ErrorKind, MemoryError, MemoryTransport};
    use crate::{LineBuffer, Measurement, MeterKind, Value};

    /// A memory transport behind an async face; `pending` makes each send wait once.
    struct Async {
        inner: MemoryTransport<4096, 64>,
        pending: bool,
    }

    impl Async {
        fn new(max: usize) -> Self {
            Self {
                inner: MemoryTransport::new().with_max_datagram(max),
                pending: false,
            }
        }
        fn sent(&self) -> heapless::Vec<&[u8], 64> {
            self.inner.datagrams().collect()
        }
    }

    impl AsyncTransport for Async {
        type Error = MemoryError;
        async fn send(&mut self, datagram: &[u8]) -> Result<(), MemoryError> {
            let mut waited = !self.pending;
            core::future::poll_fn(|cx| {
                if waited {
                    Poll::Ready(())
                } else {
                    waited = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            nb::block!(self.inner.send(datagram))
        }
        fn max_datagram(&self) -> usize {
            self.inner.max_datagram()
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    fn counter(id: &str) -> Measurement<'_> {
        Measurement::new(MeterKind::Counter, id, Value::Int(1))
    }

    #[test]
    fn deferred_holds_lines_until_an_async_flush() {
        let mut udp = Async::new(16);
        let mut b: LineBuffer<Deferred, 64> = LineBuffer::new(Deferred::for_transport(&udp));
        assert_eq!(b.max_datagram(), 16);
        b.record(&counter("a"));
        b.record(&counter("bb")); // 12 bytes
        assert_eq!(b.flush(), Err(nb::Error::WouldBlock));
        block_on(b.flush_async(&mut udp)).unwrap();
        block_on(b.flush_async(&mut udp)).unwrap(); // nothing pending: nothing sent
        assert_eq!(udp.sent(), [&b"c:a:1\nc:bb:1"[..]]);
        let s = b.stats();
        assert_eq!((s.lines_sent, s.datagrams_sent, s.bytes_sent), (2, 1, 12));
        assert!(b.pending().is_empty());
    }

    #[test]
    fn record_async_flushes_on_size_and_sync_record_drops_on_backpressure() {
        let mut udp = Async::new(16);
        udp.pending = true;
        let mut b: LineBuffer<Deferred, 64> = LineBuffer::new(Deferred::for_transport(&udp));
        block_on(b.record_async(&counter("a"), &mut udp)).unwrap();
        block_on(b.record_async(&counter("bb"), &mut udp)).unwrap();
        assert!(udp.sent().is_empty());
        block_on(b.record_async(&counter("cc"), &mut udp)).unwrap(); // 19 > 16
        assert_eq!(udp.sent(), [&b"c:a:1\nc:bb:1"[..]]);
        assert_eq!(b.pending(), b"c:cc:1");
        b.record(&counter("dd")); // 13: fits
        b.record(&counter("ee")); // needs a send that Deferred refuses
        assert_eq!(b.stats().dropped.backpressure, 1);
        block_on(b.flush_async(&mut udp)).unwrap();
        assert_eq!(udp.sent(), [&b"c:a:1\nc:bb:1"[..], b"c:cc:1\nc:dd:1"]);
        assert_eq!(b.stats().lines_sent, 4);
    }

    #[test]
    fn an_exactly_full_datagram_waits_for_the_next_record_async() {
        let mut udp = Async::new(11);
        let mut b: LineBuffer<Deferred, 64> = LineBuffer::new(Deferred::for_transport(&udp));
        block_on(b.record_async(&counter("a"), &mut udp)).unwrap();
        block_on(b.record_async(&counter("b"), &mut udp)).unwrap(); // 11: full
        assert_eq!(b.pending(), b"c:a:1\nc:b:1");
        block_on(b.record_async(&counter("c"), &mut udp)).unwrap();
        assert_eq!(udp.sent(), [&b"c:a:1\nc:b:1"[..]]);
        assert_eq!(b.pending(), b"c:c:1");
        let long = Measurement::new(MeterKind::Counter, "too_long_for_11", Value::Int(1));
        block_on(b.record_async(&long, &mut udp)).unwrap();
        assert_eq!(b.stats().dropped.too_long, 1);
        assert_eq!(udp.sent().len(), 2); // the pending line went first
    }

    #[test]
    fn async_send_errors_lose_the_lines_and_are_counted() {
        let mut udp = Async::new(64);
        let mut b: LineBuffer<Deferred, 64> = LineBuffer::new(Deferred::for_transport(&udp));
        b.append("c:a:1");
        b.append("c:b:1");
        udp.inner.fail_next(1, ErrorKind::NoRoute);
        let e = block_on(b.flush_async(&mut udp)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NoRoute);
        let s = b.stats();
        assert_eq!(
            (s.send_errors, s.dropped.send_failed, s.lines_sent),
            (1, 2, 0)
        );
        assert!(b.pending().is_empty());
    }

    #[test]
    fn a_cancelled_flush_keeps_the_lines() {
        let mut udp = Async::new(64);
        udp.pending = true;
        let mut b: LineBuffer<Deferred, 64> = LineBuffer::new(Deferred::for_transport(&udp));
        b.append("c:a:1");
        {
            let mut flush = pin!(b.flush_async(&mut udp));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(flush.as_mut().poll(&mut cx).is_pending());
        } // dropped while waiting
        assert_eq!(b.pending(), b"c:a:1");
        block_on(b.flush_async(&mut &mut udp)).unwrap(); // through the `&mut T` impl
        assert_eq!(udp.sent(), [&b"c:a:1"[..]]);
    }

    #[test]
    fn a_real_sync_transport_can_be_flushed_asynchronously_too() {
        let mut udp = Async::new(64);
        let mut b: LineBuffer<MemoryTransport<64, 4>, 64> = LineBuffer::new(MemoryTransport::new());
        b.append("c:a:1");
        block_on(b.flush_async(&mut udp)).unwrap();
        assert!(b.transport().is_empty());
        assert_eq!(udp.sent(), [&b"c:a:1"[..]]);
    }
}
