#include "server/defender/defender_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/job_spec_validation.h"

namespace mdefleet::defender {
namespace {

[[nodiscard]] absl::Status CheckUrl(absl::string_view flag,
                                    absl::string_view url) {
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    // fine
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    const bool loopback = absl::StartsWith(rest, "127.") ||
                          absl::StartsWith(rest, "localhost") ||
                          absl::StartsWith(rest, "[::1]");
    if (!loopback) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", url,
                       "\" must be https:// (http:// only for a test server "
                       "on a loopback address)"));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", url, "\" is not an https:// URL"));
  }
  if (rest.empty() || absl::StartsWith(rest, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", url, "\" has no host"));
  }
  if (absl::StrContains(rest, "?") || absl::StrContains(rest, "#")) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", url, "\" must be a base URL"));
  }
  return absl::OkStatus();
}

bool IsTenant(absl::string_view t) {
  if (t.empty() || t.size() > 255) return false;
  for (char c : t) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<DefenderConfig> LoadDefenderConfig(
    absl::string_view api_url, absl::string_view login_url,
    absl::string_view tenant_id, absl::string_view client_id,
    absl::string_view client_secret_file, absl::Duration poll_interval) {
  DefenderConfig config;
  if (tenant_id.empty() && client_id.empty() && client_secret_file.empty()) {
    return config;  // api_offboard off
  }
  if (tenant_id.empty()) {
    return absl::InvalidArgumentError(
        "--defender-tenant-id: required with --defender-client-id and "
        "--defender-client-secret-file");
  }
  if (client_id.empty()) {
    return absl::InvalidArgumentError(
        "--defender-client-id: required with --defender-tenant-id and "
        "--defender-client-secret-file");
  }
  if (client_secret_file.empty()) {
    return absl::InvalidArgumentError(
        "--defender-client-secret-file: required with --defender-tenant-id "
        "and --defender-client-id");
  }
  if (!IsTenant(tenant_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--defender-tenant-id: \"", tenant_id,
                     "\" is not a tenant id (a GUID or a domain name)"));
  }
  if (!IsGuid(client_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--defender-client-id: \"", client_id,
                     "\" is not an application (client) id GUID"));
  }
  if (absl::Status s = CheckUrl("--defender-api-url", api_url); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckUrl("--defender-login-url", login_url); !s.ok()) {
    return s;
  }
  if (poll_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "--defender-poll-interval: must be at least 1s");
  }
  std::ifstream in{std::string(client_secret_file)};
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--defender-client-secret-file: cannot read ", client_secret_file));
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string secret(absl::StripAsciiWhitespace(content.str()));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--defender-client-secret-file: ", client_secret_file, " is empty"));
  }
  config.api_url = std::string(absl::StripSuffix(api_url, "/"));
  config.login_url = std::string(absl::StripSuffix(login_url, "/"));
  config.tenant_id = std::string(tenant_id);
  config.client_id = std::string(client_id);
  config.client_secret = secret;
  config.poll_interval = poll_interval;
  return config;
}

}  // namespace mdefleet::defender
