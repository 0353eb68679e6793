//! The crate promises that nothing it does allocates. This test runs every hot path under a
//! counting global allocator and asserts that it saw exactly zero heap allocations.
//!
//! Counting is scoped: only allocations made by the thread inside [`count_allocations`] are
//! counted, so the test harness's own threads and tests running in parallel cannot disturb the
//! count.

use std::num::NonZeroU32;
use std::time::Duration;

use spectator_core::meters::{
    AgeGauge, Counter, DistinctCountSketch, DistributionSummary, Gauge, MaxGauge, MonotonicCounter,
    MonotonicCounterUint, PercentileDistributionSummary, PercentileTimer, Timer,
};
use spectator_core::parse::python::parse_protocol_line;
use spectator_core::parse::spectatord::{parse_datagram, parse_line};
use spectator_core::pyfloat::PyFloat;
use spectator_core::sanitize::write_sanitized;
use spectator_core::transport::MemoryError;
use spectator_core::{
    CommonTags, ErrorKind, LineBuffer, LineWrite, Measurement, MemoryTransport, MeterId, MeterKind,
    SliceWriter, StaticId, TagSet, Transport, Value, WriteTransport,
};

/// Runs `f` and returns how many heap allocations (reallocations included) this thread made
/// meanwhile, with `f`'s result. `allocation-counter`, a dev-dependency, is this test binary's
/// global allocator and counts per thread, so the test harness and parallel tests do not
/// disturb the count.
fn count_allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let mut result = None;
    let info = allocation_counter::measure(|| result = Some(f()));
    let count = usize::try_from(info.count_total).unwrap_or(usize::MAX);
    (count, result.expect("measure runs the closure"))
}

/// Asserts that `f` makes no heap allocation.
#[track_caller]
fn assert_no_alloc(what: &str, f: impl FnOnce()) {
    let (count, ()) = count_allocations(f);
    assert_eq!(count, 0, "{what}: {count} heap allocation(s)");
}

#[test]
fn the_counter_counts() {
    // Without this, a broken allocator hook would make every other test pass vacuously.
    let (count, v) = count_allocations(|| std::hint::black_box(vec![1u8; 16]));
    assert!(count > 0, "a Vec was allocated but not counted");
    drop(v);
    let (count, s) = count_allocations(|| {
        let mut s = String::with_capacity(1);
        s.push_str(std::hint::black_box("grows past its capacity"));
        s
    });
    assert!(count >= 2, "allocation and reallocation counted: {count}");
    drop(s);
    let (count, ()) = count_allocations(|| ());
    assert_eq!(count, 0);
}

type Id = MeterId<128, 8>;

#[test]
fn building_ids_does_not_allocate() {
    assert_no_alloc("MeterId", || {
        let id = Id::new(
            "server.numRequests",
            &[("nf.app", "www"), ("status", "200")],
        )
        .unwrap();
        assert_eq!(
            id.spectatord_id(),
            "server.numRequests,nf.app=www,status=200"
        );
        let dirty = Id::new("café au lait", &[("é", "ü"), ("a b", ""), ("", "x")]).unwrap();
        assert_eq!(dirty.spectatord_id(), "caf__au_lait,_=_");
        assert_eq!(dirty.name(), "café au lait");
        assert_eq!(dirty.tag("é"), Some("ü"));
        let common = CommonTags {
            extra: &[("app", "www")],
            container: Some(" main "),
            process: Some("   "),
        };
        let with_common = Id::with_common_tags("x", &[("app", "mine"), ("k", "v")], &common);
        assert_eq!(
            with_common.unwrap().spectatord_id(),
            "x,app=www,k=v,nf.container=main"
        );
        let more = id.with_tag("zone", "us-east-1a").unwrap();
        assert_eq!(more.tags().count(), 3);
        let fewer = more
            .with_tags(&[("status", ""), ("nf.app", "api")])
            .unwrap();
        assert_eq!(
            fewer.spectatord_id(),
            "server.numRequests,nf.app=api,zone=us-east-1a"
        );
        assert_eq!(
            Id::new("", &[]).unwrap_err(),
            spectator_core::IdError::EmptyName
        );
        assert!(MeterId::<4, 1>::new("too long", &[]).is_err());
        assert!(MeterId::<64, 1>::new("x", &[("a", "1"), ("b", "2")]).is_err());

        let mut display: heapless::String<128> = heapless::String::new();
        core::fmt::write(&mut display, format_args!("{id}")).unwrap();
        assert_eq!(
            display,
            "MeterId(name=server.numRequests, tags={'nf.app': 'www', 'status': '200'})"
        );

        let mut set: TagSet<'_, 4> = TagSet::new();
        set.apply_user(&[("b", "2"), ("a", "1")]).unwrap();
        set.apply_common_tags(&common).unwrap();
        set.sort();
        assert_eq!(set.as_slice().len(), 4);

        let fixed = spectator_core::static_id!("disk.used", "dev" => "sda1");
        assert_eq!(StaticId::new(fixed.as_str()), Ok(fixed));

        let mut clean: heapless::String<64> = heapless::String::new();
        write_sanitized(&mut clean, "x😀y, z=1").unwrap();
        assert_eq!(clean, "x_y__z_1");
    });
}

#[test]
fn formatting_every_kind_and_value_does_not_allocate() {
    let id = Id::new("m", &[("k", "v")]).unwrap();
    let sketch = [0xffu8; 100];
    let floats = [
        0.0,
        -0.0,
        1.0,
        0.1 + 0.2,
        0.0123456789,
        1e16,
        -1e16,
        1e-5,
        1e15,
        9999999999999998.0,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ];
    assert_no_alloc("formatting", || {
        let mut line: heapless::String<256> = heapless::String::new();
        let mut check = |m: Measurement<'_>| {
            line.clear();
            m.write_to(&mut line).unwrap();
            assert_eq!(line.len(), m.line_len());
        };
        for kind in MeterKind::ALL {
            let ttl = NonZeroU32::new(60);
            for value in [
                Value::Int(0),
                Value::Int(-1),
                Value::Int(i64::MIN),
                Value::Int(i64::MAX),
                Value::UInt(u64::MAX),
                Value::Bytes(b""),
                Value::Bytes("héllo".as_bytes()),
                Value::Bytes(&sketch),
                Value::IntBytes((-1i64).to_le_bytes()),
                Value::decimal(0, 0),
                Value::decimal(-2225, 2),
                Value::decimal(12, 6),
                Value::decimal(i64::MIN, 255),
                Value::from(core::time::Duration::from_micros(250)),
                Value::from(core::time::Duration::MAX),
            ] {
                check(Measurement::new(kind, id.spectatord_id(), value));
                check(Measurement::new(kind, id.spectatord_id(), value).with_ttl(ttl));
                let _ = Measurement::filtered(kind, id.spectatord_id(), value);
            }
            for x in floats {
                check(Measurement::new(kind, id.spectatord_id(), Value::Float(x)).with_ttl(ttl));
            }
        }
        for x in floats {
            assert!(!PyFloat::new(x).as_str().is_empty());
        }
        line.clear();
        Measurement::new(MeterKind::Timer, "t", Value::Float(1e-5))
            .write_to(&mut line)
            .unwrap();
        assert_eq!(line, "t:t:1e-05");
        line.clear();
        Measurement::new(MeterKind::Gauge, "g", Value::Float(1e16))
            .with_ttl(NonZeroU32::new(5))
            .write_to(&mut line)
            .unwrap();
        assert_eq!(line, "g,5:g:1e+16");

        // Other targets, and overflow (rolled back, no allocation either).
        let m = Measurement::new(MeterKind::Counter, id.spectatord_id(), Value::Float(1.5));
        let mut bytes: heapless::Vec<u8, 64> = heapless::Vec::new();
        m.write_to(&mut bytes).unwrap();
        assert_eq!(&bytes[..], b"c:m,k=v:1.5");
        let mut storage = [0u8; 64];
        let mut slice = SliceWriter::new(&mut storage);
        m.write_to(&mut slice).unwrap();
        assert_eq!(slice.as_str(), "c:m,k=v:1.5");
        let mut small: heapless::String<8> = heapless::String::new();
        small.push_text("ab").unwrap();
        assert!(m.write_to(&mut small).is_err());
        assert_eq!(small, "ab");
    });
}

#[test]
fn typed_meters_do_not_allocate() {
    let id = Id::new("m", &[("k", "v")]).unwrap();
    let mut sink: LineBuffer<MemoryTransport<2048, 32>, 256> =
        LineBuffer::new(MemoryTransport::new());
    assert_no_alloc("meters", || {
        AgeGauge::new(&id).now(&mut sink);
        AgeGauge::new(&id).set(&mut sink, 1_700_000_000);
        Counter::new(&id).increment(&mut sink);
        Counter::new(&id).increment_by(&mut sink, 2.5);
        Counter::new(&id).increment_by(&mut sink, 0);
        DistinctCountSketch::new(&id).record_str(&mut sink, "héllo");
        DistinctCountSketch::new(&id).record_bytes(&mut sink, b"\x00\x01");
        DistinctCountSketch::new(&id).record_i64(&mut sink, -1);
        DistinctCountSketch::new(&id).record_u64(&mut sink, u64::MAX);
        DistributionSummary::new(&id).record(&mut sink, 512);
        Gauge::new(&id).set(&mut sink, -0.0);
        Gauge::with_ttl(&id, NonZeroU32::new(60).unwrap()).set(&mut sink, f64::NAN);
        MaxGauge::new(&id).set(&mut sink, f64::INFINITY);
        MonotonicCounter::new(&id).set(&mut sink, 1e16);
        MonotonicCounterUint::new(&id).set(&mut sink, u64::MAX);
        PercentileDistributionSummary::new(&id).record(&mut sink, 1e-5);
        PercentileTimer::new(&id).record_duration(&mut sink, Duration::from_millis(1500));
        Timer::new(&id).record(&mut sink, 0.0123456789);
        Timer::new(&id).record(&mut sink, f64::NAN);
        sink.flush().unwrap();
        assert_eq!(sink.stats().dropped.total(), 0);
        assert_eq!(sink.transport().lines().count(), 17);
        assert_eq!(
            sink.transport().last_line(),
            Some(&b"t:m,k=v:0.0123456789"[..])
        );
    });
}

#[test]
fn line_buffer_and_transports_do_not_allocate() {
    let id = Id::new(
        "server.numRequests",
        &[("nf.app", "www"), ("status", "200")],
    )
    .unwrap();
    let counter = Measurement::new(MeterKind::Counter, id.spectatord_id(), Value::Int(1));
    let timer = Measurement::new(MeterKind::Timer, id.spectatord_id(), Value::Float(1e-5));
    let mut sink: LineBuffer<MemoryTransport<16384, 64>, 1472> =
        LineBuffer::new(MemoryTransport::new()).with_flush_interval(Duration::from_secs(5));
    let mut out = [0u8; 4096];

    assert_no_alloc("LineBuffer over MemoryTransport", || {
        // Size-based flushes.
        for _ in 0..100 {
            sink.record(&counter);
            sink.record(&timer);
        }
        sink.append("c:x:1");
        sink.append(""); // invalid
        sink.append("c:x\n:1"); // invalid
        sink.flush().unwrap();
        assert_eq!(sink.pending_lines(), 0);
        // Time-based flushes.
        sink.poll(Duration::from_secs(100)).unwrap();
        sink.record(&counter);
        sink.poll(Duration::from_secs(104)).unwrap();
        assert_eq!(sink.pending_lines(), 1);
        sink.poll(Duration::from_secs(105)).unwrap();
        assert_eq!(sink.pending_lines(), 0);
        sink.flush().unwrap();
        let stats = *sink.stats();
        assert_eq!(stats.lines_sent, 202);
        assert_eq!(stats.dropped.invalid, 2);
        assert_eq!(stats.dropped.total(), 2);

        // A line longer than the buffer is sent alone; backpressure and failures are counted.
        let long: heapless::String<2000> = core::iter::repeat_n('x', 1500).collect();
        sink.append(&long);
        sink.transport_mut().block(true);
        sink.record(&counter);
        assert_eq!(sink.flush(), Err(nb::Error::WouldBlock));
        sink.transport_mut().block(false);
        sink.transport_mut().fail_next(1, ErrorKind::NoRoute);
        assert_eq!(
            sink.flush(),
            Err(nb::Error::Other(MemoryError::Injected(ErrorKind::NoRoute)))
        );
        assert_eq!(sink.stats().dropped.send_failed, 1);
        sink.transport_mut().clear();

        // Unbuffered: every line its own datagram.
        let mut unbuffered: LineBuffer<MemoryTransport<1024, 8>, 128> =
            LineBuffer::unbuffered(MemoryTransport::new());
        unbuffered.record(&counter);
        unbuffered.record(&timer);
        assert_eq!(unbuffered.transport().len(), 2);
        let mut lines = unbuffered.transport().datagrams();
        assert_eq!(
            lines.next(),
            Some(&b"c:server.numRequests,nf.app=www,status=200:1"[..])
        );
        assert_eq!(
            lines.next(),
            Some(&b"t:server.numRequests,nf.app=www,status=200:1e-05"[..])
        );

        // A line too long for even an empty buffer is dropped.
        let mut tiny: LineBuffer<MemoryTransport<64, 4>, 16> =
            LineBuffer::new(MemoryTransport::new());
        tiny.record(&counter);
        assert_eq!(tiny.stats().dropped.too_long, 1);
    });

    assert_no_alloc("LineBuffer over WriteTransport on a slice", || {
        let mut sink: LineBuffer<_, 128> = LineBuffer::new(WriteTransport::new(&mut out[..]));
        for _ in 0..10 {
            sink.record(&counter);
        }
        sink.record(&timer);
        sink.flush().unwrap();
        assert_eq!(sink.stats().lines_sent, 11);
        let mut small = [0u8; 4];
        let mut direct = WriteTransport::new(&mut small[..]);
        assert!(direct.send(b"too long").is_err());
    });
    assert!(out.starts_with(b"c:server.numRequests,nf.app=www,status=200:1\n"));
}

#[test]
fn python_parser_does_not_allocate() {
    assert_no_alloc("parse::python", || {
        let line = parse_protocol_line("g,60:queue.size,b=2,a=1,b=3:42").unwrap();
        assert_eq!(
            (line.symbol, line.name, line.value),
            ("g", "queue.size", "42")
        );
        assert_eq!(line.kind(), Some(MeterKind::Gauge));
        assert_eq!(line.tags().count(), 3);
        let id: MeterId<64, 4> = line.meter_id().unwrap();
        assert_eq!(id.spectatord_id(), "queue.size,a=1,b=3");

        let mut message: heapless::String<64> = heapless::String::new();
        for bad in ["", "c:x", "a:b:c:d", "c:n,k:1", "c:n,k=v=w:1"] {
            let err = parse_protocol_line(bad).unwrap_err();
            message.clear();
            core::fmt::write(&mut message, format_args!("{err}")).unwrap();
            assert!(message.contains("values to unpack"));
        }
    });
}

#[test]
fn spectatord_parser_does_not_allocate() {
    assert_no_alloc("parse::spectatord", || {
        let line = parse_line(b"g,60:queue.size,b=2,a=1:42").unwrap();
        assert_eq!(line.name, b"queue.size");
        assert_eq!(line.tags.count(), 2);
        for ok in [
            &b"c:server.numRequests,nf.app=www,status=200:1"[..],
            b"t:latency:1e-05",
            b"U:bytes:18446744073709551615",
            b"U:x:21.5",
        ] {
            assert!(parse_line(ok).is_ok());
        }
        let mut message: heapless::String<128> = heapless::String::new();
        for bad in [
            &b"g,0:x:1"[..],
            b"g,1.5:x:1",
            b"c:name",
            b"S::1",
            b"S:users:aMOpbGxv",
        ] {
            let err = parse_line(bad).unwrap_err();
            message.clear();
            core::fmt::write(&mut message, format_args!("{err}")).unwrap();
            assert!(!message.is_empty());
        }
        let odd = parse_line(b"U:x:21.5").unwrap();
        message.clear();
        core::fmt::write(&mut message, format_args!("{}", odd.warning.unwrap())).unwrap();
        assert!(message.starts_with("Got 21"));
        let results = parse_datagram(b"c:a:1\r\n\n\nS:b:AQ==\ng,0:c:1\n").map(|l| l.result.is_ok());
        assert!(results.eq([true, false, false]));
    });
}
