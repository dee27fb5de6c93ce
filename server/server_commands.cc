#include "server/server_commands.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/host_port.h"
#include "common/mde_workspaces.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/sliding_window_limiter.h"
#include "common/status_macros.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/auth/authenticator.h"
#include "server/defender/api_call_budget.h"
#include "server/defender/confirm_worker.h"
#include "server/defender/curl_http_client.h"
#include "server/defender/defender_api.h"
#include "server/defender/defender_config.h"
#include "server/defender/offboard_worker.h"
#include "server/defender/token_source.h"
#include "server/http/api_router.h"
#include "server/http/http_server.h"
#include "server/metrics/server_metrics.h"
#include "server/metrics/sqlite_write_metrics.h"
#include "server/metrics/store_collector.h"
#include "server/metrics/text_exposition.h"
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
#include "server/service/poll_queues.h"
#include "server/service/rpc_metrics_interceptor.h"
#include "server/service/runner_handlers.h"
#include "server/service/seen_flusher.h"
#include "server/service/shutdown_deadline.h"
#include "server/store/credentials.h"
#include "server/store/migrations.h"
#include "server/store/store.h"
#include "server/store/time_util.h"
#include "server/tls/serve_tls.h"
#include "server/tls/tls_dir.h"

namespace mdefleet {
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
// How long a stop may take: gRPC cancels the calls in flight after 3 s, and a
// handler that does not check (a long SubmitJob) gets the rest before the
// process exits anyway (shutdown_deadline.h). Exit codes: SIGTERM or SIGINT
// whose stop did not finish, and the listener out of descriptors.
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
constexpr int kExitStopTooSlow = 4;
constexpr int kExitListenerDeaf = 3;

[[nodiscard]] absl::Status WritePortFile(
    const std::string& path, int port, absl::string_view flag = "--port-file") {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.good()) {
      return absl::FailedPreconditionError(
          absl::StrCat(flag, ": cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

// The host of a HOST:PORT for the log line.
std::string HostOf(const std::string& listen) {
  return listen.substr(0, listen.rfind(':'));
}

std::string Hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

// What init tells the operator about the TLS directory it made (stderr).
void DescribeTlsDir(const std::string& dir,
                    const server_tls::TlsMaterial& material) {
  const server_tls::TlsDirPaths paths = server_tls::PathsIn(dir);
  if (material.ca_cert_pem.empty()) {
    std::fprintf(
        stderr,
        "mdefleet-server: copied your certificate and key to %s and %s. "
        "Runners and mdefleetctl must pin the CA that issued it (--ca-cert). "
        "There is no mdefleet CA, so runners get no client certificates and "
        "serve --mtls is unavailable.\n",
        paths.server_cert.c_str(), paths.server_key.c_str());
    return;
  }
  std::string names;
  for (const std::string& name : material.server_names) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", name);
  }
  std::fprintf(
      stderr,
      "mdefleet-server: created the TLS directory %s: a private CA (ca.pem, "
      "ca.key) and a server certificate (server.pem, server.key) for %s. Give "
      "ca.pem to runners and mdefleetctl (--ca-cert); keep ca.key secret: it "
      "can issue certificates for the server and any runner. Other names: "
      "init --san.\n",
      dir.c_str(), names.c_str());
}

}  // namespace

absl::Status RunInit(const InitOptions& options) {
  const Clock& clock = *Clock::Real();
  const std::string& db_path = options.db_path;
  const std::string tls_dir =
      server_tls::TlsDirectory(db_path, options.tls_dir);
  // Made in memory first: a bad --san or --tls-cert writes nothing.
  ASSIGN_OR_RETURN(const server_tls::TlsMaterial tls,
                   server_tls::PrepareTls({.dir = tls_dir,
                                           .sans = options.sans,
                                           .cert_file = options.tls_cert,
                                           .key_file = options.tls_key,
                                           .hostname = Hostname()},
                                          clock.Now()));
  const mode_t old_mask = ::umask(077);  // the database holds secrets' hashes
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(db_path, store::OpenMode::kCreate, clock);
  ::umask(old_mask);
  if (!opened.ok()) return opened.status();
  store::Store& db = **opened;
  const std::string admin = RandomToken(auth::kApiPrefix, 32);
  const std::string enroll = RandomToken(auth::kEnrollmentPrefix, 32);
  const int64_t now = store::ToMicros(clock.Now());
  RETURN_IF_ERROR(db.Write([&](store::Connection& c) -> absl::Status {
    return store::InsertBootstrapCredentials(c, Sha256Hex(admin),
                                             Sha256Hex(enroll), now);
  }));
  if (absl::Status written = server_tls::WriteTlsDir(tls_dir, tls);
      !written.ok()) {
    return absl::Status(
        written.code(),
        absl::StrCat(written.message(), ". The database ", db_path,
                     " was created but is unusable without its credentials: "
                     "remove it and ",
                     tls_dir, ", then run init again"));
  }
  // Scripts parse these lines: the first two keep their order and form.
  std::printf("admin_token=%s\nenrollment_secret=%s\n", admin.c_str(),
              enroll.c_str());
  if (!tls.ca_cert_pem.empty()) {
    std::printf("ca_certificate=%s\n",
                AbsolutePath(server_tls::PathsIn(tls_dir).ca_cert).c_str());
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "mdefleet-server: created %s (schema version %d). The admin "
               "token and enrollment secret above are shown once; only their "
               "hashes are stored. Keep them safe.\n",
               db_path.c_str(), store::LatestSchemaVersion());
  DescribeTlsDir(tls_dir, tls);
  return absl::OkStatus();
}

namespace {

// A HOST:PORT to listen on; ":PORT" is every interface, port 0 any port.
[[nodiscard]] absl::Status CheckListenAddress(absl::string_view flag,
                                              absl::string_view address) {
  absl::Status s = ParseHostPort(address, kListenAddressForm).status();
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", s.message()));
}

// --mde-workspace-id: nullopt keeps the stored ids; "none" forgets them.
[[nodiscard]] absl::StatusOr<std::optional<std::vector<std::string>>>
MdeWorkspaceFlag(const std::vector<std::string>& flag) {
  if (flag.empty()) return std::nullopt;
  if (flag.size() == 1 && flag[0] == "none") {
    return std::vector<std::string>{};
  }
  return ParseMdeWorkspaceIds(flag, "--mde-workspace-id");
}

}  // namespace

absl::Status RunServe(const ServeOptions& options) {
  const Clock& clock = *Clock::Real();
  ASSIGN_OR_RETURN(const std::optional<std::vector<std::string>> mde_workspaces,
                   MdeWorkspaceFlag(options.mde_workspace_ids));
  // Refused before the database is touched: a bad transport flag changes
  // nothing.
  if (!absl::StartsWith(options.listen, "unix:")) {
    RETURN_IF_ERROR(CheckListenAddress("--listen", options.listen));
  }
  if (!options.http_listen.empty()) {
    RETURN_IF_ERROR(CheckListenAddress("--http-listen", options.http_listen));
  }
  ASSIGN_OR_RETURN(
      const server_tls::ServeTls tls,
      server_tls::LoadServeTls(
          {.listen = options.listen,
           .http_listen = options.http_listen,
           .tls_dir =
               server_tls::TlsDirectory(options.db_path, options.tls_dir),
           .tls_dir_given = !options.tls_dir.empty(),
           .tls_cert = options.tls_cert,
           .tls_key = options.tls_key,
           .plaintext = options.plaintext,
           .mtls = options.mtls,
           .allow_token_only_runners = options.allow_token_only_runners},
          clock.Now()));
  if (options.defender_confirm_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--defender-confirm-timeout: ",
        absl::FormatDuration(options.defender_confirm_timeout),
        " is too short: Defender needs minutes to list a newly onboarded "
        "device (at least 1s; default 30m)"));
  }
  // gRPC stops accepting for good after EMFILE: run with the hard limit
  // and refuse work well before it (connection_budget.h).
  ASSIGN_OR_RETURN(const service::OpenFilesLimit open_files,
                   service::RaiseOpenFilesLimit());
  const int max_connections =
      options.max_connections > 0
          ? options.max_connections
          : service::AutoMaxOpenDescriptors(open_files.soft);
  if (static_cast<uint64_t>(max_connections) >= open_files.soft) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-connections: ", max_connections,
        " is not below the open-files limit ", open_files.soft, " (hard limit ",
        open_files.hard,
        "); raise the hard limit (LimitNOFILE= in the systemd unit) or lower "
        "the flag"));
  }
  // Declared before everything it instruments, so it outlives them.
  // Throw: a name registered twice is a mistake, not a family to share.
  prometheus::Registry registry(prometheus::Registry::InsertBehavior::Throw);
  ASSIGN_OR_RETURN(const metrics::ServerMetrics instruments,
                   metrics::ServerMetrics::Register(registry));
  metrics::SqliteWriteMetrics write_metrics(
      *instruments.sqlite_write_batch_size, *instruments.sqlite_write_seconds);
  ASSIGN_OR_RETURN(
      std::unique_ptr<store::Store> db,
      store::Store::Open(options.db_path, store::OpenMode::kExisting, clock,
                         &write_metrics));
  const metrics::StoreCollector store_gauges(*db, clock, options.online_window);
  LogEvent(absl::StrCat("started: database ", options.db_path,
                        " (schema version ", store::LatestSchemaVersion(),
                        ")"));
  ASSIGN_OR_RETURN(
      const defender::DefenderConfig defender_config,
      defender::LoadDefenderConfig(
          options.defender_api_url, options.defender_login_url,
          options.defender_tenant_id, options.defender_client_id,
          options.defender_client_secret_file, options.defender_poll_interval));
  const serve::StartupRecoveryOptions recovery_options{
      .lease_duration = options.lease_duration,
      .mde_workspace_ids = mde_workspaces,
      .defender_configured = defender_config.configured(),
      .defender_confirm_timeout = options.defender_confirm_timeout};
  ASSIGN_OR_RETURN(const serve::StartupRecovery recovery,
                   serve::RecoverAtStartup(*db, clock, recovery_options));
  for (const std::string& line :
       serve::DescribeRecovery(recovery, recovery_options)) {
    LogEvent(line);
  }
  auth::Authenticator authenticator(*db, clock);
  service::EventHub hub(*db);
  // Idle polls' last-seen times, written once a second (seen_flusher.h).
  service::SeenFlusher seen(*db);
  seen.Start(kSeenFlushInterval);
  service::RunnerHandlers runner(
      *db, clock, authenticator, hub,
      {.lease_duration = options.lease_duration,
       .poll_timeout = options.poll_timeout,
       .client_ca = tls.issuer.get(),
       .require_client_certificate = tls.require_client_certificate,
       .client_certificate_lifetime = options.client_certificate_lifetime,
       .certificate_renewals = instruments.client_certificate_renewals,
       .enrollments = instruments.enrollments,
       .seen = &seen,
       .max_tasks_in_flight = options.max_tasks_in_flight});
  // Every outcome is exported from the start (0 until it happens), so a
  // dashboard's series do not appear out of nowhere.
  for (service::EnrollOutcome outcome : service::kEnrollOutcomes) {
    instruments.enrollments->Add(
        {{"outcome", std::string(service::EnrollOutcomeName(outcome))}});
  }
  service::AdminHandlers admin(
      *db, clock, authenticator, hub,
      {.online_window = options.online_window,
       .watch_interval = absl::Milliseconds(200),
       .defender_api_configured = defender_config.configured(),
       .watch_streams = options.watch_streams,
       .evidence_retention = options.evidence_retention});
  service::LongPoller poller(runner, clock, kPollWorkers,
                             instruments.long_polls_held);
  poller.set_wake_cap(2 * static_cast<size_t>(options.max_tasks_in_flight));
  hub.set_waker(&poller);
  service::LeaseReaper reaper(*db, clock, hub);
  reaper.set_evidence_retention(options.evidence_retention);

  // What callers without a valid credential make the server log (addresses
  // and credentials over their budgets, refused HTTP connections) is
  // rate-limited: a flood of garbage cannot fill the disk or drown the log.
  LogLimiter failing_callers_log(
      clock, "failing callers", kFailingCallerLinesPerMinute, absl::Minutes(1));
  LogLimiter grpc_log(clock, "gRPC transport errors",
                      kFailingCallerLinesPerMinute, absl::Minutes(1));
  // A dead listener cannot be revived in process: sigwait below wakes on
  // SIGUSR2 and serve exits non-zero, so the service manager restarts it
  // (never up and deaf).
  const ScopedGrpcLogRouting grpc_log_routing(
      grpc_log, [](absl::string_view) { kill(getpid(), SIGUSR2); });
  service::PeerGuard peer_guard(clock, options.peer_limits,
                                &failing_callers_log);
  // The standard health service (grpc.health.v1): SERVING, NOT_SERVING
  // while the connection budget is spent.
  grpc::EnableDefaultHealthCheckService(true);
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  service::ConnectionBudget connections(
      max_connections, kConnectionRetryAfter,
      [] {
        absl::StatusOr<int> open = service::CountOpenFiles();
        return open.ok() ? *open : -1;
      },
      [&health](bool saturated) {
        LogEvent(saturated ? "connection limit reached: refusing enrollments "
                             "and polls (RESOURCE_EXHAUSTED, retry delay) "
                             "until descriptors free up; health NOT_SERVING"
                           : "below the connection limit again: serving");
        if (auto* h = health.load()) h->SetServingStatus(!saturated);
      });
  service::GrpcRunnerService runner_service(runner, poller, peer_guard,
                                            &connections);
  service::GrpcAdminService admin_service(admin, peer_guard);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen,
                           server_tls::ServerCredentialsFor(tls), &port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageSize);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kIdleCallThreads);
  builder.RegisterService(&runner_service);
  builder.RegisterService(&admin_service);
  service::PollQueues poll_queues(runner_service, builder, kPollQueues);
  builder.experimental().SetInterceptorCreators(
      service::RpcMetricsInterceptors({.requests = instruments.rpc_requests,
                                       .duration = instruments.rpc_duration},
                                      {v1::RunnerService::service_full_name(),
                                       v1::AdminService::service_full_name()}));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options.listen));
  }
  poll_queues.Start();
  health.store(server->GetHealthCheckService());
  if (auto* h = health.load()) h->SetServingStatus(true);
  connections.Start(absl::Milliseconds(250));
  LogEvent(absl::StrCat(
      "open files: limit ", open_files.soft,
      open_files.soft_before != open_files.soft
          ? absl::StrCat(" (raised from ", open_files.soft_before,
                         " to the hard limit)")
          : absl::StrCat(" (the hard limit is ", open_files.hard, ")"),
      "; enrollments and polls refused from ", max_connections,
      " open descriptors (--max-connections)"));
  LogEvent(options.max_tasks_in_flight > 0
               ? absl::StrCat("tasks leased or running across the fleet: at "
                              "most ",
                              options.max_tasks_in_flight,
                              " (--max-tasks-in-flight)")
               : "tasks leased or running across the fleet: no cap "
                 "(--max-tasks-in-flight 0)");
  reaper.Start(std::min(absl::Seconds(5), options.lease_duration / 4));
  // api_offboard: the server runs those tasks itself.
  defender::CurlHttpClient http;
  defender::TokenSource tokens(http, clock, defender_config);
  defender::DefenderApi defender_api(http, tokens, defender_config.api_url);
  // One budget for every Defender API call the server makes.
  defender::ApiCallBudget budget(*db, clock,
                                 SlidingWindowLimiter::DefenderApi());
  std::unique_ptr<defender::OffboardWorker> offboarder;
  std::unique_ptr<defender::ConfirmWorker> confirmer;
  if (defender_config.configured()) {
    RETURN_IF_ERROR(budget.Recover());
    offboarder = std::make_unique<defender::OffboardWorker>(
        *db, clock, &hub, defender_api, tokens, budget,
        defender::WorkerOptions{.poll_interval =
                                    defender_config.poll_interval});
    RETURN_IF_ERROR(offboarder->Recover());
    offboarder->Start();
    confirmer = std::make_unique<defender::ConfirmWorker>(
        *db, clock, &hub, defender_api, tokens, budget,
        defender::ConfirmOptions{
            .timeout = options.defender_confirm_timeout,
            .poll_interval = defender_config.poll_interval});
    confirmer->Start();
    LogEvent(absl::StrCat(
        "api_offboard: Defender API ", defender_config.api_url, " as client ",
        defender_config.client_id, " of tenant ", defender_config.tenant_id));
  }
  LogEvent(absl::StrCat("listening on ", HostOf(options.listen), ":", port,
                        ": ", tls.description));
  LogEvent(absl::StrCat(
      "runner authentication: ", tls.runner_authentication,
      tls.issuer != nullptr
          ? absl::StrCat(
                "; client certificates issued for ",
                absl::FormatDuration(options.client_certificate_lifetime),
                ", renewed by runners before they "
                "expire")
          : ""));
  if (!tls.warning.empty()) LogEvent(absl::StrCat("WARNING: ", tls.warning));
  if (!options.port_file.empty()) {
    RETURN_IF_ERROR(WritePortFile(options.port_file, port));
  }
  // The HTTP/JSON read API: the same handlers, credentials and per-address
  // budgets as gRPC, HTTPS with the gRPC port's certificate.
  prometheus::Family<prometheus::Counter>* http_requests =
      instruments.http_requests;
  http::ApiRouter router(
      admin, authenticator, peer_guard,
      {.render_metrics =
           [&registry, &store_gauges] {
             return metrics::RenderText({&registry, &store_gauges});
           },
       .on_request =
           [http_requests](absl::string_view route, int status) {
             http_requests
                 ->Add({{"route", std::string(route)},
                        {"code", absl::StrCat(status)}})
                 .Increment();
           }});
  std::unique_ptr<http::HttpApiServer> http_server;
  // Stops what runs, in order: new HTTP requests first (they read through
  // the handlers), then waiting polls so Shutdown need not wait for them.
  const auto stop_serving = [&] {
    if (http_server != nullptr) http_server->Stop();
    poller.Stop();
    reaper.Stop();
    if (offboarder != nullptr) offboarder->Stop();
    if (confirmer != nullptr) confirmer->Stop();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(3));
    poll_queues.Stop();
    server->Wait();
  };
  if (!options.http_listen.empty()) {
    absl::StatusOr<std::unique_ptr<http::HttpApiServer>> started =
        http::HttpApiServer::Start(
            {.listen = options.http_listen,
             .certificate_pem = tls.enabled ? tls.certificate_pem : "",
             .key_pem = tls.enabled ? tls.key_pem : "",
             .limits = options.http_limits,
             .log = &failing_callers_log},
            router);
    if (!started.ok()) {
      stop_serving();
      return started.status();
    }
    http_server = *std::move(started);
    LogEvent(absl::StrCat("http: listening on ", HostOf(options.http_listen),
                          ":", http_server->port(), ": ",
                          http_server->tls()
                              ? "HTTPS with the gRPC port's certificate"
                              : "plaintext HTTP (loopback only)"));
    if (!options.http_port_file.empty()) {
      if (absl::Status written = WritePortFile(
              options.http_port_file, http_server->port(), "--http-port-file");
          !written.ok()) {
        stop_serving();
        return written;
      }
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR2);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  if (signal_number == SIGUSR2) {
    LogEvent(absl::StrCat(
        "the gRPC listener stopped accepting connections (", connections.open(),
        " descriptors open, limit ", open_files.soft,
        "): exiting with an error so the service manager restarts the "
        "server"));
    // Shutting down can hang without descriptors; the restart matters more.
    service::ShutdownDeadline deadline(
        kShutdownGrace, service::ExitProcessOnExpiry(kExitListenerDeaf));
    stop_serving();
    return absl::UnavailableError(
        "the gRPC listener stopped accepting connections (out of file "
        "descriptors)");
  }
  LogEvent(absl::StrCat("received ",
                        signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                        ": shutting down"));
  // A call that ignores its cancellation must not keep a stopped server up.
  service::ShutdownDeadline deadline(
      kShutdownGrace, service::ExitProcessOnExpiry(kExitStopTooSlow));
  stop_serving();
  LogEvent("stopped");
  return absl::OkStatus();
}

}  // namespace mdefleet
