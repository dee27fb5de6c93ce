// InventoryHandlers without gRPC: listing devices (every filter, last seen,
// pages, a bad label) and getting one.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/server/service/admin/admin_handlers_fixture.h"

namespace mdefleet::testing {
namespace {

using ::google::protobuf::util::TimeUtil;

TEST_F(AdminHandlersTest, ListDevicesFiltersAndPages) {
  v1::ListDevicesRequest all;
  EXPECT_EQ(Hostnames(all), (std::vector<std::string>{
                                "APP-2022-01", "DB-2016-01", "WEB-2019-01"}));
  v1::ListDevicesRequest by_os;
  by_os.set_os_family(v1::OS_FAMILY_WS2016);
  EXPECT_EQ(Hostnames(by_os), std::vector<std::string>{"DB-2016-01"});
  v1::ListDevicesRequest by_label;
  by_label.set_label("site=osaka");
  EXPECT_EQ(Hostnames(by_label), std::vector<std::string>{"APP-2022-01"});
  v1::ListDevicesRequest by_state;
  by_state.set_mde_state(v1::MDE_STATE_ONBOARDED);
  EXPECT_EQ(Hostnames(by_state), std::vector<std::string>{"APP-2022-01"});
  v1::ListDevicesRequest by_glob;
  by_glob.set_hostname_glob("web-*");
  EXPECT_EQ(Hostnames(by_glob), std::vector<std::string>{"WEB-2019-01"});

  // Last seen: only WEB polls after two minutes.
  env_.clock().Advance(absl::Minutes(2));
  env_.Poll(web19_);
  v1::ListDevicesRequest recent;
  *recent.mutable_seen_within() = TimeUtil::SecondsToDuration(60);
  EXPECT_EQ(Hostnames(recent), std::vector<std::string>{"WEB-2019-01"});
  v1::ListDevicesRequest stale;
  *stale.mutable_unseen_for() = TimeUtil::SecondsToDuration(60);
  EXPECT_EQ(Hostnames(stale),
            (std::vector<std::string>{"APP-2022-01", "DB-2016-01"}));
  auto online = env_.admin().inventory().ListDevices(env_.admin_bearer(), all);
  for (const auto& d : online->devices()) {
    EXPECT_EQ(d.online(), d.facts().hostname() == "WEB-2019-01");
  }

  v1::ListDevicesRequest page;
  page.set_page_size(1);
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto r = env_.admin().inventory().ListDevices(env_.admin_bearer(), page);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->total(), 3u);
    for (const auto& d : r->devices()) seen.push_back(d.facts().hostname());
    if (r->next_page_token().empty()) break;
    page.set_page_token(r->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"APP-2022-01", "DB-2016-01",
                                            "WEB-2019-01"}));

  v1::ListDevicesRequest bad;
  bad.set_label("site");
  EXPECT_TRUE(absl::StartsWith(env_.admin()
                                   .inventory()
                                   .ListDevices(env_.admin_bearer(), bad)
                                   .status()
                                   .message(),
                               "label:"));
}

TEST_F(AdminHandlersTest, GetDeviceNamesAnUnknownId) {
  v1::GetDeviceRequest r;
  r.set_device_id(web19_.id);
  auto d = env_.admin().inventory().GetDevice(env_.admin_bearer(), r);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->facts().hostname(), "WEB-2019-01");
  EXPECT_EQ(d->facts().os_family(), v1::OS_FAMILY_WS2019);
  r.set_device_id("x");
  auto missing = env_.admin().inventory().GetDevice(env_.admin_bearer(), r);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "device_id: no device \"x\"");
}

}  // namespace
}  // namespace mdefleet::testing
