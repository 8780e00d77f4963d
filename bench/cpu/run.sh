#!/usr/bin/env bash
# The CPU benchmark in one command: installs OpenBLAS if missing, builds
# attention-opt, emits the kernels, builds bench_cpu against them and runs it
# on this machine's cores, writing bench/results/cpu.md.
#
# Usage: bench/cpu/run.sh [bench_cpu options: --reps N --budget-s S T...]
# BUILD_DIR (default build/) is where attention-opt and the bench are built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/cpu
build=${BUILD_DIR:-$root/build}
out=$build/bench-cpu
results=$root/bench/results/cpu.md

if ! dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null |
  grep -q "install ok installed"; then
  echo "run.sh: installing libopenblas-dev"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends libopenblas-dev >/dev/null
fi

BUILD_DIR=$build "$root/scripts/build.sh" -j"$(nproc)" attention-opt

# A kernel that does not emit (an op the backend cannot lower yet) is
# reported as missing instead of stopping the others.
rm -rf "$out" && mkdir -p "$out/kernels"
defines=() libraries=() missing=()
emit() { # NAME DEFINE [passes...]
  local name=$1 define=$2
  shift 2
  if "$build/bin/attention-opt" "$here/$name.mlir" "$@" --emit=cpu \
    -o "$out/kernels" 2>"$out/$name.err"; then
    defines+=("-D$define") libraries+=("$out/kernels/$name.a")
  else
    missing+=("$name: $(grep -m 1 error: "$out/$name.err" || head -n 1 "$out/$name.err")")
    echo "run.sh: ${missing[-1]}" >&2
  fi
}
emit softmax_causal ATTN_BENCH_SOFTMAX
emit linear_decay ATTN_BENCH_LINEAR --attn-linear-pipeline='chunk-size=64'

cxx=${CXX:-g++}
flags=(-std=c++17 -O3 -march=native)
"$cxx" "${flags[@]}" -ffast-math -I "$here" -c "$here/softmax_rows.cpp" \
  -o "$out/softmax_rows.o"
"$cxx" "${flags[@]}" "${defines[@]}" -I "$here" -I "$out/kernels" \
  "$here/bench_cpu.cpp" "$out/softmax_rows.o" "${libraries[@]}" \
  -o "$out/bench_cpu" -lopenblas -lpthread -ldl -lm

commit=$(git -C "$root" rev-parse --short HEAD)
git -C "$root" diff --quiet HEAD -- lib include tools bench/cpu ||
  commit="$commit (with uncommitted changes)"
model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
cores=$(nproc)
mkdir -p "$(dirname "$results")"
table=$("$out/bench_cpu" "$@")
{
  echo "# CPU benchmark"
  echo
  echo "- command: \`bench/cpu/run.sh${*:+ $*}\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $commit"
  echo "- CPU: $model, $cores cores (load average before the run:" \
    "$(cut -d' ' -f1-3 /proc/loadavg))"
  echo "- kernels emitted: ${defines[*]:-none}"
  for m in "${missing[@]}"; do
    echo "- not emitted: \`$m\`"
  done
  echo
  echo "B = 1, H = 8, D = Dk = Dv = 128, f32. Times are wall clock after one"
  echo "warm-up: best and median of the runs; GFLOP/s, x sgemm and speedups"
  echo "use the best time. FLOPs: softmax causal 2 B H T^2 D (both softmax"
  echo "rows); chunked linear, chunk C = 64, per (b, h) and chunk:"
  echo "2 C^2 Dk (intra scores) + 2 C^2 Dv (intra weighted values)"
  echo "+ 2 C Dk Dv (state update) + 2 C Dk Dv (inter-chunk read)."
  echo "The unfused path is per (b, h): cblas_sgemm S = scale Q K^T (T x T),"
  echo "causal row softmax in C++ (-O3 -march=native -ffast-math), cblas_sgemm"
  echo "O = P V. Outputs are checked before timing: softmax against the"
  echo "unfused output and f64 rows, linear against f64 rows."
  echo
  echo "$table"
} >"$results"
cat "$results"
