// Programs run through WindowsHost: capture, exit codes, timeouts that kill
// the whole tree (job object), stdin, working directory, output caps and
// decoding, and the errors for programs that cannot run.
#include "runner/host/windows/processes.h"

#include <windows.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/executor/action_policy.h"
#include "runner/host/windows/windows_host.h"
#include "runner/host/windows_path.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::HelperPath;

using testing::kCmd;

std::string Child() { return HelperPath("windows_host_test_child.exe"); }

ProcessRequest Req(std::string program, std::vector<std::string> args,
                   absl::Duration timeout = absl::Seconds(60)) {
  ProcessRequest r;
  r.program = std::move(program);
  r.args = std::move(args);
  r.timeout = timeout;
  return r;
}

// Waits (bounded) until process `pid` is gone. True when it is gone; a
// process still alive is terminated so the test leaves nothing behind.
bool ProcessGone(DWORD pid) {
  HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE, FALSE, pid);
  if (h == nullptr) return true;  // no such process any more
  const bool gone = WaitForSingleObject(h, 10000) == WAIT_OBJECT_0;
  if (!gone) TerminateProcess(h, 1);
  CloseHandle(h);
  return gone;
}

class ProcessesTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.max_output_bytes = 64 * 1024;
  }

  // The process id the helper wrote to `file`.
  DWORD PidIn(const std::string& file) {
    auto text = host_->ReadFile(file);
    EXPECT_TRUE(text.ok()) << text.status();
    uint32_t pid = 0;
    EXPECT_TRUE(text.ok() && absl::SimpleAtoi(*text, &pid)) << file;
    return pid;
  }
};

TEST_F(ProcessesTest, CapturesStdoutStderrAndTheExitCode) {
  auto result = host_->RunProcess(Req(Child(), {"exit", "42"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 42);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->stdout_text, "stdout line\n");
  EXPECT_EQ(result->stderr_text, "stderr line\n");

  result = host_->RunProcess(Req(Child(), {"exit", "0"}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 0);
}

TEST_F(ProcessesTest, CmdScriptExitCodeAndOutput) {
  const std::string script = dir_.Join("script with space.cmd");
  ASSERT_TRUE(host_
                  ->WriteFile(script,
                              "@echo off\r\necho hello from cmd\r\n"
                              "echo to stderr 1>&2\r\nexit /b 7\r\n")
                  .ok());
  auto result = host_->RunProcess(Req(kCmd, {"/c", script}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_THAT(result->stdout_text, HasSubstr("hello from cmd"));
  EXPECT_THAT(result->stderr_text, HasSubstr("to stderr"));
}

TEST_F(ProcessesTest, ChattyChildDoesNotDeadlockAndTheTailIsKept) {
  // 3 MiB on each stream, interleaved: far more than a pipe buffers, so a
  // reader that drained one stream at a time would hang. Only the last
  // 64 KiB (the host's cap here) of each is kept.
  auto result =
      host_->RunProcess(Req(Child(), {"chatty", std::to_string(3 << 20)}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text.size(), 64u * 1024);
  EXPECT_EQ(result->stderr_text.size(), 64u * 1024);
  EXPECT_THAT(result->stdout_text, EndsWith("xxxxEND-OF-STDOUT\n"));
  EXPECT_THAT(result->stderr_text, EndsWith("xxxxEND-OF-STDERR\n"));
}

TEST_F(ProcessesTest, TimeoutKillsTheProgram) {
  const auto start = std::chrono::steady_clock::now();
  auto result =
      host_->RunProcess(Req(Child(), {"sleep", "600000"}, absl::Seconds(1)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(ProcessesTest, TimeoutKillsTheGrandchildStartedThroughCmd) {
  // cmd.exe /c child write-pid-and-sleep: the tree is cmd.exe -> child; the
  // job object takes both down at the timeout.
  const std::string pid_file = dir_.Join("grandchild.pid");
  const auto start = std::chrono::steady_clock::now();
  auto result = host_->RunProcess(
      Req(kCmd, {"/c", Child(), "write-pid-and-sleep", pid_file},
          absl::Seconds(3)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  const DWORD pid = PidIn(pid_file);
  ASSERT_NE(pid, 0u);
  EXPECT_TRUE(ProcessGone(pid)) << "grandchild " << pid << " survived";
}

TEST_F(ProcessesTest, TimeoutKillsAGrandchildTheChildStarted) {
  const std::string pid_file = dir_.Join("spawned.pid");
  auto result =
      host_->RunProcess(Req(Child(), {"spawn", pid_file}, absl::Seconds(3)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->timed_out);
  const DWORD pid = PidIn(pid_file);
  ASSERT_NE(pid, 0u);
  EXPECT_TRUE(ProcessGone(pid)) << "grandchild " << pid << " survived";
}

TEST_F(ProcessesTest, LeftoverProcessesEndWithTheProgram) {
  // The child starts a grandchild and exits 0 at once: the step is over, and
  // nothing it started keeps running.
  const std::string pid_file = dir_.Join("leftover.pid");
  auto result = host_->RunProcess(Req(Child(), {"spawn-and-exit", pid_file}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->exit_code, 0);
  const DWORD pid = PidIn(pid_file);
  ASSERT_NE(pid, 0u);
  EXPECT_TRUE(ProcessGone(pid)) << "leftover " << pid << " survived";
}

TEST_F(ProcessesTest, AGrandchildHoldingStdoutDoesNotHangTheRun) {
  // The grandchild inherits the child's stdout and sleeps for ten minutes;
  // the pipe would stay open that long if the host waited for it.
  const std::string pid_file = dir_.Join("holder.pid");
  const auto start = std::chrono::steady_clock::now();
  auto result = host_->RunProcess(
      Req(Child(), {"spawn-holding-stdout", pid_file}, absl::Seconds(120)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_THAT(result->stdout_text, HasSubstr("grandchild says hi"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_TRUE(ProcessGone(PidIn(pid_file)));
}

TEST_F(ProcessesTest, StdinIsAtEndOfFile) {
  auto result =
      host_->RunProcess(Req(Child(), {"read-stdin"}, absl::Seconds(30)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->stdout_text, "stdin bytes: 0\n");
}

TEST_F(ProcessesTest, RunsInTheWorkingDirectory) {
  ProcessRequest request = Req(Child(), {"cwd"});
  request.working_directory = dir_.path();
  auto result = host_->RunProcess(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(SameWindowsPath(result->stdout_text, dir_.path()))
      << result->stdout_text;

  request.working_directory = dir_.Join("missing");
  EXPECT_EQ(host_->RunProcess(request).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ProcessesTest, OutputIsUtf8) {
  // UTF-8 output stays as it is.
  auto result = host_->RunProcess(Req(Child(), {"bytes", "e697a5e69cac"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, "日本");
  // Other bytes are read in the OEM code page console programs write in
  // (CP932 "あ" on a Japanese server; whatever this machine's OEM page is).
  result = host_->RunProcess(Req(Child(), {"bytes", "82a0"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_text, CodePageToUtf8("\x82\xa0", GetOEMCP()));
  EXPECT_TRUE(IsValidUtf8(result->stdout_text));
}

TEST_F(ProcessesTest, MissingProgramIsNotFound) {
  auto result =
      host_->RunProcess(Req("C:\\Windows\\System32\\no-such-program.exe", {}));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("no-such-program.exe"));
  result = host_->RunProcess(Req("C:\\no\\such\\dir\\x.exe", {}));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  // A directory is not a program.
  EXPECT_EQ(host_->RunProcess(Req(dir_.path(), {})).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ProcessesTest, RefusesRelativeProgramsAndBadRequests) {
  EXPECT_EQ(host_->RunProcess(Req("cmd.exe", {"/c", "echo"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      host_->RunProcess(Req(Child(), {std::string("a\0b", 3)})).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(host_->RunProcess(Req(Child(), {"exit", "0"}, absl::ZeroDuration()))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProcessesTest, AllowListedProgramsAreWhereThePolicySays) {
  // The executor's fixed paths (action_policy.cc) exist on this host. The
  // Defender one (MpCmdRun.exe) exists only where Defender is installed.
  for (v1::Program program :
       {v1::PROGRAM_POWERSHELL, v1::PROGRAM_CMD_SCRIPT, v1::PROGRAM_MSIEXEC,
        v1::PROGRAM_SC, v1::PROGRAM_NETSH}) {
    auto path = ProgramPath(program);
    ASSERT_TRUE(path.ok());
    EXPECT_TRUE(*host_->FileExists(*path)) << *path;
  }
}

TEST(BoundedTail, KeepsTheLastBytes) {
  BoundedTail tail(4);
  tail.Append("ab");
  EXPECT_FALSE(tail.truncated());
  tail.Append("cdef");
  tail.Append("g");
  EXPECT_EQ(tail.total_bytes(), 7u);
  EXPECT_TRUE(tail.truncated());
  EXPECT_EQ(std::move(tail).Take(), "defg");
  BoundedTail big(3);
  big.Append("0123456789");
  EXPECT_EQ(std::move(big).Take(), "789");
}

TEST(ConsoleOutputToUtf8, SkipsASequenceCutAtTheFront) {
  // "日本" with its first byte cut off by the tail.
  EXPECT_EQ(ConsoleOutputToUtf8("\x97\xa5\xe6\x9c\xac", true), "\xe6\x9c\xac");
  // Uncut output starting with such bytes is not UTF-8 at all.
  EXPECT_EQ(ConsoleOutputToUtf8("\x82\xa0", false),
            CodePageToUtf8("\x82\xa0", GetOEMCP()));
}

}  // namespace
}  // namespace mdefleet::runner::win
