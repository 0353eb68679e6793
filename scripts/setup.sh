#!/usr/bin/env bash
# Installs what the tests need on a fresh machine; idempotent, quick when all is present.
#  - Debian's Rust toolchain with library sources, to build the no_std core for thumbv7m-none-eabi
#    (rustup cannot download targets here; see ../shared/embedded.md)
#  - QEMU (lm3s6965evb) and iproute2, to run the firmware in boards/ in a network namespace
#  - tmux, to run `spectator listen --live` in a real terminal (cli/tests/live_tmux.rs)
#  - a virtualenv in .venv with spectator-py 1.2.1, the differential-test oracle
#  - cargo-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in rustc-web cargo-web rust-web-src rust-web-llvm binutils-arm-none-eabi qemu-system-arm iproute2 tmux; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# rust-web-llvm's rust-lld points at lld-<LLVM major of rustc-web> without depending on it.
llvm=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if ! dpkg -s "lld-$llvm" >/dev/null 2>&1; then
  echo "setup: apt-get install lld-$llvm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "lld-$llvm" >/dev/null
fi

if ! .venv/bin/python -c 'import spectator, importlib.metadata as m; assert m.version("netflix-spectator-py") == "1.2.1"' 2>/dev/null; then
  echo "setup: virtualenv .venv with netflix-spectator-py==1.2.1"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check netflix-spectator-py==1.2.1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "setup: cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked -q
fi
echo "setup: ready"
