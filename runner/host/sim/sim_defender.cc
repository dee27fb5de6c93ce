#include "runner/host/sim/sim_defender.h"

#include <optional>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "runner/host/sim/sim_exit.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::sim {
namespace {

std::optional<uint32_t> Dword(const SimMachine& m, absl::string_view key,
                              absl::string_view name) {
  auto v = m.registry.Read(key, name);
  if (v && std::holds_alternative<uint32_t>(*v)) return std::get<uint32_t>(*v);
  return std::nullopt;
}

// MpCmdRun's failure exit code (its output names the HRESULT).
constexpr int kMpCmdRunFailed = 2;

}  // namespace

bool Onboarded(const SimMachine& m) {
  return Dword(m, mde::kAtpStatusKey, mde::kOnboardingStateValue).value_or(0) ==
             1 &&
         m.ServiceState(mde::kSenseService) != v1::SERVICE_STATE_ABSENT;
}

bool SensorRunning(const SimMachine& m) {
  return Onboarded(m) &&
         m.ServiceState(mde::kSenseService) == v1::SERVICE_STATE_RUNNING;
}

bool TamperProtectionOn(const SimMachine& m) {
  return (Dword(m, mde::kDefenderFeaturesKey, mde::kTamperProtectionValue)
              .value_or(0) &
          1) != 0;
}

void ApplyForcedPassiveMode(SimMachine& m) {
  if (m.ServiceState(mde::kDefenderAvService) == v1::SERVICE_STATE_ABSENT) {
    return;
  }
  const bool force =
      Dword(m, mde::kAtpPolicyKey, mde::kForcePassiveModeValue).value_or(0) ==
      1;
  const bool passive =
      Dword(m, mde::kDefenderKey, mde::kPassiveModeValue).value_or(0) == 1;
  if (force == passive) return;
  // Passive mode exists only on onboarded devices: on a server that is not
  // onboarded, Defender Antivirus stays active whatever the policy says.
  if (force && !Onboarded(m)) return;
  // Seed 003: with tamper protection on, an onboarded server's active
  // Defender Antivirus does not switch to passive mode.
  if (force && TamperProtectionOn(m) && Onboarded(m)) return;
  m.registry.Write(mde::kDefenderKey, mde::kPassiveModeValue,
                   uint32_t{force ? 1u : 0u});
}

std::optional<DefenderStatus> SimDefenderStatus(const SimMachine& m) {
  if (m.ServiceState(mde::kDefenderAvService) != v1::SERVICE_STATE_RUNNING) {
    return std::nullopt;
  }
  DefenderStatus status;
  status.am_running_mode =
      Dword(m, mde::kDefenderKey, mde::kPassiveModeValue).value_or(0) == 1
          ? "Passive Mode"
          : "Normal";
  status.is_tamper_protected = TamperProtectionOn(m);
  if (*status.is_tamper_protected) status.tamper_protection_source = "ATP";
  return status;
}

void ApplyBoot(SimMachine& m) {
  if (Onboarded(m)) {
    m.StartService(mde::kSenseService);
    if (!m.registry.Read(mde::kAtpKey, mde::kSenseGuidValue)) {
      // Why image_prep offboards first: a running sensor recreates it.
      m.registry.Write(mde::kAtpKey, mde::kSenseGuidValue, m.NewGuid());
    }
  }
  ApplyForcedPassiveMode(m);
}

absl::Status SensorWriteFiles(const SimMachine& m, const SimFiles& files) {
  if (!SensorRunning(m)) return absl::OkStatus();
  auto entries = files.List(mde::kCyberDirectory);
  if (!entries.ok()) return entries.status();
  if (!entries->empty()) return absl::OkStatus();
  if (absl::Status s = files.CreateDirectories(mde::kCyberDirectory); !s.ok()) {
    return s;
  }
  for (absl::string_view name :
       {"SenseCyberState.bin", "SenseCyberQueue.dat"}) {
    if (absl::Status s =
            files.Write(JoinWindowsPath(mde::kCyberDirectory, name),
                        "(simulated sensor state)\r\n");
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

ProcessResult RunMpCmdRun(const SimMachine& m, const ProcessRequest& req) {
  std::string out =
      "MpCmdRun: Command Line: \"C:\\Program Files\\Windows "
      "Defender\\MpCmdRun.exe\"";
  for (const std::string& a : req.args) absl::StrAppend(&out, " ", a);
  absl::StrAppend(&out, "\r\nMpEnsureProcessMitigationPolicy: hr = 0x1\r\n");
  if (req.args.size() != 1 ||
      !absl::EqualsIgnoreCase(req.args[0], mde::kValidateMapsSwitch)) {
    absl::StrAppend(&out,
                    "simulated MpCmdRun.exe: only -ValidateMapsConnection is "
                    "modelled\r\nMpCmdRun.exe: hr = 0x80070057\r\n");
    return Exit(kMpCmdRunFailed, out);
  }
  absl::StrAppend(&out, "ValidateMapsConnection\r\n");
  auto fail = [&](absl::string_view line, absl::string_view hr) {
    absl::StrAppend(&out, line, "\r\nMpCmdRun.exe: hr = ", hr, "\r\n");
    return Exit(kMpCmdRunFailed, out);
  };
  if (m.ServiceState(mde::kDefenderAvService) != v1::SERVICE_STATE_RUNNING) {
    return fail("ERROR: ValidateMapsConnection failed (800106BA)",
                mde::kHresultServiceDisabled);
  }
  // The inbox Defender of 2012 R2/2016 predates -ValidateMapsConnection
  // (Windows 10 1703); the unified agent (md4ws.msi) brings a platform that
  // has it.
  const bool downlevel = m.profile.os == v1::OS_FAMILY_WS2012R2 ||
                         m.profile.os == v1::OS_FAMILY_WS2016;
  if (downlevel &&
      m.ServiceState(mde::kSenseService) == v1::SERVICE_STATE_ABSENT) {
    return fail("ERROR: ValidateMapsConnection failed (80070667)",
                mde::kHresultUnsupportedCommand);
  }
  std::optional<uint32_t> maps =
      Dword(m, mde::kSpynetPolicyKey, mde::kSpynetReportingValue);
  if (!maps) maps = Dword(m, mde::kSpynetKey, mde::kSpynetReportingValue);
  if (maps.value_or(2) == 0) {
    return fail(
        "ValidateMapsConnection failed to establish a connection to MAPS "
        "(hr=0x80508015)",
        mde::kHresultMapsDisabled);
  }
  if (m.profile.no_connectivity) {
    return fail(
        "ValidateMapsConnection failed to establish a connection to MAPS "
        "(hr=0x80072EFE httpcode=451)",
        "0x80072EFE");
  }
  absl::StrAppend(&out, mde::kMapsConnectionOk, "\r\n");
  return Exit(0, out);
}

}  // namespace mdefleet::runner::sim
