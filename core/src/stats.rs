//! [`Stats`]: what a [`LineBuffer`](crate::LineBuffer) delivered and what it dropped, and why.

/// Why lines were dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dropped {
    /// Longer than a datagram can be: over the transport's maximum datagram, or, for lines
    /// formatted in place, over the buffer's capacity.
    pub too_long: u64,
    /// Preformatted lines that were empty or contained `\n`.
    pub invalid: u64,
    /// The transport said `WouldBlock` while a full buffer had to be sent.
    pub backpressure: u64,
    /// Lost in a datagram the transport failed to send.
    pub send_failed: u64,
}

impl Dropped {
    /// All dropped lines.
    pub fn total(&self) -> u64 {
        self.too_long + self.invalid + self.backpressure + self.send_failed
    }
}

/// What an output delivered and dropped: kept in one place per output (a
/// [`LineBuffer`](crate::LineBuffer) for buffered output).
///
/// ```
/// let stats = spectator_core::Stats::default();
/// assert_eq!(stats.lines_sent + stats.dropped.total(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Lines in datagrams the transport accepted.
    pub lines_sent: u64,
    /// Bytes of datagrams the transport accepted.
    pub bytes_sent: u64,
    /// Datagrams the transport accepted.
    pub datagrams_sent: u64,
    /// Sends that failed with an error (not counting `WouldBlock`).
    pub send_errors: u64,
    /// Lines dropped, by reason.
    pub dropped: Dropped,
    /// Updates folded into aggregated lines (spectator-std with aggregation on): with
    /// `aggregated_lines`, what aggregation saved.
    pub aggregated_updates: u64,
    /// Lines written by aggregation reports (one per updated meter per interval).
    pub aggregated_lines: u64,
}

impl Stats {
    /// All counters at zero (`const`, for `static` buffers).
    pub const fn new() -> Self {
        Self {
            lines_sent: 0,
            bytes_sent: 0,
            datagrams_sent: 0,
            send_errors: 0,
            dropped: Dropped {
                too_long: 0,
                invalid: 0,
                backpressure: 0,
                send_failed: 0,
            },
            aggregated_updates: 0,
            aggregated_lines: 0,
        }
    }

    /// Moves a datagram of `lines` lines and `bytes` bytes that was counted as sent to the
    /// `backpressure` drops: for a sender that accepted it into a bounded queue and had to
    /// drop it later (spectator-std's backlog when spectatord stops reading).
    ///
    /// ```
    /// let mut s = spectator_core::Stats { lines_sent: 5, bytes_sent: 40, datagrams_sent: 2, ..Default::default() };
    /// s.unsent(3, 25);
    /// assert_eq!((s.lines_sent, s.bytes_sent, s.datagrams_sent, s.dropped.backpressure), (2, 15, 1, 3));
    /// ```
    pub fn unsent(&mut self, lines: u64, bytes: u64) {
        self.lines_sent = self.lines_sent.saturating_sub(lines);
        self.bytes_sent = self.bytes_sent.saturating_sub(bytes);
        self.datagrams_sent = self.datagrams_sent.saturating_sub(1);
        self.dropped.backpressure += lines;
    }
}
