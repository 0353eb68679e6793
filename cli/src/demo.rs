//! `spectator demo`: the project's main job without spectatord.
//!
//! A [`Listener`] on a loopback UDP port stands in for spectatord; an instrumented workload,
//! the web example's request mix, sends its metrics to it through spectator-std over real UDP;
//! the step tables are printed as they come.
//!
//! | meter | type | what |
//! |---|---|---|
//! | `server.requestCount` | counter | tagged `country`, `title`, `status`, `version=v1`: every fifth request lacks `country`, every fifth `title` (status 400, tag `unknown`) |
//! | `server.requestLatency` | percentile timer | each request's handling time, timed by a `StopWatch` |
//! | `server.responseSize` | distribution summary | bytes of each response body |
//! | `server.requestsInFlight` | gauge | requests being handled |
//! | `demo.timeSinceLastRefresh` | age gauge | a background refresh marks success every 3 s |
//!
//! Every id carries `nf.app=spectator-demo`. One extra line that spectatord rejects
//! (`g,0:…`, a gauge TTL of 0) is sent once, to show how rejected lines are reported.

use std::io::{self, Write};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spectator_std::{Config, Gauge, Registry, StopWatch, LOCATION_ENV};

use crate::clock::SystemClock;
use crate::listen::{next_step_end, run_steps, sleep_until, write_report, ListenConfig, Listener};
use crate::live::{self, AfterLastStep};
use crate::report::{LineCounts, StepReport};

/// The demo's settings.
#[derive(Debug, Clone, Copy)]
pub struct DemoConfig {
    /// How long the workload runs.
    pub duration: Duration,
    /// The step length.
    pub step: Duration,
    /// JSON instead of tables.
    pub json: bool,
    /// The full-screen live view instead of tables (see [`crate::live`]); it stays after the
    /// last step until `q`.
    pub live: bool,
    /// Concurrent request handlers.
    pub workers: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(15),
            step: Duration::from_secs(5),
            json: false,
            live: false,
            workers: 4,
        }
    }
}

/// What the demo saw, summed over its steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Requests handled by the workload.
    pub requests: u64,
    /// Step tables printed.
    pub steps: u64,
    /// Line counts over all steps.
    pub counts: LineCounts,
}

/// The line that spectatord rejects, sent once.
pub const REJECTED_LINE: &str = "g,0:demo.queueSize,nf.app=spectator-demo:3";

/// Request `i`: country, title, status and response body, like the web example's self-test.
fn planned_request(i: u64) -> (&'static str, &'static str, &'static str, String) {
    const GOOD: [(&str, &str); 3] = [
        ("US", "Stranger Things"),
        ("BR", "Narcos"),
        ("DE", "Amélie"),
    ];
    match i % 5 {
        3 => (
            "unknown",
            "Narcos",
            "400",
            "missing parameter: country\n".into(),
        ),
        4 => ("BR", "unknown", "400", "missing parameter: title\n".into()),
        _ => {
            let (country, title) = GOOD[(i % 3) as usize];
            (
                country,
                title,
                "200",
                format!("playing {title} in {country}\n"),
            )
        }
    }
}

/// A small deterministic generator for simulated handling times.
fn latency_of(i: u64) -> Duration {
    let x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let r = (x >> 33) % 1000;
    // Mostly 2-12 ms, one request in 50 takes 40-60 ms.
    let ms = if r < 20 { 40 + r } else { 2 + r % 11 };
    Duration::from_millis(ms)
}

struct InFlight {
    count: Mutex<i64>,
    gauge: Gauge,
}

impl InFlight {
    fn add(&self, delta: i64) {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        *count += delta;
        self.gauge.set(*count);
    }
}

/// Runs the workload against `registry` until `deadline` or `stop`; returns the number of
/// requests.
fn workload(
    registry: &Registry,
    workers: usize,
    deadline: Instant,
    stop: &AtomicBool,
) -> io::Result<u64> {
    let running = || Instant::now() < deadline && !stop.load(Ordering::Relaxed);
    let request_count = registry
        .new_id("server.requestCount", &[("version", "v1")])
        .map_err(io::Error::other)?;
    let latency = registry.pct_timer("server.requestLatency", &[]);
    let size = registry.distribution_summary("server.responseSize", &[]);
    let in_flight = InFlight {
        count: Mutex::new(0),
        gauge: registry.gauge("server.requestsInFlight", &[]),
    };
    let refreshed = registry.age_gauge("demo.timeSinceLastRefresh", &[]);
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while running() {
                refreshed.now();
                sleep_until_or(deadline, Duration::from_secs(3));
            }
        });
        for _ in 0..workers.max(1) {
            s.spawn(|| {
                while running() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (country, title, status, body) = planned_request(i);
                    in_flight.add(1);
                    {
                        let _timed = StopWatch::start(&latency);
                        std::thread::sleep(latency_of(i));
                        size.record(body.len());
                    }
                    let tags = [("country", country), ("title", title), ("status", status)];
                    if let Ok(id) = request_count.with_tags(&tags) {
                        registry.counter_with_id(&id).increment();
                    }
                    in_flight.add(-1);
                }
            });
        }
    });
    Ok(next.load(Ordering::Relaxed))
}

fn sleep_until_or(deadline: Instant, at_most: Duration) {
    let left = deadline.saturating_duration_since(Instant::now());
    std::thread::sleep(left.min(at_most));
}

/// Adds a step's counts to the demo's.
fn add_counts(summary: &mut DemoSummary, report: &StepReport) {
    summary.steps += 1;
    let (c, r) = (&mut summary.counts, &report.counts);
    c.datagrams += r.datagrams;
    c.bytes += r.bytes;
    c.lines += r.lines;
    c.accepted += r.accepted;
    c.warnings += r.warnings;
    c.rejected += r.rejected;
    c.ignored += r.ignored;
    c.invalid_for_atlas += r.invalid_for_atlas;
}

/// Runs the demo, printing each step to `out` (or showing the live view) and progress to
/// stderr.
pub fn run(config: DemoConfig, out: &mut impl Write) -> io::Result<DemoSummary> {
    let listener = Listener::start(
        &ListenConfig {
            udp: Some(([127, 0, 0, 1], 0).into()),
            unix: None,
            step: config.step,
            // The live view shows rejected lines itself; stderr would garble the screen.
            print_messages: !config.live,
        },
        Arc::new(SystemClock),
    )?;
    let addr = listener
        .udp_addr()
        .ok_or_else(|| io::Error::other("no UDP address"))?;
    // The demo's own location, whatever SPECTATOR_OUTPUT_LOCATION says; the other variables
    // (NETFLIX_CONTAINER_NAME, …) still apply.
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k != LOCATION_ENV)
        .collect();
    let registry = Registry::new(
        Config::builder()
            .location(&format!("udp://{addr}"))
            .extra_common_tag("nf.app", "spectator-demo")
            .env(env)
            .build()
            .map_err(io::Error::other)?,
    )
    .map_err(io::Error::other)?;
    let steps = (config.duration.as_secs_f64() / config.step.as_secs_f64())
        .ceil()
        .max(1.0) as u64;
    // Steps end on the wall clock's step boundaries; the workload starts on one, so that every
    // step is whole.
    let first = next_step_end(listener.now(), config.step);
    eprintln!(
        "demo: a stand-in for spectatord on udp://{addr}; an instrumented web workload sends to it for {} s from the next step boundary (in {:.1} s); {steps} step tables of {} s follow",
        config.duration.as_secs_f64(),
        first.saturating_sub(listener.now()) as f64 / 1e9,
        config.step.as_secs_f64(),
    );
    sleep_until(&listener, first);
    let start = Instant::now();
    // Stop sending a little before the last step ends, so every line lands in a step.
    let margin = config.step.mul_f64(0.1).min(Duration::from_millis(200));
    let deadline = start + config.step.mul_f64(steps as f64).saturating_sub(margin);
    let mut summary = DemoSummary::default();
    let stop = AtomicBool::new(false);
    let requests = std::thread::scope(|s| -> io::Result<u64> {
        let worker = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300).min(config.step / 2));
            if !config.live {
                eprintln!("demo: also sending one line spectatord rejects: {REJECTED_LINE}");
            }
            if let Ok(socket) = UdpSocket::bind(("127.0.0.1", 0)) {
                let _ = socket.send_to(REJECTED_LINE.as_bytes(), addr);
            }
            let requests = workload(&registry, config.workers, deadline, &stop);
            registry.close();
            requests
        });
        let shown = if config.live {
            let title = format!("demo on udp://{addr}");
            let after = AfterLastStep::Hold(format!("demo finished after {steps} steps: q quits"));
            live::run(&listener, &title, Some(steps), after, |report| {
                add_counts(&mut summary, report)
            })
            .map(|_| ())
        } else {
            run_steps(&listener, Some(steps), |report| {
                add_counts(&mut summary, report);
                write_report(out, report, config.json)
            })
        };
        // `q` before the end stops the workload too.
        stop.store(true, Ordering::Relaxed);
        let requests = worker
            .join()
            .map_err(|_| io::Error::other("the workload panicked"))?;
        shown?;
        requests
    })?;
    listener.stop();
    summary.requests = requests;
    let c = &summary.counts;
    eprintln!(
        "demo: {requests} requests handled; {} lines received in {} datagrams, {} accepted, {} rejected",
        c.lines, c.datagrams, c.accepted, c.rejected
    );
    if c.accepted == 0 {
        return Err(io::Error::other(
            "no line arrived over loopback UDP: is the loopback interface up?",
        ));
    }
    Ok(summary)
}
