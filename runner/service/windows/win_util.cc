#include "runner/service/windows/win_util.h"

#include <windows.h>

#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::service_win {

absl::StatusOr<std::string> CurrentExecutablePath() {
  std::wstring buffer(MAX_PATH, L'\0');
  for (;;) {
    const DWORD size = ::GetModuleFileNameW(nullptr, buffer.data(),
                                            static_cast<DWORD>(buffer.size()));
    if (size == 0) return win::LastErrorStatus("GetModuleFileNameW");
    if (size < buffer.size()) {
      buffer.resize(size);
      return win::WideToUtf8(buffer);
    }
    buffer.resize(buffer.size() * 2);
  }
}

bool RunningUnderWine() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr &&
         ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace mdefleet::runner::service_win
