//! `RuntimeMetrics`: every id once with a plausible value, the client's drop counters against a
//! stalled Unix receiver, the tokio runtime's metrics, and a background collection that leaves
//! no thread behind. (Descriptors opened by this test: `runtime_metrics_fds.rs`, alone in its
//! binary.)

#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use spectator_core::parse::spectatord;
use spectator_std::{Config, Registry, RuntimeMetrics};

fn memory_registry() -> Registry {
    Registry::new(
        Config::builder()
            .location("memory")
            .without_env()
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// One collection into a fresh memory registry: each line's id (`symbol:name,tags`) and value,
/// every line checked against spectatord's parser, no id twice.
#[cfg(feature = "tokio")]
fn collect(metrics: impl FnOnce(&Registry) -> RuntimeMetrics) -> BTreeMap<String, f64> {
    let registry = memory_registry();
    metrics(&registry).collect();
    parse(&registry.memory_writer().unwrap().lines())
}

fn parse<S: AsRef<str>>(lines: &[S]) -> BTreeMap<String, f64> {
    let mut ids = BTreeMap::new();
    for line in lines {
        let line = line.as_ref();
        let accepted = spectatord::parse_line(line.as_bytes())
            .unwrap_or_else(|e| panic!("spectatord rejects {line:?}: {e}"));
        assert!(
            accepted.warning.is_none(),
            "{line:?}: {:?}",
            accepted.warning
        );
        let (id, value) = line.rsplit_once(':').unwrap();
        let value: f64 = value.parse().unwrap();
        assert!(value.is_finite() && value >= 0.0, "{line}");
        assert!(ids.insert(id.to_owned(), value).is_none(), "{id} twice");
    }
    ids
}

/// Every id of a collection on Linux, in the order sent.
#[cfg(target_os = "linux")]
const LINUX_IDS: [&str; 19] = [
    "g:rust.fd,id=allocated",
    "g:rust.fd,id=max",
    "C:rust.resource.time,mode=user",
    "C:rust.resource.time,mode=system",
    "g:rust.resource.maxResidentSetSize",
    "g:rust.memory.residentSetSize",
    "U:rust.resource.pageFaults,io.required=false",
    "U:rust.resource.pageFaults,io.required=true",
    "U:rust.resource.blockOperations,id=input",
    "U:rust.resource.blockOperations,id=output",
    "U:rust.resource.contextSwitches,id=voluntary",
    "U:rust.resource.contextSwitches,id=involuntary",
    "g:rust.threads",
    "g:rust.cpu.count",
    "U:spectator.client.lines,id=sent",
    "U:spectator.client.dropped,reason=too_long",
    "U:spectator.client.dropped,reason=invalid",
    "U:spectator.client.dropped,reason=backpressure",
    "U:spectator.client.dropped,reason=send_failed",
];

#[cfg(target_os = "linux")]
#[test]
fn collect_sends_every_id_once_with_a_plausible_value() {
    let registry = memory_registry();
    RuntimeMetrics::new(&registry).collect();
    let lines = registry.memory_writer().unwrap().lines();
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit_once(':').unwrap().0)
        .collect();
    assert_eq!(ids, LINUX_IDS, "{lines:#?}");
    let v = parse(&lines);

    let (fds, max) = (v["g:rust.fd,id=allocated"], v["g:rust.fd,id=max"]);
    assert!(fds >= 3.0 && fds < max, "{fds} descriptors, limit {max}");
    assert!(v["g:rust.resource.maxResidentSetSize"] >= 4096.0);
    assert!(v["g:rust.memory.residentSetSize"] >= 4096.0);
    assert!(v["g:rust.threads"] >= 1.0);
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert_eq!(v["g:rust.cpu.count"], cpus as f64);
    for (id, value) in &v {
        if id.starts_with("U:") {
            assert_eq!(value.fract(), 0.0, "{id} is a count");
        }
    }
    // A memory registry sends and drops nothing.
    for id in &LINUX_IDS[14..] {
        assert_eq!(v[*id], 0.0, "{id}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn cumulative_counts_never_decrease_between_collections() {
    let registry = memory_registry();
    let metrics = RuntimeMetrics::new(&registry);
    let writer = registry.memory_writer().unwrap();
    metrics.collect();
    let first = parse(&writer.lines());
    // Some work in between: user time, page faults.
    let mut sum = 0u64;
    for i in 0..2_000_000u64 {
        sum = sum.wrapping_add(i * i);
    }
    std::hint::black_box(sum);
    writer.clear();
    metrics.collect();
    let second = parse(&writer.lines());
    for id in LINUX_IDS.iter().filter(|id| !id.starts_with("g:")) {
        assert!(
            second[*id] >= first[*id],
            "{id}: {} then {}",
            first[*id],
            second[*id]
        );
    }
    assert!(second["C:rust.resource.time,mode=user"] > 0.0);
}

#[test]
fn ids_get_the_common_tags() {
    let registry = Registry::new(
        Config::builder()
            .location("memory")
            .extra_common_tag("nf.app", "www")
            .without_env()
            .build()
            .unwrap(),
    )
    .unwrap();
    RuntimeMetrics::new(&registry).collect();
    let lines = registry.memory_writer().unwrap().lines();
    assert!(lines.contains(&"U:spectator.client.lines,id=sent,nf.app=www:0".to_owned()));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("g:rust.cpu.count,nf.app=www:")));
    assert!(lines.iter().all(|l| l.contains("nf.app=www")), "{lines:#?}");
}

/// A directory of its own under the system's temporary directory, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("spectator-runtime-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every line waiting in `receiver`'s queue (non-blocking).
fn drain(receiver: &UnixDatagram) -> Vec<String> {
    let mut lines = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        match receiver.recv(&mut buf) {
            Ok(n) => {
                let text = std::str::from_utf8(&buf[..n]).unwrap();
                lines.extend(text.split('\n').map(str::to_owned));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return lines,
            Err(e) => panic!("recv: {e}"),
        }
    }
}

/// The client's lines of a collection, by id.
fn client_counts(lines: &[String]) -> BTreeMap<String, f64> {
    let client: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("U:spectator.client."))
        .collect();
    parse(&client)
}

/// A buffered Unix output with no backlog, so a receiver that does not read makes it drop at
/// once; no background flush, so nothing changes the stats between the test's steps.
fn unix_registry(path: &Path) -> Registry {
    Registry::new(
        Config::builder()
            .location(&format!("unix://{}", path.display()))
            .without_env()
            .buffer_size(4096)
            .backlog_size(0)
            .flush_interval(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn client_drop_counters_move_when_a_stalled_receiver_forces_drops() {
    let dir = TempDir::new("stalled");
    let path = dir.0.join("spectatord.unix");
    let receiver = UnixDatagram::bind(&path).unwrap();
    receiver.set_nonblocking(true).unwrap();
    let registry = unix_registry(&path);
    let metrics = RuntimeMetrics::new(&registry);

    // Before: nothing sent, nothing dropped.
    metrics.collect();
    registry.flush();
    let before = client_counts(&drain(&receiver));
    assert_eq!(
        before["U:spectator.client.dropped,reason=backpressure"],
        0.0
    );
    assert_eq!(before["U:spectator.client.lines,id=sent"], 0.0);

    // The receiver stops reading: its queue fills up, and the next datagrams are dropped
    // (bounded: a few thousand lines fill any kernel's queue).
    let counter = registry.counter("stalled.requests", &[]);
    for _ in 0..1_000_000 {
        counter.increment();
        if registry.stats().dropped.backpressure > 0 {
            break;
        }
    }
    let stats = registry.stats();
    assert!(stats.dropped.backpressure > 0, "no drops: {stats:?}");

    // The receiver reads again: the next collection reports the drops, exactly as counted.
    drain(&receiver);
    metrics.collect();
    registry.flush();
    let after = client_counts(&drain(&receiver));
    let expected = [
        ("lines,id=sent", stats.lines_sent),
        ("dropped,reason=too_long", stats.dropped.too_long),
        ("dropped,reason=invalid", stats.dropped.invalid),
        ("dropped,reason=backpressure", stats.dropped.backpressure),
        ("dropped,reason=send_failed", stats.dropped.send_failed),
    ];
    for (id, value) in expected {
        assert_eq!(
            after[&format!("U:spectator.client.{id}")],
            value as f64,
            "{id}"
        );
    }
    assert!(after["U:spectator.client.lines,id=sent"] > before["U:spectator.client.lines,id=sent"]);
}

/// The tests that start background collections take turns, so each counts only its own thread.
static THREADS: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    THREADS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Threads of this process named `spectator-rt` (the background collection's).
#[cfg(target_os = "linux")]
fn runtime_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "spectator-rt")
        .count()
}

/// Waits (at most 10 s) until `done`: a thread that has been joined, or told to stop, may
/// still be listed under /proc for a moment.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not after 10 s");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn start_collects_at_once_and_stop_leaves_no_thread_behind() {
    let _turn = one_at_a_time();
    eventually("no collection thread before", || runtime_threads() == 0);
    let registry = memory_registry();
    let handle = RuntimeMetrics::new(&registry).start(RuntimeMetrics::DEFAULT_PERIOD);
    // The first collection is done when start returns, and the thread is running.
    let first = parse(&registry.memory_writer().unwrap().lines());
    assert!(first.contains_key("g:rust.threads"));
    assert!(handle.is_running());
    // (The thread names itself once it runs.)
    eventually("the thread named", || runtime_threads() == 1);
    handle.stop();
    eventually("the thread gone after stop()", || runtime_threads() == 0);
    // Dropping a handle stops it too.
    drop(RuntimeMetrics::new(&registry).start(Duration::from_secs(3600)));
    eventually("the thread gone after drop", || runtime_threads() == 0);
}

#[test]
fn the_thread_ends_when_the_registry_is_closed() {
    let _turn = one_at_a_time();
    let registry = memory_registry();
    let handle = RuntimeMetrics::new(&registry).start(Duration::from_secs(3600));
    assert!(handle.is_running());
    registry.close();
    eventually("the thread ended after close()", || !handle.is_running());
}

#[test]
fn the_thread_does_not_keep_the_registry_alive() {
    let _turn = one_at_a_time();
    let registry = memory_registry();
    let handle = RuntimeMetrics::new(&registry).start(Duration::from_secs(3600));
    assert!(handle.is_running());
    // The last reference to the registry (the RuntimeMetrics above was a temporary): dropping
    // it closes the registry, which the thread sees.
    drop(registry);
    eventually("the thread ended after the registry was dropped", || {
        !handle.is_running()
    });
}

#[test]
fn stopping_one_collection_does_not_make_another_collect_early() {
    let _turn = one_at_a_time();
    let registry = memory_registry();
    let writer = registry.memory_writer().unwrap();
    let first = RuntimeMetrics::new(&registry).start(Duration::from_secs(3600));
    let second = RuntimeMetrics::new(&registry).start(Duration::from_secs(3600));
    let one_collection = writer.lines().len() / 2;
    // Stopping the first wakes every thread waiting on the registry's signal; the second goes
    // back to sleep, its next collection an hour away. Once it is stopped (joined), exactly the
    // two collections done by `start` were sent.
    first.stop();
    second.stop();
    assert_eq!(writer.lines().len(), 2 * one_collection);
}

#[cfg(target_os = "linux")]
#[test]
fn a_detached_collection_ends_with_its_registry() {
    let _turn = one_at_a_time();
    let registry = memory_registry();
    RuntimeMetrics::new(&registry)
        .start(Duration::from_secs(3600))
        .detach();
    eventually("the thread named", || runtime_threads() == 1);
    drop(registry);
    eventually("no thread left", || runtime_threads() == 0);
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_metrics_of_a_runtime_with_two_workers() {
    let v = collect(|r| RuntimeMetrics::new(r).with_tokio(tokio::runtime::Handle::current()));
    assert_eq!(v["g:rust.tokio.workers"], 2.0);
    // The test's body runs in `block_on`, not as a task: the counts are plausible, not known.
    assert!(v.contains_key("g:rust.tokio.aliveTasks"), "{v:?}");
    assert!(v.contains_key("g:rust.tokio.globalQueueDepth"), "{v:?}");
    #[cfg(target_os = "linux")]
    assert_eq!(v.len(), LINUX_IDS.len() + 3);
}

/// Tasks spawned on a current-thread runtime that never runs them: alive, and waiting in the
/// shared queue, exactly.
#[cfg(feature = "tokio")]
#[test]
fn tokio_tasks_alive_and_queued() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..3).map(|_| runtime.spawn(async {})).collect();
    let v = collect(|r| RuntimeMetrics::new(r).with_tokio(runtime.handle().clone()));
    assert_eq!(v["g:rust.tokio.workers"], 1.0);
    assert_eq!(v["g:rust.tokio.aliveTasks"], 3.0);
    assert_eq!(v["g:rust.tokio.globalQueueDepth"], 3.0);
    drop(tasks);
}
