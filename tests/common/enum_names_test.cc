#include "common/enum_names.h"

#include "gtest/gtest.h"

namespace mdefleet {
namespace {

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

}  // namespace
}  // namespace mdefleet
