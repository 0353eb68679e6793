//! Runs the example binaries and checks every metric line they send, on stdout and over UDP on
//! loopback, against exact expectations and against spectatord's acceptance rules. Each run is
//! bounded by a timeout; nothing leaves 127.0.0.1.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use spectator_core::parse::spectatord;

const TIMEOUT: Duration = Duration::from_secs(60);

/// What a run of a binary left behind.
struct Run {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `bin` with `args` and `SPECTATOR_OUTPUT_LOCATION=location`, without the environment
/// variables that add tags or change the listen address; kills it after [`TIMEOUT`].
fn run(bin: &str, args: &[&str], location: &str) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .env("SPECTATOR_OUTPUT_LOCATION", location)
        .env_remove("NETFLIX_CONTAINER_NAME")
        .env_remove("TITUS_CONTAINER_NAME")
        .env_remove("NETFLIX_PROCESS_NAME")
        .env_remove("LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).expect("utf-8 output");
            text
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} {args:?} did not finish within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A UDP listener on loopback that collects the lines of every datagram it receives, on a
/// thread of its own so that the socket queue is drained while the sender runs.
struct Listener {
    location: String,
    lines: mpsc::Receiver<Vec<String>>,
}

impl Listener {
    fn bind() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let location = format!("udp://{}", socket.local_addr().unwrap());
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            loop {
                match socket.recv(&mut buf) {
                    Ok(n) => {
                        let bytes = &buf[..n];
                        // spectatord splits the datagram itself: it must see the same lines.
                        let accepted = spectatord::parse_datagram(bytes)
                            .filter(|l| l.result.is_ok())
                            .count();
                        let text = std::str::from_utf8(bytes).expect("utf-8 datagram");
                        let datagram: Vec<String> = text.split('\n').map(str::to_owned).collect();
                        assert_eq!(
                            accepted,
                            datagram.len(),
                            "spectatord rejects part of {text:?}"
                        );
                        if tx.send(datagram).is_err() {
                            return;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        // Stop once the test has dropped the receiving end.
                        if tx.send(Vec::new()).is_err() {
                            return;
                        }
                    }
                    Err(e) => panic!("recv: {e}"),
                }
            }
        });
        Self { location, lines }
    }

    /// The datagrams received, after the sender has exited: waits until `expected_lines` have
    /// arrived (and a little longer, to catch any extra), or 10 s.
    fn datagrams(self, expected_lines: usize) -> Vec<Vec<String>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut datagrams: Vec<Vec<String>> = Vec::new();
        let mut extra_wait: Option<Instant> = None;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(50)) {
                Ok(datagram) if !datagram.is_empty() => datagrams.push(datagram),
                _ => {}
            }
            let count: usize = datagrams.iter().map(Vec::len).sum();
            if count >= expected_lines {
                let until = *extra_wait.get_or_insert(Instant::now() + Duration::from_millis(200));
                if Instant::now() > until {
                    break;
                }
            }
        }
        datagrams
    }
}

fn stdout_lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().collect()
}

/// Every line is one spectatord accepts without a warning.
fn assert_spectatord_accepts(lines: &[&str]) {
    for line in lines {
        match spectatord::parse_line(line.as_bytes()) {
            Ok(accepted) => assert!(
                accepted.warning.is_none(),
                "{line:?}: {:?}",
                accepted.warning
            ),
            Err(rejected) => panic!("spectatord rejects {line:?}: {rejected}"),
        }
    }
}

/// Counts equal lines.
fn counts<'a>(lines: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for line in lines {
        *counts.entry(line).or_default() += 1;
    }
    counts
}

/// The value of a `prefix<seconds>` line written by a `StopWatch`: a non-negative, finite number
/// of seconds under 10, and an exact count of nanoseconds (at most 9 decimal places, e.g.
/// `1.9646e-05`, never float noise such as `1.96459999999999e-05`).
fn seconds(line: &str, prefix: &str) -> f64 {
    let value = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
    let seconds: f64 = value
        .parse()
        .unwrap_or_else(|_| panic!("{line:?}: {value:?} is not a number"));
    assert!(
        (0.0..10.0).contains(&seconds),
        "{line:?}: implausible duration"
    );
    assert!(
        decimal_places(value) <= 9,
        "{line:?}: not an exact number of nanoseconds"
    );
    seconds
}

/// The decimal places of a number written like Python's `repr`: `0.25` has 2, `1.9646e-05` 9.
fn decimal_places(value: &str) -> i64 {
    let (mantissa, exponent) = value.split_once('e').unwrap_or((value, "0"));
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len());
    let exponent: i64 = exponent.parse().expect("an exponent");
    (fraction as i64 - exponent).max(0)
}

// ---- web-server ----------------------------------------------------------------------------

const WEB_SERVER: &str = env!("CARGO_BIN_EXE_web-server");
const LATENCY: &str = "T:server.requestLatency,nf.app=web-server-example:";
const IN_FLIGHT: &str = "g:server.requestsInFlight,nf.app=web-server-example:";

/// The runtime metrics' ids (with the example's common tag): one line each per collection.
const RUNTIME_IDS: [&str; 22] = [
    "g:rust.fd,id=allocated,nf.app=web-server-example",
    "g:rust.fd,id=max,nf.app=web-server-example",
    "C:rust.resource.time,mode=user,nf.app=web-server-example",
    "C:rust.resource.time,mode=system,nf.app=web-server-example",
    "g:rust.resource.maxResidentSetSize,nf.app=web-server-example",
    "g:rust.memory.residentSetSize,nf.app=web-server-example",
    "U:rust.resource.pageFaults,io.required=false,nf.app=web-server-example",
    "U:rust.resource.pageFaults,io.required=true,nf.app=web-server-example",
    "U:rust.resource.blockOperations,id=input,nf.app=web-server-example",
    "U:rust.resource.blockOperations,id=output,nf.app=web-server-example",
    "U:rust.resource.contextSwitches,id=voluntary,nf.app=web-server-example",
    "U:rust.resource.contextSwitches,id=involuntary,nf.app=web-server-example",
    "g:rust.threads,nf.app=web-server-example",
    "g:rust.cpu.count,nf.app=web-server-example",
    "g:rust.tokio.workers,nf.app=web-server-example",
    "g:rust.tokio.aliveTasks,nf.app=web-server-example",
    "g:rust.tokio.globalQueueDepth,nf.app=web-server-example",
    "U:spectator.client.lines,id=sent,nf.app=web-server-example",
    "U:spectator.client.dropped,nf.app=web-server-example,reason=too_long",
    "U:spectator.client.dropped,nf.app=web-server-example,reason=invalid",
    "U:spectator.client.dropped,nf.app=web-server-example,reason=backpressure",
    "U:spectator.client.dropped,nf.app=web-server-example,reason=send_failed",
];

/// Whether `line` is one of the runtime metrics'.
fn is_runtime_line(line: &str) -> bool {
    line.get(2..)
        .is_some_and(|id| id.starts_with("rust.") || id.starts_with("spectator.client."))
}

/// The runtime metrics a run sent: every id the same number of times (once per collection: at
/// start, then every 30 s), at least once, each value a non-negative number, and nothing lost.
fn check_runtime_lines(lines: &[&str]) {
    let mut by_id: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for line in lines {
        let (id, value) = line.rsplit_once(':').unwrap();
        let value: f64 = value.parse().unwrap();
        assert!(value >= 0.0, "{line}");
        by_id.entry(id).or_default().push(value);
    }
    let ids: Vec<&str> = by_id.keys().copied().collect();
    let mut expected = RUNTIME_IDS.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected, "{lines:#?}");
    let collections = by_id[RUNTIME_IDS[0]].len();
    assert!(collections >= 1);
    assert!(by_id.values().all(|v| v.len() == collections), "{lines:#?}");
    assert!(by_id["g:rust.tokio.workers,nf.app=web-server-example"][0] >= 1.0);
    assert!(by_id["g:rust.threads,nf.app=web-server-example"][0] >= 1.0);
    for (id, values) in &by_id {
        if id.starts_with("U:spectator.client.dropped") {
            assert!(values.iter().all(|&v| v == 0.0), "{id}: {values:?}");
        }
    }
}

/// The lines of `--self-test 10`: requests 0..10 are planned as good (0, 1, 2, 5, 6, 7),
/// without country (3, 8) and with an empty title (4, 9); four run at a time, so only the
/// multiset of lines is fixed, and the in-flight gauge's sequence of values. Then the runtime
/// metrics' lines ([`check_runtime_lines`]).
fn check_web_server_lines(lines: &[&str]) {
    assert_spectatord_accepts(lines);
    let (runtime, lines): (Vec<&str>, Vec<&str>) = lines.iter().partition(|l| is_runtime_line(l));
    check_runtime_lines(&runtime);
    let lines = &lines[..];
    let tagged = |country: &str, status: &str, title: &str| {
        format!(
            "c:server.requestCount,country={country},nf.app=web-server-example,status={status},title={title},version=v1:1"
        )
    };
    let size = |bytes: usize| format!("d:server.responseSize,nf.app=web-server-example:{bytes}");
    let expected: BTreeMap<String, usize> = [
        (tagged("US", "200", "Stranger_Things"), 2),
        (tagged("BR", "200", "Narcos"), 2),
        (tagged("DE", "200", "Am_lie"), 2),
        (tagged("unknown", "400", "Narcos"), 2),
        (tagged("BR", "400", "unknown"), 2),
        (size(30), 2), // "playing Stranger Things in US\n"
        (size(21), 2), // "playing Narcos in BR\n"
        (size(22), 2), // "playing Amélie in DE\n" (é is 2 bytes)
        (size(27), 2), // "missing parameter: country\n"
        (size(25), 2), // "missing parameter: title\n"
    ]
    .into_iter()
    .collect();
    let exact: BTreeMap<String, usize> = counts(
        lines
            .iter()
            .copied()
            .filter(|l| !l.starts_with(LATENCY) && !l.starts_with(IN_FLIGHT)),
    )
    .into_iter()
    .map(|(line, n)| (line.to_owned(), n))
    .collect();
    assert_eq!(exact, expected);

    let latencies: Vec<f64> = lines
        .iter()
        .filter(|l| l.starts_with("T:"))
        .map(|l| seconds(l, LATENCY))
        .collect();
    assert_eq!(latencies.len(), 10, "one latency per request: {lines:#?}");

    // The gauge is written under the same lock as the count changes, so its lines walk up and
    // down by one from 0 and end at 0, never above the client's concurrency of 4.
    let in_flight: Vec<i64> = lines
        .iter()
        .filter(|l| l.starts_with("g:"))
        .map(|l| l.strip_prefix(IN_FLIGHT).unwrap().parse().unwrap())
        .collect();
    assert_eq!(in_flight.len(), 20, "{in_flight:?}");
    let mut previous = 0;
    for &n in &in_flight {
        assert_eq!((n - previous).abs(), 1, "{in_flight:?}");
        assert!((0..=4).contains(&n), "{in_flight:?}");
        previous = n;
    }
    assert_eq!(previous, 0, "{in_flight:?}");
    assert_eq!(lines.len(), 50);
}

#[test]
fn web_server_self_test_on_stdout() {
    let run = run(WEB_SERVER, &["--self-test", "10"], "stdout");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(
        run.stderr.contains("self-test passed"),
        "stderr: {}",
        run.stderr
    );
    check_web_server_lines(&stdout_lines(&run));
}

#[test]
fn web_server_self_test_over_udp_flushes_the_buffer_at_close() {
    let listener = Listener::bind();
    let run = run(WEB_SERVER, &["--self-test", "10"], &listener.location);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stdout, "", "metrics go to UDP only");
    let datagrams = listener.datagrams(50 + RUNTIME_IDS.len());
    // 72 short lines (50 of the requests, 22 of the runtime metrics) fit one buffered
    // datagram, sent when the registry is closed.
    assert_eq!(datagrams.len(), 1, "{datagrams:#?}");
    let lines: Vec<&str> = datagrams[0].iter().map(String::as_str).collect();
    check_web_server_lines(&lines);
}

#[test]
fn web_server_rejects_bad_arguments() {
    let run = run(WEB_SERVER, &["--listen", "not-an-address"], "none");
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stderr.contains("listen address"), "{}", run.stderr);
}

// ---- web-server-metrics --------------------------------------------------------------------

const WEB_SERVER_METRICS: &str = env!("CARGO_BIN_EXE_web-server-metrics");
const APP: &str = "nf.app=web-server-metrics-example";

/// The lines of `--self-test 10` through the `metrics` facade: the same requests as
/// [`check_web_server_lines`]'s, with the counter and the in-flight gauge aggregated every
/// second. A report can fall inside the run, so a counter's id may have more than one line:
/// their sum is exact. The gauge has one line per report, each a value it had (0 to 4, the
/// client's concurrency), the last 0.
fn check_web_server_metrics_lines(lines: &[&str]) {
    assert_spectatord_accepts(lines);
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut latencies = 0;
    let mut in_flight: Vec<i64> = Vec::new();
    for line in lines {
        let (prefix, value) = line.rsplit_once(':').unwrap();
        match &prefix[..2] {
            "c:" => *sums.entry(prefix.to_owned()).or_default() += value.parse::<u64>().unwrap(),
            "d:" => {
                assert_eq!(prefix, format!("d:server.responseSize,{APP}"));
                sizes.push(value.parse().unwrap());
            }
            "T:" => {
                seconds(line, &format!("T:server.requestLatency,{APP}:"));
                latencies += 1;
            }
            "g:" => {
                assert_eq!(prefix, format!("g:server.requestsInFlight,{APP}"));
                in_flight.push(value.parse().unwrap());
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    let id = |country: &str, status: &str, title: &str| {
        format!("c:server.requestCount,country={country},{APP},status={status},title={title},version=v1")
    };
    let expected: BTreeMap<String, u64> = [
        (id("US", "200", "Stranger_Things"), 2),
        (id("BR", "200", "Narcos"), 2),
        (id("DE", "200", "Am_lie"), 2),
        (id("unknown", "400", "Narcos"), 2),
        (id("BR", "400", "unknown"), 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(sums, expected);
    sizes.sort();
    assert_eq!(sizes, [21, 21, 22, 22, 25, 25, 27, 27, 30, 30]);
    assert_eq!(latencies, 10, "one latency per request: {lines:#?}");
    assert!(!in_flight.is_empty());
    assert!(
        in_flight.iter().all(|n| (0..=4).contains(n)),
        "{in_flight:?}"
    );
    assert_eq!(in_flight.last(), Some(&0), "{in_flight:?}");
}

#[test]
fn web_server_metrics_self_test_on_stdout() {
    let run = run(WEB_SERVER_METRICS, &["--self-test", "10"], "stdout");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stderr.contains("self-test passed"), "{}", run.stderr);
    assert!(
        run.stderr.contains("meters: 8, created: 8"),
        "{}",
        run.stderr
    );
    check_web_server_metrics_lines(&stdout_lines(&run));
}

#[test]
fn web_server_metrics_self_test_over_udp() {
    let listener = Listener::bind();
    let run = run(
        WEB_SERVER_METRICS,
        &["--self-test", "10"],
        &listener.location,
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stdout, "", "metrics go to UDP only");
    // 10 latencies, 10 sizes, 5 counters and a gauge at least.
    let datagrams = listener.datagrams(26);
    let lines: Vec<&str> = datagrams.iter().flatten().map(String::as_str).collect();
    check_web_server_metrics_lines(&lines);
}

#[test]
fn web_server_metrics_rejects_a_bad_location() {
    let run = run(WEB_SERVER_METRICS, &["--self-test", "1"], "udp://127.0.0.1");
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stderr.contains("port"), "{}", run.stderr);
}

// ---- batch-job -----------------------------------------------------------------------------

const BATCH_JOB: &str = env!("CARGO_BIN_EXE_batch-job");
const ITEM_LATENCY: &str = "t:batch.itemLatency,nf.app=batch-job-example:";

/// The exact lines of a batch job of `items` items, with `None` where a timer line goes.
fn expected_batch_lines(items: usize, succeeded: bool) -> Vec<Option<String>> {
    let mut lines = Vec::new();
    for id in 0..items {
        let result = if id % 7 == 3 { "failure" } else { "success" };
        let bytes = 8 * (1 + (id * 7) % 16);
        lines.push(Some(format!(
            "g,120:batch.itemsPending,nf.app=batch-job-example:{}",
            items - id
        )));
        lines.push(Some(format!(
            "d:batch.itemSize,nf.app=batch-job-example:{bytes}"
        )));
        lines.push(None);
        lines.push(Some(format!(
            "c:batch.items,nf.app=batch-job-example,result={result}:1"
        )));
    }
    lines.push(Some(
        "g,120:batch.itemsPending,nf.app=batch-job-example:0".to_owned(),
    ));
    if succeeded {
        lines.push(Some(
            "A:batch.lastSuccess,nf.app=batch-job-example:0".to_owned(),
        ));
    }
    lines
}

/// The batch job is single-threaded: its lines come in a fixed order.
fn check_batch_lines(lines: &[&str], items: usize, succeeded: bool) {
    assert_spectatord_accepts(lines);
    let expected = expected_batch_lines(items, succeeded);
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (i, (line, expected)) in lines.iter().zip(&expected).enumerate() {
        match expected {
            Some(exact) => assert_eq!(line, exact, "line {i}"),
            None => {
                seconds(line, ITEM_LATENCY);
            }
        }
    }
}

#[test]
fn batch_job_on_stdout() {
    let run = run(BATCH_JOB, &[], "stdout");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(
        run.stderr.contains("20 items, 3 failed, job succeeded"),
        "{}",
        run.stderr
    );
    check_batch_lines(&stdout_lines(&run), 20, true);
    // Spot-check the start, as the doc comment shows it.
    assert_eq!(
        stdout_lines(&run)[..2],
        [
            "g,120:batch.itemsPending,nf.app=batch-job-example:20",
            "d:batch.itemSize,nf.app=batch-job-example:8"
        ]
    );
}

/// The job exits right after its last meter update, without sleeping or flushing: the one
/// buffered datagram arrives only because dropping the registry flushes it.
#[test]
fn batch_job_over_udp_loses_nothing_at_exit() {
    let listener = Listener::bind();
    let run = run(BATCH_JOB, &[], &listener.location);
    assert!(run.status.success(), "{}", run.stderr);
    let datagrams = listener.datagrams(82);
    assert_eq!(datagrams.len(), 1, "{datagrams:#?}");
    let lines: Vec<&str> = datagrams[0].iter().map(String::as_str).collect();
    check_batch_lines(&lines, 20, true);
}

/// 500 items make about 116 KB of lines: the 60 KiB buffer sends one full datagram while the
/// job runs and the rest at exit; every line arrives, in order, in datagrams of at most 60 KiB.
#[test]
fn batch_job_over_udp_with_several_datagrams() {
    let listener = Listener::bind();
    let run = run(BATCH_JOB, &["--items", "500"], &listener.location);
    assert!(run.status.success(), "{}", run.stderr);
    let datagrams = listener.datagrams(2002);
    assert!(datagrams.len() >= 2, "{} datagrams", datagrams.len());
    for datagram in &datagrams {
        let bytes = datagram.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
        assert!(bytes <= 60 * 1024, "a datagram of {bytes} bytes");
    }
    let lines: Vec<&str> = datagrams.iter().flatten().map(String::as_str).collect();
    check_batch_lines(&lines, 500, true);
}

#[test]
fn batch_job_fails_when_too_many_items_fail() {
    // Of 4 items, item 3 fails: more than the tolerated fifth. The job exits 1, still sends
    // every line, and does not mark a success.
    let run = run(BATCH_JOB, &["--items", "4"], "stdout");
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("4 items, 1 failed, job failed"),
        "{}",
        run.stderr
    );
    check_batch_lines(&stdout_lines(&run), 4, false);
}
