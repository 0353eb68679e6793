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
    static_meter, AsyncTransport, CommonTags, ErrorKind, LineBuffer, LineWrite, Measurement,
    MemoryTransport, MeterId, MeterKind, Prefix, SliceWriter, StaticId, StaticPrefix, TagSet,
    Transport, Value, WriteTransport,
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

/// Every meter kind and operation over a run-time prefix (`for_id`), through a `Sender`.
#[test]
fn typed_meters_do_not_allocate() {
    type P = Prefix<64>;
    let id = Id::new("m", &[("k", "v")]).unwrap();
    let mut udp: MemoryTransport<2048, 32> = MemoryTransport::new();
    let mut buffer: LineBuffer<256> = LineBuffer::new();
    assert_no_alloc("meters", || {
        let ttl = NonZeroU32::new(60).unwrap();
        let age = AgeGauge::<P>::for_id(&id).unwrap();
        let counter = Counter::<P>::for_id(&id).unwrap();
        let sketch = DistinctCountSketch::<P>::for_id(&id).unwrap();
        let mut sink = buffer.via(&mut udp);
        age.now(&mut sink);
        age.set(&mut sink, 1_700_000_000);
        counter.increment(&mut sink);
        counter.increment_by(&mut sink, 2.5);
        counter.increment_by(&mut sink, 0);
        sketch.record_str(&mut sink, "héllo");
        sketch.record_bytes(&mut sink, b"\x00\x01");
        sketch.record_i64(&mut sink, -1);
        sketch.record_u64(&mut sink, u64::MAX);
        DistributionSummary::<P>::for_id(&id)
            .unwrap()
            .record(&mut sink, 512);
        Gauge::<P>::for_id(&id).unwrap().set(&mut sink, -0.0);
        Gauge::<P>::for_id_with_ttl(&id, ttl)
            .unwrap()
            .set(&mut sink, f64::NAN);
        MaxGauge::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, f64::INFINITY);
        MonotonicCounter::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, 1e16);
        MonotonicCounterUint::<P>::for_id(&id)
            .unwrap()
            .set(&mut sink, u64::MAX);
        PercentileDistributionSummary::<P>::for_id(&id)
            .unwrap()
            .record(&mut sink, 1e-5);
        PercentileTimer::<P>::for_id(&id)
            .unwrap()
            .record_duration(&mut sink, Duration::from_millis(1500));
        let timer = Timer::<P>::for_id(&id).unwrap();
        timer.record(&mut sink, 0.0123456789);
        timer.record(&mut sink, f64::NAN);
        sink.flush().unwrap();
        assert_eq!(buffer.stats().dropped.total(), 0);
        assert_eq!(buffer.stats().lines_sent, 17);
        assert_eq!(udp.lines().count(), 17);
        assert_eq!(udp.last_line(), Some(&b"t:m,k=v:0.0123456789"[..]));
    });
}

// Firmware meters: checked and rendered while compiling, in flash.
const BOOTS: Counter<StaticPrefix> = static_meter!(Counter, "boots", "board" => "rev2");
const TEMP: Gauge<StaticPrefix> = static_meter!(Gauge, ttl = 60, "temp", "unit" => "celsius");
const HANDLE_TIME: Timer<StaticPrefix> = static_meter!(Timer, "handleTime");
const BYTES_IN: MonotonicCounterUint<StaticPrefix> = static_meter!(MonotonicCounterUint, "bytesIn");

/// `const` meters (`static_meter!`) through a `Sender`, into the buffer alone, and sent by an
/// async transport.
#[test]
fn static_meters_do_not_allocate() {
    let mut udp: MemoryTransport<32768, 64> = MemoryTransport::new();
    let mut buffer: LineBuffer<1472> = LineBuffer::new();
    let mut async_udp = AsyncMemory(MemoryTransport::new());
    assert_no_alloc("static_meter!", || {
        let mut sink = buffer.via(&mut udp);
        for i in 0..200u32 {
            BOOTS.increment(&mut sink);
            TEMP.set(&mut sink, Value::decimal(2150 + i64::from(i % 7) * 25, 2));
            HANDLE_TIME.record_duration(&mut sink, Duration::from_micros(250 + u64::from(i)));
            BYTES_IN.set(&mut sink, u64::from(i) * 48);
        }
        sink.flush().unwrap();
        assert_eq!(buffer.stats().lines_sent, 800);
        assert_eq!(buffer.stats().dropped.total(), 0);
        assert!(udp.len() > 1, "flushed on size");
        assert!(udp.datagrams().all(|d| d.len() <= 1472));
        assert_eq!(udp.last_line(), Some(&b"U:bytesIn:9552"[..]));

        // The buffer alone holds lines (an async task's way); `room` says when to flush.
        BOOTS.increment(&mut buffer);
        TEMP.set(&mut buffer, 21);
        assert_eq!(
            buffer.pending(),
            b"c:boots,board=rev2:1\ng,60:temp,unit=celsius:21"
        );
        assert_eq!(buffer.room(), 1472 - buffer.pending().len() - 1);
        block_on(buffer.flush_async(&mut async_udp)).unwrap();
        assert_eq!(async_udp.0.len(), 1);
        assert!(buffer.pending().is_empty());
    });
}

/// A [`MemoryTransport`] behind an async face: its futures never wait.
struct AsyncMemory(MemoryTransport<1024, 8>);

impl AsyncTransport for AsyncMemory {
    type Error = MemoryError;
    async fn send(&mut self, datagram: &[u8]) -> Result<(), MemoryError> {
        nb::block!(self.0.send(datagram))
    }
}

/// Polls `f` to completion with a no-op waker (allocation-free).
fn block_on<F: core::future::Future>(f: F) -> F::Output {
    let mut f = core::pin::pin!(f);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
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
    let requests = Counter::<Prefix<64>>::for_id(&id).unwrap();
    let mut udp: MemoryTransport<16384, 64> = MemoryTransport::new();
    let mut buffer: LineBuffer<1472> =
        LineBuffer::new().with_flush_interval(Duration::from_secs(5));
    let mut out = [0u8; 4096];

    assert_no_alloc("LineBuffer over MemoryTransport", || {
        // Size-based flushes.
        let mut sink = buffer.via(&mut udp);
        for _ in 0..100 {
            sink.record(&counter);
            requests.increment(&mut sink);
            sink.record(&timer);
        }
        sink.append("c:x:1");
        sink.append(""); // invalid
        sink.append("c:x\n:1"); // invalid
        sink.flush().unwrap();
        assert_eq!(sink.buffer().pending_lines(), 0);
        // Time-based flushes.
        sink.poll(Duration::from_secs(100)).unwrap();
        sink.record(&counter);
        sink.poll(Duration::from_secs(104)).unwrap();
        assert_eq!(sink.buffer().pending_lines(), 1);
        sink.poll(Duration::from_secs(105)).unwrap();
        assert_eq!(sink.buffer().pending_lines(), 0);
        sink.flush().unwrap();
        let stats = *buffer.stats();
        assert_eq!(stats.lines_sent, 302);
        assert_eq!(stats.dropped.invalid, 2);
        assert_eq!(stats.dropped.total(), 2);

        // A line longer than the buffer is dropped; backpressure and failures are counted.
        let long: heapless::String<2000> = core::iter::repeat_n('x', 1500).collect();
        buffer.via(&mut udp).append(&long);
        assert_eq!(buffer.stats().dropped.too_long, 1);
        udp.block(true);
        buffer.via(&mut udp).record(&counter);
        assert_eq!(buffer.flush(&mut udp), Err(nb::Error::WouldBlock));
        udp.block(false);
        udp.fail_next(1, ErrorKind::NoRoute);
        assert_eq!(
            buffer.flush(&mut udp),
            Err(nb::Error::Other(MemoryError::Injected(ErrorKind::NoRoute)))
        );
        assert_eq!(buffer.stats().dropped.send_failed, 1);
        udp.clear();

        // A line longer than a lowered limit, but within the capacity, is sent alone.
        let mut small: LineBuffer<128> = LineBuffer::new().with_max_datagram(32);
        small.via(&mut udp).record(&counter);
        assert_eq!(udp.datagrams().count(), 1);
        assert_eq!(small.stats().lines_sent, 1);
        udp.clear();

        // A limit of 0: every line its own datagram.
        let mut unbuffered: LineBuffer<128> = LineBuffer::new().with_max_datagram(0);
        let mut sink = unbuffered.via(&mut udp);
        sink.record(&counter);
        sink.record(&timer);
        assert_eq!(udp.len(), 2);
        let mut lines = udp.datagrams();
        assert_eq!(
            lines.next(),
            Some(&b"c:server.numRequests,nf.app=www,status=200:1"[..])
        );
        assert_eq!(
            lines.next(),
            Some(&b"t:server.numRequests,nf.app=www,status=200:1e-05"[..])
        );

        // A line too long for even an empty buffer is dropped.
        let mut tiny: LineBuffer<16> = LineBuffer::new();
        let mut t: MemoryTransport<64, 4> = MemoryTransport::new();
        tiny.via(&mut t).record(&counter);
        requests.increment(&mut tiny.via(&mut t));
        assert_eq!(tiny.stats().dropped.too_long, 2);
    });

    assert_no_alloc("LineBuffer over WriteTransport on a slice", || {
        let mut buffer: LineBuffer<128> = LineBuffer::new();
        let mut sink = buffer.via(WriteTransport::new(&mut out[..]));
        for _ in 0..10 {
            sink.record(&counter);
        }
        sink.record(&timer);
        sink.flush().unwrap();
        assert_eq!(buffer.stats().lines_sent, 11);
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
