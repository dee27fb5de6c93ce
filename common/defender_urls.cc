#include "common/defender_urls.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/mde_constants.h"
#include "common/url_list.h"

namespace mdefleet {

// Generated from common/data/defender_urls.txt (common/CMakeLists.txt).
extern const char kDefenderUrlData[];

namespace {

constexpr absl::string_view kWorldwide = "WW";
constexpr absl::string_view kStandard = "standard";
constexpr absl::string_view kStreamlined = "streamlined";
// What MDEClientAnalyzer tests on a device that is not onboarded (Microsoft
// Learn, "Verify client connectivity ...": "the defaults of US, UK, and EU").
constexpr absl::string_view kAnalyzerDefaultGeos[] = {"US", "EU", "UK"};
constexpr absl::string_view kStreamlinedDomain =
    ".endpoint.security.microsoft.com";
// The gateway's test path, as the analyzer checks command and control.
constexpr absl::string_view kGatewayTestPath = "commands/test";

[[nodiscard]] absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("defender_urls.txt: line ", line, ": ", what));
}

// The value of JSON field `name` in an OnboardingInfo, however many
// backslashes the .cmd's quoting put before its quotes: the text after
// `name`, the quotes, backslashes and colon, up to the next quote or
// backslash.
std::string FieldValue(absl::string_view content, absl::string_view name) {
  const size_t at = content.find(name);
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = content.substr(at + name.size());
  size_t start = 0;
  while (start < rest.size() && (rest[start] == '\\' || rest[start] == '"' ||
                                 rest[start] == ':' || rest[start] == ' ')) {
    ++start;
  }
  const size_t end = rest.find_first_of("\\\"", start);
  if (end == absl::string_view::npos || end - start > 512) return "";
  return std::string(rest.substr(start, end - start));
}

// "https://HOST/..." with HOST a Microsoft host (microsoft.com or under it):
// anything else is not where a real sensor goes.
bool IsMicrosoftHttpsUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "https://")) return false;
  const absl::string_view host = url.substr(0, url.find_first_of("/:?#"));
  return absl::EqualsIgnoreCase(host, "microsoft.com") ||
         absl::EndsWithIgnoreCase(host, ".microsoft.com");
}

bool IsKnownSectionName(absl::string_view name) {
  if (name == kWorldwide) return true;
  const std::vector<absl::string_view> words = absl::StrSplit(name, ' ');
  return words.size() == 2 && !words[0].empty() &&
         absl::AsciiStrToUpper(words[0]) == words[0] &&
         (words[1] == kStandard || words[1] == kStreamlined);
}

const std::map<std::string, std::vector<std::string>>& BuiltInSections() {
  static const auto* const sections =
      new std::map<std::string, std::vector<std::string>>([] {
        // The file is checked by its test and at every build's test run; a
        // bad edit must not take the server down, so it yields no sections.
        auto parsed = ParseDefenderUrlData(BuiltInDefenderUrlData());
        return parsed.ok() ? *std::move(parsed)
                           : std::map<std::string, std::vector<std::string>>{};
      }());
  return *sections;
}

void Append(const std::vector<std::string>& from, std::vector<std::string>& to,
            std::set<std::string>& seen) {
  for (const std::string& url : from) {
    if (seen.insert(url).second) to.push_back(url);
  }
}

}  // namespace

absl::string_view BuiltInDefenderUrlData() { return kDefenderUrlData; }

std::optional<OnboardingGeography> ReadOnboardingGeography(
    absl::string_view content) {
  OnboardingGeography g;
  g.gateway_url = FieldValue(content, "geoLocationUrl");
  g.geo = absl::AsciiStrToUpper(FieldValue(content, "vortexGeoLocation"));
  if (!IsMicrosoftHttpsUrl(g.gateway_url) || g.geo.empty() ||
      g.geo.size() > 8 || !CheckUrlListEntry(g.gateway_url).ok()) {
    return std::nullopt;
  }
  for (char c : g.geo) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  if (!absl::EndsWith(g.gateway_url, "/")) g.gateway_url += "/";
  const absl::string_view host =
      absl::string_view(g.gateway_url)
          .substr(8, g.gateway_url.find_first_of("/:?#", 8) - 8);
  g.streamlined = absl::EndsWithIgnoreCase(host, kStreamlinedDomain);
  return g;
}

std::string ConnectivityCheckUrl(
    const std::optional<OnboardingGeography>& geography) {
  if (!geography) return std::string(mde::kConnectivityCheckUrl);
  return absl::StrCat(geography->gateway_url, kGatewayTestPath);
}

DefaultUrlSet DefaultDefenderUrls(
    const std::optional<OnboardingGeography>& geography) {
  const auto& sections = BuiltInSections();
  auto section = [&](absl::string_view name) -> std::vector<std::string> {
    auto it = sections.find(std::string(name));
    return it == sections.end() ? std::vector<std::string>{} : it->second;
  };
  DefaultUrlSet set;
  std::set<std::string> seen;
  if (geography) {
    const absl::string_view model =
        geography->streamlined ? kStreamlined : kStandard;
    const std::vector<std::string> urls =
        section(absl::StrCat(geography->geo, " ", model));
    // The package's own gateway first: it is where the sensor goes.
    Append({ConnectivityCheckUrl(geography)}, set.urls, seen);
    Append(urls, set.urls, seen);
    set.source =
        urls.empty()
            ? absl::StrCat("the onboarding package's gateway (", geography->geo,
                           " is not in the built-in list) and the "
                           "built-in worldwide URLs")
            : absl::StrCat("built-in list for ", geography->geo, " (", model,
                           "), from the onboarding package");
  } else {
    for (absl::string_view geo : kAnalyzerDefaultGeos) {
      Append(section(absl::StrCat(geo, " ", kStandard)), set.urls, seen);
      Append(section(absl::StrCat(geo, " ", kStreamlined)), set.urls, seen);
    }
    set.source = absl::StrCat("built-in list for ",
                              absl::StrJoin(kAnalyzerDefaultGeos, ", "),
                              " (standard and streamlined)");
  }
  Append(section(kWorldwide), set.urls, seen);
  return set;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>>
ParseDefenderUrlData(absl::string_view data) {
  std::map<std::string, std::vector<std::string>> sections;
  std::vector<std::string>* current = nullptr;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(data, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    if (absl::ConsumePrefix(&line, "[")) {
      if (!absl::ConsumeSuffix(&line, "]") || !IsKnownSectionName(line)) {
        return LineError(line_number,
                         "a section is [WW], [GEO standard] or "
                         "[GEO streamlined]");
      }
      if (current != nullptr && current->empty()) {
        return LineError(line_number, "the section before has no URLs");
      }
      auto [it, inserted] = sections.try_emplace(std::string(line));
      if (!inserted) {
        return LineError(line_number,
                         absl::StrCat("section [", line, "] appears twice"));
      }
      current = &it->second;
      continue;
    }
    if (current == nullptr) {
      return LineError(line_number, "a URL before the first [section]");
    }
    if (absl::Status s = CheckUrlListEntry(line); !s.ok()) {
      return LineError(line_number, s.message());
    }
    current->push_back(std::string(line));
  }
  if (current == nullptr || current->empty()) {
    return absl::InvalidArgumentError(
        "defender_urls.txt: no sections, or the last one has no URLs");
  }
  if (!sections.contains(std::string(kWorldwide))) {
    return absl::InvalidArgumentError("defender_urls.txt: no [WW] section");
  }
  return sections;
}

}  // namespace mdefleet
