//! What the two web-server examples share: the command line, the graceful shutdown, and the
//! self-test's client (N requests, four at a time, each status checked), independent of how the
//! server is instrumented.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What the command line asks for.
#[derive(Debug)]
pub enum Mode {
    /// Serve on this address until Ctrl-C or SIGTERM.
    Serve(SocketAddr),
    /// Serve on a loopback port, send it N requests, stop.
    SelfTest(usize),
}

/// `--listen ADDR` (else `$LISTEN`, else `127.0.0.1:8080`), `--self-test N`, `--help` (an
/// empty error).
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Mode, String> {
    let mut listen = std::env::var("LISTEN").ok();
    let mut self_test = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => listen = Some(value("--listen")?),
            "--self-test" => {
                let n = value("--self-test")?;
                self_test = Some(
                    n.parse()
                        .map_err(|_| format!("--self-test {n}: not a count"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let Some(n) = self_test {
        return Ok(Mode::SelfTest(n));
    }
    let listen = listen.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    listen
        .parse()
        .map(Mode::Serve)
        .map_err(|e| format!("listen address {listen:?}: {e}"))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal(name: &'static str) {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    eprintln!("{name}: shutting down");
}

/// Request `i` of the self-test: a query string and the status it must get.
pub fn planned_request(i: usize) -> (&'static str, StatusCode) {
    const GOOD: [&str; 3] = [
        "country=US&title=Stranger%20Things",
        "country=BR&title=Narcos",
        "country=DE&title=Am%C3%A9lie",
    ];
    match i % 5 {
        3 => ("title=Narcos", StatusCode::BAD_REQUEST),
        4 => ("country=BR&title=", StatusCode::BAD_REQUEST),
        _ => (GOOD[i % 3], StatusCode::OK),
    }
}

/// A minimal HTTP/1.1 client: one GET per connection, returns the status code and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| format!("GET {path}: no answer within 10 s"))?
        .map_err(|e| format!("GET {path}: {e}"))?;
    let response = String::from_utf8_lossy(&response);
    let status = response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET {path}: not an HTTP/1.1 response: {response:?}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}

/// Serves `app` on `127.0.0.1:0`, sends it `n` planned requests, checks each status, and shuts
/// it down gracefully.
pub async fn self_test(name: &str, n: usize, app: Router) -> Result<(), String> {
    const CONCURRENCY: usize = 4;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:0: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    eprintln!("{name}: self-test, {n} requests to http://{addr}");

    let mut clients = tokio::task::JoinSet::new();
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    let mut failures = Vec::new();
    for i in 0..=n {
        // At most CONCURRENCY requests at a time; after the last one is started, wait for all.
        while clients.len() == CONCURRENCY || (i == n && !clients.is_empty()) {
            match clients.join_next().await {
                Some(Ok(Ok(status))) => *by_status.entry(status).or_default() += 1,
                Some(Ok(Err(e))) => failures.push(e),
                Some(Err(e)) => failures.push(format!("client task failed: {e}")),
                None => break,
            }
        }
        if i == n {
            break;
        }
        let (query, expected) = planned_request(i);
        clients.spawn(async move {
            let path = format!("/api/v1/play?{query}");
            let (status, body) = http_get(addr, &path).await?;
            if status != expected.as_u16() {
                return Err(format!(
                    "GET {path}: status {status}, expected {expected}: {body:?}"
                ));
            }
            Ok(status)
        });
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .map_err(|_| "the server did not shut down within 10 s".to_owned())?
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("server error: {e}"))?;
    if !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    eprintln!("{name}: self-test passed, statuses {by_status:?}");
    Ok(())
}

/// Serves `app` on `addr` until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(
    name: &'static str,
    addr: SocketAddr,
    app: Router,
    metrics_to: &str,
) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("{name}: listening on http://{addr}/api/v1/play, metrics to {metrics_to}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal(name))
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// What `/api/v1/play` answers: the country and title asked for (`None` when missing or
/// empty), the status and the body. Both web servers answer the same; only their metrics differ.
pub struct Play<'a> {
    /// The `country` parameter.
    pub country: Option<&'a str>,
    /// The `title` parameter.
    pub title: Option<&'a str>,
    /// 200, or 400 when a parameter is missing.
    pub status: StatusCode,
    /// The response body.
    pub body: String,
}

/// The answer to `/api/v1/play` with the query `params`.
pub fn play(params: &HashMap<String, String>) -> Play<'_> {
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (country, title) = (param("country"), param("title"));
    let (status, body) = match (country, title) {
        (Some(country), Some(title)) => (StatusCode::OK, format!("playing {title} in {country}\n")),
        (None, _) => (
            StatusCode::BAD_REQUEST,
            "missing parameter: country\n".to_owned(),
        ),
        (_, None) => (
            StatusCode::BAD_REQUEST,
            "missing parameter: title\n".to_owned(),
        ),
    };
    Play {
        country,
        title,
        status,
        body,
    }
}

/// The mode from the process's arguments ([`parse_args`]); otherwise the exit code after
/// printing `usage` (success for `--help`, 2 with the error for bad arguments).
pub fn mode_from_args(name: &str, usage: &str) -> Result<Mode, std::process::ExitCode> {
    match parse_args(std::env::args().skip(1)) {
        Ok(mode) => Ok(mode),
        Err(e) if e.is_empty() => {
            eprintln!("{usage}");
            Err(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{name}: {e}\n{usage}");
            Err(std::process::ExitCode::from(2))
        }
    }
}
