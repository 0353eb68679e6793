#!/usr/bin/env bash
# Builds the ESP32-C3 Wi-Fi firmware (boards/esp32c3-wifi: esp-hal + esp-radio + embassy-net)
# for riscv32imc-unknown-none-elf with Debian's toolchain and -Zbuild-std=core,alloc
# (../shared/embedded.md), release, without and with metrics; lints both with Debian's clippy
# when installed (rust-web-clippy); prints the size report. It cannot run here (no emulator for
# this chip is packaged); flashing is described in the board's README.
#
#   scripts/esp32c3.sh     (needs what scripts/setup.sh installs)
#
# Prints `boards: esp32c3-wifi built (FLASH bytes flash, RAM bytes static RAM)` last.
set -euo pipefail
cd "$(dirname "$0")/.."
board=boards/esp32c3-wifi
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-$PWD/target/boards-esp32c3}")
elf=$target_dir/riscv32imc-unknown-none-elf/release/esp32c3-wifi
out=$target_dir/esp32c3-wifi # the two ELFs
start=$(date +%s)

fw() { env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" "$@"; }
fail() { echo "boards: esp32c3-wifi FAILED: $*" >&2; exit 1; }
# llvm-readelf of rustc-web's LLVM (rust-web-llvm depends on that llvm-N package).
llvm=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
readelf=$(command -v "llvm-readelf-$llvm" || command -v llvm-readelf) \
  || fail "llvm-readelf is missing: run scripts/setup.sh"
[ -x /usr/bin/cargo ] || fail "Debian's cargo is missing: run scripts/setup.sh"
mkdir -p "$out"

(cd "$board" && cargo fmt --check)
echo "boards: building $board without and with metrics (release)"
(cd "$board" && fw /usr/bin/cargo build -q --release --no-default-features)
cp "$elf" "$out/no-metrics.elf"
(cd "$board" && fw /usr/bin/cargo build -q --release)
cp "$elf" "$out/metrics.elf"
if [ -x /usr/bin/cargo-clippy ]; then
  (cd "$board" && fw /usr/bin/cargo-clippy clippy -q --release --no-default-features -- -D warnings \
    && fw /usr/bin/cargo-clippy clippy -q --release -- -D warnings)
fi

# Sizes from the section headers (Berkeley `size` counts esp-hal's address-alignment dummies,
# the stack region and the reclaimed-RAM heap as if they were program bytes):
#   code   = .text (run from flash) + .trap and .rwtext* (copied to IRAM at boot)
#   rodata = .rodata* + the app descriptor;  data = .data* (flash image, copied to DRAM)
#   bss    = writable NOBITS sections, except .dram2_uninit (esp-alloc's 64 KiB heap region
#            in the RAM the second-stage bootloader used); it includes the 36 KiB heap region
#            and the main task's future (the UDP buffers and the LineBuffer live in it)
#   flash  = code + rodata + data;  static RAM = IRAM code + data + bss (one 400 KiB SRAM)
sizes() { # elf -> "code rodata data bss flash ram"
  local code=0 iram=0 rodata=0 data=0 bss=0 name type addr _off size _es flg _rest
  while read -r name type addr _off size _es flg _rest; do
    size=$((16#$size))
    if [ "$type" = PROGBITS ] && [[ $flg == *A* ]]; then
      if [[ $flg == *X* ]]; then
        code=$((code + size))
        [[ $addr == 403* ]] && iram=$((iram + size))
      elif [[ $flg == *W* ]]; then data=$((data + size))
      else rodata=$((rodata + size)); fi
    elif [ "$type" = NOBITS ] && [[ $flg == *W* ]] && [ "$name" != .dram2_uninit ]; then
      bss=$((bss + size))
    fi
  done < <("$readelf" -S -W "$1" | sed -n 's/^ *\[ *[0-9]*\] //p')
  echo "$code $rodata $data $bss $((code + rodata + data)) $((iram + data + bss))"
}
read -r c0 r0 d0 b0 f0 m0 < <(sizes "$out/no-metrics.elf")
read -r c1 r1 d1 b1 f1 m1 < <(sizes "$out/metrics.elf")
row() { printf '  %-16s %8s %8s %8s %8s %8s %8s\n' "$@"; }
echo "boards: size of $board (llvm-readelf sections; flash = code+rodata+data, RAM = IRAM code+data+bss)"
row "" code rodata data bss flash RAM
row "no metrics" "$c0" "$r0" "$d0" "$b0" "$f0" "$m0"
row "metrics" "$c1" "$r1" "$d1" "$b1" "$f1" "$m1"
row "spectator-core" "+$((c1 - c0))" "+$((r1 - r0))" "+$((d1 - d0))" "+$((b1 - b0))" \
    "+$((f1 - f0))" "+$((m1 - m0))"
echo "boards: took $(( $(date +%s) - start ))s"
echo "boards: esp32c3-wifi built ($f1 bytes flash, $m1 bytes static RAM)"
