// The two mdefleet-server commands: init and serve.
#ifndef MDEFLEET_SERVER_SERVER_COMMANDS_H_
#define MDEFLEET_SERVER_SERVER_COMMANDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mdefleet {

// Creates the database (refusing an existing file), applies the migrations
// and prints "admin_token=..." and "enrollment_secret=..." on stdout, once.
[[nodiscard]] absl::Status RunInit(const std::string& db_path);

struct ServeOptions {
  std::string db_path;
  std::string listen;     // HOST:PORT; port 0 picks one
  std::string port_file;  // written with the bound port once listening
  absl::Duration lease_duration = absl::Minutes(10);
  absl::Duration poll_timeout = absl::Seconds(30);
  absl::Duration online_window = absl::Seconds(90);
  // api_offboard (see server/defender/defender_config.h): all three of
  // tenant, client id and secret file, or none (api_offboard refused).
  std::string defender_api_url = "https://api.securitycenter.microsoft.com";
  std::string defender_login_url = "https://login.microsoftonline.com";
  std::string defender_tenant_id;
  std::string defender_client_id;
  std::string defender_client_secret_file;
  absl::Duration defender_poll_interval = absl::Seconds(30);
};

// Serves until SIGTERM/SIGINT, then shuts down gracefully. The caller must
// have blocked SIGTERM and SIGINT in every thread (see main.cc).
[[nodiscard]] absl::Status RunServe(const ServeOptions& options);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVER_COMMANDS_H_
