//! `Builder::install`: the global recorder, its guard's flush, and a second install refused.
//! Its own test binary: a process has one global recorder.

use std::time::Duration;

use metrics::{counter, gauge};
use spectator_metrics::{Error, SpectatorRecorder};

#[test]
fn install_sets_the_global_recorder_and_the_guard_flushes_on_drop() {
    let builder = || {
        SpectatorRecorder::builder()
            .location("memory")
            .without_env()
            .config(|c| c.spectatord_step(Duration::from_secs(7200)))
            .aggregate(Duration::from_secs(3600))
    };
    let guard = builder().common_tag("nf.app", "www").install().unwrap();
    let registry = guard.recorder().registry().clone();
    counter!("jobs.done").increment(2);
    counter!("jobs.done").increment(3);
    gauge!("workers").set(4.0);
    assert!(registry.memory_writer().unwrap().is_empty(), "aggregated");

    assert!(matches!(builder().install(), Err(Error::AlreadyInstalled)));

    drop(guard);
    let mut lines = registry.memory_writer().unwrap().lines();
    lines.sort();
    assert_eq!(
        lines,
        ["c:jobs.done,nf.app=www:5", "g:workers,nf.app=www:4"]
    );
}
