#include "common/device_needs.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mde_workspaces.h"
#include "common/os_family.h"
#include "common/proxy_config.h"

namespace mdefleet {
namespace {

bool Onboarded(const v1::DeviceFacts& f) {
  return f.mde_state() == v1::MDE_STATE_ONBOARDED ||
         f.mde_state() == v1::MDE_STATE_SENSE_NOT_RUNNING;
}

// Defender Antivirus runs (actively or passively): its settings matter.
bool DefenderAvRuns(const v1::DeviceFacts& f) {
  return f.av_mode() == v1::AV_MODE_ACTIVE ||
         f.av_mode() == v1::AV_MODE_PASSIVE;
}

}  // namespace

const std::vector<NeedInfo>& AllNeeds() {
  static const auto* needs = new std::vector<NeedInfo>{
      {kNeedNotInstalled, "not_installed",
       "2012 R2/2016 without the unified agent (md4ws.msi)", "install",
       "install md4ws with Install.ps1 (onboard also installs it)"},
      {kNeedNotOnboarded, "not_onboarded",
       "not onboarded to Defender for Endpoint", "onboard",
       "onboard with the onboarding script"},
      {kNeedSenseNotRunning, "sense_not_running",
       "onboarded but the Sense service is not running", "health_check",
       "look at the Sense service and the device's events; health_check "
       "shows what else is wrong"},
      {kNeedMmaReporting, "mma_reporting",
       "the Microsoft Monitoring Agent still reports to the tenant's Defender "
       "for Endpoint workspace (or, none being configured, to a workspace)",
       "migrate_mma",
       "2012 R2/2016: migrate_mma --workspace-id <GUID> removes the MDE "
       "workspace and onboards; 2019+: remove that workspace from MMA by "
       "hand. Other workspaces (Log Analytics, Sentinel) stay: name the "
       "tenant's MDE workspace with mdefleet-server serve "
       "--mde-workspace-id and only it counts"},
      {kNeedCloudProtectionOff, "cloud_protection_off",
       "cloud-delivered protection is off (MAPSReporting = 0)", "health_check",
       "turn on cloud-delivered protection by policy (Join Microsoft MAPS / "
       "MAPSReporting), then run health_check to confirm"},
      {kNeedTamperProtectionOff, "tamper_protection_off",
       "tamper protection is off", "health_check",
       "turn on tamper protection in the Defender portal or Intune, then run "
       "health_check to confirm"},
      {kNeedPassiveModeMissing, "passive_mode_missing",
       "third-party antivirus present but ForceDefenderPassiveMode is not set",
       "set_passive_mode",
       "set_passive_mode before onboarding (with tamper protection on, "
       "Defender will not leave active mode afterwards)"},
      {kNeedProxyMismatch, "proxy_mismatch",
       "the EDR, antivirus and system proxies disagree", "configure_proxy",
       "configure_proxy sets all three to the same proxy"},
      {kNeedHealthUnknown, "health_unknown",
       "onboarded, never health-checked (cloud connection unknown)",
       "health_check", "run health_check"},
      {kNeedCloned, "cloned",
       "shares its senseGuid with another device (cloned image)", "image_prep",
       "run image_prep on the clones, then onboard them again: Defender "
       "flags duplicates as spoofing (CVE-2022-23278)"},
      {kNeedOffline, "offline",
       "onboarded, but its runner has not been seen for the offline window",
       "api_offboard",
       "if the server is gone, offboard it through the Defender API "
       "(api_offboard)"},
      {kNeedDuplicateIdentity, "duplicate_identity",
       "enrolled with another device's host identity without proving it "
       "holds that device",
       "",
       "its enrollment reported the host identity of another device (see "
       "`devices get`: duplicate of) and got a new device instead of "
       "taking that one over. If that server was reinstalled: `mdefleetctl "
       "devices reset-identity <that device> --reason ...`, delete the "
       "runner's identity and client.* in its state directory and restart "
       "it (it enrolls as that device again), then revoke this one. "
       "Otherwise someone with the enrollment secret is claiming that "
       "device's identity: investigate, revoke this device and rotate the "
       "secret"},
      {kNeedDuplicateHostname, "duplicate_hostname",
       "reports the same host name as another device", "",
       "a device can report any host name: find the real host (devices get: "
       "enrolled, labels, facts), revoke an impostor (devices revoke), and "
       "target these devices by id (--target id:ID); host: targets that "
       "select them are refused"},
  };
  return *needs;
}

uint32_t FactNeeds(const v1::DeviceFacts& f,
                   absl::Span<const std::string> mde_workspace_ids) {
  uint32_t mask = 0;
  const bool downlevel = UsesUnifiedAgentInstaller(f.os_family());
  // Only the tenant's MDE workspace matters: others (Log Analytics,
  // Sentinel) stay.
  const bool mma_reports =
      f.mma_installed() &&
      !SplitReportedWorkspaces(f, mde_workspace_ids).mde.empty();
  if (downlevel && f.mde_state() == v1::MDE_STATE_NOT_INSTALLED) {
    mask |= kNeedNotInstalled;
  }
  // On 2012 R2/2016 onboard refuses a device MMA reports from: migrate_mma
  // is the job that onboards it.
  if (!Onboarded(f) && f.os_family() != v1::OS_FAMILY_UNSPECIFIED &&
      !(downlevel && mma_reports)) {
    mask |= kNeedNotOnboarded;
  }
  if (f.mde_state() == v1::MDE_STATE_SENSE_NOT_RUNNING) {
    mask |= kNeedSenseNotRunning;
  }
  if (mma_reports) mask |= kNeedMmaReporting;
  if (DefenderAvRuns(f) && f.cloud_protection() == v1::FEATURE_STATE_OFF) {
    mask |= kNeedCloudProtectionOff;
  }
  if (Onboarded(f) && DefenderAvRuns(f) &&
      f.tamper_protection() == v1::FEATURE_STATE_OFF) {
    mask |= kNeedTamperProtectionOff;
  }
  if (!f.third_party_av().empty() && !f.passive_mode_forced() &&
      f.av_mode() != v1::AV_MODE_PASSIVE) {
    mask |= kNeedPassiveModeMissing;
  }
  if (!ProxyDisagreements(f.proxy()).empty()) mask |= kNeedProxyMismatch;
  if (Onboarded(f) && !f.cloud_connection().has_checked_at()) {
    mask |= kNeedHealthUnknown;
  }
  return mask;
}

std::vector<v1::DeviceNeed> DescribeNeeds(uint32_t mask) {
  std::vector<v1::DeviceNeed> out;
  for (const NeedInfo& n : AllNeeds()) {
    if ((mask & n.bit) == 0) continue;
    v1::DeviceNeed need;
    need.set_need(std::string(n.id));
    need.set_job_kind(std::string(n.job_kind));
    need.set_advice(std::string(n.advice));
    out.push_back(std::move(need));
  }
  return out;
}

absl::StatusOr<uint32_t> NeedsHelpedBy(absl::string_view kind,
                                       absl::string_view field) {
  uint32_t mask = 0;
  std::vector<std::string> kinds;
  std::vector<std::string> ids;
  for (const NeedInfo& n : AllNeeds()) {
    if (!kind.empty() && (n.job_kind == kind || n.id == kind)) mask |= n.bit;
    ids.emplace_back(n.id);
    if (!n.job_kind.empty() &&
        std::find(kinds.begin(), kinds.end(), n.job_kind) == kinds.end()) {
      kinds.emplace_back(n.job_kind);
    }
  }
  if (mask == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": no device need is met by job kind \"", kind,
                     "\"; expected one of ", absl::StrJoin(kinds, ", "),
                     ", or the id of a need: ", absl::StrJoin(ids, ", ")));
  }
  return mask;
}

std::string DuplicateIdentityAdvice(absl::string_view holder) {
  return absl::StrCat(
      "its enrollment reported the host identity of device ", holder,
      " without proving it holds that device, and got this new device "
      "instead. If ",
      holder, "'s server was reinstalled: `mdefleetctl devices reset-identity ",
      holder,
      " --reason ...`, delete the runner's identity and client.* in its "
      "state directory and restart it (it enrolls as ",
      holder,
      " again), then revoke this device. Otherwise someone with the "
      "enrollment secret is claiming ",
      holder,
      "'s identity: investigate, revoke this device and rotate the secret");
}

}  // namespace mdefleet
