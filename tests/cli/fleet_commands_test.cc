// `fleet summary` and `devices list --needs` against a fake AdminService.
#include "server/cli/fleet_cmd.h"

#include <sstream>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/cli/app.h"
#include "tests/cli/fake_admin_service.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeAdminService;
using testing::FakeServer;

v1::FleetSummary Sample() {
  v1::FleetSummary s;
  s.set_total(12);
  s.set_online(11);
  s.mutable_offline_for()->set_seconds(7 * 86400);
  auto add_cell = [&](v1::OsFamily f, v1::MdeState m, uint32_t n) {
    auto* c = s.add_cells();
    c->set_os_family(f);
    c->set_mde_state(m);
    c->set_devices(n);
  };
  add_cell(v1::OS_FAMILY_WS2016, v1::MDE_STATE_NOT_INSTALLED, 3);
  add_cell(v1::OS_FAMILY_WS2019, v1::MDE_STATE_ONBOARDED, 7);
  add_cell(v1::OS_FAMILY_WS2019, v1::MDE_STATE_NOT_ONBOARDED, 2);
  auto add_need = [&](const char* id, const char* kind, const char* text,
                      uint32_t n) {
    auto* need = s.add_needs();
    need->mutable_need()->set_need(id);
    need->mutable_need()->set_job_kind(kind);
    need->mutable_need()->set_advice(std::string("do ") + kind);
    need->set_description(text);
    need->set_devices(n);
  };
  add_need("cloud_protection_off", "health_check",
           "cloud-delivered protection is off", 2);
  add_need("cloned", "image_prep", "shares its senseGuid", 0);
  add_need("offline", "api_offboard", "runner not seen", 1);
  return s;
}

TEST(RenderFleetSummary, CountsByOsAndStateAndTheNeedsWithDevices) {
  const std::string out = RenderFleetSummary(Sample());
  EXPECT_THAT(out, HasSubstr("Fleet: 12 devices, 11 online"));
  EXPECT_THAT(out, HasSubstr("NOT INSTALLED"));
  EXPECT_THAT(out, HasSubstr("2016"));
  EXPECT_THAT(out, HasSubstr("cloud-delivered protection is off"));
  EXPECT_THAT(out, HasSubstr("health_check"));
  EXPECT_THAT(out, HasSubstr("runner not seen (7d)"));
  // Needs without devices are left out.
  EXPECT_THAT(out, Not(HasSubstr("shares its senseGuid")));
  EXPECT_THAT(out, HasSubstr("devices list --needs <JOB>"));
  // Row totals: 2019 has 7 + 2.
  std::istringstream lines(out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.rfind("2019", 0) == 0) {
      EXPECT_THAT(line, ::testing::EndsWith(" 9"));
      found = true;
    }
  }
  EXPECT_TRUE(found) << out;
}

TEST(RenderFleetSummary, NothingToDo) {
  v1::FleetSummary s;
  EXPECT_THAT(RenderFleetSummary(s), HasSubstr("No device needs action."));
}

class FleetCommandsTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args, std::string* out, std::string* err) {
    args.insert(args.end(), {"--server", server_.address(), "--token",
                             FakeAdminService::kToken});
    std::ostringstream o, e;
    int code = RunCli(args, o, e, Terminal{}, *Clock::Real());
    *out = o.str();
    *err = e.str();
    return code;
  }
  FakeServer server_;
};

TEST_F(FleetCommandsTest, SummarySendsOfflineForAndPrints) {
  server_.service().fleet_summary = Sample();
  std::string out, err;
  ASSERT_EQ(Run({"fleet", "summary", "--offline-for", "14d"}, &out, &err), 0)
      << err;
  EXPECT_THAT(out, HasSubstr("Fleet: 12 devices"));
  std::lock_guard<std::mutex> lock(server_.service().mu);
  ASSERT_EQ(server_.service().summary_requests.size(), 1u);
  EXPECT_EQ(server_.service().summary_requests[0].offline_for().seconds(),
            14 * 86400);
}

TEST_F(FleetCommandsTest, SummaryBadDurationIsAUsageError) {
  std::string out, err;
  EXPECT_EQ(Run({"fleet", "summary", "--offline-for", "soon"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--offline-for"));
}

TEST_F(FleetCommandsTest, DevicesListNeedsIsSent) {
  std::string out, err;
  ASSERT_EQ(Run({"devices", "list", "--needs", "api_offboard", "--offline-for",
                 "30d"},
                &out, &err),
            0)
      << err;
  std::lock_guard<std::mutex> lock(server_.service().mu);
  ASSERT_EQ(server_.service().list_devices_requests.size(), 1u);
  EXPECT_EQ(server_.service().list_devices_requests[0].needs(), "api_offboard");
  EXPECT_EQ(server_.service().list_devices_requests[0].offline_for().seconds(),
            30 * 86400);
}

}  // namespace
}  // namespace mdefleet::cli
