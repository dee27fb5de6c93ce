// Helpers for the WindowsHost tests, which make real Win32 calls (under Wine
// on Linux, or on Windows): unique registry keys, the helper programs built
// beside the test, Wine detection. The fixture with a WindowsHost and a
// scratch directory is tests/testing/windows_host_test.h.
#ifndef MDEFLEET_TESTS_RUNNER_WINDOWS_WINDOWS_TEST_SUPPORT_H_
#define MDEFLEET_TESTS_RUNNER_WINDOWS_WINDOWS_TEST_SUPPORT_H_

#include <windows.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runner/host/windows/files.h"
#include "runner/host/windows/registry.h"
#include "runner/host/windows/wide_string.h"

namespace mdefleet::runner::win::testing {

inline constexpr char kCmd[] = "C:\\Windows\\System32\\cmd.exe";

// Whether the test runs under Wine (ntdll exports wine_get_version). Some
// checks depend on Windows behaviour Wine does not have; each says so.
inline bool RunningUnderWine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr &&
         GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

// A name no other test run uses: prefix-<pid>-<ticks>-<counter>.
inline std::string UniqueName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "-", GetCurrentProcessId(), "-", GetTickCount64(),
                      "-", counter.fetch_add(1));
}

// The directory of the running test executable.
inline std::string ExecutableDirectory() {
  std::wstring path(32768, L'\0');
  const DWORD n =
      GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(n);
  return WideToUtf8(path.substr(0, path.rfind(L'\\')));
}

// A helper program built beside the test (windows_host_test_echo_args.exe,
// windows_host_test_child.exe).
inline std::string HelperPath(absl::string_view exe_name) {
  return absl::StrCat(ExecutableDirectory(), "\\", exe_name);
}

// A registry key HKLM\SOFTWARE\mdefleet-test\<unique> (outside every root
// the runner's policy allows), deleted when destroyed.
class TestKey {
 public:
  TestKey()
      : key_(absl::StrCat("SOFTWARE\\mdefleet-test\\", UniqueName("key"))) {}
  ~TestKey() {
    DeleteRegistryKey(key_).IgnoreError();
    // The parent goes too when no other run is using it.
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\mdefleet-test",
                    KEY_WOW64_64KEY, 0);
  }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;

  const std::string& key() const { return key_; }
  std::string Sub(absl::string_view name) const {
    return absl::StrCat(key_, "\\", name);
  }

 private:
  std::string key_;
};

}  // namespace mdefleet::runner::win::testing

#endif  // MDEFLEET_TESTS_RUNNER_WINDOWS_WINDOWS_TEST_SUPPORT_H_
