//! Outputs: what a registry does with each line, per location (spec §6–7).
//!
//! | location | output |
//! |---|---|
//! | `none` | discarded (logged at trace) |
//! | `memory` | a [`MemoryWriter`] |
//! | `stdout`, `stderr`, `file://` | line + `\n` into a buffered stream, flushed by the timer and on close |
//! | `udp`, `unix` | one datagram per line, lock-free; or, with a buffer, [`Buffered`]: the core `LineBuffer` and a `SocketSender` behind a spin lock, with per-thread lanes for order-free lines |
//!
//! Each output has one path for a line (`prefix` + value, from a meter's binding) and keeps one
//! [`Stats`].

mod buffered;
mod lanes;
mod memory;
mod socket;
mod spin_lock;
mod stream;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use buffered::Buffered;
pub use memory::MemoryWriter;
use socket::{log_send_error, nb_result, DatagramSocket};
use spectator_core::{Stats, Value};
use stream::Stream;

use crate::config::Config;
use crate::error::ConfigError;
use crate::location::Location;
use crate::meter_id::Rendered;

/// How long `close()` waits, at most, for a full socket to take the backlog.
pub(crate) const CLOSE_DRAIN: Duration = Duration::from_millis(100);

/// Lines up to this size are formatted on the stack; longer ones (rare) on the heap.
const STACK_LINE: usize = 1024;

/// One path per output; each keeps its own [`Stats`] (the line buffer's, or lock-free atomics).
pub(crate) enum Output {
    None,
    Memory(MemoryWriter),
    Stream {
        stream: Mutex<Stream>,
        stats: AtomicStats,
    },
    Datagram {
        socket: DatagramSocket,
        max_datagram: usize,
        stats: AtomicStats,
    },
    Buffered(Box<Buffered>),
}

/// The [`Stats`] of an unbuffered output, as lock-free counters.
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

impl Output {
    pub(crate) fn open(config: &Config) -> Result<Self, ConfigError> {
        let location = config.location();
        let open_err =
            |e: std::io::Error| ConfigError::Open(location.to_string(), std::sync::Arc::new(e));
        let stream = |stream| Output::Stream {
            stream: Mutex::new(stream),
            stats: AtomicStats::default(),
        };
        let socket = match location {
            Location::None => return Ok(Output::None),
            Location::Memory => return Ok(Output::Memory(MemoryWriter::new())),
            Location::Stdout => return Ok(stream(Stream::stdout())),
            Location::Stderr => return Ok(stream(Stream::stderr())),
            Location::File(path) => return Ok(stream(Stream::file(path).map_err(open_err)?)),
            Location::Udp(addr) => DatagramSocket::udp(*addr).map_err(open_err)?,
            Location::Unix(path) => DatagramSocket::unix(path.clone()).map_err(open_err)?,
        };
        let max_datagram = config.max_datagram();
        if config.buffer_size() == 0 {
            return Ok(Output::Datagram {
                socket,
                max_datagram,
                stats: AtomicStats::default(),
            });
        }
        Ok(Output::Buffered(Box::new(Buffered::new(
            socket,
            config.buffer_size(),
            max_datagram,
            config.backlog_size(),
            config.thread_buffers(),
        ))))
    }

    /// Whether the background flusher has anything to do for this output.
    pub(crate) fn needs_flusher(&self) -> bool {
        matches!(self, Output::Stream { .. } | Output::Buffered(_))
    }

    /// Writes the line `prefix` + `value` (a meter's rendered prefix and an update's value),
    /// unless `closed`. `order_free`: the line's kind may be reordered between threads
    /// ([`MeterKind::is_order_free`](spectator_core::MeterKind::is_order_free)), so the
    /// buffered output may keep it in the thread's lane. Never blocks on the network, never
    /// panics.
    #[inline]
    pub(crate) fn record(
        &self,
        prefix: &str,
        value: &Value<'_>,
        closed: &AtomicBool,
        order_free: bool,
    ) {
        if closed.load(Relaxed) {
            return;
        }
        match self {
            Output::Buffered(buffered) => buffered.record(prefix, value, closed, order_free),
            _ => self.record_unbuffered(prefix, value),
        }
    }

    /// [`record`](Self::record) for every output but the buffered one: a line formatted on
    /// the stack and written at once (a send, a stream write, a memory line). Not inlined, so
    /// that its 1 KiB stack line stays out of the buffered path's frame.
    #[inline(never)]
    fn record_unbuffered(&self, prefix: &str, value: &Value<'_>) {
        match self {
            Output::Buffered(_) => {}
            Output::Datagram {
                socket,
                max_datagram,
                stats,
            } => with_line(prefix, value, |line| {
                send_line(socket, *max_datagram, line, stats)
            }),
            Output::None => {
                if log::log_enabled!(target: "spectator::writer", log::Level::Trace) {
                    with_line(
                        prefix,
                        value,
                        |line| log::trace!(target: "spectator::writer", "write line={}", text(line)),
                    );
                }
            }
            Output::Memory(writer) => with_line(prefix, value, |line| {
                log::trace!(target: "spectator::writer", "write line={}", text(line));
                writer.push(text(line).to_owned());
            }),
            Output::Stream { stream, stats } => with_line(prefix, value, |line| {
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

    /// Sends buffered lines and flushes streams now.
    pub(crate) fn flush(&self) {
        match self {
            Output::Buffered(buffered) => buffered.flush(),
            Output::Stream { stream, .. } => {
                if let Err(e) = lock(stream).flush() {
                    log::error!(target: "spectator::writer", "failed to flush: {e}");
                }
            }
            Output::None | Output::Memory(_) | Output::Datagram { .. } => {}
        }
    }

    /// The last flush: sends buffered lines; a buffered output then gives a full socket up to
    /// [`CLOSE_DRAIN`] to take the backlog before dropping (and counting) what is left.
    pub(crate) fn close(&self) {
        match self {
            Output::Buffered(buffered) => buffered.close(),
            _ => self.flush(),
        }
    }

    pub(crate) fn memory_writer(&self) -> Option<&MemoryWriter> {
        match self {
            Output::Memory(w) => Some(w),
            _ => None,
        }
    }

    /// The output's one [`Stats`]: the line buffer's, or the atomics' snapshot.
    pub(crate) fn stats(&self) -> Stats {
        match self {
            Output::Buffered(buffered) => buffered.stats(),
            Output::Datagram { stats, .. } | Output::Stream { stats, .. } => stats.snapshot(),
            Output::None | Output::Memory(_) => Stats::default(),
        }
    }
}

fn text(line: &[u8]) -> &str {
    std::str::from_utf8(line).unwrap_or_default()
}

/// Formats the line `prefix` + `value` on the stack (heap only for lines over 1 KiB) and hands
/// the bytes to `f`.
#[inline]
fn with_line(prefix: &str, value: &Value<'_>, f: impl FnOnce(&[u8])) {
    let mut stack: heapless::Vec<u8, STACK_LINE> = heapless::Vec::new();
    if stack.extend_from_slice(prefix.as_bytes()).is_ok() && value.write_to(&mut stack).is_ok() {
        return f(&stack);
    }
    let mut heap = Rendered(String::with_capacity(prefix.len() + value.rendered_len()));
    heap.0.push_str(prefix);
    let _ = value.write_to(&mut heap);
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
