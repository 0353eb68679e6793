//! [`AsyncTransport`]: datagrams sent by `async` code.
//!
//! # The pattern
//!
//! Meters write into a [`Sink`](crate::Sink) synchronously: recording never awaits. An async
//! task records into a [`LineBuffer`](crate::LineBuffer) used alone (it holds lines), and
//! sends with [`flush_async`](crate::LineBuffer::flush_async): before a batch of updates
//! when the pending datagram has little [`room`](crate::LineBuffer::room) left (flush on
//! size), and when [`due`](crate::LineBuffer::due) (flush on time).
//!
//! ```
//! use spectator_core::meters::{Counter, Gauge};
//! use spectator_core::transport::AsyncTransport;
//! use spectator_core::{static_meter, LineBuffer, StaticPrefix};
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
//! }
//!
//! const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots");
//! const TEMP: Gauge<StaticPrefix> = static_meter!(Gauge, "temp", "zone" => "a");
//!
//! let mut udp = Spy(heapless::Vec::new());
//! let mut buffer: LineBuffer<32> = LineBuffer::new(); // 1472 on Ethernet
//! block_on(async {
//!     BOOTS.increment(&mut buffer); // synchronous, as everywhere
//!     TEMP.set(&mut buffer, 21.5);
//!     assert_eq!(buffer.pending(), b"c:boots:1\ng:temp,zone=a:21.5");
//!     // Flush on size: the next batch may not fit, so the pending datagram goes first.
//!     if buffer.room() < 16 {
//!         buffer.flush_async(&mut udp).await.unwrap();
//!     }
//!     BOOTS.increment_by(&mut buffer, 2);
//!     buffer.flush_async(&mut udp).await.unwrap(); // e.g. when `buffer.due(now)`
//! });
//! assert_eq!(udp.0, ["c:boots:1\ng:temp,zone=a:21.5", "c:boots:2"]);
//! assert_eq!(buffer.stats().lines_sent, 3);
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
//! ```
//!
//! Between flushes the buffer holds at most one datagram: a line that does not fit the pending
//! one is dropped as `backpressure` (see [`Stats`](crate::Stats)). To share one buffer between
//! tasks, put it in an async mutex (e.g. `embassy_sync::mutex::Mutex`).

use super::TransportError;

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

#[cfg(test)]
mod tests {
    use core::future::Future;
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};

    use super::*;
    use crate::transport::{ErrorKind, MemoryError, MemoryTransport, Transport};
    use crate::{LineBuffer, Sink, Value};

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

    fn record(b: &mut LineBuffer<64>, prefix: &str) {
        b.record(prefix, &Value::Int(1));
    }

    #[test]
    fn a_buffer_holds_lines_until_an_async_flush() {
        let mut udp = Async::new(16);
        let mut b: LineBuffer<64> = LineBuffer::new().with_max_datagram(16);
        record(&mut b, "c:a:");
        record(&mut b, "c:bb:"); // 12 bytes
        record(&mut b, "c:cc:"); // does not fit: dropped, nothing can be sent now
        assert_eq!(b.stats().dropped.backpressure, 1);
        block_on(b.flush_async(&mut udp)).unwrap();
        block_on(b.flush_async(&mut udp)).unwrap(); // nothing pending: nothing sent
        assert_eq!(udp.sent(), [&b"c:a:1\nc:bb:1"[..]]);
        let s = b.stats();
        assert_eq!((s.lines_sent, s.datagrams_sent, s.bytes_sent), (2, 1, 12));
        assert!(b.pending().is_empty());
    }

    #[test]
    fn async_send_errors_lose_the_lines_and_are_counted() {
        let mut udp = Async::new(64);
        let mut b: LineBuffer<64> = LineBuffer::new();
        record(&mut b, "c:a:");
        record(&mut b, "c:b:");
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
        let mut b: LineBuffer<64> = LineBuffer::new();
        record(&mut b, "c:a:");
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
    fn due_schedules_async_flushes() {
        use core::time::Duration;
        let mut b: LineBuffer<64> = LineBuffer::new().with_flush_interval(Duration::from_secs(1));
        assert!(!b.due(Duration::from_millis(100))); // schedules
        assert!(!b.due(Duration::from_millis(1099)));
        assert!(b.due(Duration::from_millis(1100)));
        assert!(!b.due(Duration::from_millis(1101)));
    }
}
