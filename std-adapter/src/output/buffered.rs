//! [`Buffered`]: the buffered datagram output. The core [`LineBuffer`] and a [`SocketSender`]
//! side by side under one spin lock (the shared buffer, which assembles every datagram and
//! keeps the output's one [`Stats`]), and per-thread [`Lanes`] in front of it for the lines of
//! order-free kinds, from the start or once threads contend ([`ThreadBuffers`]).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::time::Instant;

use spectator_core::{LineBuffer, Sink, Stats, Value};
use spin::mutex::{SpinMutex, SpinMutexGuard};

use super::lanes::{LaneBuffer, Lanes};
use super::socket::{DatagramSocket, SocketSender};
use super::spin_lock;
use super::CLOSE_DRAIN;
use crate::config::{ThreadBuffers, UDP_MAX_PAYLOAD};

/// With [`ThreadBuffers::Auto`], lanes start after this many waits for the shared buffer
/// outside flushes.
const WAITS_BEFORE_LANES: u32 = 64;

/// The shared buffer: the core's datagram assembler and the socket it sends through.
type Batcher = (LineBuffer<UDP_MAX_PAYLOAD>, SocketSender);

/// The buffered output of a UDP or Unix datagram location.
pub(crate) struct Buffered {
    shared: SpinMutex<Batcher>,
    lanes: Lanes,
    /// Whether order-free lines go to lanes now.
    laning: AtomicBool,
    /// [`ThreadBuffers::Auto`]: `laning` turns on after [`WAITS_BEFORE_LANES`] `waits`.
    adaptive: bool,
    waits: AtomicU32,
    /// A flush holds the shared buffer: a writer waiting for it then is not contention
    /// between writers.
    flushing: AtomicBool,
}

impl Buffered {
    /// Joins lines into datagrams of up to `buffer_size` bytes, sent through `socket` (whose
    /// datagrams carry at most `max_datagram`), with a backlog of `backlog_size` bytes, and
    /// lanes `when` said.
    pub(crate) fn new(
        socket: DatagramSocket,
        buffer_size: usize,
        max_datagram: usize,
        backlog_size: usize,
        when: ThreadBuffers,
    ) -> Self {
        let buffer = LineBuffer::new().with_max_datagram(buffer_size);
        let sender = SocketSender::new(socket, max_datagram, backlog_size);
        Self {
            shared: SpinMutex::new((buffer, sender)),
            lanes: Lanes::new(),
            laning: AtomicBool::new(when == ThreadBuffers::Always),
            adaptive: when == ThreadBuffers::Auto,
            waits: AtomicU32::new(0),
            flushing: AtomicBool::new(false),
        }
    }

    /// Writes the line `prefix` + `value`: into this thread's lane when `order_free` (and the
    /// lane takes it), else into the shared buffer; discarded once `closed`.
    #[inline]
    pub(crate) fn record(
        &self,
        prefix: &str,
        value: &Value<'_>,
        closed: &AtomicBool,
        order_free: bool,
    ) {
        if order_free
            && self.laning.load(Relaxed)
            && self
                .lanes
                .record(prefix, value, closed, |lane| self.hand_over(lane))
        {
            return;
        }
        self.with_shared(|sender| {
            // Checked again under the lock: a write racing with `close()` either lands before
            // the final flush or is discarded, never left behind unsent.
            if !closed.load(Relaxed) {
                Sink::record(sender, prefix, value);
            }
        });
    }

    /// Moves a lane's lines into the shared buffer.
    fn hand_over(&self, lane: &mut LaneBuffer) {
        if !lane.pending().is_empty() {
            self.with_shared(|sender| sender.append_buffer(lane));
        }
    }

    /// Runs `f` with the shared buffer lent the socket, under the lock, settling the socket's
    /// backlog into the stats before and after.
    #[inline]
    fn with_shared(
        &self,
        f: impl FnOnce(&mut spectator_core::Sender<'_, UDP_MAX_PAYLOAD, &mut SocketSender>),
    ) {
        let mut guard = self.lock_shared();
        let (buffer, socket) = &mut *guard;
        if socket.has_backlog() {
            socket.settle(buffer.stats_mut());
        }
        f(&mut buffer.via(&mut *socket));
        if socket.has_backlog() {
            socket.settle(buffer.stats_mut());
        }
    }

    /// Takes the shared buffer; a wait for it outside a flush counts towards lanes
    /// ([`ThreadBuffers::Auto`]).
    #[inline]
    fn lock_shared(&self) -> SpinMutexGuard<'_, Batcher> {
        if let Some(guard) = self.shared.try_lock() {
            return guard;
        }
        if self.adaptive && !self.flushing.load(Relaxed) {
            self.waited();
        }
        spin_lock::lock(&self.shared)
    }

    #[cold]
    fn waited(&self) {
        if self.waits.fetch_add(1, Relaxed) + 1 >= WAITS_BEFORE_LANES
            && !self.laning.swap(true, Relaxed)
        {
            log::debug!(target: "spectator::writer", "threads contend for the line buffer: per-thread lanes from now on");
        }
    }

    /// Whether order-free lines go to lanes now.
    #[cfg(test)]
    pub(crate) fn laning(&self) -> bool {
        self.laning.load(Relaxed)
    }

    /// Sends every lane's lines and the shared buffer's now.
    pub(crate) fn flush(&self) {
        self.flushing.store(true, Relaxed);
        self.lanes.drain(|lane| self.hand_over(lane));
        self.with_shared(|sender| {
            let _ = sender.flush();
        });
        self.flushing.store(false, Relaxed);
    }

    /// The last flush, then up to [`CLOSE_DRAIN`] for a full socket to take the backlog before
    /// what is left is dropped (and counted).
    pub(crate) fn close(&self) {
        self.flush();
        let deadline = Instant::now() + CLOSE_DRAIN;
        loop {
            // The lock is not held while sleeping.
            let mut guard = self.lock_shared();
            let (buffer, socket) = &mut *guard;
            if socket.settle(buffer.stats_mut()) {
                return;
            }
            if Instant::now() >= deadline {
                let lines = socket.abandon(buffer.stats_mut());
                log::warn!(target: "spectator::writer", "socket still full at close: dropped {lines} lines");
                return;
            }
            drop(guard);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// The shared buffer's stats: every line handed to it (lines still in lanes are not yet).
    pub(crate) fn stats(&self) -> Stats {
        *self.lock_shared().0.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::Duration;

    fn buffered(when: ThreadBuffers) -> (Buffered, std::net::UdpSocket) {
        let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let socket = DatagramSocket::udp(listener.local_addr().unwrap()).unwrap();
        (Buffered::new(socket, 1024, 1024, 0, when), listener)
    }

    /// Holds the shared buffer until another thread writing a line waits for it (or, during a
    /// flush, would have), `times` times.
    fn make_wait(b: &Buffered, times: u32, during_flush: bool) {
        let open = AtomicBool::new(false);
        for _ in 0..times {
            let before = b.waits.load(SeqCst);
            let guard = b.shared.lock();
            b.flushing.store(during_flush, SeqCst);
            std::thread::scope(|s| {
                s.spawn(|| b.record("c:x:", &Value::Int(1), &open, true));
                // The writer finds the lock held (and counts it, unless flushing).
                let deadline = Instant::now() + Duration::from_secs(5);
                let counted = b.adaptive && !during_flush;
                while counted && b.waits.load(SeqCst) == before && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                if !counted {
                    std::thread::sleep(Duration::from_millis(1));
                }
                drop(guard);
            });
            b.flushing.store(false, SeqCst);
        }
    }

    #[test]
    fn auto_turns_lanes_on_after_writers_wait_for_each_other() {
        let (b, _listener) = buffered(ThreadBuffers::Auto);
        assert!(!b.laning());
        make_wait(&b, 10, true);
        assert_eq!(b.waits.load(SeqCst), 0, "waits during a flush do not count");
        make_wait(&b, WAITS_BEFORE_LANES - 1, false);
        assert!(!b.laning());
        make_wait(&b, 1, false);
        assert!(b.laning());
        assert!(buffered(ThreadBuffers::Always).0.laning());
        let (never, _l) = buffered(ThreadBuffers::Never);
        make_wait(&never, 3, false);
        assert!(!never.laning());
    }
}
