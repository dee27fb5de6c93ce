#include "tests/e2e/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace mdefleet::testing {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<ChildProcess> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_prefix,
    const std::vector<std::string>& env_overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& o : env_overrides) env.push_back(o);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string out_path = log_prefix + ".out";
  std::string err_path = log_prefix + ".err";
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc =
      posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("posix_spawn ", argv[0], " failed: ", rc));
  }
  return ChildProcess(pid, log_prefix);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      log_prefix_(std::move(other.log_prefix_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) Stop(SIGKILL, absl::Seconds(5));
    pid_ = std::exchange(other.pid_, -1);
    log_prefix_ = std::move(other.log_prefix_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Stop(SIGKILL, absl::Seconds(5));
}

ProcessOutput ChildProcess::Collect(int status, bool exited) {
  ProcessOutput output;
  if (exited && WIFEXITED(status)) output.exit_code = WEXITSTATUS(status);
  output.out = ReadWholeFile(log_prefix_ + ".out");
  output.err = ReadWholeFile(log_prefix_ + ".err");
  pid_ = -1;
  return output;
}

ProcessOutput ChildProcess::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (pid_ > 0) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) return Collect(status, true);
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      return Collect(status, false);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return ProcessOutput{};
}

std::optional<ProcessOutput> ChildProcess::TryCollect() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  return Collect(status, true);
}

ProcessOutput ChildProcess::Stop(int signal, absl::Duration timeout) {
  if (pid_ <= 0) return ProcessOutput{};
  kill(pid_, signal);
  return Wait(timeout);
}

std::string ChildProcess::ReadErr() const {
  return ReadWholeFile(log_prefix_ + ".err");
}

ProcessOutput RunCommand(const std::vector<std::string>& argv,
                         const std::string& log_prefix,
                         const std::vector<std::string>& env_overrides,
                         absl::Duration timeout) {
  auto child = ChildProcess::Start(argv, log_prefix, env_overrides);
  if (!child.ok()) {
    ProcessOutput failed;
    failed.err = child.status().ToString();
    return failed;
  }
  return child->Wait(timeout);
}

}  // namespace mdefleet::testing
