#include "runner/client/task_state.h"

namespace mdefleet::runner {

void StepTally::Count(v1::StepState state) {
  if (state != v1::STEP_STATE_SKIPPED) all_skipped_ = false;
  if (state == v1::STEP_STATE_FAILED) any_failed_ = true;
}

v1::TaskState TaskStateAfter(const StepTally& tally, const StepVerdict& step) {
  if (step.state == v1::STEP_STATE_FAILED) {
    // A finding (continue_on_failure) lets the next steps run.
    return step.continue_on_failure && !step.last_step
               ? v1::TASK_STATE_UNSPECIFIED
               : v1::TASK_STATE_FAILED;
  }
  if (step.skips_task) {
    return tally.any_failed() ? v1::TASK_STATE_FAILED : v1::TASK_STATE_SKIPPED;
  }
  if (!step.last_step) return v1::TASK_STATE_UNSPECIFIED;
  if (tally.any_failed()) return v1::TASK_STATE_FAILED;
  return tally.all_skipped() ? v1::TASK_STATE_SKIPPED
                             : v1::TASK_STATE_SUCCEEDED;
}

}  // namespace mdefleet::runner
