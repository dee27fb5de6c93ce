#include "runner/host/sim/sim_analyzer.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/client_analyzer.h"
#include "common/mde_constants.h"
#include "common/zip/zip_archive.h"
#include "runner/host/sim/sim_exit.h"
#include "runner/host/sim/sim_network.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::sim {
namespace {

namespace ca = client_analyzer;

struct Finding {
  std::string id, severity, category, check, result;
};

std::string Xml(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// The findings of MDEClientAnalyzer.xml as the analyzer lays them out
// (common/zip/analyzer_findings.h).
std::string FindingsXml(const SimMachine& m,
                        const std::vector<Finding>& findings) {
  std::string xml = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<MDEResults>\r\n"
      "  <general><scriptVersion displayName=\"Script Version: \"><value>"
      "simulated</value></scriptVersion></general>\r\n"
      "  <devInfo><deviceName displayName=\"Device Host Name\"><value>",
      Xml(m.Hostname()), "</value></deviceName></devInfo>\r\n  <events>\r\n");
  for (const Finding& f : findings) {
    absl::StrAppend(&xml, "    <event id=\"", Xml(f.id), "\"><severity>",
                    Xml(f.severity), "</severity><category>", Xml(f.category),
                    "</category><check>", Xml(f.check), "</check><checkresult>",
                    Xml(f.result), "</checkresult><guidance></guidance>",
                    "</event>\r\n");
  }
  xml += "  </events>\r\n</MDEResults>\r\n";
  return xml;
}

// `mib` MiB that deflate cannot shrink (xorshift), standing in for the
// event logs and traces that make real bundles large.
std::string Incompressible(int mib) {
  std::string out(static_cast<size_t>(mib) << 20, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

}  // namespace

bool IsClientAnalyzerScript(absl::string_view script) {
  return absl::EqualsIgnoreCase(WindowsBaseName(script), ca::kCmdName);
}

absl::StatusOr<ProcessResult> RunSimAnalyzer(
    const SimMachine& m, const SimFiles& files, absl::string_view script,
    const std::vector<std::string>& switches) {
  bool remote = false;
  for (const std::string& s : switches) {
    remote = remote || absl::EqualsIgnoreCase(s, ca::kNonInteractiveSwitch);
  }
  if (!remote) {
    return Exit(1, "Please specify the number of minutes for data collection: ",
                "simulated MDEClientAnalyzer.cmd: waited for an answer at its "
                "prompt (run it with -r in a non-interactive context)\r\n");
  }
  const std::string folder = WindowsDirName(script);
  absl::StatusOr<bool> ps1 =
      files.Exists(JoinWindowsPath(folder, ca::kPs1Name));
  if (!ps1.ok()) return ps1.status();
  if (!*ps1) {
    return Exit(1, "",
                absl::StrCat("The system cannot find the file ",
                             JoinWindowsPath(folder, ca::kPs1Name), "\r\n"));
  }
  std::vector<Finding> findings;
  findings.push_back({"1000", "Informational", "General", "Script run",
                      "simulated MDEClientAnalyzer ran as SYSTEM"});
  if (m.ServiceState(mde::kSenseService) != v1::SERVICE_STATE_RUNNING) {
    findings.push_back({"1001", "Error", "Services", "Sense service",
                        "The Sense service is not running: the device is not "
                        "onboarded or the sensor failed to start"});
  }
  const absl::Status net =
      SimConnect(m, "https://winatp-gw-eus.microsoft.com/test",
                 "winatp-gw-eus.microsoft.com", SimSensorProxy(m));
  if (!net.ok()) {
    findings.push_back({"1002", "Error", "Connectivity", "EDR Cloud CnC",
                        std::string(net.message())});
  } else {
    findings.push_back({"1003", "Informational", "Connectivity",
                        "EDR Cloud CnC", "Connected"});
  }
  if (m.profile.analyzer_error) {
    findings.push_back({"1900", "Error", "Simulated", "caerror",
                        "An error the simulated profile asked for (caerror)"});
  }
  if (m.profile.analyzer_warning) {
    findings.push_back(
        {"1901", "Warning", "Simulated", "cawarning",
         "A warning the simulated profile asked for (cawarning)"});
  }
  std::vector<std::pair<std::string, std::string>> bundle = {
      {"MDEClientAnalyzer.htm",
       "<html><head><title>MDE Client Analyzer Results</title></head>"
       "<body>simulated</body></html>"},
      {absl::StrCat(ca::kFindingsFolder, "\\", ca::kFindingsXmlName),
       FindingsXml(m, findings)},
      {absl::StrCat(ca::kFindingsFolder, "\\MDEClientAnalyzer.txt"),
       "simulated MDEClientAnalyzer run\r\n"},
  };
  if (m.profile.analyzer_bundle_mib) {
    bundle.emplace_back("EventLogs\\sense.evtx",
                        Incompressible(*m.profile.analyzer_bundle_mib));
  }
  absl::StatusOr<std::string> zip = zip::WriteArchive(bundle);
  if (!zip.ok()) return zip.status();
  const std::string result = JoinWindowsPath(folder, ca::kResultZipName);
  if (absl::Status s = files.Write(result, *zip); !s.ok()) return s;
  return Exit(
      0, absl::StrCat("MDE Client Analyzer (simulated)\r\n", findings.size(),
                      " findings; result: ", result, "\r\n"));
}

}  // namespace mdefleet::runner::sim
