#include "common/os_family.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mdefleet {
namespace {

struct VersionParts {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t build = 0;
};

bool ParseVersion(absl::string_view text, VersionParts* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() < 3) return false;
  return absl::SimpleAtoi(parts[0], &out->major) &&
         absl::SimpleAtoi(parts[1], &out->minor) &&
         absl::SimpleAtoi(parts[2], &out->build);
}

struct FamilyName {
  v1::OsFamily family;
  absl::string_view name;
};

constexpr FamilyName kFamilyNames[] = {
    {v1::OS_FAMILY_WS2012R2, "2012r2"}, {v1::OS_FAMILY_WS2016, "2016"},
    {v1::OS_FAMILY_WS2019, "2019"},     {v1::OS_FAMILY_WS2022, "2022"},
    {v1::OS_FAMILY_WS2025, "2025"},
};

struct MdeStateName {
  v1::MdeState state;
  absl::string_view name;
};

constexpr MdeStateName kMdeStateNames[] = {
    {v1::MDE_STATE_NOT_INSTALLED, "not_installed"},
    {v1::MDE_STATE_NOT_ONBOARDED, "not_onboarded"},
    {v1::MDE_STATE_ONBOARDED, "onboarded"},
    {v1::MDE_STATE_SENSE_NOT_RUNNING, "sense_not_running"},
};

}  // namespace

v1::OsFamily OsFamilyFromVersion(absl::string_view os_version) {
  VersionParts v;
  if (!ParseVersion(os_version, &v)) return v1::OS_FAMILY_UNSPECIFIED;
  if (v.major == 6 && v.minor == 3 && v.build == 9600) {
    return v1::OS_FAMILY_WS2012R2;
  }
  if (v.major != 10 || v.minor != 0) return v1::OS_FAMILY_UNSPECIFIED;
  switch (v.build) {
    case 14393:
      return v1::OS_FAMILY_WS2016;
    case 17763:
      return v1::OS_FAMILY_WS2019;
    case 20348:
      return v1::OS_FAMILY_WS2022;
    case 26100:
      return v1::OS_FAMILY_WS2025;
    default:
      return v1::OS_FAMILY_UNSPECIFIED;
  }
}

uint32_t OsBuildFromVersion(absl::string_view os_version) {
  VersionParts v;
  return ParseVersion(os_version, &v) ? v.build : 0;
}

std::string OsFamilyName(v1::OsFamily family) {
  for (const auto& f : kFamilyNames) {
    if (f.family == family) return std::string(f.name);
  }
  return "unknown";
}

absl::StatusOr<v1::OsFamily> ParseOsFamily(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  n.erase(std::remove(n.begin(), n.end(), ' '), n.end());
  absl::string_view s = n;
  absl::ConsumePrefix(&s, "os_family_");
  absl::ConsumePrefix(&s, "windowsserver");
  absl::ConsumePrefix(&s, "ws");
  for (const auto& f : kFamilyNames) {
    if (s == f.name) return f.family;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "os family: unknown \"", name,
      "\"; expected one of 2012r2, 2016, 2019, 2022, 2025"));
}

bool UsesUnifiedAgentInstaller(v1::OsFamily family) {
  return family == v1::OS_FAMILY_WS2012R2 || family == v1::OS_FAMILY_WS2016;
}

std::string MdeStateName(v1::MdeState state) {
  for (const auto& s : kMdeStateNames) {
    if (s.state == state) return std::string(s.name);
  }
  return "unknown";
}

absl::StatusOr<v1::MdeState> ParseMdeState(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  absl::string_view s = n;
  absl::ConsumePrefix(&s, "mde_state_");
  for (const auto& m : kMdeStateNames) {
    if (s == m.name) return m.state;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "mde state: unknown \"", name,
      "\"; expected one of not_installed, not_onboarded, onboarded, "
      "sense_not_running"));
}

v1::MdeState DeriveMdeState(const v1::DeviceFacts& facts) {
  if (!facts.sensor_installed()) return v1::MDE_STATE_NOT_INSTALLED;
  if (facts.onboarding_state() != 1) return v1::MDE_STATE_NOT_ONBOARDED;
  if (facts.sense_state() != v1::SERVICE_STATE_RUNNING) {
    return v1::MDE_STATE_SENSE_NOT_RUNNING;
  }
  return v1::MDE_STATE_ONBOARDED;
}

}  // namespace mdefleet
