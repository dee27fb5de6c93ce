#include "runner/facts/fact_collector.h"

#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "runner/facts/defender_facts.h"
#include "runner/facts/proxy_facts.h"
#include "runner/facts/registry_values.h"

namespace mdefleet::runner {

std::string RunnerVersion() { return MDEFLEET_RUNNER_VERSION; }

absl::StatusOr<v1::DeviceFacts> CollectFacts(
    Host& host, const std::map<std::string, std::string>& labels) {
  v1::DeviceFacts f;
  ASSIGN_OR_RETURN(OsInfo os, host.GetOsInfo());
  f.set_hostname(os.hostname);
  f.set_domain(os.domain);
  f.set_os_product(os.product);
  f.set_os_version(os.version);
  f.set_os_build(os.build);
  f.set_os_family(OsFamilyFromVersion(os.version));
  f.set_reboot_pending(os.reboot_pending);
  f.set_utc_offset_minutes(os.utc_offset_minutes);
  f.set_host_identity(os.machine_identity);
  if (os.boot_time != absl::InfinitePast()) {
    const int64_t nanos = absl::ToUnixNanos(os.boot_time);
    f.mutable_boot_time()->set_seconds(nanos / 1000000000);
    f.mutable_boot_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  f.set_runner_version(RunnerVersion());
  for (const auto& [k, v] : labels) (*f.mutable_labels())[k] = v;

  ASSIGN_OR_RETURN(v1::ServiceState sense,
                   host.QueryService(mde::kSenseService));
  f.set_sense_state(sense);
  f.set_sensor_installed(sense != v1::SERVICE_STATE_ABSENT);
  ASSIGN_OR_RETURN(
      std::optional<uint32_t> onboarding,
      ReadDword(host, mde::kAtpStatusKey, mde::kOnboardingStateValue));
  f.set_onboarding_state(onboarding ? static_cast<int32_t>(*onboarding) : -1);
  ASSIGN_OR_RETURN(std::optional<RegistryData> guid,
                   host.ReadValue(mde::kAtpKey, mde::kSenseGuidValue));
  if (guid && std::holds_alternative<std::string>(*guid)) {
    // Hashed: the server only compares it; lowercase so that spelling
    // differences do not hide a clone.
    f.set_sense_guid_sha256(
        Sha256Hex(absl::AsciiStrToLower(std::get<std::string>(*guid))));
  }
  ASSIGN_OR_RETURN(std::optional<RegistryData> sense_id,
                   host.ReadValue(mde::kAtpKey, mde::kSenseIdValue));
  if (sense_id && std::holds_alternative<std::string>(*sense_id)) {
    f.set_mde_machine_id(
        absl::AsciiStrToLower(std::get<std::string>(*sense_id)));
  }
  ASSIGN_OR_RETURN(
      std::optional<uint32_t> passive,
      ReadDword(host, mde::kAtpPolicyKey, mde::kForcePassiveModeValue));
  f.set_passive_mode_forced(passive.value_or(0) == 1);

  ASSIGN_OR_RETURN(v1::ServiceState mma, host.QueryService(mde::kMmaService));
  f.set_mma_installed(mma != v1::SERVICE_STATE_ABSENT);
  ASSIGN_OR_RETURN(std::vector<std::string> groups,
                   host.ListSubkeys(mde::kMmaManagementGroupsKey));
  for (const std::string& group : groups) {
    absl::string_view ws = group;
    // Case-insensitive "AOI-" prefix, as the registry compares names.
    if (ws.size() > mde::kMmaWorkspacePrefix.size() &&
        absl::EqualsIgnoreCase(ws.substr(0, mde::kMmaWorkspacePrefix.size()),
                               mde::kMmaWorkspacePrefix)) {
      f.add_mma_workspaces(
          std::string(ws.substr(mde::kMmaWorkspacePrefix.size())));
    }
  }

  for (absl::string_view av : mde::kThirdPartyAvServices) {
    ASSIGN_OR_RETURN(v1::ServiceState state, host.QueryService(av));
    if (state != v1::SERVICE_STATE_ABSENT) {
      f.set_third_party_av(std::string(av));
      break;
    }
  }
  RETURN_IF_ERROR(CollectDefenderFacts(host, &f));
  ASSIGN_OR_RETURN(*f.mutable_proxy(), CollectProxyFacts(host));
  f.set_mde_state(DeriveMdeState(f));
  return f;
}

}  // namespace mdefleet::runner
