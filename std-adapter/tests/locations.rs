//! spectator-std end to end, one location at a time, over real loopback sockets and files
//! (spec §6, §3.4): exact lines, exact `ConfigError`s and messages, and
//! `SPECTATOR_OUTPUT_LOCATION` precedence (injected with `ConfigBuilder::env`). stdout, stderr
//! and the global registry, which need a process of their own, are in `child_process.rs`.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::{drain_unix, recv_datagrams, udp_listener, unix_listener, TempDir, NO_ENV};
use spectator_std::{Config, ConfigError, Location, Registry, Stats, LOCATION_ENV};

fn registry(location: &str) -> Registry {
    let config = Config::builder()
        .location(location)
        .env(NO_ENV)
        .build()
        .unwrap_or_else(|e| panic!("{location}: {e}"));
    Registry::new(config).unwrap_or_else(|e| panic!("{location}: {e}"))
}

/// The same known set of updates for every location, and the lines they must produce.
fn write_known_lines(r: &Registry) {
    r.counter("server.numRequests", &[("id", "failed"), ("status", "500")])
        .increment();
    r.gauge_with_ttl("queue.size", &[], 60).set(42);
    r.timer("request.latency", &[("path", "/a b")]).record(0.25);
    r.distribution_summary("response.size", &[]).record(1024);
    r.counter("skipped", &[]).increment_by(0); // counters write only values > 0
    r.max_gauge("temp.max", &[]).set(-1.5);
}

const KNOWN_LINES: [&str; 5] = [
    "c:server.numRequests,id=failed,status=500:1",
    "g,60:queue.size:42",
    "t:request.latency,path=_a_b:0.25",
    "d:response.size:1024",
    "m:temp.max:-1.5",
];

fn bytes(lines: &[&str]) -> u64 {
    lines.iter().map(|l| l.len() as u64).sum()
}

fn udp_end_to_end(listener: &UdpSocket) {
    listener
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let location = format!("udp://{addr}");
    let r = registry(&location);
    assert_eq!(r.config().location(), &Location::Udp(addr));
    assert_eq!(r.config().location().to_string(), location);
    write_known_lines(&r);
    // Unbuffered: one datagram per line, no trailing newline.
    let got = recv_datagrams(|b| listener.recv(b), 5, Duration::from_secs(2));
    assert_eq!(got, KNOWN_LINES, "{location}");
    let extra = recv_datagrams(|b| listener.recv(b), 1, Duration::from_millis(200));
    assert!(extra.is_empty(), "{extra:?}");
    let s = r.stats();
    assert_eq!(
        (
            s.lines_sent,
            s.datagrams_sent,
            s.bytes_sent,
            s.dropped.total()
        ),
        (5, 5, bytes(&KNOWN_LINES), 0)
    );
}

#[test]
fn udp_ipv4_to_a_bound_listener() {
    udp_end_to_end(&udp_listener().0);
}

#[test]
fn udp_ipv6_to_a_bound_listener() {
    let listener = match UdpSocket::bind("[::1]:0") {
        Ok(l) => l,
        Err(e) => {
            println!("NOTE: skipping the IPv6 test, cannot bind [::1]: {e}");
            return;
        }
    };
    let port = listener.local_addr().unwrap().port();
    let location = format!("udp://[::1]:{port}");
    let r = registry(&location);
    assert_eq!(r.config().location().to_string(), location);
    drop(r);
    udp_end_to_end(&listener);
}

#[test]
fn unix_to_a_bound_listener() {
    let dir = TempDir::new("loc-unix");
    let path = dir.join("spectatord.unix");
    let listener = unix_listener(&path);
    let location = format!("unix://{}", path.display());
    let r = registry(&location);
    assert_eq!(r.config().location(), &Location::Unix(path.clone()));
    write_known_lines(&r);
    let got = recv_datagrams(|b| listener.recv(b), 5, Duration::from_secs(2));
    assert_eq!(got, KNOWN_LINES);
    assert!(drain_unix(&listener).is_empty());
    let s = r.stats();
    assert_eq!((s.lines_sent, s.datagrams_sent, s.send_errors), (5, 5, 0));
}

#[test]
fn unix_without_a_listener_counts_send_failures() {
    let dir = TempDir::new("loc-nolisten");
    let r = registry(&format!("unix://{}", dir.join("absent.unix").display()));
    write_known_lines(&r);
    let s = r.stats();
    assert_eq!(
        (s.lines_sent, s.send_errors, s.dropped.send_failed),
        (0, 5, 5)
    );
}

#[test]
fn file_appends_across_two_registries() {
    let dir = TempDir::new("loc-file");
    let path = dir.join("metrics.txt");
    std::fs::write(&path, "existing line\n").unwrap();
    let location = format!("file://{}", path.display());

    let first = registry(&location);
    write_known_lines(&first);
    // Buffered: nothing is guaranteed on disk before a flush, close or drop.
    first.close();
    first.counter("after.close", &[]).increment(); // dropped
    drop(first);

    let second = registry(&location);
    second.counter("second.registry", &[]).increment();
    drop(second); // flush on drop, no close()

    let mut expected = String::from("existing line\n");
    for line in KNOWN_LINES {
        expected.push_str(line);
        expected.push('\n');
    }
    expected.push_str("c:second.registry:1\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[test]
fn file_percent_decoded_path() {
    let dir = TempDir::new("loc-file%");
    let path = dir.join("my metrics.txt");
    let location = format!("file://{}/my%20metrics.txt", dir.path().display());
    let r = registry(&location);
    assert_eq!(r.config().location(), &Location::File(path.clone()));
    r.counter("x", &[]).increment();
    r.close();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "c:x:1\n");
}

#[test]
fn file_in_a_missing_directory_is_an_open_error() {
    let dir = TempDir::new("loc-missing");
    let path = dir.join("missing/metrics.txt");
    let location = format!("file://{}", path.display());
    let config = Config::builder()
        .location(&location)
        .env(NO_ENV)
        .build()
        .expect("the location itself is valid");
    let err = Registry::new(config).expect_err("the directory does not exist");
    match &err {
        ConfigError::Open(l, e) => {
            assert_eq!(l, &location);
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
            assert_eq!(e.raw_os_error(), Some(2));
        }
        other => panic!("not an open error: {other:?}"),
    }
    // The operating system's error is the source, not flattened into a string.
    let source = std::error::Error::source(&err).expect("the io::Error");
    assert_eq!(
        source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound)
    );
    assert_eq!(err.clone(), err);
    assert_eq!(
        err.to_string(),
        format!("cannot open spectatord output {location}: No such file or directory (os error 2)")
    );
    assert!(!path.exists());
}

#[test]
fn none_sends_nothing_and_nothing_fails() {
    let r = registry("none");
    assert_eq!(r.config().location(), &Location::None);
    write_known_lines(&r);
    r.flush();
    assert!(r.memory_writer().is_none());
    assert_eq!(r.stats(), Stats::default());
    r.close();
    assert_eq!(r.stats(), Stats::default());
}

#[test]
fn memory_keeps_exact_lines() {
    let r = registry("memory");
    write_known_lines(&r);
    let writer = r.memory_writer().expect("a memory registry");
    assert_eq!(writer.lines(), KNOWN_LINES);
    assert_eq!(writer.last_line().as_deref(), Some("m:temp.max:-1.5"));
    writer.clear();
    assert!(writer.is_empty());
}

// ---- environment precedence and configuration errors ------------------------------------------

#[test]
fn env_location_beats_the_builder_location_end_to_end() {
    let (listener, env_location) = udp_listener();
    let config = Config::builder()
        .location("none")
        .env([(LOCATION_ENV, env_location.as_str())])
        .build()
        .unwrap();
    assert_eq!(config.location().to_string(), env_location);
    let r = Registry::new(config).unwrap();
    r.counter("env.wins", &[]).increment();
    assert_eq!(
        recv_datagrams(|b| listener.recv(b), 1, Duration::from_secs(2)),
        ["c:env.wins:1"]
    );

    // memory from the environment beats an explicit udp location.
    let config = Config::builder()
        .location("udp://127.0.0.1:9")
        .env([(LOCATION_ENV, "memory")])
        .build()
        .unwrap();
    let r = Registry::new(config).unwrap();
    r.counter("env.wins", &[]).increment();
    assert_eq!(r.memory_writer().unwrap().lines(), ["c:env.wins:1"]);

    // without_env ignores the variable.
    let config = Config::builder()
        .location("memory")
        .env([(LOCATION_ENV, "stdout")])
        .without_env()
        .build()
        .unwrap();
    assert_eq!(config.location(), &Location::Memory);
}

fn build_err(location: &str, env: &[(&str, &str)]) -> ConfigError {
    Config::builder()
        .location(location)
        .env(env.iter().copied())
        .build()
        .expect_err(location)
}

#[test]
fn configuration_errors_exact_variants_and_messages() {
    let cases: Vec<(ConfigError, ConfigError, &str)> = vec![
        (
            build_err("bogus", &[]),
            ConfigError::InvalidLocation("bogus".into()),
            "spectatord output location is invalid: bogus",
        ),
        (
            // The argument is validated first, even when the environment is valid.
            build_err("UDP", &[(LOCATION_ENV, "memory")]),
            ConfigError::InvalidLocation("UDP".into()),
            "spectatord output location is invalid: UDP",
        ),
        (
            build_err("memory", &[(LOCATION_ENV, "tcp://127.0.0.1:1")]),
            ConfigError::InvalidEnvLocation("tcp://127.0.0.1:1".into()),
            "SPECTATOR_OUTPUT_LOCATION is invalid: tcp://127.0.0.1:1",
        ),
        (
            // Set but empty is an error, as in spectator-py.
            build_err("memory", &[(LOCATION_ENV, "")]),
            ConfigError::InvalidEnvLocation("".into()),
            "SPECTATOR_OUTPUT_LOCATION is invalid: ",
        ),
        (
            build_err("udp://localhost", &[]),
            ConfigError::MissingPort("udp://localhost".into()),
            "spectatord output location has no port: udp://localhost",
        ),
        (
            build_err("memory", &[(LOCATION_ENV, "udp://127.0.0.1")]),
            ConfigError::MissingPort("udp://127.0.0.1".into()),
            "spectatord output location has no port: udp://127.0.0.1",
        ),
        (
            build_err("udp://[::1]", &[]),
            ConfigError::MissingPort("udp://[::1]".into()),
            "spectatord output location has no port: udp://[::1]",
        ),
        (
            build_err("udp://127.0.0.1:99999", &[]),
            ConfigError::InvalidPort("udp://127.0.0.1:99999".into()),
            "spectatord output location has an invalid port: udp://127.0.0.1:99999",
        ),
        (
            build_err("udp://127.0.0.1:abc", &[]),
            ConfigError::InvalidPort("udp://127.0.0.1:abc".into()),
            "spectatord output location has an invalid port: udp://127.0.0.1:abc",
        ),
        (
            build_err("file://relative", &[]),
            ConfigError::MissingPath("file://relative".into()),
            "spectatord output location has no path: file://relative",
        ),
        (
            build_err("unix://", &[]),
            ConfigError::MissingPath("unix://".into()),
            "spectatord output location has no path: unix://",
        ),
    ];
    for (got, want, message) in cases {
        assert_eq!(got, want);
        assert_eq!(got.to_string(), message);
    }
    let err = Config::builder()
        .location("none")
        .env(NO_ENV)
        .max_datagram(65508)
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::InvalidMaxDatagram(65508));
    assert_eq!(
        err.to_string(),
        "maximum datagram size must be from 1 to 65507 bytes, not 65508"
    );
}

// ---- common tags ------------------------------------------------------------------------------

#[test]
fn common_tags_from_config_and_env_exact_lines() {
    let dir = TempDir::new("loc-tags");
    let path = dir.join("s.unix");
    let listener = unix_listener(&path);
    let config = Config::builder()
        .location(&format!("unix://{}", path.display()))
        .extra_common_tag("app", "common")
        .extra_common_tags([
            ("nf.app", "www"),
            ("nf.container", "from-config"),
            ("", "x"),
        ])
        .env([
            ("NETFLIX_CONTAINER_NAME", " main "),
            ("TITUS_CONTAINER_NAME", "titus"),
            ("NETFLIX_PROCESS_NAME", "my proc/1"),
            ("TITUS_PROCESS_NAME", "ignored"),
        ])
        .build()
        .unwrap();
    let r = Registry::new(config).unwrap();
    // A common tag overrides the user's; the environment overrides the config's.
    r.counter("requests", &[("app", "user"), ("status", "200")])
        .increment();
    r.gauge("free", &[]).set(1.5);
    // An id built directly skips common tags; new_id applies them.
    let bare = spectator_std::MeterId::new("bare", &[("k", "v")]).unwrap();
    r.counter_with_id(&bare).increment();
    let id = r
        .new_id("later", &[])
        .unwrap()
        .with_tag("nf.process", "override")
        .unwrap();
    r.timer_with_id(&id).record(1);
    let got = recv_datagrams(|b| listener.recv(b), 4, Duration::from_secs(2));
    assert!(drain_unix(&listener).is_empty());
    assert_eq!(
        got,
        [
            "c:requests,app=common,nf.app=www,nf.container=main,nf.process=my_proc_1,status=200:1",
            "g:free,app=common,nf.app=www,nf.container=main,nf.process=my_proc_1:1.5",
            "c:bare,k=v:1",
            "t:later,app=common,nf.app=www,nf.container=main,nf.process=override:1",
        ]
    );

    // A blank NETFLIX_CONTAINER_NAME falls back to TITUS_CONTAINER_NAME.
    let r = Registry::new(
        Config::builder()
            .location("memory")
            .env([
                ("NETFLIX_CONTAINER_NAME", "   "),
                ("TITUS_CONTAINER_NAME", " titus "),
                ("NETFLIX_PROCESS_NAME", ""),
            ])
            .build()
            .unwrap(),
    )
    .unwrap();
    r.counter("x", &[("nf.container", "user")]).increment();
    assert_eq!(
        r.memory_writer().unwrap().lines(),
        ["c:x,nf.container=titus:1"]
    );
}
