#!/usr/bin/env bash
# Firmware boards: builds boards/lm3s6965-qemu (Cortex-M3, QEMU's lm3s6965evb) with and without
# spectator-core, reports flash and RAM for both and the difference, then runs both in QEMU in
# a network namespace of their own against a UDP listener on 127.0.0.1:1234 (host-check) and
# checks: QEMU exits 0, every datagram is at most 1472 bytes, every line passes spectatord's
# rules, and the lines are exactly boards/lm3s6965-qemu/expected-lines.txt (none without metrics).
#
#   scripts/boards.sh        (needs what scripts/setup.sh installs; root, for unshare)
#
# Prints `boards: lm3s6965-qemu OK (N lines in M datagrams)` last, or exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
board=boards/lm3s6965-qemu
target_dir=${BOARDS_TARGET_DIR:-$root/target/boards} # shared by every board and host-check
out=$target_dir/lm3s6965-qemu  # the two ELFs, QEMU's output and the received lines
elf=$target_dir/thumbv7m-none-eabi/release/lm3s6965-qemu
host_check=$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release/host-check
start=$(date +%s)

# Debian's toolchain (rustc-web, rust-web-src) for firmware only: ../shared/embedded.md.
fw() { env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" "$@"; }
fail() { echo "boards: lm3s6965-qemu FAILED: $*" >&2; exit 1; }

for tool in /usr/bin/cargo qemu-system-arm arm-none-eabi-size unshare ip python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
mkdir -p "$out"

echo "boards: expected lines (from $board/expected_lines.py, checked against spectatord's rules)"
python3 "$board/expected_lines.py" | diff -u "$board/expected-lines.txt" - \
  || fail "expected-lines.txt differs from expected_lines.py's output"
(cd "$board/host-check" && CARGO_TARGET_DIR=$target_dir cargo build -q --release) # the host toolchain
"$host_check" lines "$board/expected-lines.txt"

echo "boards: building $board without and with metrics (release)"
(cd "$board" && fw cargo build -q --release --no-default-features)
cp "$elf" "$out/no-metrics.elf"
(cd "$board" && fw cargo build -q --release)
cp "$elf" "$out/metrics.elf"

# Berkeley format: text (code, rodata, vectors), data, bss. Flash = text + data, RAM = data + bss.
read -r t0 d0 b0 _ < <(arm-none-eabi-size "$out/no-metrics.elf" | awk 'NR == 2')
read -r t1 d1 b1 _ < <(arm-none-eabi-size "$out/metrics.elf" | awk 'NR == 2')
row() { printf '  %-16s %8s %8s %8s %8s %8s\n' "$@"; }
echo "boards: size of $board (arm-none-eabi-size; flash = text+data, RAM = data+bss)"
row "" text data bss flash RAM
row "no metrics" "$t0" "$d0" "$b0" $((t0 + d0)) $((d0 + b0))
row "metrics" "$t1" "$d1" "$b1" $((t1 + d1)) $((d1 + b1))
row "spectator-core" "+$((t1 - t0))" "+$((d1 - d0))" "+$((b1 - b0))" "+$((t1 + d1 - t0 - d0))" "+$((d1 + b1 - d0 - b0))"

# One QEMU run in its own network namespace: 10.0.2.2:1234 in the guest is 127.0.0.1:1234 here.
run() { # name elf expected-file
  unshare --net bash -c 'ip link set lo up && exec "$@"' bash \
    "$host_check" run --expected "$3" --listen 127.0.0.1:1234 --max-datagram 1472 \
    --stdout "$out/$1.defmt" --stderr "$out/$1.stderr" --received "$out/$1.lines" -- \
    timeout 120 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic -monitor none \
    -serial none -semihosting-config enable=on,target=native -nic user,model=stellaris \
    -kernel "$2"
}
# The firmware's own report line on QEMU's stderr: `lm3s6965-qemu: metrics=1 lines=... stack_peak=...`.
field() { sed -n "s/^lm3s6965-qemu: .*\b$2=\([0-9]*\).*/\1/p" "$out/$1.stderr"; }

echo "boards: running without metrics in QEMU (expects no datagram)"
run no-metrics "$out/no-metrics.elf" /dev/null || fail "no-metrics run (see $out/no-metrics.stderr)"
echo "boards: running with metrics in QEMU"
result=$(run metrics "$out/metrics.elf" "$board/expected-lines.txt") \
  || { echo "$result"; fail "metrics run (see $out/metrics.stderr, $out/metrics.lines)"; }
echo "$result"
summary=$(tail -1 <<<"$result")
sent="$(field metrics lines) lines in $(field metrics datagrams) datagrams"
[ "$sent" = "$summary" ] || fail "the firmware reports $sent sent, the listener $summary"

# Stack is not in `size`'s figures: the firmware paints it and reports its peaks.
s0=$(field no-metrics stack_peak) s1=$(field metrics stack_peak)
i0=$(field no-metrics boot_stack_peak) i1=$(field metrics boot_stack_peak)
r0=$(field no-metrics reporter_bytes) r1=$(field metrics reporter_bytes)
lb=$(field metrics line_buffer_bytes)
echo "boards: stack peak, workload: no metrics ${s0} B, metrics ${s1} B (+$((s1 - s0)));" \
     "start-up: ${i0} B, ${i1} B (+$((i1 - i0)))"
# The reporter holds the socket's handle in both builds; with metrics, the LineBuffer too (the
# meters are consts in flash, the socket set is main's).
echo "boards: the reporter's static RAM: ${r0} B without metrics, ${r1} B with (+$((r1 - r0))" \
     "= LineBuffer<1472> ${lb} B + padding $((r1 - r0 - lb)) B)"
# The aggregated meters are statics the SysTick handler updates: their cells, as linked (LTO
# keeps only the words they use; the prefixes are constants in flash).
agg=0 meters=0
while read -r _ size _ _; do
  agg=$((agg + 16#$size)) meters=$((meters + 1))
done < <(arm-none-eabi-nm -S -C "$out/metrics.elf" | grep ' lm3s6965_qemu::metrics::MOTOR_')
[ "$meters" -gt 0 ] || fail "no aggregated meter in $out/metrics.elf"
echo "boards: the aggregated meters' static RAM: ${agg} B for ${meters} meters (their cells)"
if command -v defmt-print >/dev/null; then
  echo "boards: defmt log of the metrics run"
  defmt-print -e "$out/metrics.elf" < "$out/metrics.defmt" || true
else
  echo "boards: defmt log in $out/metrics.defmt (decode: defmt-print -e $out/metrics.elf < $out/metrics.defmt)"
fi
echo "boards: took $(( $(date +%s) - start ))s"
echo "boards: lm3s6965-qemu OK ($summary)"
