//! Ids that Atlas will drop (name 1-255 characters, tag keys 2-60, values 1-120) are sent, as
//! spectator-py sends them, with one warning per id through `log`.

use std::sync::Mutex;

use spectator_std::{Config, Registry};

/// Keeps every `spectator::meter_id` warning.
struct Warnings(Mutex<Vec<String>>);

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "spectator::meter_id"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) && record.level() == log::Level::Warn {
            self.0.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

static WARNINGS: Warnings = Warnings(Mutex::new(Vec::new()));

#[test]
fn an_atlas_invalid_id_is_sent_with_one_warning() {
    log::set_logger(&WARNINGS).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let config = Config::builder()
        .location("memory")
        .without_env()
        .build()
        .unwrap();
    let registry = Registry::new(config).unwrap();
    let long_value = "v".repeat(121);
    for _ in 0..3 {
        registry.counter("requests", &[("k", "v")]).increment();
        registry.gauge("queue", &[("key", &long_value)]).set(1);
    }
    registry.counter("fine", &[("key", "value")]).increment();
    let lines = registry.memory_writer().unwrap().lines();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0], "c:requests,k=v:1");
    assert_eq!(
        *WARNINGS.0.lock().unwrap(),
        [
            "MeterId(name=requests) is sent, but Atlas will drop it: tag key 'k' is 1 character long; Atlas accepts 2 to 60",
            "MeterId(name=queue) is sent, but Atlas will drop it: value of tag 'key' is 121 characters long; Atlas accepts 1 to 120",
        ]
    );
}
