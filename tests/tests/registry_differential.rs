//! Differential test of the std registry against spectator-py 1.2.1: extra common tags,
//! environment tags (`NETFLIX_CONTAINER_NAME`, `TITUS_CONTAINER_NAME`, `NETFLIX_PROCESS_NAME`),
//! `new_id` + `with_tag` + `*_with_id`, and the factories, byte for byte.

use std::process::Command;

use serde_json::Value as Json;
use spectator_conformance::{oracle_python, workspace_root};
use spectator_std::{Config, Registry};

fn cases() -> Vec<Json> {
    let python = oracle_python();
    let out = Command::new(&python)
        .arg(workspace_root().join("tests/oracle/gen_registry_cases.py"))
        .args(["--count", "3000", "--seed", "20261122"])
        .env_remove("SPECTATOR_OUTPUT_LOCATION")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the spectator-py oracle with {python:?} ({e}); run scripts/setup.sh")
        });
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn pairs(v: &Json) -> Vec<(&str, &str)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect()
}

enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Json) -> Num {
    match v["t"].as_str().unwrap() {
        "i64" => Num::I(v["v"].as_str().unwrap().parse().unwrap()),
        _ => Num::F(f64::from_bits(
            u64::from_str_radix(v["bits"].as_str().unwrap(), 16).unwrap(),
        )),
    }
}

fn run(case: &Json) -> Option<String> {
    let env: Vec<(String, String)> = case["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let config = Config::builder()
        .location("memory")
        .extra_common_tags(pairs(&case["extra"]))
        .env(env)
        .build()
        .unwrap();
    let registry = Registry::new(config).unwrap();
    let name = case["name"].as_str().unwrap();
    let tags = pairs(&case["tags"]);
    let ttl = case["ttl"].as_u64().map(|t| u32::try_from(t).unwrap());
    let id = (case["via"] == "new_id").then(|| {
        let id = registry.new_id(name, &tags).unwrap();
        match case["with_tag"].as_array() {
            Some(kv) => id
                .with_tag(kv[0].as_str().unwrap(), kv[1].as_str().unwrap())
                .unwrap(),
            None => id,
        }
    });
    macro_rules! call {
        ($factory:ident, $with_id:ident, $op:ident) => {{
            let meter = match &id {
                Some(id) => registry.$with_id(id),
                None => registry.$factory(name, &tags),
            };
            match num(&case["value"]) {
                Num::I(v) => meter.$op(v),
                Num::F(v) => meter.$op(v),
            }
        }};
    }
    match case["meter"].as_str().unwrap() {
        "counter" => call!(counter, counter_with_id, increment_by),
        "max_gauge" => call!(max_gauge, max_gauge_with_id, set),
        "monotonic_counter" => call!(monotonic_counter, monotonic_counter_with_id, set),
        "age_gauge" => call!(age_gauge, age_gauge_with_id, set),
        "timer" => call!(timer, timer_with_id, record),
        "pct_timer" => call!(pct_timer, pct_timer_with_id, record),
        "distribution_summary" => call!(distribution_summary, distribution_summary_with_id, record),
        "pct_distribution_summary" => call!(
            pct_distribution_summary,
            pct_distribution_summary_with_id,
            record
        ),
        "gauge" => {
            let gauge = match (&id, ttl) {
                (Some(id), Some(ttl)) => registry.gauge_with_id_and_ttl(id, ttl),
                (Some(id), None) => registry.gauge_with_id(id),
                (None, Some(ttl)) => registry.gauge_with_ttl(name, &tags, ttl),
                (None, None) => registry.gauge(name, &tags),
            };
            match num(&case["value"]) {
                Num::I(v) => gauge.set(v),
                Num::F(v) => gauge.set(v),
            }
        }
        other => panic!("unknown meter {other}"),
    }
    registry.memory_writer().unwrap().last_line()
}

#[test]
fn registry_lines_are_byte_identical_to_spectator_py() {
    let cases = cases();
    assert!(cases.len() >= 3000);
    let mismatches: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = run(case);
            (got.as_deref() != case["expected"].as_str()).then(|| format!("{case}\n   got {got:?}"))
        })
        .collect();
    println!(
        "registry differential: {} cases, {} mismatches",
        cases.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{}",
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}
