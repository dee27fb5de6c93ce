#!/usr/bin/env bash
# Test of deploy/windows/sign.sh and verify-signature.sh with a throw-away
# PKI: for each FILE (a Windows executable or an MSI package; FILE itself is
# not changed), on a copy:
#   - sign.sh signs it (SHA-256) and verify-signature.sh accepts it;
#   - signing again replaces the signature (one signature, still valid);
#   - verify-signature.sh refuses it against another CA;
#   - a copy with one byte changed (executable) or one property changed (MSI)
#     is refused;
#   - an unsigned file is refused.
#
# Usage: tests/deploy/windows/sign_test.sh WORK_DIR FILE...
# WORK_DIR is created if needed. The throw-away CA and signer are left in
# WORK_DIR/pki (ca.pem, signer.pem, signer.key; valid one day) for callers
# that sign more files (tests/deploy/windows/msi_package_test.sh).
# Needs openssl, osslsigncode, msibuild (for MSI files). Exit code 0 = passed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../../.." && pwd)"
sign="$repo/deploy/windows/sign.sh"
verify="$repo/deploy/windows/verify-signature.sh"

if [ $# -lt 2 ]; then
  sed -n '12,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
work="$1"
shift

fail() { echo "sign_test: FAIL: $*" >&2; exit 1; }
pass() { echo "sign_test: ok: $*"; }
for tool in openssl osslsigncode; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (deploy/install-deps.sh --windows)"
done

# ---- A throw-away code-signing PKI -----------------------------------------

# Makes DIR/ca.pem (+ ca.key) and, signed by it, DIR/signer.pem + signer.key
# with the code-signing extended key usage.
make_pki() {
  local dir="$1" cn="$2"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
    -subj "/CN=$cn code-signing CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/signer.key" -out "$dir/signer.csr" \
    -subj "/CN=$cn signer" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=codeSigning" \
    >"$dir/signer.ext"
  openssl x509 -req -in "$dir/signer.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 1 -extfile "$dir/signer.ext" \
    -out "$dir/signer.pem" 2>/dev/null
}

rm -rf "$work/pki" "$work/other-pki" "$work/files"
mkdir -p "$work/files"
make_pki "$work/pki" "mdefleet test"
make_pki "$work/other-pki" "someone else"
pki="$work/pki"

signature_count() {
  osslsigncode verify -in "$1" -CAfile "$pki/ca.pem" 2>/dev/null |
    sed -n 's/^Number of verified signatures: //p'
}

# ---- Per file --------------------------------------------------------------

for file in "$@"; do
  [ -f "$file" ] || fail "$file: no such file"
  name="$(basename "$file")"
  copy="$work/files/$name"
  cp "$file" "$copy"

  if "$verify" "$copy" "$pki/ca.pem" 2>/dev/null; then
    fail "$name: an unsigned copy was accepted"
  fi
  pass "$name: unsigned copy refused"

  "$sign" "$copy" "$pki/signer.pem" "$pki/signer.key" 2>/dev/null ||
    fail "$name: sign.sh failed"
  "$verify" "$copy" "$pki/ca.pem" 2>"$work/files/$name.verify" ||
    { cat "$work/files/$name.verify" >&2; fail "$name: signed copy not accepted"; }
  osslsigncode verify -in "$copy" -CAfile "$pki/ca.pem" 2>/dev/null |
    grep -q "Message digest algorithm *: SHA256" ||
    fail "$name: the signature is not SHA-256"
  pass "$name: signed (SHA-256) and verified"

  "$sign" "$copy" "$pki/signer.pem" "$pki/signer.key" 2>/dev/null ||
    fail "$name: signing a signed file failed"
  [ "$(signature_count "$copy")" = 1 ] ||
    fail "$name: signing again left $(signature_count "$copy") signatures, expected 1"
  "$verify" "$copy" "$pki/ca.pem" 2>/dev/null || fail "$name: re-signed copy not accepted"
  pass "$name: signing again replaces the signature"

  if "$verify" "$copy" "$work/other-pki/ca.pem" 2>/dev/null; then
    fail "$name: accepted against a CA that did not sign it"
  fi
  pass "$name: refused against another CA"

  tampered="$work/files/tampered-$name"
  cp "$copy" "$tampered"
  case "$name" in
    *.msi | *.MSI)
      command -v msibuild >/dev/null || fail "msibuild is not installed (msitools)"
      msibuild "$tampered" -q "UPDATE Property SET Value = 'tampered' WHERE Property = 'Manufacturer'"
      what="one property changed"
      ;;
    *)
      # One byte in the middle of the file: inside a section, past the
      # headers whatever the file alignment.
      offset=$(($(stat -c %s "$tampered") / 2))
      byte="$(od -An -tx1 -j "$offset" -N1 "$tampered" | tr -d ' ')"
      # shellcheck disable=SC2059 # the format is the new byte as a \xNN escape
      printf "\\x$(printf '%02x' $((0x$byte ^ 0xff)))" |
        dd of="$tampered" bs=1 seek="$offset" conv=notrunc 2>/dev/null
      what="one byte changed"
      ;;
  esac
  cmp -s "$copy" "$tampered" && fail "$name: tampering did not change the file"
  if "$verify" "$tampered" "$pki/ca.pem" 2>"$tampered.verify"; then
    fail "$name: a copy with $what was accepted"
  fi
  # Refused for the right reason: the digest, not e.g. a lost signature.
  grep -q "MISMATCH" "$tampered.verify" ||
    { cat "$tampered.verify" >&2; fail "$name: tampered copy refused, but not for a digest mismatch"; }
  pass "$name: a copy with $what is refused (digest mismatch)"
done
echo "sign_test: all passed"
