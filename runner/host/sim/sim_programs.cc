#include "runner/host/sim/sim_programs.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/artifact_validation.h"
#include "common/install_ps1.h"
#include "common/mde_constants.h"
#include "common/mde_workspaces.h"
#include "runner/host/sim/sim_analyzer.h"
#include "runner/host/sim/sim_defender.h"
#include "runner/host/sim/sim_exit.h"
#include "runner/host/sim/sim_netsh.h"
#include "runner/host/sim/sim_network.h"
#include "runner/host/sim/sim_scripts.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::sim {
namespace {

namespace ps1 = install_ps1;

// Absolute paths stay; relative ones are relative to `base_dir`.
std::string Resolve(absl::string_view path, absl::string_view base_dir) {
  if (path.size() >= 2 && path[1] == ':') return NormalizeWindowsPath(path);
  return JoinWindowsPath(base_dir, path);
}

// ---- cmd.exe /c <script> ----

[[nodiscard]] absl::StatusOr<ProcessResult> RunCmd(SimMachine& m,
                                                   const SimFiles& files,
                                                   const ProcessRequest& req) {
  if (req.args.size() < 2 || !absl::EqualsIgnoreCase(req.args[0], "/c")) {
    return Exit(1, "",
                "simulated cmd.exe: only \"cmd.exe /c <script>\" is "
                "modelled\r\n");
  }
  const std::string script = Resolve(req.args[1], req.working_directory);
  if (IsClientAnalyzerScript(script)) {
    return RunSimAnalyzer(m, files, script,
                          {req.args.begin() + 2, req.args.end()});
  }
  if (req.args.size() != 2) {
    return Exit(1, "",
                "simulated cmd.exe: the onboarding and offboarding scripts "
                "take no arguments\r\n");
  }
  auto content = files.Read(script);
  if (!content.ok()) {
    if (absl::IsNotFound(content.status())) {
      return Exit(1, "", "The system cannot find the file specified.\r\n");
    }
    return Exit(1, "", "Access is denied.\r\n");
  }
  switch (ClassifyScript(*content)) {
    case ScriptKind::kOnboarding:
      return RunOnboardingScript(m);
    case ScriptKind::kOffboarding:
      return RunOffboardingScript(m);
    case ScriptKind::kOther:
      break;
  }
  return Exit(1, "",
              absl::StrCat("simulated cmd.exe: cannot interpret ",
                           WindowsBaseName(script),
                           ": only the MDE onboarding/offboarding scripts are "
                           "modelled\r\n"));
}

// ---- PowerShell.exe ... -File Install.ps1 [switches] ----

struct InstallArgs {
  std::string script;  // the -File path
  std::optional<std::string> onboarding;
  std::optional<std::string> offboarding;
  std::optional<std::string> remove_mma;
  bool uninstall = false;
  bool passive = false;
};

// Install.ps1 as upstream (microsoft/mdefordownlevelserver) runs, in its
// order: the script checks (Test-ExternalScripts), md4ws.msi (install only),
// -RemoveMMA, the pending reboot, the release's prerequisites, the
// offboarding script, tamper protection (uninstall), "all MSI operations
// while offboarded", msiexec (whose exit code it passes on), and the
// onboarding script, whose failure is only a warning: Install.ps1 still
// exits 0.
class InstallPs1 {
 public:
  InstallPs1(SimMachine& m, const SimFiles& files) : m_(m), files_(files) {}

  ProcessResult Run(const InstallArgs& a);

 private:
  // Everything but the trace log Run writes at the end.
  ProcessResult RunSteps(const InstallArgs& a);
  void Info(absl::string_view line) {
    absl::StrAppend(&out_, "[INFO] ", line, "\r\n");
  }
  ProcessResult Fail(int code, absl::string_view detail) {
    absl::string_view meaning = "unknown";
    for (const auto& c : ps1::kExitCodes) {
      if (c.code == code) meaning = c.meaning;
    }
    absl::StrAppend(&err_, "[ERROR] ", detail, " (exit ", code, ": ", meaning,
                    ")\r\n");
    return Exit(code, out_, err_);
  }
  // Test-ExternalScripts for one script switch: 30/32 when missing, 6 when
  // it is not that kind of script, 37 when it has a "pause" line (the
  // interactive Local Script package).
  std::optional<ProcessResult> CheckScript(const std::string& path,
                                           ScriptKind want, int not_found,
                                           absl::string_view what);
  // The release's prerequisites before installing (39, 10).
  std::optional<ProcessResult> CheckInstallPrerequisites();
  // msiexec /i or /x with the profile's exit code; writes the MSI log
  // beside Install.ps1 as upstream names it. Returns msiexec's exit code.
  int RunMsiexec(absl::string_view action, absl::string_view dir);
  bool SensorInstalled() const {
    return m_.ServiceState(mde::kSenseService) != v1::SERVICE_STATE_ABSENT;
  }

  SimMachine& m_;
  const SimFiles& files_;
  std::string out_, err_;
};

// msiexec succeeded, perhaps asking for a restart to finish (3010, 1641).
bool MsiSucceeded(int code) {
  return code == 0 || code == ps1::kMsiSuccessRebootRequired ||
         code == ps1::kMsiRebootInitiated;
}

std::optional<ProcessResult> InstallPs1::CheckScript(const std::string& path,
                                                     ScriptKind want,
                                                     int not_found,
                                                     absl::string_view what) {
  auto content = files_.Read(path);
  if (!content.ok()) {
    return Fail(not_found, absl::StrCat(path, " does not exist"));
  }
  if (ClassifyScript(*content) != want) {
    return Fail(ps1::kInvalidParameter,
                absl::StrCat("Not an ", what, ": ", path));
  }
  if (WaitsForKeyPress(*content)) {
    return Fail(ps1::kInvalidScriptType,
                absl::StrCat("Please use the ", what,
                             " for Group Policy as it is non-interactive, ",
                             path, " might wait for user input"));
  }
  return std::nullopt;
}

std::optional<ProcessResult> InstallPs1::CheckInstallPrerequisites() {
  const v1::OsFamily os = m_.profile.os;
  const auto gp =
      m_.registry.Read(mde::kDefenderPolicyKey, mde::kDisableAntiSpywareValue);
  const bool gp_off = gp && std::holds_alternative<uint32_t>(*gp) &&
                      std::get<uint32_t>(*gp) != 0;
  // 2012 R2 checks the policy always; 2016 when WinDefend is not running.
  if (gp_off &&
      (os == v1::OS_FAMILY_WS2012R2 ||
       m_.ServiceState(mde::kDefenderAvService) != v1::SERVICE_STATE_RUNNING)) {
    return Fail(ps1::kGroupPolicyDisabled,
                "Remove(or change it to 0) HKLM:\\Software\\Policies\\"
                "Microsoft\\Windows Defender[DisableAntiSpyware] and try "
                "installing again.");
  }
  return std::nullopt;
}

int InstallPs1::RunMsiexec(absl::string_view action, absl::string_view dir) {
  std::vector<absl::Time>& runs =
      m_.executions[ExecutionKey("msiexec.exe", {})];
  const bool first = runs.empty();
  runs.push_back(m_.boot_time);
  int code = 0;
  if (m_.profile.msi_exit) {
    const int wanted = *m_.profile.msi_exit;
    const bool once = wanted == ps1::kMsiInstallAlreadyRunning ||
                      wanted == ps1::kMsiSuccessRebootRequired ||
                      wanted == ps1::kMsiRebootInitiated;
    if (!once || first) code = wanted;
  }
  const bool failed = !MsiSucceeded(code);
  std::string log =
      absl::StrCat("=== Verbose logging started: msiexec.exe /",
                   action == "install" ? "i" : "x", " md4ws.msi /quiet ===\r\n",
                   "Action start: INSTALL.\r\n");
  if (failed) {
    absl::StrAppend(
        &log,
        "CustomAction MsSenseInstall returned actual error code 1603 (note "
        "this may not be 100% accurate if translation happened inside "
        "sandbox)\r\n",
        "Action ended: InstallFinalize. Return value 3.\r\n",
        "Action ended: INSTALL. Return value 3.\r\n",
        "Product: Microsoft Defender for Endpoint -- Installation failed.\r\n",
        "Windows Installer installed the product. Error status: ", code,
        ".\r\n");
  } else {
    absl::StrAppend(&log, "Action ended: INSTALL. Return value 1.\r\n");
  }
  absl::StrAppend(&log, "=== Logging stopped ===\r\n");
  // "$action-$env:COMPUTERNAME.log"; the previous one becomes .prev.log.
  const std::string name = absl::StrCat(action, "-", m_.Hostname(), ".log");
  const std::string path = JoinWindowsPath(dir, name);
  if (auto previous = files_.Read(path); previous.ok()) {
    files_
        .Write(JoinWindowsPath(
                   dir, absl::StrCat(action, "-", m_.Hostname(), ".prev.log")),
               *previous)
        .IgnoreError();
  }
  files_.Write(path, log).IgnoreError();
  if (code != 0 && !failed) {
    // Windows Installer's pending file operations: Windows then reports a
    // pending restart, as the sim does with this key.
    m_.registry.CreateKey(mde::kCbsRebootPendingKey);
  }
  return code;
}

ProcessResult InstallPs1::Run(const InstallArgs& a) {
  ProcessResult r = RunSteps(a);
  // Upstream traces to "InstallPS1-$env:COMPUTERNAME.<yyMMddTHHmmssfffzzz>
  // .log" beside itself ($Installps1LogName) what it also prints.
  const absl::Time at =
      m_.now == absl::InfinitePast() ? absl::UnixEpoch() : m_.now;
  const std::string name = absl::StrCat(
      "InstallPS1-", m_.Hostname(), ".",
      absl::FormatTime("%y%m%dT%H%M%S000+0000", at, absl::UTCTimeZone()),
      ".log");
  files_
      .Write(JoinWindowsPath(WindowsDirName(a.script), name),
             absl::StrCat(r.stdout_text, r.stderr_text))
      .IgnoreError();
  return r;
}

ProcessResult InstallPs1::RunSteps(const InstallArgs& a) {
  const std::string dir = WindowsDirName(a.script);
  Info(absl::StrCat("Install.ps1 (simulated) running from ", dir));
  if (m_.profile.forced_install_exit) {
    const int code = *m_.profile.forced_install_exit;
    if (code == 0) return Exit(0, out_, err_);
    return Fail(code, "forced by the simulated profile");
  }
  if (a.uninstall && (a.onboarding || a.remove_mma || a.passive)) {
    return Fail(ps1::kInvalidParameter,
                "-Uninstall cannot be combined with -OnboardingScript, "
                "-RemoveMMA or -Passive");
  }
  if (a.onboarding) {
    if (auto r =
            CheckScript(*a.onboarding, ScriptKind::kOnboarding,
                        ps1::kOnboardingScriptNotFound, "onboarding script")) {
      return *r;
    }
  }
  if (a.offboarding) {
    if (auto r = CheckScript(*a.offboarding, ScriptKind::kOffboarding,
                             ps1::kOffboardingScriptNotFound,
                             "offboarding script")) {
      return *r;
    }
  }
  const v1::OsFamily os = m_.profile.os;
  if (!a.uninstall) {
    // Only installing needs md4ws.msi ("$msi should be checked as early as
    // possible").
    auto msi = files_.Exists(JoinWindowsPath(dir, mde::kInstallerMsiFileName));
    if (!msi.ok() || !*msi) {
      return Fail(ps1::kMsiNotFound,
                  absl::StrCat(mde::kInstallerMsiFileName, " not found in ",
                               dir, ": download it beside Install.ps1"));
    }
  }

  // -RemoveMMA as upstream: a workspace the agent does not report to is
  // ERR_INVALID_PARAMETER ("Invalid workspace id"); removing the last one
  // stops HealthService (the agent stays installed), otherwise the agent
  // reloads its configuration.
  if (a.remove_mma) {
    std::string key;
    for (const std::string& group :
         m_.registry.Subkeys(mde::kMmaManagementGroupsKey)) {
      absl::string_view ws = group;
      if (absl::ConsumePrefix(&ws, mde::kMmaWorkspacePrefix) &&
          NormalizeWorkspaceId(ws) == NormalizeWorkspaceId(*a.remove_mma)) {
        key = absl::StrCat(mde::kMmaManagementGroupsKey, "\\", group);
        break;
      }
    }
    if (key.empty()) {
      return Fail(ps1::kInvalidParameter,
                  absl::StrCat("Invalid workspace id ", *a.remove_mma));
    }
    Info(absl::StrCat("Removing cloud workspace ", *a.remove_mma, "..."));
    m_.registry.DeleteKey(key);
    if (m_.registry.Subkeys(mde::kMmaManagementGroupsKey).empty()) {
      m_.SetService(mde::kMmaService, v1::SERVICE_STATE_STOPPED);
    }
    Info(absl::StrCat("Workspace ", *a.remove_mma, " removed."));
  }

  if (m_.RebootPending()) {
    return Fail(ps1::kPendingReboot,
                "Please restart this computer to continue Install.ps1 actions");
  }
  if (!a.uninstall) {
    if (os != v1::OS_FAMILY_WS2012R2 && os != v1::OS_FAMILY_WS2016) {
      return Fail(ps1::kUnsupportedDistro,
                  "Unsupported OS version: this script is for Windows Server "
                  "2012 R2 and 2016; 2019 and later have the sensor built in");
    }
    if (auto r = CheckInstallPrerequisites()) return *r;
    // Its downloads (updates, the Defender platform) go out as the sensor
    // will: through the EDR static proxy, else the system WinHTTP proxy.
    if (absl::Status net = SimConnect(m_, "https://go.microsoft.com",
                                      "go.microsoft.com", SimSensorProxy(m_));
        !net.ok()) {
      return Fail(
          ps1::kNoConnectivity,
          absl::StrCat(net.message(), ": check the proxy and firewall"));
    }
  }

  if (a.offboarding && (a.uninstall || SensorInstalled())) {
    if (!Onboarded(m_)) {
      return Fail(ps1::kNotOnboarded,
                  "Sense Service is not onboarded, nothing to offboard.");
    }
    Info("Invoking offboarding script " + *a.offboarding);
    ProcessResult off = RunOffboardingScript(m_);
    absl::StrAppend(&out_, off.stdout_text);
    absl::StrAppend(&err_, off.stderr_text);
    if (off.exit_code != 0) {
      // Upstream passes the script's own exit code on.
      return Fail(off.exit_code, absl::StrCat("Offboarding script returned ",
                                              off.exit_code, "."));
    }
    if (Onboarded(m_)) {
      return Fail(ps1::kOffboardingFailed,
                  "'HKLM:SYSTEM\\CurrentControlSet\\Services\\Sense[Start]' "
                  "is still 2(onboarded) so offboarding failed");
    }
  }
  if (a.uninstall && TamperProtectionOn(m_)) {
    return Fail(ps1::kTamperProtected,
                "Tamper protection is still enabled. Please disable it (or "
                "boot in 'Safe Mode') before uninstalling the product.");
  }
  if (Onboarded(m_)) {
    return Fail(ps1::kNotOffboarded,
                "Sense Service is onboarded, offboard before reinstalling(or "
                "use -OffboardingScript with this script)");
  }

  if (a.uninstall) {
    if (!SensorInstalled()) {
      return Fail(ps1::kMdeNotInstalled,
                  "'Microsoft Defender for (Windows Server|Endpoint)' already "
                  "uninstalled.");
    }
    const int code = RunMsiexec("uninstall", dir);
    if (!MsiSucceeded(code)) {
      return Fail(code, absl::StrCat("uninstall exitcode: ", code));
    }
    m_.RemoveService(mde::kSenseService);
    if (os == v1::OS_FAMILY_WS2012R2) {
      m_.RemoveService(mde::kDefenderAvService);
    }
    m_.registry.DeleteValue(mde::kAtpKey, "InstallLocation");
    if (code != 0)
      return Fail(code, absl::StrCat("uninstall exitcode: ", code));
    Info("uninstall successful.");
    return Exit(0, out_, err_);
  }

  if (a.passive) {
    m_.registry.Write(mde::kAtpPolicyKey, mde::kForcePassiveModeValue,
                      uint32_t{1});
    Info("Will force passive mode.");
  }
  const int code = RunMsiexec("install", dir);
  if (!MsiSucceeded(code)) {
    return Fail(code, absl::StrCat("install exitcode: ", code));
  }
  if (!SensorInstalled()) {
    if (os == v1::OS_FAMILY_WS2012R2) {
      m_.SetService(mde::kDefenderAvService, v1::SERVICE_STATE_RUNNING);
    }
    m_.SetService(mde::kSenseService, v1::SERVICE_STATE_STOPPED);
    m_.registry.Write(mde::kAtpKey, "InstallLocation",
                      std::string("C:\\Program Files\\Windows Defender "
                                  "Advanced Threat Protection\\"));
  }
  // msiexec's 3010/1641 end Install.ps1 before the onboarding script.
  if (code != 0) return Fail(code, absl::StrCat("install exitcode: ", code));
  Info("install successful.");

  if (a.onboarding) {
    Info("Invoking onboarding script " + *a.onboarding);
    ProcessResult on = RunOnboardingScript(m_);
    absl::StrAppend(&out_, on.stdout_text);
    absl::StrAppend(&err_, on.stderr_text);
    if (on.exit_code == 0) {
      Info("Onboarding successful.");
    } else {
      // Upstream only warns: Install.ps1 exits 0 and the plan's verify
      // steps find the device not onboarded.
      absl::StrAppend(&out_, "[WARNING] Onboarding script returned ",
                      on.exit_code, "\r\n");
    }
  }
  return Exit(0, out_, err_);
}

[[nodiscard]] absl::StatusOr<ProcessResult> RunPowerShell(
    SimMachine& m, const SimFiles& files, const ProcessRequest& req) {
  // PowerShell's own switches, up to -File <path>.
  size_t i = 0;
  std::optional<std::string> file;
  while (i < req.args.size()) {
    const std::string& arg = req.args[i];
    if (absl::EqualsIgnoreCase(arg, "-File")) {
      if (i + 1 >= req.args.size()) {
        return Exit(-196608, "", "Missing the argument to -File.\r\n");
      }
      file = Resolve(req.args[i + 1], req.working_directory);
      i += 2;
      break;
    }
    if (absl::EqualsIgnoreCase(arg, "-ExecutionPolicy")) {
      i += 2;
    } else {
      ++i;  // -NoProfile, -NonInteractive
    }
  }
  if (!file) {
    return Exit(1, "",
                "simulated PowerShell: only -File <script> is modelled\r\n");
  }
  auto exists = files.Exists(*file);
  if (!exists.ok() || !*exists) {
    return Exit(-196608, "",
                absl::StrCat("The argument '", *file,
                             "' to the -File parameter does not exist. Provide "
                             "the path to an existing '.ps1' file as an "
                             "argument to the -File parameter.\r\n"));
  }
  if (!absl::EqualsIgnoreCase(WindowsBaseName(*file),
                              mde::kInstallScriptFileName)) {
    return Exit(1, "",
                absl::StrCat("simulated PowerShell: cannot interpret ",
                             WindowsBaseName(*file),
                             ": only Install.ps1 is modelled\r\n"));
  }
  InstallArgs a;
  a.script = *file;
  const std::string dir = WindowsDirName(*file);
  for (; i < req.args.size(); ++i) {
    const std::string& sw = req.args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= req.args.size() || absl::StartsWith(req.args[i + 1], "-")) {
        return std::nullopt;
      }
      return req.args[++i];
    };
    auto invalid = [&](absl::string_view why) {
      return Exit(
          ps1::kInvalidParameter, "",
          absl::StrCat("[ERROR] ", why, " (exit 6: invalid parameter)\r\n"));
    };
    if (absl::EqualsIgnoreCase(sw, "-OnboardingScript") ||
        absl::EqualsIgnoreCase(sw, "-OffboardingScript") ||
        absl::EqualsIgnoreCase(sw, "-RemoveMMA")) {
      auto v = value();
      if (!v) return invalid(absl::StrCat(sw, " needs a value"));
      if (absl::EqualsIgnoreCase(sw, "-RemoveMMA")) {
        if (!IsGuid(*v)) {
          return invalid(
              absl::StrCat("-RemoveMMA: \"", *v, "\" is not a GUID"));
        }
        a.remove_mma = *v;
      } else if (absl::EqualsIgnoreCase(sw, "-OnboardingScript")) {
        a.onboarding = Resolve(*v, dir);
      } else {
        a.offboarding = Resolve(*v, dir);
      }
    } else if (absl::EqualsIgnoreCase(sw, "-Uninstall")) {
      a.uninstall = true;
    } else if (absl::EqualsIgnoreCase(sw, "-Passive")) {
      a.passive = true;
    } else if (absl::EqualsIgnoreCase(sw, "-NoMSILog") ||
               absl::EqualsIgnoreCase(sw, "-NoEtl")) {
      // Logging switches: no effect on the simulated machine.
    } else {
      return invalid(absl::StrCat(
          "A parameter cannot be found that matches parameter name '",
          absl::StripPrefix(sw, "-"), "'"));
    }
  }
  return InstallPs1(m, files).Run(a);
}

}  // namespace

ProgramWeight WeightOf(const ProcessRequest& request) {
  if (absl::EqualsIgnoreCase(WindowsBaseName(request.program),
                             "PowerShell.exe")) {
    return ProgramWeight::kInstaller;
  }
  if (absl::EqualsIgnoreCase(WindowsBaseName(request.program), "cmd.exe")) {
    return ProgramWeight::kScript;
  }
  return ProgramWeight::kQuick;
}

absl::StatusOr<ProcessResult> RunSimProgram(SimMachine& machine,
                                            const SimFiles& files,
                                            const ProcessRequest& request) {
  if (SameWindowsPath(request.program, kCmdPath)) {
    return RunCmd(machine, files, request);
  }
  if (SameWindowsPath(request.program, kPowerShellPath)) {
    return RunPowerShell(machine, files, request);
  }
  // MpCmdRun.exe exists where Defender Antivirus is installed.
  if (SameWindowsPath(request.program, mde::kMpCmdRunPath) &&
      machine.ServiceState(mde::kDefenderAvService) !=
          v1::SERVICE_STATE_ABSENT) {
    return RunMpCmdRun(machine, request);
  }
  if (SameWindowsPath(request.program, kNetshPath)) {
    return RunSimNetsh(machine, request);
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot start ", request.program,
      ": the simulated server has no such program (modelled: cmd.exe, "
      "PowerShell.exe, netsh.exe, MpCmdRun.exe where Defender Antivirus is "
      "installed)"));
}

}  // namespace mdefleet::runner::sim
