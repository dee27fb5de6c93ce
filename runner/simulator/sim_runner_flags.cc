#include "runner/simulator/sim_runner_flags.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/duration_text.h"
#include "common/labels.h"
#include "common/status_macros.h"
#include "common/tls/address.h"
#include "common/tls/pem.h"

namespace mdefleet::runner {
namespace {

[[nodiscard]] absl::StatusOr<std::string> ReadSecret(const SimRunnerFlags& f) {
  if (!f.enrollment_secret.empty()) return f.enrollment_secret;
  std::ifstream in(f.enrollment_secret_file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "--enrollment-secret-file: cannot read ", f.enrollment_secret_file));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(ss.str()));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--enrollment-secret-file: ", f.enrollment_secret_file, " is empty"));
  }
  return secret;
}

// The PEM of --ca-cert ("" without it). Without it the server must be on
// loopback: the enrollment secret and device token must not cross the
// network in clear.
[[nodiscard]] absl::StatusOr<std::string> ReadCaCert(const SimRunnerFlags& f) {
  if (f.ca_cert.empty()) {
    if (!tls::IsLocalAddress(f.server)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--server ", f.server,
          " is not a loopback address: pass --ca-cert with the server's CA "
          "certificate (ca.pem from mdefleet-server init); the enrollment "
          "secret and device token must not cross the network in plaintext"));
    }
    return std::string();
  }
  std::ifstream in(f.ca_cert, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--ca-cert: cannot read ", f.ca_cert));
  }
  std::stringstream pem;
  pem << in.rdbuf();
  absl::Status parsed =
      tls::ParseCertificatePem(pem.str(), "--ca-cert").status();
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.message(), " in ", f.ca_cert));
  }
  return pem.str();
}

[[nodiscard]] absl::StatusOr<absl::Duration> PollWait(const std::string& flag) {
  ASSIGN_OR_RETURN(const absl::Duration wait,
                   ParseDurationText(flag, "--poll-wait"));
  if (wait <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--poll-wait: \"", flag, "\" is not a positive duration like 30s"));
  }
  return wait;
}

// --state-dir, created, as an absolute path.
[[nodiscard]] absl::StatusOr<std::string> MakeStateDir(
    const std::string& flag) {
  std::error_code ec;
  std::filesystem::create_directories(flag, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("--state-dir: cannot create ", flag, ": ", ec.message()));
  }
  return std::filesystem::absolute(flag).lexically_normal().string();
}

}  // namespace

void AddSimRunnerFlags(CLI::App& app, SimRunnerFlags& f) {
  app.add_option("--server", f.server, "mdefleet-server address HOST:PORT")
      ->required();
  app.add_option("--ca-cert", f.ca_cert,
                 "CA certificate (PEM) the server's certificate must be "
                 "issued by (ca.pem from mdefleet-server init); without it "
                 "plaintext, to a loopback server only");
  auto* secret_opt =
      app.add_option("--enrollment-secret", f.enrollment_secret,
                     "runner enrollment secret (mdf_enroll_...)");
  auto* secret_file_opt =
      app.add_option("--enrollment-secret-file", f.enrollment_secret_file,
                     "file holding the enrollment secret");
  secret_opt->excludes(secret_file_opt);
  app.add_option("--state-dir", f.state_dir,
                 "state directory (identity, journal, simulated disks)")
      ->required();
  app.add_option("--labels", f.labels, "labels k=v,k=v (site, ou, role)");
  app.add_option("--poll-wait", f.poll_wait,
                 "long-poll wait, e.g. 30s (the server caps it)");
  auto* sim_opt = app.add_option("--simulate", f.simulate,
                                 "run one simulated server: <os>[+opt...], "
                                 "e.g. ws2016+mma+av");
  auto* fleet_opt = app.add_option("--simulate-fleet", f.simulate_fleet,
                                   "run N simulated servers in one process")
                        ->check(CLI::Range(1, 100000));
  sim_opt->excludes(fleet_opt);
  app.add_option("--fleet-seed", f.fleet_seed, "shifts the fleet mix")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--fleet-first", f.fleet_first,
                 "number of the fleet's first server, so several fleet "
                 "processes have distinct host names")
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--fleet-onboarded", f.fleet_onboarded,
               "every fleet server starts onboarded to MDE (with a Defender "
               "machine id), e.g. to try api_offboard");
  app.add_option("--sim-delay-ms", f.sim_delay_ms,
                 "simulated Install.ps1 run time in ms (scripts: 3/8 of it; "
                 "a started Sense service runs after 5/2 of it, at most 2 s)")
      ->check(CLI::Range(0, 600000));
}

absl::StatusOr<SimRunnerSetup> CheckSimRunnerFlags(const SimRunnerFlags& f) {
  if (f.enrollment_secret.empty() == f.enrollment_secret_file.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --enrollment-secret or --enrollment-secret-file");
  }
  if (f.simulate.empty() && f.simulate_fleet == 0) {
    return absl::InvalidArgumentError(
        "this build has no Windows host; give --simulate PROFILE or "
        "--simulate-fleet N");
  }
  SimRunnerSetup setup;
  ASSIGN_OR_RETURN(setup.poll_wait, PollWait(f.poll_wait));
  ASSIGN_OR_RETURN(setup.labels, ParseLabelList(f.labels, "--labels"));
  ASSIGN_OR_RETURN(setup.enrollment_secret, ReadSecret(f));
  ASSIGN_OR_RETURN(setup.ca_cert_pem, ReadCaCert(f));
  ASSIGN_OR_RETURN(setup.state_dir, MakeStateDir(f.state_dir));
  return setup;
}

}  // namespace mdefleet::runner
