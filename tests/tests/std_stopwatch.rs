//! spectator-std's `StopWatch`, `ManualClock` and `time(...)`, through registries writing to
//! memory and to a real Unix socket.

use std::time::Duration;

use spectator_conformance::{drain_unix, unix_listener, TempDir};
use spectator_std::{time, Clock, Config, ManualClock, Registry, StopWatch, SystemClock};

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
    let clock = ManualClock::new(0.0, 0.1);
    {
        let sw = StopWatch::with_clock(&timer, &clock);
        clock.set_monotonic_time(0.3);
        assert_eq!(sw.duration(), 0.19999999999999998);
    } // recorded on drop
    assert_eq!(
        r.memory_writer().unwrap().lines(),
        ["t:x:0.19999999999999998"]
    );

    // stop() records once, now, and returns what it recorded; the drop records nothing more.
    let pct = r.pct_timer("y", &[("k", "v")]);
    clock.set_monotonic_time(1.0);
    let sw = StopWatch::with_clock(&pct, &clock);
    clock.set_monotonic_time(3.5);
    assert_eq!(sw.stop(), 2.5);
    clock.set_monotonic_time(100.0);
    assert_eq!(
        r.memory_writer().unwrap().lines(),
        ["t:x:0.19999999999999998", "T:y,k=v:2.5"]
    );
    // Wall time is independent of monotonic time.
    clock.set_wall_time(1_700_000_000.25);
    assert_eq!(clock.wall_time(), 1_700_000_000.25);
    assert_eq!(clock.monotonic_time(), 100.0);
}

#[test]
fn stopwatch_records_even_when_the_scope_unwinds() {
    let r = memory();
    let timer = r.timer("unwound", &[]);
    let clock = ManualClock::new(0.0, 5.0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _sw = StopWatch::with_clock(&timer, &clock);
        clock.set_monotonic_time(5.5);
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
    let clock = ManualClock::new(0.0, 0.1);
    let sw = StopWatch::with_clock(&timer, &clock);
    clock.set_monotonic_time(0.3);
    drop(sw);
    assert_eq!(
        drain_unix(&listener),
        ["t:request.latency,nf.app=sw,path=_:0.19999999999999998"]
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
    let a = SystemClock.monotonic_time();
    std::thread::sleep(Duration::from_millis(2));
    assert!(SystemClock.monotonic_time() > a);
    // StopWatch::start uses it.
    let sw = StopWatch::start(&timer);
    std::thread::sleep(Duration::from_millis(2));
    let recorded = sw.stop();
    assert!((0.002..5.0).contains(&recorded), "{recorded}");
    assert_eq!(r.memory_writer().unwrap().lines().len(), 2);
}

#[test]
fn owned_stopwatch_moves_into_another_thread() {
    let r = memory();
    let timer = r.timer("moved", &[("k", "v")]);
    // A `'static` clock, so that the stopwatch owning its timer is `'static` too.
    let clock: &'static ManualClock = Box::leak(Box::new(ManualClock::new(0.0, 10.0)));
    let sw: StopWatch<'static, _, ManualClock> = StopWatch::with_clock(timer.clone(), clock);
    std::thread::spawn(move || {
        clock.set_monotonic_time(10.75);
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
