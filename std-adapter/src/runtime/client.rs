//! [`ClientMeters`]: the client's own delivery, from [`Registry::stats`], so a dashboard shows
//! when metrics are lost.

use spectator_core::Stats;

use crate::binding::MonotonicCounterUint;
use crate::registry::Registry;

/// `spectator.client.lines` (`id=sent`) and `spectator.client.dropped` (`reason=` each drop
/// reason), `U`: cumulative counts.
#[derive(Debug, Clone)]
pub(crate) struct ClientMeters {
    sent: MonotonicCounterUint,
    too_long: MonotonicCounterUint,
    invalid: MonotonicCounterUint,
    backpressure: MonotonicCounterUint,
    send_failed: MonotonicCounterUint,
}

impl ClientMeters {
    pub(crate) fn new(registry: &Registry) -> Self {
        let dropped = |reason| {
            registry.monotonic_counter_uint("spectator.client.dropped", &[("reason", reason)])
        };
        Self {
            sent: registry.monotonic_counter_uint("spectator.client.lines", &[("id", "sent")]),
            too_long: dropped("too_long"),
            invalid: dropped("invalid"),
            backpressure: dropped("backpressure"),
            send_failed: dropped("send_failed"),
        }
    }

    pub(crate) fn record(&self, s: &Stats) {
        self.sent.set(s.lines_sent);
        self.too_long.set(s.dropped.too_long);
        self.invalid.set(s.dropped.invalid);
        self.backpressure.set(s.dropped.backpressure);
        self.send_failed.set(s.dropped.send_failed);
    }
}
