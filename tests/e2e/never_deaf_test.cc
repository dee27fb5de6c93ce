// The server never goes deaf (issue "fleet scale", point 3): under a small
// open-files limit with more simulated runners than it may hold, it refuses
// enrollments and polls at --max-connections (RESOURCE_EXHAUSTED with a
// retry delay the runners honour, disconnected, with jitter), keeps
// answering its health service meanwhile and serves again once descriptors
// free up; driven past the hard limit, where gRPC 1.51's listener stops
// accepting for good, it exits non-zero for its service manager to restart
// it instead of staying up and deaf.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kPrlimit[] = "/usr/bin/prlimit";

// grpc.health.v1.Health/Check for the whole server (empty request): the
// ServingStatus number (1 SERVING, 2 NOT_SERVING), or the call's error.
absl::StatusOr<int> HealthStatus(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::CompletionQueue queue;
  // HealthCheckRequest{} encodes to zero bytes, but a buffer with no slice
  // at all is not a message.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    request, &queue);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    return absl::UnavailableError(status.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::DataLossError("dump");
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // HealthCheckResponse { status = 1 (varint) }; absent field: UNKNOWN.
  if (bytes.empty()) return 0;
  if (bytes.size() != 2 || bytes[0] != 0x08) {
    return absl::DataLossError("unexpected health response");
  }
  return static_cast<int>(bytes[1]);
}

// Below the hard limit: the connection budget does the work. 300 devices,
// room for 100: the rest are refused with a retry delay, the server stays up
// and answers, and takes new connections again after the fleet goes.
TEST(NeverDeaf, RefusesAtTheConnectionLimitAndServesAgainAfter) {
  auto env_or = E2eEnvironment::Start({"--max-connections", "100"},
                                      E2eEnvironment::Transport::kPlaintext,
                                      {kPrlimit, "--nofile=1024:1024", "--"});
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  EXPECT_THAT(env.server_log(), HasSubstr("open files: limit 1024"));
  EXPECT_THAT(env.server_log(),
              HasSubstr("enrollments and polls refused from 100 open "
                        "descriptors (--max-connections)"));
  auto serving = HealthStatus(env.server_address());
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_EQ(*serving, 1);

  auto fleet = env.StartFleet(300, 0, {"--sim-delay-ms", "0"});
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  EXPECT_TRUE(Eventually(
      [&] {
        return absl::StrContains(env.server_log(), "connection limit reached");
      },
      absl::Seconds(60), kPollEvery))
      << env.server_log();
  // Saturated, and answering: NOT_SERVING is an answer.
  auto saturated = HealthStatus(env.server_address());
  ASSERT_TRUE(saturated.ok()) << saturated.status();
  EXPECT_FALSE(env.ServerExit().has_value()) << env.server_log();
  // The refused runners were told when to come back, and dropped their
  // connection meanwhile.
  EXPECT_TRUE(Eventually(
      [&] {
        return absl::StrContains(
            ReadWholeFile(absl::StrCat(env.dir(), "/runner", *fleet, "-0.err")),
            "server at its connection limit");
      },
      absl::Seconds(30), kPollEvery));

  env.KillRunner(*fleet);
  EXPECT_TRUE(Eventually(
      [&] {
        auto health = HealthStatus(env.server_address());
        return health.ok() && *health == 1;
      },
      absl::Seconds(30), kPollEvery))
      << env.server_log();
  EXPECT_THAT(env.server_log(), HasSubstr("below the connection limit again"));
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  EXPECT_GT(devices.devices_size(), 0);
}

// At the hard limit itself: whichever comes first, the server either keeps
// answering or exits non-zero saying its listener died; never up and deaf.
TEST(NeverDeaf, NeverUpAndDeafAtTheHardLimit) {
  auto env_or = E2eEnvironment::Start({}, E2eEnvironment::Transport::kPlaintext,
                                      {kPrlimit, "--nofile=96:96", "--"});
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  auto fleet = env.StartFleet(300, 0, {"--sim-delay-ms", "0"});
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  std::optional<ProcessOutput> exited;
  // Up or gone after 20 s: both are outcomes, each checked below.
  static_cast<void>(Eventually(
      [&] {
        exited = env.ServerExit();
        return exited.has_value();
      },
      absl::Seconds(20), kPollEvery));
  std::fprintf(stderr, "[never-deaf] 300 runners at 96 descriptors: %s\n",
               exited.has_value() ? "the server exited (listener died)"
                                  : "the server is up");
  if (exited.has_value()) {
    EXPECT_NE(exited->exit_code, 0);
    EXPECT_THAT(env.server_log(),
                HasSubstr("the gRPC listener stopped accepting connections"));
    return;
  }
  env.KillRunner(*fleet);
  // Alive: then it must answer a new connection.
  EXPECT_TRUE(Eventually(
      [&] {
        if (env.ServerExit().has_value()) return true;
        return HealthStatus(env.server_address()).ok();
      },
      absl::Seconds(30), kPollEvery))
      << env.server_log();
  if (std::optional<ProcessOutput> late = env.ServerExit()) {
    EXPECT_NE(late->exit_code, 0);
    EXPECT_THAT(env.server_log(),
                HasSubstr("the gRPC listener stopped accepting connections"));
  }
}

}  // namespace
}  // namespace mdefleet::testing
