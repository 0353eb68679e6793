#!/usr/bin/env bash
# Checks the declared minimum supported Rust version (`rust-version`) statically, because no
# toolchain older than the one in use can build the crates here (see CHANGELOG.md, "Minimum
# supported Rust version"):
#
#  1. here: what a user's build of each publishable crate compiles (normal and build
#     dependencies, as `cargo tree -p CRATE` resolves them for that crate alone, on every
#     platform; dev-dependencies excluded) declares a `rust-version` no newer than that crate's.
#     Printed: the newest one and the crate declaring it, with all features and with the
#     default ones, and the dependencies that declare none (which cannot be checked);
#  2. in scripts/test.sh's clippy runs (`-D warnings`): clippy's `incompatible_msrv` lint, on by
#     default once `rust-version` is set, reports our use of any standard library item (or a
#     const use of one) that is newer than `rust-version`.
#
# Exits 1 when a dependency needs a newer Rust than a publishable crate declares.
set -euo pipefail
cd "$(dirname "$0")/.."

meta=$(mktemp)
trap 'rm -f "$meta"' EXIT
cargo metadata --format-version 1 --all-features >"$meta"

python3 - "$meta" <<'PY'
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def show(v):
    return ".".join(str(p) for p in (v[:2] if v[2] == 0 else v))


meta = json.load(open(sys.argv[1]))
rust_version = {(p["name"], p["version"]): p["rust_version"] for p in meta["packages"]}
workspace = [p for p in meta["packages"] if p["id"] in meta["workspace_members"]]
# Publishable: no `publish = false` (cargo metadata says null).
publishable = sorted((p for p in workspace if p["publish"] is None), key=lambda p: p["name"])


def newest(crate, *features):
    """The newest rust-version among the packages a user's build of `crate` compiles (our
    other crates included: cargo refuses to build a dependency on an older toolchain than it
    declares), the one declaring it, and the dependencies that declare none."""
    tree = subprocess.run(
        ["cargo", "tree", "-p", crate, *features, "-e", "normal,build", "--target", "all",
         "--prefix", "none", "--format", "{p}"],
        check=True, capture_output=True, text=True,
    ).stdout
    declared, undeclared = set(), set()
    for line in set(tree.splitlines()):
        name, ver = line.split()[:2]
        ver = ver.removeprefix("v")
        if name == crate:
            continue  # our own rust-version is what is checked
        if rust_version[(name, ver)]:
            declared.add((version(rust_version[(name, ver)]), f"{name} {ver}"))
        else:
            undeclared.add(f"{name} {ver}")
    top = max(v for v, _ in declared)
    return (top, ", ".join(sorted(by for v, by in declared if v == top))), undeclared


failed = False
not_declared = set()
for p in publishable:
    ours = version(p["rust_version"]) if p["rust_version"] else None
    (all_v, all_by), undeclared = newest(p["name"], "--all-features")
    (default_v, default_by), _ = newest(p["name"])
    not_declared |= undeclared
    ok = ours is not None and all_v <= ours
    failed |= not ok
    print(
        f'{p["name"]}: rust-version {show(ours) if ours else "(none)"}; its dependencies need '
        f"{show(all_v)} with all features ({all_by}), {show(default_v)} with the default ones "
        f'({default_by}): {"ok" if ok else "FAIL: declare at least " + show(all_v)}'
    )
print(
    "dependencies that declare no rust-version (not checked): "
    + (", ".join(sorted(not_declared)) or "none")
)
sys.exit(1 if failed else 0)
PY
