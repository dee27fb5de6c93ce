#include "runner/host/sim/sim_scripts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "runner/host/sim/sim_defender.h"

namespace mdefleet::runner::sim {
namespace {

// (Abseil 20220623 has no StrContainsIgnoreCase.)
bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(haystack),
                           absl::AsciiStrToLower(needle));
}

}  // namespace

ScriptKind ClassifyScript(absl::string_view content) {
  if (ContainsIgnoreCase(content, mde::kOffboardingMarker)) {
    return ScriptKind::kOffboarding;
  }
  if (ContainsIgnoreCase(content, mde::kOnboardingInfoValue)) {
    return ScriptKind::kOnboarding;
  }
  return ScriptKind::kOther;
}

ProcessResult RunOnboardingScript(SimMachine& m) {
  ProcessResult r;
  r.stdout_text =
      "Starting Microsoft Defender for Endpoint onboarding process...\r\n";
  m.registry.DeleteValue(mde::kAtpPolicyKey, mde::kOffboardingMarker);
  m.registry.Write(mde::kAtpPolicyKey, mde::kOnboardingInfoValue,
                   std::string("{\"body\":\"(simulated onboarding blob)\"}"));
  if (m.ServiceState(mde::kSenseService) == v1::SERVICE_STATE_ABSENT) {
    r.exit_code = 15;
    r.stderr_text =
        "[Error Id: 15, Error Level: 1] Failed to start Sense service: the "
        "service does not exist. On Windows Server 2012 R2/2016 install the "
        "unified agent (md4ws.msi) first.\r\n";
    return r;
  }
  if (m.profile.sense_fails) {
    r.exit_code = 15;
    r.stderr_text =
        "[Error Id: 15, Error Level: 1] Failed to start Sense service. "
        "Check that the required updates are installed, then contact "
        "Microsoft support.\r\n";
    return r;
  }
  // A pending ForceDefenderPassiveMode takes effect as the device onboards
  // (before tamper protection can hold Defender Antivirus active).
  ApplyForcedPassiveMode(m);
  m.registry.Write(mde::kAtpStatusKey, mde::kOnboardingStateValue, uint32_t{1});
  m.registry.Write(mde::kAtpStatusKey, mde::kOrgIdValue,
                   std::string(kSimOrgId));
  if (!m.registry.Read(mde::kAtpKey, mde::kSenseGuidValue)) {
    m.registry.Write(mde::kAtpKey, mde::kSenseGuidValue, m.NewGuid());
  }
  // The sensor registers with Defender and gets its machine id; offboarding
  // keeps it, as Windows does.
  if (!m.registry.Read(mde::kAtpKey, mde::kSenseIdValue)) {
    m.registry.Write(mde::kAtpKey, mde::kSenseIdValue, m.NewMachineId());
  }
  // The script starts Sense and returns; it runs seconds later.
  m.StartService(mde::kSenseService);
  absl::StrAppend(&r.stdout_text,
                  "Successfully onboarded machine to Microsoft Defender for "
                  "Endpoint\r\n");
  return r;
}

ProcessResult RunOffboardingScript(SimMachine& m) {
  ProcessResult r;
  r.stdout_text =
      "Starting Microsoft Defender for Endpoint offboarding process...\r\n";
  m.registry.Write(mde::kAtpPolicyKey, mde::kOffboardingMarker,
                   std::string("{\"body\":\"(simulated offboarding blob)\"}"));
  if (m.ServiceState(mde::kSenseService) == v1::SERVICE_STATE_ABSENT) {
    r.exit_code = 15;
    r.stderr_text =
        "[Error Id: 15, Error Level: 1] Sense service does not exist: nothing "
        "to offboard.\r\n";
    return r;
  }
  m.registry.DeleteValue(mde::kAtpPolicyKey, mde::kOnboardingInfoValue);
  m.registry.Write(mde::kAtpStatusKey, mde::kOnboardingStateValue, uint32_t{0});
  m.SetService(mde::kSenseService, v1::SERVICE_STATE_STOPPED);
  absl::StrAppend(&r.stdout_text,
                  "Successfully offboarded machine from Microsoft Defender for "
                  "Endpoint\r\n");
  return r;
}

}  // namespace mdefleet::runner::sim
