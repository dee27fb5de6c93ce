#include "runner/facts/defender_facts.h"

#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/status_macros.h"
#include "runner/facts/cloud_connection_record.h"

namespace mdefleet::runner {
namespace {

[[nodiscard]] absl::StatusOr<std::optional<uint32_t>> Dword(
    Host& host, absl::string_view key, absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<RegistryData> v, host.ReadValue(key, name));
  if (!v || !std::holds_alternative<uint32_t>(*v)) return std::nullopt;
  return std::get<uint32_t>(*v);
}

}  // namespace

std::string TamperProtectionSourceName(std::optional<uint32_t> code) {
  if (!code.has_value()) return "";
  // Windows documents the names (Get-MpComputerStatus), not the registry's
  // numbers: shown as they are rather than guessed.
  return absl::StrCat("registry code ", *code);
}

std::optional<v1::AvMode> AvModeFromRunningMode(absl::string_view text) {
  const std::string mode = absl::AsciiStrToLower(text);
  if (mode == "normal") return v1::AV_MODE_ACTIVE;
  // "Passive Mode", "SxS Passive Mode" and "EDR Block Mode" (passive with
  // EDR in block mode) all leave protection to another antivirus.
  if (absl::StrContains(mode, "passive") ||
      absl::StrContains(mode, "edr block")) {
    return v1::AV_MODE_PASSIVE;
  }
  if (absl::StrContains(mode, "not running")) {
    return v1::AV_MODE_DISABLED;
  }
  return std::nullopt;
}

absl::Status CollectDefenderFacts(Host& host, v1::DeviceFacts* f) {
  ASSIGN_OR_RETURN(std::optional<RegistryData> org,
                   host.ReadValue(mde::kAtpStatusKey, mde::kOrgIdValue));
  if (org && std::holds_alternative<std::string>(*org)) {
    f->set_org_id(std::get<std::string>(*org));
  }

  ASSIGN_OR_RETURN(v1::ServiceState av,
                   host.QueryService(mde::kDefenderAvService));
  ASSIGN_OR_RETURN(std::optional<uint32_t> passive,
                   Dword(host, mde::kDefenderKey, mde::kPassiveModeValue));
  // Defender Antivirus' own answer first (AMRunningMode,
  // IsTamperProtected, TamperProtectionSource); the registry when it gives
  // none. A failed query is no answer rather than an error for every poll.
  std::optional<DefenderStatus> status;
  if (av == v1::SERVICE_STATE_RUNNING) {
    absl::StatusOr<std::optional<DefenderStatus>> asked =
        host.GetDefenderStatus();
    if (asked.ok()) status = *std::move(asked);
  }
  std::optional<v1::AvMode> reported;
  if (status) {
    f->set_am_running_mode(status->am_running_mode);
    reported = AvModeFromRunningMode(status->am_running_mode);
  }
  if (av == v1::SERVICE_STATE_ABSENT) {
    f->set_av_mode(v1::AV_MODE_NOT_INSTALLED);
  } else if (av != v1::SERVICE_STATE_RUNNING) {
    f->set_av_mode(v1::AV_MODE_DISABLED);
  } else if (reported) {
    f->set_av_mode(*reported);
  } else {
    f->set_av_mode(passive.value_or(0) == 1 ? v1::AV_MODE_PASSIVE
                                            : v1::AV_MODE_ACTIVE);
  }

  if (status && status->is_tamper_protected.has_value()) {
    f->set_tamper_protection(*status->is_tamper_protected
                                 ? v1::FEATURE_STATE_ON
                                 : v1::FEATURE_STATE_OFF);
  } else {
    ASSIGN_OR_RETURN(
        std::optional<uint32_t> tamper,
        Dword(host, mde::kDefenderFeaturesKey, mde::kTamperProtectionValue));
    if (tamper) {
      f->set_tamper_protection((*tamper & 1) != 0 ? v1::FEATURE_STATE_ON
                                                  : v1::FEATURE_STATE_OFF);
    }
  }
  if (status && !status->tamper_protection_source.empty()) {
    f->set_tamper_protection_source(status->tamper_protection_source);
  } else {
    ASSIGN_OR_RETURN(std::optional<uint32_t> source,
                     Dword(host, mde::kDefenderFeaturesKey,
                           mde::kTamperProtectionSourceValue));
    f->set_tamper_protection_source(TamperProtectionSourceName(source));
  }

  // MAPSReporting: the policy overrides the local preference.
  ASSIGN_OR_RETURN(
      std::optional<uint32_t> maps,
      Dword(host, mde::kSpynetPolicyKey, mde::kSpynetReportingValue));
  if (!maps) {
    ASSIGN_OR_RETURN(maps,
                     Dword(host, mde::kSpynetKey, mde::kSpynetReportingValue));
  }
  if (maps) {
    f->set_cloud_protection(*maps != 0 ? v1::FEATURE_STATE_ON
                                       : v1::FEATURE_STATE_OFF);
  } else if (av != v1::SERVICE_STATE_ABSENT) {
    f->set_cloud_protection(v1::FEATURE_STATE_ON);  // on by default
  }

  // A damaged record is no fact rather than an error for every poll.
  auto check = LoadCloudConnection(host);
  if (check.ok() && check->has_value()) {
    *f->mutable_cloud_connection() = **check;
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::runner
