// Inventory intelligence with the real binaries: two servers cloned from one
// image (same senseGuid) are flagged on both, listed by
// `devices list --needs image_prep` and counted by `fleet summary`; after
// image_prep and a new onboarding each has its own senseGuid and the flag
// is gone.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kImageGuid[] = "5E7A0C1D-2B3C-4D5E-8F90-A1B2C3D4E5F6";

std::map<std::string, v1::Device> DevicesByHost(E2eEnvironment& env,
                                                std::vector<std::string> args) {
  std::vector<std::string> cmd = {"devices", "list"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  v1::ListDevicesResponse devices;
  EXPECT_TRUE(env.CtlJson(cmd, &devices).ok());
  std::map<std::string, v1::Device> out;
  for (const auto& d : devices.devices()) out[d.facts().hostname()] = d;
  return out;
}

std::vector<std::string> Hosts(const std::map<std::string, v1::Device>& m) {
  std::vector<std::string> hosts;
  for (const auto& [host, d] : m) hosts.push_back(host);
  return hosts;
}

uint32_t NeedCount(E2eEnvironment& env, const std::string& need) {
  v1::FleetSummary summary;
  EXPECT_TRUE(env.CtlJson({"fleet", "summary"}, &summary).ok());
  for (const auto& n : summary.needs()) {
    if (n.need().need() == need) return n.devices();
  }
  ADD_FAILURE() << "no need " << need << ": " << summary.ShortDebugString();
  return 0;
}

TEST(EndToEndInventory, ClonesAreFlaggedUntilImagePrepAndOnboarding) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(
      env.StartRunner(absl::StrCat("ws2019+onboarded+sguid=", kImageGuid))
          .ok());
  ASSERT_TRUE(
      env.StartRunner(absl::StrCat("ws2022+onboarded+sguid=", kImageGuid))
          .ok());
  ASSERT_TRUE(env.StartRunner("ws2022+onboarded").ok());
  ASSERT_TRUE(env.WaitForDevices(3, absl::Seconds(60)).ok());

  std::map<std::string, v1::Device> all = DevicesByHost(env, {});
  std::map<std::string, v1::Device> clones =
      DevicesByHost(env, {"--needs", "image_prep"});
  ASSERT_EQ(clones.size(), 2u) << "exactly the two clones";
  std::vector<std::string> clone_ids;
  for (const auto& [host, d] : clones) {
    clone_ids.push_back(d.id());
    EXPECT_EQ(d.clone_of_size(), 1) << host;
    ASSERT_GE(d.needs_size(), 1);
    bool flagged = false;
    for (const auto& need : d.needs()) {
      flagged = flagged ||
                (need.need() == "cloned" && need.job_kind() == "image_prep");
    }
    EXPECT_TRUE(flagged) << d.ShortDebugString();
  }
  EXPECT_EQ(clones.begin()->second.clone_of(0), clone_ids[1]);
  EXPECT_EQ(NeedCount(env, "cloned"), 2u);
  EXPECT_THAT(env.server_log(), HasSubstr("reports the same senseGuid as"));
  ProcessOutput table = env.Ctl({"fleet", "summary"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("shares its senseGuid with another device"));
  ProcessOutput get = env.Ctl({"devices", "get", clone_ids[0]});
  EXPECT_THAT(get.out, HasSubstr(clone_ids[1]));
  EXPECT_THAT(get.out, HasSubstr("run image_prep on the clones"));

  // image_prep on the clones, then onboard them again.
  auto offboarding = env.Upload(env.WriteOffboardingScript(DatePlusDays(20)),
                                "offboarding_script");
  ASSERT_TRUE(offboarding.ok()) << offboarding.status();
  // Both clones: repeated id: targets are alternatives.
  const std::vector<std::string> targets = {
      "--target", absl::StrCat("id:", clone_ids[0]), "--target",
      absl::StrCat("id:", clone_ids[1])};
  std::vector<std::string> submit_prep = {"jobs", "submit", "image_prep",
                                          "--offboarding-script", *offboarding};
  submit_prep.insert(submit_prep.end(), targets.begin(), targets.end());
  v1::SubmitJobResponse prep;
  ASSERT_TRUE(env.CtlJson(submit_prep, &prep).ok());
  EXPECT_EQ(WaitForJobEnd(env, prep.job().id()).counts().succeeded(), 2u);
  EXPECT_THAT(Hosts(DevicesByHost(env, {"--needs", "image_prep"})), IsEmpty());
  EXPECT_EQ(NeedCount(env, "cloned"), 0u);
  EXPECT_EQ(NeedCount(env, "not_onboarded"), 2u);

  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  std::vector<std::string> submit_onboard = {
      "jobs", "submit", "onboard", "--onboarding-script", *onboarding};
  submit_onboard.insert(submit_onboard.end(), targets.begin(), targets.end());
  v1::SubmitJobResponse onboard;
  ASSERT_TRUE(env.CtlJson(submit_onboard, &onboard).ok());
  EXPECT_EQ(WaitForJobEnd(env, onboard.job().id()).counts().succeeded(), 2u);
  std::map<std::string, v1::Device> after = DevicesByHost(env, {});
  std::vector<std::string> hashes;
  for (const auto& [host, d] : after) {
    EXPECT_FALSE(d.facts().sense_guid_sha256().empty()) << host;
    EXPECT_THAT(d.clone_of(), IsEmpty()) << host;
    hashes.push_back(d.facts().sense_guid_sha256());
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::unique(hashes.begin(), hashes.end()), hashes.end())
      << "every device has its own senseGuid";
  EXPECT_EQ(NeedCount(env, "cloned"), 0u);
}

}  // namespace
}  // namespace mdefleet::testing
