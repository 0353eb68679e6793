//! The global registry, for code that cannot pass a [`Registry`] around.

use std::sync::OnceLock;

use crate::config::Config;
use crate::registry::Registry;

static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// The process-wide registry, built on first use from the defaults and the environment
/// (`SPECTATOR_OUTPUT_LOCATION`, `NETFLIX_*` tags). If that configuration is invalid, the error
/// is logged and the registry discards every line: unlike spectator-py, a bad environment
/// never stops the program.
///
/// A static is never dropped: call [`Registry::flush`] (or `close`) before exiting when the
/// environment enables a buffer or file output.
///
/// ```
/// spectator_std::global().counter("app.starts", &[]).increment();
/// ```
pub fn global() -> &'static Registry {
    GLOBAL.get_or_init(|| {
        Registry::from_env().unwrap_or_else(|e| {
            log::error!(target: "spectator::registry", "GlobalRegistry: {e}; discarding all lines");
            let none = Config::builder().location("none").without_env().build();
            Registry::new(none.expect("the none location is valid")).expect("the none output opens")
        })
    })
}
