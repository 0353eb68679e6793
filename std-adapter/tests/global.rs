//! `spectator_std::global()` reads the process environment once. This test binary holds a
//! single test, so setting the process environment here races with nothing.

use spectator_std::{global, Location};

#[test]
fn global_registry_from_the_process_environment() {
    // Edition 2021: `set_var` is safe; no other thread of this binary reads the environment.
    std::env::set_var("SPECTATOR_OUTPUT_LOCATION", "memory");
    std::env::set_var("NETFLIX_CONTAINER_NAME", " main ");
    std::env::set_var("NETFLIX_PROCESS_NAME", "global test");
    std::env::remove_var("TITUS_CONTAINER_NAME");

    let registry = global();
    assert!(std::ptr::eq(registry, global()), "one registry per process");
    assert_eq!(registry.config().location(), &Location::Memory);

    // Read once: later changes are ignored.
    std::env::set_var("SPECTATOR_OUTPUT_LOCATION", "stdout");
    std::env::set_var("NETFLIX_PROCESS_NAME", "changed");
    global()
        .counter("app.starts", &[("version", "1")])
        .increment();
    global().gauge_with_ttl("app.threads", &[], 30).set(8);
    assert_eq!(global().config().location(), &Location::Memory);
    assert_eq!(
        global().memory_writer().expect("memory").lines(),
        [
            "c:app.starts,nf.container=main,nf.process=global_test,version=1:1",
            "g,30:app.threads,nf.container=main,nf.process=global_test:8"
        ]
    );
}
