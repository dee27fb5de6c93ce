// Windows Server release facts: family from a version string, names, and
// which onboarding path a release takes.
#ifndef MDEFLEET_COMMON_OS_FAMILY_H_
#define MDEFLEET_COMMON_OS_FAMILY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// Family from "major.minor.build[.revision]" (6.3.9600 -> WS2012R2,
// 10.0.14393 -> WS2016, 10.0.17763 -> WS2019, 10.0.20348 -> WS2022,
// 10.0.26100 -> WS2025). Unknown builds give OS_FAMILY_UNSPECIFIED.
v1::OsFamily OsFamilyFromVersion(absl::string_view os_version);

// Build number from a version string; 0 when malformed.
uint32_t OsBuildFromVersion(absl::string_view os_version);

// Short operator-facing name: "2012r2", "2016", "2019", "2022", "2025".
std::string OsFamilyName(v1::OsFamily family);

// Inverse of OsFamilyName; also accepts "ws2019", "2012 R2",
// "OS_FAMILY_WS2019".
[[nodiscard]] absl::StatusOr<v1::OsFamily> ParseOsFamily(
    absl::string_view name);

// 2012 R2 and 2016 need md4ws.msi + Install.ps1; 2019+ have the sensor built
// in.
bool UsesUnifiedAgentInstaller(v1::OsFamily family);

// "onboarded", "not_installed", ... and back.
std::string MdeStateName(v1::MdeState state);
[[nodiscard]] absl::StatusOr<v1::MdeState> ParseMdeState(
    absl::string_view name);

// MDE state from the raw facts (sensor presence, Sense state, OnboardingState).
v1::MdeState DeriveMdeState(const v1::DeviceFacts& facts);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_OS_FAMILY_H_
