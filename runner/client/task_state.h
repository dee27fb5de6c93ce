// How a task ends, decided from its steps' results: a pure function, so the
// rules (a continue_on_failure finding, a step that skips the task, a task
// of skipped steps) are tested without running a step.
#ifndef MDEFLEET_RUNNER_CLIENT_TASK_STATE_H_
#define MDEFLEET_RUNNER_CLIENT_TASK_STATE_H_

#include "mdefleet/v1/types.pb.h"

namespace mdefleet::runner {

// What the steps reported so far add up to.
class StepTally {
 public:
  // Counts one step's final state (a replayed one too).
  void Count(v1::StepState state);

  // Every counted step was SKIPPED (none did anything).
  bool all_skipped() const { return all_skipped_; }
  // A step FAILED (a continue_on_failure finding counts).
  bool any_failed() const { return any_failed_; }

 private:
  bool all_skipped_ = true;
  bool any_failed_ = false;
};

// One step's result as the task sees it.
struct StepVerdict {
  v1::StepState state = v1::STEP_STATE_UNSPECIFIED;
  // The step found nothing to do for the whole task (e.g. already onboarded).
  bool skips_task = false;
  // The plan lets the next steps run after this one fails.
  bool continue_on_failure = false;
  bool last_step = false;
};

// The task state the step's report carries: UNSPECIFIED while the task goes
// on, else how it ended. `tally` has counted this step already.
v1::TaskState TaskStateAfter(const StepTally& tally, const StepVerdict& step);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_TASK_STATE_H_
