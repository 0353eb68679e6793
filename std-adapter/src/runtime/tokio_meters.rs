//! [`TokioMeters`]: a tokio runtime's stable metrics (feature `tokio`).

use tokio::runtime::Handle;

use crate::binding::Gauge;
use crate::registry::Registry;

/// `rust.tokio.workers`, `rust.tokio.aliveTasks` and `rust.tokio.globalQueueDepth` gauges of
/// the runtime behind `handle`.
#[derive(Debug, Clone)]
pub(crate) struct TokioMeters {
    handle: Handle,
    workers: Gauge,
    alive_tasks: Gauge,
    global_queue_depth: Gauge,
}

impl TokioMeters {
    pub(crate) fn new(registry: &Registry, handle: Handle) -> Self {
        Self {
            handle,
            workers: registry.gauge("rust.tokio.workers", &[]),
            alive_tasks: registry.gauge("rust.tokio.aliveTasks", &[]),
            global_queue_depth: registry.gauge("rust.tokio.globalQueueDepth", &[]),
        }
    }

    /// The runtime behind the meters, for the background collection.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    pub(crate) fn record(&self) {
        let m = self.handle.metrics();
        self.workers.set(m.num_workers());
        self.alive_tasks.set(m.num_alive_tasks());
        self.global_queue_depth.set(m.global_queue_depth());
    }
}
