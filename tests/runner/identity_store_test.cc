#include "runner/client/identity_store.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using testing::MakeSim;
using testing::TempDir;

TEST(IdentityStore, TokenIsStoredProtectedAndLoadsBack) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_FALSE(LoadIdentity(*host)->has_value());
  const std::string token = "mdf_dev_ZZZtopSecretTokenZZZ";
  ASSERT_TRUE(SaveIdentity(*host, {"dev-1", token}).ok());
  auto mapped = host->LinuxPath(IdentityPath(*host));
  std::ifstream in(*mapped);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("device_id=dev-1"), std::string::npos);
  EXPECT_EQ(ss.str().find("topSecret"), std::string::npos);
  auto loaded = LoadIdentity(*host);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->device_id, "dev-1");
  EXPECT_EQ((*loaded)->device_token, token);
}

TEST(IdentityStore, ForeignOrBrokenFileIsDataLoss) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_TRUE(host->CreateDirectories(host->StateDirectory()).ok());
  ASSERT_TRUE(host->WriteFile(IdentityPath(*host),
                              "device_id=d\nprotected_token=bm9wZQ==\n")
                  .ok());
  EXPECT_TRUE(absl::IsDataLoss(LoadIdentity(*host).status()));
}

}  // namespace
}  // namespace mdefleet::runner
