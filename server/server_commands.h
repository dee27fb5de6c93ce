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
};

// Serves until SIGTERM/SIGINT, then shuts down gracefully. The caller must
// have blocked SIGTERM and SIGINT in every thread (see main.cc).
[[nodiscard]] absl::Status RunServe(const ServeOptions& options);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVER_COMMANDS_H_
