#!/usr/bin/env bash
# Configures and builds mdefleet into ./build (or $MDEFLEET_BUILD_DIR).
# Usage: deploy/build.sh [cmake --build target...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${MDEFLEET_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ $# -gt 0 ]; then
  targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$build_dir" -j"$jobs" "${targets[@]}"
else
  cmake --build "$build_dir" -j"$jobs"
fi
