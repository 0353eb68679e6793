//! `spectator listen` as a process, over real loopback sockets: the step table, rejected lines
//! with spectatord's messages, `--json`, a Unix socket, dual stack. Step boundaries depend on
//! timing, so each test sends one datagram and looks for the step that holds it; the exact
//! table semantics are tested on the Aggregator with explicit times (tests/aggregator.rs).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `spectator listen`.
struct Listen {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    listening: mpsc::Receiver<String>,
}

impl Listen {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_spectator"))
            .arg("listen")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spectator runs");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, listening) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on ") {
                    let _ = tx.send(rest.split(' ').next().unwrap_or_default().to_owned());
                }
                kept.lock().unwrap().push(line);
            }
        });
        Listen {
            child,
            stderr,
            listening,
        }
    }

    /// The address of the first `listening on SCHEME://ADDR` line.
    fn address(&self) -> String {
        self.listening
            .recv_timeout(Duration::from_secs(20))
            .expect("listening on …")
    }

    fn udp_addr(&self) -> SocketAddr {
        let address = self.address();
        address
            .strip_prefix("udp://")
            .unwrap_or_else(|| panic!("{address}"))
            .parse()
            .unwrap()
    }

    /// Waits (at most 30 s) for the process to end by itself; returns stdout and stderr.
    fn finish(mut self) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("spectator listen did not stop after its steps");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert!(self.child.wait().unwrap().success());
        // Let the stderr thread drain.
        std::thread::sleep(Duration::from_millis(50));
        let stderr = self.stderr.lock().unwrap().join("\n");
        (stdout, stderr)
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DATAGRAM: &str = "\
c:req,status=200:1
c:req,status=200:2
g,60:queue.size:42
T:lat:0.25
T:lat:0.5
d:size:1024
m:max:7
g,0:bad:1
c:x:1x";

const TABLE: &str = "\
TYPE                  ID              VALUE
percentile-timer      lat             count=2 total=0.75s max=0.5s p50=0.2684s p90=0.519s p99=0.5351s p99.9=0.5367s
max-gauge             max             max=7
gauge                 queue.size      value=42 ttl=60s
counter               req,status=200  rate=3/s
distribution-summary  size            count=1 total=1024 max=1024
counter               x               rate=1/s
note: accepted with a warning: 'c:x:1x': Got 1 parsing value, ignoring chars starting at x
";

/// The step tables of the output, split at their `== step` headers.
fn tables(stdout: &str) -> Vec<(String, String)> {
    stdout
        .split("== step ")
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (header, body) = t.split_once('\n').unwrap();
            (
                header.to_owned(),
                body.trim_end_matches('\n').to_owned() + "\n",
            )
        })
        .collect()
}

fn send_udp(to: SocketAddr, datagram: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(datagram, to).unwrap();
}

#[test]
fn prints_the_step_table_and_reports_rejected_lines() {
    let listen = Listen::start(&["--udp", "127.0.0.1:0", "--step", "1", "--steps", "2"]);
    send_udp(listen.udp_addr(), DATAGRAM.as_bytes());
    let (stdout, stderr) = listen.finish();
    let tables = tables(&stdout);
    assert_eq!(tables.len(), 2, "{stdout}");
    let (header, body) = tables
        .iter()
        .find(|(h, _)| h.contains("9 lines"))
        .unwrap_or_else(|| panic!("no step with the datagram:\n{stdout}"));
    assert!(
        header.ends_with("(1 s): 9 lines, 8 accepted (1 with a warning), 1 rejected =="),
        "{header}"
    );
    assert_eq!(body, TABLE);
    // The other step: nothing yet, or the gauge still there.
    let other = tables.iter().find(|(h, _)| !h.contains("9 lines")).unwrap();
    assert!(
        other.1 == "(nothing published)\n"
            || other.1.contains("gauge  queue.size  value=42 ttl=60s"),
        "{other:?}"
    );
    let stderr: Vec<&str> = stderr.lines().collect();
    assert!(
        stderr[0].starts_with("listening on udp://127.0.0.1:"),
        "{stderr:?}"
    );
    assert!(stderr.contains(&"rejected 'g,0:bad:1': Invalid ttl specified for gauge at index 2"));
    assert!(stderr.contains(&"warning 'c:x:1x': Got 1 parsing value, ignoring chars starting at x"));
}

#[test]
fn json_prints_one_object_per_step() {
    let listen = Listen::start(&[
        "--udp",
        "127.0.0.1:0",
        "--step",
        "1",
        "--steps",
        "2",
        "--json",
    ]);
    send_udp(listen.udp_addr(), DATAGRAM.as_bytes());
    let (stdout, _) = listen.finish();
    let steps: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (steps[0]["step"].as_u64(), steps[1]["step"].as_u64()),
        (Some(1), Some(2))
    );
    // Steps end on the wall clock's whole seconds (the step is 1 s), one second apart.
    let ends: Vec<i64> = steps
        .iter()
        .map(|s| s["time_ms"].as_i64().unwrap())
        .collect();
    for end in &ends {
        assert!(end % 1000 < 500, "a step ended at {end} ms");
    }
    assert_eq!(ends[1] / 1000 - ends[0] / 1000, 1, "{ends:?}");
    let step = steps
        .iter()
        .find(|s| s["lines"]["total"] == 9)
        .expect("the step with the datagram");
    assert_eq!(
        step["lines"],
        serde_json::json!({"total": 9, "accepted": 8, "warnings": 1, "rejected": 1, "ignored": 0})
    );
    assert_eq!(
        (step["datagrams"].as_u64(), step["step_seconds"].as_f64()),
        (Some(1), Some(1.0))
    );
    let meters = step["meters"].as_array().unwrap();
    let ids: Vec<(&str, &str)> = meters
        .iter()
        .map(|m| (m["type"].as_str().unwrap(), m["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("percentile-timer", "lat"),
            ("max-gauge", "max"),
            ("gauge", "queue.size"),
            ("counter", "req,status=200"),
            ("distribution-summary", "size"),
            ("counter", "x"),
        ]
    );
    assert_eq!(meters[3]["rate"], 3.0);
    assert_eq!(meters[3]["tags"], serde_json::json!({"status": "200"}));
    assert_eq!(meters[0]["count"], 2);
    assert_eq!(meters[0]["total"], 0.75);
    // 0.25 s and 0.5 s: the median is the top of 0.25 s's bucket, 4^14 ns.
    assert_eq!(meters[0]["percentiles"]["p50"], 0.268_435_456);
    assert_eq!(
        meters[0]["percentiles"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["p50", "p90", "p99", "p99.9"]
    );
    assert_eq!(meters[2]["ttl_seconds"], 60);
    assert_eq!(
        step["rejected"],
        serde_json::json!([{"line": "g,0:bad:1", "error": "Invalid ttl specified for gauge at index 2"}])
    );
    assert_eq!(step["warnings"][0]["line"], "c:x:1x");
}

#[test]
fn listens_on_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("spectator-listen-{}/s.unix", std::process::id()));
    let listen = Listen::start(&[
        "--no-udp",
        "--unix",
        path.to_str().unwrap(),
        "--step",
        "1",
        "--steps",
        "2",
    ]);
    assert_eq!(listen.address(), format!("unix://{}", path.display()));
    let socket = UnixDatagram::unbound().unwrap();
    socket.send_to(b"c:over.unix:4\nnope", &path).unwrap();
    let (stdout, stderr) = listen.finish();
    assert!(stdout.contains("counter  over.unix  rate=4/s"), "{stdout}");
    assert!(
        stderr.contains("rejected 'nope': Expecting separator ':' at index 1"),
        "{stderr}"
    );
    assert!(!path.exists(), "the socket file is removed at exit");
    let _ = std::fs::remove_dir(path.parent().unwrap());
}

#[test]
fn the_ipv6_any_address_takes_ipv4_datagrams() {
    let listen = Listen::start(&["--udp", "[::]:0", "--step", "1", "--steps", "2"]);
    let port = listen.udp_addr().port();
    send_udp(([127, 0, 0, 1], port).into(), b"c:dual.stack:2");
    let (stdout, _) = listen.finish();
    assert!(stdout.contains("counter  dual.stack  rate=2/s"), "{stdout}");
}

#[test]
fn bad_arguments_and_busy_ports() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spectator"))
            .arg("listen")
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["--step", "0"][..],
        &["--udp", "nonsense"],
        &["--no-udp"],
        &["--steps", "0"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let busy = UdpSocket::bind("127.0.0.1:0").unwrap();
    let out = run(&[
        "--udp",
        &busy.local_addr().unwrap().to_string(),
        "--steps",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot listen on udp 127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn live_falls_back_to_the_table_when_stdout_is_not_a_terminal() {
    let listen = Listen::start(&[
        "--live",
        "--udp",
        "127.0.0.1:0",
        "--step",
        "1",
        "--steps",
        "2",
    ]);
    send_udp(listen.udp_addr(), b"c:piped,status=200:1");
    let (stdout, stderr) = listen.finish();
    assert!(
        stderr.contains("stdout is not a terminal: printing the step tables"),
        "{stderr}"
    );
    assert_eq!(tables(&stdout).len(), 2, "{stdout}");
    assert!(
        stdout.contains("counter  piped,status=200  rate=1/s"),
        "{stdout}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_spectator"))
        .args(["listen", "--live", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--live and --json conflict");
}
