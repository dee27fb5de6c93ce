#include "runner/host/sim/sim_machine.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/mde_constants.h"
#include "common/sha256.h"
#include "runner/host/sim/sim_defender.h"

namespace mdefleet::runner::sim {
namespace {

constexpr OsRelease kReleases[] = {
    {v1::OS_FAMILY_WS2012R2, "Windows Server 2012 R2 Standard", 6, 3, 9600,
     21620},
    {v1::OS_FAMILY_WS2016, "Windows Server 2016 Standard", 10, 0, 14393, 6452},
    {v1::OS_FAMILY_WS2019, "Windows Server 2019 Datacenter", 10, 0, 17763,
     5122},
    {v1::OS_FAMILY_WS2022, "Windows Server 2022 Datacenter", 10, 0, 20348,
     2113},
    {v1::OS_FAMILY_WS2025, "Windows Server 2025 Datacenter", 10, 0, 26100,
     2033},
};

// A GUID-shaped string from a hash (uppercase, 8-4-4-4-12).
std::string GuidFromHash(absl::string_view seed) {
  std::string h = absl::AsciiStrToUpper(Sha256Hex(seed));
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4),
                      "-", h.substr(16, 4), "-", h.substr(20, 12));
}

std::string B64(absl::string_view s) { return absl::Base64Escape(s); }

[[nodiscard]] absl::StatusOr<std::string> UnB64(absl::string_view s) {
  std::string out;
  if (!absl::Base64Unescape(s, &out)) {
    return absl::DataLossError("simulated machine state: bad base64 field");
  }
  return out;
}

}  // namespace

const OsRelease* FindOsRelease(v1::OsFamily family) {
  for (const OsRelease& release : kReleases) {
    if (release.family == family) return &release;
  }
  return nullptr;
}

v1::ServiceState SimMachine::ServiceState(absl::string_view name) const {
  auto it = services.find(absl::AsciiStrToLower(name));
  return it == services.end() ? v1::SERVICE_STATE_ABSENT : it->second.second;
}

void SimMachine::SetService(absl::string_view name, v1::ServiceState state) {
  const std::string lower = absl::AsciiStrToLower(name);
  auto& entry = services[lower];
  if (entry.first.empty()) entry.first = std::string(name);
  entry.second = state;
  starting.erase(lower);
}

void SimMachine::RemoveService(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  services.erase(lower);
  starting.erase(lower);
}

void SimMachine::StartService(absl::string_view name) {
  absl::Duration takes = service_start_time;
  if (absl::EqualsIgnoreCase(name, mde::kSenseService) &&
      profile.sense_start_seconds.has_value()) {
    takes = absl::Seconds(*profile.sense_start_seconds);
  }
  if (takes <= absl::ZeroDuration() || now == absl::InfinitePast()) {
    SetService(name, v1::SERVICE_STATE_RUNNING);
    return;
  }
  SetService(name, v1::SERVICE_STATE_START_PENDING);
  starting[absl::AsciiStrToLower(name)] = now + takes;
}

void SimMachine::SettleServices(absl::Time at) {
  for (auto it = starting.begin(); it != starting.end();) {
    auto svc = services.find(it->first);
    if (svc == services.end()) {
      it = starting.erase(it);
    } else if (it->second <= at) {
      svc->second.second = v1::SERVICE_STATE_RUNNING;
      it = starting.erase(it);
    } else {
      ++it;
    }
  }
}

std::string SimMachine::Hostname() const {
  auto v = registry.Read(kTcpipParametersKey, "Hostname");
  if (v && std::holds_alternative<std::string>(*v)) {
    return std::get<std::string>(*v);
  }
  return "";
}

std::string SimMachine::Domain() const {
  auto v = registry.Read(kTcpipParametersKey, "Domain");
  if (v && std::holds_alternative<std::string>(*v)) {
    return std::get<std::string>(*v);
  }
  return "";
}

bool SimMachine::RebootPending() const {
  return registry.KeyExists(mde::kCbsRebootPendingKey) ||
         registry.KeyExists(mde::kWuRebootRequiredKey);
}

std::string SimMachine::NewMachineId() {
  // 40 hex characters like Defender's; from the host name so that every
  // simulated server registers with its own id.
  return Sha256Hex(absl::StrCat(Hostname(), "/senseId/", random_state))
      .substr(0, 40);
}

std::string SimMachine::NewGuid() {
  ++random_state;
  return GuidFromHash(absl::StrCat(Hostname(), "/guid/", random_state));
}

std::string ExecutionKey(absl::string_view program,
                         const std::vector<std::string>& args) {
  return absl::StrCat(absl::AsciiStrToLower(program), "\x1f",
                      absl::StrJoin(args, "\x1f"));
}

SimMachine MakeMachine(const SimProfile& profile, absl::string_view hostname,
                       absl::string_view domain, absl::Time boot_time) {
  SimMachine m;
  m.profile = profile;
  m.boot_time = boot_time;
  SimRegistry& r = m.registry;
  if (const OsRelease* found = FindOsRelease(profile.os)) {
    const OsRelease& rel = *found;
    r.Write(kCurrentVersionKey, "ProductName", std::string(rel.product));
    r.Write(kCurrentVersionKey, "CurrentVersion", std::string("6.3"));
    r.Write(kCurrentVersionKey, "CurrentBuildNumber", absl::StrCat(rel.build));
    r.Write(kCurrentVersionKey, "UBR", rel.ubr);
    if (rel.major >= 10) {
      r.Write(kCurrentVersionKey, "CurrentMajorVersionNumber", rel.major);
      r.Write(kCurrentVersionKey, "CurrentMinorVersionNumber", rel.minor);
    }
  }
  r.Write(kTcpipParametersKey, "Hostname", std::string(hostname));
  r.Write(kTcpipParametersKey, "Domain", std::string(domain));
  r.Write(
      mde::kCryptographyKey, mde::kMachineGuidValue,
      absl::AsciiStrToLower(GuidFromHash(absl::StrCat(hostname, "/machine"))));

  for (absl::string_view svc : {"EventLog", "WinRM", "LanmanServer"}) {
    m.SetService(svc, v1::SERVICE_STATE_RUNNING);
  }
  const bool downlevel = profile.os == v1::OS_FAMILY_WS2012R2 ||
                         profile.os == v1::OS_FAMILY_WS2016;
  // Defender Antivirus: built into 2016+; 2012 R2 gets it from md4ws.msi.
  const bool installed = !downlevel || profile.installed || profile.onboarded;
  if (profile.os != v1::OS_FAMILY_WS2012R2 || installed) {
    m.SetService(mde::kDefenderAvService, profile.av_off
                                              ? v1::SERVICE_STATE_STOPPED
                                              : v1::SERVICE_STATE_RUNNING);
    // Bit 0 is tamper protection (5 as Defender for Endpoint sets it on, 4
    // off).
    r.Write(mde::kDefenderFeaturesKey, mde::kTamperProtectionValue,
            uint32_t{profile.tamper ? 5u : 4u});
  }
  if (profile.maps_off) {
    r.Write(mde::kSpynetPolicyKey, mde::kSpynetReportingValue, uint32_t{0});
  }
  if (profile.av_policy_off) {
    r.Write(mde::kDefenderPolicyKey, mde::kDisableAntiSpywareValue,
            uint32_t{1});
    // The policy keeps the Defender Antivirus service from running.
    if (m.ServiceState(mde::kDefenderAvService) != v1::SERVICE_STATE_ABSENT) {
      m.SetService(mde::kDefenderAvService, v1::SERVICE_STATE_STOPPED);
    }
  }
  if (installed) {
    m.SetService(mde::kSenseService, v1::SERVICE_STATE_STOPPED);
    r.Write(mde::kAtpKey, "InstallLocation",
            std::string("C:\\Program Files\\Windows Defender Advanced Threat "
                        "Protection\\"));
  }
  if (profile.onboarded) {
    m.SetService(mde::kSenseService, v1::SERVICE_STATE_RUNNING);
    r.Write(mde::kAtpPolicyKey, mde::kOnboardingInfoValue,
            std::string("{\"body\":\"(simulated onboarding blob)\"}"));
    r.Write(mde::kAtpStatusKey, mde::kOnboardingStateValue, uint32_t{1});
    r.Write(mde::kAtpStatusKey, mde::kOrgIdValue, std::string(kSimOrgId));
    r.Write(mde::kAtpKey, mde::kSenseGuidValue,
            profile.sense_guid.empty() ? m.NewGuid() : profile.sense_guid);
    r.Write(mde::kAtpKey, mde::kSenseIdValue, m.NewMachineId());
  } else if (!profile.sense_guid.empty()) {
    // Left over from the image this machine was made from.
    r.Write(mde::kAtpKey, mde::kSenseGuidValue, profile.sense_guid);
  }
  if (!profile.mma_workspaces.empty()) {
    m.SetService(mde::kMmaService, v1::SERVICE_STATE_RUNNING);
    for (const auto& ws : profile.mma_workspaces) {
      const std::string key = absl::StrCat(mde::kMmaManagementGroupsKey, "\\",
                                           mde::kMmaWorkspacePrefix, ws);
      r.Write(key, "ServiceEndpoint",
              absl::StrCat("https://", ws, ".ods.opinsights.azure.com"));
    }
  }
  if (profile.third_party_av) {
    m.SetService(kThirdPartyAvService, v1::SERVICE_STATE_RUNNING);
  }
  if (profile.passive) {
    r.Write(mde::kAtpPolicyKey, mde::kForcePassiveModeValue, uint32_t{1});
  }
  // The machine has started since the profile's settings were made.
  ApplyForcedPassiveMode(m);
  if (profile.reboot_pending) r.CreateKey(mde::kCbsRebootPendingKey);
  return m;
}

std::string SerializeMachine(const SimMachine& m) {
  std::string out;
  absl::StrAppend(&out, "mdefleet-sim-machine\t1\n");
  absl::StrAppend(&out, "profile\t", B64(FormatSimProfile(m.profile)), "\n");
  absl::StrAppend(&out, "boot\t", absl::ToUnixNanos(m.boot_time), "\n");
  absl::StrAppend(&out, "rand\t", m.random_state, "\n");
  for (const auto& key : m.registry.Dump()) {
    absl::StrAppend(&out, "key\t", B64(key.path), "\n");
    for (const auto& v : key.values) {
      if (const auto* s = std::get_if<std::string>(&v.data)) {
        absl::StrAppend(&out, "sz\t", B64(key.path), "\t", B64(v.name), "\t",
                        B64(*s), "\n");
      } else {
        absl::StrAppend(&out, "dw\t", B64(key.path), "\t", B64(v.name), "\t",
                        std::get<uint32_t>(v.data), "\n");
      }
    }
  }
  if (!m.winhttp_proxy.empty()) {
    absl::StrAppend(&out, "winhttp\t", B64(m.winhttp_proxy), "\t",
                    B64(m.winhttp_bypass), "\n");
  }
  for (const auto& [lower, svc] : m.services) {
    absl::StrAppend(&out, "svc\t", B64(svc.first), "\t",
                    static_cast<int>(svc.second), "\n");
  }
  for (const auto& [lower, at] : m.starting) {
    auto svc = m.services.find(lower);
    if (svc == m.services.end()) continue;
    absl::StrAppend(&out, "start\t", B64(svc->second.first), "\t",
                    absl::ToUnixNanos(at), "\n");
  }
  for (const auto& rb : m.reboots) {
    absl::StrAppend(&out, "reboot\t", absl::ToUnixNanos(rb.requested_at), "\t",
                    absl::ToInt64Nanoseconds(rb.delay), "\t", B64(rb.reason),
                    "\n");
  }
  for (const auto& [key, times] : m.executions) {
    for (absl::Time t : times) {
      absl::StrAppend(&out, "run\t", B64(key), "\t", absl::ToUnixNanos(t),
                      "\n");
    }
  }
  return out;
}

absl::StatusOr<SimMachine> ParseMachine(absl::string_view text) {
  SimMachine m;
  bool header = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    const absl::string_view kind = f[0];
    auto bad = [&] {
      return absl::DataLossError(absl::StrCat(
          "simulated machine state: malformed \"", kind, "\" record"));
    };
    int64_t n1 = 0, n2 = 0;
    if (kind == "mdefleet-sim-machine") {
      header = true;
    } else if (kind == "profile" && f.size() == 2) {
      auto spec = UnB64(f[1]);
      if (!spec.ok()) return spec.status();
      auto p = ParseSimProfile(*spec);
      if (!p.ok()) return p.status();
      m.profile = *p;
    } else if (kind == "boot" && f.size() == 2 && absl::SimpleAtoi(f[1], &n1)) {
      m.boot_time = absl::FromUnixNanos(n1);
    } else if (kind == "rand" && f.size() == 2 &&
               absl::SimpleAtoi(f[1], &m.random_state)) {
    } else if (kind == "key" && f.size() == 2) {
      auto path = UnB64(f[1]);
      if (!path.ok()) return path.status();
      m.registry.CreateKey(*path);
    } else if ((kind == "sz" || kind == "dw") && f.size() == 4) {
      auto key = UnB64(f[1]);
      auto name = UnB64(f[2]);
      if (!key.ok() || !name.ok()) return bad();
      if (kind == "sz") {
        auto data = UnB64(f[3]);
        if (!data.ok()) return bad();
        m.registry.Write(*key, *name, *data);
      } else {
        uint32_t dw = 0;
        if (!absl::SimpleAtoi(f[3], &dw)) return bad();
        m.registry.Write(*key, *name, dw);
      }
    } else if (kind == "winhttp" && f.size() == 3) {
      auto proxy = UnB64(f[1]);
      auto bypass = UnB64(f[2]);
      if (!proxy.ok() || !bypass.ok()) return bad();
      m.winhttp_proxy = *proxy;
      m.winhttp_bypass = *bypass;
    } else if (kind == "svc" && f.size() == 3 && absl::SimpleAtoi(f[2], &n1)) {
      auto name = UnB64(f[1]);
      if (!name.ok() || !v1::ServiceState_IsValid(static_cast<int>(n1))) {
        return bad();
      }
      m.SetService(*name, static_cast<v1::ServiceState>(n1));
    } else if (kind == "start" && f.size() == 3 &&
               absl::SimpleAtoi(f[2], &n1)) {
      auto name = UnB64(f[1]);
      if (!name.ok()) return bad();
      m.starting[absl::AsciiStrToLower(*name)] = absl::FromUnixNanos(n1);
    } else if (kind == "reboot" && f.size() == 4 &&
               absl::SimpleAtoi(f[1], &n1) && absl::SimpleAtoi(f[2], &n2)) {
      auto reason = UnB64(f[3]);
      if (!reason.ok()) return bad();
      m.reboots.push_back(
          {*reason, absl::Nanoseconds(n2), absl::FromUnixNanos(n1)});
    } else if (kind == "run" && f.size() == 3 && absl::SimpleAtoi(f[2], &n1)) {
      auto key = UnB64(f[1]);
      if (!key.ok()) return bad();
      m.executions[*key].push_back(absl::FromUnixNanos(n1));
    } else {
      return bad();
    }
  }
  if (!header) {
    return absl::DataLossError(
        "simulated machine state: not an mdefleet simulated machine file");
  }
  return m;
}

}  // namespace mdefleet::runner::sim
