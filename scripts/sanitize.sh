#!/usr/bin/env bash
# Builds the tools with AddressSanitizer and UndefinedBehaviorSanitizer (and
# assertions) into build-asan/ and runs the lit suite and the unit tests with
# them. libMLIR, libLLVM and Halide are not instrumented; the tools' default
# sanitizer options are in lib/Support/SanitizerOptions.cpp.
#   scripts/sanitize.sh            build and test
#   scripts/sanitize.sh --build    build only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
"$root/scripts/setup.sh" clang-22 libclang-rt-22-dev
# clang-22 rather than g++-12: with ASan + UBSan + assertions at -O1, g++-12
# built a CPU backend that computed NSA's compressed softmax wrongly
# (test/Target/Cpu/sparse-nsa.test; right at -O0, -O2 and with clang).
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
    -DATTN_SANITIZE=ON -DATTN_ASSERTIONS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
fi
ninja -C "$build" attention-opt attention-run attn-unittests
[ "${1:-}" = "--build" ] && exit 0
ninja -C "$build" check-attention
ctest --test-dir "$build" --output-on-failure
