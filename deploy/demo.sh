#!/usr/bin/env bash
# One command: installs what it needs on Debian 12, builds mdefleet, starts a
# server with its embedded SQLite database in a temporary folder, starts a
# simulated fleet of Windows servers, uploads sample artifacts, migrates the
# MMA-onboarded servers and onboards the rest with mdefleetctl, shows live
# progress and the per-step summary, and exits 0 when every device is onboarded.
#
# Usage: deploy/demo.sh [--devices N] [--keep-running]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

devices=50
keep_running=0
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) devices="${2:?--devices needs a number}"; shift 2 ;;
    --devices=*) devices="${1#*=}"; shift ;;
    --keep-running) keep_running=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$devices" in ''|*[!0-9]*|0) echo "demo.sh: --devices must be a positive number" >&2; exit 2 ;; esac

# Number of objects with an "id" in a mdefleetctl JSON answer.
count_ids() { { "$ctl_bin" "$@" -o json || true; } | { grep -o '"id": *"' || true; } | wc -l; }
# First artifact/job id in a mdefleetctl JSON answer.
first_id() { grep -o '"id": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/'; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
start_time=$(date +%s)

step "Installing build dependencies (Debian packages)"
deploy/install-deps.sh
step "Building mdefleet-server, mdefleet-sim-runner, mdefleetctl"
deploy/build.sh mdefleet-server mdefleet-sim-runner mdefleetctl
# MDEFLEET_BUILD_DIR as deploy/build.sh takes it: absolute, or relative to
# the repository.
bin="${MDEFLEET_BUILD_DIR:-build}"
[[ "$bin" = /* ]] || bin="$repo/$bin"
server_bin="$bin/server/mdefleet-server"
runner_bin="$bin/runner/mdefleet-sim-runner"
ctl_bin="$bin/server/cli/mdefleetctl"

work="$(mktemp -d /tmp/mdefleet-demo.XXXXXX)"
chmod 700 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
if [ "$keep_running" -eq 0 ]; then trap cleanup EXIT; fi

step "Initialising the server database in $work"
"$server_bin" init --db "$work/mdefleet.db" >"$work/credentials" 2>"$work/init.log"
chmod 600 "$work/credentials"
admin_token="$(sed -n 's/^admin_token=//p' "$work/credentials")"
sed -n 's/^enrollment_secret=//p' "$work/credentials" >"$work/enrollment-secret"
ca_cert="$(sed -n 's/^ca_certificate=//p' "$work/credentials")"
echo "admin token and enrollment secret written to $work/credentials (mode 600)"
echo "TLS: private CA and server certificate in $work/mdefleet.db.tls; clients pin $ca_cert"

step "Starting mdefleet-server on 127.0.0.1 (TLS)"
# The whole simulated fleet enrolls from 127.0.0.1 at once: allow it (a real
# fleet enrolls from one address per server; the default is 60 per minute).
"$server_bin" serve --db "$work/mdefleet.db" --listen 127.0.0.1:0 \
  --port-file "$work/port" --max-enrollments-per-minute 0 \
  --http-listen 127.0.0.1:0 --http-port-file "$work/http.port" \
  >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "server did not start; see $work/server.log" >&2; cat "$work/server.log" >&2; exit 1; }
export MDEFLEET_SERVER="127.0.0.1:$(cat "$work/port")"
export MDEFLEET_TOKEN="$admin_token"
export MDEFLEET_CA_CERT="$ca_cert"  # mdefleetctl trusts only this CA
echo "listening on $MDEFLEET_SERVER"
dashboard_url="https://127.0.0.1:$(cat "$work/http.port")/"
echo "dashboard and HTTP/JSON API on $dashboard_url (same certificate)"

step "Starting a simulated fleet of $devices Windows servers (2012 R2, 2016, 2019, 2022)"
"$runner_bin" --server "$MDEFLEET_SERVER" --ca-cert "$ca_cert" \
  --enrollment-secret-file "$work/enrollment-secret" \
  --state-dir "$work/fleet" --simulate-fleet "$devices" >"$work/fleet.log" 2>&1 &
pids+=($!)
enrolled=0
for _ in $(seq 300); do
  enrolled=$(count_ids devices list)
  [ "$enrolled" -ge "$devices" ] && break
  sleep 0.2
done
[ "$enrolled" -ge "$devices" ] || { echo "only $enrolled of $devices devices enrolled; see $work/fleet.log" >&2; exit 1; }
"$ctl_bin" devices list

step "The fleet at a glance: MDE state by OS family, and what needs doing"
"$ctl_bin" fleet summary

step "Uploading artifacts (stand-ins for Microsoft's Install.ps1, md4ws.msi and the onboarding script)"
deploy/samples/make-md4ws-msi.sh "$work"
"$ctl_bin" artifacts upload deploy/samples/Install.ps1 --kind install_script
"$ctl_bin" artifacts upload "$work/md4ws.msi" --kind installer_msi
onboarding_id="$("$ctl_bin" artifacts upload deploy/samples/WindowsDefenderATPOnboardingScript.cmd \
  --kind onboarding_script -o json | first_id)"
"$ctl_bin" artifacts list

workspace="11111111-2222-3333-4444-555555555555"
step "Dry run: what onboarding would do on one 2016 and one 2019 server"
"$ctl_bin" jobs submit onboard --target "host:SIM-2016-000[15]" --onboarding-script "$onboarding_id" --dry-run || true

step "Job 1: migrate servers still onboarded through MMA (workspace $workspace) with Install.ps1 -RemoveMMA"
"$ctl_bin" jobs submit migrate_mma --target all --workspace-id "$workspace" \
  --onboarding-script "$onboarding_id" --max-in-flight 20 --watch

step "Job 2: onboard every server (already migrated ones are skipped)"
set +e
"$ctl_bin" jobs submit onboard --target all --onboarding-script "$onboarding_id" \
  --max-in-flight 20 --watch
onboard_rc=$?
set -e

step "Per-step summary of the onboarding job"
job_id="$("$ctl_bin" jobs list --limit 1 -o json | first_id)"
"$ctl_bin" jobs get "$job_id"

step "Fleet state"
"$ctl_bin" fleet summary

step "What dashboards read: a viewer token, the HTTP/JSON API and /metrics"
viewer_token="$("$ctl_bin" tokens create demo-dashboard --role viewer --expires-in 1d -o json |
  grep -o '"value": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')"
printf '%s\n' "$viewer_token" >"$work/viewer-token"
chmod 600 "$work/viewer-token"
curl -sS --fail --cacert "$ca_cert" -H @<(printf 'Authorization: Bearer %s\n' "$viewer_token") \
  "${dashboard_url}api/v1/summary" | head -c 600
echo " ..."
curl -sS --fail --cacert "$ca_cert" -H @<(printf 'Authorization: Bearer %s\n' "$viewer_token") \
  "${dashboard_url}metrics" | grep -E '^mdefleet_(jobs|runners|long_polls_held)' || true
onboarded=$(count_ids devices list --mde-state onboarded)
elapsed=$(( $(date +%s) - start_time ))
echo "$onboarded of $devices devices onboarded (demo took ${elapsed}s including the build)"

if [ "$keep_running" -eq 1 ]; then
  cat <<MSG

Server and fleet keep running (pids ${pids[*]}). Try:
  export MDEFLEET_SERVER=$MDEFLEET_SERVER MDEFLEET_CA_CERT=$ca_cert
  export MDEFLEET_TOKEN=\$(sed -n 's/^admin_token=//p' $work/credentials)
  $ctl_bin devices list
  $ctl_bin jobs list
Dashboard: $dashboard_url (trust $ca_cert in the browser, or accept its
certificate once; sign in with the token in $work/viewer-token)
Stop with: kill ${pids[*]}; rm -rf $work
MSG
fi
[ "$onboard_rc" -eq 0 ] && [ "$onboarded" -eq "$devices" ]
