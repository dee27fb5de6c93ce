#!/usr/bin/env bash
# Installs the Debian 12 packages mdefleet builds and tests with. Idempotent:
# does nothing (not even `apt-get update`) when everything is already present.
#
# Usage: deploy/install-deps.sh [--windows] [--fuzz] [--browser]
#   --windows  also what the Windows runner's cross build and Wine tests need:
#              mingw-w64, Wine, GoogleTest's sources, msitools and
#              osslsigncode, and Debian's source packages of Abseil, Protocol
#              Buffers, OpenSSL, c-ares, RE2 and gRPC (built for Windows by
#              cmake/windows_deps.cmake; Debian has no mingw builds of them).
#   --fuzz     also what the libFuzzer targets need (tests/fuzz,
#              cmake/fuzz.cmake): clang and its runtime libraries.
#   --browser  also what the dashboard's browser test needs (tests/browser):
#              Chromium, and Node.js with npm when no `node`/`npm` is on the
#              PATH (a newer Node.js already installed is kept).
set -euo pipefail

windows=0
fuzz=0
browser=0
for arg in "$@"; do
  case "$arg" in
    --windows) windows=1 ;;
    --fuzz) fuzz=1 ;;
    --browser) browser=1 ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev libssl-dev libgtest-dev libgmock-dev libcli11-dev
  sqlite3
  curl  # demo.sh reads the HTTP API and /metrics with it
  libcurl4-openssl-dev  # api_offboard: the server's Defender API client
  zlib1g-dev  # gzip of failed steps' evidence (runner, server, CLI)
  libzip-dev libexpat1-dev  # MDEClientAnalyzer uploads and result bundles (server, simulator)
  libcpp-httplib-dev    # serve --http-listen (HTTP API, /metrics); tests' fake Defender API
  prometheus-cpp-dev    # /metrics: the server's counters, gauges, histograms and text exposition (core library only)
  systemd  # tests/deploy: systemd-analyze verify/security of deploy/systemd's unit (a container may lack it)
  libpq-dev  # the PostgreSQL store's client library (libpq) and pg_config
  postgresql-15  # initdb/pg_ctl: the tests' private PostgreSQL cluster (tests/testing/postgres_cluster.h)
)
if [ "$windows" -eq 1 ]; then
  packages+=(g++-mingw-w64-x86-64-posix wine wine64 googletest dpkg-dev)
  # The Windows dependencies' builds (cmake/windows_deps.cmake): zlib for
  # mingw, RE2's Unicode tables (python3, unicode-data), OpenSSL's Configure
  # (perl), gRPC's patch (cmake/patches/); python3 also runs the Wine test's
  # fake Defender endpoint.
  packages+=(libz-mingw-w64-dev unicode-data python3 perl patch)
  packages+=(msitools osslsigncode openssl)  # deploy/windows: the MSI (wixl) and Authenticode signing
fi
if [ "$fuzz" -eq 1 ]; then
  # clang-14 builds the fuzzers; libclang-rt-14-dev holds libFuzzer
  # (libclang_rt.fuzzer*.a) and the ASan/UBSan runtimes, which clang-14 only
  # recommends; llvm-14 brings llvm-symbolizer for readable crash stacks.
  packages+=(clang-14 libclang-rt-14-dev llvm-14)
fi
if [ "$browser" -eq 1 ]; then
  # Debian's Chromium, driven by playwright-core (tests/browser/package.json,
  # installed by deploy/test.sh with `npm ci`).
  packages+=(chromium)
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ "$windows" -eq 1 ] || exit 0

# Sources of the same releases as the Linux packages (protoc's and
# grpc_cpp_plugin's generated code must match the Windows libraries).
src_dir=/var/cache/mdefleet/debian-src
source_packages=(abseil protobuf openssl c-ares re2 grpc)
have_sources() {
  local p
  for p in "${source_packages[@]}"; do
    compgen -G "$src_dir/$p-[0-9]*/" >/dev/null || return 1
  done
}
have_sources && exit 0
src_list=/etc/apt/sources.list.d/mdefleet-debian-src.sources
if [ ! -f "$src_list" ]; then
  echo "adding Debian's source package index ($src_list)" >&2
  $sudo tee "$src_list" >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  $sudo apt-get update -q
fi
$sudo mkdir -p "$src_dir"
(cd "$src_dir" && $sudo apt-get source -q "${source_packages[@]}")
have_sources || { echo "install-deps.sh: sources missing in $src_dir" >&2; exit 1; }
