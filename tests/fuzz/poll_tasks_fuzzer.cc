// libFuzzer target: the runner's handling of PollTasks responses
// (runner/client/poll_response.h): stale journals, then every leased task's
// plan run step by step with journal, reports and restarts. A response comes
// from the network; whoever answers in the server's place (a spoofed or
// compromised server) controls all of it, and the runner must neither crash
// nor step outside its action policy. Runs against a fresh simulated Windows
// Server per input (runner/host/sim), with a fake clock and an in-process
// server stand-in: no network, no real process, no real waiting.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/evidence_limits.h"
#include "common/sha256.h"
#include "runner/client/poll_response.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/sim/sim_profile.h"
#include "runner/host/sim/simulated_host.h"
#include "tests/fuzz/fuzz_artifacts.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_inputs.pb.h"
#include "tests/fuzz/fuzz_proto.h"
#include "tests/testing/fake_clock.h"

namespace mdefleet {
namespace {

// Bounds that keep one input well under a second.
constexpr int kMaxPolls = 4;
constexpr int kMaxTasksPerPoll = 4;
constexpr int kMaxStepsPerTask = 40;

// The stand-in artifacts, by SHA-256, as the server would stream them.
class StandInFetcher : public runner::ArtifactFetcher {
 public:
  absl::StatusOr<std::string> Fetch(absl::string_view artifact_id) override {
    for (const std::string& content : fuzz::AllStandIns()) {
      if (Sha256Hex(content) == artifact_id) return content;
    }
    return absl::NotFoundError(absl::StrCat("artifact ", artifact_id));
  }
};

// The server's answers to reports, as the input says.
class ScriptedReporter : public runner::StepReporter {
 public:
  explicit ScriptedReporter(const fuzz::PollTasksFuzzInput& input)
      : input_(input) {}

  absl::StatusOr<v1::ReportStepResponse> ReportStep(
      const v1::ReportStepRequest& request) override {
    ++reports_;
    // Reports carry no more than the task's own identifiers.
    FUZZ_CHECK(request.task_state() == v1::TASK_STATE_UNSPECIFIED ||
                   request.state() != v1::STEP_STATE_RUNNING,
               "a RUNNING report that ends the task");
    if (Reached(input_.unavailable_at_report())) {
      return absl::UnavailableError("server unreachable");
    }
    if (Reached(input_.lease_lost_at_report())) {
      return absl::FailedPreconditionError("lease lost");
    }
    v1::ReportStepResponse response;
    if (Reached(input_.cancel_at_report())) {
      response.set_cancel(true);
      response.set_cancel_reason("cancelled by fuzzer");
    }
    return response;
  }
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(
      const v1::HeartbeatRequest&) override {
    return v1::HeartbeatResponse();
  }
  absl::StatusOr<v1::UploadEvidenceResponse> UploadEvidence(
      const v1::UploadEvidenceRequest& request) override {
    FUZZ_CHECK(ValidateEvidenceUpload(request).ok(),
               "evidence outside its bounds");
    return v1::UploadEvidenceResponse();
  }
  absl::StatusOr<v1::UploadDiagnosticsChunkResponse> UploadDiagnosticsChunk(
      const v1::UploadDiagnosticsChunkRequest& request) override {
    v1::UploadDiagnosticsChunkResponse response;
    response.set_received(request.offset() + request.data().size());
    response.set_complete(response.received() == request.total_size());
    return response;
  }

 private:
  bool Reached(uint32_t at) const { return at != 0 && reports_ >= at; }

  const fuzz::PollTasksFuzzInput& input_;
  uint32_t reports_ = 0;
};

// A directory per input under one per process, removed at exit.
std::string FreshRoot() {
  static const std::filesystem::path* base = [] {
    auto* path = new std::filesystem::path(
        std::filesystem::temp_directory_path() /
        absl::StrCat("mdefleet-poll-fuzz.", getpid()));
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(
          std::filesystem::temp_directory_path() /
              absl::StrCat("mdefleet-poll-fuzz.", getpid()),
          ec);
    });
    return path;
  }();
  const std::filesystem::path root = *base / "host";
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return root.string();
}

bool WithinBounds(const fuzz::PollTasksFuzzInput& input) {
  if (input.polls_size() > kMaxPolls) return false;
  for (const v1::PollTasksResponse& poll : input.polls()) {
    if (poll.tasks_size() > kMaxTasksPerPoll) return false;
    for (const v1::LeasedTask& task : poll.tasks()) {
      if (task.plan().steps_size() > kMaxStepsPerTask) return false;
    }
  }
  return true;
}

int FuzzPollTasks(const uint8_t* data, size_t size) {
  fuzz::PollTasksFuzzInput input;
  if (!fuzz::ParseQuietly(data, size, &input)) return -1;
  if (!WithinBounds(input)) return -1;

  testing::FakeClock clock(
      absl::FromUnixSeconds(1742040000));  // 2025-03-15 12:00Z
  runner::sim::SimulatedHostOptions options;
  absl::StatusOr<runner::sim::SimProfile> profile =
      runner::sim::ParseSimProfile(input.sim_profile());
  if (!profile.ok()) profile = runner::sim::ParseSimProfile("ws2019");
  options.profile = *profile;
  options.root_dir = FreshRoot();
  options.hostname = "SIM-FUZZ-0001";
  options.installer_delay = absl::ZeroDuration();
  options.script_delay = absl::ZeroDuration();
  options.jitter = 0;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<runner::sim::SimulatedHost>> host =
      runner::sim::SimulatedHost::Create(options);
  FUZZ_CHECK(host.ok(), host.status().ToString());

  ScriptedReporter reporter(input);
  runner::TaskRunnerOptions task_options;
  task_options.clock = &clock;
  task_options.collect_facts = [&host] {
    return runner::CollectFacts(**host, {});
  };
  task_options.report_retry_budget = absl::ZeroDuration();
  task_options.heartbeat_interval = absl::Hours(1);
  task_options.sleep = [&clock](absl::Duration d) {
    clock.Advance(d);
    return false;
  };
  const runner::FetcherFactory fetcher_for = [](const v1::LeasedTask&) {
    return std::make_unique<StandInFetcher>();
  };
  for (const v1::PollTasksResponse& poll : input.polls()) {
    std::optional<runner::TaskOutcome> rebooting =
        runner::HandlePollResponse(poll, **host, reporter, fetcher_for,
                                   task_options, [](absl::string_view) {});
    // The simulated machine restarts at once (its boot time moves); the
    // runner polls again after the restart delay.
    clock.Advance(rebooting ? rebooting->reboot_delay + absl::Minutes(1)
                            : absl::Seconds(30));
  }
  return 0;
}

}  // namespace
}  // namespace mdefleet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mdefleet::FuzzPollTasks(data, size);
}
