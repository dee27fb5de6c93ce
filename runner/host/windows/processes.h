// The process half of WindowsHost: CreateProcessW in a job object, with
// stdout and stderr captured through pipes read concurrently (overlapped I/O
// in one loop), so a chatty child cannot fill a pipe and deadlock, and a
// timeout kills the whole process tree.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_PROCESSES_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_PROCESSES_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

// Keeps the last `capacity` bytes appended to it, in memory bounded by about
// twice that, however much is appended.
class BoundedTail {
 public:
  explicit BoundedTail(size_t capacity) : capacity_(capacity) {}

  void Append(absl::string_view data);
  // The kept bytes (at most `capacity`).
  std::string Take() &&;
  // Bytes appended in all.
  uint64_t total_bytes() const { return total_bytes_; }
  // Whether bytes were dropped from the front.
  bool truncated() const { return total_bytes_ > capacity_; }

 private:
  size_t capacity_;
  std::string buffer_;
  uint64_t total_bytes_ = 0;
};

struct ProcessLimits {
  // Bytes of each of stdout and stderr kept (the end of the output).
  size_t max_output_bytes = size_t{1} << 20;
  // After the program exits or is killed, how long to wait for the pipes to
  // deliver what is left in them.
  absl::Duration drain_timeout = absl::Seconds(5);
};

// Output bytes as UTF-8: kept as they are when they are valid UTF-8, else
// decoded from the OEM code page console programs (cmd.exe, reg.exe,
// PowerShell) write in, e.g. CP932 on a Japanese server. `cut_at_front`: the
// bytes are a tail, so a UTF-8 sequence may have lost its first bytes (they
// are skipped).
std::string ConsoleOutputToUtf8(absl::string_view bytes, bool cut_at_front);

// Runs `request` as host.h's Host::RunProcess describes:
// - The program must be an absolute path to an existing file: NotFound
//   otherwise, InvalidArgument for a relative path. The path is given to
//   CreateProcessW as the application name, so no search path is used.
// - Arguments are quoted by the MSVCRT rules (command_line.h); for cmd.exe
//   with "/c" first, the rest is passed as `/d /s /c ""arg" ...""`.
// - stdin is the NUL device; stdout and stderr are captured, each capped at
//   `limits.max_output_bytes` (the tail is kept), as UTF-8.
// - The process runs in a job object (kill on close). At the timeout the job
//   is terminated (the program and everything it started) and the result has
//   timed_out set and exit_code -1. When the program exits by itself,
//   processes it left behind in the job are ended too: a step leaves nothing
//   running.
// - A missing working directory is NotFound.
[[nodiscard]] absl::StatusOr<ProcessResult> RunProcessInJob(
    const ProcessRequest& request, const ProcessLimits& limits);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_PROCESSES_H_
