//! [`Buffered`]: the buffered datagram output. The core [`LineBuffer`] and a [`SocketSender`]
//! side by side under one spin lock (the shared buffer, which assembles every datagram and
//! keeps the output's one [`Stats`]), and per-thread [`Lanes`] in front of it for the lines of
//! order-free kinds.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

use spectator_core::{LineBuffer, Sink, Stats, Value};
use spin::mutex::SpinMutex;

use super::lanes::{LaneBuffer, Lanes};
use super::socket::{DatagramSocket, SocketSender};
use super::spin_lock;
use super::CLOSE_DRAIN;
use crate::config::UDP_MAX_PAYLOAD;

/// The shared buffer: the core's datagram assembler and the socket it sends through.
type Batcher = (LineBuffer<UDP_MAX_PAYLOAD>, SocketSender);

/// The buffered output of a UDP or Unix datagram location.
pub(crate) struct Buffered {
    shared: SpinMutex<Batcher>,
    lanes: Lanes,
}

impl Buffered {
    /// Joins lines into datagrams of up to `buffer_size` bytes, sent through `socket` (whose
    /// datagrams carry at most `max_datagram`), with a backlog of `backlog_size` bytes.
    pub(crate) fn new(
        socket: DatagramSocket,
        buffer_size: usize,
        max_datagram: usize,
        backlog_size: usize,
    ) -> Self {
        let buffer = LineBuffer::new().with_max_datagram(buffer_size);
        let sender = SocketSender::new(socket, max_datagram, backlog_size);
        Self {
            shared: SpinMutex::new((buffer, sender)),
            lanes: Lanes::new(),
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
        let mut guard = spin_lock::lock(&self.shared);
        let (buffer, socket) = &mut *guard;
        if socket.has_backlog() {
            socket.settle(buffer.stats_mut());
        }
        f(&mut buffer.via(&mut *socket));
        if socket.has_backlog() {
            socket.settle(buffer.stats_mut());
        }
    }

    /// Sends every lane's lines and the shared buffer's now.
    pub(crate) fn flush(&self) {
        self.lanes.drain(|lane| self.hand_over(lane));
        self.with_shared(|sender| {
            let _ = sender.flush();
        });
    }

    /// The last flush, then up to [`CLOSE_DRAIN`] for a full socket to take the backlog before
    /// what is left is dropped (and counted).
    pub(crate) fn close(&self) {
        self.flush();
        let deadline = Instant::now() + CLOSE_DRAIN;
        loop {
            // The lock is not held while sleeping.
            let mut guard = spin_lock::lock(&self.shared);
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
        *spin_lock::lock(&self.shared).0.stats()
    }
}
