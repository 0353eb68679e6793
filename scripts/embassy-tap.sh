#!/usr/bin/env bash
# Runs the embassy-net stand-in board (boards/embassy-tap) against a UDP listener, inside a
# network namespace of its own with a TAP device: host side 192.168.69.100/24, board
# 192.168.69.1/24. Nothing leaves the namespace. Checks the exact lines received
# (boards/embassy-app/expected.txt), that no datagram exceeds 1472 bytes, and the board's exit
# status. Needs root (or CAP_NET_ADMIN / user namespaces) and /dev/net/tun.
#
#   scripts/embassy-tap.sh      prints "boards: embassy-tap OK (N lines in M datagrams)"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-$root/target/boards-embassy/host}")
export CARGO_TARGET_DIR
expected="$root/boards/embassy-app/expected.txt"
max_datagram=1472

# The shared app: formatting, lints, and its run against a spy equals expected.txt.
(cd boards/embassy-app && cargo fmt --check && cargo clippy -q --all-targets -- -D warnings \
   && cargo test -q)
# Build outside the namespace: it has no network, and cargo may need the registry.
(cd boards/embassy-tap && cargo fmt --check && cargo clippy -q --release --all-targets -- -D warnings \
   && cargo build -q --release --bins)
board="$CARGO_TARGET_DIR/release/embassy-tap"
listen="$CARGO_TARGET_DIR/release/listen"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
want=$(wc -l < "$expected")

# Inside the namespace: TAP up, listener on the host side, then the board under `timeout 60`.
unshare --net bash -euo pipefail -c '
  board=$1 listen=$2 work=$3 want=$4
  ip link set lo up
  ip tuntap add dev tap0 mode tap
  ip link set tap0 up
  ip addr add 192.168.69.100/24 dev tap0
  "$listen" 192.168.69.100:1234 "$want" "$work/received" 20 > "$work/listener.out" &
  listener=$!
  for _ in $(seq 100); do [ -e "$work/received.ready" ] && break; sleep 0.05; done
  status=0
  timeout 60 "$board" --tap tap0 --address 192.168.69.1/24 --spectatord 192.168.69.100:1234 \
    > "$work/board.out" 2>&1 || status=$?
  wait "$listener" || true
  echo "$status" > "$work/board.status"
' _ "$board" "$listen" "$work" "$want"

status=$(cat "$work/board.status")
cat "$work/board.out"
if [ "$status" != 0 ]; then
  echo "boards: embassy-tap FAILED: the board exited with status $status" >&2
  exit 1
fi
read -r _ datagrams _ lines _ largest < "$work/listener.out"
if ! diff -u "$expected" "$work/received" > "$work/diff"; then
  echo "boards: embassy-tap FAILED: received lines differ from $expected:" >&2
  head -40 "$work/diff" >&2
  exit 1
fi
if [ "$largest" -gt "$max_datagram" ]; then
  echo "boards: embassy-tap FAILED: a datagram of $largest bytes (max $max_datagram)" >&2
  exit 1
fi
echo "largest datagram: $largest bytes (limit $max_datagram)"
echo "boards: embassy-tap OK ($lines lines in $datagrams datagrams)"
