#!/usr/bin/env bash
# Builds spectator-core for bare-metal Cortex-M3 (thumbv7m-none-eabi) with every feature set,
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
ls -l target/thumbv7m/thumbv7m-none-eabi/release/libspectator_core.rlib
