//! `spectator`: see what a device sends, as spectatord would (`listen`), send one update like the
//! library (`send`), and a one-command quickstart (`demo`).

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use spectator_cli::listen::{run_steps, write_report, DEFAULT_UDP};
use spectator_cli::live::{self, AfterLastStep};
use spectator_cli::send::{meter_kind_parser, parse_tag, send, SendRequest};
use spectator_cli::{demo, ListenConfig, Listener, SystemClock};
use spectator_core::MeterKind;

#[derive(Parser)]
#[command(
    name = "spectator",
    version,
    about = "SpectatorD metrics from the command line: see what a device sends as spectatord would, send one update, or run the demo"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Receive datagrams like spectatord, report rejected lines with spectatord's messages, and
    /// print what spectatord would publish at each step.
    Listen {
        /// UDP address to listen on; the default is spectatord's, dual stack (IPv4 clients too).
        #[arg(long, value_name = "ADDR", default_value = DEFAULT_UDP)]
        udp: SocketAddr,
        /// Do not listen on UDP (with --unix).
        #[arg(long, requires = "unix")]
        no_udp: bool,
        /// Also listen on a Unix datagram socket at PATH (spectatord: /run/spectatord/spectatord.unix).
        #[arg(long, value_name = "PATH")]
        unix: Option<PathBuf>,
        /// Step length in seconds: spectatord's --frequency, its publishing interval (5 s by
        /// default). Steps end on multiples of it on the wall clock (:00, :05, :10, … for 5 s),
        /// the intervals Atlas stores; the first step is partial.
        #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_step)]
        step: Duration,
        /// Print one JSON object per step instead of a table.
        #[arg(long, conflicts_with = "live")]
        json: bool,
        /// A full-screen view refreshed every step: a row per meter with its figure and a
        /// sparkline of its last 60 steps; `s` sorts, `/` filters by id, `q` quits. Falls back
        /// to the table when stdout is not a terminal.
        #[arg(long)]
        live: bool,
        /// Stop after N steps (default: run until interrupted; the first, partial step counts).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        steps: Option<u64>,
    },
    /// Send one update through spectator-std to SPECTATOR_OUTPUT_LOCATION (default udp,
    /// 127.0.0.1:1234), exactly as the library would.
    Send {
        /// The meter type.
        #[arg(value_parser = meter_kind_parser())]
        meter: MeterKind,
        /// The meter name.
        name: String,
        /// A tag, KEY=VALUE (repeatable; the key or value may begin with `-`).
        #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag, allow_hyphen_values = true)]
        tags: Vec<(String, String)>,
        /// An extra common tag for the registry's Config, KEY=VALUE (repeatable).
        #[arg(long = "common-tag", value_name = "K=V", value_parser = parse_tag, allow_hyphen_values = true)]
        common_tags: Vec<(String, String)>,
        /// Gauge TTL in seconds (gauge only; at least 1).
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u32>,
        /// The value: `1` is an integer, `1.0`, `nan`, `inf`, `1e-05` floats; `now` for
        /// age-gauge; any text for distinct-count-sketch.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Run an instrumented web workload against an in-process listener over loopback UDP and
    /// print what spectatord would publish, step by step.
    Demo {
        /// How long the workload runs, in seconds (rounded up to whole steps).
        #[arg(long, value_name = "N", default_value = "15", value_parser = parse_step)]
        seconds: Duration,
        /// Step length in seconds.
        #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_step)]
        step: Duration,
        /// Print one JSON object per step instead of a table.
        #[arg(long, conflicts_with = "live")]
        json: bool,
        /// The full-screen live view (as `listen --live`) instead of tables; it stays after the
        /// last step until `q`. Falls back to the tables when stdout is not a terminal.
        #[arg(long)]
        live: bool,
    },
    /// Measure ingest throughput (in process and over loopback UDP).
    #[command(hide = true)]
    BenchIngest {
        /// Lines to send.
        #[arg(long, default_value = "10000000")]
        lines: u64,
        /// Only the in-process measurement.
        #[arg(long)]
        in_process: bool,
    },
}

/// Seconds, fractional allowed, from 0.01 to one day.
fn parse_step(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(0.01..=86_400.0).contains(&seconds) {
        return Err(format!("{text} s is out of range (0.01 to 86400)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Exit quietly when stdout is closed (`spectator listen | head`).
fn io_exit(e: &io::Error, what: &str) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("spectator {what}: {e}");
    ExitCode::FAILURE
}

/// Whether `--live` can be honoured: stdout must be a terminal (else a note says so).
fn live_possible(live: bool) -> bool {
    if live && !io::stdout().is_terminal() {
        eprintln!("stdout is not a terminal: printing the step tables instead of the live view");
        return false;
    }
    live
}

fn listen(config: &ListenConfig, steps: Option<u64>, json: bool, live: bool) -> ExitCode {
    let listener = match Listener::start(config, Arc::new(SystemClock)) {
        Ok(l) => l,
        Err(e) => return io_exit(&e, "listen"),
    };
    if live {
        // "listening on udp://[::]:1234 (receive buffer …)" without the buffer.
        let title: Vec<&str> = listener
            .notes()
            .iter()
            .filter_map(|n| n.split(" (").next())
            .collect();
        let result = live::run(
            &listener,
            &title.join(" · "),
            steps,
            AfterLastStep::Leave,
            |_| {},
        );
        return match result {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => io_exit(&e, "listen"),
        };
    }
    for note in listener.notes() {
        eprintln!("{note}");
    }
    let stdout = io::stdout();
    let result = run_steps(&listener, steps, |report| {
        write_report(&mut stdout.lock(), report, json)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => io_exit(&e, "listen"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Listen {
            udp,
            no_udp,
            unix,
            step,
            json,
            live,
            steps,
        } => {
            let live = live_possible(live);
            listen(
                &ListenConfig {
                    udp: (!no_udp).then_some(udp),
                    unix,
                    step,
                    // In the live view, stderr would garble the screen.
                    print_messages: !live,
                },
                steps,
                json,
                live,
            )
        }
        Command::Send {
            meter,
            name,
            tags,
            common_tags,
            ttl,
            value,
        } => {
            let request = SendRequest {
                meter,
                name,
                tags,
                common_tags,
                ttl,
                value,
            };
            match send(&request) {
                Ok(None) => ExitCode::SUCCESS,
                Ok(Some(note)) => {
                    eprintln!("spectator send: {note}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("spectator send: {e}");
                    ExitCode::from(e.code)
                }
            }
        }
        Command::Demo {
            seconds,
            step,
            json,
            live,
        } => {
            let config = demo::DemoConfig {
                duration: seconds,
                step,
                json,
                live: live_possible(live),
                ..demo::DemoConfig::default()
            };
            let stdout = io::stdout();
            let result = demo::run(config, &mut stdout.lock());
            let _ = io::stdout().flush();
            match result {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => io_exit(&e, "demo"),
            }
        }
        Command::BenchIngest { lines, in_process } => {
            match spectator_cli::bench::run(lines, in_process) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => io_exit(&e, "bench-ingest"),
            }
        }
    }
}
