//! `cargo bench -p spectator-cli`: ingest throughput of `spectator listen` against the
//! 1,000,000 lines/s target, in process and over loopback UDP (10M lines; set
//! `INGEST_LINES` to change). Under `cargo test` (no `--bench` argument) it runs 100k lines
//! as a smoke test.

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let lines = std::env::var("INGEST_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 10_000_000 } else { 100_000 });
    if !benching {
        println!("smoke run under `cargo test` (unoptimized): the figures mean nothing; run `cargo bench -p spectator-cli`");
    }
    if let Err(e) = spectator_cli::bench::run(lines, false) {
        eprintln!("ingest benchmark failed: {e}");
        std::process::exit(1);
    }
}
