#include "common/mde_workspaces.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/job_spec_validation.h"

namespace mdefleet {

std::string NormalizeWorkspaceId(absl::string_view id) {
  if (absl::ConsumePrefix(&id, "{")) absl::ConsumeSuffix(&id, "}");
  return absl::AsciiStrToLower(id);
}

absl::StatusOr<std::vector<std::string>> ParseMdeWorkspaceIds(
    absl::Span<const std::string> ids, absl::string_view field) {
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (!IsGuid(id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": \"", absl::CHexEscape(id.substr(0, 64)),
          "\" is not a workspace GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, "
          "as the Defender portal shows it for the previous onboarding "
          "method)"));
    }
    out.push_back(NormalizeWorkspaceId(id));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool MightBeMdeWorkspace(absl::string_view workspace,
                         absl::Span<const std::string> mde_workspace_ids) {
  if (mde_workspace_ids.empty()) return true;
  const std::string normalized = NormalizeWorkspaceId(workspace);
  return std::find(mde_workspace_ids.begin(), mde_workspace_ids.end(),
                   normalized) != mde_workspace_ids.end();
}

ReportedWorkspaces SplitReportedWorkspaces(
    const v1::DeviceFacts& facts,
    absl::Span<const std::string> mde_workspace_ids) {
  ReportedWorkspaces out;
  for (const std::string& ws : facts.mma_workspaces()) {
    (MightBeMdeWorkspace(ws, mde_workspace_ids) ? out.mde : out.others)
        .push_back(ws);
  }
  return out;
}

}  // namespace mdefleet
