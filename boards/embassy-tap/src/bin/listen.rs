//! A stand-in for spectatord's UDP port in tests: receives datagrams until it has `LINES` lines
//! (or nothing arrives for `IDLE_SECS`), writes every line to `OUT`, and prints one summary
//! line: `datagrams M lines N largest B`.
//!
//! ```text
//! listen ADDR LINES OUT [IDLE_SECS]
//! ```
//!
//! It creates `OUT.ready` once bound, so a script can start the board only then.

use std::io::Write;
use std::net::UdpSocket;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: listen ADDR LINES OUT [IDLE_SECS]");
        std::process::exit(2);
    }
    let want: usize = args[2].parse().expect("LINES is a number");
    let idle = Duration::from_secs(args.get(4).map_or(20, |s| s.parse().expect("IDLE_SECS")));
    let socket = UdpSocket::bind(&args[1]).expect("bind the listener address");
    socket.set_read_timeout(Some(idle)).unwrap();
    let mut out = std::fs::File::create(&args[3]).expect("create OUT");
    std::fs::write(format!("{}.ready", args[3]), b"").unwrap();

    let (mut datagrams, mut lines, mut largest) = (0usize, 0usize, 0usize);
    let mut buf = vec![0u8; 65536];
    while lines < want {
        match socket.recv(&mut buf) {
            Ok(n) => {
                datagrams += 1;
                largest = largest.max(n);
                lines += buf[..n].split(|b| *b == b'\n').count();
                out.write_all(&buf[..n]).unwrap();
                out.write_all(b"\n").unwrap();
            }
            Err(e) => {
                eprintln!("listen: no datagram for {idle:?} ({e}), stopping");
                break;
            }
        }
    }
    println!("datagrams {datagrams} lines {lines} largest {largest}");
}
