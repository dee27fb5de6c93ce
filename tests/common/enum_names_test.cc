#include "common/enum_names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(EnumNamesTest, ServiceStatesAsOperatorsReadThem) {
  EXPECT_EQ(ServiceStateName(v1::SERVICE_STATE_START_PENDING), "START_PENDING");
  EXPECT_EQ(ServiceStateName(v1::SERVICE_STATE_RUNNING), "RUNNING");
  EXPECT_EQ(ServiceStateName(v1::SERVICE_STATE_STOP_PENDING), "STOP_PENDING");
  EXPECT_EQ(ServiceStateName(v1::SERVICE_STATE_STOPPED), "STOPPED");
  EXPECT_EQ(ServiceStateName(v1::SERVICE_STATE_UNSPECIFIED), "UNSPECIFIED");
}

TEST(EnumNamesTest, ShortNameDropsOnlyAMatchingPrefix) {
  EXPECT_EQ(EnumShortName("JOB_STATE_RUNNING", "JOB_STATE_"), "RUNNING");
  EXPECT_EQ(EnumShortName("RUNNING", "JOB_STATE_"), "RUNNING");
}

TEST(EnumNamesTest, ParseTakesShortAndFullNamesInAnyCase) {
  const auto& families = *v1::OsFamily_descriptor();
  EXPECT_EQ(*ParseEnumName(families, "ws2019", "os_family"),
            v1::OS_FAMILY_WS2019);
  EXPECT_EQ(*ParseEnumName(families, "WS2012R2", "os_family"),
            v1::OS_FAMILY_WS2012R2);
  EXPECT_EQ(*ParseEnumName(families, "OS_FAMILY_WS2022", "os_family"),
            v1::OS_FAMILY_WS2022);
  EXPECT_EQ(*ParseEnumName(*v1::TaskState_descriptor(), "timed_out", "state"),
            v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(*ParseEnumName(*v1::MdeState_descriptor(), "sense_not_running",
                           "mde_state"),
            v1::MDE_STATE_SENSE_NOT_RUNNING);
  for (const char* bad :
       {"", "unspecified", "OS_FAMILY_UNSPECIFIED", "2019 ", "ws", "ws2019x"}) {
    auto parsed = ParseEnumName(families, bad, "os_family");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("os_family: unknown value"));
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("(expected one of ws2012r2, ws2016, ws2019"));
  }
}

}  // namespace
}  // namespace mdefleet
