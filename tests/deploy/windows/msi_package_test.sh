#!/usr/bin/env bash
# Test of the Windows package: deploy/windows/build-msi.sh, its tables, the
# signing scripts, and the package installed, upgraded and removed under Wine.
#
# Usage: tests/deploy/windows/msi_package_test.sh EXE WORK_DIR
#   EXE       mdefleet-runner.exe (any build that implements the command
#             contract at the top of deploy/windows/mdefleet-runner.wxs)
#   WORK_DIR  scratch folder for the packages, certificates and logs
#             (emptied first; kept afterwards for diagnosis)
# Environment:
#   WINEPREFIX  the Wine prefix to install into (default WORK_DIR/wineprefix,
#               created). The test ends that prefix's Wine session
#               (wineserver -k) when it finishes, and removes
#               C:\ProgramData\mdefleet there: give it a prefix of its own, or
#               a CTest RESOURCE_LOCK shared with other users of the prefix.
#   MDEFLEET_MSI_TEST_NO_WINE=1  only the package and signing checks.
#
# The runner installed under Wine is configured with a server address nobody
# answers (127.0.0.1:9, the discard port, closed on a build machine): the
# service starts and keeps retrying, which is all this test needs. Exit code
# 0 = passed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../../.." && pwd)"
build_msi="$repo/deploy/windows/build-msi.sh"
sign="$repo/deploy/windows/sign.sh"
verify="$repo/deploy/windows/verify-signature.sh"

if [ $# -ne 2 ]; then
  sed -n '5,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
exe="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="$2"
[ -f "$exe" ] || { echo "msi_package_test: $1: no such file" >&2; exit 2; }

last_out=""  # the output of the last Wine program run (run_wine)
fail() {
  if [ -n "$last_out" ] && [ -s "$last_out" ]; then
    echo "---- the last Wine program's output ($last_out):" >&2
    tail -n 8 "$last_out" >&2
  fi
  echo "msi_package_test: FAIL: $*" >&2
  exit 1
}
pass() { echo "msi_package_test: ok: $*"; }
for tool in wixl msibuild msiinfo osslsigncode openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (deploy/install-deps.sh --windows)"
done

rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# ---- Packages --------------------------------------------------------------

# Version 1 is the project's version; version 2 the next patch release, made
# from a copy of EXE with bytes appended (an overlay the loader ignores) so
# that the upgrade visibly replaces the file.
cp "$exe" "$work/v1.exe"
cp "$exe" "$work/v2.exe"
printf 'mdefleet msi_package_test: version 2\n' >>"$work/v2.exe"

# Signed before packaging, as a release would be (sign_test.sh leaves its
# throw-away PKI in $work/sign/pki).
"$repo/tests/deploy/windows/sign_test.sh" "$work/sign" "$work/v1.exe" >"$work/sign-exe.log" 2>&1 ||
  { cat "$work/sign-exe.log" >&2; fail "signing test of the executable"; }
pass "executable: sign_test.sh passed ($(grep -c ': ok: ' "$work/sign-exe.log") checks)"
pki="$work/sign/pki"
for v in v1 v2; do
  "$sign" "$work/$v.exe" "$pki/signer.pem" "$pki/signer.key" 2>/dev/null || fail "sign.sh $v.exe"
done

"$build_msi" "$work/v1.exe" - "$work/v1.msi" 2>"$work/build-v1.log" ||
  { cat "$work/build-v1.log" >&2; fail "build-msi.sh (version 1)"; }
property() { msiinfo export "$1" Property | tr -d '\r' | awk -F'\t' -v p="$2" '$1 == p { print $2 }'; }
version1="$(property "$work/v1.msi" ProductVersion)"
[[ "$version1" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || fail "version 1 is \"$version1\""
version2="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.$((BASH_REMATCH[3] + 1))"
"$build_msi" "$work/v2.exe" "$version2" "$work/v2.msi" 2>"$work/build-v2.log" ||
  { cat "$work/build-v2.log" >&2; fail "build-msi.sh (version 2)"; }
"$build_msi" "$work/v1.exe" "$version1" "$work/v1-again.msi" 2>/dev/null ||
  fail "build-msi.sh (version 1 again)"
pass "built $version1 and $version2 ($(stat -c %s "$work/v1.msi") bytes)"

# ---- Tables ----------------------------------------------------------------

table() { msiinfo export "$work/v1.msi" "$1" | tr -d '\r' | tail -n +4; }
expect_row() {  # TABLE ROW (tab-separated, exact)
  table "$1" | grep -qxF "$2" ||
    { table "$1" >&2; fail "table $1 has no row \"$(echo "$2" | tr '\t' '|')\""; }
}
tab=$'\t'
expect_row File "RunnerExe${tab}RunnerExe${tab}mdefleet-runner.exe${tab}$(stat -c %s "$work/v1.exe")${tab}${tab}${tab}512${tab}1"
# 256 = msidbComponentAttributes64bit.
expect_row Component "RunnerExe${tab}{3F0E9B2A-7C41-4D8E-A5B6-0C2D9E1F4A73}${tab}INSTALLDIR${tab}256${tab}${tab}RunnerExe"
expect_row Directory "INSTALLDIR${tab}ProgramFiles64Folder${tab}mdefleet"
# Types: 18 (exe from the File table) + 0x400 deferred + 0x800 no impersonation
# (LocalSystem); + 0x100 rollback, + 0x40 ignore the exit code, + 0x2000 hide
# the command line from the log.
expect_row CustomAction "RunnerInstall${tab}3090${tab}RunnerExe${tab}install${tab}"
expect_row CustomAction "RunnerInstallRollback${tab}3410${tab}RunnerExe${tab}uninstall${tab}"
# 50: an executable named by a property (sc.exe, for Wine's rollback order).
expect_row CustomAction "RunnerInstallRollbackSc${tab}3442${tab}MDEFLEET_SC_EXE${tab}delete mdefleet-runner${tab}"
expect_row CustomAction "SetScExe${tab}51${tab}MDEFLEET_SC_EXE${tab}[System64Folder]sc.exe${tab}"
expect_row CustomAction "RunnerUninstall${tab}3090${tab}RunnerExe${tab}uninstall${tab}"
expect_row CustomAction "RunnerUninstallRemoveData${tab}3090${tab}RunnerExe${tab}uninstall --remove-data${tab}"
expect_row CustomAction "RunnerUninstallRollback${tab}3410${tab}RunnerExe${tab}install${tab}"
expect_row CustomAction "RunnerConfigure${tab}11282${tab}RunnerExe${tab}configure --server \"[SERVER_ADDRESS]\" --ca-cert \"[CA_CERT_FILE]\" --enrollment-secret \"[ENROLLMENT_SECRET]\" --labels \"[LABELS]\"${tab}"
expect_row ServiceControl "StartRunner${tab}mdefleet-runner${tab}1${tab}${tab}0${tab}RunnerExe"
upgrade_code="$(property "$work/v1.msi" UpgradeCode)"
expect_row Upgrade "${upgrade_code}${tab}${tab}${version1}${tab}${tab}1${tab}${tab}WIX_UPGRADE_DETECTED"
expect_row Upgrade "${upgrade_code}${tab}${version1}${tab}${tab}${tab}2${tab}${tab}WIX_DOWNGRADE_DETECTED"
expect_row LaunchCondition "NOT WIX_DOWNGRADE_DETECTED${tab}A newer version of mdefleet runner is already installed."
expect_row Property "MsiHiddenProperties${tab}ENROLLMENT_SECRET"
expect_row Property "ALLUSERS${tab}1"
property "$work/v1.msi" SecureCustomProperties | tr ';' '\n' | grep -qx ENROLLMENT_SECRET ||
  fail "ENROLLMENT_SECRET is not a secure property"
msiinfo suminfo "$work/v1.msi" | grep -q '^Template: x64;1033' || fail "the package is not x64"

# Order: the service after the files, configured after it exists, each
# rollback before what it undoes, removal before the files go.
sequence() { table InstallExecuteSequence | awk -F'\t' -v a="$1" '$1 == a { print $3 }'; }
expect_order() {
  local previous="" a
  for a in "$@"; do
    [ -n "$(sequence "$a")" ] || fail "$a is not in InstallExecuteSequence"
    if [ -n "$previous" ] && [ "$(sequence "$previous")" -ge "$(sequence "$a")" ]; then
      fail "$previous ($(sequence "$previous")) must come before $a ($(sequence "$a"))"
    fi
    previous="$a"
  done
}
expect_order InstallFiles SetScExe RunnerInstallRollbackSc RunnerInstallRollback RunnerInstall RunnerConfigure StartServices InstallFinalize ForgetSecret
expect_order InstallInitialize RunnerUninstallRollback RunnerUninstall RemoveFiles
expect_order RunnerUninstallRollback RunnerUninstallRemoveData RemoveFiles
expect_order InstallValidate RemoveExistingProducts InstallInitialize

# Product codes: per version, stable per version; the upgrade code never
# changes.
[ "$(property "$work/v2.msi" UpgradeCode)" = "$upgrade_code" ] || fail "the UpgradeCode changed"
[ "$(property "$work/v1.msi" ProductCode)" != "$(property "$work/v2.msi" ProductCode)" ] ||
  fail "versions $version1 and $version2 have the same ProductCode"
[ "$(property "$work/v1.msi" ProductCode)" = "$(property "$work/v1-again.msi" ProductCode)" ] ||
  fail "rebuilding version $version1 changed its ProductCode"
pass "tables: File, Component, Directory, CustomAction, ServiceControl, Upgrade, LaunchCondition, Property, sequence, product codes"

# ---- Signing the package ---------------------------------------------------

"$repo/tests/deploy/windows/sign_test.sh" "$work/sign-msi" "$work/v1.msi" >"$work/sign-msi.log" 2>&1 ||
  { cat "$work/sign-msi.log" >&2; fail "signing test of the package"; }
pass "package: sign_test.sh passed ($(grep -c ': ok: ' "$work/sign-msi.log") checks)"
for v in v1 v2; do
  "$sign" "$work/$v.msi" "$pki/signer.pem" "$pki/signer.key" 2>/dev/null || fail "sign.sh $v.msi"
  "$verify" "$work/$v.msi" "$pki/ca.pem" 2>/dev/null || fail "$v.msi: signature not valid"
  # The executable inside is the signed one.
  rm -rf "$work/extract-$v" && mkdir "$work/extract-$v"
  (cd "$work/extract-$v" && msiextract "$work/$v.msi" >/dev/null)
  inside="$(find "$work/extract-$v" -name mdefleet-runner.exe)"
  cmp -s "$inside" "$work/$v.exe" || fail "$v.msi does not hold $v.exe"
  "$verify" "$inside" "$pki/ca.pem" 2>/dev/null || fail "the executable in $v.msi is not validly signed"
done
pass "both packages signed and verified; they hold the signed executables"

if [ "${MDEFLEET_MSI_TEST_NO_WINE:-}" = 1 ]; then
  echo "msi_package_test: passed (MDEFLEET_MSI_TEST_NO_WINE=1: not installed under Wine)"
  exit 0
fi

# ---- Under Wine ------------------------------------------------------------

for tool in wine wineserver; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (deploy/install-deps.sh --windows)"
done
export WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml=
export WINEPREFIX="${WINEPREFIX:-$work/wineprefix}"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  # In a Wine session of its own: the session that creates a prefix keeps a
  # second services.exe, and services would vanish (docs/windows.md).
  timeout 300 wine wineboot --init >"$work/wineboot.log" 2>&1 || fail "wineboot --init"
  timeout 300 wineserver -w
fi
# Services live as long as the Wine session: keep one for the whole test.
wineserver -p </dev/null >/dev/null 2>&1
cleanup() { wineserver -k >/dev/null 2>&1 || true; wineserver -w >/dev/null 2>&1 || true; }
trap cleanup EXIT

drive_c="$WINEPREFIX/drive_c"
data="$drive_c/ProgramData/mdefleet"
installed="$drive_c/Program Files/mdefleet/mdefleet-runner.exe"
winpath() { echo "Z:${1//\//\\}"; }

# Runs a Wine program with a time limit, output to $work/NAME.out.
run_wine() {
  local name="$1"
  shift
  last_out="$work/$name.out"
  timeout 300 wine "$@" </dev/null >"$last_out" 2>&1
}
# msi NAME ARGS...: a quiet msiexec with a verbose log in $work/NAME.log;
# returns msiexec's exit code.
msi() {
  local name="$1"
  shift
  run_wine "$name" msiexec /qn /l*v "$(winpath "$work/$name.log")" "$@"
}
show() {  # the end of a log, for a failure message
  echo "---- $1" >&2
  tail -n 40 "$1" >&2 || true
}
service_query() { run_wine sc-query sc query mdefleet-runner; }
# Wine's sc.exe exits 1 for a missing service (Windows: 1060): check the
# output, not only the exit code.
service_exists() { service_query && grep -q "SERVICE_NAME: mdefleet-runner" "$work/sc-query.out"; }
service_state() { service_query || true; sed -n 's/.*STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p' "$work/sc-query.out"; }
# Windows deletes a service once it has stopped and its last handle is
# closed, which may come a moment after msiexec returns.
expect_no_service() {  # MESSAGE [MSIEXEC_LOG to show]
  for _ in $(seq 1 30); do
    service_exists || return 0
    sleep 0.5
  done
  [ -z "${2:-}" ] || show "$2"
  cat "$work/sc-query.out" >&2
  fail "$1"
}
expect_service_running() {
  local state=""
  for _ in $(seq 1 60); do
    state="$(service_state)"
    [ "$state" = RUNNING ] && return 0
    sleep 0.5
  done
  cat "$work/sc-query.out" >&2
  fail "$1: service mdefleet-runner is \"$state\", expected RUNNING (runner log: $data/state)"
}
product_registered() {
  run_wine reg-query reg query "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$(property "$1" ProductCode)"
}
conf_value() {  # NAME: the value of NAME in runner.conf
  tr -d '\r' <"$data/runner.conf" | sed 's/^\xef\xbb\xbf//' |
    awk -v n="$1" '{ line = $0; sub(/^[ \t]+/, "", line) }
      tolower(substr(line, 1, length(n))) == tolower(n) {
        rest = substr(line, length(n) + 1)
        if (rest ~ /^[ \t]*=/) { sub(/^[ \t]*=[ \t]*/, "", rest); gsub(/^"|"$/, "", rest); print rest }
      }'
}
log_text() {  # a verbose log as UTF-8 text (Windows writes UTF-16 with /l*vx)
  if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' ')" = fffe ]; then
    iconv -f UTF-16LE -t UTF-8 "$1"
  else
    cat "$1"
  fi
}

# A clean start: nothing of an earlier run.
for v in v1 v2; do msi "cleanup-$v" /x "$(winpath "$work/$v.msi")" || true; done
rm -rf "$data"
service_exists && fail "service mdefleet-runner exists before the test"

secret="mdf_enroll_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
server="127.0.0.1:9"
labels="site=wine,role=msi-test"
cp "$pki/ca.pem" "$work/server-ca.pem"  # any PEM certificate will do
ca_file="$(winpath "$work/server-ca.pem")"
v1_msi="$(winpath "$work/v1.msi")"
v2_msi="$(winpath "$work/v2.msi")"

# 1. A failure after the files: the rollback leaves nothing behind.
if msi install-bad-ca /i "$v1_msi" SERVER_ADDRESS="$server" \
  CA_CERT_FILE="$(winpath "$work/no-such-ca.pem")" ENROLLMENT_SECRET="$secret"; then
  fail "installing with a CA file that does not exist succeeded"
fi
expect_no_service "rolled-back installation left the service" "$work/install-bad-ca.log"
[ ! -e "$installed" ] || fail "rolled-back installation left $installed"
product_registered "$work/v1.msi" && fail "rolled-back installation left the product registered"
pass "a CA file that does not exist fails the installation; rolled back: no service, no files"

# 2. No properties (Group Policy configures the runner): installs and starts
#    the service, writes no configuration.
rm -rf "$data"
msi install-no-properties /i "$v1_msi" ||
  { show "$work/install-no-properties.log"; fail "installing without properties"; }
[ -f "$installed" ] || fail "$installed missing"
service_exists || fail "no service after installing without properties"
state_without_configuration="$(service_state)"
[ ! -e "$data/runner.conf" ] || fail "runner.conf written although no property was given"
msi uninstall-no-properties /x "$v1_msi" ||
  { show "$work/uninstall-no-properties.log"; fail "uninstalling"; }
expect_no_service "service left after uninstalling"
pass "without properties: installed, service created (state: $state_without_configuration), no runner.conf; removed"

# 3. Install with every property.
rm -rf "$data"
msi install /i "$v1_msi" SERVER_ADDRESS="$server" CA_CERT_FILE="$ca_file" \
  ENROLLMENT_SECRET="$secret" LABELS="$labels" ||
  { show "$work/install.log"; fail "msiexec /i (version $version1)"; }
cmp -s "$installed" "$work/v1.exe" || fail "$installed is not version 1's executable"
[ -f "$data/runner.conf" ] || fail "no $data/runner.conf"
[ "$(conf_value ServerAddress)" = "$server" ] || fail "runner.conf: ServerAddress is \"$(conf_value ServerAddress)\""
[ "$(conf_value EnrollmentSecret)" = "$secret" ] || fail "runner.conf: EnrollmentSecret is not the secret given"
[ "$(conf_value Labels)" = "$labels" ] || fail "runner.conf: Labels is \"$(conf_value Labels)\""
[ "$(conf_value CaCertificatePath)" = 'C:\ProgramData\mdefleet\ca.pem' ] ||
  fail "runner.conf: CaCertificatePath is \"$(conf_value CaCertificatePath)\""
cmp -s "$data/ca.pem" "$work/server-ca.pem" || fail "C:\\ProgramData\\mdefleet\\ca.pem is not a copy of CA_CERT_FILE"
pass "installed under Program Files; runner.conf has the four settings, ca.pem copied"

log_text "$work/install.log" >"$work/install.log.txt"
grep -q "RunnerConfigure" "$work/install.log.txt" || fail "the verbose log does not show RunnerConfigure (is it verbose?)"
grep -qF "$secret" "$work/install.log.txt" && fail "the enrollment secret is in the verbose log ($work/install.log)"
grep -qF "${secret#mdf_enroll_}" "$work/install.log.txt" && fail "part of the enrollment secret is in the verbose log"
pass "the enrollment secret is not in the verbose log ($(wc -l <"$work/install.log.txt") lines)"

service_exists || fail "no service mdefleet-runner after installing"
expect_service_running "after installing"
product_registered "$work/v1.msi" || fail "version $version1 is not registered"
pass "service mdefleet-runner RUNNING; product registered"

# 4. Upgrade to version 2 without properties (but REMOVE_DATA=1, which an
#    upgrade must ignore): the configuration and everything else under
#    C:\ProgramData\mdefleet stay.
echo "identity $RANDOM" >"$data/msi-test-marker"
# The configuration must stay as it was; the runner's state may change as it
# runs (journal, log rotation), but nothing may disappear.
(cd "$data" && sha256sum runner.conf ca.pem msi-test-marker) >"$work/data-before-upgrade"
(cd "$data" && find . -type f ! -name '*.log*' | sort) >"$work/data-files-before-upgrade"
msi upgrade /i "$v2_msi" REMOVE_DATA=1 || { show "$work/upgrade.log"; fail "msiexec /i (upgrade to $version2)"; }
cmp -s "$installed" "$work/v2.exe" || fail "after the upgrade, $installed is not version 2's executable"
product_registered "$work/v1.msi" && fail "after the upgrade, version $version1 is still registered"
product_registered "$work/v2.msi" || fail "after the upgrade, version $version2 is not registered"
(cd "$data" && sha256sum --quiet -c "$work/data-before-upgrade") ||
  fail "the upgrade changed the configuration under C:\\ProgramData\\mdefleet"
(cd "$data" && find . -type f ! -name '*.log*' | sort) >"$work/data-files-after-upgrade"
missing="$(comm -23 "$work/data-files-before-upgrade" "$work/data-files-after-upgrade")"
[ -z "$missing" ] || fail "the upgrade removed from C:\\ProgramData\\mdefleet: $missing"
expect_service_running "after the upgrade"
pass "upgrade $version1 -> $version2 (given REMOVE_DATA=1): new executable, one product, C:\\ProgramData\\mdefleet unchanged, service RUNNING"

# 5. The older version is refused over the newer one.
if msi downgrade /i "$v1_msi"; then fail "installing $version1 over $version2 succeeded"; fi
cmp -s "$installed" "$work/v2.exe" || fail "the refused downgrade changed $installed"
pass "downgrade to $version1 refused"

# 6. Uninstall: the service and the files go, C:\ProgramData\mdefleet stays.
msi uninstall /x "$v2_msi" || { show "$work/uninstall.log"; fail "msiexec /x"; }
expect_no_service "service mdefleet-runner left after msiexec /x"
[ ! -e "$installed" ] || fail "$installed left after msiexec /x"
product_registered "$work/v2.msi" && fail "version $version2 still registered after msiexec /x"
if [ ! -f "$data/runner.conf" ] || [ ! -f "$data/msi-test-marker" ]; then
  fail "msiexec /x removed C:\\ProgramData\\mdefleet (or part of it)"
fi
pass "msiexec /x: service and executable removed, C:\\ProgramData\\mdefleet kept"

# 7. Install again (the kept configuration is used), then REMOVE_DATA=1.
msi reinstall /i "$v2_msi" || { show "$work/reinstall.log"; fail "msiexec /i (again)"; }
expect_service_running "after installing again with the kept configuration"
msi uninstall-remove-data /x "$v2_msi" REMOVE_DATA=1 ||
  { show "$work/uninstall-remove-data.log"; fail "msiexec /x REMOVE_DATA=1"; }
expect_no_service "service left after msiexec /x REMOVE_DATA=1"
[ ! -e "$data" ] || fail "C:\\ProgramData\\mdefleet left after msiexec /x REMOVE_DATA=1: $(ls -A "$data")"
pass "installed again with the kept configuration; msiexec /x REMOVE_DATA=1 removed C:\\ProgramData\\mdefleet"

# 8. The secret is nowhere left in the prefix (registry included, written
#    when the session ends).
cleanup
trap - EXIT
leaks="$(grep -rlaF "$secret" "$WINEPREFIX" 2>/dev/null || true)"
[ -z "$leaks" ] || fail "the enrollment secret is still in: $leaks"
pass "the enrollment secret is nowhere in the Wine prefix after REMOVE_DATA=1"

echo "msi_package_test: all passed"
