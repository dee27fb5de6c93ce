#include "server/serve/serve_flags.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/host_port.h"
#include "common/mde_workspaces.h"
#include "common/status_macros.h"
#include "server/service/connection_budget.h"
#include "server/tls/tls_dir.h"

namespace mdefleet::serve {
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

[[nodiscard]] absl::StatusOr<server_tls::ServeTls> LoadTlsFlags(
    const ServeOptions& options, const std::string& tls_dir, absl::Time now) {
  server_tls::ServeTlsOptions tls;
  tls.listen = options.listen;
  tls.http_listen = options.http_listen;
  tls.tls_dir = tls_dir;
  tls.tls_dir_given = !options.tls_dir.empty();
  tls.tls_cert = options.tls_cert;
  tls.tls_key = options.tls_key;
  tls.plaintext = options.plaintext;
  tls.mtls = options.mtls;
  tls.allow_token_only_runners = options.allow_token_only_runners;
  return server_tls::LoadServeTls(tls, now);
}

[[nodiscard]] absl::Status CheckConfirmTimeout(absl::Duration timeout) {
  if (timeout >= absl::Seconds(1)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--defender-confirm-timeout: ", absl::FormatDuration(timeout),
      " is too short: Defender needs minutes to list a newly onboarded "
      "device (at least 1s; default 30m)"));
}

// --max-connections, or the default from the open-files limit; refused when
// it leaves no descriptors for the rest of the server.
[[nodiscard]] absl::StatusOr<int> MaxConnections(
    int flag, const service::OpenFilesLimit& open_files) {
  const int max_connections =
      flag > 0 ? flag : service::AutoMaxOpenDescriptors(open_files.soft);
  if (static_cast<uint64_t>(max_connections) >= open_files.soft) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-connections: ", max_connections,
        " is not below the open-files limit ", open_files.soft, " (hard limit ",
        open_files.hard,
        "); raise the hard limit (LimitNOFILE= in the systemd unit) or lower "
        "the flag"));
  }
  return max_connections;
}

}  // namespace

absl::StatusOr<CheckedServeFlags> CheckServeFlags(const ServeOptions& options,
                                                  absl::Time now) {
  CheckedServeFlags checked;
  ASSIGN_OR_RETURN(checked.mde_workspace_ids,
                   MdeWorkspaceFlag(options.mde_workspace_ids));
  if (!absl::StartsWith(options.listen, "unix:")) {
    RETURN_IF_ERROR(CheckListenAddress("--listen", options.listen));
  }
  if (!options.http_listen.empty()) {
    RETURN_IF_ERROR(CheckListenAddress("--http-listen", options.http_listen));
  }
  ASSIGN_OR_RETURN(checked.tls_dir,
                   server_tls::TlsDirectory(options.db_path, options.tls_dir));
  ASSIGN_OR_RETURN(checked.tls, LoadTlsFlags(options, checked.tls_dir, now));
  RETURN_IF_ERROR(CheckConfirmTimeout(options.defender_confirm_timeout));
  // gRPC stops accepting for good after EMFILE: run with the hard limit
  // and refuse work well before it (connection_budget.h).
  ASSIGN_OR_RETURN(checked.open_files, service::RaiseOpenFilesLimit());
  ASSIGN_OR_RETURN(checked.max_connections,
                   MaxConnections(options.max_connections, checked.open_files));
  // The Defender API flags and the secret file they name: last, as when
  // they were read after the store was opened.
  ASSIGN_OR_RETURN(
      checked.defender,
      defender::LoadDefenderConfig(
          options.defender_api_url, options.defender_login_url,
          options.defender_tenant_id, options.defender_client_id,
          options.defender_client_secret_file, options.defender_poll_interval));
  return checked;
}

}  // namespace mdefleet::serve
