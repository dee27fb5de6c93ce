// The running `mdefleet-server serve`, assembled: the store, the handlers
// and the event hub, the long-poller, the lease reaper, the Defender API
// workers, the gRPC server and the HTTP/JSON API. One object that starts and
// stops, so that serve (server/server_commands.cc) only adds the signals and
// the port files, and tests run the whole server in process.
#ifndef MDEFLEET_SERVER_SERVE_FLEET_SERVER_H_
#define MDEFLEET_SERVER_SERVE_FLEET_SERVER_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "server/serve/serve_flags.h"
#include "server/serve/serve_options.h"

namespace mdefleet::serve {

class FleetServer {
 public:
  // Runs (once, with gRPC's log line) when gRPC says its listener stopped
  // accepting connections for good (service/log.h): serve restarts.
  using ListenerFailure = std::function<void(absl::string_view)>;

  // Checks the flags first (CheckServeFlags: a refused flag opens nothing),
  // then opens the store (made by `init`: FailedPrecondition from
  // store::Store::Open when it is missing or foreign), puts right what the last
  // run left (startup_recovery.h) and starts serving: gRPC on options.listen,
  // the HTTP/JSON API on options.http_listen when set, the lease reaper and,
  // with Defender API credentials, the api_offboard and confirmation
  // workers. Logs what it found and set up on the way. Unavailable when
  // --listen cannot be bound. On any error what had started is stopped
  // again. At most one at a time per process (gRPC's log routing).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FleetServer>> Start(
      const ServeOptions& options, const Clock& clock,
      ListenerFailure on_listener_failure = nullptr);

  ~FleetServer();  // Stop()
  FleetServer(const FleetServer&) = delete;
  FleetServer& operator=(const FleetServer&) = delete;

  // The bound ports; http_port() is 0 without --http-listen.
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  // The HTTP API is served over TLS (with the gRPC port's certificate).
  bool http_tls() const { return http_tls_; }
  // This server runs the cluster's once-only work now: always on SQLite;
  // on PostgreSQL while it holds the cluster's lock (cluster_duties.h).
  bool leads_cluster_duties() const;
  // The flags as checked: the transport security, the open-files limit...
  const CheckedServeFlags& flags() const { return flags_; }
  // Descriptors open at the connection budget's last sample (0 after Stop).
  int open_descriptors() const;

  // Stops serving in the order that lets each part finish: new HTTP
  // requests, waiting polls, the reaper, the Defender workers, then gRPC
  // (calls still running are cancelled after 3 s) and its poll queues. Then
  // frees everything in the reverse order of its making, closing the store
  // last (idle devices' last-seen times are written first). Idempotent.
  void Stop();

 private:
  struct Parts;

  FleetServer(const ServeOptions& options, const Clock& clock,
              CheckedServeFlags flags);

  [[nodiscard]] absl::Status OpenStore();
  void BuildHandlers();
  void GuardCallers(ListenerFailure on_listener_failure);
  [[nodiscard]] absl::Status StartGrpc();
  [[nodiscard]] absl::Status JoinCluster();
  [[nodiscard]] absl::Status StartClusterDuties();
  void StopClusterDuties();
  [[nodiscard]] absl::Status StartDefenderWorkers();
  [[nodiscard]] absl::Status StartHttp();

  const ServeOptions options_;
  const Clock& clock_;
  const CheckedServeFlags flags_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  bool http_tls_ = false;
  // Everything that runs; null once stopped.
  std::unique_ptr<Parts> parts_;
};

}  // namespace mdefleet::serve

#endif  // MDEFLEET_SERVER_SERVE_FLEET_SERVER_H_
