#!/usr/bin/env bash
# Builds each publishable crate's documentation the way docs.rs will: with the features and
# rustdoc arguments of its `[package.metadata.docs.rs]` (spectator-core: every feature, and
# `--cfg docsrs`, under which each feature-gated item says which feature it needs), denying
# warnings.
#
# `doc(cfg)` is unstable: docs.rs builds with a nightly toolchain, and none is installed here,
# so rustdoc, and only rustdoc, runs with RUSTC_BOOTSTRAP=1 (this script is cargo's RUSTDOC
# for that build). Setting RUSTC_BOOTSTRAP for the whole cargo command would also reach the
# build scripts that probe for nightly (proc-macro2's), which then rebuild the proc-macro
# crates and everything using them whenever the variable changes.
set -euo pipefail

if [ -n "${SPECTATOR_DOCSRS_RUSTDOC:-}" ]; then
  RUSTC_BOOTSTRAP=1 exec rustdoc "$@"
fi

cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] is not None:
        continue
    docsrs = ((p["metadata"] or {}).get("docs") or {}).get("rs") or {}  # [package.metadata.docs.rs]
    args = ["-p", p["name"]]
    if docsrs.get("all-features"):
        args.append("--all-features")
    if docsrs.get("no-default-features"):
        args.append("--no-default-features")
    if docsrs.get("features"):
        args += ["--features", ",".join(docsrs["features"])]
    print(" ".join(docsrs.get("rustdoc-args", [])) + "|" + " ".join(args))
' | while IFS="|" read -r rustdoc_args cargo_args; do
  echo "== cargo doc $cargo_args, rustdoc flags: $rustdoc_args"
  read -ra cargo_args <<<"$cargo_args"
  SPECTATOR_DOCSRS_RUSTDOC=1 RUSTDOC="$PWD/scripts/docsrs.sh" \
    RUSTDOCFLAGS="$rustdoc_args -D warnings" cargo doc -q --no-deps "${cargo_args[@]}"
done
