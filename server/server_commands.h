// The two mdefleet-server commands: init and serve.
#ifndef MDEFLEET_SERVER_SERVER_COMMANDS_H_
#define MDEFLEET_SERVER_SERVER_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/serve/serve_options.h"

namespace mdefleet {

struct InitOptions {
  std::string db_path;
  std::string tls_dir;            // --tls-dir; empty: <db_path>.tls
  std::vector<std::string> sans;  // --san: extra names of the server cert
  std::string tls_cert;           // --tls-cert/--tls-key: the operator's pair
  std::string tls_key;
};

// Creates the database (refusing an existing file), applies the migrations,
// creates the TLS directory (server/tls/tls_dir.h: a new CA and server
// certificate, or the operator's pair) and prints "admin_token=...",
// "enrollment_secret=..." and, with a CA, "ca_certificate=<path>" on stdout,
// once. Bad TLS flags are refused before anything is written.
[[nodiscard]] absl::Status RunInit(const InitOptions& options);

// Serves until SIGTERM/SIGINT, then shuts down gracefully. The caller must
// have blocked SIGTERM and SIGINT in every thread (see main.cc).
[[nodiscard]] absl::Status RunServe(const ServeOptions& options);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVER_COMMANDS_H_
