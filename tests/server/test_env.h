// Shared fixtures for the server tests: a temp database, a fake clock, the
// handlers wired as in serve (without gRPC), and helpers.
#ifndef MDEFLEET_TESTS_SERVER_TEST_ENV_H_
#define MDEFLEET_TESTS_SERVER_TEST_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/auth/authenticator.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/event_hub.h"
#include "server/service/lease_reaper.h"
#include "server/service/peer_identity.h"
#include "server/service/runner_handlers.h"
#include "server/store/store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {

struct EnrolledDevice {
  std::string id;
  std::string token;
  std::string bearer;  // "Bearer <token>"
};

// 2024-03-01 12:00 UTC.
absl::Time TestEpoch();

// Facts of a simulated Windows Server: os is one of 2012r2, 2016, 2019,
// 2022 or an explicit version such as "6.1.7601".
v1::DeviceFacts MakeFacts(absl::string_view hostname, absl::string_view os);

// Sample artifact contents that pass validation.
std::string OnboardingScript(size_t padding = 0);
std::string OffboardingScript();
std::string InstallScript();
std::string InstallerMsi();

// What `--db` names for a new test store: a file in `dir`, or a new database
// of the test cluster when TestsUsePostgres().
std::string NewTestStore(const TempDir& dir);

class TestEnv {
 public:
  // `defender_api_configured`: as if serve had Defender API credentials
  // (api_offboard accepted).
  explicit TestEnv(service::RunnerOptions runner_options = {},
                   bool defender_api_configured = false);
  ~TestEnv();

  store::Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  service::RunnerHandlers& runner() { return *runner_; }
  service::AdminHandlers& admin() { return *admin_; }
  auth::Authenticator& authenticator() { return *auth_; }
  service::EventHub& hub() { return *hub_; }
  service::LeaseReaper& reaper() { return *reaper_; }
  const std::string& admin_bearer() const { return admin_bearer_; }
  const std::string& enroll_bearer() const { return enroll_bearer_; }
  // The store's `--db`: a file, or a postgresql:// URL.
  const std::string& db_path() const { return db_path_; }

  EnrolledDevice Enroll(const v1::DeviceFacts& facts);
  // Uploads content; fails the test on error.
  v1::Artifact Upload(v1::ArtifactKind kind, absl::string_view name,
                      absl::string_view content);
  // Stores an artifact as an earlier upload would have (no audit row): a
  // fixture's starting state.
  v1::Artifact SeedArtifact(v1::ArtifactKind kind, absl::string_view name,
                            absl::string_view content);
  absl::StatusOr<v1::Artifact> TryUpload(v1::ArtifactKind kind,
                                         absl::string_view name,
                                         absl::string_view content);
  v1::PollTasksResponse Poll(const EnrolledDevice& device);

  // Every row of every table but the append-only audit_log (refusals are
  // audited), for "nothing changed" checks.
  std::string Snapshot();
  int64_t Count(absl::string_view table);
  // Fails the test when a job's counters disagree with its tasks.
  void ExpectCountersMatchTasks(absl::string_view job_id);
  // Fails the test when job_step_counts disagrees with the steps (run by
  // the destructor too).
  void ExpectStepCountsMatchSteps();

 private:
  TempDir dir_;
  std::string db_path_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Authenticator> auth_;
  std::unique_ptr<service::EventHub> hub_;
  std::unique_ptr<service::RunnerHandlers> runner_;
  std::unique_ptr<service::AdminHandlers> admin_;
  std::unique_ptr<service::LeaseReaper> reaper_;
  std::string admin_bearer_;
  std::string enroll_bearer_;
};

// Reports every step of a leased task SUCCEEDED (RUNNING first), the last
// one ending the task with `end`.
void RunTaskToEnd(TestEnv& env, const EnrolledDevice& device,
                  const v1::LeasedTask& task,
                  v1::TaskState end = v1::TASK_STATE_SUCCEEDED);

v1::ReportStepRequest Report(const v1::LeasedTask& task, uint32_t step,
                             v1::StepState state);

// A TLS peer that presented no client certificate.
service::PeerIdentity TlsWithout();

// The ids of a device's needs ("offline", "cloned"...), in order.
std::vector<std::string> NeedIds(const v1::Device& device);

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_TEST_ENV_H_
