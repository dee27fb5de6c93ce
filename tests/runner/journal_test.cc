#include "runner/journal/journal.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::MakeSim;

TEST(TaskJournal, PersistsTheRebootRecord) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  JournalReboot reboot;
  reboot.step_index = 4;
  reboot.phase = RebootPhase::kScheduled;
  reboot.boot_time_before = absl::FromUnixSeconds(1700000000);
  reboot.requested_at = absl::FromUnixSeconds(1700003600);
  reboot.delay = absl::Seconds(30);
  reboot.count = 2;
  reboot.reason = "Install.ps1 exit 12: pending reboot: reboot, then run again";
  {
    auto j = TaskJournal::Open(*host, "t1", 1);
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_FALSE(j->reboot().has_value());
    ASSERT_TRUE(j->SetReboot(reboot).ok());
  }
  auto j = TaskJournal::Open(*host, "t1", 1);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_TRUE(j->reboot().has_value());
  const JournalReboot& r = *j->reboot();
  EXPECT_EQ(r.step_index, 4u);
  EXPECT_EQ(r.phase, RebootPhase::kScheduled);
  EXPECT_EQ(r.boot_time_before, reboot.boot_time_before);
  EXPECT_EQ(r.requested_at, reboot.requested_at);
  EXPECT_EQ(r.delay, absl::Seconds(30));
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.reason, reboot.reason);
  // Another attempt has its own journal.
  EXPECT_FALSE(TaskJournal::Open(*host, "t1", 2)->reboot().has_value());
}

TEST(TaskJournal, PersistsPhasesAcrossReopen) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  {
    auto j = TaskJournal::Open(*host, "t1", 2);
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_TRUE(j->empty());
    v1::ReportStepRequest running;
    running.set_step_index(0);
    running.set_state(v1::STEP_STATE_RUNNING);
    running.set_lease_id("lease-secretish");
    ASSERT_TRUE(j->MarkStarted(0, running).ok());
    v1::ReportStepRequest final;
    final.set_step_index(0);
    final.set_state(v1::STEP_STATE_SUCCEEDED);
    final.set_message("Install.ps1 exit 0");
    final.set_exit_code(0);
    ASSERT_TRUE(j->MarkExecuted(0, final).ok());
    ASSERT_TRUE(j->MarkAcknowledged(0).ok());
    ASSERT_TRUE(j->MarkStarted(1, running).ok());
  }
  auto j = TaskJournal::Open(*host, "t1", 2);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_TRUE(j->Get(0).has_value());
  EXPECT_EQ(j->Get(0)->phase, StepPhase::kAcknowledged);
  EXPECT_EQ(j->Get(0)->report.message(), "Install.ps1 exit 0");
  EXPECT_TRUE(j->Get(0)->report.has_exit_code());
  EXPECT_TRUE(j->Get(0)->report.lease_id().empty());
  EXPECT_EQ(j->Get(1)->phase, StepPhase::kStarted);
  EXPECT_FALSE(j->Get(2).has_value());
  // Another attempt has its own journal.
  EXPECT_TRUE(TaskJournal::Open(*host, "t1", 3)->empty());
  ASSERT_TRUE(j->Remove().ok());
  EXPECT_TRUE(TaskJournal::Open(*host, "t1", 2)->empty());
}

TEST(TaskJournal, CorruptFileIsDataLoss) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_TRUE(host->CreateDirectories(JournalDirectory(*host)).ok());
  ASSERT_TRUE(host->WriteFile(JournalDirectory(*host) + "\\t9.1.journal",
                              "mdefleet-journal 1 t9 1\n0 exploded !!!\n")
                  .ok());
  EXPECT_TRUE(absl::IsDataLoss(TaskJournal::Open(*host, "t9", 1).status()));
}

TEST(TaskJournal, RejectsPathLikeTaskIds) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_FALSE(TaskJournal::Open(*host, "..\\x", 1).ok());
}

}  // namespace
}  // namespace mdefleet::runner
