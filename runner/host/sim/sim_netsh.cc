#include "runner/host/sim/sim_netsh.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "runner/host/sim/sim_exit.h"

namespace mdefleet::runner::sim {
namespace {

constexpr absl::string_view kSetProxyUsage =
    "\r\n"
    "Usage:  set proxy [proxy-server=]<server name> [bypass-list=]<hosts "
    "list>\r\n"
    "\r\n"
    "Parameters:\r\n"
    "\r\n"
    "  Tag              Value\r\n"
    "  proxy-server  -  proxy server for use for http and/or https "
    "protocol\r\n"
    "  bypass-list   -  a list of sites that should be visited bypassing "
    "the\r\n"
    "                   proxy (use \"<local>\" to bypass all short name "
    "hosts)\r\n"
    "\r\n"
    "Examples:\r\n"
    "\r\n"
    "  set proxy myproxy\r\n"
    "  set proxy myproxy:80 \"<local>;bar\"\r\n"
    "  set proxy proxy-server=\"http=myproxy;https=sproxy:88\" "
    "bypass-list=\"*.foo.com\"\r\n"
    "\r\n";

// What netsh prints after set/reset and for show.
std::string CurrentSettings(const SimMachine& m) {
  std::string out = "\r\nCurrent WinHTTP proxy settings:\r\n\r\n";
  if (m.winhttp_proxy.empty()) {
    absl::StrAppend(&out, "    Direct access (no proxy server).\r\n\r\n");
  } else {
    absl::StrAppend(&out, "    Proxy Server(s) :  ", m.winhttp_proxy,
                    "\r\n    Bypass List     :  ",
                    m.winhttp_bypass.empty() ? "(none)" : m.winhttp_bypass,
                    "\r\n\r\n");
  }
  return out;
}

ProcessResult NotFound(const std::vector<std::string>& args) {
  return Exit(1, absl::StrCat("The following command was not found: ",
                              absl::StrJoin(args, " "), ".\r\n"));
}

std::string Unquote(absl::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

ProcessResult SetProxy(SimMachine& m, const std::vector<std::string>& args) {
  std::optional<std::string> server;
  std::optional<std::string> bypass;
  std::vector<std::string> positional;
  for (size_t i = 3; i < args.size(); ++i) {
    absl::string_view a = args[i];
    if (absl::StartsWithIgnoreCase(a, "proxy-server=")) {
      server = Unquote(a.substr(13));
    } else if (absl::StartsWithIgnoreCase(a, "bypass-list=")) {
      bypass = Unquote(a.substr(12));
    } else {
      positional.push_back(Unquote(a));
    }
  }
  for (const std::string& p : positional) {
    if (!server) {
      server = p;
    } else if (!bypass) {
      bypass = p;
    } else {
      server.reset();  // too many values: a syntax error
      break;
    }
  }
  if (!server || server->empty()) {
    return Exit(1, absl::StrCat("The syntax supplied for this command is not "
                                "valid. Check help for the correct syntax.\r\n",
                                kSetProxyUsage));
  }
  m.winhttp_proxy = *server;
  m.winhttp_bypass = bypass.value_or("");
  return Exit(0, CurrentSettings(m));
}

}  // namespace

ProcessResult RunSimNetsh(SimMachine& m, const ProcessRequest& request) {
  const std::vector<std::string>& args = request.args;
  if (args.empty()) {
    // Interactive netsh would wait for commands on stdin; the runner has none.
    return Exit(1, "netsh>\r\n");
  }
  if (!absl::EqualsIgnoreCase(args[0], "winhttp") || args.size() < 3 ||
      !absl::EqualsIgnoreCase(args[2], "proxy")) {
    return NotFound(args);
  }
  const std::string& verb = args[1];
  if (absl::EqualsIgnoreCase(verb, "set")) return SetProxy(m, args);
  if (args.size() != 3) return NotFound(args);
  if (absl::EqualsIgnoreCase(verb, "reset")) {
    m.winhttp_proxy.clear();
    m.winhttp_bypass.clear();
    return Exit(0, CurrentSettings(m));
  }
  if (absl::EqualsIgnoreCase(verb, "show")) return Exit(0, CurrentSettings(m));
  return NotFound(args);
}

}  // namespace mdefleet::runner::sim
