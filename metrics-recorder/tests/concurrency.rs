//! Four threads updating one gauge (increment/decrement) and one counter, through the macros
//! and through held handles, while the registry reports every few milliseconds: the counter's
//! lines add up to every increment, and the gauge's last line is its exact final value.

use std::time::Duration;

use metrics::{counter, gauge, with_local_recorder};
use spectator_metrics::SpectatorRecorder;

const THREADS: usize = 4;
const ROUNDS: u64 = 50_000;

/// Thread `t`, `ROUNDS` times: gauge +3 (as +1 +2), counter +1, gauge -1; even threads through
/// the macros, odd ones through handles they hold. Each thread leaves the gauge 2 × ROUNDS
/// higher and the counter ROUNDS higher.
fn work(recorder: &SpectatorRecorder, t: usize) {
    with_local_recorder(recorder, || {
        if t.is_multiple_of(2) {
            for _ in 0..ROUNDS {
                gauge!("inflight", "pool" => "main").increment(1.0);
                gauge!("inflight", "pool" => "main").increment(2.0);
                counter!("requests", "pool" => "main").increment(1);
                gauge!("inflight", "pool" => "main").decrement(1.0);
            }
        } else {
            let g = gauge!("inflight", "pool" => "main");
            let c = counter!("requests", "pool" => "main");
            for _ in 0..ROUNDS {
                g.increment(1.0);
                g.increment(2.0);
                c.increment(1);
                g.decrement(1.0);
            }
        }
    });
}

fn values(lines: &[String], prefix: &str) -> Vec<f64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn four_threads_gauge_and_counter_are_exact_with_aggregation() {
    let recorder = SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .aggregate(Duration::from_millis(2))
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let recorder = &recorder;
            s.spawn(move || work(recorder, t));
        }
    });
    recorder.flush();
    let lines = recorder.registry().memory_writer().unwrap().lines();
    let counts = values(&lines, "c:requests,pool=main:");
    let gauges = values(&lines, "g:inflight,pool=main:");
    let total: f64 = counts.iter().sum();
    assert_eq!(
        total,
        (THREADS as u64 * ROUNDS) as f64,
        "{} reports",
        counts.len()
    );
    assert_eq!(
        gauges.last().copied(),
        Some((THREADS as u64 * 2 * ROUNDS) as f64)
    );
    println!(
        "{} counter reports summing to {total}, {} gauge reports, last {:?}",
        counts.len(),
        gauges.len(),
        gauges.last()
    );
    let stats = recorder.registry().stats();
    assert_eq!(stats.aggregated_lines as usize, lines.len());
    assert_eq!(recorder.stats().meters, 2);
}

#[test]
fn four_threads_without_aggregation_the_last_gauge_line_is_the_final_value() {
    let recorder = SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .without_aggregation()
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let recorder = &recorder;
            s.spawn(move || work(recorder, t));
        }
    });
    let lines = recorder.registry().memory_writer().unwrap().lines();
    let counts = values(&lines, "c:requests,pool=main:");
    let gauges = values(&lines, "g:inflight,pool=main:");
    assert_eq!(counts.len() as u64, THREADS as u64 * ROUNDS);
    // At least one line per update; a race adds a line with the newer value.
    assert!(gauges.len() as u64 >= THREADS as u64 * 3 * ROUNDS);
    assert_eq!(
        gauges.last().copied(),
        Some((THREADS as u64 * 2 * ROUNDS) as f64)
    );
    // Every line carried a value the gauge had: between 0 and the most it could reach.
    assert!(gauges
        .iter()
        .all(|v| (1.0..=(THREADS as u64 * 3 * ROUNDS) as f64).contains(v)));
}

/// Many short races: four threads released together by a barrier, a few increments each, on a
/// new gauge per trial. Without the re-check in the gauge's publish, the last line of a trial
/// is now and then a value another thread had already passed.
#[test]
fn racing_gauge_updates_end_on_the_exact_value() {
    const TRIALS: usize = 2_000;
    const STEPS: usize = 8;
    let recorder = SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .without_aggregation()
        .build()
        .unwrap();
    let barrier = std::sync::Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (recorder, barrier) = (&recorder, &barrier);
            s.spawn(move || {
                with_local_recorder(recorder, || {
                    for trial in 0..TRIALS {
                        let g = gauge!("race", "trial" => trial.to_string());
                        barrier.wait();
                        for _ in 0..STEPS {
                            g.increment((t + 1) as f64);
                        }
                    }
                })
            });
        }
    });
    let lines = recorder.registry().memory_writer().unwrap().lines();
    let expected = (STEPS * (1..=THREADS).sum::<usize>()) as f64;
    for trial in 0..TRIALS {
        let values = values(&lines, &format!("g:race,trial={trial}:"));
        assert_eq!(
            values.last().copied(),
            Some(expected),
            "trial {trial}: {values:?}"
        );
    }
}
