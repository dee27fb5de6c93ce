// The whole server in process (server/serve/fleet_server.h): started on a
// temp database made as `init` makes it, called over real gRPC and HTTP
// connections, stopped, and started again on the same database; and flags
// refused before the database is opened.
#include "server/serve/fleet_server.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/random.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/auth/authenticator.h"
#include "server/store/credentials.h"
#include "server/store/store.h"
#include "tests/server/serve/fleet_clients.h"
#include "tests/server/test_env.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {
namespace {

using ::testing::StartsWith;

// The value of an unlabelled series in a /metrics page; -1 when missing.
double FleetMetricValue(const std::string& page, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

class FleetServerTest : public ::testing::Test {
 protected:
  // The database as `init` leaves it: the schema and the two bootstrap
  // credentials, whose plain values the test keeps.
  void SetUp() override {
    db_path_ = dir_.Join("fleet.db");
    absl::StatusOr<std::unique_ptr<store::Store>> made =
        store::Store::Open(db_path_, store::OpenMode::kCreate, clock_);
    ASSERT_TRUE(made.ok()) << made.status();
    admin_token_ = RandomToken(auth::kApiPrefix, 32);
    enrollment_secret_ = RandomToken(auth::kEnrollmentPrefix, 32);
    absl::Status written =
        (*made)->Write([&](store::Connection& db) -> absl::Status {
          return store::InsertBootstrapCredentials(
              db, Sha256Hex(admin_token_), Sha256Hex(enrollment_secret_), 0);
        });
    ASSERT_TRUE(written.ok()) << written;
  }

  // Plaintext on loopback, any free ports, the HTTP API too.
  ServeOptions Options() const {
    ServeOptions options;
    options.db_path = db_path_;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.plaintext = true;
    return options;
  }

  absl::StatusOr<std::unique_ptr<serve::FleetServer>> Start(
      const ServeOptions& options) {
    return serve::FleetServer::Start(options, clock_);
  }

  std::string Enroll(const std::shared_ptr<grpc::Channel>& channel,
                     absl::string_view hostname) {
    return EnrollOver(channel, enrollment_secret_, hostname);
  }

  grpc::Status ListHostnames(const std::shared_ptr<grpc::Channel>& channel,
                             std::vector<std::string>* hostnames) {
    return ListHostnamesOver(channel, admin_token_, hostnames);
  }

  // The /metrics page of the HTTP API ("" when it does not answer).
  std::string MetricsPage(const serve::FleetServer& server) {
    httplib::Client client("127.0.0.1", server.http_port());
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    httplib::Result result = client.Get(
        "/metrics", {{"Authorization", absl::StrCat("Bearer ", admin_token_)}});
    if (!result || result->status != 200) return "";
    return result->body;
  }

  TempDir dir_;
  std::string db_path_;
  // Leases and poll deadlines stand still: a parked poll ends only when
  // the server stops.
  FakeClock clock_{TestEpoch()};
  std::string admin_token_;
  std::string enrollment_secret_;
};

TEST_F(FleetServerTest, ServesBothApisUntilStopped) {
  absl::StatusOr<std::unique_ptr<serve::FleetServer>> server = Start(Options());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->grpc_port(), 0);
  ASSERT_GT((*server)->http_port(), 0);
  EXPECT_FALSE((*server)->http_tls());
  std::shared_ptr<grpc::Channel> channel = ChannelTo(**server);
  EXPECT_FALSE(Enroll(channel, "FLEET-2019-01").empty());
  std::vector<std::string> hostnames;
  const grpc::Status listed = ListHostnames(channel, &hostnames);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_EQ(hostnames, std::vector<std::string>{"FLEET-2019-01"});
  EXPECT_EQ(FleetMetricValue(MetricsPage(**server), "mdefleet_long_polls_held"),
            0);

  (*server)->Stop();
  (*server)->Stop();  // idempotent
  EXPECT_FALSE(ListHostnames(channel, &hostnames).ok());
  EXPECT_EQ(MetricsPage(**server), "");
}

TEST_F(FleetServerTest, StopAnswersAWaitingPollBeforeGrpcShutsDown) {
  absl::StatusOr<std::unique_ptr<serve::FleetServer>> server = Start(Options());
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<grpc::Channel> channel = ChannelTo(**server);
  const std::string token = Enroll(channel, "FLEET-2019-02");
  ASSERT_FALSE(token.empty());
  grpc::Status polled;
  v1::PollTasksResponse answer;
  std::thread poll([&] {
    auto runner = v1::RunnerService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(FleetRpcDeadline());
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    v1::PollTasksRequest request;
    *request.mutable_facts() = MakeFacts("FLEET-2019-02", "2019");
    request.mutable_max_wait()->set_seconds(30);
    polled = runner->PollTasks(&context, request, &answer);
  });
  // Nothing to lease and a clock that stands still: the poll waits.
  EXPECT_TRUE(Eventually([&] {
    return FleetMetricValue(MetricsPage(**server),
                            "mdefleet_long_polls_held") == 1;
  }));
  (*server)->Stop();
  poll.join();
  // Completed by the poller's stop, with no task; a gRPC shutdown first
  // would have cancelled it.
  EXPECT_TRUE(polled.ok()) << polled.error_code() << " "
                           << polled.error_message();
  EXPECT_EQ(answer.tasks_size(), 0);
}

TEST_F(FleetServerTest, StartsAgainOnTheSameDatabaseAfterStop) {
  int first_port = 0;
  {
    absl::StatusOr<std::unique_ptr<serve::FleetServer>> first =
        Start(Options());
    ASSERT_TRUE(first.ok()) << first.status();
    first_port = (*first)->grpc_port();
    EXPECT_FALSE(Enroll(ChannelTo(**first), "FLEET-2019-03").empty());
    (*first)->Stop();
  }
  // The store was closed: it opens again, with what the first one wrote.
  absl::StatusOr<std::unique_ptr<serve::FleetServer>> again = Start(Options());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_GT((*again)->grpc_port(), 0);
  std::vector<std::string> hostnames;
  const grpc::Status listed = ListHostnames(ChannelTo(**again), &hostnames);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_EQ(hostnames, std::vector<std::string>{"FLEET-2019-03"});
  // The old port is no longer served by anyone.
  std::shared_ptr<grpc::Channel> old =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", first_port),
                          grpc::InsecureChannelCredentials());
  if (first_port != (*again)->grpc_port()) {
    EXPECT_FALSE(ListHostnames(old, &hostnames).ok());
  }
}

TEST_F(FleetServerTest, AMissingDatabaseIsRefused) {
  ServeOptions options = Options();
  options.db_path = dir_.Join("missing.db");
  absl::StatusOr<std::unique_ptr<serve::FleetServer>> server = Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition)
      << server.status();
  EXPECT_FALSE(std::filesystem::exists(options.db_path));
}

struct BadServeFlag {
  std::string name;
  std::function<void(ServeOptions&)> set;
  std::string error_prefix;
};

class FleetServerBadFlagTest
    : public FleetServerTest,
      public ::testing::WithParamInterface<BadServeFlag> {};

// Each is refused with its flag named, before the database is opened: with
// none there, the error is the flag's (not the missing database's) and no
// file is made.
TEST_P(FleetServerBadFlagTest, IsRefusedBeforeTheDatabaseIsOpened) {
  ServeOptions options = Options();
  options.db_path = dir_.Join("not-made-yet.db");
  GetParam().set(options);
  absl::StatusOr<std::unique_ptr<serve::FleetServer>> server = Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
      << server.status();
  EXPECT_THAT(std::string(server.status().message()),
              StartsWith(GetParam().error_prefix));
  EXPECT_FALSE(std::filesystem::exists(options.db_path));
  EXPECT_FALSE(std::filesystem::exists(options.db_path + "-wal"));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, FleetServerBadFlagTest,
    ::testing::Values(
        BadServeFlag{"ListenWithoutPort",
                     [](ServeOptions& o) { o.listen = "127.0.0.1"; },
                     "--listen: "},
        BadServeFlag{"HttpListenWithoutPort",
                     [](ServeOptions& o) { o.http_listen = "localhost"; },
                     "--http-listen: "},
        BadServeFlag{"PlaintextOffLoopback",
                     [](ServeOptions& o) { o.listen = "0.0.0.0:0"; },
                     "--listen 0.0.0.0:0: --plaintext"},
        BadServeFlag{"ConfirmTimeoutTooShort",
                     [](ServeOptions& o) {
                       o.defender_confirm_timeout = absl::Milliseconds(10);
                     },
                     "--defender-confirm-timeout: 10ms is too short"},
        BadServeFlag{"MaxConnectionsOverTheLimit",
                     [](ServeOptions& o) { o.max_connections = 1 << 30; },
                     "--max-connections: "},
        BadServeFlag{
            "BadWorkspaceId",
            [](ServeOptions& o) { o.mde_workspace_ids = {"not-a-guid"}; },
            "--mde-workspace-id"},
        BadServeFlag{"DefenderTenantAlone",
                     [](ServeOptions& o) { o.defender_tenant_id = "tenant"; },
                     "--defender-client-id: required"}),
    [](const ::testing::TestParamInfo<BadServeFlag>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace mdefleet::testing
