#!/usr/bin/env bash
# The main job: compile an example variant and run it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/build.sh" attention-opt attention-run >/dev/null
bin=$build/bin
example=$root/examples/${1:-gqa}.mlir

echo "== $example, verified and canonicalized by attention-opt"
"$bin/attention-opt" "$example" --canonicalize
echo "== run through the reference interpreter (B=2, T=S=100, seed 1)"
out=$(mktemp -d)
"$bin/attention-run" "$example" --random-inputs --seed 1 --dim T=100 --output-dir "$out"
echo "results written to $out"
echo "== the same program before and after --canonicalize, same inputs"
"$bin/attention-run" "$example" --random-inputs --seed 1 --dim T=100 \
  --compare-pipeline='builtin.module(canonicalize)'
echo "== compiled for this CPU (Halide JIT) and checked against the interpreter"
"$bin/attention-run" "$example" --random-inputs --seed 1 --dim T=100 \
  --backend cpu --check
echo "== compiled ahead of time: a static library and its C header"
"$bin/attention-opt" "$example" --emit=cpu -o "$out/lib"
ls "$out/lib"
