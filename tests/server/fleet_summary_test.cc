// Device needs, clone detection and the fleet summary through the admin
// handlers on a real SQLite file.
#include <algorithm>
#include <string>
#include <vector>

#include "common/device_needs.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::DeviceFacts Onboarded(absl::string_view hostname, absl::string_view os,
                          absl::string_view sense_guid) {
  v1::DeviceFacts f = MakeFacts(hostname, os);
  f.set_sensor_installed(true);
  f.set_sense_state(v1::SERVICE_STATE_RUNNING);
  f.set_onboarding_state(1);
  f.set_av_mode(v1::AV_MODE_ACTIVE);
  f.set_cloud_protection(v1::FEATURE_STATE_ON);
  f.set_tamper_protection(v1::FEATURE_STATE_ON);
  f.set_sense_guid_sha256(Sha256Hex(sense_guid));
  *f.mutable_cloud_connection()->mutable_checked_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(1700000000);
  f.mutable_cloud_connection()->set_ok(true);
  return f;
}

std::vector<std::string> Hostnames(const v1::ListDevicesResponse& r) {
  std::vector<std::string> names;
  for (const v1::Device& d : r.devices()) names.push_back(d.facts().hostname());
  std::sort(names.begin(), names.end());
  return names;
}

class FleetSummaryTest : public ::testing::Test {
 protected:
  v1::Device Get(const EnrolledDevice& d) {
    v1::GetDeviceRequest req;
    req.set_device_id(d.id);
    auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), req);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.value_or(v1::Device());
  }
  v1::ListDevicesResponse ListNeeds(absl::string_view kind) {
    v1::ListDevicesRequest req;
    req.set_needs(std::string(kind));
    auto r = env_.admin().inventory().ListDevices(env_.admin_bearer(), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(v1::ListDevicesResponse());
  }
  v1::FleetSummary Summary() {
    auto s = env_.admin().inventory().GetFleetSummary(env_.admin_bearer(), {});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.value_or(v1::FleetSummary());
  }
  static uint32_t NeedCount(const v1::FleetSummary& s, absl::string_view id) {
    for (const auto& n : s.needs()) {
      if (n.need().need() == id) return n.devices();
    }
    ADD_FAILURE() << "no need " << id;
    return 0;
  }
  // Reports new facts through a poll, as a runner does.
  void Report(const EnrolledDevice& d, const v1::DeviceFacts& facts) {
    v1::PollTasksRequest req;
    *req.mutable_facts() = facts;
    ASSERT_TRUE(env_.runner().PollOnce(d.id, req).ok());
  }

  TestEnv env_;
};

TEST_F(FleetSummaryTest, ClonesAreFlaggedOnBothDevices) {
  EnrolledDevice a = env_.Enroll(Onboarded("IMG-A", "2019", "guid-1"));
  EnrolledDevice b = env_.Enroll(Onboarded("IMG-B", "2022", "guid-1"));
  EnrolledDevice c = env_.Enroll(Onboarded("OTHER", "2022", "guid-2"));
  EXPECT_THAT(Get(a).clone_of(), ElementsAre(b.id));
  EXPECT_THAT(Get(b).clone_of(), ElementsAre(a.id));
  EXPECT_THAT(Get(c).clone_of(), IsEmpty());
  EXPECT_THAT(NeedIds(Get(a)), ElementsAre("cloned"));
  EXPECT_EQ(Get(a).needs(0).job_kind(), "image_prep");
  EXPECT_THAT(Hostnames(ListNeeds("image_prep")),
              ElementsAre("IMG-A", "IMG-B"));
  EXPECT_EQ(NeedCount(Summary(), "cloned"), 2u);

  // After image_prep and a new onboarding B reports a new senseGuid.
  Report(b, Onboarded("IMG-B", "2022", "guid-3"));
  EXPECT_THAT(Get(a).clone_of(), IsEmpty());
  EXPECT_THAT(ListNeeds("image_prep").devices(), IsEmpty());
  EXPECT_EQ(NeedCount(Summary(), "cloned"), 0u);
}

TEST_F(FleetSummaryTest, DevicesWithoutSenseGuidAreNotClones) {
  v1::DeviceFacts f1 = MakeFacts("NEW-1", "2019");
  v1::DeviceFacts f2 = MakeFacts("NEW-2", "2019");
  EnrolledDevice a = env_.Enroll(f1);
  env_.Enroll(f2);
  EXPECT_THAT(Get(a).clone_of(), IsEmpty());
  EXPECT_EQ(NeedCount(Summary(), "cloned"), 0u);
}

TEST_F(FleetSummaryTest, NeedsFollowFactsAndListExactlyTheHelpedDevices) {
  env_.Enroll(Onboarded("HEALTHY", "2019", "g1"));
  v1::DeviceFacts maps_off = Onboarded("MAPSOFF", "2022", "g2");
  maps_off.set_cloud_protection(v1::FEATURE_STATE_OFF);
  env_.Enroll(maps_off);
  v1::DeviceFacts tamper_off = Onboarded("TAMPEROFF", "2022", "g3");
  tamper_off.set_tamper_protection(v1::FEATURE_STATE_OFF);
  env_.Enroll(tamper_off);
  v1::DeviceFacts av = MakeFacts("THIRDPARTY", "2019");
  av.set_third_party_av("CSFalconService");
  env_.Enroll(av);
  v1::DeviceFacts av_passive = MakeFacts("PASSIVE", "2019");
  av_passive.set_third_party_av("CSFalconService");
  av_passive.set_passive_mode_forced(true);
  env_.Enroll(av_passive);
  v1::DeviceFacts mma = MakeFacts("MMA2016", "2016");
  mma.set_mma_installed(true);
  mma.add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  env_.Enroll(mma);
  env_.Enroll(MakeFacts("PLAIN2016", "2016"));
  v1::DeviceFacts unchecked = Onboarded("UNCHECKED", "2019", "g4");
  unchecked.clear_cloud_connection();
  env_.Enroll(unchecked);

  EXPECT_THAT(Hostnames(ListNeeds("health_check")),
              ElementsAre("MAPSOFF", "TAMPEROFF", "UNCHECKED"));
  EXPECT_THAT(Hostnames(ListNeeds("set_passive_mode")),
              ElementsAre("THIRDPARTY"));
  EXPECT_THAT(Hostnames(ListNeeds("migrate_mma")), ElementsAre("MMA2016"));
  // MMA reports on MMA2016: onboard would refuse it; migrate_mma onboards.
  EXPECT_THAT(Hostnames(ListNeeds("onboard")),
              ElementsAre("PASSIVE", "PLAIN2016", "THIRDPARTY"));
  EXPECT_THAT(Hostnames(ListNeeds("install")),
              ElementsAre("MMA2016", "PLAIN2016"));

  const v1::FleetSummary s = Summary();
  EXPECT_EQ(s.total(), 8u);
  EXPECT_EQ(s.online(), 8u);
  EXPECT_EQ(NeedCount(s, "cloud_protection_off"), 1u);
  EXPECT_EQ(NeedCount(s, "tamper_protection_off"), 1u);
  EXPECT_EQ(NeedCount(s, "passive_mode_missing"), 1u);
  EXPECT_EQ(NeedCount(s, "mma_reporting"), 1u);
  EXPECT_EQ(NeedCount(s, "not_onboarded"), 3u);
  EXPECT_EQ(NeedCount(s, "health_unknown"), 1u);
  EXPECT_EQ(NeedCount(s, "offline"), 0u);
  uint32_t onboarded_2022 = 0;
  for (const auto& cell : s.cells()) {
    if (cell.os_family() == v1::OS_FAMILY_WS2022 &&
        cell.mde_state() == v1::MDE_STATE_ONBOARDED) {
      onboarded_2022 = cell.devices();
    }
  }
  EXPECT_EQ(onboarded_2022, 2u);
  // Every need is listed, zero or not, in one order.
  EXPECT_EQ(static_cast<size_t>(s.needs_size()), AllNeeds().size());
}

TEST_F(FleetSummaryTest, OfflineOnboardedDevicesNeedApiOffboard) {
  EnrolledDevice gone = env_.Enroll(Onboarded("GONE", "2019", "g1"));
  env_.Enroll(MakeFacts("GONE-NEVER-ONBOARDED", "2019"));
  env_.clock().Advance(absl::Hours(24 * 8));
  EnrolledDevice alive = env_.Enroll(Onboarded("ALIVE", "2019", "g2"));
  EXPECT_THAT(Hostnames(ListNeeds("api_offboard")), ElementsAre("GONE"));
  EXPECT_THAT(NeedIds(Get(gone)), ElementsAre("offline"));
  EXPECT_THAT(NeedIds(Get(alive)), IsEmpty());
  EXPECT_EQ(NeedCount(Summary(), "offline"), 1u);

  v1::GetFleetSummaryRequest longer;
  longer.mutable_offline_for()->set_seconds(30 * 86400);
  auto s =
      env_.admin().inventory().GetFleetSummary(env_.admin_bearer(), longer);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(NeedCount(*s, "offline"), 0u);
  EXPECT_EQ(s->offline_for().seconds(), 30 * 86400);

  v1::ListDevicesRequest req;
  req.set_needs("api_offboard");
  req.mutable_offline_for()->set_seconds(30 * 86400);
  auto r = env_.admin().inventory().ListDevices(env_.admin_bearer(), req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->devices_size(), 0);
}

TEST_F(FleetSummaryTest, BadInputNamesTheField) {
  v1::ListDevicesRequest req;
  req.set_needs("reboot");
  auto r = env_.admin().inventory().ListDevices(env_.admin_bearer(), req);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("needs: no device need is met by job "
                                   "kind \"reboot\""));
  v1::GetFleetSummaryRequest bad;
  bad.mutable_offline_for()->set_seconds(-1);
  auto s = env_.admin().inventory().GetFleetSummary(env_.admin_bearer(), bad);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              ::testing::HasSubstr("offline_for"));
  auto unauth = env_.admin().inventory().GetFleetSummary("Bearer wrong", {});
  EXPECT_EQ(unauth.status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace mdefleet::testing
