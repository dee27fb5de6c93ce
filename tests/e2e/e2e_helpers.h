// Small lookups over the CLI's JSON answers shared by the end-to-end tests.
#ifndef MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
#define MDEFLEET_TESTS_E2E_E2E_HELPERS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/e2e/e2e_environment.h"

namespace mdefleet::testing {

// "YYYY-MM-DD" of today + `days` (UTC).
inline std::string DatePlusDays(int days) {
  absl::CivilDay day =
      absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + days;
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

// Tasks of a response keyed by hostname.
inline std::map<std::string, v1::Task> TasksByHost(
    const v1::ListTasksResponse& response) {
  std::map<std::string, v1::Task> tasks;
  for (const auto& task : response.tasks()) tasks[task.hostname()] = task;
  return tasks;
}

inline std::vector<std::string> StepNames(const v1::Task& task) {
  std::vector<std::string> names;
  for (const auto& step : task.steps()) names.push_back(step.name());
  return names;
}

inline const v1::StepResult* FindStep(const v1::Task& task,
                                      const std::string& name) {
  for (const auto& step : task.steps()) {
    if (step.name() == name) return &step;
  }
  return nullptr;
}

// The single task whose hostname starts with `prefix`.
inline const v1::Task* TaskForHostPrefix(const v1::ListTasksResponse& response,
                                         const std::string& prefix) {
  const v1::Task* found = nullptr;
  for (const auto& task : response.tasks()) {
    if (task.hostname().rfind(prefix, 0) == 0) {
      if (found != nullptr) return nullptr;
      found = &task;
    }
  }
  return found;
}

// Waits for job `id` to end (succeeded, failed or cancelled) and returns it;
// at the deadline, a test failure (with the server log) and the job as it
// was.
inline v1::Job WaitForJobEnd(E2eEnvironment& env, const std::string& id,
                             absl::Duration timeout = absl::Seconds(120)) {
  const absl::Time deadline = absl::Now() + timeout;
  v1::Job job;
  while (absl::Now() < deadline) {
    job.Clear();
    if (env.CtlJson({"jobs", "get", id}, &job).ok() &&
        (job.state() == v1::JOB_STATE_SUCCEEDED ||
         job.state() == v1::JOB_STATE_FAILED ||
         job.state() == v1::JOB_STATE_CANCELLED)) {
      return job;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ADD_FAILURE() << "job " << id << " did not end: " << job.ShortDebugString()
                << "\n"
                << env.server_log();
  return job;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
