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
