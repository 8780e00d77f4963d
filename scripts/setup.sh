#!/usr/bin/env bash
# Installs what attention-opt needs on a fresh Debian machine, and the extra
# packages named as arguments (the sanitizer and fuzzer builds' clang);
# idempotent.
set -euo pipefail

packages=(
  cmake ninja-build g++ libgtest-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  python3-numpy libhalide14-0-dev
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
