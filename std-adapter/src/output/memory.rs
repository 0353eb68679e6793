//! [`MemoryWriter`]: keeps lines in memory, the testing aid (spectator-py's `MemoryWriter`).

use std::sync::{Arc, Mutex, MutexGuard};

/// Lines written to a `memory` registry; clones share the same lines.
///
/// ```
/// use spectator_std::{Config, Registry};
/// let registry = Registry::new(Config::builder().location("memory").without_env().build()?)?;
/// let writer = registry.memory_writer().expect("a memory registry");
/// registry.counter("server.numRequests", &[("id", "failed")]).increment();
/// assert_eq!(writer.last_line().as_deref(), Some("c:server.numRequests,id=failed:1"));
/// writer.clear();
/// assert!(writer.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryWriter {
    lines: Arc<Mutex<Vec<String>>>,
}

impl MemoryWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, line: String) {
        self.lock().push(line);
    }

    /// Every line written so far (spectator-py's `get()`).
    pub fn lines(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// The last line written.
    pub fn last_line(&self) -> Option<String> {
        self.lock().last().cloned()
    }

    /// Whether nothing was written (or everything was cleared).
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every line.
    pub fn clear(&self) {
        self.lock().clear();
    }
}
