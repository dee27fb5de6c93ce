#!/usr/bin/env bash
# Builds mdefleet-runner.msi from mdefleet-runner.exe with wixl (Debian
# package msitools), on Linux.
#
# Usage: deploy/windows/build-msi.sh EXE VERSION OUT.msi
#   EXE      the mdefleet-runner.exe to package (any file name; it is
#            installed as mdefleet-runner.exe)
#   VERSION  X.Y.Z (each a number; X, Y <= 255, Z <= 65535: Windows Installer
#            compares only these three), or "-" for the project's version
#            (project(mdefleet VERSION ...) in CMakeLists.txt)
#   OUT.msi  written only when everything succeeded
#
# The package is described in deploy/windows/mdefleet-runner.wxs. Its
# UpgradeCode is fixed there; its ProductCode is derived from the version (a
# name-based UUID), so rebuilding a version gives the same ProductCode and
# every new version a new one, as a major upgrade requires. Install a new
# version only with a higher VERSION: the same version is "already installed"
# and an older one is refused.
#
# wixl 0.101 ignores Execute="rollback" and HideTarget="yes" on custom actions
# and writes SecureCustomProperties itself; this script sets them afterwards
# with msibuild and checks the result.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
wxs="$here/mdefleet-runner.wxs"

die() { echo "build-msi.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || { sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
exe="$1"
version="$2"
out="$3"

for tool in wixl msibuild msiinfo; do
  command -v "$tool" >/dev/null ||
    die "needs $tool (apt-get install msitools; deploy/install-deps.sh --windows)"
done
[ -f "$exe" ] || die "$exe: no such file"
if [ "$version" = "-" ]; then
  version="$(sed -n 's/^project(mdefleet VERSION \([0-9.]*\).*/\1/p' "$here/../../CMakeLists.txt")"
  [ -n "$version" ] || die "no project(mdefleet VERSION ...) in CMakeLists.txt"
fi
if ! [[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] ||
  [ "${BASH_REMATCH[1]}" -gt 255 ] || [ "${BASH_REMATCH[2]}" -gt 255 ] ||
  [ "${BASH_REMATCH[3]}" -gt 65535 ]; then
  die "VERSION must be X.Y.Z with X, Y <= 255 and Z <= 65535 (got \"$version\")"
fi

# Name-based UUID (RFC 4122 version 5, SHA-1) of NAME in namespace NS.
uuid5() {
  local ns_hex name hash
  ns_hex="$(echo "$1" | tr -d '{}-' | tr 'A-F' 'a-f')"
  name="$2"
  # shellcheck disable=SC2001,SC2059 # the format is the namespace's bytes as \xNN escapes
  hash="$({ printf "$(echo "$ns_hex" | sed 's/../\\x&/g')"; printf '%s' "$name"; } |
    sha1sum | cut -c1-32)"
  local variant=$(((0x${hash:16:1} & 0x3) | 0x8))
  printf '%s-%s-5%s-%x%s-%s\n' "${hash:0:8}" "${hash:8:4}" "${hash:13:3}" \
    "$variant" "${hash:17:3}" "${hash:20:12}" | tr 'a-f' 'A-F'
}

upgrade_code="$(sed -n 's/.*UpgradeCode="\([0-9A-Fa-f-]*\)".*/\1/p' "$wxs")"
[ -n "$upgrade_code" ] || die "no UpgradeCode in $wxs"
product_code="$(uuid5 "$upgrade_code" "mdefleet-runner $version")"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# wixl finds sources relative to the working directory only.
cp "$exe" "$stage/mdefleet-runner.exe"
(cd "$stage" && wixl -a x64 -D RunnerExe=mdefleet-runner.exe -D Version="$version" \
  -D ProductCode="$product_code" -o package.msi "$wxs") ||
  die "wixl failed"
msi="$stage/package.msi"

# Custom action type bits wixl cannot set (msidbCustomActionType*).
readonly ROLLBACK=$((0x100)) IN_SCRIPT=$((0x400)) HIDE_TARGET=$((0x2000))
ca_type() {
  msiinfo export "$msi" CustomAction | awk -F'\t' -v a="$1" '$1 == a { print $2 }'
}
add_type_bits() {
  local action="$1" bits="$2" type
  type="$(ca_type "$action")"
  [ -n "$type" ] || die "no custom action $action in the package"
  ((type & IN_SCRIPT)) || die "$action is not deferred (type $type)"
  msibuild "$msi" -q "UPDATE CustomAction SET Type = $((type | bits)) WHERE Action = '$action'"
}
add_type_bits RunnerInstallRollback "$ROLLBACK"
add_type_bits RunnerInstallRollbackSc "$ROLLBACK"
add_type_bits RunnerUninstallRollback "$ROLLBACK"
add_type_bits RunnerConfigure "$HIDE_TARGET"

# Public properties a deferred action uses must be secure to reach the
# elevated part of an installation started by a non-administrator.
secure="$(msiinfo export "$msi" Property | awk -F'\t' '$1 == "SecureCustomProperties" { print $2 }')"
[ -n "$secure" ] || die "no SecureCustomProperties in the package"
msibuild "$msi" -q "UPDATE Property SET Value = '$secure;SERVER_ADDRESS;CA_CERT_FILE;ENROLLMENT_SECRET;LABELS;REMOVE_DATA' WHERE Property = 'SecureCustomProperties'"

# What the package must say, checked here so a new wixl cannot change it
# unnoticed.
for check in "RunnerInstallRollback $((18 | 0x40 | ROLLBACK | IN_SCRIPT | 0x800))" \
  "RunnerInstallRollbackSc $((50 | 0x40 | ROLLBACK | IN_SCRIPT | 0x800))" \
  "RunnerUninstallRollback $((18 | 0x40 | ROLLBACK | IN_SCRIPT | 0x800))" \
  "RunnerConfigure $((18 | IN_SCRIPT | 0x800 | HIDE_TARGET))" \
  "RunnerInstall $((18 | IN_SCRIPT | 0x800))" \
  "RunnerUninstall $((18 | IN_SCRIPT | 0x800))" \
  "RunnerUninstallRemoveData $((18 | IN_SCRIPT | 0x800))"; do
  read -r action expected <<<"$check"
  [ "$(ca_type "$action")" = "$expected" ] ||
    die "custom action $action has type $(ca_type "$action"), expected $expected"
done

mkdir -p "$(dirname "$out")"
cp "$msi" "$out.tmp"
mv -f "$out.tmp" "$out"
echo "build-msi.sh: $out: mdefleet runner $version, ProductCode {$product_code}, $(stat -c %s "$out") bytes" >&2
