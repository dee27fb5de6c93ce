#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, as a CTest test of the fuzz
# build: from a scratch copy of its checked-in corpus (libFuzzer adds the
# inputs it finds to the first corpus directory; the checked-in one stays as
# it is). Fails on any crash, sanitizer report, leak, timeout or out-of-memory;
# the input that caused it is kept in ARTIFACT_DIR and printed in base64.
#
# Usage: run_fuzzer.sh FUZZER CORPUS_DIR SECONDS ARTIFACT_DIR [DICT]
set -euo pipefail
fuzzer="$1" corpus="$2" seconds="$3" artifacts="$4" dict="${5:-}"
if [ "$seconds" -le 0 ]; then
  echo "MDEFLEET_FUZZ_SECONDS=0: not run"
  exit 0
fi
# Scratch space in memory when there is some: the simulated hosts of
# poll_tasks_fuzzer fsync every file they write.
scratch="${TMPDIR:-/tmp}"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch=/dev/shm; fi
work="$(mktemp -d "$scratch/mdefleet-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rm -rf "$artifacts"  # this run's findings only
mkdir -p "$work/corpus" "$work/tmp" "$artifacts"
cp -R "$corpus/." "$work/corpus/"
# Readable stacks when llvm-symbolizer is installed (deploy/install-deps.sh).
for s in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then
    export ASAN_SYMBOLIZER_PATH="$(command -v "$s")"
    break
  fi
done
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TMPDIR="$work/tmp"  # where poll_tasks_fuzzer puts its hosts
options=()
if [ -n "$dict" ]; then options+=(-dict="$dict"); fi
status=0
"$fuzzer" "${options[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" ||
  status=$?
if [ "$status" -ne 0 ]; then
  echo "FAILED (exit $status); reproducer(s) in $artifacts:"
  for f in "$artifacts"/*; do
    [ -f "$f" ] || continue
    echo "== $f (base64)"
    base64 "$f"
  done
fi
exit "$status"
