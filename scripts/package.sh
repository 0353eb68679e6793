#!/usr/bin/env bash
# The publishable crates as crates.io would receive them: `cargo package` with verification
# (each crate builds from its packaged files alone), then each packaged crate's doctests, its
# README's example included, run from the packaged files alone.
#
# spectator-std and spectator-cli depend on spectator-core (and spectator-std) by path and
# version, and none of them is on crates.io yet. Packaged together (cargo >= 1.90 packages
# several workspace members in one command, dependencies first), cargo verifies each crate
# against the others' packaged `.crate` files, served from a temporary local registry
# (target/package/tmp-registry) overlaid on crates.io, never against the path dependencies.
# For the doctests this script does the equivalent: each `.crate` is unpacked into an empty
# directory outside the workspace, and the unpublished dependencies are patched to their
# unpacked packages (`patch.crates-io`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Publishable: workspace members without `publish = false`, dependencies first.
mapfile -t crates < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
meta = json.load(sys.stdin)
ours = {p["name"]: p for p in meta["packages"] if p["publish"] is None}
order = []
def visit(name):
    if name in order:
        return
    for d in ours[name]["dependencies"]:
        if d["name"] in ours and d["kind"] is None:
            visit(d["name"])
    order.append(name)
for name in sorted(ours):
    visit(name)
for name in order:
    print(name, ours[name]["version"])
')
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

# Cargo unpacks a registry's crate once and trusts that copy forever (a published version never
# changes), but our unpublished 0.1.0 changes with every commit: drop the copies unpacked from
# earlier runs' temporary registries (their folders' names start with `-`; crates.io's do not),
# or verification builds against a stale spectator-core.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/spectator-*

# --allow-dirty: what is checked is the packaged files, uncommitted changes included;
# `cargo publish` itself refuses a dirty tree.
args=()
for c in "${crates[@]}"; do args+=(-p "${c% *}"); done
cargo package --allow-dirty "${args[@]}"

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
patches=()
for c in "${crates[@]}"; do
  name=${c% *} version=${c#* }
  tar -xzf "$target/package/$name-$version.crate" -C "$unpacked"
  echo "== doctests of the packaged $name $version"
  # The workspace's target directory, so that dependencies built for the tests are reused.
  (cd "$unpacked/$name-$version" &&
    CARGO_TARGET_DIR="$target" cargo test -q --doc ${patches[@]+"${patches[@]}"})
  patches+=(--config "patch.crates-io.$name.path=\"$unpacked/$name-$version\"")
done
