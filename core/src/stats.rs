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

/// Counters kept by a [`LineBuffer`](crate::LineBuffer).
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
}
