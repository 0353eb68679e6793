//! `spectator demo` in its short mode: runs to completion over loopback UDP and prints one step
//! table per step with the workload's meters.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `spectator demo ARGS`, killing it after 60 s.
fn demo(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spectator"))
        .arg("demo")
        .args(args)
        .env("SPECTATOR_OUTPUT_LOCATION", "memory") // ignored by the demo
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn short_demo_prints_two_tables_and_exits_0() {
    let out = demo(&["--seconds", "2", "--step", "1"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let tables: Vec<&str> = stdout.split("== step ").skip(1).collect();
    assert_eq!(tables.len(), 2, "{stdout}");
    for (i, table) in tables.iter().enumerate() {
        assert!(table.starts_with(&format!("{} at ", i + 1)), "{table}");
        for row in [
            "counter               server.requestCount,country=US,nf.app=spectator-demo,status=200,title=Stranger_Things,version=v1  rate=",
            "counter               server.requestCount,country=unknown,nf.app=spectator-demo,status=400,title=Narcos,version=v1      rate=",
            "percentile-timer      server.requestLatency,nf.app=spectator-demo  ",
            "distribution-summary  server.responseSize,nf.app=spectator-demo  ",
            "gauge                 server.requestsInFlight,nf.app=spectator-demo  ",
            "age-gauge             demo.timeSinceLastRefresh,nf.app=spectator-demo  ",
        ] {
            let row = row.split_whitespace().collect::<Vec<_>>();
            assert!(
                table.lines().any(|l| l.split_whitespace().take(2).eq(row.iter().take(2).copied())),
                "{row:?} in\n{table}"
            );
        }
    }
    assert!(
        stderr.contains("rejected 'g,0:demo.queueSize,nf.app=spectator-demo:3': Invalid ttl specified for gauge at index 2"),
        "{stderr}"
    );
    assert!(stderr.contains("1 rejected"), "{stderr}");
}

#[test]
fn json_demo() {
    let out = demo(&["--seconds", "1", "--step", "1", "--json"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let steps: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps.len(), 1);
    let meters = steps[0]["meters"].as_array().unwrap();
    assert!(meters
        .iter()
        .any(|m| m["name"] == "server.requestCount" && m["tags"]["nf.app"] == "spectator-demo"));
    assert_eq!(steps[0]["lines"]["rejected"], 1);
}
