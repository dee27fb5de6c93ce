#!/usr/bin/env bash
# Rewrites the binary seeds of the protobuf fuzz targets from their text
# protos (tests/fuzz/seeds/<target>/NAME.textproto -> corpus/<target>/NAME),
# after regenerating poll_tasks' gen_*.textproto from the current plans.
# Uses seedgen from a regular build (default ./build).
#
# Usage: tests/fuzz/regen_seeds.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir="${1:-${MDEFLEET_BUILD_DIR:-build}}"
cmake --build "$build_dir" --target seedgen >/dev/null
seedgen="$build_dir/tests/fuzz/seedgen"
"$seedgen" poll-seeds tests/fuzz/seeds/poll_tasks
for pair in job_spec:mdefleet.v1.JobSpec plan:mdefleet.fuzz.PlanFuzzInput \
            poll_tasks:mdefleet.fuzz.PollTasksFuzzInput; do
  name="${pair%%:*}" type="${pair#*:}"
  "$seedgen" write "$type" "tests/fuzz/seeds/$name" "tests/fuzz/corpus/$name"
  "$seedgen" check "$type" "tests/fuzz/seeds/$name" "tests/fuzz/corpus/$name"
done
echo "seeds rewritten; review with git status / git diff --stat tests/fuzz"
