// The api_offboard task state machine on its own: plain structs in, the
// decision out; no store, no HTTP, no clock.
#include "server/defender/offboard_task_machine.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/api_offboard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kMachineNow = absl::FromUnixSeconds(1'800'000'000);

// A task whose POST is about to be sent, with confirm_last_seen_stopped.
OffboardTask FreshTask() {
  OffboardTask t;
  t.task.task_id = "task-1";
  t.task.job_id = "job-1";
  t.task.hostname = "old-dc-01";
  t.task.machine_id = "abc123";
  t.task.steps = 3;
  t.task.step = kOffboardRequestStep;
  return t;
}

MachineAction Action(const std::string& status) {
  MachineAction a;
  a.id = "act-1";
  a.type = "Offboard";
  a.status = status;
  a.machine_id = "abc123";
  return a;
}

OffboardTiming TestTiming() {
  OffboardTiming timing;
  timing.poll_interval = absl::Seconds(30);
  timing.first_backoff = absl::Seconds(2);
  timing.max_backoff = absl::Seconds(10);
  timing.max_attempts = 4;
  return timing;
}

// The task after the POST created a pending action (next: wait).
OffboardTask Waiting() {
  return OnOffboardAction(FreshTask(), Action("Pending"), "created",
                          kMachineNow, TestTiming())
      .task;
}

// The task once the action Succeeded (next: confirm).
OffboardTask Confirming() {
  return OnOffboardAction(Waiting(), Action("Succeeded"), "created",
                          kMachineNow, TestTiming())
      .task;
}

TEST(OffboardTaskMachineTest, CreatedActionEndsTheRequestStepAndWaits) {
  const OffboardDecision d = OnOffboardAction(
      FreshTask(), Action("Pending"), "created", kMachineNow, TestTiming());
  ASSERT_TRUE(d.record_action.has_value());
  EXPECT_EQ(d.record_action->id, "act-1");
  EXPECT_EQ(d.record_action->status, "Pending");
  EXPECT_EQ(d.task.next, OffboardNext::kWait);
  EXPECT_EQ(d.task.task.action_id, "act-1");
  EXPECT_EQ(d.task.task.action_status, "Pending");
  EXPECT_EQ(d.task.task.step, kOffboardWaitStep);
  ASSERT_THAT(d.steps, SizeIs(2));
  EXPECT_EQ(d.steps[0].index, kOffboardRequestStep);
  EXPECT_EQ(d.steps[0].state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(d.steps[0].message, "created machine action act-1 (Pending)");
  EXPECT_EQ(d.steps[1].index, kOffboardWaitStep);
  EXPECT_EQ(d.steps[1].state, v1::STEP_STATE_RUNNING);
  EXPECT_EQ(d.steps[1].message,
            "machine action act-1 is Pending: Defender runs it when the "
            "device next contacts it");
  EXPECT_FALSE(d.end.has_value());
}

TEST(OffboardTaskMachineTest, SameStatusAgainWritesNothing) {
  const OffboardDecision d = OnOffboardAction(
      Waiting(), Action("Pending"), "created", kMachineNow, TestTiming());
  EXPECT_FALSE(d.record_action.has_value());
  EXPECT_THAT(d.steps, IsEmpty());
  EXPECT_FALSE(d.end.has_value());
}

TEST(OffboardTaskMachineTest, NewStatusIsRecordedAndShown) {
  const OffboardDecision d = OnOffboardAction(
      Waiting(), Action("InProgress"), "created", kMachineNow, TestTiming());
  ASSERT_TRUE(d.record_action.has_value());
  EXPECT_EQ(d.record_action->status, "InProgress");
  EXPECT_EQ(d.task.task.action_status, "InProgress");
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_EQ(d.steps[0].message,
            "machine action act-1 is InProgress: the device is being "
            "offboarded");
}

TEST(OffboardTaskMachineTest, SucceededStartsTheLastSeenCheck) {
  const OffboardDecision d = OnOffboardAction(
      Waiting(), Action("Succeeded"), "created", kMachineNow, TestTiming());
  EXPECT_FALSE(d.end.has_value());
  EXPECT_EQ(d.task.next, OffboardNext::kConfirm);
  EXPECT_EQ(d.task.task.step, kOffboardConfirmStep);
  EXPECT_EQ(d.task.confirm_since, kMachineNow);
  EXPECT_EQ(d.task.not_before, kMachineNow + absl::Seconds(30));
  ASSERT_THAT(d.steps, SizeIs(2));
  EXPECT_EQ(d.steps[0].index, kOffboardWaitStep);
  EXPECT_EQ(d.steps[0].state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(d.steps[1].index, kOffboardConfirmStep);
  EXPECT_EQ(d.steps[1].state, v1::STEP_STATE_RUNNING);
  EXPECT_EQ(d.steps[1].message,
            "checking in 30s that the machine's lastSeen stopped moving");
}

TEST(OffboardTaskMachineTest, SucceededEndsATaskPlannedWithoutTheCheck) {
  OffboardTask t = Waiting();
  t.task.steps = 2;
  const OffboardDecision d = OnOffboardAction(t, Action("Succeeded"), "found",
                                              kMachineNow, TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(d.end->message,
            "offboarded through the Defender API (machine action act-1)");
  EXPECT_EQ(d.end->failed_step, kOffboardWaitStep);
  EXPECT_THAT(d.end->step_message, HasSubstr("turns Inactive"));
}

TEST(OffboardTaskMachineTest, FinalActionFailsTheTaskSayingWhy) {
  for (const char* status : {"Failed", "TimeOut", "Cancelled"}) {
    const OffboardDecision d = OnOffboardAction(
        Waiting(), Action(status), "created", kMachineNow, TestTiming());
    ASSERT_TRUE(d.end.has_value()) << status;
    EXPECT_EQ(d.end->to, v1::TASK_STATE_FAILED);
    EXPECT_EQ(d.end->failed_step, kOffboardWaitStep);
    EXPECT_THAT(d.end->message,
                HasSubstr(std::string("machine action act-1 ended ") + status));
  }
}

TEST(OffboardTaskMachineTest, TooManyRequestsBlocksEveryCall) {
  const OffboardDecision d =
      OnOffboardCallError(FreshTask(), absl::ResourceExhaustedError("429"),
                          "asking", kMachineNow, TestTiming());
  ASSERT_TRUE(d.block_calls_until.has_value());
  EXPECT_EQ(*d.block_calls_until, kMachineNow + absl::Seconds(60));
  EXPECT_EQ(d.task.not_before, kMachineNow + absl::Seconds(60));
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_EQ(d.steps[0].message,
            "429: waiting 60s (Retry-After) before asking again");
  EXPECT_FALSE(d.end.has_value());
}

TEST(OffboardTaskMachineTest, ActiveRequestIsLookedUp) {
  const OffboardDecision d = OnOffboardCallError(
      FreshTask(), absl::AlreadyExistsError("ActiveRequestAlreadyExists"),
      "asking", kMachineNow, TestTiming());
  EXPECT_EQ(d.task.next, OffboardNext::kLookup);
  EXPECT_EQ(d.task.not_before, kMachineNow);
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_EQ(d.steps[0].message, "ActiveRequestAlreadyExists; looking it up");
}

TEST(OffboardTaskMachineTest, RefusedTokenIsRetriedOnceThenFails) {
  const absl::Status refused = absl::UnauthenticatedError("401 refused");
  const OffboardDecision once = OnOffboardCallError(
      FreshTask(), refused, "asking", kMachineNow, TestTiming());
  EXPECT_EQ(once.task.unauthorized, 1);
  EXPECT_THAT(once.steps, IsEmpty());
  EXPECT_FALSE(once.end.has_value());
  const OffboardDecision twice = OnOffboardCallError(
      once.task, refused, "asking", kMachineNow, TestTiming());
  ASSERT_TRUE(twice.end.has_value());
  EXPECT_EQ(twice.end->to, v1::TASK_STATE_FAILED);
  EXPECT_EQ(twice.end->message, "401 refused");
  EXPECT_EQ(twice.end->failed_step, kOffboardRequestStep);
}

TEST(OffboardTaskMachineTest, TokenEndpointRefusalIsNotRetried) {
  const OffboardDecision d = OnOffboardCallError(
      FreshTask(), absl::UnauthenticatedError("the token endpoint refused"),
      "asking", kMachineNow, TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_FAILED);
}

TEST(OffboardTaskMachineTest, OutagesBackOffDoublingThenGiveUp) {
  const absl::Status outage = absl::UnavailableError("503");
  OffboardTask t = FreshTask();
  std::vector<absl::Duration> waits;
  OffboardDecision d;
  for (int i = 0; i < 4; ++i) {
    d = OnOffboardCallError(t, outage, "asking", kMachineNow, TestTiming());
    if (d.end) break;
    waits.push_back(d.task.not_before - kMachineNow);
    t = d.task;
  }
  EXPECT_EQ(waits, (std::vector<absl::Duration>{
                       absl::Seconds(2), absl::Seconds(4), absl::Seconds(8)}));
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->message, "503 (gave up after 4 tries)");
  // An outage keeps the request: the POST had an answer (a 5xx).
  EXPECT_EQ(t.next, OffboardNext::kRequest);
}

TEST(OffboardTaskMachineTest, BackoffStopsAtItsMaximum) {
  OffboardTiming timing = TestTiming();
  timing.max_attempts = 10;
  OffboardTask t = FreshTask();
  t.failures = 5;
  const OffboardDecision d = OnOffboardCallError(
      t, absl::UnavailableError("503"), "asking", kMachineNow, timing);
  EXPECT_EQ(d.task.not_before, kMachineNow + absl::Seconds(10));
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_EQ(d.steps[0].message, "503; try 7 of 10 in 10s");
}

TEST(OffboardTaskMachineTest, LastSeenNotAfterTheActionSucceeds) {
  Machine m;
  m.id = "abc123";
  m.last_seen = kMachineNow - absl::Minutes(1);
  const OffboardDecision d =
      OnOffboardLastSeen(Confirming(), &m, kMachineNow, TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(d.end->failed_step, kOffboardConfirmStep);
  EXPECT_THAT(d.end->step_message,
              HasSubstr("is not after the machine action Succeeded"));
}

TEST(OffboardTaskMachineTest, MachineGoneFromDefenderSucceeds) {
  const OffboardDecision d =
      OnOffboardLastSeen(Confirming(), nullptr, kMachineNow, TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(d.end->step_message,
            "Defender no longer lists machine abc123: nothing reports for it");
}

TEST(OffboardTaskMachineTest, LastSeenThatStopsBetweenChecksSucceeds) {
  Machine m;
  m.id = "abc123";
  m.last_seen = kMachineNow + absl::Seconds(5);
  const OffboardDecision moved =
      OnOffboardLastSeen(Confirming(), &m, kMachineNow, TestTiming());
  EXPECT_FALSE(moved.end.has_value());
  EXPECT_EQ(moved.task.checks, 1);
  EXPECT_EQ(moved.task.not_before, kMachineNow + absl::Seconds(30));
  ASSERT_THAT(moved.steps, SizeIs(1));
  EXPECT_THAT(moved.steps[0].message, HasSubstr("(check 2 of 3)"));
  const OffboardDecision still =
      OnOffboardLastSeen(moved.task, &m, kMachineNow, TestTiming());
  ASSERT_TRUE(still.end.has_value());
  EXPECT_EQ(still.end->to, v1::TASK_STATE_SUCCEEDED);
  EXPECT_THAT(still.end->step_message,
              HasSubstr("did not move since the last check"));
}

TEST(OffboardTaskMachineTest, LastSeenThatKeepsMovingFails) {
  OffboardTask t = Confirming();
  OffboardDecision d;
  for (int i = 1; i <= kLastSeenChecks; ++i) {
    Machine m;
    m.id = "abc123";
    m.last_seen = kMachineNow + absl::Seconds(i);
    d = OnOffboardLastSeen(t, &m, kMachineNow, TestTiming());
    t = d.task;
  }
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_FAILED);
  EXPECT_THAT(d.end->message, HasSubstr("lastSeen kept moving"));
  EXPECT_THAT(d.end->message, HasSubstr("after 3 checks 30s apart"));
}

TEST(OffboardTaskMachineTest, LastSeenCheckOutagesAreRetriedThenSkipped) {
  OffboardTask t = Confirming();
  OffboardDecision d;
  for (int i = 1; i < TestTiming().max_attempts; ++i) {
    d = OnOffboardLastSeenError(t, absl::UnavailableError("503"), kMachineNow,
                                TestTiming());
    ASSERT_FALSE(d.end.has_value()) << i;
    EXPECT_EQ(d.task.not_before, kMachineNow + absl::Seconds(30));
    t = d.task;
  }
  d = OnOffboardLastSeenError(t, absl::UnavailableError("503"), kMachineNow,
                              TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(d.end->message,
            "offboarded through the Defender API (machine action act-1); "
            "lastSeen not checked");
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_EQ(d.steps[0].state, v1::STEP_STATE_SKIPPED);
}

TEST(OffboardTaskMachineTest, LastSeenCheckWithoutPermissionIsSkipped) {
  const OffboardDecision d = OnOffboardLastSeenError(
      Confirming(), absl::PermissionDeniedError("no Machine.Read.All"),
      kMachineNow, TestTiming());
  ASSERT_TRUE(d.end.has_value());
  EXPECT_EQ(d.end->to, v1::TASK_STATE_SUCCEEDED);
  ASSERT_THAT(d.steps, SizeIs(1));
  EXPECT_THAT(d.steps[0].message,
              HasSubstr("lastSeen could not be checked (no Machine.Read.All)"));
}

TEST(OffboardTaskMachineTest, UnreadableActionFailsTheWait) {
  const OffboardTaskEnd end =
      OffboardActionUnreadable(Waiting(), absl::PermissionDeniedError("403"));
  EXPECT_EQ(end.to, v1::TASK_STATE_FAILED);
  EXPECT_EQ(end.failed_step, kOffboardWaitStep);
  EXPECT_EQ(end.message,
            "the offboarding was requested (machine action act-1) but its "
            "outcome cannot be read: 403");
}

TEST(OffboardTaskMachineTest, ResumedTaskPicksUpWhereTheDatabaseSays) {
  store::ApiTask requesting = FreshTask().task;
  EXPECT_EQ(ResumeOffboardTask(requesting, kMachineNow).next,
            OffboardNext::kLookup);
  store::ApiTask waiting = requesting;
  waiting.action_id = "act-1";
  waiting.step = kOffboardWaitStep;
  EXPECT_EQ(ResumeOffboardTask(waiting, kMachineNow).next, OffboardNext::kWait);
  store::ApiTask confirming = waiting;
  confirming.step = kOffboardConfirmStep;
  confirming.confirm_since = store::ToMicros(kMachineNow - absl::Minutes(1));
  const OffboardTask t = ResumeOffboardTask(confirming, kMachineNow);
  EXPECT_EQ(t.next, OffboardNext::kConfirm);
  EXPECT_EQ(t.confirm_since, kMachineNow - absl::Minutes(1));
  EXPECT_EQ(t.not_before, kMachineNow);
}

TEST(OffboardTaskMachineTest, CancelledJobAndTimeoutEndTheTask) {
  store::ApiTask task = Waiting().task;
  task.job_state = v1::JOB_STATE_RUNNING;
  EXPECT_FALSE(OffboardEndForJob(task, kMachineNow).has_value());

  store::ApiTask cancelled = task;
  cancelled.job_state = v1::JOB_STATE_CANCELLED;
  std::optional<OffboardTaskEnd> end =
      OffboardEndForJob(cancelled, kMachineNow);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->to, v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(end->message,
            "job cancelled; machine action act-1 stays in Defender (cancel it "
            "in the portal's Action center if needed)");

  store::ApiTask timed = task;
  timed.action_id = "";
  timed.started_at = store::ToMicros(kMachineNow - absl::Hours(2));
  timed.task_timeout = absl::ToInt64Microseconds(absl::Hours(1));
  end = OffboardEndForJob(timed, kMachineNow);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->to, v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(end->message,
            "task timeout (1h) reached: no machine action was recorded");
}

TEST(OffboardTaskMachineTest, LookupAdoptsTheNewestActionOfTheMachine) {
  MachineAction old_one = Action("Failed");
  old_one.created = kMachineNow - absl::Hours(1);
  MachineAction newer = Action("Pending");
  newer.id = "act-2";
  newer.created = kMachineNow;
  MachineAction other = Action("Pending");
  other.id = "act-3";
  other.machine_id = "someone-else";
  other.created = kMachineNow + absl::Hours(1);
  const std::vector<MachineAction> actions = {old_one, newer, other};
  const MachineAction* newest = NewestOffboardAction(actions, "abc123");
  ASSERT_NE(newest, nullptr);
  EXPECT_EQ(newest->id, "act-2");
  EXPECT_EQ(NewestOffboardAction({other}, "abc123"), nullptr);
}

}  // namespace
}  // namespace mdefleet::defender
