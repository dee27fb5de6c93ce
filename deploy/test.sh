#!/usr/bin/env bash
# One command: installs what it needs on Debian 12, builds everything and runs
# every test through CTest. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --windows
deploy/build.sh
build_dir="${MDEFLEET_BUILD_DIR:-build}"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600 "$@"
