// Runs mdefleetctl's RunCli in process against a FakeServer, with the fake's
// token and a fixed clock, for the command tests. The token must never be
// printed: every run checks it.
#ifndef MDEFLEET_TESTS_CLI_CLI_RUN_H_
#define MDEFLEET_TESTS_CLI_CLI_RUN_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/cli/app.h"
#include "tests/cli/fake_admin_service.h"
#include "tests/testing/fake_clock.h"

namespace mdefleet::cli::testing {

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

// `args` as given (no server or token added).
inline Result RunCliRaw(const std::vector<std::string>& args,
                        Terminal terminal = {}) {
  // 2024-05-01 12:00Z, always: the commands' relative times are fixed.
  static const ::mdefleet::testing::FakeClock clock(
      absl::FromUnixSeconds(1714564800));
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(args, out, err, terminal, clock);
  Result r{code, out.str(), err.str()};
  EXPECT_THAT(r.out,
              ::testing::Not(::testing::HasSubstr(FakeAdminService::kToken)));
  EXPECT_THAT(r.err,
              ::testing::Not(::testing::HasSubstr(FakeAdminService::kToken)));
  return r;
}

// `args` against `server` with the fake's token.
inline Result RunCliAgainst(const FakeServer& server,
                            std::vector<std::string> args,
                            Terminal terminal = {}) {
  args.insert(args.begin(), {"--server", server.address(), "--token",
                             FakeAdminService::kToken});
  return RunCliRaw(args, terminal);
}

}  // namespace mdefleet::cli::testing

#endif  // MDEFLEET_TESTS_CLI_CLI_RUN_H_
