// The numbers the store's SQL writes for job, task and step states, as
// string literals to splice into statements ("... SET state = "
// SQL_TASK_QUEUED " WHERE ..."), each checked against its proto enum at
// compile time: a renumbered enum fails the build instead of writing wrong
// rows. Macros because only the preprocessor splices literals, and the
// statements stay compile-time constants (prepared once, cached).
#ifndef MDEFLEET_SERVER_STORE_SQL_STATES_H_
#define MDEFLEET_SERVER_STORE_SQL_STATES_H_

#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::store::sql_states {

// The number a decimal literal spells ("12" -> 12), for the checks below.
constexpr int LiteralValue(const char* text) {
  int value = 0;
  for (; *text != '\0'; ++text) value = value * 10 + (*text - '0');
  return value;
}

}  // namespace mdefleet::store::sql_states

#define MDEFLEET_SQL_STATE_CHECK(literal, proto_value)                       \
  static_assert(                                                             \
      ::mdefleet::store::sql_states::LiteralValue(literal) == (proto_value), \
      #literal " must match " #proto_value)

// jobs.state (v1::JobState)
#define SQL_JOB_PENDING "1"
#define SQL_JOB_RUNNING "2"
#define SQL_JOB_PAUSED "3"
#define SQL_JOB_SUCCEEDED "4"
#define SQL_JOB_FAILED "5"
#define SQL_JOB_CANCELLED "6"
#define SQL_JOB_EXPIRED "7"
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_PENDING, ::mdefleet::v1::JOB_STATE_PENDING);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_RUNNING, ::mdefleet::v1::JOB_STATE_RUNNING);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_PAUSED, ::mdefleet::v1::JOB_STATE_PAUSED);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_SUCCEEDED,
                         ::mdefleet::v1::JOB_STATE_SUCCEEDED);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_FAILED, ::mdefleet::v1::JOB_STATE_FAILED);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_CANCELLED,
                         ::mdefleet::v1::JOB_STATE_CANCELLED);
MDEFLEET_SQL_STATE_CHECK(SQL_JOB_EXPIRED, ::mdefleet::v1::JOB_STATE_EXPIRED);

// tasks.state (v1::TaskState)
#define SQL_TASK_QUEUED "1"
#define SQL_TASK_LEASED "2"
#define SQL_TASK_RUNNING "3"
#define SQL_TASK_SUCCEEDED "4"
#define SQL_TASK_FAILED "5"
#define SQL_TASK_SKIPPED "6"
#define SQL_TASK_CANCELLED "7"
#define SQL_TASK_TIMED_OUT "8"
#define SQL_TASK_EXPIRED "9"
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_QUEUED, ::mdefleet::v1::TASK_STATE_QUEUED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_LEASED, ::mdefleet::v1::TASK_STATE_LEASED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_RUNNING, ::mdefleet::v1::TASK_STATE_RUNNING);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_SUCCEEDED,
                         ::mdefleet::v1::TASK_STATE_SUCCEEDED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_FAILED, ::mdefleet::v1::TASK_STATE_FAILED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_SKIPPED, ::mdefleet::v1::TASK_STATE_SKIPPED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_CANCELLED,
                         ::mdefleet::v1::TASK_STATE_CANCELLED);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_TIMED_OUT,
                         ::mdefleet::v1::TASK_STATE_TIMED_OUT);
MDEFLEET_SQL_STATE_CHECK(SQL_TASK_EXPIRED, ::mdefleet::v1::TASK_STATE_EXPIRED);

// steps.state (v1::StepState)
#define SQL_STEP_PENDING "1"
#define SQL_STEP_RUNNING "2"
#define SQL_STEP_SUCCEEDED "3"
#define SQL_STEP_FAILED "4"
#define SQL_STEP_SKIPPED "5"
MDEFLEET_SQL_STATE_CHECK(SQL_STEP_PENDING, ::mdefleet::v1::STEP_STATE_PENDING);
MDEFLEET_SQL_STATE_CHECK(SQL_STEP_RUNNING, ::mdefleet::v1::STEP_STATE_RUNNING);
MDEFLEET_SQL_STATE_CHECK(SQL_STEP_SUCCEEDED,
                         ::mdefleet::v1::STEP_STATE_SUCCEEDED);
MDEFLEET_SQL_STATE_CHECK(SQL_STEP_FAILED, ::mdefleet::v1::STEP_STATE_FAILED);
MDEFLEET_SQL_STATE_CHECK(SQL_STEP_SKIPPED, ::mdefleet::v1::STEP_STATE_SKIPPED);

// jobs.pause_cause 0: not paused.
#define SQL_PAUSE_CAUSE_NONE "0"
MDEFLEET_SQL_STATE_CHECK(SQL_PAUSE_CAUSE_NONE,
                         ::mdefleet::v1::PAUSE_CAUSE_UNSPECIFIED);

#endif  // MDEFLEET_SERVER_STORE_SQL_STATES_H_
