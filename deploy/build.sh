#!/usr/bin/env bash
# Configures and builds mdefleet into ./build (or $MDEFLEET_BUILD_DIR).
# Usage: deploy/build.sh [cmake --build target...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${MDEFLEET_BUILD_DIR:-build}"
jobs="$(nproc)"
# Optimised, with line tables only (-g1: backtraces and gdb name files,
# lines and functions): full debug info (-g) makes the build a third slower.
# For a debugger's view of variables: -DCMAKE_BUILD_TYPE=Debug in a tree of
# your own (docs/testing.md).
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
if [ $# -gt 0 ]; then
  targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$build_dir" -j"$jobs" "${targets[@]}"
else
  cmake --build "$build_dir" -j"$jobs"
fi
