// Simulated Windows Server profiles ("ws2016+mma+av") and the deterministic
// fleet mix used by --simulate-fleet.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_PROFILE_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_PROFILE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::runner::sim {

// The MMA workspace a plain "mma" option reports to.
inline constexpr absl::string_view kDefaultMmaWorkspace =
    "11111111-2222-3333-4444-555555555555";

// What a simulated server looks like when it is first created.
struct SimProfile {
  v1::OsFamily os = v1::OS_FAMILY_UNSPECIFIED;
  std::vector<std::string> mma_workspaces;  // "mma" / "mma=<GUID>" (repeatable)
  bool third_party_av = false;              // "av": CSFalconService running
  bool passive = false;          // "passive": ForceDefenderPassiveMode=1 preset
  bool no_connectivity = false;  // "noconn"
  std::optional<int> forced_install_exit;  // "exit=N": Install.ps1 exits N
  // "msi=N": msiexec (run by Install.ps1) exits N, which Install.ps1 passes
  // on. 1618 (another installation running), 3010 and 1641 (succeeded,
  // restart needed / started) happen once, on the first msiexec run; other
  // codes (1603: fatal error) every time. A failing run leaves an MSI log
  // ending in "Return value 3".
  std::optional<int> msi_exit;
  // "avgpoff": Group Policy turns Defender Antivirus off
  // (Policies\...\Windows Defender DisableAntiSpyware = 1): Install.ps1
  // exits 39.
  bool av_policy_off = false;
  // "sensefail": the Sense service does not start (a missing prerequisite
  // update, as seed 000's troubleshooting describes): the onboarding script
  // stores the blob, then fails with "Failed to start Sense service".
  bool sense_fails = false;
  bool reboot_pending = false;  // "reboot"
  bool onboarded = false;       // "onboarded" (implies installed downlevel)
  bool installed = false;       // "installed": md4ws present (2012 R2/2016)
  // "noreboot": restart requests are accepted but never carried out (as when
  // an administrator aborts them with shutdown /a): the boot time stays.
  bool reboot_ignored = false;
  // "tz=9" / "tz=-5:30": local time minus UTC, in minutes.
  int utc_offset_minutes = 0;
  // "tamper": tamper protection on (TamperProtection = 5), as Defender for
  // Endpoint turns it on; it keeps an active Defender Antivirus of an
  // onboarded device from switching to passive mode (seed 003).
  bool tamper = false;
  // "mapsoff": cloud-delivered protection off by policy (SpynetReporting = 0
  // under Policies\...\Windows Defender\Spynet): MpCmdRun
  // -ValidateMapsConnection answers 0x80508015.
  bool maps_off = false;
  // "avoff": the Defender Antivirus service (WinDefend) is stopped, e.g. by
  // a policy a removed antivirus left behind (seed 001).
  bool av_off = false;
  // "sguid=<GUID>": this device's senseGuid (with "onboarded", or left over
  // from an image). Two devices with one value are clones of one image.
  std::string sense_guid;
  // "proxy=host:port": the network's only way out is this proxy. Direct
  // connections (CheckUrl with no proxy and no WinHTTP proxy set, Install.ps1's
  // connectivity test likewise) fail; through it they succeed. Without it
  // the device has direct access and no proxy exists on its network.
  std::string proxy;
  // "wpad" (with proxy=): Web Proxy Auto-Discovery on this network names
  // that proxy (DHCP/DNS "wpad" and a PAC file), so a device with no static
  // or WinHTTP proxy still gets out, as the sensor would.
  bool wpad = false;
  // "proxyauth" (with proxy=): the proxy answers 407 Proxy Authentication
  // Required to a caller that does not authenticate, as LocalSystem's
  // sensor does not.
  bool proxy_auth = false;
  // "tlsinspect": the way out decrypts TLS and re-signs it with the
  // organisation's own CA (TLS inspection, which Defender does not
  // support: seed 001).
  bool tls_inspection = false;
  // "allow=DOMAIN" (repeatable): an allow-list firewall lets https:// out
  // only to hosts in these domains (the plain-HTTP revocation endpoints
  // always), as an estate that opened only the streamlined
  // *.endpoint.security.microsoft.com (Microsoft Learn, streamlined
  // connectivity).
  std::vector<std::string> allowed_domains;
  // "sensestart=N": the Sense service takes N seconds from start to
  // running (default: the host's service start time).
  std::optional<int> sense_start_seconds;
  // MDEClientAnalyzer (sim_analyzer.h) reports what it finds on the
  // machine (Sense not running, no connectivity); "caerror" / "cawarning"
  // add an error / a warning finding of their own, and "cabundle=N" pads
  // its MDEClientAnalyzerResult.zip to N MiB (incompressible), as advanced
  // traces make it large.
  bool analyzer_error = false;
  bool analyzer_warning = false;
  std::optional<int> analyzer_bundle_mib;
};

// Parses "<os>[+opt...]", os in ws2012r2|ws2016|ws2019|ws2022|ws2025, options
// mma, mma=<GUID>, av, passive, noconn, exit=N, msi=N, reboot, noreboot,
// onboarded, installed, tz=H[:MM] (hours east of UTC; west: tz=-H[:MM]),
// tamper, mapsoff, avoff, avgpoff, sensefail, sguid=<GUID>, allow=DOMAIN,
// proxy=host:port, wpad, proxyauth (both need proxy=), tlsinspect,
// sensestart=N, caerror, cawarning, cabundle=N.
// InvalidArgument naming the bad part otherwise.
[[nodiscard]] absl::StatusOr<SimProfile> ParseSimProfile(
    absl::string_view spec);

// Canonical spec for a profile, e.g. "ws2016+mma+av" (round-trips).
std::string FormatSimProfile(const SimProfile& profile);

// Whether `text` is a GUID in 8-4-4-4-12 hex form.
bool IsGuid(absl::string_view text);

// One device of a simulated fleet.
struct FleetMember {
  std::string hostname;  // SIM-<OS>-<NNNN>, e.g. SIM-2019-0006
  SimProfile profile;
  std::map<std::string, std::string> labels;  // site, role, sim=yes
};

// Device `index` (0-based) of the fleet mix: OS cycles ws2012r2, ws2016,
// ws2019, ws2022; every 5th (index % 5 == 0) on 2012 R2/2016 gets MMA; every
// 7th gets a third-party AV (and on 2019+ passive mode, as if set by GPO);
// labels site=tokyo|osaka|nagoya by index % 3, role=web|db by index % 2,
// sim=yes. `seed` shifts the mix (0 = the documented one).
FleetMember FleetMemberAt(int index, int seed = 0);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_PROFILE_H_
