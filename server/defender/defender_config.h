// How mdefleet-server reaches the Defender API for api_offboard: the API and
// login base URLs and the Entra app's client credentials (flags of
// `mdefleet-server serve`; the secret is read from a file so that it is not
// in the process list).
#ifndef MDEFLEET_SERVER_DEFENDER_DEFENDER_CONFIG_H_
#define MDEFLEET_SERVER_DEFENDER_DEFENDER_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::defender {

inline constexpr absl::string_view kDefaultApiUrl =
    "https://api.securitycenter.microsoft.com";
inline constexpr absl::string_view kDefaultLoginUrl =
    "https://login.microsoftonline.com";
inline constexpr absl::string_view kApiScope =
    "https://api.securitycenter.microsoft.com/.default";

struct DefenderConfig {
  std::string api_url = std::string(kDefaultApiUrl);
  std::string login_url = std::string(kDefaultLoginUrl);
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;  // never logged, stored or put in a message
  // How often outstanding machine actions are looked up (one list call).
  absl::Duration poll_interval = absl::Seconds(30);

  bool configured() const { return !client_secret.empty(); }
};

// Validates the flags and reads the secret file. Nothing configured (no
// tenant, client id or secret file) is Ok and leaves api_offboard off;
// a partial configuration is InvalidArgument naming the missing flag. URLs
// must be https:// (http:// only to a loopback address, for test servers).
[[nodiscard]] absl::StatusOr<DefenderConfig> LoadDefenderConfig(
    absl::string_view api_url, absl::string_view login_url,
    absl::string_view tenant_id, absl::string_view client_id,
    absl::string_view client_secret_file, absl::Duration poll_interval);

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_DEFENDER_CONFIG_H_
