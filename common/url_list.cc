#include "common/url_list.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/proxy_config.h"

namespace mdefleet {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
// How much of a bad URL an error quotes.
constexpr size_t kQuoteLength = 120;

[[nodiscard]] absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("content: line ", line, ": ", what));
}

std::string Quote(absl::string_view url) {
  if (url.size() <= kQuoteLength) return absl::StrCat("\"", url, "\"");
  return absl::StrCat("\"", url.substr(0, kQuoteLength), "...\"");
}

}  // namespace

absl::Status CheckUrlListEntry(absl::string_view url) {
  if (url.size() > kMaxUrlLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL longer than ", kMaxUrlLength, " characters"));
  }
  const bool http = absl::StartsWithIgnoreCase(url, "http://");
  if (http && !IsRevocationEndpoint(url)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(url),
                     " is plain HTTP, which only certificate revocation and "
                     "trust list endpoints use (",
                     absl::StrJoin(kRevocationHosts, ", "),
                     "); every other Defender endpoint is https://"));
  }
  if (!http && !absl::StartsWithIgnoreCase(url, "https://")) {
    // Quoted only when it is a URL of another scheme: a wrong file (an
    // onboarding script uploaded by mistake) must not be echoed.
    const size_t scheme_end = url.find("://");
    const bool other_url = scheme_end != absl::string_view::npos &&
                           scheme_end > 0 && scheme_end <= 10;
    return absl::InvalidArgumentError(
        absl::StrCat(other_url ? absl::StrCat(Quote(url), " is") : "is",
                     " not an https:// URL (the sensor connects over "
                     "HTTPS only; one URL per line, '#' starts a "
                     "comment)"));
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(url),
                       " contains a space or a control "
                       "character; one URL per line"));
    }
  }
  const absl::string_view rest = url.substr(http ? 7 : 8);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(url), " has no host"));
  }
  if (absl::StrContains(authority, '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(url), " carries a user name or password"));
  }
  // The host (and port, 443 when none) as a proxy endpoint is checked the
  // same way.
  const bool has_port =
      authority.back() != ']' && absl::StrContains(authority, ':');
  auto host_port =
      ParseHostPort(has_port ? std::string(authority)
                             : absl::StrCat(authority, http ? ":80" : ":443"));
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(url), ": ", host_port.status().message()));
  }
  return absl::OkStatus();
}

bool IsRevocationEndpoint(absl::string_view url) {
  if (!absl::StartsWithIgnoreCase(url, "http://")) return false;
  url.remove_prefix(7);
  const absl::string_view host = url.substr(0, url.find_first_of("/:?#"));
  for (absl::string_view h : kRevocationHosts) {
    if (absl::EqualsIgnoreCase(host, h)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ParseUrlList(
    absl::string_view content) {
  if (absl::StartsWith(content, "\xFF\xFE") ||
      absl::StartsWith(content, "\xFE\xFF")) {
    return absl::InvalidArgumentError(
        "content: UTF-16 text; save the URL list as UTF-8 or ASCII");
  }
  if (content.size() > kMaxUrlListBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("content: ", content.size(),
                     " bytes; a URL list may have "
                     "at most ",
                     kMaxUrlListBytes, " bytes"));
  }
  absl::ConsumePrefix(&content, kUtf8Bom);
  std::vector<std::string> urls;
  std::set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    if (absl::Status s = CheckUrlListEntry(line); !s.ok()) {
      return LineError(line_number, s.message());
    }
    if (!seen.insert(std::string(line)).second) continue;
    if (urls.size() == kMaxUrlListUrls) {
      return LineError(line_number,
                       absl::StrCat("more than ", kMaxUrlListUrls,
                                    " URLs; split the list into several "
                                    "connectivity_test jobs"));
    }
    urls.push_back(std::string(line));
  }
  if (urls.empty()) {
    return absl::InvalidArgumentError(
        "content: no URLs (only comments or blank lines); one https:// URL "
        "(or http:// for a certificate revocation endpoint) per line");
  }
  return urls;
}

}  // namespace mdefleet
