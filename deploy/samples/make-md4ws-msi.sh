#!/usr/bin/env bash
# Writes a STAND-IN md4ws.msi into OUTDIR for tests and the demo: the OLE
# compound file signature (D0 CF 11 E0 A1 B1 1A E1) followed by filler. It is
# not an installer; the real md4ws.msi comes from the Defender portal
# (Settings > Endpoints > Onboarding, Windows Server 2012 R2 and 2016).
#
# Usage: deploy/samples/make-md4ws-msi.sh OUTDIR
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
outdir="$1"
mkdir -p "$outdir"
out="$outdir/md4ws.msi"
{
  printf '\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1'
  # The rest of a 512-byte header sector, then 64 KiB of filler so an
  # upload takes more than one 64 KiB chunk.
  head -c 504 /dev/zero
  printf 'mdefleet stand-in md4ws.msi: not an installer\n'
  head -c 65536 /dev/zero
} >"$out"
echo "$out"
