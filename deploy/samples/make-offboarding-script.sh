#!/usr/bin/env bash
# Writes a STAND-IN offboarding script (not a real Defender package) named
# WindowsDefenderATPOffboardingScript_valid_until_DATE.cmd into OUTDIR, from
# the template beside this script. The server reads the expiry from the name.
#
# Usage: deploy/samples/make-offboarding-script.sh YYYY-MM-DD OUTDIR
#   e.g. deploy/samples/make-offboarding-script.sh "$(date -d '+30 days' +%F)" /tmp/x
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 YYYY-MM-DD OUTDIR" >&2
  exit 2
fi
date="$1"
outdir="$2"
if ! [[ "$date" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || ! date -d "$date" +%F >/dev/null 2>&1; then
  echo "$0: DATE must be a valid YYYY-MM-DD date, got \"$date\"" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$outdir"
out="$outdir/WindowsDefenderATPOffboardingScript_valid_until_${date}.cmd"
cp "$here/WindowsDefenderATPOffboardingScript_valid_until_TEMPLATE.cmd" "$out"
echo "$out"
