// The api_offboard worker end to end inside one process: the real store,
// handlers, libcurl client and worker against the fake Defender API over
// loopback HTTP, with a fake clock driving both.
#include "server/defender/offboard_worker.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/defender/curl_http_client.h"
#include "server/store/api_tasks.h"
#include "server/store/time_util.h"
#include "tests/server/defender/fake_defender_api.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string MachineIdFor(absl::string_view host) {
  return Sha256Hex(host).substr(0, 40);
}

// A server with Defender API credentials, `n` enrolled offboarded-to-be
// devices, and the fake API.
class WorkerTest : public ::testing::Test {
 protected:
  void SetUpWorld(int devices, FakeDefenderOptions options = {},
                  bool with_machine_ids = true) {
    env_ = std::make_unique<TestEnv>(service::RunnerOptions{}, true);
    for (int i = 0; i < devices; ++i) {
      const std::string host = absl::StrFormat("srv-%03d", i);
      v1::DeviceFacts facts = MakeFacts(host, "2019");
      if (with_machine_ids) facts.set_mde_machine_id(MachineIdFor(host));
      devices_.push_back(env_->Enroll(facts));
    }
    fake_ = std::make_unique<FakeDefenderApi>(options, env_->clock());
    absl::StatusOr<std::string> url = fake_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
    config_.api_url = *url;
    config_.login_url = *url;
    config_.tenant_id = options.tenant_id;
    config_.client_id = options.client_id;
    config_.client_secret = secret_.empty() ? options.client_secret : secret_;
    tokens_ =
        std::make_unique<defender::TokenSource>(http_, env_->clock(), config_);
    api_ = std::make_unique<defender::DefenderApi>(http_, *tokens_,
                                                   config_.api_url);
    NewWorker();
  }

  // A fresh worker on the same database (as after a restart).
  void NewWorker() {
    worker_.reset();
    budget_ = std::make_unique<defender::ApiCallBudget>(
        env_->store(), env_->clock(), SlidingWindowLimiter::DefenderApi());
    ASSERT_TRUE(budget_->Recover().ok());
    worker_ = std::make_unique<defender::OffboardWorker>(
        env_->store(), env_->clock(), &env_->hub(), *api_, *tokens_, *budget_,
        defender::WorkerOptions{.poll_interval = absl::Seconds(5),
                                .first_backoff = absl::Seconds(1)});
    ASSERT_TRUE(worker_->Recover().ok());
  }

  std::string Submit(const std::string& comment = "decommissioned, CHG0042",
                     int max_in_flight = 0) {
    v1::SubmitJobRequest request;
    request.mutable_spec()->set_kind("api_offboard");
    request.mutable_spec()->mutable_parameters()->set_comment(comment);
    request.mutable_spec()->mutable_target()->set_all(true);
    request.mutable_spec()->mutable_policy()->set_max_in_flight(max_in_flight);
    auto response =
        env_->admin().jobs().SubmitJob(env_->admin_bearer(), request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->job().id() : "";
  }

  v1::Job Job(const std::string& id) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    auto job = env_->admin().jobs().GetJob(env_->admin_bearer(), request);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  std::vector<v1::Task> Tasks(const std::string& job_id) {
    v1::ListTasksRequest request;
    request.set_job_id(job_id);
    request.set_page_size(5000);
    auto r = env_->admin().jobs().ListTasks(env_->admin_bearer(), request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::vector<v1::Task>(r->tasks().begin(), r->tasks().end())
                  : std::vector<v1::Task>();
  }

  // Runs passes, moving the clock `step` each time, until the job is final
  // or `limit` of simulated time passed. Calls `each` after every pass.
  v1::Job RunUntilFinal(
      const std::string& job_id, absl::Duration step, absl::Duration limit,
      const std::function<void()>& each = [] {}) {
    const absl::Time end = env_->clock().Now() + limit;
    while (env_->clock().Now() < end) {
      absl::StatusOr<absl::Time> next = worker_->RunOnce();
      EXPECT_TRUE(next.ok()) << next.status();
      each();
      const v1::Job job = Job(job_id);
      if (job.state() >= v1::JOB_STATE_SUCCEEDED) return job;
      env_->clock().Advance(step);
    }
    return Job(job_id);
  }

  std::string secret_;
  std::unique_ptr<TestEnv> env_;
  std::vector<EnrolledDevice> devices_;
  std::unique_ptr<FakeDefenderApi> fake_;
  defender::DefenderConfig config_;
  defender::CurlHttpClient http_;
  std::unique_ptr<defender::TokenSource> tokens_;
  std::unique_ptr<defender::DefenderApi> api_;
  std::unique_ptr<defender::ApiCallBudget> budget_;
  std::unique_ptr<defender::OffboardWorker> worker_;
};

TEST_F(WorkerTest, OffboardsEveryDeviceAndFollowsItsMachineAction) {
  SetUpWorld(3);
  const std::string job_id = Submit();
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(2));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(job.counts().succeeded(), 3u);
  EXPECT_THAT(fake_->errors(), ::testing::IsEmpty());
  ASSERT_EQ(fake_->actions().size(), 3u);
  for (const auto& a : fake_->actions()) {
    EXPECT_EQ(a.comment, "decommissioned, CHG0042");
  }
  for (const v1::Task& task : Tasks(job_id)) {
    ASSERT_EQ(task.steps_size(), 3);
    EXPECT_EQ(task.steps(0).name(), "request_offboard");
    EXPECT_EQ(task.steps(0).state(), v1::STEP_STATE_SUCCEEDED);
    EXPECT_THAT(task.steps(0).message(), HasSubstr("created machine action"));
    EXPECT_EQ(task.steps(1).state(), v1::STEP_STATE_SUCCEEDED);
    EXPECT_THAT(task.steps(1).message(), HasSubstr("Succeeded"));
    // The sensor stopped reporting: lastSeen did not move past the action.
    EXPECT_EQ(task.steps(2).name(), "confirm_last_seen_stopped");
    EXPECT_EQ(task.steps(2).state(), v1::STEP_STATE_SUCCEEDED);
    EXPECT_THAT(task.steps(2).message(),
                AllOf(HasSubstr("lastSeen"), HasSubstr("7 days")));
  }
  // The three lastSeen checks were one batched call.
  int lists = 0;
  for (const auto& c : fake_->calls()) {
    lists += c.method == "GET" && c.path == "/api/machines";
  }
  EXPECT_EQ(lists, 1);
  // Every call counted in the budget.
  EXPECT_EQ(budget_->CallsWithin(env_->clock().Now(), absl::Hours(1)),
            static_cast<int64_t>(fake_->calls().size()));
  // One token for the whole job, cached.
  EXPECT_EQ(fake_->token_requests(), 1);
  env_->ExpectCountersMatchTasks(job_id);
}

// A device that keeps reporting after its offboarding Succeeded (onboarded
// again by a GPO, say) is not reported as offboarded.
TEST_F(WorkerTest, ADeviceStillReportingAfterTheActionFails) {
  SetUpWorld(1);
  fake_->ListMachine(MachineIdFor("srv-000"), {.dns_name = "srv-000"});
  const std::string job_id = Submit();
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(2));
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  const std::vector<v1::Task> tasks = Tasks(job_id);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].steps(1).state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(tasks[0].steps(2).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(tasks[0].message(),
              AllOf(HasSubstr("lastSeen kept moving"),
                    HasSubstr("still reports to Defender")));
}

// The lastSeen check is extra: when the API refuses it, the offboarding
// Defender reported Succeeded still succeeds, and the step says why it did
// not run.
TEST_F(WorkerTest, ALastSeenCheckTheApiRefusesIsSkippedSayingWhy) {
  SetUpWorld(1);
  const std::string job_id = Submit();
  // Refuse every lastSeen check from the start of the confirm step on.
  bool refused = false;
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(2), [&] {
        const std::vector<v1::Task> t = Tasks(job_id);
        if (!refused && t.size() == 1 && t[0].steps_size() == 3 &&
            t[0].steps(2).state() == v1::STEP_STATE_RUNNING) {
          fake_->RefuseMachineListsForTest(403);
          refused = true;
        }
      });
  ASSERT_TRUE(refused);
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  const std::vector<v1::Task> tasks = Tasks(job_id);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].steps(2).state(), v1::STEP_STATE_SKIPPED);
  EXPECT_THAT(tasks[0].steps(2).message(),
              AllOf(HasSubstr("lastSeen could not be checked"),
                    HasSubstr("403"), HasSubstr("Machine.Read.All")));
}

TEST_F(WorkerTest, RunnersNeverLeaseApiOffboardTasks) {
  SetUpWorld(2);
  Submit();
  for (const EnrolledDevice& d : devices_) {
    EXPECT_EQ(env_->Poll(d).tasks_size(), 0);
  }
}

TEST_F(WorkerTest, SubmitWithoutCredentialsIsRefused) {
  SetUpWorld(1);
  TestEnv plain;  // started without --defender-* flags
  plain.Enroll(MakeFacts("srv-x", "2019"));
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_kind("api_offboard");
  request.mutable_spec()->mutable_parameters()->set_comment("why");
  request.mutable_spec()->mutable_target()->set_all(true);
  auto response = plain.admin().jobs().SubmitJob(plain.admin_bearer(), request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(),
              AllOf(HasSubstr("--defender-tenant-id"),
                    HasSubstr("--defender-client-secret-file"),
                    HasSubstr("Machine.Offboard")));
  EXPECT_EQ(plain.Count("jobs"), 0);
}

TEST_F(WorkerTest, BurstOf250StaysWithinTheRateLimitAndShowsTheWaiting) {
  FakeDefenderOptions options;
  options.complete_after = absl::Seconds(20);
  options.scheduled = {{5, 429}, {50, 503}, {120, 500}, {180, 429}};
  SetUpWorld(250, options);
  const std::string job_id = Submit();
  uint32_t most_waiting = 0;
  bool saw_message = false;
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(10), [&] {
        const v1::Job j = Job(job_id);
        most_waiting = std::max(most_waiting, j.rollout().api_waiting());
        if (!saw_message && j.rollout().api_waiting() > 0) {
          for (const v1::Task& t : Tasks(job_id)) {
            if (t.state() == v1::TASK_STATE_QUEUED &&
                absl::StartsWith(t.message(),
                                 "waiting for the Defender API rate limit (")) {
              saw_message = true;
            }
          }
        }
      });
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(job.counts().succeeded(), 250u);
  EXPECT_LE(fake_->MaxCallsInWindow(absl::Seconds(60)), 100);
  EXPECT_EQ(fake_->violations(), 0);
  EXPECT_THAT(fake_->errors(), ::testing::IsEmpty());
  EXPECT_EQ(fake_->actions().size(), 250u);  // nobody offboarded twice
  EXPECT_GE(most_waiting, 100u);
  EXPECT_TRUE(saw_message);
  env_->ExpectCountersMatchTasks(job_id);
  std::printf(
      "burst of 250: %zu API calls, max %d in 60 s, finished after "
      "%s of simulated time\n",
      fake_->calls().size(), fake_->MaxCallsInWindow(absl::Seconds(60)),
      absl::FormatDuration(env_->clock().Now() - TestEpoch()).c_str());
}

TEST_F(WorkerTest, RetriesServerErrorsAndHonoursRetryAfter) {
  FakeDefenderOptions options;
  options.scheduled = {{1, 429}, {2, 503}, {3, 502}};
  options.retry_after_seconds = 7;
  SetUpWorld(1, options);
  const std::string job_id = Submit();
  ASSERT_TRUE(worker_->RunOnce().ok());
  std::vector<v1::Task> tasks = Tasks(job_id);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_THAT(tasks[0].steps(0).message(),
              AllOf(HasSubstr("429"), HasSubstr("waiting 7s (Retry-After)")));
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(2));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  const auto calls = fake_->calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_GE(calls[1].at - calls[0].at, absl::Seconds(7));  // Retry-After
  EXPECT_EQ(fake_->actions().size(), 1u);
}

TEST_F(WorkerTest, UnknownMachineFailsWithInterpretedMessage) {
  FakeDefenderOptions options;
  options.known_machines = {MachineIdFor("srv-000")};
  SetUpWorld(2, options);
  const std::string job_id = Submit();
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(2));
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().succeeded(), 1u);
  EXPECT_EQ(job.counts().failed(), 1u);
  bool found = false;
  for (const v1::Task& t : Tasks(job_id)) {
    if (t.state() != v1::TASK_STATE_FAILED) continue;
    found = true;
    EXPECT_THAT(t.message(), AllOf(HasSubstr("404 ResourceNotFound"),
                                   HasSubstr("unknown to Defender")));
    EXPECT_EQ(t.steps(0).state(), v1::STEP_STATE_FAILED);
    EXPECT_EQ(t.steps(1).state(), v1::STEP_STATE_SKIPPED);
  }
  EXPECT_TRUE(found);
}

TEST_F(WorkerTest, WrongSecretFailsWithoutRevealingIt) {
  secret_ = "wrong~Secret.value-should-never-be-shown";
  SetUpWorld(1);
  const std::string job_id = Submit();
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(1));
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  const std::vector<v1::Task> tasks = Tasks(job_id);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_THAT(tasks[0].message(),
              AllOf(HasSubstr("AADSTS7000215"),
                    HasSubstr("--defender-client-secret-file"),
                    Not(HasSubstr(secret_))));
  EXPECT_TRUE(fake_->calls().empty());  // no API call without a token
  EXPECT_THAT(env_->Snapshot(), Not(HasSubstr(secret_)));
}

TEST_F(WorkerTest, DeviceWithoutMachineIdIsSkippedWithTheReason) {
  SetUpWorld(1, {}, /*with_machine_ids=*/false);
  const std::string job_id = Submit();
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(1));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.counts().skipped(), 1u);
  EXPECT_THAT(Tasks(job_id)[0].message(), HasSubstr("no Defender machine id"));
  EXPECT_TRUE(fake_->calls().empty());
}

TEST_F(WorkerTest, AfterACrashMidRequestTheActionIsAdoptedNotRequestedTwice) {
  SetUpWorld(1);
  const std::string job_id = Submit();
  // The server started the task and sent the POST, then died before it
  // recorded the answer.
  std::optional<store::ApiTask> started;
  ASSERT_TRUE(env_->store()
                  .Write([&](store::Connection& db) -> absl::Status {
                    store::WriteEffects effects;
                    auto t = store::StartApiTask(
                        db, Tasks(job_id)[0].id(),
                        store::ToMicros(env_->clock().Now()), &effects);
                    if (!t.ok()) return t.status();
                    started = *t;
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(api_->Offboard(started->machine_id, started->comment).ok());
  env_->clock().Advance(absl::Seconds(3));
  NewWorker();  // the restarted server
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(1));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(fake_->actions().size(), 1u);
  int posts = 0;
  for (const auto& c : fake_->calls()) posts += c.method == "POST";
  EXPECT_EQ(posts, 1);
  EXPECT_THAT(Tasks(job_id)[0].steps(0).message(),
              HasSubstr("found machine action"));
}

TEST_F(WorkerTest, TheRateLimitHoldsAcrossARestart) {
  FakeDefenderOptions options;
  options.complete_after = absl::Seconds(1);
  SetUpWorld(150, options);
  const std::string job_id = Submit();
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(fake_->calls().size(), 100u);
  env_->clock().Advance(absl::Seconds(10));
  NewWorker();  // restarted: the 100 calls of 10 s ago still count
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(fake_->calls().size(), 100u);
  const v1::Job job = RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(5));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_LE(fake_->MaxCallsInWindow(absl::Seconds(60)), 100);
  EXPECT_EQ(fake_->violations(), 0);
}

TEST_F(WorkerTest, CancellingTheJobEndsTasksWaitingForTheDevice) {
  FakeDefenderOptions options;
  options.complete_after = absl::Hours(100);  // the device never comes back
  SetUpWorld(2, options);
  const std::string job_id = Submit();
  ASSERT_TRUE(worker_->RunOnce().ok());
  v1::CancelJobRequest cancel;
  cancel.set_job_id(job_id);
  ASSERT_TRUE(
      env_->admin().jobs().CancelJob(env_->admin_bearer(), cancel).ok());
  env_->clock().Advance(absl::Seconds(1));
  ASSERT_TRUE(worker_->RunOnce().ok());
  for (const v1::Task& t : Tasks(job_id)) {
    EXPECT_EQ(t.state(), v1::TASK_STATE_CANCELLED);
    EXPECT_THAT(t.message(), HasSubstr("stays in Defender"));
  }
}

TEST_F(WorkerTest, MaxInFlightLimitsOutstandingMachineActions) {
  FakeDefenderOptions options;
  options.complete_after = absl::Seconds(30);
  SetUpWorld(5, options);
  const std::string job_id = Submit("retired", /*max_in_flight=*/2);
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(fake_->actions().size(), 2u);
  EXPECT_EQ(Job(job_id).rollout().api_waiting(), 0u);  // rollout, not limit
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(1), absl::Minutes(10));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
}

}  // namespace
}  // namespace mdefleet::testing
