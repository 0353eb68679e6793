//! Every mapping of the crate documentation's table, through the real `metrics` macros into a
//! `memory` registry: the exact lines, each accepted by spectatord's parser without a warning.

use std::time::Duration;

use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
    with_local_recorder, Unit,
};
use spectator_core::parse::spectatord;
use spectator_metrics::{Builder, Error, SpectatorRecorder};
use spectator_std::{Config, Registry};

/// A builder for a `memory` recorder whose aggregation the test drives with `flush` (the
/// interval is an hour: the background report never runs during a test).
fn memory() -> Builder {
    SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .config(|c| c.spectatord_step(Duration::from_secs(7200)))
        .aggregate(Duration::from_secs(3600))
}

/// The lines written since the last call, sorted (an aggregation report's order is the
/// map's), each checked against spectatord's parser.
fn take_lines(recorder: &SpectatorRecorder) -> Vec<String> {
    let writer = recorder.registry().memory_writer().unwrap();
    let mut lines = writer.lines();
    writer.clear();
    for line in &lines {
        match spectatord::parse_line(line.as_bytes()) {
            Ok(accepted) => assert!(accepted.warning.is_none(), "{line}: {accepted:?}"),
            Err(e) => panic!("spectatord rejects {line:?}: {e}"),
        }
    }
    lines.sort();
    lines
}

fn report(recorder: &SpectatorRecorder) -> Vec<String> {
    recorder.flush();
    take_lines(recorder)
}

#[test]
fn counter_increments_are_summed_into_one_line_per_interval() {
    let r = memory().build().unwrap();
    with_local_recorder(&r, || {
        counter!("requests", "status" => "200").increment(1);
        counter!("requests", "status" => "200").increment(2);
        counter!("requests", "status" => "500").increment(1);
        counter!("requests", "status" => "404").increment(0); // nothing
        let held = counter!("requests", "status" => "200");
        held.increment(4);
    });
    assert_eq!(
        report(&r),
        ["c:requests,status=200:7", "c:requests,status=500:1"]
    );
    assert!(report(&r).is_empty(), "nothing since the last report");
    with_local_recorder(&r, || {
        counter!("requests", "status" => "200").increment(u64::MAX)
    });
    assert_eq!(report(&r), ["c:requests,status=200:18446744073709551615"]);
    assert_eq!(r.stats().meters, 3);
}

#[test]
fn counter_absolute_is_a_monotonic_counter_of_the_same_id() {
    let r = memory().common_tag("nf.app", "www").build().unwrap();
    with_local_recorder(&r, || {
        counter!("bytes.in", "if" => "eth0").absolute(1000);
        counter!("bytes.in", "if" => "eth0").absolute(1500);
    });
    assert_eq!(report(&r), ["U:bytes.in,if=eth0,nf.app=www:1500"]);
    with_local_recorder(&r, || {
        counter!("bytes.in", "if" => "eth0").absolute(u64::MAX);
        // increment and absolute on one key: two meters of one id.
        counter!("bytes.in", "if" => "eth0").increment(3);
    });
    assert_eq!(
        report(&r),
        [
            "U:bytes.in,if=eth0,nf.app=www:18446744073709551615",
            "c:bytes.in,if=eth0,nf.app=www:3"
        ]
    );
}

#[test]
fn gauges_carry_the_handles_current_value() {
    let r = memory().build().unwrap();
    with_local_recorder(&r, || {
        gauge!("inflight").increment(1.0);
        gauge!("inflight").increment(2.0);
        gauge!("inflight").decrement(1.0);
        gauge!("queue.size", "q" => "in").set(42.0);
        gauge!("ratio").set(0.25);
    });
    assert_eq!(
        report(&r),
        ["g:inflight:2", "g:queue.size,q=in:42", "g:ratio:0.25"]
    );
    with_local_recorder(&r, || {
        gauge!("inflight").decrement(0.5);
        gauge!("queue.size", "q" => "in").increment(1.0); // from the value set
    });
    assert_eq!(report(&r), ["g:inflight:1.5", "g:queue.size,q=in:43"]);
    with_local_recorder(&r, || gauge!("inflight").set(f64::NAN));
    assert_eq!(report(&r), ["g:inflight:nan"]);
}

#[test]
fn histograms_are_distribution_summaries_one_line_per_value() {
    let r = memory().build().unwrap();
    with_local_recorder(&r, || {
        describe_histogram!("response.size", Unit::Bytes, "not a time unit");
        histogram!("response.size").record(1024.0);
        histogram!("response.size").record(0.5);
        histogram!("response.size").record(-1.0); // dropped by the filter
        histogram!("response.size", "route" => "/play").record(3.0);
    });
    assert_eq!(
        take_lines(&r),
        [
            "d:response.size,route=_play:3",
            "d:response.size:0.5",
            "d:response.size:1024"
        ]
    );
}

#[test]
fn time_unit_histograms_are_timers_in_exact_seconds() {
    let r = memory().build().unwrap();
    with_local_recorder(&r, || {
        describe_histogram!("lat.s", Unit::Seconds, "seconds");
        describe_histogram!("lat.ms", Unit::Milliseconds, "milliseconds");
        describe_histogram!("lat.us", Unit::Microseconds, "microseconds");
        describe_histogram!("lat.ns", Unit::Nanoseconds, "nanoseconds");
        histogram!("lat.s").record(0.25);
        histogram!("lat.s").record(2.0);
        histogram!("lat.ms").record(250.0);
        histogram!("lat.ms").record(1.5);
        histogram!("lat.us").record(19.646);
        histogram!("lat.us").record(250.0);
        histogram!("lat.ns").record(19_646.0);
        histogram!("lat.ns").record(1.0);
        histogram!("lat.ms").record(-3.0); // dropped by the filter
        histogram!("lat.s").record(std::time::Duration::from_micros(250)); // the facade's f64
    });
    assert_eq!(
        take_lines(&r),
        [
            "t:lat.ms:0.0015",
            "t:lat.ms:0.25",
            "t:lat.ns:1.9646e-05",
            "t:lat.ns:1e-09",
            "t:lat.s:0.00025",
            "t:lat.s:0.25",
            "t:lat.s:2",
            "t:lat.us:0.00025",
            "t:lat.us:1.9646e-05",
        ]
    );
}

#[test]
fn percentiles_only_for_the_names_and_prefixes_opted_in() {
    let r = memory()
        .percentiles_for("server.requestLatency")
        .percentiles_for_prefix("db.")
        .build()
        .unwrap();
    with_local_recorder(&r, || {
        describe_histogram!("server.requestLatency", Unit::Milliseconds, "");
        describe_histogram!("db.query", Unit::Seconds, "");
        describe_histogram!("other.latency", Unit::Seconds, "");
        histogram!("server.requestLatency").record(12.0);
        histogram!("server.requestLatency2").record(12.0); // not the name
        histogram!("db.query").record(0.5);
        histogram!("db.rows").record(7.0);
        histogram!("other.latency").record(0.5);
        histogram!("other.size").record(7.0);
    });
    assert_eq!(
        take_lines(&r),
        [
            "D:db.rows:7",
            "T:db.query:0.5",
            "T:server.requestLatency:0.012",
            "d:other.size:7",
            "d:server.requestLatency2:12",
            "t:other.latency:0.5",
        ]
    );
}

#[test]
fn describing_a_time_unit_after_first_use_applies_to_the_next_macro_calls() {
    let r = memory().build().unwrap();
    with_local_recorder(&r, || {
        histogram!("latency").record(5.0);
        let held = histogram!("latency");
        describe_histogram!("latency", Unit::Milliseconds, "");
        describe_histogram!("latency", Unit::Milliseconds, "same again: nothing changes");
        histogram!("latency").record(5.0);
        held.record(5.0); // a handle taken before keeps its type
                          // Counter and gauge units change nothing.
        describe_counter!("requests", Unit::Count, "");
        describe_gauge!("inflight", Unit::Count, "");
        counter!("requests").increment(1);
    });
    assert_eq!(
        take_lines(&r),
        ["d:latency:5", "d:latency:5", "t:latency:0.005"]
    );
    assert_eq!(report(&r), ["c:requests:1"]);
    assert_eq!(r.stats().meters, 2);
}

#[test]
fn labels_are_sanitized_tags_and_common_tags_win_then_the_environment() {
    let r = memory()
        .common_tag("nf.app", "www")
        .common_tag("region", "eu-west-1")
        .config(|c| c.env([("NETFLIX_PROCESS_NAME", "worker")]))
        .build()
        .unwrap();
    with_local_recorder(&r, || {
        let title = String::from("Stranger Things");
        counter!("plays", "title" => title, "country" => "Am\u{e9}lie").increment(1);
        counter!("plays", "nf.app" => "mine", "empty" => "").increment(1);
        counter!("plays", "nf.process" => "mine").increment(1);
        counter!("my metric/with:odd=chars").increment(1);
    });
    assert_eq!(
        report(&r),
        [
            "c:my_metric_with_odd_chars,nf.app=www,nf.process=worker,region=eu-west-1:1",
            "c:plays,country=Am_lie,nf.app=www,nf.process=worker,region=eu-west-1,title=Stranger_Things:1",
            "c:plays,nf.app=www,nf.process=worker,region=eu-west-1:2",
        ]
    );
    // Two keys, one id: both folded into one aggregated line.
    assert_eq!(r.stats().meters, 4);
}

#[test]
fn without_aggregation_every_update_is_a_line() {
    let r = memory().without_aggregation().build().unwrap();
    with_local_recorder(&r, || {
        counter!("requests").increment(1);
        counter!("requests").increment(2);
        counter!("total").absolute(10);
        gauge!("inflight").increment(1.0);
        gauge!("inflight").increment(1.0);
        gauge!("inflight").decrement(1.0);
    });
    let lines = r.registry().memory_writer().unwrap().lines();
    assert_eq!(
        lines,
        [
            "c:requests:1",
            "c:requests:2",
            "U:total:10",
            "g:inflight:1",
            "g:inflight:2",
            "g:inflight:1"
        ]
    );
}

#[test]
fn new_over_a_registry_uses_its_configuration() {
    let config = Config::builder()
        .location("memory")
        .extra_common_tag("nf.app", "www")
        .without_env()
        .build()
        .unwrap();
    let registry = Registry::new(config).unwrap();
    let r = SpectatorRecorder::new(registry.clone());
    with_local_recorder(&r, || {
        counter!("requests").increment(1);
        counter!("requests").increment(1);
        histogram!("size").record(3.0);
    });
    // No aggregation on this registry: a line per update.
    assert_eq!(
        registry.memory_writer().unwrap().lines(),
        [
            "c:requests,nf.app=www:1",
            "c:requests,nf.app=www:1",
            "d:size,nf.app=www:3"
        ]
    );
    assert_eq!(r.stats().created, 2);
}

#[test]
fn the_background_report_sends_aggregated_lines_every_interval() {
    let r = SpectatorRecorder::builder()
        .location("memory")
        .without_env()
        .aggregate(Duration::from_millis(20))
        .build()
        .unwrap();
    with_local_recorder(&r, || counter!("requests").increment(5));
    let writer = r.registry().memory_writer().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while writer.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(writer.lines(), ["c:requests:5"]);
    let stats = r.registry().stats();
    assert_eq!((stats.aggregated_updates, stats.aggregated_lines), (1, 1));
}

#[test]
fn configuration_errors_are_errors() {
    let b = || SpectatorRecorder::builder().without_env();
    assert!(matches!(
        b().location("nowhere").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        b().location("memory")
            .aggregate(Duration::from_secs(5))
            .build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        b().location("memory")
            .idle_timeout(Some(Duration::ZERO))
            .build(),
        Err(Error::ZeroIdleTimeout)
    ));
    assert!(matches!(
        b().location("memory").max_meters(0).build(),
        Err(Error::ZeroMaxMeters)
    ));
    assert!(matches!(
        b().location("memory").percentiles_for_prefix("").build(),
        Err(Error::EmptyPercentileName)
    ));
    let e = b().location("udp://127.0.0.1").build().unwrap_err();
    assert!(e.to_string().contains("port"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
    assert!(b().location("memory").idle_timeout(None).build().is_ok());
}

/// One thread, two recorders, the same keys: each call reaches its own recorder's meters
/// (the per-thread cache of handles is per recorder).
#[test]
fn two_recorders_on_one_thread_keep_their_meters_apart() {
    let (a, b) = (memory().build().unwrap(), memory().build().unwrap());
    for i in 1..=3 {
        with_local_recorder(&a, || counter!("requests").increment(i));
        with_local_recorder(&b, || counter!("requests").increment(10 * i));
        with_local_recorder(&a, || gauge!("level").increment(1.0));
    }
    assert_eq!(report(&a), ["c:requests:6", "g:level:3"]);
    assert_eq!(report(&b), ["c:requests:60"]);
}
