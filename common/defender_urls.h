// The Defender for Endpoint URLs a device must reach, per geography and
// onboarding package, from the one data file common/data/defender_urls.txt
// (built in; its header names the Microsoft sources), and the geography an
// onboarding package carries.
#ifndef MDEFLEET_COMMON_DEFENDER_URLS_H_
#define MDEFLEET_COMMON_DEFENDER_URLS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

// Where an onboarding package sends the sensor, read from its OnboardingInfo
// (the fields MDEClientAnalyzer's -o option reads, per Microsoft Learn
// "Verify client connectivity to Microsoft Defender for Endpoint service
// URLs").
struct OnboardingGeography {
  // vortexGeoLocation, upper case ("US", "EU", "UK", "AU", ...).
  std::string geo;
  // geoLocationUrl: the sensor's command and control gateway, e.g.
  // https://winatp-gw-eus.microsoft.com/ (standard) or
  // https://edr-eus3.us.endpoint.security.microsoft.com/edr/ (streamlined).
  std::string gateway_url;
  // The package onboards with streamlined connectivity: its gateway is under
  // endpoint.security.microsoft.com.
  bool streamlined = false;
};

// The geography of onboarding script `content`; nullopt when it names none
// that mdefleet can use (no OnboardingInfo fields, or a gateway that is not
// an https:// URL on a Microsoft host, as in deploy/samples' stand-in).
// Reads only those two fields; the script is a secret and nothing of it is
// quoted anywhere.
std::optional<OnboardingGeography> ReadOnboardingGeography(
    absl::string_view content);

// The URL a connectivity precheck tries: the package's gateway (its
// command-and-control test path) when known, else the US standard gateway.
std::string ConnectivityCheckUrl(
    const std::optional<OnboardingGeography>& geography);

// The built-in URL set and where it comes from, for connectivity_test
// without a URL list of the operator's.
struct DefaultUrlSet {
  std::vector<std::string> urls;
  // For step descriptions, e.g. "built-in list for EU (streamlined)".
  std::string source;
};

// With a known package: its geography's URLs for its connectivity model
// (plus its own gateway when the geography is not in the data file), and the
// [WW] URLs. Without: what MDEClientAnalyzer tests for a device that is not
// onboarded (US, EU and UK), both models, and [WW].
DefaultUrlSet DefaultDefenderUrls(
    const std::optional<OnboardingGeography>& geography);

// The sections of a data file in the format of defender_urls.txt: section
// name ("WW", "US standard", ...) to its URLs, each section checked by the
// URL list rules. InvalidArgument naming the line for a bad line, a URL
// outside a section, an unknown section name or an empty section. Exposed
// for the test of the built-in file.
[[nodiscard]] absl::StatusOr<std::map<std::string, std::vector<std::string>>>
ParseDefenderUrlData(absl::string_view data);

// The built-in data file's text.
absl::string_view BuiltInDefenderUrlData();

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_DEFENDER_URLS_H_
