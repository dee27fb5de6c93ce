#include "server/serve/fleet_server.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/sliding_window_limiter.h"
#include "common/status_macros.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/auth/authenticator.h"
#include "server/defender/api_call_budget.h"
#include "server/defender/confirm_worker.h"
#include "server/defender/curl_http_client.h"
#include "server/defender/defender_api.h"
#include "server/defender/offboard_worker.h"
#include "server/defender/token_source.h"
#include "server/http/api_router.h"
#include "server/http/http_server.h"
#include "server/metrics/server_metrics.h"
#include "server/metrics/sqlite_write_metrics.h"
#include "server/metrics/store_collector.h"
#include "server/metrics/text_exposition.h"
#include "server/serve/cluster_duties.h"
#include "server/serve/startup_recovery.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/connection_budget.h"
#include "server/service/event_hub.h"
#include "server/service/grpc_admin_service.h"
#include "server/service/grpc_runner_service.h"
#include "server/service/lease_reaper.h"
#include "server/service/log.h"
#include "server/service/long_poll.h"
#include "server/service/open_files.h"
#include "server/service/peer_guard.h"
#include "server/service/poll_queues.h"
#include "server/service/rpc_metrics_interceptor.h"
#include "server/service/runner_handlers.h"
#include "server/service/seen_flusher.h"
#include "server/store/migrations.h"
#include "server/store/postgres/advisory_lock.h"
#include "server/store/postgres/cluster_channel.h"
#include "server/store/settings.h"
#include "server/store/store.h"
#include "server/store/time_util.h"
#include "server/tls/serve_tls.h"

namespace mdefleet::serve {
namespace {

constexpr int kMaxReceiveMessageSize = 4 << 20;  // 4 MiB
// gRPC's synchronous server runs each call on a thread of its own and, by
// default, lets all but 2 idle threads exit: under a fleet's load it created
// and destroyed a thread per call (pthread_create and clone were 5-7% of the
// server's CPU). Idle threads up to kIdleCallThreads stay for the next
// calls. Their number is not capped: at a cap (ResourceQuota::SetMaxThreads)
// gRPC refuses further calls with RESOURCE_EXHAUSTED "Server Threadpool
// Exhausted", the operator's `jobs get` among them, instead of queueing them.
// Long polls are asynchronous and hold no thread.
constexpr int kIdleCallThreads = 32;
// A poll that leases or changes facts is one write transaction (the
// device's facts and last-seen time, then a lease attempt), made
// synchronously by a poll worker; idle polls only read (seen_flusher.h). With 4
// workers polls were served at most 4 per group commit: at 10,000 devices the
// re-polls of idle runners alone (one per device every 30 s) outran them and
// polls queued past their deadline. With more, the group committer carries
// more polls per transaction.
constexpr int kPollWorkers = 32;
// Completion queues the waiting polls are spread over (poll_queues.h): each
// completion searches its queue's outstanding tags in Debian's libgrpc, so
// 100,000 waiting devices are 6,250 per queue instead of 100,000 in one.
constexpr int kPollQueues = 16;
// Log lines a minute about failing callers (server/service/log.h).
constexpr int64_t kFailingCallerLinesPerMinute = 20;
// How late an idle device's last_seen_at may be written: far below the
// online window (minutes), and one transaction a second whatever the fleet.
constexpr absl::Duration kSeenFlushInterval = absl::Seconds(1);
// How long a runner refused for the connection limit waits (it adds up to as
// much again in jitter, disconnected meanwhile).
constexpr absl::Duration kConnectionRetryAfter = absl::Seconds(10);
// How long gRPC lets the calls in flight finish at Stop before cancelling
// them.
constexpr std::chrono::seconds kGrpcShutdownGrace{3};

// Replicas of a PostgreSQL store: the LISTEN/NOTIFY channel they tell each
// other on, and the advisory lock ("mdfduty" in ASCII) whose holder runs
// the cluster's once-only work.
constexpr char kClusterChannel[] = "mdefleet_events";
constexpr int64_t kClusterDutiesLock = 30791163396322425;

// The descriptor budget and the fleet-wide task cap, as the log says them
// at start.
void LogServingLimits(const ServeOptions& options,
                      const CheckedServeFlags& flags) {
  const service::OpenFilesLimit& open_files = flags.open_files;
  LogEvent(absl::StrCat(
      "open files: limit ", open_files.soft,
      open_files.soft_before != open_files.soft
          ? absl::StrCat(" (raised from ", open_files.soft_before,
                         " to the hard limit)")
          : absl::StrCat(" (the hard limit is ", open_files.hard, ")"),
      "; enrollments and polls refused from ", flags.max_connections,
      " open descriptors (--max-connections)"));
  LogEvent(options.max_tasks_in_flight > 0
               ? absl::StrCat("tasks leased or running across the fleet: at "
                              "most ",
                              options.max_tasks_in_flight,
                              " (--max-tasks-in-flight)")
               : "tasks leased or running across the fleet: no cap "
                 "(--max-tasks-in-flight 0)");
}

}  // namespace

// Declared in the order they are made, so that they go in the reverse: each
// outlives what uses it, the metrics registry and the store most of all.
struct FleetServer::Parts {
  // Throw: a name registered twice is a mistake, not a family to share.
  prometheus::Registry registry{prometheus::Registry::InsertBehavior::Throw};
  metrics::ServerMetrics instruments;
  std::unique_ptr<metrics::SqliteWriteMetrics> write_metrics;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<metrics::StoreCollector> store_gauges;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<service::EventHub> hub;
  std::unique_ptr<service::SeenFlusher> seen;
  std::unique_ptr<service::RunnerHandlers> runner;
  std::unique_ptr<service::AdminHandlers> admin;
  std::unique_ptr<service::LongPoller> poller;
  // Replicas of a PostgreSQL store: what they tell each other.
  std::unique_ptr<store::postgres::ClusterChannel> channel;
  std::unique_ptr<LogLimiter> failing_callers_log;
  std::unique_ptr<LogLimiter> grpc_log;
  std::unique_ptr<ScopedGrpcLogRouting> grpc_log_routing;
  std::unique_ptr<service::PeerGuard> peer_guard;
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  std::unique_ptr<service::ConnectionBudget> connections;
  std::unique_ptr<service::GrpcRunnerService> runner_service;
  std::unique_ptr<service::GrpcAdminService> admin_service;
  std::unique_ptr<grpc::ServerBuilder> builder;
  std::unique_ptr<service::PollQueues> poll_queues;
  std::unique_ptr<grpc::Server> server;
  // The cluster's once-only work (cluster_duties.h): made when this server
  // takes the duties, freed when it gives them up.
  std::unique_ptr<service::LeaseReaper> reaper;
  std::unique_ptr<defender::CurlHttpClient> http;
  std::unique_ptr<defender::TokenSource> tokens;
  std::unique_ptr<defender::DefenderApi> defender_api;
  std::unique_ptr<defender::ApiCallBudget> budget;
  std::unique_ptr<defender::OffboardWorker> offboarder;
  std::unique_ptr<defender::ConfirmWorker> confirmer;
  std::unique_ptr<ClusterDuties> duties;
  std::unique_ptr<http::ApiRouter> router;
  std::unique_ptr<http::HttpApiServer> http_server;
};

absl::StatusOr<std::unique_ptr<FleetServer>> FleetServer::Start(
    const ServeOptions& options, const Clock& clock,
    ListenerFailure on_listener_failure) {
  // Refused before the database is touched: a bad flag changes nothing.
  ASSIGN_OR_RETURN(CheckedServeFlags flags,
                   CheckServeFlags(options, clock.Now()));
  // On an error below, the destructor stops what had started.
  auto server =
      absl::WrapUnique(new FleetServer(options, clock, std::move(flags)));
  RETURN_IF_ERROR(server->OpenStore());
  server->BuildHandlers();
  RETURN_IF_ERROR(server->JoinCluster());
  server->GuardCallers(std::move(on_listener_failure));
  RETURN_IF_ERROR(server->StartGrpc());
  LogServingLimits(options, server->flags_);
  RETURN_IF_ERROR(server->StartClusterDuties());
  RETURN_IF_ERROR(server->StartHttp());
  return server;
}

FleetServer::FleetServer(const ServeOptions& options, const Clock& clock,
                         CheckedServeFlags flags)
    : options_(options),
      clock_(clock),
      flags_(std::move(flags)),
      parts_(std::make_unique<Parts>()) {}

FleetServer::~FleetServer() { Stop(); }

int FleetServer::open_descriptors() const {
  if (parts_ == nullptr || parts_->connections == nullptr) return 0;
  return parts_->connections->open();
}

// The store with its metrics, and what start-up recovery did to it.
absl::Status FleetServer::OpenStore() {
  Parts& p = *parts_;
  ASSIGN_OR_RETURN(p.instruments, metrics::ServerMetrics::Register(p.registry));
  p.write_metrics = std::make_unique<metrics::SqliteWriteMetrics>(
      *p.instruments.sqlite_write_batch_size,
      *p.instruments.sqlite_write_seconds);
  ASSIGN_OR_RETURN(
      p.db, store::Store::Open(options_.db_path, store::OpenMode::kExisting,
                               clock_, p.write_metrics.get()));
  p.store_gauges = std::make_unique<metrics::StoreCollector>(
      *p.db, clock_, options_.online_window);
  LogEvent(absl::StrCat("started: database ", p.db->display(),
                        " (schema version ", p.db->schema_version(), ")"));
  if (!flags_.tls.client_ca_pem.empty()) {
    const std::string ca_sha256 = Sha256Hex(flags_.tls.client_ca_pem);
    RETURN_IF_ERROR(p.db->Write([&](store::Connection& db) {
      return store::CheckOrRecordCa(db, ca_sha256, flags_.tls_dir,
                                    store::ToMicros(clock_.Now()));
    }));
  }
  StartupRecoveryOptions recovery_options;
  recovery_options.lease_duration = options_.lease_duration;
  recovery_options.mde_workspace_ids = flags_.mde_workspace_ids;
  recovery_options.defender_configured = flags_.defender.configured();
  recovery_options.defender_confirm_timeout = options_.defender_confirm_timeout;
  ASSIGN_OR_RETURN(const StartupRecovery recovery,
                   RecoverAtStartup(*p.db, clock_, recovery_options));
  for (const std::string& line : DescribeRecovery(recovery, recovery_options)) {
    LogEvent(line);
  }
  return absl::OkStatus();
}

// The handlers both APIs call, the event hub, the long-poller and the
// reaper (started once gRPC serves).
void FleetServer::BuildHandlers() {
  Parts& p = *parts_;
  p.authenticator = std::make_unique<auth::Authenticator>(*p.db, clock_);
  p.hub = std::make_unique<service::EventHub>(*p.db);
  // Idle polls' last-seen times, written once a second (seen_flusher.h).
  p.seen = std::make_unique<service::SeenFlusher>(*p.db);
  p.seen->Start(kSeenFlushInterval);
  service::RunnerOptions runner;
  runner.lease_duration = options_.lease_duration;
  runner.poll_timeout = options_.poll_timeout;
  runner.client_ca = flags_.tls.issuer.get();
  runner.require_client_certificate = flags_.tls.require_client_certificate;
  runner.client_certificate_lifetime = options_.client_certificate_lifetime;
  runner.certificate_renewals = p.instruments.client_certificate_renewals;
  runner.enrollments = p.instruments.enrollments;
  runner.seen = p.seen.get();
  runner.max_tasks_in_flight = options_.max_tasks_in_flight;
  p.runner = std::make_unique<service::RunnerHandlers>(
      *p.db, clock_, *p.authenticator, *p.hub, runner);
  // Every outcome is exported from the start (0 until it happens), so a
  // dashboard's series do not appear out of nowhere.
  for (service::EnrollOutcome outcome : service::kEnrollOutcomes) {
    p.instruments.enrollments->Add(
        {{"outcome", std::string(service::EnrollOutcomeName(outcome))}});
  }
  service::AdminOptions admin;
  admin.online_window = options_.online_window;
  admin.watch_interval = absl::Milliseconds(200);
  admin.defender_api_configured = flags_.defender.configured();
  admin.watch_streams = options_.watch_streams;
  admin.evidence_retention = options_.evidence_retention;
  p.admin = std::make_unique<service::AdminHandlers>(
      *p.db, clock_, *p.authenticator, *p.hub, admin);
  p.poller = std::make_unique<service::LongPoller>(
      *p.runner, clock_, kPollWorkers, p.instruments.long_polls_held);
  p.poller->set_wake_cap(2 * static_cast<size_t>(options_.max_tasks_in_flight));
  p.hub->set_waker(p.poller.get());
}

// Replicas of one PostgreSQL store wake each other's long-polls and job
// watchers: what the hub publishes goes to the others on a LISTEN/NOTIFY
// channel (cluster_channel.h), and what they publish comes back to it.
absl::Status FleetServer::JoinCluster() {
  Parts& p = *parts_;
  if (p.db->dialect() != store::SqlDialect::kPostgres) return absl::OkStatus();
  service::EventHub* hub = p.hub.get();
  ASSIGN_OR_RETURN(p.channel, store::postgres::ClusterChannel::Open(
                                  options_.db_path, kClusterChannel,
                                  [hub](absl::string_view message) {
                                    hub->ApplyFromCluster(message);
                                  }));
  store::postgres::ClusterChannel* channel = p.channel.get();
  p.hub->set_cluster_sender([channel](const std::string& message) {
    absl::Status sent = channel->Send(message);
    if (!sent.ok()) {
      LogEvent(absl::StrCat("cluster channel: ", sent.message(),
                            " (other servers' waiting polls wake later)"));
    }
  });
  return absl::OkStatus();
}

// Lease expiry, rollout timers and the Defender API workers: here alone
// (SQLite), or on whichever replica holds the cluster's lock (PostgreSQL).
absl::Status FleetServer::StartClusterDuties() {
  Parts& p = *parts_;
  std::unique_ptr<store::postgres::AdvisoryLock> lock;
  if (p.db->dialect() == store::SqlDialect::kPostgres) {
    lock = std::make_unique<store::postgres::AdvisoryLock>(options_.db_path,
                                                           kClusterDutiesLock);
  }
  p.duties = std::make_unique<ClusterDuties>(
      std::move(lock),
      [this]() -> absl::Status {
        Parts& q = *parts_;
        q.instruments.cluster_duties_held->Set(1);
        q.reaper =
            std::make_unique<service::LeaseReaper>(*q.db, clock_, *q.hub);
        q.reaper->set_evidence_retention(options_.evidence_retention);
        q.reaper->Start(
            std::min(absl::Seconds(5), options_.lease_duration / 4));
        return StartDefenderWorkers();
      },
      [this] { StopClusterDuties(); });
  return p.duties->Start();
}

// Stops and frees what StartClusterDuties' start made, in reverse.
void FleetServer::StopClusterDuties() {
  Parts& p = *parts_;
  p.instruments.cluster_duties_held->Set(0);
  if (p.reaper != nullptr) p.reaper->Stop();
  if (p.offboarder != nullptr) p.offboarder->Stop();
  if (p.confirmer != nullptr) p.confirmer->Stop();
  p.confirmer.reset();
  p.offboarder.reset();
  p.budget.reset();
  p.defender_api.reset();
  p.tokens.reset();
  p.http.reset();
  p.reaper.reset();
}

// What stands between the ports and the handlers: rate-limited logs of
// failing callers, their budgets and the descriptor budget.
void FleetServer::GuardCallers(ListenerFailure on_listener_failure) {
  Parts& p = *parts_;
  // What callers without a valid credential make the server log (addresses
  // and credentials over their budgets, refused HTTP connections) is
  // rate-limited: a flood of garbage cannot fill the disk or drown the log.
  p.failing_callers_log = std::make_unique<LogLimiter>(
      clock_, "failing callers", kFailingCallerLinesPerMinute,
      absl::Minutes(1));
  p.grpc_log = std::make_unique<LogLimiter>(clock_, "gRPC transport errors",
                                            kFailingCallerLinesPerMinute,
                                            absl::Minutes(1));
  p.grpc_log_routing = std::make_unique<ScopedGrpcLogRouting>(
      *p.grpc_log, std::move(on_listener_failure));
  p.peer_guard = std::make_unique<service::PeerGuard>(
      clock_, options_.peer_limits, p.failing_callers_log.get());
  // The standard health service (grpc.health.v1): SERVING, NOT_SERVING
  // while the connection budget is spent.
  p.connections = std::make_unique<service::ConnectionBudget>(
      flags_.max_connections, kConnectionRetryAfter,
      [] {
        absl::StatusOr<int> open = service::CountOpenFiles();
        return open.ok() ? *open : -1;
      },
      [health = &p.health](bool saturated) {
        LogEvent(saturated ? "connection limit reached: refusing enrollments "
                             "and polls (RESOURCE_EXHAUSTED, retry delay) "
                             "until descriptors free up; health NOT_SERVING"
                           : "below the connection limit again: serving");
        if (auto* h = health->load()) h->SetServingStatus(!saturated);
      });
}

// Both gRPC services on --listen, long polls on their own completion
// queues; Unavailable when the address cannot be bound.
absl::Status FleetServer::StartGrpc() {
  Parts& p = *parts_;
  grpc::EnableDefaultHealthCheckService(true);
  p.runner_service = std::make_unique<service::GrpcRunnerService>(
      *p.runner, *p.poller, *p.peer_guard, p.connections.get());
  p.admin_service =
      std::make_unique<service::GrpcAdminService>(*p.admin, *p.peer_guard);
  p.builder = std::make_unique<grpc::ServerBuilder>();
  grpc::ServerBuilder& builder = *p.builder;
  builder.AddListeningPort(options_.listen,
                           server_tls::ServerCredentialsFor(flags_.tls),
                           &grpc_port_);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageSize);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kIdleCallThreads);
  builder.RegisterService(p.runner_service.get());
  builder.RegisterService(p.admin_service.get());
  p.poll_queues = std::make_unique<service::PollQueues>(*p.runner_service,
                                                        builder, kPollQueues);
  service::RpcMetrics rpc_metrics;
  rpc_metrics.requests = p.instruments.rpc_requests;
  rpc_metrics.duration = p.instruments.rpc_duration;
  builder.experimental().SetInterceptorCreators(service::RpcMetricsInterceptors(
      rpc_metrics, {v1::RunnerService::service_full_name(),
                    v1::AdminService::service_full_name()}));
  p.server = builder.BuildAndStart();
  if (p.server == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options_.listen));
  }
  p.poll_queues->Start();
  p.health.store(p.server->GetHealthCheckService());
  if (auto* h = p.health.load()) h->SetServingStatus(true);
  p.connections->Start(absl::Milliseconds(250));
  return absl::OkStatus();
}

// api_offboard and onboard's confirmation: with Defender API credentials
// the server makes those calls itself, within one budget.
absl::Status FleetServer::StartDefenderWorkers() {
  Parts& p = *parts_;
  const defender::DefenderConfig& config = flags_.defender;
  p.http = std::make_unique<defender::CurlHttpClient>();
  p.tokens = std::make_unique<defender::TokenSource>(*p.http, clock_, config);
  p.defender_api = std::make_unique<defender::DefenderApi>(*p.http, *p.tokens,
                                                           config.api_url);
  // One budget for every Defender API call the server makes.
  p.budget = std::make_unique<defender::ApiCallBudget>(
      *p.db, clock_, SlidingWindowLimiter::DefenderApi());
  if (!config.configured()) return absl::OkStatus();
  RETURN_IF_ERROR(p.budget->Recover());
  defender::WorkerOptions offboard;
  offboard.poll_interval = config.poll_interval;
  p.offboarder = std::make_unique<defender::OffboardWorker>(
      *p.db, clock_, p.hub.get(), *p.defender_api, *p.tokens, *p.budget,
      offboard);
  RETURN_IF_ERROR(p.offboarder->Recover());
  p.offboarder->Start();
  defender::ConfirmOptions confirm;
  confirm.timeout = options_.defender_confirm_timeout;
  confirm.poll_interval = config.poll_interval;
  p.confirmer = std::make_unique<defender::ConfirmWorker>(
      *p.db, clock_, p.hub.get(), *p.defender_api, *p.tokens, *p.budget,
      confirm);
  p.confirmer->Start();
  LogEvent(absl::StrCat("api_offboard: Defender API ", config.api_url,
                        " as client ", config.client_id, " of tenant ",
                        config.tenant_id));
  return absl::OkStatus();
}

// The HTTP/JSON read API (--http-listen): the same handlers, credentials and
// per-address budgets as gRPC, HTTPS with the gRPC port's certificate.
absl::Status FleetServer::StartHttp() {
  Parts& p = *parts_;
  http::RouterOptions routes;
  routes.render_metrics = [&p] {
    return metrics::RenderText({&p.registry, p.store_gauges.get()});
  };
  routes.on_request = [http_requests = p.instruments.http_requests](
                          absl::string_view route, int status) {
    http_requests
        ->Add({{"route", std::string(route)}, {"code", absl::StrCat(status)}})
        .Increment();
  };
  p.router = std::make_unique<http::ApiRouter>(*p.admin, *p.authenticator,
                                               *p.peer_guard, routes);
  if (options_.http_listen.empty()) return absl::OkStatus();
  http::HttpServerOptions http;
  http.listen = options_.http_listen;
  http.certificate_pem = flags_.tls.enabled ? flags_.tls.certificate_pem : "";
  http.key_pem = flags_.tls.enabled ? flags_.tls.key_pem : "";
  http.limits = options_.http_limits;
  http.log = p.failing_callers_log.get();
  ASSIGN_OR_RETURN(p.http_server, http::HttpApiServer::Start(http, *p.router));
  http_port_ = p.http_server->port();
  http_tls_ = p.http_server->tls();
  return absl::OkStatus();
}

bool FleetServer::leads_cluster_duties() const {
  return parts_ != nullptr && parts_->duties != nullptr &&
         parts_->duties->leading();
}

void FleetServer::Stop() {
  if (parts_ == nullptr) return;
  Parts& p = *parts_;
  // Stops what runs, in order: new HTTP requests first (they read through
  // the handlers), then waiting polls so Shutdown need not wait for them.
  if (p.http_server != nullptr) p.http_server->Stop();
  if (p.poller != nullptr) p.poller->Stop();
  if (p.duties != nullptr) p.duties->Stop();
  if (p.server != nullptr) {
    p.server->Shutdown(std::chrono::system_clock::now() + kGrpcShutdownGrace);
    p.poll_queues->Stop();
    p.server->Wait();
  }
  // The descriptor sampler calls the health service, which the server owns:
  // stop (join) it while the server still exists.
  p.health.store(nullptr);
  p.connections.reset();
  // Then everything, in the reverse order of its making: the store last.
  parts_.reset();
}

}  // namespace mdefleet::serve
