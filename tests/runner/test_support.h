// Shared helpers for the runner tests: simulated hosts with no delays, sample
// artifacts, an in-memory ArtifactFetcher and a recording StepReporter.
#ifndef MDEFLEET_TESTS_RUNNER_TEST_SUPPORT_H_
#define MDEFLEET_TESTS_RUNNER_TEST_SUPPORT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/plan/plan.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/client/task_runner.h"
#include "runner/executor/artifact_fetcher.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/sim/simulated_host.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::runner::testing {

// The tests' task work directory.
inline constexpr char kWork[] = "C:\\ProgramData\\mdefleet\\work\\t1";
// run_install_ps1's index in the 2016 onboard plan.
inline constexpr uint32_t kRunInstallPs1 = 4;

// A simulated server for `spec` rooted in `root`, reading `clock` (the real
// one when null), with no simulated delays unless `installer_delay` says how
// long Install.ps1 takes.
inline std::unique_ptr<sim::SimulatedHost> MakeSim(
    const std::string& spec, const std::string& root,
    const std::string& hostname = "SIM-TEST-0001", Clock* clock = nullptr,
    absl::Duration installer_delay = absl::ZeroDuration()) {
  auto profile = sim::ParseSimProfile(spec);
  EXPECT_TRUE(profile.ok()) << profile.status();
  sim::SimulatedHostOptions o;
  o.root_dir = root;
  o.profile = *profile;
  o.hostname = hostname;
  o.installer_delay = installer_delay;
  o.script_delay = absl::ZeroDuration();
  o.jitter = 0;
  if (clock != nullptr) o.clock = clock;
  auto host = sim::SimulatedHost::Create(std::move(o));
  EXPECT_TRUE(host.ok()) << host.status();
  return host.ok() ? *std::move(host) : nullptr;
}

inline constexpr char kPowerShell[] =
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe";
inline constexpr char kCmd[] = "C:\\Windows\\System32\\cmd.exe";

// A process request with the given program, args and timeout.
inline ProcessRequest Req(std::string program, std::vector<std::string> args,
                          absl::Duration timeout = absl::Minutes(1)) {
  ProcessRequest r;
  r.program = std::move(program);
  r.args = std::move(args);
  r.timeout = timeout;
  return r;
}

// Stand-ins for Microsoft's files, with the markers the real ones carry.
inline const std::string& InstallPs1Content() {
  static const std::string s =
      "# Install.ps1 (test stand-in for mdefordownlevelserver)\r\n";
  return s;
}
inline const std::string& MsiContent() {
  static const std::string s = std::string("\xd0\xcf\x11\xe0 md4ws.msi", 14);
  return s;
}
inline const std::string& OnboardingScriptContent() {
  static const std::string s =
      "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
      "Advanced Threat Protection\" /v OnboardingInfo /t REG_SZ /f /d "
      "\"{\\\"body\\\":\\\"secret-tenant-data\\\"}\"\r\n";
  return s;
}
inline const std::string& OffboardingScriptContent() {
  static const std::string s =
      "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
      "Advanced Threat Protection\" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A "
      "/t REG_SZ /f /d \"{}\"\r\n";
  return s;
}
inline constexpr char kOffboardingName[] =
    "WindowsDefenderATPOffboardingScript_valid_until_2099-12-31.cmd";

// ArtifactFetcher over an in-memory map id -> content.
class FakeFetcher : public ArtifactFetcher {
 public:
  // Adds `content` under its SHA-256; returns the id.
  std::string Add(const std::string& content) {
    std::string id = Sha256Hex(content);
    artifacts_[id] = content;
    return id;
  }
  // Serves `content` under `id` (e.g. a tampered file).
  void AddWithId(const std::string& id, const std::string& content) {
    artifacts_[id] = content;
  }
  absl::StatusOr<std::string> Fetch(absl::string_view artifact_id) override {
    ++fetches_;
    auto it = artifacts_.find(std::string(artifact_id));
    if (it == artifacts_.end()) {
      return absl::NotFoundError(absl::StrCat("artifact ", artifact_id));
    }
    return it->second;
  }
  int fetches() const { return fetches_; }

 private:
  std::map<std::string, std::string> artifacts_;
  int fetches_ = 0;
};

// StepReporter that records every request; `fail` can refuse a report.
class RecordingReporter : public StepReporter {
 public:
  absl::StatusOr<v1::ReportStepResponse> ReportStep(
      const v1::ReportStepRequest& request) override {
    if (fail) {
      absl::Status s = fail(request);
      if (!s.ok()) return s;
    }
    requests.push_back(request);
    v1::ReportStepResponse response;
    response.set_cancel(cancel_after_reports > 0 &&
                        static_cast<int>(requests.size()) >=
                            cancel_after_reports);
    if (response.cancel()) response.set_cancel_reason(cancel_reason);
    return response;
  }
  // Heartbeats come from the step's LeaseKeeper thread.
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(
      const v1::HeartbeatRequest& request) override {
    absl::MutexLock lock(&heartbeat_mu);
    heartbeats.push_back(request);
    if (heartbeat_status.ok()) return v1::HeartbeatResponse();
    return heartbeat_status;
  }
  int HeartbeatCount() {
    absl::MutexLock lock(&heartbeat_mu);
    return static_cast<int>(heartbeats.size());
  }
  absl::StatusOr<v1::UploadEvidenceResponse> UploadEvidence(
      const v1::UploadEvidenceRequest& request) override {
    evidence.push_back(request);
    return v1::UploadEvidenceResponse();
  }
  // Keeps the chunks in order as the server does; complete at the end.
  absl::StatusOr<v1::UploadDiagnosticsChunkResponse> UploadDiagnosticsChunk(
      const v1::UploadDiagnosticsChunkRequest& request) override {
    if (request.offset() == 0) bundle.clear();
    if (request.offset() != bundle.size()) {
      return absl::InvalidArgumentError("offset: out of order");
    }
    bundle.append(request.data());
    v1::UploadDiagnosticsChunkResponse response;
    response.set_received(bundle.size());
    response.set_complete(bundle.size() == request.total_size());
    if (response.complete()) bundle_sha256 = request.sha256();
    return response;
  }
  // Final (non-RUNNING) reports in order.
  std::vector<v1::ReportStepRequest> Finals() const {
    std::vector<v1::ReportStepRequest> out;
    for (const auto& r : requests) {
      if (r.state() != v1::STEP_STATE_RUNNING) out.push_back(r);
    }
    return out;
  }

  std::vector<v1::ReportStepRequest> requests;
  std::vector<v1::UploadEvidenceRequest> evidence;
  std::string bundle;  // the diagnostics bundle received
  std::string bundle_sha256;
  std::function<absl::Status(const v1::ReportStepRequest&)> fail;
  int cancel_after_reports = 0;  // answer cancel from this report on
  std::string cancel_reason;
  absl::Mutex heartbeat_mu;
  std::vector<v1::HeartbeatRequest> heartbeats ABSL_GUARDED_BY(heartbeat_mu);
  absl::Status heartbeat_status;
};

// The plan of an onboard job for `host` (its facts as collected now), with
// the stand-in Install.ps1, md4ws.msi and onboarding script added to
// `fetcher`.
inline absl::StatusOr<v1::Plan> OnboardPlan(Host& host, FakeFetcher& fetcher) {
  PlanInputs inputs;
  inputs.kind = "onboard";
  inputs.install_script =
      ArtifactRef{fetcher.Add(InstallPs1Content()), "Install.ps1"};
  inputs.installer_msi = ArtifactRef{fetcher.Add(MsiContent()), "md4ws.msi"};
  inputs.onboarding_script =
      ArtifactRef{fetcher.Add(OnboardingScriptContent()),
                  "WindowsDefenderATPOnboardingScript.cmd"};
  auto facts = CollectFacts(host, {});
  if (!facts.ok()) return facts.status();
  return BuildPlan(inputs, *facts);
}

}  // namespace mdefleet::runner::testing

#endif  // MDEFLEET_TESTS_RUNNER_TEST_SUPPORT_H_
