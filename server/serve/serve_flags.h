// What `serve` checks before it touches the database: the listen addresses,
// the transport security, the Defender API flags, the confirm timeout, the
// workspace ids and the descriptor budget. A refused flag changes nothing.
#ifndef MDEFLEET_SERVER_SERVE_SERVE_FLAGS_H_
#define MDEFLEET_SERVER_SERVE_SERVE_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/defender/defender_config.h"
#include "server/serve/serve_options.h"
#include "server/service/open_files.h"
#include "server/tls/serve_tls.h"

namespace mdefleet::serve {

// The flags of ServeOptions that needed loading or deciding, as serve uses
// them.
struct CheckedServeFlags {
  // --mde-workspace-id: nullopt keeps the stored ids, {} forgets them.
  std::optional<std::vector<std::string>> mde_workspace_ids;
  server_tls::ServeTls tls;
  std::string tls_dir;  // where tls was read from
  defender::DefenderConfig defender;
  // RLIMIT_NOFILE, raised to the hard limit.
  service::OpenFilesLimit open_files;
  // Open descriptors at which enrollments and polls are refused: the flag,
  // or derived from the open-files limit.
  int max_connections = 0;
};

// Checks the flags and loads the TLS material and the Defender client
// secret. InvalidArgument (or what loading a file gave) naming the flag;
// the only side effect is RLIMIT_NOFILE's soft limit raised to its hard
// limit (gRPC stops accepting for good after EMFILE).
[[nodiscard]] absl::StatusOr<CheckedServeFlags> CheckServeFlags(
    const ServeOptions& options, absl::Time now);

}  // namespace mdefleet::serve

#endif  // MDEFLEET_SERVER_SERVE_SERVE_FLAGS_H_
