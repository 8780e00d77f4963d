#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the lit suite
# (dialect, interpreter against an independent numpy reference, tools) and the
# gtest unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
ninja -C "$build" check-attention
ctest --test-dir "$build" --output-on-failure
# The CPU backend's tests again under each lower Halide target this machine
# can run (AVX-512 Skylake level, plain AVX2), so that a failure specific to
# one instruction-set level shows on any machine CI lands on.
"$build/bin/attention-run" --print-cpu-targets | tail -n +2 | while read -r target; do
  echo "test.sh: Target/Cpu under $target"
  /usr/lib/llvm-22/bin/lit -sv --param cpu_target="$target" "$build/test/Target/Cpu"
done
# Issue 19: the lit suite and unit tests again with ASan + UBSan and
# assertions (scripts/sanitize.sh, build-asan/), then four minutes of mutation
# fuzzing against those tools (test/fuzz/mutate.py, fixed seed; reproducers in
# build-asan/fuzz-findings/).
"$root/scripts/sanitize.sh"
/usr/bin/python3 "$root/test/fuzz/mutate.py" --seed 1 --budget 240 --bin "${ASAN_BUILD_DIR:-$root/build-asan}/bin" --out "${ASAN_BUILD_DIR:-$root/build-asan}/fuzz-findings"
