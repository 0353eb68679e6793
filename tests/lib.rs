//! Shared helpers for the conformance tests: a spy [`Sink`] that renders lines, the
//! location of the spectator-py oracle, and for the spectator-std socket tests a self-removing
//! [`TempDir`] and datagram receive helpers.

use std::path::PathBuf;

use spectator_core::{Measurement, Sink};

/// A spy sink that renders every measurement it receives into a `String`.
#[derive(Debug, Default)]
pub struct Lines(pub Vec<String>);

impl Sink for Lines {
    fn record(&mut self, m: &Measurement<'_>) {
        let mut line: heapless::String<16384> = heapless::String::new();
        m.write_to(&mut line).expect("test lines fit 16 KiB");
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

// ---------------------------------------------------------------------------------------------
// Helpers for the spectator-std socket tests (`tests/std_*.rs`).

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fresh directory under [`std::env::temp_dir`], removed with its contents when dropped.
/// Names are short so that Unix socket paths inside stay under the 108-byte limit.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `TMP/spx-<tag>-<pid>-<n>-<nanos>`.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("spx-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).expect("create a fresh temp dir");
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Receives datagrams from `recv` (a socket's `recv` with a read timeout set) until `count`
/// have arrived or `deadline` passes; a timeout just ends the wait early. Each datagram is
/// received whole into a 65536-byte buffer.
pub fn recv_datagrams(
    mut recv: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    count: usize,
    deadline: Duration,
) -> Vec<String> {
    let end = Instant::now() + deadline;
    let mut buf = vec![0u8; 65536];
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < end {
        match recv(&mut buf) {
            Ok(n) => out.push(String::from_utf8(buf[..n].to_vec()).expect("UTF-8 datagram")),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("recv failed: {e}"),
        }
    }
    out
}

/// Every datagram already queued on `socket`, without waiting (the socket is put back in
/// blocking mode afterwards, its read timeout unchanged).
pub fn drain_unix(socket: &UnixDatagram) -> Vec<String> {
    socket.set_nonblocking(true).expect("nonblocking");
    let mut buf = vec![0u8; 65536];
    let mut out = Vec::new();
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => out.push(String::from_utf8(buf[..n].to_vec()).expect("UTF-8 datagram")),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("recv failed: {e}"),
        }
    }
    socket.set_nonblocking(false).expect("blocking");
    out
}

/// A Unix datagram listener bound at `path`, with a read timeout.
pub fn unix_listener(path: &Path) -> UnixDatagram {
    let socket = UnixDatagram::bind(path).expect("bind a Unix datagram listener");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    socket
}

/// The workspace README's Rust examples (core and std), compiled and run as doctests. Not
/// published: each published crate tests its own README (`core/README.md`,
/// `std-adapter/README.md`, `cli/README.md`) from its own files.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct WorkspaceReadmeDoctests;
