//! A simulated sensor appliance reporting through `spectator-core` over real UDP on loopback,
//! with a local receiver that checks every line against spectatord's acceptance rules.
//!
//! Run: `cargo run -p spectator-core --example sensor`
//!
//! The firmware-side code (meters, `LineBuffer`, `Transport`) is exactly what a `no_std` board
//! runs; only the transport here is a std `UdpSocket` instead of smoltcp or embassy-net. The
//! buffer owns no transport: the loop lends it the socket for each tick (`buffer.via(&mut udp)`).

use std::net::UdpSocket;
use std::num::NonZeroU32;
use std::time::Duration;

use spectator_core::meters::{
    AgeGauge, Counter, DistributionSummary, Gauge, MaxGauge, MonotonicCounter, Timer,
};
use spectator_core::parse::spectatord;
use spectator_core::transport::{ErrorKind, Transport, TransportError};
use spectator_core::{IdError, LineBuffer, MeterId, Prefix};

/// A connected UDP socket as a [`Transport`].
struct Udp(UdpSocket);

#[derive(Debug)]
struct UdpError(std::io::ErrorKind);

impl TransportError for UdpError {
    fn kind(&self) -> ErrorKind {
        match self.0 {
            std::io::ErrorKind::ConnectionRefused => ErrorKind::NotConnected,
            _ => ErrorKind::Other,
        }
    }
}

impl Transport for Udp {
    type Error = UdpError;
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), UdpError> {
        self.0.send(datagram).map(drop).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => nb::Error::WouldBlock,
            kind => nb::Error::Other(UdpError(kind)),
        })
    }
    fn max_datagram(&self) -> usize {
        1472 // one Ethernet frame over IPv4, as on the board
    }
}

type Id = MeterId<96, 4>;
/// A meter's line prefix, rendered once from its run-time id.
type P = Prefix<112>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = UdpSocket::bind("127.0.0.1:0")?;
    receiver.set_read_timeout(Some(Duration::from_millis(200)))?;
    let sender = UdpSocket::bind("127.0.0.1:0")?;
    sender.connect(receiver.local_addr()?)?;

    let mut udp = Udp(sender);
    let mut buffer: LineBuffer<1472> =
        LineBuffer::new().with_flush_interval(Duration::from_secs(5));
    let id = |name: &str, tags: &[(&str, &str)]| -> Result<Id, IdError> { Id::new(name, tags) };
    let events_ok = Counter::<P>::for_id(&id(
        "sensor.events",
        &[("kind", "reading"), ("status", "ok")],
    )?)?;
    let events_err = Counter::<P>::for_id(&id(
        "sensor.events",
        &[("kind", "reading"), ("status", "crc error")],
    )?)?;
    let temperature = Gauge::<P>::for_id_with_ttl(
        &id("sensor.temperature", &[("unit", "°C")])?,
        NonZeroU32::new(60).unwrap(),
    )?;
    let read_time = Timer::<P>::for_id(&id("sensor.readTime", &[])?)?;
    let payload = DistributionSummary::<P>::for_id(&id("sensor.payloadSize", &[])?)?;
    let peak = MaxGauge::<P>::for_id(&id("sensor.queuePeak", &[])?)?;
    let uptime = MonotonicCounter::<P>::for_id(&id("sensor.uptimeTicks", &[])?)?;
    let last_ok = AgeGauge::<P>::for_id(&id("sensor.lastSuccess", &[])?)?;

    // Ten simulated seconds at 20 readings per second; the clock is supplied by the caller.
    for tick in 0u32..200 {
        let now = Duration::from_millis(u64::from(tick) * 50);
        let mut sink = buffer.via(&mut udp);
        if tick % 17 == 0 {
            events_err.increment(&mut sink);
        } else {
            events_ok.increment(&mut sink);
            last_ok.now(&mut sink);
        }
        temperature.set(&mut sink, 21.5 + f64::from(tick % 7) * 0.25);
        read_time.record(&mut sink, 0.000_250 + f64::from(tick % 5) * 0.000_01);
        payload.record(&mut sink, 48 + tick % 16);
        peak.set(&mut sink, tick % 23);
        uptime.set(&mut sink, tick);
        let _ = sink.poll(now);
    }
    let _ = buffer.flush(&mut udp);
    let stats = *buffer.stats();

    let mut buf = [0u8; 2048];
    let (mut datagrams, mut lines, mut rejected) = (0, 0, 0);
    while let Ok(n) = receiver.recv(&mut buf) {
        datagrams += 1;
        for line in buf[..n].split(|b| *b == b'\n') {
            lines += 1;
            if let Err(e) = spectatord::parse_line(line) {
                rejected += 1;
                eprintln!("rejected {:?}: {e}", String::from_utf8_lossy(line));
            }
            if lines <= 8 {
                println!("{}", String::from_utf8_lossy(line));
            }
        }
        if lines as u64 == stats.lines_sent {
            break;
        }
    }
    println!("...");
    println!(
        "sent {} lines in {} datagrams ({} bytes, largest allowed {}); received {lines} lines in {datagrams} datagrams, {rejected} rejected by spectatord's rules; dropped {}",
        stats.lines_sent,
        stats.datagrams_sent,
        stats.bytes_sent,
        buffer.max_datagram(),
        stats.dropped.total()
    );
    if rejected > 0 || lines as u64 != stats.lines_sent {
        return Err("delivery check failed".into());
    }
    Ok(())
}
