//! Helpers shared by spectator-std's integration tests: a self-removing [`TempDir`], listeners
//! (UDP and Unix datagram) and ways to receive from them, and a [`Reader`] thread that drains a
//! Unix socket as spectatord would.

// Each test binary uses some of these.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No environment at all: the process's own `SPECTATOR_OUTPUT_LOCATION` or `NETFLIX_*`
/// variables must not leak into a test (`ConfigBuilder::env(NO_ENV)`).
pub const NO_ENV: [(&str, &str); 0] = [];

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

/// A UDP listener on `127.0.0.1`, with a 100 ms read timeout, and its `udp://` location.
pub fn udp_listener() -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP listener");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    let location = format!("udp://{}", socket.local_addr().expect("listener address"));
    (socket, location)
}

/// A Unix datagram listener bound at `path`, with a 100 ms read timeout.
pub fn unix_listener(path: &Path) -> UnixDatagram {
    let socket = UnixDatagram::bind(path).expect("bind a Unix datagram listener");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    socket
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

/// The lines in `datagrams` (joined by `\n`).
pub fn line_count(datagrams: &[Vec<u8>]) -> u64 {
    let newlines = datagrams.iter().flatten().filter(|b| **b == b'\n').count();
    (datagrams.len() + newlines) as u64
}

/// A thread reading a Unix datagram socket as spectatord would, as fast as it can: it keeps
/// every datagram and counts their lines, until [`finish`](Self::finish) (or 60 s).
pub struct Reader {
    datagrams: Arc<Mutex<Vec<Vec<u8>>>>,
    lines: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// Reads `socket`, which must have a read timeout (the reader checks for `finish` when
    /// it times out).
    pub fn start(socket: UnixDatagram) -> Self {
        let datagrams = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (datagrams, lines, stop) = (
                Arc::clone(&datagrams),
                Arc::clone(&lines),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    match socket.recv(&mut buf) {
                        Ok(n) => {
                            let datagram = buf[..n].to_vec();
                            let count = line_count(std::slice::from_ref(&datagram));
                            datagrams.lock().unwrap().push(datagram);
                            lines.fetch_add(count, Ordering::SeqCst);
                        }
                        // Idle: done once told to finish.
                        Err(_) if stop.load(Ordering::SeqCst) => return,
                        Err(_) => {}
                    }
                    if Instant::now() > deadline {
                        return;
                    }
                }
            })
        };
        Self {
            datagrams,
            lines,
            stop,
            thread: Some(thread),
        }
    }

    /// Lines received so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::SeqCst)
    }

    /// A copy of the datagrams received so far, as text.
    pub fn texts(&self) -> Vec<String> {
        let datagrams = self.datagrams.lock().unwrap();
        datagrams
            .iter()
            .map(|d| String::from_utf8(d.clone()).expect("UTF-8 datagram"))
            .collect()
    }

    /// Stops the reader once it is idle (nothing received for a read timeout) and returns
    /// every datagram received.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("reader thread");
        }
        std::mem::take(&mut *self.datagrams.lock().unwrap())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
