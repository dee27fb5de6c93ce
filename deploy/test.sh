#!/usr/bin/env bash
# One command: installs what it needs on Debian 12, builds everything and runs
# every test through CTest, then builds the libFuzzer targets with clang and
# runs each for a bounded time from its checked-in corpus. `.ci/run` calls
# exactly this.
#
# MDEFLEET_FUZZ_SECONDS: how long each fuzzer runs (default 30; 0 skips them;
# longer runs: docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's wall time, at its end: CI's budget is 30 minutes on 2 cores.
stage_started=$SECONDS
stage_done() {
  echo "==== $1: $((SECONDS - stage_started)) s (total $SECONDS s)"
  stage_started=$SECONDS
}
deploy/install-deps.sh --windows --fuzz --browser
# The dashboard's browser test drives Chromium with playwright-core, pinned in
# tests/browser/package-lock.json. Installed here, with the other downloads,
# so configuring and building stay offline; node_modules is not committed.
npm ci --prefix tests/browser --no-audit --no-fund
stage_done "dependencies"
# ...and here it may not skip itself (it does where playwright-core is absent).
export MDEFLEET_REQUIRE_BROWSER=1
deploy/build.sh
stage_done "build"
build_dir="${MDEFLEET_BUILD_DIR:-build}"

# Fuzzing (docs/testing.md): a separate clang tree of the fuzzers only. It is
# built while the tests run, at the lowest priority: the tests mostly wait on
# processes, sockets and timers and leave about two thirds of the CPU idle.
fuzz_seconds="${MDEFLEET_FUZZ_SECONDS:-30}"
fuzz_dir="$build_dir/fuzz"
fuzz_build=""
if [ "$fuzz_seconds" -gt 0 ]; then
  cmake -S . -B "$fuzz_dir" -G Ninja -DMDEFLEET_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DMDEFLEET_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  # A process group of its own, so that an early exit stops all of it.
  setsid nice -n 19 cmake --build "$fuzz_dir" -j"$(nproc)" \
    >"$build_dir/fuzz-build.log" 2>&1 &
  fuzz_build=$!
  trap 'kill -- "-$fuzz_build" 2>/dev/null || true' EXIT
fi

if ! ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600 "$@"; then
  # A CI log is often read from its end: repeat there the end of each failed
  # test's output, which ctest printed earlier, among the other tests.
  log="$build_dir/Testing/Temporary/LastTest.log"
  while IFS=: read -r _ name; do
    echo "==== failed: $name (last lines of its output; all of it in $log)"
    awk -v t="$name" '
      $0 ~ "^[0-9]+/[0-9]+ Test: " { current = substr($0, index($0, "Test: ") + 6) }
      current == t && /^<end of output>/ { inside = 0 }
      inside { print }
      current == t && /^Output:/ { inside = 1; getline }' "$log" | tail -n 25
  done <"$build_dir/Testing/Temporary/LastTestsFailed.log"
  exit 1
fi
stage_done "tests"

if [ -n "$fuzz_build" ]; then
  if ! wait "$fuzz_build"; then
    tail -n 40 "$build_dir/fuzz-build.log"
    echo "==== the fuzz build failed; all of its output in $build_dir/fuzz-build.log"
    exit 1
  fi
  stage_done "fuzz build (its rest after the tests)"
  ctest --test-dir "$fuzz_dir" --output-on-failure -j"$(nproc)"
  stage_done "fuzzing"
fi
