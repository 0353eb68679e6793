//! `rust.fd,id=allocated` counts descriptors exactly: opening 10 files raises it by 10, closing
//! them lowers it by 10. Alone in its test binary, so no other test opens descriptors meanwhile.

#![cfg(target_os = "linux")]

use spectator_std::{Config, Registry, RuntimeMetrics};

/// `rust.fd,id=allocated` of one collection.
fn allocated(registry: &Registry, metrics: &RuntimeMetrics) -> u64 {
    let writer = registry.memory_writer().unwrap();
    writer.clear();
    metrics.collect();
    let lines = writer.lines();
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix("g:rust.fd,id=allocated:"))
        .unwrap_or_else(|| panic!("no rust.fd,id=allocated in {lines:#?}"));
    line.parse().unwrap()
}

#[test]
fn opening_ten_files_raises_allocated_by_ten() {
    let registry = Registry::new(
        Config::builder()
            .location("memory")
            .without_env()
            .build()
            .unwrap(),
    )
    .unwrap();
    let metrics = RuntimeMetrics::new(&registry);
    let before = allocated(&registry, &metrics);
    let files: Vec<std::fs::File> = (0..10)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    let open = allocated(&registry, &metrics);
    drop(files);
    let after = allocated(&registry, &metrics);
    assert_eq!(
        open,
        before + 10,
        "before {before}, with 10 files open {open}"
    );
    assert_eq!(after, before);
    // stdin, stdout and stderr at least.
    assert!(before >= 3, "{before}");
}
