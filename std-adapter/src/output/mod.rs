//! Outputs: what a registry does with each line, per location (spec §6–7).
//!
//! | location | output |
//! |---|---|
//! | `none` | discarded (logged at trace) |
//! | `memory` | a [`MemoryWriter`] |
//! | `stdout`, `stderr`, `file://` | line + `\n` into a buffered stream, flushed by the timer and on close |
//! | `udp`, `unix` | one datagram per line, lock-free; or, with a buffer, the core [`LineBuffer`] behind a spin lock ([`BufferLock`]) |

mod memory;
mod socket;
mod stream;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use memory::MemoryWriter;
use socket::{log_send_error, nb_result, DatagramSocket, SocketTransport};
use spectator_core::{LineBuffer, Measurement, Stats};
use spin::mutex::{SpinMutex, SpinMutexGuard};
use stream::Stream;

use crate::config::{Config, UDP_MAX_PAYLOAD};
use crate::error::ConfigError;
use crate::location::Location;
use crate::meter_id::Rendered;

/// How long `close()` waits, at most, for a full socket to take the backlog.
pub(crate) const CLOSE_DRAIN: Duration = Duration::from_millis(100);

/// Lines up to this size are formatted on the stack; longer ones (rare) on the heap.
const STACK_LINE: usize = 1024;

type Buffer = LineBuffer<SocketTransport, UDP_MAX_PAYLOAD>;

pub(crate) enum Output {
    None,
    Memory(MemoryWriter),
    Stream(Mutex<Stream>),
    Datagram {
        socket: Arc<DatagramSocket>,
        max_datagram: usize,
    },
    Buffered(Box<BufferLock>),
}

/// Counters of the lock-free paths; the line buffer keeps its own.
#[derive(Debug, Default)]
pub(crate) struct AtomicStats {
    lines: AtomicU64,
    bytes: AtomicU64,
    datagrams: AtomicU64,
    send_errors: AtomicU64,
    too_long: AtomicU64,
    backpressure: AtomicU64,
    send_failed: AtomicU64,
}

impl AtomicStats {
    fn sent(&self, bytes: usize, datagram: bool) {
        self.lines.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes as u64, Relaxed);
        if datagram {
            self.datagrams.fetch_add(1, Relaxed);
        }
    }

    fn failed(&self) {
        self.send_errors.fetch_add(1, Relaxed);
        self.send_failed.fetch_add(1, Relaxed);
    }

    fn snapshot(&self) -> Stats {
        let mut s = Stats {
            lines_sent: self.lines.load(Relaxed),
            bytes_sent: self.bytes.load(Relaxed),
            datagrams_sent: self.datagrams.load(Relaxed),
            send_errors: self.send_errors.load(Relaxed),
            ..Stats::default()
        };
        s.dropped.too_long = self.too_long.load(Relaxed);
        s.dropped.backpressure = self.backpressure.load(Relaxed);
        s.dropped.send_failed = self.send_failed.load(Relaxed);
        s
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The line buffer's lock: a spin lock whose holder only ever copies one line into the buffer
/// or sends datagrams (never waits for anything else), so it is held for tens of nanoseconds,
/// or for a send call when a datagram is full.
///
/// Taking it free costs one compare-and-swap and releasing it a plain store, where a
/// [`Mutex`] also swaps atomically to release (it must learn whether a thread sleeps on it):
/// with a line copied in well under 10 ns, that second atomic was a third of an update's
/// user time. A thread that finds it held waits in [`lock_buffer_contended`].
type BufferLock = SpinMutex<Buffer>;

/// Takes the line buffer's lock (see [`BufferLock`]).
#[inline]
fn lock_buffer(buffer: &BufferLock) -> SpinMutexGuard<'_, Buffer> {
    match buffer.try_lock() {
        Some(guard) => guard,
        None => lock_buffer_contended(buffer),
    }
}

/// Waits for the line buffer's lock: spins [`SPINS`] times (the holder is copying a line),
/// then yields the time slice [`YIELDS`] times (the holder is in a send call, or preempted),
/// then sleeps [`NAP`] between tries, so a holder of lower priority, or on this core, always
/// gets to run and release it, and a long wait burns no CPU.
#[cold]
fn lock_buffer_contended(buffer: &BufferLock) -> SpinMutexGuard<'_, Buffer> {
    let mut waits = 0u32;
    loop {
        while buffer.is_locked() {
            if waits < SPINS {
                std::hint::spin_loop();
            } else if waits < SPINS + YIELDS {
                std::thread::yield_now();
            } else {
                std::thread::sleep(NAP);
            }
            waits = waits.saturating_add(1);
        }
        if let Some(guard) = buffer.try_lock() {
            return guard;
        }
    }
}

/// Busy-wait rounds before [`lock_buffer_contended`] yields.
const SPINS: u32 = 100;
/// Yields before [`lock_buffer_contended`] sleeps.
const YIELDS: u32 = 20;
/// The sleep between tries of a long wait for the line buffer.
const NAP: Duration = Duration::from_micros(50);

impl Output {
    pub(crate) fn open(config: &Config) -> Result<Self, ConfigError> {
        let location = config.location();
        let open_err = |e: std::io::Error| ConfigError::Open(location.to_string(), Arc::new(e));
        let socket = match location {
            Location::None => return Ok(Output::None),
            Location::Memory => return Ok(Output::Memory(MemoryWriter::new())),
            Location::Stdout => return Ok(Output::Stream(Mutex::new(Stream::stdout()))),
            Location::Stderr => return Ok(Output::Stream(Mutex::new(Stream::stderr()))),
            Location::File(path) => {
                return Ok(Output::Stream(Mutex::new(
                    Stream::file(path).map_err(open_err)?,
                )))
            }
            Location::Udp(addr) => DatagramSocket::udp(*addr).map_err(open_err)?,
            Location::Unix(path) => DatagramSocket::unix(path.clone()).map_err(open_err)?,
        };
        let socket = Arc::new(socket);
        let max_datagram = config.max_datagram();
        if config.buffer_size() == 0 {
            return Ok(Output::Datagram {
                socket,
                max_datagram,
            });
        }
        let transport = SocketTransport::new(socket, max_datagram, config.backlog_size());
        let buffer = Buffer::new(transport).with_max_datagram(config.buffer_size());
        Ok(Output::Buffered(Box::new(BufferLock::new(buffer))))
    }

    /// Whether the background flusher has anything to do for this output.
    pub(crate) fn needs_flusher(&self) -> bool {
        matches!(self, Output::Stream(_) | Output::Buffered(_))
    }

    /// Writes one measurement. Never blocks on the network, never panics.
    #[inline]
    pub(crate) fn write(&self, m: &Measurement<'_>, stats: &AtomicStats, closed: &AtomicBool) {
        match self {
            Output::Buffered(buffer) => {
                let mut buffer = lock_buffer(buffer);
                // Checked again under the lock: a write racing with `close()` either lands
                // before the final flush or is discarded, never left behind unsent.
                if !closed.load(Relaxed) {
                    buffer.record(m);
                }
            }
            Output::Datagram {
                socket,
                max_datagram,
            } => {
                with_line(m, |line| send_line(socket, *max_datagram, line, stats));
            }
            Output::None => {
                if log::log_enabled!(target: "spectator::writer", log::Level::Trace) {
                    with_line(
                        m,
                        |line| log::trace!(target: "spectator::writer", "write line={}", text(line)),
                    );
                }
            }
            Output::Memory(writer) => with_line(m, |line| {
                log::trace!(target: "spectator::writer", "write line={}", text(line));
                writer.push(text(line).to_owned());
            }),
            Output::Stream(stream) => with_line(m, |line| {
                log::trace!(target: "spectator::writer", "write line={}", text(line));
                match lock(stream).write_line(line) {
                    Ok(()) => stats.sent(line.len() + 1, false),
                    Err(e) => {
                        stats.failed();
                        log::error!(target: "spectator::writer", "failed to write line={}: {e}", text(line));
                    }
                }
            }),
        }
    }

    /// [`write`](Self::write) for a meter whose line up to the value, `symbol[,ttl]:id:`, is
    /// `prefix` (rendered once from `m`'s kind, TTL and id when the meter was created): the
    /// buffered output copies `prefix` and formats only `m.value`; the others format `m`.
    #[inline]
    pub(crate) fn write_prefixed(
        &self,
        prefix: &str,
        m: &Measurement<'_>,
        stats: &AtomicStats,
        closed: &AtomicBool,
    ) {
        match self {
            Output::Buffered(buffer) => {
                let mut buffer = lock_buffer(buffer);
                // As in `write`: checked again under the lock, for `close()`.
                if !closed.load(Relaxed) {
                    buffer.record_prefixed(prefix, &m.value);
                }
            }
            _ => self.write(m, stats, closed),
        }
    }

    /// Sends buffered lines and flushes streams now.
    pub(crate) fn flush(&self) {
        match self {
            Output::Buffered(buffer) => {
                let mut buffer = lock_buffer(buffer);
                let _ = buffer.flush();
                buffer.transport_mut().drain_backlog();
            }
            Output::Stream(stream) => {
                if let Err(e) = lock(stream).flush() {
                    log::error!(target: "spectator::writer", "failed to flush: {e}");
                }
            }
            Output::None | Output::Memory(_) | Output::Datagram { .. } => {}
        }
    }

    /// The last flush: sends buffered lines, then gives a full socket up to [`CLOSE_DRAIN`] to
    /// take the backlog before dropping (and counting) what is left.
    pub(crate) fn close(&self) {
        self.flush();
        let Output::Buffered(buffer) = self else {
            return;
        };
        let deadline = Instant::now() + CLOSE_DRAIN;
        loop {
            // The lock is not held while sleeping.
            let mut buffer = lock_buffer(buffer);
            if buffer.transport_mut().drain_backlog() {
                return;
            }
            if Instant::now() >= deadline {
                let backlog = &mut buffer.transport_mut().backlog;
                log::warn!(target: "spectator::writer", "socket still full at close: dropped {} lines", backlog.waiting().0);
                backlog.abandon();
                return;
            }
            drop(buffer);
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub(crate) fn memory_writer(&self) -> Option<&MemoryWriter> {
        match self {
            Output::Memory(w) => Some(w),
            _ => None,
        }
    }

    pub(crate) fn stats(&self, atomic: &AtomicStats) -> Stats {
        let mut s = atomic.snapshot();
        if let Output::Buffered(buffer) = self {
            let buffer = lock_buffer(buffer);
            let b = *buffer.stats();
            // The buffer counts what it handed over; what waits in the backlog or was dropped
            // from it has not reached the socket.
            let backlog = &buffer.transport().backlog;
            let (waiting, lost) = (backlog.waiting(), backlog.lost);
            s.lines_sent += b.lines_sent - waiting.0 - lost.0;
            s.bytes_sent += b.bytes_sent - waiting.1 - lost.1;
            s.datagrams_sent += b.datagrams_sent - waiting.2 - lost.2;
            s.dropped.backpressure += lost.0;
            s.send_errors += b.send_errors;
            s.dropped.too_long += b.dropped.too_long;
            s.dropped.invalid += b.dropped.invalid;
            s.dropped.backpressure += b.dropped.backpressure;
            s.dropped.send_failed += b.dropped.send_failed;
        }
        s
    }
}

fn text(line: &[u8]) -> &str {
    std::str::from_utf8(line).unwrap_or_default()
}

/// Formats `m` on the stack (heap only for lines over 1 KiB) and hands the bytes to `f`.
#[inline]
fn with_line(m: &Measurement<'_>, f: impl FnOnce(&[u8])) {
    let mut stack: heapless::Vec<u8, STACK_LINE> = heapless::Vec::new();
    if m.write_to(&mut stack).is_ok() {
        return f(&stack);
    }
    let mut heap = Rendered(String::with_capacity(m.line_len()));
    let _ = m.write_to(&mut heap);
    f(heap.0.as_bytes());
}

#[inline]
fn send_line(socket: &DatagramSocket, max_datagram: usize, line: &[u8], stats: &AtomicStats) {
    if line.len() > max_datagram {
        stats.too_long.fetch_add(1, Relaxed);
        log::warn!(target: "spectator::writer", "dropped a line of {} bytes, over the {max_datagram}-byte datagram limit", line.len());
        return;
    }
    log::trace!(target: "spectator::writer", "write line={}", text(line));
    match nb_result(socket.send(line)) {
        Ok(()) => stats.sent(line.len(), true),
        Err(nb::Error::WouldBlock) => {
            stats.backpressure.fetch_add(1, Relaxed);
            log::debug!(target: "spectator::writer", "socket full, dropped line={}", text(line));
        }
        Err(nb::Error::Other(e)) => {
            stats.failed();
            log_send_error(&e.0, format_args!("line={}", text(line)));
        }
    }
}
