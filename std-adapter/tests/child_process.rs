//! spectator-std in a process of its own: the `stdout` and `stderr` locations flushed when the
//! last handle is dropped, `SPECTATOR_OUTPUT_LOCATION` from the real environment beating the
//! builder, and the global registry (spec §6, §3.4). Each test runs this program again as a
//! child, with exactly the environment it needs, and checks exactly what reached the child's
//! stdout and stderr.
//!
//! A test target without libtest's harness (`harness = false` in Cargo.toml), so that a child
//! writes nothing but its registry's lines: `main` runs a child mode when its first argument is
//! [`CHILD`], and the tests otherwise. The child modes build a registry from the process
//! environment, write a known set of lines and exit normally WITHOUT calling `close()` or
//! `flush()` (except where a mode says so):
//!
//! * `registry`: `Config::builder().location("memory").build()` (so `SPECTATOR_OUTPUT_LOCATION`
//!   must win over the builder), four lines; the registry is dropped while a counter is still
//!   alive and one more line is written through that counter. Nothing is flushed explicitly:
//!   the output appears only if dropping the last handle flushes it.
//! * `global`: one line through `spectator_std::global()`, then `flush()` (a static is never
//!   dropped, so the global registry documents that callers flush).
//! * `global-location`: prints `location=<the global registry's location>` with `println!`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spectator_std::{global, Config, Registry, LOCATION_ENV};

/// The first argument of a child.
const CHILD: &str = "--spectator-child";

// ---- the child modes ---------------------------------------------------------------------------

fn registry() {
    let config = match Config::builder().location("memory").build() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("config error: {e}");
            std::process::exit(2);
        }
    };
    let registry = Registry::new(config).unwrap_or_else(|e| {
        eprintln!("registry error: {e}");
        std::process::exit(3);
    });
    let requests = registry.counter("child.requests", &[("status", "200")]);
    requests.increment();
    registry.gauge_with_ttl("child.queue", &[], 60).set(42);
    registry.timer("child.latency", &[]).record(0.25);
    registry
        .distribution_summary("child.bytes", &[("dir", "in")])
        .record(1024);
    // The last `Registry` handle goes away; the counter keeps the output alive.
    drop(registry);
    requests.increment_by(2);
    // `requests` is dropped at the end of `main`: that must flush the output.
}

// ---- running a child ---------------------------------------------------------------------------

struct ChildOutput {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs this program as a child in `mode` with exactly `env` as its environment, for at most
/// 20 s.
fn run_child(mode: &str, env: &[(&str, &str)]) -> ChildOutput {
    let exe = std::env::current_exe().expect("the test program's path");
    let mut child = Command::new(exe)
        .args([CHILD, mode])
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {mode} did not exit within 20 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    ChildOutput {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// What the `registry` child writes, with `NETFLIX_PROCESS_NAME=" child/1 "`.
const CHILD_LINES: &str = "\
c:child.requests,nf.process=child_1,status=200:1
g,60:child.queue,nf.process=child_1:42
t:child.latency,nf.process=child_1:0.25
d:child.bytes,dir=in,nf.process=child_1:1024
c:child.requests,nf.process=child_1,status=200:2
";

fn stdout_of_a_child_flushed_on_drop_and_env_beats_the_builder() {
    // The child's builder says "memory"; the environment says "stdout" and wins.
    let out = run_child(
        "registry",
        &[
            (LOCATION_ENV, "stdout"),
            ("NETFLIX_PROCESS_NAME", " child/1 "),
        ],
    );
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stdout, CHILD_LINES);
    assert_eq!(out.stderr, "");
}

fn stderr_of_a_child_flushed_on_drop() {
    let out = run_child(
        "registry",
        &[
            (LOCATION_ENV, "stderr"),
            ("NETFLIX_PROCESS_NAME", " child/1 "),
        ],
    );
    assert_eq!(out.code, Some(0), "stdout: {}", out.stdout);
    assert_eq!(out.stderr, CHILD_LINES);
    assert_eq!(out.stdout, "");
}

fn child_with_an_invalid_env_location_fails_at_construction() {
    let out = run_child("registry", &[(LOCATION_ENV, "STDOUT")]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "config error: SPECTATOR_OUTPUT_LOCATION is invalid: STDOUT\n"
    );
    assert_eq!(out.stdout, "");
}

fn global_registry_in_a_child_writes_to_stdout_after_flush() {
    let out = run_child(
        "global",
        &[
            (LOCATION_ENV, "stdout"),
            ("TITUS_CONTAINER_NAME", "titus-main"),
        ],
    );
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "c:child.global,nf.container=titus-main:1\n");
    assert_eq!(out.stderr, "");
}

fn global_registry_with_an_invalid_env_discards_lines() {
    let out = run_child("global-location", &[(LOCATION_ENV, "bogus")]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "location=none\n");
    // Without the variable, the global registry uses spectator-py's default.
    let out = run_child("global-location", &[]);
    assert_eq!(out.stdout, "location=udp://127.0.0.1:1234\n");
}

// ---- the tests --------------------------------------------------------------------------------

const TESTS: [(&str, fn()); 5] = [
    (
        "stdout_of_a_child_flushed_on_drop_and_env_beats_the_builder",
        stdout_of_a_child_flushed_on_drop_and_env_beats_the_builder,
    ),
    (
        "stderr_of_a_child_flushed_on_drop",
        stderr_of_a_child_flushed_on_drop,
    ),
    (
        "child_with_an_invalid_env_location_fails_at_construction",
        child_with_an_invalid_env_location_fails_at_construction,
    ),
    (
        "global_registry_in_a_child_writes_to_stdout_after_flush",
        global_registry_in_a_child_writes_to_stdout_after_flush,
    ),
    (
        "global_registry_with_an_invalid_env_discards_lines",
        global_registry_with_an_invalid_env_discards_lines,
    ),
];

/// Runs a child mode, or every test whose name contains the first argument that is not an
/// option (like libtest's filter), in order; a failing test panics, which fails the target.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CHILD) {
        return child(args.get(1).map(String::as_str));
    }
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let selected = TESTS
        .iter()
        .filter(|(name, _)| filter.is_none_or(|f| name.contains(f.as_str())));
    let mut ran = 0;
    for (name, test) in selected {
        test();
        println!("test {name} ... ok");
        ran += 1;
    }
    println!("child_process: {ran} tests passed");
}

fn child(mode: Option<&str>) {
    match mode {
        Some("registry") => registry(),
        Some("global") => {
            global().counter("child.global", &[]).increment();
            global().flush();
        }
        Some("global-location") => println!("location={}", global().config().location()),
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(64);
        }
    }
}
