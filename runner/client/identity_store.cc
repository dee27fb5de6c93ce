#include "runner/client/identity_store.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {

std::string IdentityPath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "identity");
}

absl::StatusOr<std::optional<RunnerIdentity>> LoadIdentity(Host& host) {
  const std::string path = IdentityPath(host);
  auto text = host.ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  RunnerIdentity id;
  std::string protected_token;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "device_id=")) {
      id.device_id = std::string(line);
    } else if (absl::ConsumePrefix(&line, "protected_token=")) {
      if (!absl::Base64Unescape(line, &protected_token)) {
        return absl::DataLossError(
            absl::StrCat(path, ": protected_token is not base64"));
      }
    }
  }
  if (id.device_id.empty() || protected_token.empty()) {
    return absl::DataLossError(
        absl::StrCat(path, " is incomplete; delete it to enroll again"));
  }
  auto token = host.UnprotectSecret(protected_token);
  if (!token.ok()) {
    return absl::DataLossError(absl::StrCat(
        path, ": cannot unprotect the device token (", token.status().message(),
        "); delete the file to enroll again"));
  }
  id.device_token = *std::move(token);
  return id;
}

absl::Status SaveIdentity(Host& host, const RunnerIdentity& identity) {
  RETURN_IF_ERROR(host.CreateDirectories(host.StateDirectory()));
  ASSIGN_OR_RETURN(std::string protected_token,
                   host.ProtectSecret(identity.device_token));
  return host.WriteFile(
      IdentityPath(host),
      absl::StrCat("device_id=", identity.device_id, "\nprotected_token=",
                   absl::Base64Escape(protected_token), "\n"));
}

}  // namespace mdefleet::runner
