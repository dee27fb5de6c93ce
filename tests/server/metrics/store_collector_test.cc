// The store-derived gauges on a real SQLite file: enroll, submit, report,
// scrape, and compare with what the admin API says.
#include "server/metrics/store_collector.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/metrics/text_exposition.h"
#include "server/store/metrics_queries.h"
#include "tests/server/metrics/exposition_parser.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using metrics::EnumLabel;
using metrics::StoreCollector;

constexpr absl::Duration kOnlineWindow = absl::Seconds(90);

class StoreCollectorTest : public ::testing::Test {
 protected:
  explicit StoreCollectorTest(bool defender_api = false)
      : env_({}, defender_api),
        collector_(env_.store(), env_.clock(), kOnlineWindow) {}

  Exposition Scrape() {
    const std::string text = metrics::RenderText({&collector_});
    absl::StatusOr<Exposition> parsed = ParseExposition(text);
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    if (!parsed.ok()) return {};
    EXPECT_EQ(parsed->Value("mdefleet_collector_up", {{"collector", "store"}}),
              1);
    return *parsed;
  }
  static double Get(const Exposition& e, absl::string_view name,
                    const std::map<std::string, std::string>& labels = {}) {
    std::optional<double> v = e.Value(name, labels);
    EXPECT_TRUE(v.has_value()) << "no sample " << name;
    return v.value_or(-1);
  }

  v1::Device Device(const EnrolledDevice& d) {
    v1::GetDeviceRequest req;
    req.set_device_id(d.id);
    auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), req);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.value_or(v1::Device());
  }
  v1::Job Job(const std::string& id) {
    v1::GetJobRequest req;
    req.set_job_id(id);
    auto job = env_.admin().jobs().GetJob(env_.admin_bearer(), req);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.value_or(v1::Job());
  }

  TestEnv env_;
  StoreCollector collector_;
};

TEST_F(StoreCollectorTest, AnEmptyStoreHasEveryKnownSeriesAtZero) {
  Exposition e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_devices",
                {{"os_family", "ws2019"}, {"mde_state", "onboarded"}}),
            0);
  EXPECT_EQ(e.Family("mdefleet_devices")->samples.size(), 5u * 4u);
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "online"}}), 0);
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "offline"}}), 0);
  EXPECT_EQ(Get(e, "mdefleet_jobs", {{"state", "running"}}), 0);
  EXPECT_EQ(e.Family("mdefleet_jobs")->samples.size(), 7u);
  EXPECT_TRUE(e.Family("mdefleet_tasks")->samples.empty());
  EXPECT_TRUE(e.Family("mdefleet_step_failures")->samples.empty());
  EXPECT_EQ(Get(e, "mdefleet_api_offboard_queue_length"), 0);
  for (const char* gauge :
       {"mdefleet_devices", "mdefleet_runners", "mdefleet_jobs",
        "mdefleet_tasks", "mdefleet_step_failures",
        "mdefleet_api_offboard_queue_length"}) {
    ASSERT_NE(e.Family(gauge), nullptr) << gauge;
    EXPECT_EQ(e.Family(gauge)->type, "gauge") << gauge;
    EXPECT_FALSE(e.Family(gauge)->help->empty()) << gauge;
  }
}

TEST_F(StoreCollectorTest, GaugesFollowEnrollmentJobsAndStepReports) {
  EnrolledDevice a = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("WEB-2019-02", "2019"));
  v1::DeviceFacts onboarded = MakeFacts("APP-2022-01", "2022");
  onboarded.set_sense_state(v1::SERVICE_STATE_RUNNING);
  onboarded.set_onboarding_state(1);
  EnrolledDevice c = env_.Enroll(onboarded);

  // Devices: the same cells the admin API reports.
  std::map<std::pair<std::string, std::string>, int> expected;
  for (const EnrolledDevice* d : {&a, &b, &c}) {
    v1::Device device = Device(*d);
    ++expected[{
        EnumLabel(*v1::OsFamily_descriptor(), device.facts().os_family()),
        EnumLabel(*v1::MdeState_descriptor(), device.facts().mde_state())}];
  }
  ASSERT_EQ(expected.size(), 2u);  // two 2019s alike, one 2022
  Exposition e = Scrape();
  for (const auto& [cell, n] : expected) {
    EXPECT_EQ(Get(e, "mdefleet_devices",
                  {{"os_family", cell.first}, {"mde_state", cell.second}}),
              n)
        << cell.first << "/" << cell.second;
  }
  double total = 0;
  for (const ParsedSample& s : e.Family("mdefleet_devices")->samples) {
    total += s.value;
  }
  EXPECT_EQ(total, 3);
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "online"}}), 3);
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "offline"}}), 0);

  // An onboard job for the two 2019 devices: both tasks queued.
  const v1::Artifact script =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_kind("onboard");
  submit.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
      script.id());
  submit.mutable_spec()->mutable_target()->add_os_families(
      v1::OS_FAMILY_WS2019);
  auto submitted = env_.admin().jobs().SubmitJob(env_.admin_bearer(), submit);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  const std::string job_id = submitted->job().id();
  e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_jobs", {{"state", "running"}}) +
                Get(e, "mdefleet_jobs", {{"state", "pending"}}),
            1);
  EXPECT_EQ(
      Get(e, "mdefleet_tasks", {{"job_kind", "onboard"}, {"state", "queued"}}),
      2);
  EXPECT_EQ(
      Get(e, "mdefleet_tasks", {{"job_kind", "onboard"}, {"state", "failed"}}),
      0);

  // a fails its first step; b runs to the end.
  v1::LeasedTask ta = env_.Poll(a).tasks(0);
  ASSERT_TRUE(env_.runner()
                  .ReportStep(a.bearer, Report(ta, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  v1::ReportStepRequest fail = Report(ta, 0, v1::STEP_STATE_FAILED);
  fail.set_message("third-party antivirus present");
  fail.set_task_state(v1::TASK_STATE_FAILED);
  ASSERT_TRUE(env_.runner().ReportStep(a.bearer, fail).ok());
  v1::LeasedTask tb = env_.Poll(b).tasks(0);
  e = Scrape();
  EXPECT_EQ(
      Get(e, "mdefleet_tasks", {{"job_kind", "onboard"}, {"state", "failed"}}),
      1);
  EXPECT_EQ(
      Get(e, "mdefleet_tasks", {{"job_kind", "onboard"}, {"state", "leased"}}),
      1);
  RunTaskToEnd(env_, b, tb);

  const v1::Job job = Job(job_id);
  ASSERT_EQ(job.failing_steps_size(), 1);
  const std::string failed_step = job.failing_steps(0).step_name();
  e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_step_failures", {{"step", failed_step}}), 1);
  EXPECT_EQ(e.Family("mdefleet_step_failures")->samples.size(), 1u);
  EXPECT_EQ(Get(e, "mdefleet_tasks",
                {{"job_kind", "onboard"}, {"state", "succeeded"}}),
            1);
  EXPECT_EQ(
      Get(e, "mdefleet_tasks", {{"job_kind", "onboard"}, {"state", "queued"}}),
      0);
  EXPECT_EQ(
      Get(e, "mdefleet_jobs",
          {{"state", EnumLabel(*v1::JobState_descriptor(), job.state())}}),
      1);
  EXPECT_EQ(Get(e, "mdefleet_api_offboard_queue_length"), 0);

  // Past the online window only the runner that calls in again is online.
  env_.clock().Advance(kOnlineWindow + absl::Seconds(1));
  env_.Poll(c);
  e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "online"}}), 1);
  EXPECT_EQ(Get(e, "mdefleet_runners", {{"status", "offline"}}), 2);
}

class ApiOffboardQueueTest : public StoreCollectorTest {
 protected:
  ApiOffboardQueueTest() : StoreCollectorTest(/*defender_api=*/true) {}
};

TEST_F(ApiOffboardQueueTest, CountsApiOffboardTasksNotYetFinal) {
  for (int i = 0; i < 3; ++i) {
    v1::DeviceFacts facts = MakeFacts(absl::StrCat("OLD-", i), "2019");
    facts.set_mde_machine_id(absl::StrCat(std::string(39, 'a'), i));
    env_.Enroll(facts);
  }
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_kind("api_offboard");
  submit.mutable_spec()->mutable_parameters()->set_comment("decommissioned");
  submit.mutable_spec()->mutable_target()->set_all(true);
  auto submitted = env_.admin().jobs().SubmitJob(env_.admin_bearer(), submit);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  Exposition e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_api_offboard_queue_length"), 3);
  EXPECT_EQ(Get(e, "mdefleet_tasks",
                {{"job_kind", "api_offboard"}, {"state", "queued"}}),
            3);

  v1::CancelJobRequest cancel;
  cancel.set_job_id(submitted->job().id());
  cancel.set_reason("changed our minds");
  auto cancelled = env_.admin().jobs().CancelJob(env_.admin_bearer(), cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  e = Scrape();
  EXPECT_EQ(Get(e, "mdefleet_api_offboard_queue_length"), 0);
  EXPECT_EQ(Get(e, "mdefleet_tasks",
                {{"job_kind", "api_offboard"}, {"state", "cancelled"}}),
            3);
}

// The scrape reads index entries: the query plans name the indexes of
// migrations/0006_metrics_indexes.sql (and jobs_by_state).
TEST_F(StoreCollectorTest, QueriesUseTheirIndexes) {
  const auto plan = [&](const char* sql) {
    std::string out;
    absl::Status s =
        env_.store().Read([&](store::Connection& db) -> absl::Status {
          ASSIGN_OR_RETURN(
              std::unique_ptr<store::Statement> st,
              db.PrepareOnce(absl::StrCat("EXPLAIN QUERY PLAN ", sql)));
          while (true) {
            ASSIGN_OR_RETURN(bool row, st->Step());
            if (!row) break;
            absl::StrAppend(&out, st->ColumnText(3), "\n");
          }
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  };
  EXPECT_NE(
      plan(store::kMetricsDevicesSql).find("COVERING INDEX devices_by_os_mde"),
      std::string::npos)
      << plan(store::kMetricsDevicesSql);
  EXPECT_NE(plan(store::kMetricsOnlineSql)
                .find("COVERING INDEX devices_by_last_seen"),
            std::string::npos)
      << plan(store::kMetricsOnlineSql);
  EXPECT_NE(plan(store::kMetricsJobsSql).find("COVERING INDEX jobs_by_state"),
            std::string::npos)
      << plan(store::kMetricsJobsSql);
  EXPECT_NE(plan(store::kMetricsStepFailuresSql)
                .find("COVERING INDEX steps_failed_by_name"),
            std::string::npos)
      << plan(store::kMetricsStepFailuresSql);
}

}  // namespace
}  // namespace mdefleet::testing
