// RefreshDevice: the same facts, however their labels map was built, are
// "nothing changed" (last-seen only), not a rewrite of facts and labels.
#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/store/devices.h"
#include "server/store/time_util.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

v1::DeviceFacts WithLabels(v1::DeviceFacts facts,
                           const std::vector<std::string>& keys) {
  facts.mutable_labels()->clear();
  for (const std::string& key : keys) {
    (*facts.mutable_labels())[key] = absl::StrCat("value-of-", key);
  }
  return facts;
}

TEST(DeviceRefreshTest, SameFactsWithLabelsBuiltInAnotherOrderAreNoChange) {
  TestEnv env;
  std::vector<std::string> keys;
  for (int i = 0; i < 16; ++i) keys.push_back(absl::StrCat("label", i));
  std::vector<std::string> reversed(keys.rbegin(), keys.rend());
  const v1::DeviceFacts facts =
      WithLabels(MakeFacts("REFRESH-2022-01", "2022"), keys);
  EnrolledDevice device = env.Enroll(facts);
  ASSERT_FALSE(device.id.empty());
  // As the server stores them (what a poll hands RefreshDevice).
  v1::DeviceFacts stored;
  ASSERT_TRUE(env.store()
                  .Read([&](store::Connection& db) -> absl::Status {
                    auto row = store::GetDevice(db, device.id);
                    if (!row.ok()) return row.status();
                    stored = (*row)->facts;
                    return absl::OkStatus();
                  })
                  .ok());

  for (const auto& order : {keys, reversed}) {
    const v1::DeviceFacts again = WithLabels(stored, order);
    int changes = -1;
    ASSERT_TRUE(env.store()
                    .Write([&](store::Connection& db) -> absl::Status {
                      sqlite3* raw =
                          static_cast<store::SqliteConnection&>(db).raw();
                      const int before = sqlite3_total_changes(raw);
                      absl::Status s = store::RefreshDevice(
                          db, device.id, &again, store::ToMicros(absl::Now()));
                      changes = sqlite3_total_changes(raw) - before;
                      return s;
                    })
                    .ok());
    EXPECT_EQ(changes, 1) << "rows written (1: last-seen only)";
  }
}

}  // namespace
}  // namespace mdefleet::testing
