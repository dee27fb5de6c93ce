#include "server/cli/errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Message(grpc::StatusCode code, const std::string& text) {
  return std::string(
      FromRpcStatus(grpc::Status(code, text), "10.0.0.5:7443").message());
}

TEST(FromRpcStatusTest, ReadablePrefixesKeepTheServersMessage) {
  EXPECT_THAT(Message(grpc::StatusCode::UNAUTHENTICATED, "wrong token"),
              StartsWith("authentication failed"));
  EXPECT_THAT(Message(grpc::StatusCode::UNAUTHENTICATED, "wrong token"),
              HasSubstr("wrong token"));
  EXPECT_EQ(Message(grpc::StatusCode::UNAVAILABLE,
                    "failed to connect to all addresses"),
            "cannot reach mdefleet-server at 10.0.0.5:7443: failed to connect "
            "to all addresses");
  EXPECT_EQ(Message(grpc::StatusCode::INVALID_ARGUMENT,
                    "parameters.workspace_id: malformed GUID"),
            "invalid request: parameters.workspace_id: malformed GUID");
  EXPECT_EQ(Message(grpc::StatusCode::NOT_FOUND, "job x"), "not found: job x");
  EXPECT_THAT(Message(grpc::StatusCode::DEADLINE_EXCEEDED, ""),
              HasSubstr("--timeout"));
  EXPECT_THAT(Message(grpc::StatusCode::FAILED_PRECONDITION,
                      "offboarding script expired on 2024-01-01"),
              HasSubstr("expired on 2024-01-01"));
}

TEST(FromRpcStatusTest, OversizedMessagesSaySo) {
  EXPECT_THAT(Message(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "Received message larger than max (5242890 vs. "
                      "4194304)"),
              StartsWith("message too large: "));
  EXPECT_THAT(Message(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "artifact too large: 600 MiB"),
              StartsWith("message too large: "));
  EXPECT_THAT(Message(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota"),
              StartsWith("resource exhausted: "));
}

TEST(FromRpcStatusTest, KeepsTheCode) {
  auto s = FromRpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "x"), "h:1");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(IsUsageError(s));
  EXPECT_TRUE(FromRpcStatus(grpc::Status::OK, "h:1").ok());
}

TEST(ExitCodeForTest, UsageTwoOtherOne) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(UsageError("--target: bad")), 2);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("from server")), 1);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("down")), 1);
  EXPECT_EQ(UsageError("--x").message(), "--x");
}

}  // namespace
}  // namespace mdefleet::cli
