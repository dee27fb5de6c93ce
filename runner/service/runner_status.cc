#include "runner/service/runner_status.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

constexpr char kServer[] = "ServerAddress";
constexpr char kDeviceId[] = "DeviceId";
constexpr char kLastContact[] = "LastContact";
constexpr char kCurrentTask[] = "CurrentTask";
constexpr char kCurrentTaskKind[] = "CurrentTaskKind";
constexpr char kLastError[] = "LastError";
constexpr char kLastErrorTime[] = "LastErrorTime";
constexpr char kUpdated[] = "Updated";

std::string TimeText(const std::optional<absl::Time>& t) {
  if (!t.has_value()) return "";
  return absl::FormatTime(absl::RFC3339_sec, *t, absl::UTCTimeZone());
}

// One line of the file: no CR/LF may reach it (a message could hold them).
std::string OneLine(absl::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return line;
}

std::string Ago(absl::Time then, absl::Time now) {
  const absl::Duration d = absl::Trunc(now - then, absl::Seconds(1));
  if (d < absl::ZeroDuration()) return "";
  return absl::StrCat(" (", absl::FormatDuration(d), " ago)");
}

}  // namespace

std::string RunnerStatusPath(absl::string_view state_directory) {
  return JoinWindowsPath(state_directory, "status");
}

std::string FormatRunnerStatusFile(const RunnerStatus& status) {
  std::string out =
      "# mdefleet-runner status (written by the service; read by "
      "`mdefleet-runner.exe status`)\r\n";
  auto line = [&out](absl::string_view name, absl::string_view value) {
    absl::StrAppend(&out, name, " = ", OneLine(value), "\r\n");
  };
  line(kServer, status.server_address);
  line(kDeviceId, status.device_id);
  line(kLastContact, TimeText(status.last_contact));
  line(kCurrentTask, status.current_task);
  line(kCurrentTaskKind, status.current_task_kind);
  line(kLastError, status.last_error);
  line(kLastErrorTime, TimeText(status.last_error_time));
  line(kUpdated, TimeText(status.updated));
  return out;
}

absl::StatusOr<RunnerStatus> ParseRunnerStatusFile(absl::string_view content) {
  RunnerStatus status;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat("status file line ", number, ": no \"=\""));
    }
    const absl::string_view name =
        absl::StripAsciiWhitespace(line.substr(0, eq));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    auto time = [&](std::optional<absl::Time>& out) -> absl::Status {
      if (value.empty()) return absl::OkStatus();
      absl::Time t;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, value, &t, &error)) {
        return absl::DataLossError(absl::StrCat("status file line ", number,
                                                ": ", name, ": ", error));
      }
      out = t;
      return absl::OkStatus();
    };
    absl::Status parsed;
    if (name == kServer) {
      status.server_address = value;
    } else if (name == kDeviceId) {
      status.device_id = value;
    } else if (name == kLastContact) {
      parsed = time(status.last_contact);
    } else if (name == kCurrentTask) {
      status.current_task = value;
    } else if (name == kCurrentTaskKind) {
      status.current_task_kind = value;
    } else if (name == kLastError) {
      status.last_error = value;
    } else if (name == kLastErrorTime) {
      parsed = time(status.last_error_time);
    } else if (name == kUpdated) {
      parsed = time(status.updated);
    }  // Unknown names: written by a newer runner; ignored.
    if (!parsed.ok()) return parsed;
  }
  return status;
}

absl::StatusOr<std::optional<RunnerStatus>> ReadRunnerStatus(
    Host& host, absl::string_view state_directory) {
  const std::string path = RunnerStatusPath(state_directory);
  absl::StatusOr<bool> exists = host.FileExists(path);
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::nullopt;
  absl::StatusOr<std::string> content = host.ReadFile(path);
  if (!content.ok()) return content.status();
  absl::StatusOr<RunnerStatus> status = ParseRunnerStatusFile(*content);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", status.status().message()));
  }
  return *std::move(status);
}

RunnerStatusFile::RunnerStatusFile(Host& host, std::string server_address,
                                   RunnerEventSink events, Clock* clock)
    : host_(host), events_(std::move(events)), clock_(clock) {
  status_.server_address = std::move(server_address);
}

void RunnerStatusFile::Event(RunnerEventSeverity severity,
                             const std::string& message) {
  if (events_) events_(severity, message);
}

void RunnerStatusFile::Write() {
  status_.updated = clock_->Now();
  absl::Status written = host_.WriteFile(RunnerStatusPath(host_.StateDirectory()),
                                         FormatRunnerStatusFile(status_));
  if (!written.ok() && !write_failed_) {
    write_failed_ = true;
    Event(RunnerEventSeverity::kWarning,
          absl::StrCat("cannot write the status file (`mdefleet-runner.exe "
                       "status` will be out of date): ",
                       written.message()));
  }
  if (written.ok()) write_failed_ = false;
}

void RunnerStatusFile::Enrolled(absl::string_view device_id, bool newly) {
  absl::MutexLock lock(&mu_);
  status_.device_id = std::string(device_id);
  Write();
  if (newly) {
    Event(RunnerEventSeverity::kInformation,
          absl::StrCat("enrolled with ", status_.server_address,
                       " as device ", device_id));
  }
}

void RunnerStatusFile::Contacted(absl::Time when) {
  absl::MutexLock lock(&mu_);
  status_.last_contact = when;
  if (failing_) {
    failing_ = false;
    Event(RunnerEventSeverity::kInformation,
          absl::StrCat("in contact with ", status_.server_address,
                       " again (last failure: ", status_.last_error, ")"));
  }
  Write();
}

void RunnerStatusFile::WorkingOn(absl::string_view task_id,
                                 absl::string_view kind) {
  absl::MutexLock lock(&mu_);
  status_.current_task = std::string(task_id);
  status_.current_task_kind = std::string(kind);
  Write();
}

void RunnerStatusFile::Failed(absl::string_view message) {
  absl::MutexLock lock(&mu_);
  status_.last_error = OneLine(message);
  status_.last_error_time = clock_->Now();
  if (!failing_) {
    // The first failure of a streak only: a server down for a day must not
    // fill the event log. The log file has every retry.
    failing_ = true;
    Event(RunnerEventSeverity::kError, status_.last_error);
  }
  Write();
}

RunnerStatus RunnerStatusFile::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::string DescribeRunnerStatus(absl::string_view configuration,
                                 absl::string_view service_state,
                                 const std::optional<RunnerStatus>& status,
                                 absl::Time now) {
  std::string out;
  absl::StrAppend(&out, "configuration: ", configuration, "\n");
  absl::StrAppend(&out, "service:       ", service_state, "\n");
  if (!status.has_value()) {
    absl::StrAppend(&out,
                    "status:        none yet (the service has not run with "
                    "this state directory)\n");
    return out;
  }
  absl::StrAppend(&out, "server:        ", status->server_address, "\n");
  absl::StrAppend(&out, "enrolled:      ",
                  status->device_id.empty()
                      ? std::string("no")
                      : absl::StrCat("yes, device ", status->device_id),
                  "\n");
  absl::StrAppend(
      &out, "last contact:  ",
      status->last_contact.has_value()
          ? absl::StrCat(TimeText(status->last_contact),
                         Ago(*status->last_contact, now))
          : std::string("never"),
      "\n");
  absl::StrAppend(&out, "current task:  ",
                  status->current_task.empty()
                      ? std::string("none")
                      : absl::StrCat(status->current_task, " (",
                                     status->current_task_kind, ")"),
                  "\n");
  if (!status->last_error.empty()) {
    absl::StrAppend(&out, "last failure:  ", status->last_error, " at ",
                    TimeText(status->last_error_time), "\n");
  }
  return out;
}

}  // namespace mdefleet::runner
