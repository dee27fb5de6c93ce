#include "runner/facts/cloud_connection_record.h"

#include "absl/strings/str_cat.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {

std::string CloudConnectionRecordPath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "cloud_connection.pb");
}

absl::Status SaveCloudConnection(Host& host,
                                 const v1::CloudConnectionCheck& check) {
  if (absl::Status s = host.CreateDirectories(host.StateDirectory()); !s.ok()) {
    return s;
  }
  return host.WriteFile(CloudConnectionRecordPath(host),
                        check.SerializeAsString());
}

absl::StatusOr<std::optional<v1::CloudConnectionCheck>> LoadCloudConnection(
    Host& host) {
  const std::string path = CloudConnectionRecordPath(host);
  absl::StatusOr<std::string> content = host.ReadFile(path);
  if (absl::IsNotFound(content.status())) return std::nullopt;
  if (!content.ok()) return content.status();
  v1::CloudConnectionCheck check;
  if (!check.ParseFromString(*content) || !check.has_checked_at()) {
    return absl::DataLossError(
        absl::StrCat(path, ": not a cloud connection record"));
  }
  return check;
}

}  // namespace mdefleet::runner
