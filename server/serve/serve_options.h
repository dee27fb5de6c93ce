// The flags of `mdefleet-server serve` (server/main.cc fills them in): what
// FleetServer (fleet_server.h) starts with.
#ifndef MDEFLEET_SERVER_SERVE_SERVE_OPTIONS_H_
#define MDEFLEET_SERVER_SERVE_SERVE_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/http/http_server.h"
#include "server/service/peer_guard.h"
#include "server/service/stream_slots.h"

namespace mdefleet {

struct ServeOptions {
  std::string db_path;
  std::string listen;     // HOST:PORT; port 0 picks one
  std::string port_file;  // written with the bound port once listening
  // The HTTP/JSON read API and dashboard (server/http): HOST:PORT, port 0
  // picks one; "" (the default) serves no HTTP. TLS as the gRPC port.
  std::string http_listen;
  std::string http_port_file;  // written with the bound HTTP port
  // Transport security (server/tls/serve_tls.h).
  std::string tls_dir;   // --tls-dir; empty: <db_path>.tls
  std::string tls_cert;  // --tls-cert/--tls-key override the directory's
  std::string tls_key;
  bool plaintext = false;  // --plaintext (loopback only)
  bool mtls = false;       // --mtls: the default with TLS, kept for scripts
  // --allow-token-only-runners: runner calls over TLS need no client
  // certificate (a device token suffices); logged as a warning.
  bool allow_token_only_runners = false;
  // --client-certificate-lifetime: of the certificates issued to runners at
  // enrollment and renewal.
  absl::Duration client_certificate_lifetime = absl::Hours(24 * 366);
  absl::Duration lease_duration = absl::Minutes(10);
  absl::Duration poll_timeout = absl::Seconds(30);
  absl::Duration online_window = absl::Seconds(90);
  // Per-address and per-credential budgets for failing calls
  // (peer_guard.h).
  service::PeerLimits peer_limits{};
  // Open WatchJob streams per token and in all (stream_slots.h).
  service::StreamLimits watch_streams{};
  // Open descriptors at which Enroll and PollTasks are refused
  // (connection_budget.h); 0: derived from the open-files limit.
  int max_connections = 0;
  // Tasks leased or running across the fleet at most (0: no cap).
  int max_tasks_in_flight = 2000;
  // HTTP connections per address and the header deadline (http_server.h).
  http::HttpLimits http_limits{};
  // api_offboard (see server/defender/defender_config.h): all three of
  // tenant, client id and secret file, or none (api_offboard refused).
  std::string defender_api_url = "https://api.securitycenter.microsoft.com";
  std::string defender_login_url = "https://login.microsoftonline.com";
  // --mde-workspace-id (repeatable): the tenant's MDE workspace ids to
  // store; empty keeps the stored ones, {"none"} forgets them.
  std::vector<std::string> mde_workspace_ids;
  std::string defender_tenant_id;
  std::string defender_client_id;
  std::string defender_client_secret_file;
  absl::Duration defender_poll_interval = absl::Seconds(30);
  // How long failed steps' evidence (logs) is kept; zero: forever.
  absl::Duration evidence_retention = absl::Hours(24 * 30);
  // onboard's confirm_in_defender (with the Defender API): how long after
  // the runner's steps Defender has to list the device Active.
  absl::Duration defender_confirm_timeout = absl::Minutes(30);
};

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVE_SERVE_OPTIONS_H_
