// windows_host_test_child: a program whose behaviour the WindowsHost tests
// choose with its arguments:
//   exit <n>                 print a line to stdout and to stderr, exit n
//   chatty <bytes>           write <bytes> to stdout and to stderr,
//                            interleaved, each ending with END-OF-<STREAM>
//   sleep <ms>               sleep, exit 0
//   read-stdin               read stdin to its end, print the byte count
//   cwd                      print the current directory
//   bytes <hex>              write the bytes <hex> to stdout
//   write-pid-and-sleep <f>  write the process id to file f, sleep 10 min
//   spawn <f>                start "write-pid-and-sleep <f>" (inheriting
//                            nothing), then sleep 10 min
//   spawn-and-exit <f>       start "write-pid-and-sleep <f>", wait until f
//                            exists, exit 0
//   spawn-holding-stdout <f> start "hold-stdout <f>" with this stdout, wait
//                            until f exists, exit 0
//   hold-stdout <f>          print a line, write the pid to f, sleep 10 min
#include <windows.h>

#include <cstdlib>
#include <string>

namespace {

constexpr DWORD kLongSleepMs = 10 * 60 * 1000;

void Write(DWORD stream, const std::string& text) {
  DWORD written = 0;
  WriteFile(GetStdHandle(stream), text.data(), static_cast<DWORD>(text.size()),
            &written, nullptr);
}

std::wstring Wide(const char* s) {
  const int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, nullptr, 0);
  std::wstring out(n > 0 ? n - 1 : 0, L'\0');
  if (n > 1) MultiByteToWideChar(CP_UTF8, 0, s, -1, out.data(), n);
  return out;
}

bool Exists(const std::wstring& path) {
  return GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}

void WritePid(const std::wstring& path) {
  const std::string pid = std::to_string(GetCurrentProcessId());
  // Write beside, then rename: the test never reads a half-written id.
  const std::wstring temp = path + L".tmp";
  HANDLE file = CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr,
                            CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  DWORD written = 0;
  WriteFile(file, pid.data(), static_cast<DWORD>(pid.size()), &written,
            nullptr);
  CloseHandle(file);
  MoveFileExW(temp.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING);
}

// Starts this program again with `args`; with `share_stdout` the new process
// writes to this one's stdout.
bool StartSelf(const std::wstring& args, bool share_stdout) {
  wchar_t self[MAX_PATH];
  GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring line = L"\"" + std::wstring(self) + L"\" " + args;
  STARTUPINFOW startup = {};
  startup.cb = sizeof(startup);
  if (share_stdout) {
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  }
  PROCESS_INFORMATION info = {};
  if (!CreateProcessW(self, line.data(), nullptr, nullptr, share_stdout, 0,
                      nullptr, nullptr, &startup, &info)) {
    return false;
  }
  CloseHandle(info.hThread);
  CloseHandle(info.hProcess);
  return true;
}

void WaitFor(const std::wstring& path) {
  for (int i = 0; i < 3000 && !Exists(path); ++i) Sleep(10);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  const std::string mode = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (mode == "exit") {
    Write(STD_OUTPUT_HANDLE, "stdout line\n");
    Write(STD_ERROR_HANDLE, "stderr line\n");
    return std::atoi(arg);
  }
  if (mode == "chatty") {
    const long long total = std::atoll(arg);
    const std::string chunk(4096, 'x');
    for (long long done = 0; done < total; done += 4096) {
      Write(STD_OUTPUT_HANDLE, chunk);
      Write(STD_ERROR_HANDLE, chunk);
    }
    Write(STD_OUTPUT_HANDLE, "END-OF-STDOUT\n");
    Write(STD_ERROR_HANDLE, "END-OF-STDERR\n");
    return 0;
  }
  if (mode == "sleep") {
    Sleep(static_cast<DWORD>(std::atol(arg)));
    return 0;
  }
  if (mode == "read-stdin") {
    char buffer[4096];
    DWORD n = 0;
    long long total = 0;
    while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buffer, sizeof(buffer), &n,
                    nullptr) &&
           n > 0) {
      total += n;
    }
    Write(STD_OUTPUT_HANDLE, "stdin bytes: " + std::to_string(total) + "\n");
    return 0;
  }
  if (mode == "cwd") {
    char dir[MAX_PATH];
    const DWORD n = GetCurrentDirectoryA(MAX_PATH, dir);
    Write(STD_OUTPUT_HANDLE, std::string(dir, n));
    return 0;
  }
  if (mode == "bytes") {
    std::string bytes;
    for (const char* p = arg; p[0] != '\0' && p[1] != '\0'; p += 2) {
      bytes.push_back(static_cast<char>(
          std::strtol(std::string(p, 2).c_str(), nullptr, 16)));
    }
    Write(STD_OUTPUT_HANDLE, bytes);
    return 0;
  }
  const std::wstring file = Wide(arg);
  if (mode == "write-pid-and-sleep") {
    WritePid(file);
    Sleep(kLongSleepMs);
    return 0;
  }
  if (mode == "spawn") {
    if (!StartSelf(L"write-pid-and-sleep \"" + file + L"\"", false)) return 3;
    Sleep(kLongSleepMs);
    return 0;
  }
  if (mode == "spawn-and-exit") {
    if (!StartSelf(L"write-pid-and-sleep \"" + file + L"\"", false)) return 3;
    WaitFor(file);
    return 0;
  }
  if (mode == "spawn-holding-stdout") {
    if (!StartSelf(L"hold-stdout \"" + file + L"\"", true)) return 3;
    WaitFor(file);
    return 0;
  }
  if (mode == "hold-stdout") {
    Write(STD_OUTPUT_HANDLE, "grandchild says hi\n");
    WritePid(file);
    Sleep(kLongSleepMs);
    return 0;
  }
  return 101;
}
