#!/usr/bin/env bash
# Builds the libFuzzer target attn-fuzz (clang-22, ASan + UBSan + assertions)
# into build-fuzz/ and runs it: parse + verify + round trip + every attn pass
# (tools/attn-fuzz/attn-fuzz.cpp says what counts as a finding).
#   scripts/fuzz.sh [SECONDS] [libFuzzer flags...]     default 300 seconds
# The corpus grows in build-fuzz/corpus (seeded from test/fuzz/corpus,
# examples/ and the tests' inputs); crashing inputs land in
# ${FUZZ_ARTIFACTS:-build-fuzz/artifacts}/. ATTN_FUZZ_CUDA=1 adds the CUDA
# emitter. FUZZ_JOBS=N runs N fuzzing processes (-fork=N).
# Reproduce one: build-fuzz/bin/attn-fuzz build-fuzz/artifacts/crash-...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-300}
shift || true

"$root/scripts/setup.sh" clang-22 libclang-rt-22-dev

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
    -DATTN_FUZZER=ON -DATTN_SANITIZE=ON -DATTN_ASSERTIONS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
fi
ninja -C "$build" attn-fuzz

corpus=$build/corpus
artifacts=${FUZZ_ARTIFACTS:-$build/artifacts}
mkdir -p "$corpus" "$artifacts"
cp -n "$root"/test/fuzz/corpus/*.mlir "$root"/examples/*.mlir "$corpus"/
for f in "$root"/test/*/Inputs/*.mlir "$root"/test/*/*/Inputs/*.mlir; do
  [ -f "$f" ] && cp -n "$f" "$corpus/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f")"
done
jobs=()
[ -n "${FUZZ_JOBS:-}" ] && jobs=(-fork="$FUZZ_JOBS" -ignore_crashes=1)
# detect_leaks=0: see lib/Support/SanitizerOptions.cpp.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
  "$build/bin/attn-fuzz" "$corpus" -dict="$root/test/fuzz/attn.dict" \
  -max_total_time="$seconds" -max_len=16384 -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "${jobs[@]}" "$@"
