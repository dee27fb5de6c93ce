// The tenant's Defender for Endpoint workspace(s) among the workspaces a
// device's Microsoft Monitoring Agent reports to. Article 001 (moving from
// the MMA-based sensor): the workspace to remove is the tenant's MDE
// workspace, the id the portal shows for the previous onboarding method;
// other workspaces (Log Analytics, Sentinel) keep that server's monitoring
// and are left alone. The server keeps the tenant's ids
// (`mdefleet-server serve --mde-workspace-id`); onboard, migrate_mma and the
// mma_reporting need read them through these functions.
#ifndef MDEFLEET_COMMON_MDE_WORKSPACES_H_
#define MDEFLEET_COMMON_MDE_WORKSPACES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// A workspace id as compared: lowercase, without braces.
std::string NormalizeWorkspaceId(absl::string_view id);

// `ids` validated (each a GUID, with or without braces), normalized, sorted
// and without repeats. InvalidArgument naming `field` and the bad value.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ParseMdeWorkspaceIds(
    absl::Span<const std::string> ids, absl::string_view field);

// Whether `workspace` is one of `mde_workspace_ids` (normalized). With no
// ids configured the tenant's workspace is unknown and every workspace
// might be it: true.
bool MightBeMdeWorkspace(absl::string_view workspace,
                         absl::Span<const std::string> mde_workspace_ids);

// The workspaces MMA reports to, as the device spells them: those that are,
// or might be, the tenant's MDE workspace, and the others.
struct ReportedWorkspaces {
  std::vector<std::string> mde;
  std::vector<std::string> others;
};
ReportedWorkspaces SplitReportedWorkspaces(
    const v1::DeviceFacts& facts,
    absl::Span<const std::string> mde_workspace_ids);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_MDE_WORKSPACES_H_
