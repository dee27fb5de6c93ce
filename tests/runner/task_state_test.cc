// How a task ends, from its steps' results (runner/client/task_state.h).
#include "runner/client/task_state.h"

#include <vector>

#include "gtest/gtest.h"

namespace mdefleet::runner {
namespace {

// Counts `states` and decides the last one's task state.
v1::TaskState After(const std::vector<v1::StepState>& states,
                    StepVerdict last) {
  StepTally tally;
  for (v1::StepState s : states) tally.Count(s);
  last.state = states.back();
  return TaskStateAfter(tally, last);
}

TEST(TaskStateTest, AStepInTheMiddleLeavesTheTaskGoingOn) {
  EXPECT_EQ(After({v1::STEP_STATE_SUCCEEDED}, {}), v1::TASK_STATE_UNSPECIFIED);
  EXPECT_EQ(After({v1::STEP_STATE_SKIPPED}, {}), v1::TASK_STATE_UNSPECIFIED);
}

TEST(TaskStateTest, TheLastStepEndsIt) {
  EXPECT_EQ(After({v1::STEP_STATE_SKIPPED, v1::STEP_STATE_SUCCEEDED},
                  {.last_step = true}),
            v1::TASK_STATE_SUCCEEDED);
  // Nothing was done anywhere: the task did not apply.
  EXPECT_EQ(After({v1::STEP_STATE_SKIPPED, v1::STEP_STATE_SKIPPED},
                  {.last_step = true}),
            v1::TASK_STATE_SKIPPED);
}

TEST(TaskStateTest, AFailureEndsItUnlessItIsAFinding) {
  EXPECT_EQ(After({v1::STEP_STATE_FAILED}, {}), v1::TASK_STATE_FAILED);
  EXPECT_EQ(After({v1::STEP_STATE_FAILED}, {.continue_on_failure = true}),
            v1::TASK_STATE_UNSPECIFIED);
  EXPECT_EQ(After({v1::STEP_STATE_FAILED},
                  {.continue_on_failure = true, .last_step = true}),
            v1::TASK_STATE_FAILED);
  // A finding earlier makes a task that otherwise succeeded FAILED.
  EXPECT_EQ(After({v1::STEP_STATE_FAILED, v1::STEP_STATE_SUCCEEDED},
                  {.last_step = true}),
            v1::TASK_STATE_FAILED);
}

TEST(TaskStateTest, AStepThatSkipsTheTaskEndsItEarly) {
  EXPECT_EQ(After({v1::STEP_STATE_SUCCEEDED}, {.skips_task = true}),
            v1::TASK_STATE_SKIPPED);
  EXPECT_EQ(After({v1::STEP_STATE_FAILED, v1::STEP_STATE_SUCCEEDED},
                  {.skips_task = true}),
            v1::TASK_STATE_FAILED);
}

}  // namespace
}  // namespace mdefleet::runner
