//! spectator-std's `StopWatch`, `ManualClock` and `time(...)`, through registries writing to
//! memory and to a real Unix socket. Times are `Duration`s, recorded as exact decimal seconds.

mod common;

use std::time::Duration;

use common::{drain_unix, unix_listener, TempDir};
use spectator_std::{time, Clock, Config, ManualClock, Registry, StopWatch, SystemClock};

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn memory() -> Registry {
    Registry::new(
        Config::builder()
            .location("memory")
            .env([("NO_SUCH_VARIABLE", "")])
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn stopwatch_with_a_manual_clock_exact_line() {
    let r = memory();
    let timer = r.timer("x", &[]);
    let clock = ManualClock::new(Duration::ZERO, ms(100));
    {
        let sw = StopWatch::with_clock(&timer, &clock);
        clock.set_monotonic(ms(300));
        assert_eq!(sw.duration(), ms(200));
    } // recorded on drop
    assert_eq!(r.memory_writer().unwrap().lines(), ["t:x:0.2"]);

    // stop() records once, now, and returns what it recorded; the drop records nothing more.
    let pct = r.pct_timer("y", &[("k", "v")]);
    clock.set_monotonic(ms(1000));
    let sw = StopWatch::with_clock(&pct, &clock);
    clock.set_monotonic(ms(3500));
    assert_eq!(sw.stop(), ms(2500));
    clock.set_monotonic(ms(100_000));
    assert_eq!(
        r.memory_writer().unwrap().lines(),
        ["t:x:0.2", "T:y,k=v:2.5"]
    );
    // Wall time is independent of monotonic time.
    clock.set_wall(Duration::new(1_700_000_000, 250_000_000));
    assert_eq!(clock.wall(), Duration::new(1_700_000_000, 250_000_000));
    assert_eq!(clock.monotonic(), ms(100_000));
    // advance() moves both.
    clock.advance(Duration::from_nanos(1));
    assert_eq!(clock.wall(), Duration::new(1_700_000_000, 250_000_001));
    assert_eq!(clock.monotonic(), Duration::new(100, 1));
}

/// The web example's request latency: 19,646 ns is written exactly, where subtracting two `f64`
/// timestamps wrote `1.96459999999999e-05`; and the process's uptime changes nothing.
#[test]
fn stopwatch_records_exact_nanoseconds_at_any_uptime() {
    let r = memory();
    let timer = r.pct_timer("server.requestLatency", &[("nf.app", "web-server-example")]);
    let a_year = Duration::from_secs(365 * 24 * 3600);
    for uptime in [ms(1), a_year] {
        let clock = ManualClock::new(Duration::ZERO, uptime);
        let sw = StopWatch::with_clock(&timer, &clock);
        clock.advance(Duration::from_nanos(19_646));
        assert_eq!(sw.stop(), Duration::from_nanos(19_646));
    }
    assert_eq!(
        r.memory_writer().unwrap().lines(),
        [
            "T:server.requestLatency,nf.app=web-server-example:1.9646e-05",
            "T:server.requestLatency,nf.app=web-server-example:1.9646e-05"
        ]
    );
}

#[test]
fn stopwatch_records_even_when_the_scope_unwinds() {
    let r = memory();
    let timer = r.timer("unwound", &[]);
    let clock = ManualClock::new(Duration::ZERO, ms(5000));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _sw = StopWatch::with_clock(&timer, &clock);
        clock.set_monotonic(ms(5500));
        panic!("work failed");
    }));
    assert!(result.is_err());
    assert_eq!(r.memory_writer().unwrap().lines(), ["t:unwound:0.5"]);
}

#[test]
fn stopwatch_over_a_real_unix_socket() {
    let dir = TempDir::new("sw-unix");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let r = Registry::new(
        Config::builder()
            .location(&format!("unix://{}", path.display()))
            .extra_common_tag("nf.app", "sw")
            .without_env()
            .build()
            .unwrap(),
    )
    .unwrap();
    let timer = r.timer("request.latency", &[("path", "/")]);
    let clock = ManualClock::new(Duration::ZERO, ms(100));
    let sw = StopWatch::with_clock(&timer, &clock);
    clock.set_monotonic(ms(300));
    drop(sw);
    assert_eq!(
        drain_unix(&listener),
        ["t:request.latency,nf.app=sw,path=_:0.2"]
    );
}

#[test]
fn time_closure_form_returns_the_value_and_records_the_elapsed_time() {
    let r = memory();
    let timer = r.timer("work", &[]);
    let answer = time(&timer, || {
        std::thread::sleep(Duration::from_millis(20));
        6 * 7
    });
    assert_eq!(answer, 42);
    let lines = r.memory_writer().unwrap().lines();
    assert_eq!(lines.len(), 1);
    let seconds: f64 = lines[0]
        .strip_prefix("t:work:")
        .unwrap_or_else(|| panic!("{lines:?}"))
        .parse()
        .unwrap();
    assert!((0.02..5.0).contains(&seconds), "{seconds}");

    // The system clock's monotonic time moves forward.
    let a = SystemClock.monotonic();
    std::thread::sleep(ms(2));
    assert!(SystemClock.monotonic() > a);
    // StopWatch::start uses it.
    let sw = StopWatch::start(&timer);
    std::thread::sleep(ms(2));
    let recorded = sw.stop();
    assert!((ms(2)..ms(5000)).contains(&recorded), "{recorded:?}");
    assert_eq!(r.memory_writer().unwrap().lines().len(), 2);
}

#[test]
fn owned_stopwatch_moves_into_another_thread() {
    let r = memory();
    let timer = r.timer("moved", &[("k", "v")]);
    // A `'static` clock, so that the stopwatch owning its timer is `'static` too.
    let clock: &'static ManualClock =
        Box::leak(Box::new(ManualClock::new(Duration::ZERO, ms(10_000))));
    let sw: StopWatch<'static, _, ManualClock> = StopWatch::with_clock(timer.clone(), clock);
    std::thread::spawn(move || {
        clock.set_monotonic(ms(10_750));
        drop(sw);
    })
    .join()
    .unwrap();
    let owned = StopWatch::start(timer);
    std::thread::spawn(move || drop(owned)).join().unwrap();
    let lines = r.memory_writer().unwrap().lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], "t:moved,k=v:0.75");
    assert!(lines[1].starts_with("t:moved,k=v:"), "{lines:?}");
}
