// The result of the last `MpCmdRun.exe -ValidateMapsConnection` the runner
// ran (health_check's check_cloud_connection step), kept in the runner's
// state directory so the fact collector reports it as
// DeviceFacts.cloud_connection on every poll, also after a restart.
#ifndef MDEFLEET_RUNNER_FACTS_CLOUD_CONNECTION_RECORD_H_
#define MDEFLEET_RUNNER_FACTS_CLOUD_CONNECTION_RECORD_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// <state dir>\cloud_connection.pb
std::string CloudConnectionRecordPath(const Host& host);

// Replaces the record (atomically, through Host::WriteFile).
[[nodiscard]] absl::Status SaveCloudConnection(
    Host& host, const v1::CloudConnectionCheck& check);

// The record; nullopt when no check ran yet. DataLoss for a file that is
// not a record (the caller reports no fact rather than a wrong one).
[[nodiscard]] absl::StatusOr<std::optional<v1::CloudConnectionCheck>>
LoadCloudConnection(Host& host);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_CLOUD_CONNECTION_RECORD_H_
