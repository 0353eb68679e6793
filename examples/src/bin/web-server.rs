//! # web-server: an axum service instrumented with spectator-std
//!
//! The Rust version of spectator-py's "simple" and "complex" web examples. One endpoint,
//!
//! ```text
//! GET /api/v1/play?country=US&title=Stranger%20Things
//! ```
//!
//! answers `200 playing Stranger Things in US`, or `400 missing parameter: country` (or `title`)
//! when a parameter is missing or empty. GET with a query string was chosen over spectator-py's
//! POST with a JSON body so the server needs no JSON library and can be tried with a browser or
//! `curl 'http://127.0.0.1:8080/api/v1/play?country=US&title=Narcos'`.
//!
//! Every request to it records:
//!
//! | meter | type | what |
//! |---|---|---|
//! | `server.requestCount` | counter (`c`) | tagged `country`, `title`, `status` (and `version=v1`); a missing parameter is tagged `unknown` |
//! | `server.requestLatency` | percentile timer (`T`) | seconds spent in the handler, timed by a [`StopWatch`] |
//! | `server.responseSize` | distribution summary (`d`) | bytes of the response body |
//! | `server.requestsInFlight` | gauge (`g`) | requests being handled, set when one starts and when one ends |
//!
//! Other paths and methods get axum's 404 and 405 and are not measured; a middleware layer
//! (`axum::middleware::from_fn`) would be the place to time every route.
//!
//! The server also turns on [`RuntimeMetrics`] with its tokio runtime (spectator-std's `tokio`
//! feature): the process's descriptors, CPU time, memory, page faults, context switches and
//! threads (`rust.*`), the runtime's workers, alive tasks and queue depth (`rust.tokio.*`), and
//! the client's own lines sent and dropped (`spectator.client.*`), once at start and then every
//! 30 s until shutdown.
//!
//! All ids carry the extra common tag `nf.app=web-server-example` (and `nf.container` /
//! `nf.process` from `NETFLIX_CONTAINER_NAME` / `NETFLIX_PROCESS_NAME` when set). Tag values are
//! sanitized by spectator: `Stranger Things` is sent as `Stranger_Things`, `Amélie` as `Am_lie`. Titles are user input:
//! a real service would not tag by an unbounded value like this one (Atlas limits the number of
//! distinct tag values); the spectator-py example does, so this one does too.
//!
//! ## Where the metrics go
//!
//! The registry is built with `Config::builder()`: location `udp` (spectatord's default,
//! `127.0.0.1:1234`) unless `SPECTATOR_OUTPUT_LOCATION` says otherwise (`stdout`, `unix`,
//! `udp://HOST:PORT`, `file:///path`, …), and a line buffer of 60 KiB: a busy server then sends
//! one datagram per 60 KiB of lines (or per 5 s flush interval) instead of one per line, which
//! costs spectatord far less. The 60 KiB stay below spectatord's 64 KiB receive buffer, and the
//! lines reach spectatord at most 5 s late, which is nothing next to Atlas's one-minute step.
//! On Ctrl-C or SIGTERM the server stops accepting, finishes the requests in flight and closes
//! the registry, which flushes the buffer.
//!
//! ## Running it
//!
//! Against a real spectatord listening on its default UDP port:
//!
//! ```text
//! spectatord &                                    # listens on udp 127.0.0.1:1234
//! cargo run -p spectator-examples --bin web-server -- --listen 127.0.0.1:8080
//! curl 'http://127.0.0.1:8080/api/v1/play?country=US&title=Narcos'
//! ```
//!
//! To see the lines instead: `SPECTATOR_OUTPUT_LOCATION=stdout cargo run -p spectator-examples
//! --bin web-server`. The listen address comes from `--listen ADDR`, else the `LISTEN`
//! environment variable, else `127.0.0.1:8080`.
//!
//! `--self-test N` starts the server on `127.0.0.1:0`, sends it N requests (four at a time, every
//! fifth without `country` and every fifth without `title`) with a tiny HTTP/1.1 client, checks
//! each status, shuts the server down gracefully, closes the registry and exits 0:
//!
//! ```text
//! SPECTATOR_OUTPUT_LOCATION=stdout cargo run -p spectator-examples --bin web-server -- --self-test 10
//! ```
//!
//! Metric lines are the only thing written to stdout; messages go to stderr.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use common::Mode;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use spectator_std::{
    Config, DistributionSummary, Gauge, MeterId, PercentileTimer, Registry, RuntimeMetrics,
    StopWatch, DEFAULT_MAX_DATAGRAM,
};

const USAGE: &str = "usage: web-server [--listen ADDR] [--self-test N]
  --listen ADDR   address to serve on (default: $LISTEN, else 127.0.0.1:8080)
  --self-test N   serve on 127.0.0.1:0, send N requests to it, shut down and exit
environment: SPECTATOR_OUTPUT_LOCATION (default udp = 127.0.0.1:1234), LISTEN";

/// The registry: `udp` unless `SPECTATOR_OUTPUT_LOCATION` says otherwise, a 60 KiB buffer.
fn registry() -> Result<Registry, spectator_std::ConfigError> {
    let config = Config::builder()
        .location("udp")
        .extra_common_tag("nf.app", "web-server-example")
        .buffer_size(DEFAULT_MAX_DATAGRAM)
        .build()?;
    Registry::new(config)
}

/// The server's meters, created once and shared by every request.
struct Metrics {
    registry: Registry,
    /// `server.requestCount,version=v1` with the common tags; each request adds its own tags.
    request_count: MeterId,
    request_latency: PercentileTimer,
    response_size: DistributionSummary,
    in_flight: InFlight,
}

impl Metrics {
    fn new(registry: Registry) -> Self {
        let request_count = registry
            .new_id("server.requestCount", &[("version", "v1")])
            .expect("a non-empty name is a valid id");
        Self {
            request_latency: registry.pct_timer("server.requestLatency", &[]),
            response_size: registry.distribution_summary("server.responseSize", &[]),
            in_flight: InFlight {
                count: Mutex::new(0),
                gauge: registry.gauge("server.requestsInFlight", &[]),
            },
            request_count,
            registry,
        }
    }

    fn count_request(&self, country: &str, title: &str, status: StatusCode) {
        let tags = [
            ("country", country),
            ("title", title),
            ("status", status.as_str()),
        ];
        match self.request_count.with_tags(&tags) {
            Ok(id) => self.registry.counter_with_id(&id).increment(),
            Err(e) => eprintln!("web-server: cannot count a request: {e}"),
        }
    }
}

/// Requests being handled, written to a gauge on every change.
///
/// The count and the write happen under one lock: with a bare atomic, two threads could write
/// their values in the opposite order and leave the gauge showing a stale count.
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

    /// Counts a request until the guard is dropped, also when the client goes away and axum
    /// drops the handler half-way.
    fn enter(&self) -> InFlightGuard<'_> {
        self.add(1);
        InFlightGuard(self)
    }
}

struct InFlightGuard<'a>(&'a InFlight);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.add(-1);
    }
}

/// `GET /api/v1/play?country=..&title=..`
async fn play(
    State(metrics): State<Arc<Metrics>>,
    Query(params): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let _in_flight = metrics.in_flight.enter();
    // Records the handler's time into server.requestLatency when dropped, after the counter.
    let _latency = StopWatch::start(&metrics.request_latency);

    let common::Play {
        country,
        title,
        status,
        body,
    } = common::play(&params);
    metrics.response_size.record(body.len());
    metrics.count_request(
        country.unwrap_or("unknown"),
        title.unwrap_or("unknown"),
        status,
    );
    (status, body)
}

fn app(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/api/v1/play", get(play))
        .with_state(metrics)
}

fn main() -> ExitCode {
    let mode = match common::mode_from_args("web-server", USAGE) {
        Ok(mode) => mode,
        Err(code) => return code,
    };
    let registry = match registry() {
        Ok(registry) => registry,
        Err(e) => {
            eprintln!("web-server: {e}");
            return ExitCode::from(2);
        }
    };
    let metrics = Arc::new(Metrics::new(registry.clone()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("web-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The process's and the runtime's health, now and every 30 s.
    let runtime_metrics = RuntimeMetrics::new(&registry)
        .with_tokio(runtime.handle().clone())
        .start(RuntimeMetrics::DEFAULT_PERIOD);
    let result = runtime.block_on(async move {
        match mode {
            Mode::Serve(addr) => {
                let location = metrics.registry.config().location().to_string();
                common::serve("web-server", addr, app(metrics), &location).await
            }
            Mode::SelfTest(n) => common::self_test("web-server", n, app(metrics)).await,
        }
    });
    runtime_metrics.stop();
    // Sends what is still buffered; meters still held anywhere write nothing from now on.
    registry.close();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("web-server: {e}");
            ExitCode::FAILURE
        }
    }
}
