//! `spectator send`: the exact line for every meter type (location `stdout`), other locations,
//! and invalid input (exit code 2, a clear message on stderr, nothing sent).

use std::net::UdpSocket;
use std::process::{Command, Output};
use std::time::Duration;

fn spectator(location: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spectator"));
    cmd.arg("send").args(args);
    for var in [
        "NETFLIX_CONTAINER_NAME",
        "TITUS_CONTAINER_NAME",
        "NETFLIX_PROCESS_NAME",
        "SPECTATOR_OUTPUT_LOCATION",
    ] {
        cmd.env_remove(var);
    }
    if let Some(location) = location {
        cmd.env("SPECTATOR_OUTPUT_LOCATION", location);
    }
    cmd.output().expect("spectator runs")
}

/// The stdout of a successful `send` to `stdout`.
fn line(args: &[&str]) -> String {
    let out = spectator(Some("stdout"), args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_meter_writes_the_library_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["counter", "server.numRequests", "--tag", "id=failed", "1"],
            "c:server.numRequests,id=failed:1",
        ),
        (&["counter", "x", "1.0"], "c:x:1.0"),
        (&["counter", "x", "0.5"], "c:x:0.5"),
        (
            &["gauge", "queue.size", "--ttl", "60", "--tag", "k=v", "42"],
            "g,60:queue.size,k=v:42",
        ),
        (&["gauge", "g", "nan"], "g:g:nan"),
        (&["gauge", "g", "-inf"], "g:g:-inf"),
        (&["gauge", "g", "inf"], "g:g:inf"),
        (
            &["gauge", "g", "9223372036854775808"],
            "g:g:9223372036854775808",
        ),
        (
            &["gauge", "g", "-9223372036854775808"],
            "g:g:-9223372036854775808",
        ),
        (&["max-gauge", "m", "-1.5"], "m:m:-1.5"),
        (
            &["age-gauge", "time.sinceLastSuccess", "now"],
            "A:time.sinceLastSuccess:0",
        ),
        (&["age-gauge", "a", "1700000000"], "A:a:1700000000"),
        (&["age-gauge", "a", "1700000000.25"], "A:a:1700000000.25"),
        (&["monotonic-counter", "c", "1e16"], "C:c:1e+16"),
        (&["monotonic-counter", "c", "-3"], "C:c:-3"),
        (
            &["monotonic-counter-uint", "bytes", "-1"],
            "U:bytes:18446744073709551615",
        ),
        (
            &["monotonic-counter-uint", "bytes", "18446744073709551615"],
            "U:bytes:18446744073709551615",
        ),
        (&["monotonic-counter-uint", "bytes", "42"], "U:bytes:42"),
        (
            &["distribution-summary", "server.responseSize", "1024"],
            "d:server.responseSize:1024",
        ),
        (&["percentile-distribution-summary", "p", "1.9"], "D:p:1.9"),
        (&["timer", "latency", "0.00001"], "t:latency:1e-05"),
        (&["timer", "latency", "-0.0"], "t:latency:-0.0"),
        (
            &["percentile-timer", "server.requestLatency", "0.25"],
            "T:server.requestLatency:0.25",
        ),
        (
            &["distinct-count-sketch", "users", "héllo"],
            "S:users:aMOpbGxv",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(line(args), format!("{expected}\n"), "{args:?}");
    }
}

#[test]
fn ids_follow_the_library_rules() {
    // Sanitized per character; tags sorted by key; extra common tags win over user tags.
    assert_eq!(
        line(&["counter", "my café", "--tag", "k k=v/v", "--tag", "a=1", "1"]),
        "c:my_caf_,a=1,k_k=v_v:1\n"
    );
    assert_eq!(
        line(&[
            "counter",
            "x",
            "--tag",
            "a=1",
            "--common-tag",
            "nf.app=www",
            "--common-tag",
            "a=2",
            "1"
        ]),
        "c:x,a=2,nf.app=www:1\n"
    );
    // Environment tags, as the library reads them.
    let out = Command::new(env!("CARGO_BIN_EXE_spectator"))
        .args(["send", "counter", "x", "1"])
        .env("SPECTATOR_OUTPUT_LOCATION", "stdout")
        .env("NETFLIX_CONTAINER_NAME", "web")
        .env_remove("TITUS_CONTAINER_NAME")
        .env_remove("NETFLIX_PROCESS_NAME")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c:x,nf.container=web:1\n"
    );
}

#[test]
fn filtered_values_send_nothing_and_say_so() {
    for (meter, value) in [
        ("counter", "0"),
        ("counter", "-1"),
        ("timer", "-1"),
        ("distribution-summary", "nan"),
    ] {
        let out = spectator(Some("stdout"), &[meter, "x", value]);
        assert!(out.status.success());
        assert!(out.stdout.is_empty(), "{meter} {value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nothing sent"),
            "{meter} {value}"
        );
    }
}

#[test]
fn udp_by_default_location_and_file() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let location = format!("udp://{}", receiver.local_addr().unwrap());
    let out = spectator(Some(&location), &["gauge", "q", "--ttl", "5", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let mut buf = [0u8; 256];
    let n = receiver.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"g,5:q:3");

    let dir = std::env::temp_dir().join(format!("spectator-send-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lines.txt");
    let _ = std::fs::remove_file(&file);
    let location = format!("file://{}", file.display());
    assert!(spectator(Some(&location), &["counter", "a", "1"])
        .status
        .success());
    assert!(spectator(Some(&location), &["counter", "b", "2"])
        .status
        .success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "c:a:1\nc:b:2\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_send_that_fails_exits_1() {
    let path = std::env::temp_dir().join(format!(
        "spectator-send-missing-{}.sock",
        std::process::id()
    ));
    let out = spectator(
        Some(&format!("unix://{}", path.display())),
        &["counter", "x", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not be sent to unix://"), "{stderr}");
}

/// Runs an invalid `send` and returns its stderr after checking exit code 2 and no output.
fn invalid(location: &str, args: &[&str]) -> String {
    let out = spectator(Some(location), args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn invalid_input_exits_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["bogus", "x", "1"], "invalid value 'bogus' for '<METER>'"),
        (
            &["counter", "x", "abc"],
            "spectator send: invalid value 'abc': expected a number",
        ),
        (&["counter", "x", "1x"], "invalid value '1x'"),
        (&["counter", "x", "0x10"], "invalid value '0x10'"),
        (
            &["counter", "x", "18446744073709551616"],
            "integers must fit in 64 bits",
        ),
        (
            &["counter", "x", "--tag", "novalue", "1"],
            "invalid tag 'novalue': expected KEY=VALUE",
        ),
        (&["counter", "x", "--tag", "=v", "1"], "invalid tag '=v'"),
        (
            &["counter", "x", "--common-tag", "k=", "1"],
            "invalid tag 'k='",
        ),
        (
            &["gauge", "x", "--ttl", "0", "1"],
            "spectator send: --ttl must be at least 1 second",
        ),
        (&["gauge", "x", "--ttl", "-5", "1"], "--ttl"),
        (
            &["counter", "x", "--ttl", "5", "1"],
            "spectator send: --ttl applies only to gauge",
        ),
        (
            &["counter", "", "1"],
            "spectator send: the meter name must not be empty",
        ),
        (
            &["monotonic-counter-uint", "x", "1.5"],
            "monotonic-counter-uint takes an integer",
        ),
        (&["age-gauge", "x", "later"], "invalid value 'later'"),
        (&["counter", "x"], "required"),
    ];
    for (args, message) in cases {
        let stderr = invalid("stdout", args);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn invalid_locations_exit_2() {
    let stderr = invalid("memory", &["counter", "x", "1"]);
    assert!(
        stderr.contains("SPECTATOR_OUTPUT_LOCATION=memory keeps lines inside the process"),
        "{stderr}"
    );
    let stderr = invalid("bogus", &["counter", "x", "1"]);
    assert!(
        stderr.contains("SPECTATOR_OUTPUT_LOCATION is invalid: bogus"),
        "{stderr}"
    );
    let stderr = invalid("udp://localhost", &["counter", "x", "1"]);
    assert!(stderr.contains("has no port"), "{stderr}");
}

#[test]
fn tags_may_begin_with_a_hyphen_in_the_separate_form() {
    assert_eq!(
        line(&["counter", "x", "--tag", "-k=v", "--tag", "k2=-v", "1"]),
        "c:x,-k=v,k2=-v:1\n"
    );
    assert_eq!(
        line(&["counter", "x", "--common-tag", "-c=-d", "--tag=-e=f", "1"]),
        "c:x,-c=-d,-e=f:1\n"
    );
    // A negative value still reads as the value after the options.
    assert_eq!(
        line(&["gauge", "g", "--tag", "-k=v", "-2"]),
        "g:g,-k=v:-2\n"
    );
}

#[test]
fn meter_types_come_from_meter_kind() {
    let out = Command::new(env!("CARGO_BIN_EXE_spectator"))
        .args(["send", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for kind in spectator_core::MeterKind::ALL {
        let entry = format!("{}: {}", char::from(kind.symbol()), kind.description());
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {}:", kind.name())))
            .unwrap_or_else(|| panic!("{} in\n{help}", kind.name()));
        assert!(line.ends_with(&entry), "{line}");
    }
    // The filter's note names the kind and its filter.
    let out = spectator(Some("stdout"), &["percentile-timer", "x", "-1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "spectator send: nothing sent: a percentile-timer sends only values >= 0 (like spectator-py), not -1\n"
    );
}
