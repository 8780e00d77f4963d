#!/usr/bin/env bash
# CPU decode timings: emits examples/mla_decode.mlir and
# examples/kv_cache_decode.mlir with COMPILER (default build/bin/attention-opt),
# builds bench_decode against each and prints the median time per call for
# decode (T = 1), a chunk of 16 new tokens and a prefill-sized T = 256.
#
# Usage: bench/cpu/decode.sh [COMPILER]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
compiler=${1:-$root/build/bin/attention-opt}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for e in mla_decode kv_cache_decode; do
  mkdir -p "$out/$e"
  "$compiler" "$root/examples/$e.mlir" --emit=cpu -o "$out/$e"
  define=""
  [ "$e" = mla_decode ] && define=-DMLA
  g++ -O2 -std=c++17 $define -I "$out/$e" "$root/bench/cpu/bench_decode.cpp" \
    "$out/$e/attention.a" -o "$out/$e/bench" -lpthread -ldl
  echo "$e:"
  for shape in "8 1 4096" "4 16 4096" "2 256 2048"; do
    "$out/$e/bench" $shape
  done
done
