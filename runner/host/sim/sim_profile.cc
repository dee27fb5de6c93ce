#include "runner/host/sim/sim_profile.h"

#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/os_family.h"
#include "common/proxy_config.h"

namespace mdefleet::runner::sim {
namespace {

struct OsName {
  absl::string_view name;
  v1::OsFamily family;
};
constexpr OsName kOsNames[] = {
    {"ws2012r2", v1::OS_FAMILY_WS2012R2}, {"ws2016", v1::OS_FAMILY_WS2016},
    {"ws2019", v1::OS_FAMILY_WS2019},     {"ws2022", v1::OS_FAMILY_WS2022},
    {"ws2025", v1::OS_FAMILY_WS2025},
};

// "9", "-5:30", "5:45" (hours east of UTC, at most 14 either way; "+"
// separates profile options, so east has no sign) -> minutes.
std::optional<int> ParseUtcOffset(absl::string_view text) {
  const bool west = absl::ConsumePrefix(&text, "-");
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int h = 0;
  int m = 0;
  if (parts.size() > 2 || parts[0].empty() || parts[0].size() > 2 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(parts[0][0])) ||
      !absl::SimpleAtoi(parts[0], &h) ||
      (parts.size() == 2 &&
       (parts[1].size() != 2 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(parts[1][0])) ||
        !absl::SimpleAtoi(parts[1], &m) || m > 59)) ||
      h * 60 + m > 14 * 60) {
    return std::nullopt;
  }
  return (west ? -1 : 1) * (h * 60 + m);
}

std::string FormatOffset(int minutes) {
  const int a = minutes < 0 ? -minutes : minutes;
  std::string out = absl::StrCat(minutes < 0 ? "-" : "", a / 60);
  if (a % 60 != 0) absl::StrAppend(&out, absl::StrFormat(":%02d", a % 60));
  return out;
}

}  // namespace

bool IsGuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<SimProfile> ParseSimProfile(absl::string_view spec) {
  std::vector<std::string> parts =
      absl::StrSplit(absl::AsciiStrToLower(spec), '+');
  SimProfile p;
  for (const auto& os : kOsNames) {
    if (parts[0] == os.name) p.os = os.family;
  }
  if (p.os == v1::OS_FAMILY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "simulate profile \"", spec, "\": unknown OS \"", parts[0],
        "\"; expected ws2012r2, ws2016, ws2019, ws2022 or ws2025"));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view opt = parts[i];
    if (opt == "mma") {
      p.mma_workspaces.push_back(std::string(kDefaultMmaWorkspace));
    } else if (absl::ConsumePrefix(&opt, "mma=")) {
      if (!IsGuid(opt)) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": mma workspace \"",
                         opt, "\" is not a GUID"));
      }
      p.mma_workspaces.push_back(std::string(opt));
    } else if (opt == "av") {
      p.third_party_av = true;
    } else if (opt == "passive") {
      p.passive = true;
    } else if (opt == "noconn") {
      p.no_connectivity = true;
    } else if (opt == "reboot") {
      p.reboot_pending = true;
    } else if (opt == "noreboot") {
      p.reboot_ignored = true;
    } else if (absl::ConsumePrefix(&opt, "tz=")) {
      auto offset = ParseUtcOffset(opt);
      if (!offset.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": time zone \"", opt,
                         "\" is not a UTC offset in hours like 9, -5 or 5:30"));
      }
      p.utc_offset_minutes = *offset;
    } else if (absl::ConsumePrefix(&opt, "proxy=")) {
      if (absl::Status s = ParseHostPort(opt).status(); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "simulate profile \"", spec, "\": proxy: ", s.message()));
      }
      p.proxy = std::string(opt);
    } else if (opt == "wpad") {
      p.wpad = true;
    } else if (opt == "proxyauth") {
      p.proxy_auth = true;
    } else if (opt == "tlsinspect") {
      p.tls_inspection = true;
    } else if (absl::ConsumePrefix(&opt, "allow=")) {
      const bool domain =
          !opt.empty() && opt.size() <= 253 && opt.front() != '.' &&
          absl::c_all_of(opt, [](char c) {
            return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                   c == '.' || c == '-';
          });
      if (!domain) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": allow \"", opt,
                         "\" is not a domain name like "
                         "endpoint.security.microsoft.com"));
      }
      p.allowed_domains.push_back(std::string(opt));
    } else if (opt == "caerror") {
      p.analyzer_error = true;
    } else if (opt == "cawarning") {
      p.analyzer_warning = true;
    } else if (absl::ConsumePrefix(&opt, "cabundle=")) {
      int mib = 0;
      if (!absl::SimpleAtoi(opt, &mib) || mib < 1 || mib > 256) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": cabundle \"", opt,
                         "\" is not a number of MiB from 1 to 256"));
      }
      p.analyzer_bundle_mib = mib;
    } else if (absl::ConsumePrefix(&opt, "sensestart=")) {
      int seconds = 0;
      if (!absl::SimpleAtoi(opt, &seconds) || seconds < 0 || seconds > 3600) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": sensestart \"", opt,
                         "\" is not a number of seconds from 0 to 3600"));
      }
      p.sense_start_seconds = seconds;
    } else if (opt == "onboarded") {
      p.onboarded = true;
    } else if (opt == "installed") {
      p.installed = true;
    } else if (opt == "tamper") {
      p.tamper = true;
    } else if (opt == "mapsoff") {
      p.maps_off = true;
    } else if (opt == "avoff") {
      p.av_off = true;
    } else if (opt == "avgpoff") {
      p.av_policy_off = true;
    } else if (opt == "sensefail") {
      p.sense_fails = true;
    } else if (absl::ConsumePrefix(&opt, "msi=")) {
      int code = 0;
      if (!absl::SimpleAtoi(opt, &code) || code <= 0 || code > 65535) {
        return absl::InvalidArgumentError(absl::StrCat(
            "simulate profile \"", spec, "\": msiexec exit code \"", opt,
            "\" is not a number in 1..65535"));
      }
      p.msi_exit = code;
    } else if (absl::ConsumePrefix(&opt, "sguid=")) {
      if (!IsGuid(opt)) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": sguid \"", opt,
                         "\" is not a GUID"));
      }
      p.sense_guid = absl::AsciiStrToUpper(opt);
    } else if (absl::ConsumePrefix(&opt, "exit=")) {
      int code = 0;
      if (!absl::SimpleAtoi(opt, &code) || code < 0 || code > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("simulate profile \"", spec, "\": exit code \"", opt,
                         "\" is not a number in 0..255"));
      }
      p.forced_install_exit = code;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "simulate profile \"", spec, "\": unknown option \"", opt,
          "\"; expected mma, mma=<GUID>, av, passive, noconn, exit=N, "
          "msi=N, reboot, noreboot, onboarded, installed, tz=H[:MM], tamper, "
          "mapsoff, avoff, avgpoff, sensefail, sguid=<GUID>, "
          "proxy=host:port, wpad, proxyauth, tlsinspect, allow=DOMAIN, "
          "sensestart=N, caerror, cawarning or cabundle=N"));
    }
  }
  if ((p.wpad || p.proxy_auth) && p.proxy.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "simulate profile \"", spec, "\": ", p.wpad ? "wpad" : "proxyauth",
        " needs proxy=host:port (the proxy it is about)"));
  }
  if (p.installed && !UsesUnifiedAgentInstaller(p.os)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "simulate profile \"", spec,
        "\": \"installed\" applies to ws2012r2/ws2016 only (2019+ have the "
        "sensor built in)"));
  }
  return p;
}

std::string FormatSimProfile(const SimProfile& p) {
  std::string out;
  for (const auto& os : kOsNames) {
    if (os.family == p.os) out = std::string(os.name);
  }
  for (const auto& ws : p.mma_workspaces) {
    if (ws == kDefaultMmaWorkspace) {
      out += "+mma";
    } else {
      absl::StrAppend(&out, "+mma=", ws);
    }
  }
  if (p.third_party_av) out += "+av";
  if (p.passive) out += "+passive";
  if (p.no_connectivity) out += "+noconn";
  if (p.forced_install_exit)
    absl::StrAppend(&out, "+exit=", *p.forced_install_exit);
  if (p.msi_exit) absl::StrAppend(&out, "+msi=", *p.msi_exit);
  if (p.reboot_pending) out += "+reboot";
  if (p.reboot_ignored) out += "+noreboot";
  if (p.utc_offset_minutes != 0) {
    absl::StrAppend(&out, "+tz=", FormatOffset(p.utc_offset_minutes));
  }
  if (p.onboarded) out += "+onboarded";
  if (p.installed) out += "+installed";
  if (p.tamper) out += "+tamper";
  if (p.maps_off) out += "+mapsoff";
  if (p.av_off) out += "+avoff";
  if (p.av_policy_off) out += "+avgpoff";
  if (p.sense_fails) out += "+sensefail";
  if (!p.sense_guid.empty()) absl::StrAppend(&out, "+sguid=", p.sense_guid);
  if (!p.proxy.empty()) absl::StrAppend(&out, "+proxy=", p.proxy);
  if (p.wpad) out += "+wpad";
  if (p.proxy_auth) out += "+proxyauth";
  if (p.tls_inspection) out += "+tlsinspect";
  for (const std::string& domain : p.allowed_domains) {
    absl::StrAppend(&out, "+allow=", domain);
  }
  if (p.sense_start_seconds) {
    absl::StrAppend(&out, "+sensestart=", *p.sense_start_seconds);
  }
  if (p.analyzer_error) out += "+caerror";
  if (p.analyzer_warning) out += "+cawarning";
  if (p.analyzer_bundle_mib) {
    absl::StrAppend(&out, "+cabundle=", *p.analyzer_bundle_mib);
  }
  return out;
}

FleetMember FleetMemberAt(int index, int seed) {
  static constexpr v1::OsFamily kCycle[] = {
      v1::OS_FAMILY_WS2012R2, v1::OS_FAMILY_WS2016, v1::OS_FAMILY_WS2019,
      v1::OS_FAMILY_WS2022};
  static constexpr absl::string_view kSites[] = {"tokyo", "osaka", "nagoya"};
  const int i = index + seed;
  FleetMember m;
  m.profile.os = kCycle[i % 4];
  const bool downlevel = UsesUnifiedAgentInstaller(m.profile.os);
  if (i % 5 == 0 && downlevel) {
    m.profile.mma_workspaces.push_back(std::string(kDefaultMmaWorkspace));
  }
  if (i % 7 == 0) {
    m.profile.third_party_av = true;
    if (!downlevel) m.profile.passive = true;
  }
  m.hostname = absl::StrFormat(
      "SIM-%s-%04d", absl::AsciiStrToUpper(OsFamilyName(m.profile.os)), index);
  m.labels["site"] = std::string(kSites[i % 3]);
  m.labels["role"] = i % 2 == 0 ? "web" : "db";
  m.labels["sim"] = "yes";
  return m;
}

}  // namespace mdefleet::runner::sim
