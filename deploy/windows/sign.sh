#!/usr/bin/env bash
# Authenticode-signs a Windows executable or an MSI package in place, on
# Linux, with osslsigncode (Debian package osslsigncode): SHA-256 digest,
# optionally with an RFC 3161 timestamp.
#
# Usage: deploy/windows/sign.sh FILE CERT KEY [TIMESTAMP_URL]
#   FILE           mdefleet-runner.exe or mdefleet-runner.msi (replaced by
#                  the signed file only when signing succeeded; an existing
#                  signature is replaced)
#   CERT           the code-signing certificate, PEM, followed by its
#                  intermediate CA certificates (not the root)
#   KEY            its private key, PEM; when the key is encrypted, the
#                  password is read from the file named by
#                  MDEFLEET_SIGN_KEY_PASSWORD_FILE
#   TIMESTAMP_URL  an RFC 3161 time-stamping server (your CA names one).
#                  Without a timestamp the signature stops being valid when
#                  the certificate expires; with one it stays valid.
#
# Sign the executable before building the MSI (the MSI then carries the
# signed executable), then sign the MSI:
#   deploy/windows/sign.sh mdefleet-runner.exe cert.pem key.pem http://ts.example
#   deploy/windows/build-msi.sh mdefleet-runner.exe - mdefleet-runner.msi
#   deploy/windows/sign.sh mdefleet-runner.msi cert.pem key.pem http://ts.example
# Check with deploy/windows/verify-signature.sh.
set -euo pipefail

die() { echo "sign.sh: $*" >&2; exit 1; }
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
file="$1"
cert="$2"
key="$3"
timestamp_url="${4:-}"

command -v osslsigncode >/dev/null ||
  die "needs osslsigncode (apt-get install osslsigncode; deploy/install-deps.sh --windows)"
for f in "$file" "$cert" "$key"; do
  [ -f "$f" ] || die "$f: no such file"
done

args=(sign -h sha256 -certs "$cert" -key "$key" -n "mdefleet runner")
if [ -n "${MDEFLEET_SIGN_KEY_PASSWORD_FILE:-}" ]; then
  args+=(-readpass "$MDEFLEET_SIGN_KEY_PASSWORD_FILE")
fi
if [ -n "$timestamp_url" ]; then
  args+=(-ts "$timestamp_url")
fi

# osslsigncode writes a new file and refuses to overwrite one: work in a
# private folder beside FILE, so the final rename stays on one file system.
work="$(mktemp -d "$(dirname "$file")/.sign-XXXXXX")"
trap 'rm -rf "$work"' EXIT
input="$file"
if osslsigncode extract-signature -in "$file" -out "$work/old-signature" >/dev/null 2>&1; then
  # Replace the signature rather than nest a second one.
  osslsigncode remove-signature -in "$file" -out "$work/unsigned" >/dev/null ||
    die "cannot remove the existing signature of $file"
  input="$work/unsigned"
fi
osslsigncode "${args[@]}" -in "$input" -out "$work/signed" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; die "signing $file failed"; }
chmod --reference="$file" "$work/signed"
mv -f "$work/signed" "$file"
echo "sign.sh: signed $file ($(openssl x509 -in "$cert" -noout -subject 2>/dev/null || echo "$cert")${timestamp_url:+, timestamped by $timestamp_url})" >&2
