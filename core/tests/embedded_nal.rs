//! `NalTransport` over std-embedded-nal (embedded-nal 0.9 on std sockets): real UDP datagrams
//! to a socket bound on 127.0.0.1, received and compared line by line.

use std::net::UdpSocket;
use std::time::Duration;

use spectator_core::meters::{Counter, DistributionSummary, Gauge, MaxGauge, Timer};
use spectator_core::transport::{ErrorKind, NalTransport, Transport, TransportError};
use spectator_core::{static_meter, LineBuffer, MeterId, Prefix, StaticPrefix};

fn listener() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket
}

fn receive(socket: &UdpSocket, count: usize) -> Vec<String> {
    let mut buf = [0u8; 65536];
    (0..count)
        .map(|_| {
            let n = socket.recv(&mut buf).expect("a datagram within 5 s");
            String::from_utf8(buf[..n].to_vec()).unwrap()
        })
        .collect()
}

#[test]
fn lines_arrive_exactly_in_datagrams_of_bounded_size() {
    let spectatord = listener();
    let mut stack = std_embedded_nal::Stack;
    let mut udp = NalTransport::connect(&mut stack, spectatord.local_addr().unwrap()).unwrap();
    assert_eq!(udp.max_datagram(), 1472);
    // A 64-byte limit makes the buffer split the lines into several datagrams.
    let mut buffer: LineBuffer<64> = LineBuffer::new();

    type P = Prefix<64>;
    let id = |name, tags| MeterId::<64, 2>::new(name, tags).unwrap();
    let cycles = Counter::<P>::for_id(&id("cycles", &[("program", "eco")])).unwrap();
    let ttl = 60.try_into().unwrap();
    let temp = Gauge::<P>::for_id_with_ttl(&id("temp", &[("zone", "drum")]), ttl).unwrap();
    let duration = Timer::<P>::for_id(&id("cycle.duration", &[])).unwrap();
    let water = DistributionSummary::<P>::for_id(&id("water", &[])).unwrap();
    const RPM: MaxGauge<StaticPrefix> = static_meter!(MaxGauge, "rpm.max");

    let mut sink = buffer.via(&mut udp);
    cycles.increment(&mut sink);
    temp.set(&mut sink, 41.5);
    duration.record(&mut sink, 0.25);
    water.record(&mut sink, 12);
    RPM.set(&mut sink, 1400);
    cycles.increment_by(&mut sink, 2);
    nb::block!(sink.flush()).unwrap();

    let stats = *buffer.stats();
    assert_eq!((stats.lines_sent, stats.dropped.total()), (6, 0));
    let datagrams = receive(&spectatord, stats.datagrams_sent as usize);
    assert!(datagrams.len() > 1, "{datagrams:?}");
    assert!(datagrams.iter().all(|d| d.len() <= 64));
    let lines: Vec<&str> = datagrams.iter().flat_map(|d| d.split('\n')).collect();
    assert_eq!(
        lines,
        [
            "c:cycles,program=eco:1",
            "g,60:temp,zone=drum:41.5",
            "t:cycle.duration:0.25",
            "d:water:12",
            "m:rpm.max:1400",
            "c:cycles,program=eco:2",
        ]
    );
    udp.close().unwrap();
}

#[test]
fn a_zero_limit_sends_each_line_alone() {
    let spectatord = listener();
    let mut stack = std_embedded_nal::Stack;
    let mut udp = NalTransport::connect(&mut stack, spectatord.local_addr().unwrap())
        .unwrap()
        .with_max_datagram(100);
    let mut buffer: LineBuffer<1472> = LineBuffer::new().with_max_datagram(0);
    assert_eq!(buffer.max_datagram(), 0);
    let mut sink = buffer.via(&mut udp);
    sink.append("c:a:1");
    sink.append("c:b:2");
    sink.append(&format!("c:{}:3", "x".repeat(100))); // over the transport's 100 bytes
    assert_eq!(receive(&spectatord, 2), ["c:a:1", "c:b:2"]);
    assert_eq!(buffer.stats().dropped.too_long, 1);
    udp.close().unwrap();
}

#[test]
fn stack_errors_get_the_kind_the_classifier_gives() {
    // A port with no listener: Linux reports the ICMP port unreachable on a later send of the
    // connected socket as ECONNREFUSED.
    let closed = listener().local_addr().unwrap();
    let mut stack = std_embedded_nal::Stack;
    let mut udp = NalTransport::connect(&mut stack, closed)
        .unwrap()
        .with_error_kinds(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => ErrorKind::NoRoute,
            _ => ErrorKind::Other,
        });
    let mut refused = None;
    for _ in 0..50 {
        match udp.send(b"c:a:1") {
            Err(nb::Error::Other(e)) => {
                refused = Some(e);
                break;
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let e = refused.expect("ECONNREFUSED from a closed loopback port");
    assert_eq!(e.kind(), ErrorKind::NoRoute);
    assert_eq!(e.error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn without_a_classifier_errors_are_other_and_lose_their_lines() {
    let closed = listener().local_addr().unwrap();
    let mut stack = std_embedded_nal::Stack;
    let mut udp = NalTransport::connect(&mut stack, closed).unwrap();
    let mut buffer: LineBuffer<1472> = LineBuffer::new();
    let mut kind = None;
    for _ in 0..50 {
        let mut sink = buffer.via(&mut udp);
        sink.append("c:a:1");
        match sink.flush() {
            Err(nb::Error::Other(e)) => {
                kind = Some(e.kind());
                break;
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert_eq!(kind, Some(ErrorKind::Other));
    let stats = buffer.stats();
    assert_eq!((stats.send_errors, stats.dropped.send_failed), (1, 1));
}
