#!/usr/bin/env bash
# Builds the Nucleo-F767ZI firmware (boards/embassy-stm32: embassy-stm32 Ethernet + embassy-net)
# for thumbv7em-none-eabihf with Debian's toolchain and -Zbuild-std=core (../shared/embedded.md),
# lints it with Debian's clippy when installed (rust-web-clippy), and prints its size. It cannot
# run here (no STM32 emulation in QEMU 7.2); flashing is described in the board's README.
#
#   scripts/embassy-stm32.sh     prints "boards: embassy-stm32 built (FLASH bytes flash, RAM bytes RAM)"
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-$PWD/target/boards-embassy/thumbv7em}")
fw() { env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" "$@"; }
(cd boards/embassy-stm32 && cargo fmt --check && fw /usr/bin/cargo build -q --release)
if [ -x /usr/bin/cargo-clippy ]; then
  (cd boards/embassy-stm32 && fw /usr/bin/cargo-clippy clippy -q --release -- -D warnings)
fi
elf="$target_dir/thumbv7em-none-eabihf/release/nucleo-f767zi"
arm-none-eabi-size "$elf"
read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
echo "boards: embassy-stm32 built ($((text + data)) bytes flash, $((data + bss)) bytes static RAM)"
