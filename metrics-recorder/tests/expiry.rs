//! Idle expiry and the meter cap, with a `ManualClock`: the test moves the clock and calls
//! `sweep()` itself (the background sweep runs every 15 s of real time, after these tests).
//!
//! With an idle timeout of 60 s, sweeps are 15 s apart and a meter goes at the first sweep
//! 75 s or more after the sweep before its last update.

use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, histogram, with_local_recorder};
use spectator_metrics::{RecorderStats, SpectatorRecorder};
use spectator_std::ManualClock;

const S: fn(u64) -> Duration = Duration::from_secs;

fn recorder(clock: &Arc<ManualClock>, max_meters: usize) -> SpectatorRecorder {
    SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .config(|c| c.spectatord_step(S(7200)))
        .aggregate(S(3600))
        .idle_timeout(Some(S(60)))
        .max_meters(max_meters)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// Moves the clock to `t` seconds and sweeps, as the background thread would.
fn at(r: &SpectatorRecorder, clock: &ManualClock, t: u64) -> usize {
    clock.set_monotonic(S(t));
    r.sweep()
}

fn report(r: &SpectatorRecorder) -> Vec<String> {
    r.flush();
    let writer = r.registry().memory_writer().unwrap();
    let mut lines = writer.lines();
    writer.clear();
    lines.sort();
    lines
}

#[test]
fn idle_meters_expire_and_come_back_fresh() {
    let clock = Arc::new(ManualClock::default());
    let r = recorder(&clock, 100);
    with_local_recorder(&r, || {
        counter!("requests").increment(1);
        gauge!("inflight").increment(3.0);
        histogram!("size").record(10.0);
    });
    assert_eq!(at(&r, &clock, 15), 0);
    assert_eq!(at(&r, &clock, 50), 0);
    with_local_recorder(&r, || counter!("requests").increment(1)); // seen at 50
    assert_eq!(at(&r, &clock, 74), 0);
    assert_eq!(
        at(&r, &clock, 75),
        2,
        "the gauge and the histogram, idle since 0"
    );
    assert_eq!(at(&r, &clock, 124), 0);
    assert_eq!(at(&r, &clock, 125), 1, "the counter, idle since 50");
    assert_eq!(
        r.stats(),
        RecorderStats {
            meters: 0,
            created: 3,
            expired: 3,
            refused: 0,
            dropped_updates: 0
        }
    );
    assert_eq!(report(&r), ["c:requests:2", "d:size:10", "g:inflight:3"]);

    // Back: a new gauge starts from 0; the counter's sum from the new updates.
    with_local_recorder(&r, || {
        gauge!("inflight").increment(1.0);
        counter!("requests").increment(5);
    });
    assert_eq!(report(&r), ["c:requests:5", "g:inflight:1"]);
    assert_eq!(r.stats().meters, 2);
}

#[test]
fn a_meter_updated_through_a_held_handle_is_not_idle() {
    let clock = Arc::new(ManualClock::default());
    let r = recorder(&clock, 100);
    let held = with_local_recorder(&r, || counter!("held"));
    for t in (15..=600).step_by(15) {
        held.increment(1);
        assert_eq!(at(&r, &clock, t), 0);
    }
    assert_eq!(report(&r), ["c:held:40"]);
}

#[test]
fn a_held_handle_is_kept_however_idle_until_dropped() {
    let clock = Arc::new(ManualClock::default());
    let r = recorder(&clock, 100);
    let held = with_local_recorder(&r, || {
        gauge!("pool.size").set(8.0);
        gauge!("pool.size")
    });
    assert_eq!(
        at(&r, &clock, 3600),
        0,
        "held elsewhere: kept, with its value"
    );
    with_local_recorder(&r, || gauge!("pool.size").increment(1.0));
    assert_eq!(report(&r), ["g:pool.size:9"]);
    drop(held);
    assert_eq!(at(&r, &clock, 3674), 0, "updated at 3600");
    assert_eq!(at(&r, &clock, 3675), 1);
}

#[test]
fn without_idle_timeout_meters_stay() {
    let clock = Arc::new(ManualClock::default());
    let r = SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .idle_timeout(None)
        .clock(clock.clone())
        .build()
        .unwrap();
    with_local_recorder(&r, || counter!("requests").increment(1));
    assert_eq!(at(&r, &clock, 1_000_000), 0);
    assert_eq!(r.stats().meters, 1);
}

#[test]
fn the_meter_cap_refuses_new_keys_and_counts_their_updates() {
    let clock = Arc::new(ManualClock::default());
    let r = recorder(&clock, 2);
    with_local_recorder(&r, || {
        counter!("requests", "user" => "1").increment(1);
        gauge!("inflight").set(1.0);
        // The cap is reached: new keys of any type are refused.
        counter!("requests", "user" => "2").increment(1);
        counter!("requests", "user" => "3").absolute(7);
        histogram!("size").record(3.0);
        gauge!("queue").increment(1.0);
        // Existing keys go on.
        counter!("requests", "user" => "1").increment(1);
    });
    assert_eq!(
        r.stats(),
        RecorderStats {
            meters: 2,
            created: 2,
            expired: 0,
            refused: 4,
            dropped_updates: 4
        }
    );
    assert_eq!(report(&r), ["c:requests,user=1:2", "g:inflight:1"]);

    // Once the idle meters are gone, there is room again.
    assert_eq!(at(&r, &clock, 75), 2);
    with_local_recorder(&r, || counter!("requests", "user" => "2").increment(1));
    assert_eq!(report(&r), ["c:requests,user=2:1"]);
    let s = r.stats();
    assert_eq!((s.meters, s.created, s.expired, s.refused), (1, 3, 2, 4));
}

#[test]
fn concurrent_registrations_never_exceed_the_cap() {
    let clock = Arc::new(ManualClock::default());
    let r = recorder(&clock, 50);
    std::thread::scope(|s| {
        for t in 0..4 {
            let r = &r;
            s.spawn(move || {
                with_local_recorder(r, || {
                    for i in 0..100 {
                        counter!("c", "i" => (i * 7 + t * 13).to_string()).increment(1);
                    }
                })
            });
        }
    });
    let s = r.stats();
    assert_eq!(s.meters, 50);
    assert_eq!(s.created, 50);
    assert_eq!(s.refused, s.dropped_updates);
    assert_eq!(report(&r).len(), 50);
}
