// windows_host_test_echo_args: prints each of its arguments (as
// CommandLineToArgvW splits its command line) on a line of its own, in UTF-8,
// so tests can check that an argument survived quoting unchanged.
#include <windows.h>
// windows.h first: this needs its types.
#include <shellapi.h>

#include <string>

namespace {

void Write(HANDLE out, const std::string& text) {
  DWORD written = 0;
  WriteFile(out, text.data(), static_cast<DWORD>(text.size()), &written,
            nullptr);
}

std::string Utf8(const wchar_t* wide) {
  const int n =
      WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  std::string out(n > 0 ? n - 1 : 0, '\0');
  if (n > 1) {
    WideCharToMultiByte(CP_UTF8, 0, wide, -1, out.data(), n, nullptr, nullptr);
  }
  return out;
}

}  // namespace

int main() {
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  if (argv == nullptr) return 2;
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  for (int i = 1; i < argc; ++i) Write(out, Utf8(argv[i]) + "\n");
  LocalFree(argv);
  return 0;
}
