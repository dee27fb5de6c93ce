#include "runner/service/windows/service_log.h"

#include <io.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::service_win {
namespace {

using RegKey = win::UniqueHKey;
using win::LastErrorStatus;
using win::Utf8ToWide;
using win::WideToUtf8;
using win::Win32ErrorStatus;

[[nodiscard]] absl::Status SetValue(HKEY key, absl::string_view key_name,
                                    const wchar_t* name, DWORD type,
                                    const void* data, DWORD size) {
  const LONG rc = ::RegSetValueExW(key, name, 0, type,
                                   static_cast<const BYTE*>(data), size);
  if (rc != ERROR_SUCCESS) {
    return Win32ErrorStatus(
        static_cast<DWORD>(rc),
        absl::StrCat("RegSetValueExW HKLM\\", key_name, " ", WideToUtf8(name)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EventSourceKey(absl::string_view source) {
  return absl::StrCat(
      "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\", source);
}

absl::Status InstallEventLogSource(absl::string_view source) {
  const std::string key_name = EventSourceKey(source);
  HKEY raw = nullptr;
  const LONG rc = ::RegCreateKeyExW(
      HKEY_LOCAL_MACHINE, Utf8ToWide(key_name).c_str(), 0, nullptr,
      REG_OPTION_NON_VOLATILE, KEY_SET_VALUE, nullptr, &raw, nullptr);
  if (rc != ERROR_SUCCESS) {
    return Win32ErrorStatus(static_cast<DWORD>(rc),
                            absl::StrCat("RegCreateKeyExW HKLM\\", key_name));
  }
  RegKey key(raw);
  const std::wstring message_file = Utf8ToWide(kEventMessageFile);
  if (absl::Status s = SetValue(
          key.get(), key_name, L"EventMessageFile", REG_EXPAND_SZ,
          message_file.c_str(),
          static_cast<DWORD>((message_file.size() + 1) * sizeof(wchar_t)));
      !s.ok()) {
    return s;
  }
  const DWORD types =
      EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  return SetValue(key.get(), key_name, L"TypesSupported", REG_DWORD, &types,
                  sizeof(types));
}

absl::Status RemoveEventLogSource(absl::string_view source) {
  const std::string key_name = EventSourceKey(source);
  const LONG rc =
      ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, Utf8ToWide(key_name).c_str());
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
    return Win32ErrorStatus(static_cast<DWORD>(rc),
                            absl::StrCat("RegDeleteKeyW HKLM\\", key_name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EventLogWriter>> EventLogWriter::Open(
    absl::string_view source) {
  HANDLE handle = ::RegisterEventSourceW(nullptr, Utf8ToWide(source).c_str());
  if (handle == nullptr) {
    return LastErrorStatus(absl::StrCat("RegisterEventSourceW ", source));
  }
  return std::unique_ptr<EventLogWriter>(new EventLogWriter(handle));
}

EventLogWriter::~EventLogWriter() { ::DeregisterEventSource(handle_); }

void EventLogWriter::Write(Severity severity, absl::string_view message) {
  WORD type = EVENTLOG_INFORMATION_TYPE;
  DWORD id = 1000;
  switch (severity) {
    case Severity::kInformation:
      break;
    case Severity::kWarning:
      type = EVENTLOG_WARNING_TYPE;
      id = 1001;
      break;
    case Severity::kError:
      type = EVENTLOG_ERROR_TYPE;
      id = 1002;
      break;
  }
  const std::wstring text = Utf8ToWide(message);
  const wchar_t* strings[] = {text.c_str()};
  ::ReportEventW(handle_, type, /*wCategory=*/0, id, /*lpUserSid=*/nullptr,
                 /*wNumStrings=*/1, /*dwDataSize=*/0, strings,
                 /*lpRawData=*/nullptr);
}

absl::Status RotateLogFile(absl::string_view path, uint64_t max_bytes) {
  const std::wstring wpath = Utf8ToWide(path);
  WIN32_FILE_ATTRIBUTE_DATA attributes{};
  if (!::GetFileAttributesExW(wpath.c_str(), GetFileExInfoStandard,
                              &attributes)) {
    return absl::OkStatus();  // absent (or unreadable: opening will say)
  }
  const uint64_t size =
      (static_cast<uint64_t>(attributes.nFileSizeHigh) << 32) |
      attributes.nFileSizeLow;
  if (size <= max_bytes) return absl::OkStatus();
  const std::wstring previous = wpath + L".1";
  if (!::MoveFileExW(wpath.c_str(), previous.c_str(),
                     MOVEFILE_REPLACE_EXISTING)) {
    return LastErrorStatus(
        absl::StrCat("MoveFileExW ", path, " -> ", path, ".1 (log rotation)"));
  }
  return absl::OkStatus();
}

absl::Status RedirectStderrToFile(absl::string_view path, uint64_t max_bytes) {
  if (absl::Status s = RotateLogFile(path, max_bytes); !s.ok()) return s;
  std::fflush(stderr);
  FILE* reopened = nullptr;
  const errno_t error =
      ::_wfreopen_s(&reopened, Utf8ToWide(path).c_str(), L"a", stderr);
  if (error != 0 || reopened == nullptr) {
    if (::_fileno(stderr) < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot send stderr to ", path,
          ": this process has no standard error stream and its C runtime "
          "cannot reopen it"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open the log file ", path, " for appending"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogFile>> LogFile::Open(absl::string_view path,
                                                       uint64_t max_bytes) {
  if (absl::Status s = RotateLogFile(path, max_bytes); !s.ok()) return s;
  HANDLE handle =
      ::CreateFileW(Utf8ToWide(path).c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return LastErrorStatus(absl::StrCat("CreateFileW ", path));
  }
  return std::unique_ptr<LogFile>(new LogFile(handle));
}

LogFile::~LogFile() { ::CloseHandle(handle_); }

void LogFile::Write(absl::string_view line) {
  const std::string text =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ ", absl::Now(),
                                    absl::UTCTimeZone()),
                   line, "\r\n");
  DWORD written = 0;
  // FILE_APPEND_DATA: the system appends each write atomically.
  ::WriteFile(handle_, text.data(), static_cast<DWORD>(text.size()), &written,
              nullptr);
}

}  // namespace mdefleet::runner::service_win
