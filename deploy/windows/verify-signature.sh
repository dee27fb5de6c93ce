#!/usr/bin/env bash
# Verifies the Authenticode signature of a Windows executable or MSI package,
# on Linux, with osslsigncode: the file's digest matches the signature and the
# signing certificate chains to CA.
#
# Usage: deploy/windows/verify-signature.sh FILE CA [TSA_CA]
#   FILE    a signed mdefleet-runner.exe or mdefleet-runner.msi
#   CA      PEM file of the root (and any intermediate) CA certificates to
#           trust, e.g. your code-signing CA; the system bundle is not used
#   TSA_CA  PEM file of the time-stamping authority's CA certificates, for a
#           timestamped file (default: CA)
# Exit code 0 when the signature is valid, 1 otherwise (osslsigncode says why).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
file="$1"
ca="$2"
tsa_ca="${3:-$2}"
command -v osslsigncode >/dev/null ||
  { echo "verify-signature.sh: needs osslsigncode" >&2; exit 1; }
for f in "$file" "$ca" "$tsa_ca"; do
  [ -f "$f" ] || { echo "verify-signature.sh: $f: no such file" >&2; exit 1; }
done
if output="$(osslsigncode verify -in "$file" -CAfile "$ca" -TSA-CAfile "$tsa_ca" 2>&1)"; then
  echo "verify-signature.sh: $file: valid signature ($(printf '%s\n' "$output" | sed -n 's/^[[:space:]]*Subject: //p' | head -1))" >&2
  exit 0
fi
printf '%s\n' "$output" >&2
echo "verify-signature.sh: $file: signature NOT valid" >&2
exit 1
