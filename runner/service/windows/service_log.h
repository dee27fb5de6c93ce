// Where the runner service's messages go: a log file in the state directory
// (stderr, which runner/client/log.h writes, is redirected to it) and, for
// starts, stops and errors, the Windows Application event log. Win32 only.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_LOG_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_LOG_H_

#include <windows.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::service_win {

// The message file registered for our event source: .NET Framework 4's
// EventLogMessages.dll, whose every message is "%1", so Event Viewer shows
// the text as written. Present on Windows Server 2012 R2 and later.
inline constexpr char kEventMessageFile[] =
    "%SystemRoot%\\Microsoft.NET\\Framework64\\v4.0.30319\\"
    "EventLogMessages.dll";

// Registry key (under HKLM) of event source `source` in the Application log.
std::string EventSourceKey(absl::string_view source);

// Registers `source` as an event source of the Application log
// (EventMessageFile, TypesSupported). Idempotent. Needs an administrator.
[[nodiscard]] absl::Status InstallEventLogSource(absl::string_view source);

// Removes the registration. Absent: success.
[[nodiscard]] absl::Status RemoveEventLogSource(absl::string_view source);

// Writes events of one source to the Application log.
class EventLogWriter {
 public:
  enum class Severity { kInformation, kWarning, kError };

  // Opens `source` (RegisterEventSourceW); works, with a less friendly
  // display, even when the source is not registered.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EventLogWriter>> Open(
      absl::string_view source);
  ~EventLogWriter();
  EventLogWriter(const EventLogWriter&) = delete;
  EventLogWriter& operator=(const EventLogWriter&) = delete;

  // Writes one event (id 1000 information, 1001 warning, 1002 error). Never
  // pass secrets. Failures are ignored: the log file is the primary record.
  void Write(Severity severity, absl::string_view message);

 private:
  explicit EventLogWriter(HANDLE handle) : handle_(handle) {}
  HANDLE handle_;
};

// Moves `path` to `path`.1 (replacing an older one) when it is larger than
// `max_bytes`, so a log kept this way stays below about twice `max_bytes`.
// Absent file: nothing to do.
[[nodiscard]] absl::Status RotateLogFile(absl::string_view path,
                                         uint64_t max_bytes);

// Appends the process's stderr (where runner/client/log.h writes) to file
// `path` (a Windows path, UTF-8), after RotateLogFile. Windows' C runtime
// does this even in a service, which has no standard error at all; Wine's
// does not (FailedPrecondition then: use LogFile).
[[nodiscard]] absl::Status RedirectStderrToFile(
    absl::string_view path, uint64_t max_bytes = uint64_t{10} << 20);

// A log file written with Win32 calls only: each line is one appending
// WriteFile, so other writers (and readers) can share the file. Thread-safe.
class LogFile {
 public:
  // Opens (creating) `path` for appending, after RotateLogFile.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LogFile>> Open(
      absl::string_view path, uint64_t max_bytes = uint64_t{10} << 20);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Appends "<UTC time> <line>\r\n". Failures are ignored (a log must not
  // stop the service). Never pass secrets.
  void Write(absl::string_view line);

 private:
  explicit LogFile(HANDLE handle) : handle_(handle) {}
  HANDLE handle_;
};

}  // namespace mdefleet::runner::service_win

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_LOG_H_
