//! Shared helpers for the conformance tests: a spy [`Sink`] that renders lines, and the location
//! of the spectator-py oracle. (spectator-std's own tests, with their socket helpers, are in
//! `std-adapter/tests/`.)

use std::path::PathBuf;

use spectator_core::{Sink, Value};

/// A spy sink that renders every line it receives (a meter's prefix and the value) into a
/// `String`.
#[derive(Debug, Default)]
pub struct Lines(pub Vec<String>);

impl Sink for Lines {
    fn record(&mut self, prefix: &str, value: &Value<'_>) {
        let mut line: heapless::String<16384> = heapless::String::new();
        line.push_str(prefix).expect("test lines fit 16 KiB");
        value.write_to(&mut line).expect("test lines fit 16 KiB");
        self.0.push(line.as_str().to_owned());
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python interpreter that has spectator-py 1.2.1: `SPECTATOR_PYTHON`, else the
/// workspace's `.venv` made by `scripts/setup.sh`.
pub fn oracle_python() -> PathBuf {
    std::env::var_os("SPECTATOR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

/// The workspace README's Rust examples (core and std), compiled and run as doctests. Not
/// published: each published crate tests its own README (`core/README.md`,
/// `std-adapter/README.md`, `cli/README.md`) from its own files.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct WorkspaceReadmeDoctests;
