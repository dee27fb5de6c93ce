// Starts the real mdefleet binaries for end-to-end tests: a child process with
// its stdout/stderr captured to files (no pipes to deadlock on).
#ifndef MDEFLEET_TESTS_E2E_CHILD_PROCESS_H_
#define MDEFLEET_TESTS_E2E_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mdefleet::testing {

struct ProcessOutput {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// A running child process; killed (SIGKILL) and reaped on destruction unless
// it already ended.
class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`, `env_overrides` ("NAME=value") added to the
  // environment, output captured under `log_prefix`.out/.err.
  static absl::StatusOr<ChildProcess> Start(
      const std::vector<std::string>& argv, const std::string& log_prefix,
      const std::vector<std::string>& env_overrides = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  // Waits up to `timeout` for the process to end; then kills it.
  ProcessOutput Wait(absl::Duration timeout);
  // The output if the process has ended (reaping it), else nullopt.
  std::optional<ProcessOutput> TryCollect();
  // Sends `signal` (SIGTERM by default) and waits up to `timeout`.
  ProcessOutput Stop(int signal, absl::Duration timeout);
  std::string ReadErr() const;
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, std::string log_prefix)
      : pid_(pid), log_prefix_(std::move(log_prefix)) {}
  ProcessOutput Collect(int status, bool exited);

  pid_t pid_ = -1;
  std::string log_prefix_;
};

// Runs a command to completion (with a timeout) and returns its output.
ProcessOutput RunCommand(const std::vector<std::string>& argv,
                         const std::string& log_prefix,
                         const std::vector<std::string>& env_overrides = {},
                         absl::Duration timeout = absl::Seconds(120));

std::string ReadWholeFile(const std::string& path);

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_CHILD_PROCESS_H_
