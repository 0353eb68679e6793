//! The host side of the `lm3s6965-qemu` board test, standing in for spectatord.
//!
//! ```text
//! host-check lines FILE
//!     every line of FILE passes spectatord's parser with no warning
//! host-check run --expected FILE [--listen 127.0.0.1:1234] [--max-datagram 1472]
//!                [--stdout F] [--stderr F] [--received F] -- COMMAND...
//!     listens on UDP, runs COMMAND (QEMU) with its stdout and stderr sent to the files, then
//!     checks: COMMAND exits 0, every datagram is at most --max-datagram bytes, every line
//!     passes spectatord's parser, and the lines received are exactly those of FILE, in order
//! ```
//!
//! On success `run` prints `N lines in M datagrams` as its last line; on failure it says what
//! differs and exits 1. `--received` keeps the received lines for inspection.

use std::fs::{self, File};
use std::net::UdpSocket;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use spectator_core::parse::spectatord::{parse_datagram, parse_line};

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("lines") if args.len() == 2 => check_file(&args[1]),
        Some("run") => Options::parse(&args[1..]).and_then(|o| run(&o)),
        _ => Err(
            "usage: host-check lines FILE | host-check run --expected FILE [options] -- COMMAND..."
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("host-check: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the expected lines: one per line, no empty line.
fn read_lines(path: &str) -> Result<Vec<String>, Error> {
    let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// Every line is accepted by spectatord's rules, recorded, and without a warning.
fn check_line(line: &[u8]) -> Result<(), String> {
    let show = || String::from_utf8_lossy(line).into_owned();
    match parse_line(line) {
        Ok(a) if a.warning.is_some() => Err(format!("{:?}: spectatord warns", show())),
        Ok(a) if !a.is_recorded() => Err(format!("{:?}: spectatord ignores it", show())),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{:?}: spectatord rejects it: {e}", show())),
    }
}

fn check_file(path: &str) -> Result<(), Error> {
    let lines = read_lines(path)?;
    for line in &lines {
        check_line(line.as_bytes())?;
    }
    println!(
        "{path}: {} lines, all accepted by spectatord's rules",
        lines.len()
    );
    Ok(())
}

struct Options {
    expected: String,
    listen: String,
    max_datagram: usize,
    stdout: Option<String>,
    stderr: Option<String>,
    received: Option<String>,
    command: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, Error> {
        let mut o = Options {
            expected: String::new(),
            listen: "127.0.0.1:1234".into(),
            max_datagram: 1472,
            stdout: None,
            stderr: None,
            received: None,
            command: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--" {
                o.command = it.cloned().collect();
                break;
            }
            let value = it
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?
                .clone();
            match flag.as_str() {
                "--expected" => o.expected = value,
                "--listen" => o.listen = value,
                "--max-datagram" => o.max_datagram = value.parse()?,
                "--stdout" => o.stdout = Some(value),
                "--stderr" => o.stderr = Some(value),
                "--received" => o.received = Some(value),
                _ => return Err(format!("unknown option {flag}").into()),
            }
        }
        if o.expected.is_empty() || o.command.is_empty() {
            return Err("run needs --expected FILE and -- COMMAND...".into());
        }
        Ok(o)
    }
}

fn output(path: &Option<String>) -> Result<Stdio, Error> {
    Ok(match path {
        Some(p) => File::create(p).map_err(|e| format!("{p}: {e}"))?.into(),
        None => Stdio::inherit(),
    })
}

fn run(o: &Options) -> Result<(), Error> {
    let expected = read_lines(&o.expected)?;
    let socket = UdpSocket::bind(&o.listen).map_err(|e| format!("bind {}: {e}", o.listen))?;
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;

    // Receive while the command runs, then until the socket stays quiet once it has exited.
    let done = Arc::new(AtomicBool::new(false));
    let receiver = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut datagrams = Vec::new();
            let mut buf = vec![0u8; 65536];
            loop {
                match socket.recv(&mut buf) {
                    Ok(n) => datagrams.push(buf[..n].to_vec()),
                    Err(_) if done.load(Ordering::SeqCst) => return datagrams,
                    Err(_) => {}
                }
            }
        })
    };
    let status = Command::new(&o.command[0])
        .args(&o.command[1..])
        .stdin(Stdio::null())
        .stdout(output(&o.stdout)?)
        .stderr(output(&o.stderr)?)
        .status()
        .map_err(|e| format!("{}: {e}", o.command[0]));
    done.store(true, Ordering::SeqCst);
    let datagrams = receiver.join().map_err(|_| "receiver thread panicked")?;
    let status = status?;

    let mut problems = Vec::new();
    if !status.success() {
        problems.push(format!("{} exited with {status}", o.command[0]));
    }
    let mut lines = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        if d.len() > o.max_datagram {
            problems.push(format!(
                "datagram {i} has {} bytes, over {}",
                d.len(),
                o.max_datagram
            ));
        }
        for l in parse_datagram(d) {
            if let Err(e) = check_line(l.line) {
                problems.push(format!("datagram {i}: {e}"));
            }
            lines.push(String::from_utf8_lossy(l.line).into_owned());
        }
    }
    if let Some(path) = &o.received {
        fs::write(
            path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )?;
    }
    if lines != expected {
        let first = lines.iter().zip(&expected).position(|(a, b)| a != b);
        let at = first.unwrap_or(lines.len().min(expected.len()));
        problems.push(format!(
            "received {} lines, expected {}; first difference at line {}: got {:?}, expected {:?}",
            lines.len(),
            expected.len(),
            at + 1,
            lines.get(at),
            expected.get(at)
        ));
    }
    let largest = datagrams.iter().map(Vec::len).max().unwrap_or(0);
    if !problems.is_empty() {
        return Err(problems.join("\n  ").into());
    }
    println!(
        "largest datagram {largest} bytes (limit {})",
        o.max_datagram
    );
    println!("{} lines in {} datagrams", lines.len(), datagrams.len());
    Ok(())
}
