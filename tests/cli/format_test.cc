#include "server/cli/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/json_util.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

TEST(StateNamesTest, ShortLowerCaseNames) {
  EXPECT_EQ(JobStateName(v1::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(TaskStateName(v1::TASK_STATE_TIMED_OUT), "timed_out");
  EXPECT_EQ(StepStateName(v1::STEP_STATE_SKIPPED), "skipped");
  EXPECT_EQ(JobStateName(static_cast<v1::JobState>(99)), "unknown(99)");
}

TEST(StateNamesTest, ParseAcceptsShortAndFullNames) {
  EXPECT_EQ(*ParseJobState("running", "--state"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(*ParseJobState("JOB_STATE_FAILED", "--state"),
            v1::JOB_STATE_FAILED);
  EXPECT_EQ(*ParseTaskState("timed-out", "--state"), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(*ParseTaskState("Skipped", "--state"), v1::TASK_STATE_SKIPPED);
  for (const char* bad : {"", "unspecified", "done", "JOB_STATE_"}) {
    auto s = ParseJobState(bad, "--state");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(IsUsageError(s.status()));
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("--state"));
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("succeeded"));
  }
}

TEST(IsFinalTest, FinalStates) {
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_SUCCEEDED));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_FAILED));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_CANCELLED));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_EXPIRED));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_RUNNING));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_PAUSED));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_PENDING));
}

TEST(FormatTimeTest, TimestampsAndAgo) {
  google::protobuf::Timestamp ts;
  EXPECT_EQ(FormatTimestamp(ts), "-");
  EXPECT_EQ(FormatAgo(ts, absl::Now()), "never");
  ts.set_seconds(1714564800);  // 2024-05-01 12:00:00 UTC
  EXPECT_EQ(FormatTimestamp(ts), "2024-05-01 12:00:00Z");
  EXPECT_EQ(FormatAgo(ts, absl::FromUnixSeconds(1714564800 + 75)), "1m15s ago");
}

TEST(FormatBytesTest, BinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(64 * 1024), "64.0 KiB");
  EXPECT_EQ(FormatBytes(39 * 1024 * 1024 + 200 * 1024), "39.2 MiB");
}

TEST(ToJsonTest, ProtobufJsonMappingRoundTrips) {
  v1::ListJobsResponse response;
  v1::Job* job = response.add_jobs();
  job->set_id("j1");
  job->set_state(v1::JOB_STATE_RUNNING);
  job->mutable_spec()->set_kind("onboard");
  job->mutable_counts()->set_total(3);
  job->mutable_spec()->mutable_parameters()->set_onboarding_script_id("abc");
  const std::string json = ToJson(response);
  EXPECT_THAT(json, HasSubstr("\"state\": \"JOB_STATE_RUNNING\""));
  EXPECT_THAT(json, HasSubstr("\"onboardingScriptId\": \"abc\""));
  // Zero values are printed so scripts can rely on them.
  EXPECT_THAT(json, HasSubstr("\"failed\": 0"));
  EXPECT_EQ(json.back(), '\n');
  v1::ListJobsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.jobs(0).id(), "j1");
  EXPECT_EQ(parsed.jobs(0).state(), v1::JOB_STATE_RUNNING);
}

}  // namespace
}  // namespace mdefleet::cli
