//! # web-server-metrics: the axum web example, instrumented with the `metrics` facade
//!
//! The same service as `web-server` (`GET /api/v1/play?country=US&title=Narcos`, `200 playing
//! Narcos in US`, or `400 missing parameter: country`/`title`), written the way most Rust
//! services are: with `metrics::counter!`, `gauge!` and `histogram!`, and one recorder installed
//! at start-up, here [`spectator_metrics`]'s. Nothing in the handler knows about spectator.
//!
//! | facade call | line | what |
//! |---|---|---|
//! | `counter!("server.requestCount", "country", "title", "status", "version")` | counter (`c`), aggregated | one line per id per second with the sum |
//! | `histogram!("server.requestLatency")`, described in seconds and opted in to percentiles | percentile timer (`T`) | seconds in the handler, one line per request |
//! | `histogram!("server.responseSize")` | distribution summary (`d`) | bytes of the response body, one line per request |
//! | `gauge!("server.requestsInFlight")` `.increment(1)` / `.decrement(1)` | gauge (`g`), aggregated | the count after every change, kept by the recorder; one line per second with the last value |
//!
//! Every id carries the common tag `nf.app=web-server-metrics-example` (and `nf.container`,
//! `nf.process` from the environment). The in-flight gauge needs no lock here (the `web-server`
//! example keeps one so that its lines come in order): the recorder keeps the gauge's value in
//! its handle, and the aggregated line carries the value after every update, exactly.
//!
//! ## Where the metrics go
//!
//! `SpectatorRecorder::builder()`: location `udp` (spectatord's `127.0.0.1:1234`) unless
//! `SPECTATOR_OUTPUT_LOCATION` says otherwise, aggregation every second, lines joined into
//! datagrams of up to 60 KiB. `install()` makes it the global recorder and returns a guard that
//! flushes when `main` returns.
//!
//! ## Running it
//!
//! ```text
//! spectatord &
//! cargo run -p spectator-examples --bin web-server-metrics -- --listen 127.0.0.1:8080
//! curl 'http://127.0.0.1:8080/api/v1/play?country=US&title=Narcos'
//! SPECTATOR_OUTPUT_LOCATION=stdout cargo run -p spectator-examples --bin web-server-metrics -- --self-test 10
//! ```
//!
//! `--self-test N` serves on `127.0.0.1:0`, sends itself N requests (four at a time, every
//! fifth without `country`, every fifth with an empty `title`), checks each status and exits.
//! Metric lines are the only thing written to stdout.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use common::Mode;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics::{Gauge, Unit};
use spectator_metrics::SpectatorRecorder;

const NAME: &str = "web-server-metrics";
const USAGE: &str = "usage: web-server-metrics [--listen ADDR] [--self-test N]
  --listen ADDR   address to serve on (default: $LISTEN, else 127.0.0.1:8080)
  --self-test N   serve on 127.0.0.1:0, send N requests to it, shut down and exit
environment: SPECTATOR_OUTPUT_LOCATION (default udp = 127.0.0.1:1234), LISTEN";

/// Describes the meters once, at start-up: the latency histogram's unit makes it a timer.
fn describe() {
    describe_counter!(
        "server.requestCount",
        Unit::Count,
        "requests to /api/v1/play"
    );
    describe_histogram!(
        "server.requestLatency",
        Unit::Seconds,
        "time spent in the handler"
    );
    describe_histogram!("server.responseSize", Unit::Bytes, "response body size");
    describe_gauge!(
        "server.requestsInFlight",
        Unit::Count,
        "requests being handled"
    );
}

/// Counts a request in flight until dropped, also when the client goes away and axum drops
/// the handler half-way.
struct InFlight(Gauge);

impl InFlight {
    fn enter() -> Self {
        let gauge = gauge!("server.requestsInFlight");
        gauge.increment(1);
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1);
    }
}

/// `GET /api/v1/play?country=..&title=..`
async fn play(Query(params): Query<HashMap<String, String>>) -> (StatusCode, String) {
    let _in_flight = InFlight::enter();
    let start = Instant::now();

    let common::Play {
        country,
        title,
        status,
        body,
    } = common::play(&params);
    histogram!("server.responseSize").record(body.len() as f64);
    counter!(
        "server.requestCount",
        "country" => country.unwrap_or("unknown").to_owned(),
        "title" => title.unwrap_or("unknown").to_owned(),
        "status" => status.as_str().to_owned(),
        "version" => "v1",
    )
    .increment(1);
    histogram!("server.requestLatency").record(start.elapsed());
    (status, body)
}

fn app() -> Router {
    Router::new().route("/api/v1/play", get(play))
}

fn main() -> ExitCode {
    let mode = match common::mode_from_args(NAME, USAGE) {
        Ok(mode) => mode,
        Err(code) => return code,
    };
    let installed = SpectatorRecorder::builder()
        .common_tag("nf.app", "web-server-metrics-example")
        .percentiles_for("server.requestLatency")
        .install();
    let metrics = match installed {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            return ExitCode::from(2);
        }
    };
    describe();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{NAME}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let location = metrics
        .recorder()
        .registry()
        .config()
        .location()
        .to_string();
    let result = runtime.block_on(async move {
        match mode {
            Mode::Serve(addr) => common::serve(NAME, addr, app(), &location).await,
            Mode::SelfTest(n) => common::self_test(NAME, n, app()).await,
        }
    });
    eprintln!("{NAME}: {:?}", metrics.recorder().stats());
    // Dropping the guard flushes: the last aggregated lines and the buffer leave now.
    drop(metrics);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            ExitCode::FAILURE
        }
    }
}
