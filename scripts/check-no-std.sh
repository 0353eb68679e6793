#!/usr/bin/env bash
# Builds spectator-core for bare-metal Cortex-M3 (thumbv7m-none-eabi) with every feature set,
# and its aggregation for Cortex-M3 and Cortex-M0 (thumbv6m-none-eabi) with critical-section,
# using Debian's toolchain and -Zbuild-std=core (../shared/embedded.md). Proves the core needs
# neither std nor alloc.
set -euo pipefail
cd "$(dirname "$0")/.."
fw() { env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$PWD/target/thumbv7m" "$@"; }
for features in "" "sketch" "float" "sketch,float" "log" "defmt" "log,defmt" "embedded-nal" "embassy-net" "sketch,float,log,defmt,embedded-nal,embassy-net"; do
  echo "no_std: spectator-core for thumbv7m-none-eabi, features [${features}]"
  fw /usr/bin/cargo build -q -p spectator-core --release --lib -Zbuild-std=core \
     --target thumbv7m-none-eabi --no-default-features ${features:+--features "$features"}
done
# `aggregate` (static meters updated from interrupt handlers) on targets without 64-bit atomics:
# Cortex-M3 (32-bit compare-and-swap only) and Cortex-M0 (no compare-and-swap at all), its cells'
# 64-bit words in critical sections (feature critical-section). A library build needs no
# critical-section implementation (only a firmware's link does), and the rlib must hold the
# module (its cfg compiles it only with the feature on these targets).
for target in thumbv7m-none-eabi thumbv6m-none-eabi; do
  for features in "critical-section" "critical-section,float,sketch,defmt"; do
    echo "no_std: spectator-core aggregate for $target, features [${features}]"
    fw /usr/bin/cargo build -q -p spectator-core --release --lib -Zbuild-std=core \
       --target "$target" --no-default-features --features "$features"
    grep -q -a 'aggregate.*SumCell' "target/thumbv7m/$target/release/libspectator_core.rlib" \
      || { echo "no_std: aggregate is missing from the $target build" >&2; exit 1; }
  done
done
ls -l target/thumbv7m/thumbv7m-none-eabi/release/libspectator_core.rlib \
      target/thumbv7m/thumbv6m-none-eabi/release/libspectator_core.rlib
