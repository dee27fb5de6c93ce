// LogEvent writes one line per event whatever the text it quotes holds.
#include "server/service/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// Runs `log` with stderr sent to a file; returns what was written.
template <typename F>
std::string CaptureStderr(F log) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/stderr";
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  dup2(fd, STDERR_FILENO);
  close(fd);
  log();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(LogEventTest, DeviceTextCannotForgeLinesOrActOnATerminal) {
  const std::string hostname =
      "WEB01\u0085\u2028forged\r\n2024-01-01T00:00:00Z mdefleet-server: "
      "enrolled device dev-0\x1b]0;x\x07\u202e\u009b2J";
  const std::string out = CaptureStderr(
      [&] { LogEvent("enrolled device dev-1 " + hostname + " (2019)"); });
  // One line: only the final newline.
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_THAT(out, EndsWith(" (2019)\n"));
  for (const char* raw :
       {"\r", "\x1b", "\x07", "\u0085", "\u2028", "\u202e", "\u009b"}) {
    EXPECT_EQ(out.find(raw), std::string::npos) << out;
  }
  EXPECT_THAT(out, HasSubstr("WEB01\\u0085\\u2028forged\\r\\n2024-01-01"));
  EXPECT_THAT(out, HasSubstr("dev-0\\x1b]0;x\\x07\\u202e\\u009b2J (2019)"));
}

TEST(LogEventTest, OrdinaryLinesAreUnchanged) {
  const std::string out = CaptureStderr(
      [] { LogEvent("enrolled device dev-1 サーバー-01 (2019)"); });
  EXPECT_THAT(out, EndsWith(" mdefleet-server: enrolled device dev-1 "
                            "サーバー-01 (2019)\n"));
}

}  // namespace
}  // namespace mdefleet
