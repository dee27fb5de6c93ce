// The tenant's MDE workspace ids: parsing (the serve flag) and which of a
// device's MMA workspaces they pick out.
#include "common/mde_workspaces.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(MdeWorkspaces, ParsedIdsAreNormalizedSortedAndUnique) {
  auto ids = ParseMdeWorkspaceIds({"{BBBBBBBB-0000-0000-0000-000000000000}",
                                   "aaaaaaaa-0000-0000-0000-000000000000",
                                   "bbbbbbbb-0000-0000-0000-000000000000"},
                                  "--mde-workspace-id");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre("aaaaaaaa-0000-0000-0000-000000000000",
                                "bbbbbbbb-0000-0000-0000-000000000000"));
}

TEST(MdeWorkspaces, ANonGuidIsRefusedNamingTheField) {
  for (const char* bad :
       {"", "none-of-these", "{aaaaaaaa-0000-0000-0000-000000000000",
        "aaaaaaaa-0000-0000-0000-00000000000g",
        "aaaaaaaa-0000-0000-0000-000000000000,x"}) {
    auto ids = ParseMdeWorkspaceIds({bad}, "--mde-workspace-id");
    EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(ids.status().message(), HasSubstr("--mde-workspace-id: \""))
        << bad;
  }
}

TEST(MdeWorkspaces, OnlyTheConfiguredWorkspacesAreMde) {
  v1::DeviceFacts facts;
  facts.add_mma_workspaces("AAAAAAAA-0000-0000-0000-000000000000");
  facts.add_mma_workspaces("cccccccc-0000-0000-0000-000000000000");
  const std::vector<std::string> mde = {"aaaaaaaa-0000-0000-0000-000000000000"};
  ReportedWorkspaces split = SplitReportedWorkspaces(facts, mde);
  EXPECT_THAT(split.mde, ElementsAre("AAAAAAAA-0000-0000-0000-000000000000"));
  EXPECT_THAT(split.others,
              ElementsAre("cccccccc-0000-0000-0000-000000000000"));
  // None configured: each might be it.
  split = SplitReportedWorkspaces(facts, {});
  EXPECT_EQ(split.mde.size(), 2u);
  EXPECT_THAT(split.others, IsEmpty());
}

}  // namespace
}  // namespace mdefleet
