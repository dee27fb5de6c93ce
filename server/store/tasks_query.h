// Reading tasks of a job with their steps (ListTasks).
#ifndef MDEFLEET_SERVER_STORE_TASKS_QUERY_H_
#define MDEFLEET_SERVER_STORE_TASKS_QUERY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct TaskPage {
  std::vector<v1::Task> tasks;
  int64_t next_after = 0;  // 0 when this is the last page
};

// Tasks of `job_id` in submission order after position `after` (0: from the
// start), in `state` unless UNSPECIFIED; every planned step is present, as
// PENDING where nothing was reported yet.
[[nodiscard]] absl::StatusOr<TaskPage> ListTasks(Connection& db,
                                                 absl::string_view job_id,
                                                 v1::TaskState state,
                                                 int64_t after, int64_t limit);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TASKS_QUERY_H_
