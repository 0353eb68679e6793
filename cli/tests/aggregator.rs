//! The Aggregator driven with explicit times: exact step tables and JSON, and spectatord's
//! semantics for every meter type.

use std::time::Duration;

use spectator_cli::{Aggregator, Nanos, Published, StepReport, MESSAGES_PER_STEP, SECOND};

/// 2023-11-14T22:13:20Z.
const T0: Nanos = 1_700_000_000 * SECOND;

fn agg() -> Aggregator {
    Aggregator::new(Duration::from_secs(5))
}

fn lines(report: &StepReport) -> Vec<String> {
    report.render_table().lines().map(str::to_owned).collect()
}

/// Every row as `type id value`, for compact assertions.
fn rows(report: &StepReport) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|r| format!("{} {} {}", r.kind.name(), r.id, r.value.describe(r.kind)))
        .collect()
}

const FIRST: &str = "\
c:server.requestCount,status=200,country=US:1
c:server.requestCount,country=US,status=200:2
c:server.requestCount,country=US,status=200:-5
c:req count,a b=1:1
c:req_count,a_b=1:1
g,60:queue.size:42
g:queue.size:43
m:queue.max:3
m:queue.max:9
m:queue.max:nan
A:batch.lastSuccess:0
A:batch.epoch:1699999990
t:db.latency:0.25
t:db.latency:-1
t:db.latency:0.5
T:server.requestLatency:0.001
d:server.responseSize:1024
d:server.responseSize:nan
D:pct.size:1.9
D:pct.size:2.9
C:iface.bytes:100
U:iface.packets:18446744073709551610
c:x:1x
g,0:bad:1
S:users:aMOpbGxv
X,1700000000000:sampled:5
g:nan.gauge:nan";

#[test]
fn first_step_table_is_exact() {
    let mut a = agg();
    a.ingest(FIRST.as_bytes(), T0 + SECOND);
    let report = a.step(T0 + 5 * SECOND);
    let expected = [
        "== step 1 at 22:13:25Z (5 s): 27 lines, 25 accepted (1 with a warning), 2 rejected, 1 ignored ==",
        "TYPE                             ID                                         VALUE",
        "age-gauge                        batch.epoch                                age=15.000s",
        "age-gauge                        batch.lastSuccess                          age=4.000s",
        "timer                            db.latency                                 count=2 total=0.75s max=0.5s",
        "percentile-distribution-summary  pct.size                                   count=2 total=3 max=2 p50=2 p90=2.8 p99=2.98 p99.9=2.998",
        "max-gauge                        queue.max                                  max=9",
        "gauge                            queue.size                                 value=43 ttl=60s",
        "counter                          req_count,a_b=1                            rate=0.4/s",
        "counter                          server.requestCount,country=US,status=200  rate=0.6/s",
        "percentile-timer                 server.requestLatency                      count=1 total=0.001s max=0.001s p50=0.001005s p90=0.00104s p99=0.001048s p99.9=0.001048s",
        "distribution-summary             server.responseSize                        count=1 total=1024 max=1024",
        "counter                          x                                          rate=0.2/s",
        "note: accepted with a warning: 'c:x:1x': Got 1 parsing value, ignoring chars starting at x",
        "note: X lines (monotonic sampled sources) are accepted but not shown",
    ];
    assert_eq!(lines(&report), expected);
    assert_eq!(
        a.take_messages(),
        [
            "warning 'c:x:1x': Got 1 parsing value, ignoring chars starting at x",
            "rejected 'g,0:bad:1': Invalid ttl specified for gauge at index 2",
            "rejected 'S:users:aMOpbGxv': Unable to parse value for measurement",
        ]
    );
}

#[test]
fn later_steps_keep_gauges_and_report_monotonic_deltas() {
    let mut a = agg();
    a.ingest(FIRST.as_bytes(), T0 + SECOND);
    a.step(T0 + 5 * SECOND);
    a.ingest(
        b"C:iface.bytes:150\nU:iface.packets:4\nm:queue.max:-inf\ng,1:short:5",
        T0 + 6 * SECOND,
    );
    let report = a.step(T0 + 10 * SECOND);
    assert_eq!(
        lines(&report)[0],
        "== step 2 at 22:13:30Z (5 s): 4 lines, 4 accepted, 0 rejected =="
    );
    assert_eq!(
        rows(&report),
        [
            "age-gauge batch.epoch age=20.000s",
            "age-gauge batch.lastSuccess age=9.000s",
            "monotonic-counter iface.bytes delta=50",
            // 4 - (2^64 - 6) modulo 2^64.
            "monotonic-counter-uint iface.packets delta=10",
            "gauge queue.size value=43 ttl=60s",
            // TTL 1 is raised to spectatord's minimum of 5 s.
            "gauge short value=5 ttl=5s",
        ]
    );
    // A minute later: both gauges have outlived their TTL; nothing changed the monotonic
    // counters; age gauges never expire.
    let report = a.step(T0 + 70 * SECOND);
    assert_eq!(
        rows(&report),
        [
            "age-gauge batch.epoch age=80.000s",
            "age-gauge batch.lastSuccess age=69.000s",
        ]
    );
    assert_eq!(
        lines(&report)[0],
        "== step 3 at 22:14:30Z (5 s): 0 lines =="
    );
}

#[test]
fn empty_step() {
    let mut a = agg();
    let report = a.step(T0);
    assert_eq!(
        report.render_table(),
        "== step 1 at 22:13:20Z (5 s): 0 lines ==\n(nothing published)\n"
    );
}

#[test]
fn counters_ignore_negatives_and_nan_poisons_the_step() {
    let mut a = agg();
    a.ingest(
        b"c:poison:1\nc:poison:nan\nc:neg:-1\nc:zero:0\nc:ok:2.5",
        T0,
    );
    assert_eq!(rows(&a.step(T0 + 5 * SECOND)), ["counter ok rate=0.5/s"]);
    // The sum restarts at 0 every step.
    a.ingest(b"c:poison:1", T0 + 6 * SECOND);
    assert_eq!(
        rows(&a.step(T0 + 10 * SECOND)),
        ["counter poison rate=0.2/s"]
    );
}

#[test]
fn gauge_ttl_is_kept_and_changed_by_options_and_nan_hides_it() {
    let mut a = agg();
    a.ingest(b"g,30:q:1", T0);
    a.ingest(b"g:q:2", T0 + 20 * SECOND);
    // Updated at +20 s with the TTL of 30 s still in force: shown until +50 s.
    assert_eq!(rows(&a.step(T0 + 50 * SECOND)), ["gauge q value=2 ttl=30s"]);
    assert!(a.step(T0 + 51 * SECOND).rows.is_empty());
    // Default TTL: 15 minutes.
    a.ingest(b"g:d:1", T0);
    assert_eq!(rows(&a.step(T0 + 900 * SECOND)), ["gauge d value=1"]);
    assert!(a.step(T0 + 901 * SECOND).rows.is_empty());
    a.ingest(b"g:n:nan\ng:i:inf", T0);
    assert_eq!(rows(&a.step(T0 + SECOND)), ["gauge i value=inf"]);
}

#[test]
fn max_gauge_resets_each_step() {
    let mut a = agg();
    a.ingest(b"m:m:-3\nm:m:-7", T0);
    assert_eq!(rows(&a.step(T0 + 5 * SECOND)), ["max-gauge m max=-3"]);
    assert!(a.step(T0 + 10 * SECOND).rows.is_empty());
}

#[test]
fn timers_are_nanoseconds_and_drop_negatives() {
    let mut a = agg();
    a.ingest(
        b"t:t:1e-05\nt:t:-0.0\nt:t:nan\nt:t:-1\nT:p:2\nT:p:1e300",
        T0,
    );
    let report = a.step(T0 + 5 * SECOND);
    // -0.0 is 0 ns and counts; NaN and 1e300 become INT64_MIN ns and are dropped, as with
    // spectatord's static_cast on x86-64. The percentile timer still buckets 1e300's INT64_MIN
    // clamped to 1 ns: half its values are in the bucket (1, 2] ns.
    assert_eq!(
        rows(&report),
        [
            "percentile-timer p count=1 total=2s max=2s p50=2e-09s p90=2.076s p99=2.14s p99.9=2.147s",
            "timer t count=2 total=1e-05s max=1e-05s",
        ]
    );
}

#[test]
fn distribution_summaries() {
    let mut a = agg();
    a.ingest(b"d:d:0.5\nd:d:1.5\nd:d:-1\nD:p:0.9\nD:p:-0.5\nD:p:7.99", T0);
    assert_eq!(
        rows(&a.step(T0 + 5 * SECOND)),
        [
            "distribution-summary d count=2 total=2 max=1.5",
            // -0.5 truncates to 0, which counts. Buckets: two values in (0, 1], one in (7, 8]:
            // p50 = 0.75 of the way to 1, p90 = 7 + (90 - 66.7) / 33.3.
            "percentile-distribution-summary p count=3 total=7 max=7 p50=0.75 p90=7.7 p99=7.97 p99.9=7.997",
        ]
    );
}

#[test]
fn monotonic_counters_drop_negative_deltas_and_u64_overflow_shows_zero() {
    let mut a = agg();
    a.ingest(b"C:c:100\nU:u:10", T0);
    assert!(a.step(T0 + 5 * SECOND).rows.is_empty(), "baseline");
    a.ingest(b"C:c:90\nU:u:5", T0 + 6 * SECOND);
    // C: 90 - 100 < 0: dropped. U: 5 - 10 wraps to 2^64 - 5 > 2^63: published as 0.
    assert_eq!(
        rows(&a.step(T0 + 10 * SECOND)),
        ["monotonic-counter-uint u delta=0"]
    );
    a.ingest(b"C:c:91.5\nU:u:5", T0 + 11 * SECOND);
    assert_eq!(
        rows(&a.step(T0 + 15 * SECOND)),
        ["monotonic-counter c delta=1.5"]
    );
}

#[test]
fn idle_meters_are_forgotten_after_15_minutes() {
    let mut a = agg();
    a.ingest(b"C:c:10", T0);
    a.step(T0 + 5 * SECOND);
    a.step(T0 + 16 * 60 * SECOND);
    // A new baseline: no delta of 10.
    a.ingest(b"C:c:20", T0 + 16 * 60 * SECOND + 1);
    assert!(a.step(T0 + 16 * 60 * SECOND + 5 * SECOND).rows.is_empty());
    a.ingest(b"C:c:25", T0 + 17 * 60 * SECOND);
    assert_eq!(
        rows(&a.step(T0 + 17 * 60 * SECOND + 1)),
        ["monotonic-counter c delta=5"]
    );
}

#[test]
fn age_gauges_take_epoch_seconds_or_now() {
    let mut a = agg();
    a.ingest(b"A:a:1699999999.5\nA:n:0", T0 + SECOND);
    assert_eq!(
        rows(&a.step(T0 + 2 * SECOND)),
        ["age-gauge a age=2.500s", "age-gauge n age=1.000s"]
    );
}

#[test]
fn ids_are_sanitized_per_byte_and_last_tag_wins() {
    let mut a = agg();
    a.ingest(
        "c:café,k=1,k=2:1\nc:caf__,k=2:1\nc:n,b=1,a=2:1".as_bytes(),
        T0,
    );
    assert_eq!(
        rows(&a.step(T0 + SECOND)),
        [
            "counter caf__,k=2 rate=0.4/s",
            "counter n,a=2,b=1 rate=0.2/s"
        ]
    );
}

#[test]
fn datagram_edge_cases_follow_spectatord() {
    let mut a = agg();
    // A datagram starting with a newline: one rejected empty line. Blank lines are skipped.
    a.ingest(b"\n\nc:a:1\n\n\nc:a:1\n", T0);
    // A trailing ',' reads the value from the next line (spectatord reads past the line).
    a.ingest(b"c:n,\n5", T0);
    let report = a.step(T0 + SECOND);
    assert_eq!(report.counts.rejected, 2, "{:?}", report.rejected);
    assert_eq!(
        rows(&report),
        // Rates divide by the step length (5 s), whenever the step is ended.
        ["counter a rate=0.4/s", "counter n rate=1/s"]
    );
}

#[test]
fn messages_are_capped_per_step() {
    let mut a = agg();
    let bad = "bad\n".repeat(MESSAGES_PER_STEP + 50);
    a.ingest(bad.as_bytes(), T0);
    assert_eq!(a.take_messages().len(), MESSAGES_PER_STEP);
    let report = a.step(T0 + SECOND);
    assert_eq!(report.counts.rejected, (MESSAGES_PER_STEP + 50) as u64);
    assert_eq!(report.rejected.len(), MESSAGES_PER_STEP);
    assert_eq!(
        report.rejected[0].message,
        "Expecting separator ':' at index 1"
    );
    a.ingest(b"bad", T0);
    assert_eq!(a.take_messages().len(), 1, "a new step, new messages");
}

#[test]
fn json_report_has_the_documented_schema() {
    let mut a = agg();
    a.ingest(FIRST.as_bytes(), T0 + SECOND);
    let json = a.step(T0 + 5 * SECOND).to_json();
    // Through text, as `--json` prints it.
    let json: serde_json::Value = serde_json::from_str(&json.to_string()).unwrap();
    assert_eq!(json["step"], 1);
    assert_eq!(json["time_ms"], 1_700_000_005_000i64);
    assert_eq!(json["step_seconds"], 5.0);
    assert_eq!(json["datagrams"], 1);
    assert_eq!(json["bytes"], FIRST.len());
    assert_eq!(
        json["lines"],
        serde_json::json!({"total": 27, "accepted": 25, "warnings": 1, "rejected": 2, "ignored": 1})
    );
    let meters = json["meters"].as_array().unwrap();
    let find = |id: &str, kind: &str| {
        meters
            .iter()
            .find(|m| m["id"] == id && m["type"] == kind)
            .unwrap_or_else(|| panic!("{kind} {id} in {meters:?}"))
            .clone()
    };
    assert_eq!(
        find("server.requestCount,country=US,status=200", "counter"),
        serde_json::json!({
            "type": "counter", "symbol": "c", "id": "server.requestCount,country=US,status=200",
            "name": "server.requestCount", "tags": {"country": "US", "status": "200"},
            "rate": 0.6, "sum": 3.0
        })
    );
    let gauge = find("queue.size", "gauge");
    assert_eq!(
        (gauge["value"].as_f64(), gauge["ttl_seconds"].as_i64()),
        (Some(43.0), Some(60))
    );
    let timer = find("db.latency", "timer");
    assert_eq!(
        (
            &timer["count"],
            &timer["total"],
            &timer["max"],
            &timer["symbol"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(0.75),
            &serde_json::json!(0.5),
            &serde_json::json!("t")
        )
    );
    assert_eq!(find("batch.epoch", "age-gauge")["value"], 15.0);
    assert_eq!(find("queue.max", "max-gauge")["value"], 9.0);
    assert_eq!(meters.len(), 11);
    assert_eq!(
        json["rejected"],
        serde_json::json!([
            {"line": "g,0:bad:1", "error": "Invalid ttl specified for gauge at index 2"},
            {"line": "S:users:aMOpbGxv", "error": "Unable to parse value for measurement"}
        ])
    );
    assert_eq!(
        json["warnings"],
        serde_json::json!([{"line": "c:x:1x", "warning": "Got 1 parsing value, ignoring chars starting at x"}])
    );
    // Monotonic deltas and non-finite numbers.
    let mut a = agg();
    a.ingest(b"U:u:1\ng:g:-inf", T0);
    a.step(T0 + SECOND);
    a.ingest(b"U:u:3", T0 + 2 * SECOND);
    let json = a.step(T0 + 3 * SECOND).to_json();
    assert_eq!(json["meters"][0]["value"], "-inf");
    assert_eq!(json["meters"][1]["delta"], 2.0);
    assert_eq!(json["meters"][1]["type"], "monotonic-counter-uint");
}

#[test]
fn published_values_are_typed() {
    let mut a = agg();
    a.ingest(b"c:c:10", T0);
    let report = a.step(T0 + 5 * SECOND);
    assert_eq!(
        report.rows[0].value,
        Published::Rate {
            rate: 2.0,
            sum: 10.0
        }
    );
}

#[test]
fn percentiles_per_step_as_atlas_estimates_them() {
    let mut a = agg();
    // 100 requests: 1 ms to 100 ms.
    let lines: Vec<String> = (1..=100)
        .map(|ms| format!("T:lat:{}", ms as f64 / 1000.0))
        .collect();
    a.ingest(lines.join("\n").as_bytes(), T0);
    a.ingest(b"t:plain:0.5\nD:bytes:100\nD:bytes:1000", T0);
    let report = a.step(T0 + 5 * SECOND);
    assert_eq!(
        rows(&report),
        [
            "percentile-distribution-summary bytes count=2 total=1100 max=1000 p50=106 p90=1006 p99=1022 p99.9=1024",
            "percentile-timer lat count=100 total=5.05s max=0.1s p50=0.05033s p90=0.09151s p99=0.1098s p99.9=0.1116s",
            "timer plain count=1 total=0.5s max=0.5s",
        ]
    );
    let json = report.to_json();
    let meters = json["meters"].as_array().unwrap();
    let pct = &meters[1]["percentiles"];
    assert_eq!(
        pct.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["p50", "p90", "p99", "p99.9"]
    );
    // Seconds, within the buckets' resolution (a third of a power of 4) of the true
    // percentiles.
    for (name, truth) in [("p50", 0.050), ("p90", 0.090), ("p99", 0.099)] {
        let estimate = pct[name].as_f64().unwrap();
        assert!((estimate - truth).abs() / truth < 0.15, "{name} {estimate}");
    }
    assert!(
        meters[2].get("percentiles").is_none(),
        "plain timers have none"
    );
    // The buckets restart every step.
    a.ingest(b"T:lat:1", T0 + 6 * SECOND);
    assert_eq!(
        rows(&a.step(T0 + 10 * SECOND)),
        ["percentile-timer lat count=1 total=1s max=1s p50=1.029s p90=1.065s p99=1.073s p99.9=1.074s"]
    );
    assert!(a.step(T0 + 15 * SECOND).rows.is_empty());
}

#[test]
fn negative_percentile_timer_values_land_in_the_1_ns_bucket() {
    // spectatord's Timer ignores them, its PercentileTimer clamps them to 1 ns: Atlas gets
    // percentile counters and no count.
    let mut a = agg();
    a.ingest(b"T:neg:-1", T0);
    let report = a.step(T0 + 5 * SECOND);
    assert_eq!(
        rows(&report),
        ["percentile-timer neg count=0 total=0s max=0s p50=1.5e-09s p90=1.9e-09s p99=1.99e-09s p99.9=1.999e-09s"]
    );
    // A negative D value is dropped before it is bucketed.
    a.ingest(b"D:neg:-1", T0);
    assert!(a.step(T0 + 10 * SECOND).rows.is_empty());
}

#[test]
fn ids_atlas_drops_are_listed_once_per_step() {
    let mut a = agg();
    let long_name = "n".repeat(256);
    let datagram = format!(
        "c:ok.name,status=200:1\nc:x,k=v:1\nc:x,k=v:2\ng:x,k=v:3\nc:{long_name}:1\nc:y,key=:1\nc:z,{}=v:1",
        "k".repeat(61)
    );
    a.ingest(datagram.as_bytes(), T0);
    let report = a.step(T0 + 5 * SECOND);
    assert_eq!(report.counts.invalid_for_atlas, 6);
    let table = lines(&report);
    assert_eq!(
        table[0],
        "== step 1 at 22:13:25Z (5 s): 7 lines, 7 accepted, 0 rejected, 6 with ids Atlas drops =="
    );
    let notes: Vec<&str> = table
        .iter()
        .filter(|l| l.starts_with("note: "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        notes,
        [
            format!("note: Atlas drops '{long_name}': name is 256 characters long; Atlas accepts 1 to 255"),
            "note: Atlas drops 'x,k=v': tag key 'k' is 1 character long; Atlas accepts 2 to 60".into(),
            "note: Atlas drops 'y,key=': value of tag 'key' is 0 characters long; Atlas accepts 1 to 120".into(),
            format!("note: Atlas drops 'z,{}=v': tag key '{}' is 61 characters long; Atlas accepts 2 to 60", "k".repeat(61), "k".repeat(60) + "…"),
        ]
    );
    let json = report.to_json();
    assert_eq!(
        json["invalid_for_atlas"][1],
        serde_json::json!({"id": "x,k=v", "reason": "tag key 'k' is 1 character long; Atlas accepts 2 to 60"})
    );
    assert_eq!(json["invalid_for_atlas"].as_array().unwrap().len(), 4);
    // The next step lists only the ids that got lines in it.
    a.ingest(b"c:x,k=v:1\nc:ok.name,status=200:1", T0 + 6 * SECOND);
    let report = a.step(T0 + 10 * SECOND);
    assert_eq!(
        report.invalid_for_atlas,
        [spectator_cli::InvalidId {
            id: "x,k=v".into(),
            reason: "tag key 'k' is 1 character long; Atlas accepts 2 to 60".into()
        }]
    );
    assert!(a.step(T0 + 15 * SECOND).invalid_for_atlas.is_empty());
    // Sanitizing comes first: 'é' becomes '__', 2 characters.
    a.ingest("c:n,é=v:1".as_bytes(), T0 + 16 * SECOND);
    assert!(a.step(T0 + 20 * SECOND).invalid_for_atlas.is_empty());
}

#[test]
fn unknown_types_log_the_value_warning_before_the_rejection() {
    let mut a = agg();
    a.ingest(b"S:x:5x\nS:x:5\nc:ok:1", T0);
    assert_eq!(
        a.take_messages(),
        [
            "warning 'S:x:5x': While parsing x:5x: Got 5 parsing value, ignoring chars starting at x",
            "rejected 'S:x:5x': Unknown type: S",
            "rejected 'S:x:5': Unknown type: S",
        ]
    );
    let report = a.step(T0 + 5 * SECOND);
    assert_eq!((report.counts.rejected, report.counts.warnings), (2, 0));
    assert_eq!(
        lines(&report).last().unwrap(),
        "note: rejected after a warning: 'S:x:5x': While parsing x:5x: Got 5 parsing value, ignoring chars starting at x; then Unknown type: S"
    );
    assert_eq!(
        report.to_json()["rejected"],
        serde_json::json!([
            {"line": "S:x:5x", "error": "Unknown type: S",
             "warning": "While parsing x:5x: Got 5 parsing value, ignoring chars starting at x"},
            {"line": "S:x:5", "error": "Unknown type: S"}
        ])
    );
}
