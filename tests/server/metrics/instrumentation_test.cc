// The instruments move when the server works: group-commit histograms, the
// long-poll gauge, and RPC counts/latencies through a real in-process gRPC
// server (unary, server-streaming, the asynchronous PollTasks, unknown
// methods).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/metrics/server_metrics.h"
#include "server/metrics/sqlite_write_metrics.h"
#include "server/metrics/text_exposition.h"
#include "server/service/grpc_admin_service.h"
#include "server/service/grpc_runner_service.h"
#include "server/service/long_poll.h"
#include "server/service/peer_guard.h"
#include "server/service/poll_queues.h"
#include "server/service/rpc_metrics_interceptor.h"
#include "server/store/store.h"
#include "tests/server/metrics/exposition_parser.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using metrics::ServerMetrics;

Exposition Scrape(const prometheus::Registry& registry) {
  const std::string text = metrics::RenderText({&registry});
  absl::StatusOr<Exposition> parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  return parsed.ok() ? *parsed : Exposition{};
}

double ValueOr0(const Exposition& e, absl::string_view name,
                const std::map<std::string, std::string>& labels = {}) {
  return e.Value(name, labels).value_or(0);
}

TEST(GroupCommitMetricsTest, EveryTransactionIsObserved) {
  prometheus::Registry registry;
  absl::StatusOr<ServerMetrics> m = ServerMetrics::Register(registry);
  ASSERT_TRUE(m.ok()) << m.status();
  metrics::SqliteWriteMetrics observer(*m->sqlite_write_batch_size,
                                       *m->sqlite_write_seconds);
  TempDir dir;
  FakeClock clock(TestEpoch());
  auto store = store::Store::Open(absl::StrCat(dir.path(), "/m.db"),
                                  store::OpenMode::kCreate, clock, &observer);
  ASSERT_TRUE(store.ok()) << store.status();
  const store::GroupCommitter::Stats before = (*store)->write_stats();
  const Exposition start = Scrape(registry);

  // Concurrent writers share transactions; every write is counted once.
  constexpr int kThreads = 4, kWrites = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        absl::Status s = (*store)->Write([&](store::Connection& c) {
          auto st = c.PrepareOnce(
              absl::StrCat("INSERT INTO meta (key, value) VALUES ('k", t, "_",
                           i, "', 'v')"));
          if (!st.ok()) return st.status();
          return (*st)->Run();
        });
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const store::GroupCommitter::Stats after = (*store)->write_stats();
  const Exposition e = Scrape(registry);

  const double batches = static_cast<double>(after.batches - before.batches);
  EXPECT_GE(batches, 1);
  EXPECT_EQ(ValueOr0(e, "mdefleet_sqlite_write_batch_size_count") -
                ValueOr0(start, "mdefleet_sqlite_write_batch_size_count"),
            batches);
  EXPECT_EQ(ValueOr0(e, "mdefleet_sqlite_write_batch_size_sum") -
                ValueOr0(start, "mdefleet_sqlite_write_batch_size_sum"),
            kThreads * kWrites);
  EXPECT_EQ(ValueOr0(e, "mdefleet_sqlite_write_seconds_count") -
                ValueOr0(start, "mdefleet_sqlite_write_seconds_count"),
            batches);
  EXPECT_GT(ValueOr0(e, "mdefleet_sqlite_write_seconds_sum"), 0);
  // A batch never exceeds the writers there are.
  EXPECT_EQ(
      ValueOr0(e, "mdefleet_sqlite_write_batch_size_bucket", {{"le", "4"}}),
      ValueOr0(e, "mdefleet_sqlite_write_batch_size_count"));
}

TEST(LongPollMetricsTest, HeldCountsPollsUntilTheyComplete) {
  prometheus::Registry registry;
  absl::StatusOr<ServerMetrics> m = ServerMetrics::Register(registry);
  ASSERT_TRUE(m.ok());
  TestEnv env;
  service::LongPoller poller(env.runner(), env.clock(), 2, m->long_polls_held);
  EnrolledDevice a = env.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env.Enroll(MakeFacts("B-2019", "2019"));
  std::vector<std::future<void>> done;
  for (const EnrolledDevice* d : {&a, &b}) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    poller.Poll(d->bearer, v1::PollTasksRequest(),
                [promise](absl::StatusOr<v1::PollTasksResponse>) {
                  promise->set_value();
                });
  }
  EXPECT_EQ(m->long_polls_held->Value(), 2);
  for (int i = 0; i < 200 && poller.waiting() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Scrape(registry).Value("mdefleet_long_polls_held"), 2);
  env.clock().Advance(absl::Seconds(31));  // past their wait
  for (auto& f : done) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  }
  EXPECT_EQ(Scrape(registry).Value("mdefleet_long_polls_held"), 0);
  poller.Stop();
}

// Both services behind the interceptor on 127.0.0.1:0, as serve wires them.
class RpcMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ServerMetrics> m = ServerMetrics::Register(registry_);
    ASSERT_TRUE(m.ok()) << m.status();
    metrics_ = *m;
    poller_ = std::make_unique<service::LongPoller>(
        env_.runner(), env_.clock(), 2, metrics_.long_polls_held);
    runner_service_ = std::make_unique<service::GrpcRunnerService>(
        env_.runner(), *poller_, guard_);
    admin_service_ =
        std::make_unique<service::GrpcAdminService>(env_.admin(), guard_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(runner_service_.get());
    builder.RegisterService(admin_service_.get());
    poll_queues_ =
        std::make_unique<service::PollQueues>(*runner_service_, builder, 2);
    builder.experimental().SetInterceptorCreators(
        service::RpcMetricsInterceptors(
            {.requests = metrics_.rpc_requests,
             .duration = metrics_.rpc_duration},
            {v1::RunnerService::service_full_name(),
             v1::AdminService::service_full_name()}));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    poll_queues_->Start();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    poller_->Stop();
    if (server_) server_->Shutdown();
    poll_queues_->Stop();
  }

  double Requests(const Exposition& e, absl::string_view service,
                  absl::string_view method, absl::string_view code) {
    return ValueOr0(e, "mdefleet_rpc_requests_total",
                    {{"service", std::string(service)},
                     {"method", std::string(method)},
                     {"code", std::string(code)}});
  }
  double Timed(const Exposition& e, absl::string_view service,
               absl::string_view method) {
    return ValueOr0(
        e, "mdefleet_rpc_duration_seconds_count",
        {{"service", std::string(service)}, {"method", std::string(method)}});
  }

  static constexpr absl::string_view kAdmin = "mdefleet.v1.AdminService";
  static constexpr absl::string_view kRunner = "mdefleet.v1.RunnerService";
  TestEnv env_;
  prometheus::Registry registry_;
  ServerMetrics metrics_;
  service::PeerGuard guard_{env_.clock(), service::PeerLimits{}};
  std::unique_ptr<service::LongPoller> poller_;
  std::unique_ptr<service::GrpcRunnerService> runner_service_;
  std::unique_ptr<service::GrpcAdminService> admin_service_;
  std::unique_ptr<service::PollQueues> poll_queues_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(RpcMetricsTest, UnaryCallsAreCountedByCodeAndTimed) {
  auto stub = v1::AdminService::NewStub(channel_);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ok;
    ok.AddMetadata("authorization", env_.admin_bearer());
    v1::FleetSummary summary;
    ASSERT_TRUE(stub->GetFleetSummary(&ok, {}, &summary).ok());
  }
  grpc::ClientContext anonymous;
  v1::FleetSummary summary;
  EXPECT_EQ(stub->GetFleetSummary(&anonymous, {}, &summary).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext missing;
  missing.AddMetadata("authorization", env_.admin_bearer());
  v1::GetJobRequest get;
  get.set_job_id("no-such-job");
  v1::Job job;
  EXPECT_EQ(stub->GetJob(&missing, get, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);

  Exposition e = Scrape(registry_);
  EXPECT_EQ(Requests(e, kAdmin, "GetFleetSummary", "OK"), 2);
  EXPECT_EQ(Requests(e, kAdmin, "GetFleetSummary", "UNAUTHENTICATED"), 1);
  EXPECT_EQ(Requests(e, kAdmin, "GetJob", "NOT_FOUND"), 1);
  EXPECT_EQ(Timed(e, kAdmin, "GetFleetSummary"), 3);
  EXPECT_EQ(Timed(e, kAdmin, "GetJob"), 1);
}

// Calls that start together, a method's first ones among them, are all
// counted: whichever comes first creates the series, the others find it.
TEST_F(RpcMetricsTest, ConcurrentFirstCallsAreAllCounted) {
  constexpr int kThreads = 4, kCalls = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto stub = v1::AdminService::NewStub(channel_);
      for (int i = 0; i < kCalls; ++i) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", env_.admin_bearer());
        v1::FleetSummary summary;
        EXPECT_TRUE(stub->GetFleetSummary(&context, {}, &summary).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Exposition e = Scrape(registry_);
  EXPECT_EQ(Requests(e, kAdmin, "GetFleetSummary", "OK"), kThreads * kCalls);
  EXPECT_EQ(Timed(e, kAdmin, "GetFleetSummary"), kThreads * kCalls);
}

TEST_F(RpcMetricsTest, StreamingCallsAreCounted) {
  auto stub = v1::AdminService::NewStub(channel_);
  grpc::ClientContext context;  // no token: refused after the stream opened
  v1::WatchJobRequest request;
  request.set_job_id("whatever");
  std::unique_ptr<grpc::ClientReader<v1::Job>> reader =
      stub->WatchJob(&context, request);
  v1::Job job;
  while (reader->Read(&job)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  Exposition e = Scrape(registry_);
  EXPECT_EQ(Requests(e, kAdmin, "WatchJob", "UNAUTHENTICATED"), 1);
  EXPECT_EQ(Timed(e, kAdmin, "WatchJob"), 1);
}

TEST_F(RpcMetricsTest, LongPollsAreCountedHeldAndTimed) {
  EnrolledDevice d = env_.Enroll(MakeFacts("A-2019", "2019"));
  auto stub = v1::RunnerService::NewStub(channel_);
  auto poll = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    context.AddMetadata("authorization", d.bearer);
    v1::PollTasksResponse response;
    return stub->PollTasks(&context, {}, &response).error_code();
  });
  for (int i = 0; i < 500 && poller_->waiting() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(poller_->waiting(), 1u);
  Exposition held = Scrape(registry_);
  EXPECT_EQ(held.Value("mdefleet_long_polls_held"), 1);
  EXPECT_EQ(Timed(held, kRunner, "PollTasks"), 0);  // still open

  env_.clock().Advance(absl::Seconds(31));
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(poll.get(), grpc::StatusCode::OK);
  // The interceptor records as the status is sent, just before the client
  // sees it; give that a moment.
  Exposition e;
  for (int i = 0; i < 100; ++i) {
    e = Scrape(registry_);
    if (Requests(e, kRunner, "PollTasks", "OK") == 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Requests(e, kRunner, "PollTasks", "OK"), 1);
  EXPECT_EQ(Timed(e, kRunner, "PollTasks"), 1);
  EXPECT_EQ(e.Value("mdefleet_long_polls_held"), 0);
}

TEST_F(RpcMetricsTest, UnknownMethodsDoNotBecomeLabelValues) {
  grpc::GenericStub generic(channel_);
  for (const char* method : {"/evil.Service/Method1", "/evil.Service/Method2",
                             "/mdefleet.v1.AdminService/NoSuchMethod"}) {
    grpc::ClientContext context;
    grpc::Slice empty("");  // a valid (empty) message: a default
    grpc::ByteBuffer request(&empty, 1), response;  // ByteBuffer is none
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request,
                      &response,
                      [&](grpc::Status s) { done.set_value(std::move(s)); });
    EXPECT_EQ(done.get_future().get().error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  Exposition e;
  for (int i = 0; i < 100; ++i) {
    e = Scrape(registry_);
    if (Requests(e, "unknown", "unknown", "UNIMPLEMENTED") == 3) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Requests(e, "unknown", "unknown", "UNIMPLEMENTED"), 3);
  for (const ParsedSample& s :
       e.Family("mdefleet_rpc_requests_total")->samples) {
    EXPECT_EQ(s.labels.at("method").find("Method"), std::string::npos);
    EXPECT_NE(s.labels.at("service"), "evil.Service");
  }
}

TEST(RpcMetricsNamesTest, SplitsMethodPathsAndNamesCodes) {
  EXPECT_EQ(service::SplitGrpcMethod("/mdefleet.v1.AdminService/GetJob"),
            std::make_pair(std::string("mdefleet.v1.AdminService"),
                           std::string("GetJob")));
  EXPECT_EQ(service::SplitGrpcMethod("odd").second, "odd");
  EXPECT_EQ(service::StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(service::StatusCodeName(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
  EXPECT_EQ(service::StatusCodeName(static_cast<grpc::StatusCode>(99)), "99");
  const auto paths = service::MethodPaths({"mdefleet.v1.RunnerService"});
  EXPECT_TRUE(paths.contains("/mdefleet.v1.RunnerService/PollTasks"));
  EXPECT_TRUE(paths.contains("/mdefleet.v1.RunnerService/FetchArtifact"));
  EXPECT_FALSE(paths.contains("/mdefleet.v1.AdminService/GetJob"));
}

}  // namespace
}  // namespace mdefleet::testing
