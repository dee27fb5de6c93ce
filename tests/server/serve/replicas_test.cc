// Server replicas on one PostgreSQL store, in process: what one writes the
// other serves, one of them at a time runs the cluster's once-only work and
// another takes over when it stops, a long-poll waiting on one is woken by
// work queued through the other, a replica whose database sessions are cut
// carries on, and a replica with another CA, an unreachable PostgreSQL or a
// store in the wrong state is refused at start.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/random.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/auth/authenticator.h"
#include "server/serve/fleet_server.h"
#include "server/store/credentials.h"
#include "server/store/postgres/pg_connection.h"
#include "server/store/store.h"
#include "server/tls/tls_dir.h"
#include "tests/server/serve/fleet_clients.h"
#include "tests/server/test_env.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_cluster.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ReplicasTest : public ::testing::Test {
 protected:
  // A new database as `init` leaves it, and an empty TLS directory (plain
  // text on loopback; a PostgreSQL store needs the directory named).
  void SetUp() override {
    auto cluster = PostgresCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *cluster;
    auto name = cluster_->CreateUniqueDatabase();
    ASSERT_TRUE(name.ok()) << name.status();
    url_ = cluster_->Url(*name);
    auto made = store::Store::Open(url_, store::OpenMode::kCreate, clock_);
    ASSERT_TRUE(made.ok()) << made.status();
    admin_token_ = RandomToken(auth::kApiPrefix, 32);
    enrollment_secret_ = RandomToken(auth::kEnrollmentPrefix, 32);
    ASSERT_TRUE((*made)
                    ->Write([&](store::Connection& db) {
                      return store::InsertBootstrapCredentials(
                          db, Sha256Hex(admin_token_),
                          Sha256Hex(enrollment_secret_), 0);
                    })
                    .ok());
    std::filesystem::create_directories(dir_.Join("tls"));
  }

  ServeOptions Options() const {
    ServeOptions options;
    options.db_path = url_;
    options.tls_dir = dir_.Join("tls");
    options.listen = "127.0.0.1:0";
    options.plaintext = true;
    return options;
  }

  absl::StatusOr<std::unique_ptr<serve::FleetServer>> Start(
      const ServeOptions& options) {
    return serve::FleetServer::Start(options, clock_);
  }

  std::string Enroll(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& hostname) {
    return EnrollOver(channel, enrollment_secret_, hostname);
  }

  std::vector<std::string> Hostnames(
      const std::shared_ptr<grpc::Channel>& channel) {
    std::vector<std::string> names;
    const grpc::Status status =
        ListHostnamesOver(channel, admin_token_, &names);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return names;
  }

  TempDir dir_;
  PostgresCluster* cluster_ = nullptr;
  std::string url_;
  // Leases and poll deadlines stand still: a waiting poll ends when it is
  // woken, or when its server stops.
  FakeClock clock_{TestEpoch()};
  std::string admin_token_;
  std::string enrollment_secret_;
};

TEST_F(ReplicasTest, WhatOneReplicaWritesTheOtherServes) {
  auto a = Start(Options());
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Start(Options());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(Enroll(ChannelTo(**a), "REPLICA-A-01").empty());
  EXPECT_FALSE(Enroll(ChannelTo(**b), "REPLICA-B-01").empty());
  EXPECT_THAT(Hostnames(ChannelTo(**b)),
              ::testing::UnorderedElementsAre("REPLICA-A-01", "REPLICA-B-01"));
  EXPECT_THAT(Hostnames(ChannelTo(**a)),
              ::testing::UnorderedElementsAre("REPLICA-A-01", "REPLICA-B-01"));
}

TEST_F(ReplicasTest, OneReplicaRunsTheClusterDutiesAndAnotherTakesOver) {
  auto a = Start(Options());
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Start(Options());
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(Eventually([&] {
    return (*a)->leads_cluster_duties() || (*b)->leads_cluster_duties();
  }));
  // Exactly one, and it stays so.
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE((*a)->leads_cluster_duties(), (*b)->leads_cluster_duties());
    absl::SleepFor(absl::Milliseconds(100));
  }
  serve::FleetServer& leader = (*a)->leads_cluster_duties() ? **a : **b;
  serve::FleetServer& other = (*a)->leads_cluster_duties() ? **b : **a;
  leader.Stop();
  EXPECT_TRUE(Eventually([&] { return other.leads_cluster_duties(); },
                         absl::Seconds(15)));
}

TEST_F(ReplicasTest, APollWaitingOnOneReplicaWakesForWorkQueuedOnTheOther) {
  auto a = Start(Options());
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Start(Options());
  ASSERT_TRUE(b.ok()) << b.status();
  const std::string token = Enroll(ChannelTo(**b), "REPLICA-POLL-01");
  ASSERT_FALSE(token.empty());
  grpc::Status polled;
  v1::PollTasksResponse answer;
  absl::Time answered;
  std::thread poll([&] {
    auto runner = v1::RunnerService::NewStub(ChannelTo(**b));
    grpc::ClientContext context;
    context.set_deadline(FleetRpcDeadline(60));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    v1::PollTasksRequest request;
    *request.mutable_facts() = MakeFacts("REPLICA-POLL-01", "2019");
    request.mutable_max_wait()->set_seconds(50);
    polled = runner->PollTasks(&context, request, &answer);
    answered = absl::Now();
  });
  // The poll waits on b (its clock stands still: nothing ends it but a
  // wake); give it time to park.
  absl::SleepFor(absl::Seconds(1));
  auto admin = v1::AdminService::NewStub(ChannelTo(**a));
  grpc::ClientContext context;
  context.set_deadline(FleetRpcDeadline());
  context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_kind("health_check");
  submit.mutable_spec()->mutable_target()->set_all(true);
  v1::SubmitJobResponse submitted;
  const absl::Time submitted_at = absl::Now();
  const grpc::Status status = admin->SubmitJob(&context, submit, &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  poll.join();
  ASSERT_TRUE(polled.ok()) << polled.error_message();
  ASSERT_EQ(answer.tasks_size(), 1);
  EXPECT_EQ(answer.tasks(0).job_id(), submitted.job().id());
  EXPECT_LT(answered - submitted_at, absl::Seconds(10));
}

TEST_F(ReplicasTest, AReplicaWithAnotherCaIsRefused) {
  for (const char* name : {"ca1", "ca2"}) {
    auto material = server_tls::PrepareTls(
        {.dir = dir_.Join(name), .sans = {}, .hostname = "replica"},
        absl::Now());
    ASSERT_TRUE(material.ok()) << material.status();
    ASSERT_TRUE(server_tls::WriteTlsDir(dir_.Join(name), *material).ok());
  }
  ServeOptions first = Options();
  first.plaintext = false;
  first.tls_dir = dir_.Join("ca1");
  auto a = Start(first);
  ASSERT_TRUE(a.ok()) << a.status();
  ServeOptions second = first;
  second.tls_dir = dir_.Join("ca2");
  auto b = Start(second);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(b.status().message(), HasSubstr(dir_.Join("ca2")));
  EXPECT_THAT(b.status().message(), HasSubstr("same TLS directory"));
  // A copy of the first one's directory is welcome.
  ServeOptions copy = first;
  std::filesystem::copy(dir_.Join("ca1"), dir_.Join("ca1-copy"));
  copy.tls_dir = dir_.Join("ca1-copy");
  auto c = Start(copy);
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST_F(ReplicasTest, AReplicaCarriesOnWhenItsDatabaseConnectionsAreCut) {
  auto a = Start(Options());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(Enroll(ChannelTo(**a), "CUT-01").empty());
  ASSERT_TRUE(Eventually([&] { return (*a)->leads_cluster_duties(); }));
  // What a database restart or failover does to the server's sessions.
  auto admin = store::postgres::PgConnection::Open(url_);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)
                  ->Exec("SELECT pg_terminate_backend(pid, 5000) FROM "
                         "pg_stat_activity WHERE datname = current_database() "
                         "AND pid <> pg_backend_pid()")
                  .ok());
  // Each connection is made again at its next use: at most the first calls
  // fail, then the replica serves reads and writes again.
  auto operator_api = v1::AdminService::NewStub(ChannelTo(**a));
  EXPECT_TRUE(Eventually(
      [&] {
        grpc::ClientContext context;
        context.set_deadline(FleetRpcDeadline());
        context.AddMetadata("authorization",
                            absl::StrCat("Bearer ", admin_token_));
        v1::ListDevicesResponse response;
        return operator_api
                   ->ListDevices(&context, v1::ListDevicesRequest(), &response)
                   .ok() &&
               response.devices_size() == 1;
      },
      absl::Seconds(10)));
  EXPECT_FALSE(Enroll(ChannelTo(**a), "CUT-02").empty());
  // The duties' lock went with its session: taken again.
  EXPECT_TRUE(Eventually([&] { return (*a)->leads_cluster_duties(); },
                         absl::Seconds(10)));
}

TEST_F(ReplicasTest, TheStoreMustBeInTheRightStateAndReachable) {
  // init on a store that exists.
  auto again = store::Store::Open(url_, store::OpenMode::kCreate, clock_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("already holds"));
  // serve on an empty database.
  auto empty_name = cluster_->CreateUniqueDatabase();
  ASSERT_TRUE(empty_name.ok());
  ServeOptions empty = Options();
  empty.db_path = cluster_->Url(*empty_name);
  auto on_empty = Start(empty);
  EXPECT_EQ(on_empty.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(on_empty.status().message(), HasSubstr("init"));
  // Nothing listens on port 1.
  ServeOptions unreachable = Options();
  unreachable.db_path = "postgresql://mdefleet@127.0.0.1:1/mdefleet";
  auto down = Start(unreachable);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("cannot connect"));
  // A password on the command line, never echoed.
  ServeOptions secret = Options();
  secret.db_path = "postgresql://mdefleet:S3cretPw@127.0.0.1/mdefleet";
  auto refused = Start(secret);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--db"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("S3cretPw")));
  // Without --tls-dir.
  ServeOptions no_tls_dir = Options();
  no_tls_dir.tls_dir.clear();
  auto no_dir = Start(no_tls_dir);
  EXPECT_EQ(no_dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_dir.status().message(), HasSubstr("--tls-dir"));
}

}  // namespace
}  // namespace mdefleet::testing
