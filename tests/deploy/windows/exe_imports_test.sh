#!/usr/bin/env bash
# mdefleet-runner.exe is one self-contained file: every DLL it imports is a
# Windows system DLL (no mingw runtime, no OpenSSL, zlib or gRPC DLL to ship).
#
# Usage: tests/deploy/windows/exe_imports_test.sh EXE
# Prints the imported DLLs; exit code 0 = only system DLLs.
set -euo pipefail
exe="$1"
objdump=x86_64-w64-mingw32-objdump
command -v "$objdump" >/dev/null || { echo "exe_imports_test: $objdump missing" >&2; exit 1; }
# Shipped with every Windows Server 2012 R2 and later.
system='^(advapi32|bcrypt|crypt32|dbghelp|gdi32|iphlpapi|kernel32|msvcrt|ntdll|ole32|oleaut32|rpcrt4|secur32|shell32|shlwapi|user32|userenv|version|winhttp|ws2_32|wsock32|api-ms-win-[a-z0-9-]+)\.dll$'
dlls=$("$objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
[ -n "$dlls" ] || { echo "exe_imports_test: no imports found in $exe" >&2; exit 1; }
status=0
for dll in $dlls; do
  if [[ "$dll" =~ $system ]]; then
    echo "system DLL: $dll"
  else
    echo "exe_imports_test: FAIL: $exe needs $dll, which Windows does not have" >&2
    status=1
  fi
done
echo "size: $(stat -c %s "$exe") bytes"
exit $status
