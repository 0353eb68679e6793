//! Hot-path benchmarks of `spectator-core`.
//!
//! Run with `cargo bench -p spectator-core`. Criterion measures every case first; then a small
//! manual timing loop (batches of 10,000 iterations of every case, interleaved round after
//! round for 5 s; the best batch's mean) prints one `summary:` line per case with the figure in ns and, where the issue sets one, the ratio to
//! the target:
//!
//! * a two-tag counter's `increment` through a `Sender` (the meter's filter, its prefix
//!   copied, the value's digits written into the pending datagram, the datagram sent through a
//!   transport that discards it when full): at most 16 ns;
//! * the same for a timer's `record` of a float value: at most 50 ns.
//!
//! The timer with the same value as an exact decimal (a `Duration`, no floating point), the
//! other cases (a `Measurement` recorded through a `Sender`, parsing with spectator-py's and
//! spectatord's rules, building an id, sanitizing) are for information.
//! Extra arguments go to criterion (e.g. a name filter, which the summary ignores); the summary
//! runs only under `cargo bench`, not when `cargo test --benches` smoke-tests the cases.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use spectator_core::meters::{Counter, Timer};
use spectator_core::parse::python::parse_protocol_line;
use spectator_core::parse::spectatord::parse_line;
use spectator_core::sanitize::write_sanitized;
use spectator_core::{
    LineBuffer, Measurement, MemoryTransport, MeterId, MeterKind, Prefix, Transport, Value,
};

const NAME: &str = "server.numRequests";
const TAGS: [(&str, &str); 2] = [("nf.app", "www"), ("status", "200")];
const COUNTER_LINE: &str = "c:server.numRequests,nf.app=www,status=200:1";
const TIMER_VALUE: f64 = 0.0123456789;
const TIMER_DURATION: Duration = Duration::from_nanos(12_345_679);
const DIRTY_NAME: &str = "server requests/sec (café) #1";

/// A transport that throws every datagram away, so a `LineBuffer` benchmark measures the
/// append and the amortized flush only.
#[derive(Clone, Copy)]
struct Discard;

impl Transport for Discard {
    type Error = Infallible;

    #[inline]
    fn send(&mut self, datagram: &[u8]) -> nb::Result<(), Infallible> {
        black_box(datagram);
        Ok(())
    }
}

type Id = MeterId<64, 4>;
type Line = heapless::String<128>;
/// A meter's line prefix, rendered once from the run-time id.
type P = Prefix<80>;

/// Everything the cases need, built once outside the timed code.
struct Fixture {
    id: Id,
    counter: Counter<P>,
    timer: Timer<P>,
    line: Line,
    buffer: LineBuffer<1472>,
}

impl Fixture {
    fn new() -> Self {
        let id = Id::new(NAME, &TAGS).expect("the id fits");
        let mut fixture = Self {
            counter: Counter::for_id(&id).expect("the prefix fits"),
            timer: Timer::for_id(&id).expect("the prefix fits"),
            id,
            line: Line::new(),
            buffer: LineBuffer::new(),
        };
        // Check once that the cases produce what they claim to measure.
        let mut udp: MemoryTransport<1024, 8> = MemoryTransport::new();
        let mut buffer: LineBuffer<1472> = LineBuffer::new().with_max_datagram(0);
        let mut sender = buffer.via(&mut udp);
        fixture.counter.increment(&mut sender);
        fixture.timer.record(&mut sender, TIMER_VALUE);
        fixture.timer.record_duration(&mut sender, TIMER_DURATION);
        sender.record(&counter(&fixture.id));
        let sent: Vec<&[u8]> = udp.datagrams().collect();
        assert_eq!(
            sent,
            [
                COUNTER_LINE.as_bytes(),
                b"t:server.numRequests,nf.app=www,status=200:0.0123456789",
                b"t:server.numRequests,nf.app=www,status=200:0.012345679",
                COUNTER_LINE.as_bytes(),
            ]
        );
        write_sanitized(&mut fixture.line, DIRTY_NAME).unwrap();
        assert_eq!(fixture.line, "server_requests_sec__caf____1");
        assert!(parse_protocol_line(COUNTER_LINE).is_ok());
        assert!(parse_line(COUNTER_LINE.as_bytes()).is_ok());
        fixture
    }
}

fn counter(id: &Id) -> Measurement<'_> {
    Measurement::new(MeterKind::Counter, id.spectatord_id(), Value::Int(1))
}

// The timed steps. Inputs go through `black_box` so nothing is folded at compile time; the
// lines land in the fixture's buffer, which the transport's `black_box` keeps observable.

fn counter_line(f: &mut Fixture) {
    black_box(&f.counter).increment(&mut f.buffer.via(Discard));
}

fn timer_line(f: &mut Fixture) {
    black_box(&f.timer).record(&mut f.buffer.via(Discard), black_box(TIMER_VALUE));
}

fn timer_line_duration(f: &mut Fixture) {
    black_box(&f.timer).record_duration(&mut f.buffer.via(Discard), black_box(TIMER_DURATION));
}

fn parse_python(_: &mut Fixture) {
    let _ = black_box(parse_protocol_line(black_box(COUNTER_LINE)));
}

fn parse_spectatord(_: &mut Fixture) {
    let _ = black_box(parse_line(black_box(COUNTER_LINE.as_bytes())));
}

fn buffer_record(f: &mut Fixture) {
    let m = counter(&f.id);
    f.buffer.via(Discard).record(black_box(&m));
}

fn meter_id_new(_: &mut Fixture) {
    let _ = black_box(Id::new(black_box(NAME), black_box(&TAGS)));
}

fn sanitize_dirty(f: &mut Fixture) {
    f.line.clear();
    let _ = write_sanitized(&mut f.line, black_box(DIRTY_NAME));
    black_box(&f.line);
}

/// Something that takes the cases one by one: criterion, or the summary loop. Steps are
/// passed as generic function items, so both call them statically, like user code would.
trait Visitor {
    /// Runs `step`; `target_ns` is the target, if it sets one.
    fn case(
        &mut self,
        name: &'static str,
        target_ns: Option<f64>,
        step: impl FnMut(&mut Fixture) + 'static,
    );
}

fn visit_cases(v: &mut impl Visitor) {
    v.case("counter_line_2_tags", Some(16.0), counter_line);
    v.case("timer_line_float", Some(50.0), timer_line);
    v.case("timer_line_duration_decimal", None, timer_line_duration);
    v.case("parse_python_counter_line", None, parse_python);
    v.case("parse_spectatord_counter_line", None, parse_spectatord);
    v.case("line_buffer_record_counter", None, buffer_record);
    v.case("meter_id_new_2_tags", None, meter_id_new);
    v.case("sanitize_dirty_name", None, sanitize_dirty);
}

struct CriterionRun<'c> {
    criterion: &'c mut Criterion,
    fixture: Fixture,
}

impl Visitor for CriterionRun<'_> {
    fn case(
        &mut self,
        name: &'static str,
        _: Option<f64>,
        mut step: impl FnMut(&mut Fixture) + 'static,
    ) {
        let fixture = &mut self.fixture;
        self.criterion
            .bench_function(name, |b| b.iter(|| step(fixture)));
    }
}

/// Prints, for each step, the best mean in ns of a batch of `ITERATIONS` calls. The batches of
/// all steps are interleaved, round after round, for [`SUMMARY_TIME`]: on a shared machine the
/// speed changes for seconds at a time (other tenants, frequency), and interleaving gives every
/// step batches in the fast periods, so the minimum is the uncontended cost.
#[derive(Default)]
struct Summary {
    steps: Vec<SummaryStep>,
}

struct SummaryStep {
    name: &'static str,
    target_ns: Option<f64>,
    /// Runs one timed batch (the step is called statically inside) and returns ns per call.
    batch: Box<dyn FnMut(&mut Fixture) -> f64>,
    best_ns: f64,
}

/// How long the interleaved summary rounds run.
const SUMMARY_TIME: Duration = Duration::from_secs(5);

impl Visitor for Summary {
    fn case(
        &mut self,
        name: &'static str,
        target_ns: Option<f64>,
        mut step: impl FnMut(&mut Fixture) + 'static,
    ) {
        const ITERATIONS: u32 = 10_000;
        let batch = move |fixture: &mut Fixture| {
            let start = Instant::now();
            for _ in 0..ITERATIONS {
                step(fixture);
            }
            start.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
        };
        self.steps.push(SummaryStep {
            name,
            target_ns,
            batch: Box::new(batch),
            best_ns: f64::INFINITY,
        });
    }
}

impl Summary {
    fn report(mut self) {
        let mut fixture = Fixture::new();
        let start = Instant::now();
        let mut rounds = 0;
        while rounds < 20 || (start.elapsed() < SUMMARY_TIME && rounds < 2_000) {
            for step in &mut self.steps {
                step.best_ns = step.best_ns.min((step.batch)(&mut fixture));
            }
            rounds += 1;
        }
        for SummaryStep {
            name,
            target_ns,
            best_ns: ns,
            ..
        } in self.steps
        {
            match target_ns {
                Some(target) => println!(
                    "summary: {name} {ns:.1} ns (target {target} ns, {:.2}x)",
                    ns / target
                ),
                None => println!("summary: {name} {ns:.1} ns"),
            }
        }
        println!("summary: best batch of {rounds} interleaved rounds");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` and `--list` do not.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    visit_cases(&mut CriterionRun {
        criterion: &mut c,
        fixture: Fixture::new(),
    });
    c.final_summary();
    if benchmarking {
        let mut summary = Summary::default();
        visit_cases(&mut summary);
        summary.report();
    }
}
