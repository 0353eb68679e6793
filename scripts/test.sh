#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, formatting, lints over every feature set,
# docs (also as docs.rs builds them), the publishable crates packaged and verified, the MSRV
# check, unit/doc/integration tests (incl. the differential test against spectator-py 1.2.1),
# the bare-metal build, bounded fuzzing and the benchmarks (which print figures, never assert
# them).
#
#   scripts/test.sh                 everything (about 10 minutes)
#   FUZZ_SECONDS=10 scripts/test.sh shorter fuzzing
#   SKIP_BENCH=1 scripts/test.sh    no benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
step() { printf '\n==== %s\n' "$*"; }

step setup
bash scripts/setup.sh
export SPECTATOR_PYTHON="$PWD/.venv/bin/python"

step "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)

step "clippy, every feature set of spectator-core"
# With `rust-version` set, clippy's `incompatible_msrv` lint (here an error) reports any use of
# a standard library item newer than it: the code half of the MSRV check (scripts/msrv.sh).
cargo clippy --workspace --all-targets -- -D warnings
for features in log defmt "log,defmt" embedded-nal embassy-net; do
  cargo clippy -p spectator-core --lib --features "$features" -- -D warnings
done
# Firmware's usual set: no `float`, no `sketch` (integers, exact decimals, static ids).
cargo clippy -p spectator-core --all-targets --no-default-features -- -D warnings
# The embassy app's set: `float` without `sketch`; and firmware aggregation without 64-bit atomics.
cargo clippy -p spectator-core --lib --no-default-features --features float,critical-section -- -D warnings
cargo clippy -p spectator-std --all-targets --features tokio -- -D warnings

step "docs (deny warnings, missing docs)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc -q -p spectator-core --no-deps --features embedded-nal,embassy-net

step "docs as docs.rs builds them (features and --cfg docsrs from [package.metadata.docs.rs])"
bash scripts/docsrs.sh

step "cargo package, verified; each packaged crate's doctests (README included) from its files"
bash scripts/package.sh

step "MSRV: no dependency needs a newer Rust than rust-version"
bash scripts/msrv.sh

step "cargo test --workspace (unit, doc, differential, property, allocation tests)"
cargo test --workspace --all-targets
cargo test --workspace --doc
cargo test -p spectator-std --features tokio
# The differential tests' figures (cases, byte-identical lines, documented divergences).
cargo test -q -p spectator-conformance --test differential --test registry_differential -- --nocapture 2>&1 \
  | grep -E '^(differential|registry differential|per meter|per value type)'
cargo test -p spectator-core --features log
cargo test -p spectator-core --no-default-features --lib --tests
cargo test -p spectator-core --features embedded-nal,embassy-net

step "no_std build for thumbv7m-none-eabi"
bash scripts/check-no-std.sh

step "boards: build, size report, run in QEMU and check the exact lines"
bash scripts/boards.sh
bash scripts/embassy-tap.sh
bash scripts/embassy-stm32.sh
bash scripts/esp32c3.sh

step "fuzzing, ${FUZZ_SECONDS}s per target"
bash scripts/fuzz.sh "$FUZZ_SECONDS"

if [ -z "${SKIP_BENCH:-}" ]; then
  step "benchmarks (figures and ratios to the targets)"
  cargo bench -p spectator-core --bench core
  cargo bench -p spectator-std --bench throughput
  cargo bench -p spectator-std --bench aggregation
  cargo bench -p spectator-cli
  cargo bench -p spectator-metrics
fi

step "main job (short mode) and the core's sensor example"
cargo run -q -p spectator-cli -- demo --seconds 2 --step 1
cargo run -q -p spectator-core --example sensor | tail -1
echo "all checks passed"
