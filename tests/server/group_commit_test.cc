// Group commit: concurrent writes share transactions; a failing write is
// rolled back alone; acknowledged writes survive reopening.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/server/test_env.h"
#include "tests/testing/eventually.h"

namespace mdefleet::store {
namespace {

using ::mdefleet::testing::Eventually;
using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;

absl::Status PutMeta(Connection& db, const std::string& key) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO meta (key, value) VALUES (?1, 'x')"));
  st->Bind(1, key);
  return st->Run();
}

int64_t CountMeta(Store& store, absl::string_view prefix) {
  int64_t n = 0;
  EXPECT_TRUE(
      store
          .Read([&](Connection& db) -> absl::Status {
            ASSIGN_OR_RETURN(
                std::unique_ptr<Statement> st,
                db.PrepareOnce("SELECT count(*) FROM meta WHERE key LIKE ?1"));
            st->Bind(1, absl::StrCat(prefix, "%"));
            ASSIGN_OR_RETURN(bool row, st->Step());
            if (row) n = st->ColumnInt(0);
            return absl::OkStatus();
          })
          .ok());
  return n;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(dir_.path(), "/g.db");
    auto store = Store::Open(path_, OpenMode::kCreate, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  // Returns once `n` writes wait behind the leader's transaction (the state
  // the test needs), instead of sleeping and hoping they got there.
  void WaitUntilQueued(size_t n) {
    ASSERT_TRUE(Eventually([&] { return store_->write_stats().queued >= n; }))
        << "writes never queued: " << store_->write_stats().queued;
  }

  TempDir dir_;
  FakeClock clock_{TestEpoch()};
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(GroupCommitTest, WritesArrivingDuringACommitShareTheNextTransaction) {
  const auto before = store_->write_stats();
  absl::Notification leader_inside;
  absl::Notification release_leader;
  std::thread leader([&] {
    ASSERT_TRUE(store_
                    ->Write([&](Connection& db) {
                      leader_inside.Notify();
                      release_leader.WaitForNotification();
                      return PutMeta(db, "k-leader");
                    })
                    .ok());
  });
  leader_inside.WaitForNotification();
  constexpr int kFollowers = 10;
  std::vector<std::thread> followers;
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back([&, i] {
      ASSERT_TRUE(store_
                      ->Write([&](Connection& db) {
                        return PutMeta(db, absl::StrCat("k-", i));
                      })
                      .ok());
    });
  }
  WaitUntilQueued(kFollowers);
  release_leader.Notify();
  leader.join();
  for (auto& t : followers) t.join();
  const auto after = store_->write_stats();
  EXPECT_EQ(after.writes - before.writes, kFollowers + 1u);
  // The leader's own transaction plus one for all followers.
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(CountMeta(*store_, "k-"), kFollowers + 1);
}

TEST_F(GroupCommitTest, AFailingWriteRollsBackAloneInsideTheBatch) {
  absl::Notification leader_inside;
  absl::Notification release_leader;
  std::thread leader([&] {
    EXPECT_TRUE(store_
                    ->Write([&](Connection& db) {
                      leader_inside.Notify();
                      release_leader.WaitForNotification();
                      return PutMeta(db, "ok-leader");
                    })
                    .ok());
  });
  leader_inside.WaitForNotification();
  absl::Status bad_status;
  std::thread bad([&] {
    bad_status = store_->Write([&](Connection& db) -> absl::Status {
      RETURN_IF_ERROR(PutMeta(db, "bad-1"));
      return absl::InvalidArgumentError("field: refused");
    });
  });
  std::thread good([&] {
    EXPECT_TRUE(
        store_
            ->Write([&](Connection& db) { return PutMeta(db, "ok-follower"); })
            .ok());
  });
  WaitUntilQueued(2);
  release_leader.Notify();
  leader.join();
  bad.join();
  good.join();
  EXPECT_EQ(bad_status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountMeta(*store_, "bad-"), 0);
  EXPECT_EQ(CountMeta(*store_, "ok-"), 2);
}

TEST_F(GroupCommitTest, ManyConcurrentWritersAllDurable) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(store_
                        ->Write([&](Connection& db) {
                          return PutMeta(db, absl::StrCat("c-", t, "-", i));
                        })
                        .ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  store_.reset();
  auto reopened = Store::Open(path_, OpenMode::kExisting, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(CountMeta(**reopened, "c-"), kThreads * kEach);
}

}  // namespace
}  // namespace mdefleet::store
