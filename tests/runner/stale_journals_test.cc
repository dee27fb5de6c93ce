// A runner that comes back after its lease expired: the buffered result is
// offered, refused ("lease lost"), and the attempt's journal and work
// directory are deleted; live attempts are left alone; an unreachable server
// keeps the journal for the next poll.
#include "runner/client/stale_journals.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/executor/action_policy.h"
#include "runner/journal/journal.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::RecordingReporter;

class StaleJournals : public ::testing::Test {
 protected:
  void SetUp() override { host_ = MakeSim("ws2019", dir_.path()); }

  // A journal of (task, attempt) whose step 2 ran but was not acknowledged,
  // and the task's work directory with a file in it.
  void Buffered(const std::string& task, uint32_t attempt) {
    auto journal = TaskJournal::Open(*host_, task, attempt);
    ASSERT_TRUE(journal.ok()) << journal.status();
    v1::ReportStepRequest final_report;
    final_report.set_task_id(task);
    final_report.set_attempt(attempt);
    final_report.set_lease_id("lease-" + task);
    final_report.set_step_index(2);
    final_report.set_state(v1::STEP_STATE_SUCCEEDED);
    ASSERT_TRUE(journal->MarkExecuted(2, final_report).ok());
    auto work = TaskWorkDirectory(host_->StateDirectory(), task);
    ASSERT_TRUE(work.ok());
    ASSERT_TRUE(host_->CreateDirectories(*work).ok());
    ASSERT_TRUE(host_->WriteFile(*work + "\\script.cmd", "secret").ok());
  }
  std::vector<std::string> Journals() {
    return *host_->ListDirectory(JournalDirectory(*host_));
  }
  bool WorkDirExists(const std::string& task) {
    return *host_->FileExists(
        *TaskWorkDirectory(host_->StateDirectory(), task));
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
};

TEST_F(StaleJournals, RefusedBufferedResultIsAbandonedAndCleanedUp) {
  Buffered("t-old", 1);
  Buffered("t-live", 2);
  RecordingReporter reporter;
  reporter.fail = [](const v1::ReportStepRequest& r) {
    return absl::FailedPreconditionError("lease lost: task " + r.task_id() +
                                         " lease expired");
  };
  std::vector<std::string> lines =
      SettleStaleJournals(*host_, reporter, {{"t-live", 2}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("task t-old attempt 1: the server took the "
                                  "task back while this runner was away"));
  EXPECT_THAT(lines[0], HasSubstr("lease expired"));
  EXPECT_THAT(Journals(), ElementsAre("t-live.2.journal"));
  EXPECT_FALSE(WorkDirExists("t-old")) << "the onboarding script goes too";
  EXPECT_TRUE(WorkDirExists("t-live"));
}

TEST_F(StaleJournals, AnOlderAttemptOfTheDeliveredTaskIsStale) {
  Buffered("t-1", 1);
  RecordingReporter reporter;
  reporter.fail = [](const v1::ReportStepRequest&) {
    return absl::FailedPreconditionError("lease lost");
  };
  EXPECT_EQ(SettleStaleJournals(*host_, reporter, {{"t-1", 2}}).size(), 1u);
  EXPECT_TRUE(Journals().empty());
}

TEST_F(StaleJournals, UnreachableServerKeepsTheJournal) {
  Buffered("t-old", 1);
  RecordingReporter reporter;
  reporter.fail = [](const v1::ReportStepRequest&) {
    return absl::UnavailableError("connection refused");
  };
  EXPECT_TRUE(SettleStaleJournals(*host_, reporter, {}).empty());
  EXPECT_THAT(Journals(), ElementsAre("t-old.1.journal"));
  EXPECT_TRUE(WorkDirExists("t-old"));
}

TEST_F(StaleJournals, AcceptedBufferedResultIsDeliveredWithItsLease) {
  Buffered("t-old", 1);
  RecordingReporter reporter;
  std::vector<std::string> lines = SettleStaleJournals(*host_, reporter, {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("delivered 1 buffered result"));
  ASSERT_EQ(reporter.requests.size(), 1u);
  EXPECT_EQ(reporter.requests[0].lease_id(), "lease-t-old");
  EXPECT_EQ(reporter.requests[0].step_index(), 2u);
  EXPECT_TRUE(Journals().empty());
}

TEST_F(StaleJournals, NothingToDoWithoutJournals) {
  RecordingReporter reporter;
  EXPECT_TRUE(SettleStaleJournals(*host_, reporter, {}).empty());
  EXPECT_TRUE(reporter.requests.empty());
}

}  // namespace
}  // namespace mdefleet::runner
