// Two devices reporting one host name: both are flagged (need
// duplicate_hostname naming the other), the fleet summary counts them,
// `devices list --needs duplicate_hostname` finds them, a host: target that
// selects them is refused unless the devices are named by id, and other
// targets are accepted with a warning.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const v1::DeviceNeed* FindNeed(const v1::Device& d, absl::string_view id) {
  for (const v1::DeviceNeed& n : d.needs()) {
    if (n.need() == id) return &n;
  }
  return nullptr;
}

class DuplicateHostnameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    real_ = env_.Enroll(MakeFacts("WEB-01", "2019"));
    // Another machine (its own identity) claiming the same name, in
    // another case.
    v1::DeviceFacts impostor = MakeFacts("web-01", "2019");
    impostor.set_host_identity("guid-impostor");
    impostor_ = env_.Enroll(impostor);
    other_ = env_.Enroll(MakeFacts("WEB-02", "2019"));
  }

  v1::Device Get(const EnrolledDevice& d) {
    v1::GetDeviceRequest r;
    r.set_device_id(d.id);
    auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), r);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.ok() ? *device : v1::Device();
  }

  v1::SubmitJobRequest HealthCheck() {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("health_check");
    return r;
  }

  TestEnv env_;
  EnrolledDevice real_, impostor_, other_;
};

TEST_F(DuplicateHostnameTest, BothDevicesAreFlaggedNamingTheOther) {
  const v1::Device real = Get(real_);
  const v1::Device impostor = Get(impostor_);
  EXPECT_THAT(real.hostname_shared_with(), ElementsAre(impostor_.id));
  EXPECT_THAT(impostor.hostname_shared_with(), ElementsAre(real_.id));
  ASSERT_NE(FindNeed(real, "duplicate_hostname"), nullptr);
  EXPECT_THAT(FindNeed(real, "duplicate_hostname")->advice(),
              HasSubstr(absl::StrCat("also reported by ", impostor_.id)));
  EXPECT_EQ(FindNeed(real, "duplicate_hostname")->job_kind(), "");
  ASSERT_NE(FindNeed(impostor, "duplicate_hostname"), nullptr);
  const v1::Device other = Get(other_);
  EXPECT_THAT(other.hostname_shared_with(), IsEmpty());
  EXPECT_EQ(FindNeed(other, "duplicate_hostname"), nullptr);
}

TEST_F(DuplicateHostnameTest, ListSummaryAndRenameClearTheFlag) {
  v1::ListDevicesRequest list;
  list.set_needs("duplicate_hostname");
  auto listed = env_.admin().inventory().ListDevices(env_.admin_bearer(), list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> ids;
  for (const v1::Device& d : listed->devices()) ids.push_back(d.id());
  EXPECT_THAT(ids, UnorderedElementsAre(real_.id, impostor_.id));
  EXPECT_EQ(listed->total(), 2u);

  auto summary = env_.admin().inventory().GetFleetSummary(
      env_.admin_bearer(), v1::GetFleetSummaryRequest());
  ASSERT_TRUE(summary.ok()) << summary.status();
  bool found = false;
  for (const auto& n : summary->needs()) {
    if (n.need().need() != "duplicate_hostname") continue;
    found = true;
    EXPECT_EQ(n.devices(), 2u);
  }
  EXPECT_TRUE(found);

  // The impostor reports another name: neither is flagged any more.
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = MakeFacts("web-01-renamed", "2019");
  poll.mutable_facts()->set_host_identity("guid-impostor");
  ASSERT_TRUE(env_.runner().PollOnce(impostor_.id, poll).ok());
  EXPECT_THAT(Get(real_).hostname_shared_with(), IsEmpty());
  EXPECT_THAT(NeedIds(Get(real_)),
              ::testing::Not(::testing::Contains("duplicate_hostname")));
}

TEST_F(DuplicateHostnameTest, AHostTargetSelectingThemIsRefused) {
  for (const bool dry_run : {true, false}) {
    for (const char* glob : {"WEB-01", "web-*", "*"}) {
      v1::SubmitJobRequest r = HealthCheck();
      r.set_dry_run(dry_run);
      r.mutable_spec()->mutable_target()->set_hostname_glob(glob);
      const std::string before = env_.Snapshot();
      auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
          << glob << " " << result.status();
      EXPECT_THAT(
          result.status().message(),
          HasSubstr(absl::StrCat("target.hostname_glob \"", glob, "\"")));
      EXPECT_THAT(result.status().message(), HasSubstr(real_.id));
      EXPECT_THAT(result.status().message(), HasSubstr(impostor_.id));
      EXPECT_THAT(result.status().message(), HasSubstr("--target id:"));
      EXPECT_EQ(env_.Snapshot(), before);
    }
  }
}

TEST_F(DuplicateHostnameTest, AHostTargetNotSelectingThemIsAccepted) {
  v1::SubmitJobRequest r = HealthCheck();
  r.mutable_spec()->mutable_target()->set_hostname_glob("WEB-02");
  auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->targeted(), 1u);
  EXPECT_THAT(result->hostname_conflicts(), IsEmpty());
}

TEST_F(DuplicateHostnameTest, DeviceIdsNameThemAndAWarningSaysSo) {
  v1::SubmitJobRequest r = HealthCheck();
  r.mutable_spec()->mutable_target()->add_device_ids(real_.id);
  r.mutable_spec()->mutable_target()->set_hostname_glob("WEB-01");
  auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->targeted(), 1u);
  ASSERT_EQ(result->hostname_conflicts_size(), 1);
  EXPECT_EQ(result->hostname_conflicts(0).hostname(), "WEB-01");
  EXPECT_THAT(result->hostname_conflicts(0).device_ids(),
              UnorderedElementsAre(real_.id, impostor_.id));
}

TEST_F(DuplicateHostnameTest, OtherTargetsAreAcceptedWithTheConflicts) {
  for (const bool dry_run : {true, false}) {
    v1::SubmitJobRequest r = HealthCheck();
    r.set_dry_run(dry_run);
    r.mutable_spec()->mutable_target()->set_all(true);
    auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->targeted(), 3u);
    ASSERT_EQ(result->hostname_conflicts_size(), 1) << dry_run;
    EXPECT_EQ(absl::AsciiStrToLower(result->hostname_conflicts(0).hostname()),
              "web-01");
    EXPECT_THAT(result->hostname_conflicts(0).device_ids(),
                UnorderedElementsAre(real_.id, impostor_.id));
  }
}

}  // namespace
}  // namespace mdefleet::testing
