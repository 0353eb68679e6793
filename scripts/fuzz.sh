#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS_PER_TARGET seconds (default 60), one after
# the other, and stops at the first crash (its input is left in fuzz/artifacts/TARGET/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Needs cargo-fuzz (installed here if missing) and a nightly toolchain for the sanitizer
# flags; without one it falls back to RUSTC_BOOTSTRAP=1 on the default (stable) toolchain.
# Corpora and crash artifacts stay in fuzz/corpus and fuzz/artifacts (ignored by git).
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

toolchains=$(rustup toolchain list 2>/dev/null || true)
if grep -q nightly <<<"$toolchains"; then
  fuzz() { cargo +nightly fuzz "$@"; }
else
  echo "== no nightly toolchain: using RUSTC_BOOTSTRAP=1 on the default toolchain"
  fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
fi

targets=$(fuzz list)
if [ -z "$targets" ]; then
  echo "== cargo fuzz list found no target" >&2
  exit 1
fi
for target in $targets; do
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  args=(-max_total_time="$SECONDS_PER_TARGET")
  if [ -f "dict/$target.dict" ]; then
    args+=(-dict="dict/$target.dict")
  fi
  if ! fuzz run "$target" -- "${args[@]}"; then
    echo "== $target FAILED; the crashing input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "== all fuzz targets ran ${SECONDS_PER_TARGET}s each without a crash"
