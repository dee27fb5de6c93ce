// Small lookups over the CLI's JSON answers shared by the end-to-end tests.
#ifndef MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
#define MDEFLEET_TESTS_E2E_E2E_HELPERS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mdefleet/v1/admin.pb.h"

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

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
