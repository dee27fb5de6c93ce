// Small lookups over the CLI's JSON answers shared by the end-to-end tests,
// and the waits for a job to get somewhere.
#ifndef MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
#define MDEFLEET_TESTS_E2E_E2E_HELPERS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/testing/eventually.h"

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

// How often the end-to-end waits ask: each question starts mdefleetctl.
inline constexpr absl::Duration kPollEvery = absl::Milliseconds(200);

// The job as `jobs get` shows it once `done` holds; at the deadline, a test
// failure (with the server log) and the job as last read.
inline v1::Job WaitForJob(E2eEnvironment& env, const std::string& id,
                          const std::function<bool(const v1::Job&)>& done,
                          absl::Duration timeout = absl::Seconds(90)) {
  v1::Job job;
  const bool reached = Eventually(
      [&] {
        job.Clear();
        return env.CtlJson({"jobs", "get", id}, &job).ok() && done(job);
      },
      timeout, kPollEvery);
  if (!reached) {
    ADD_FAILURE() << "job " << id
                  << " did not get there in time: " << job.ShortDebugString()
                  << "\n"
                  << env.server_log();
  }
  return job;
}

inline bool JobEnded(const v1::Job& job) {
  return job.state() == v1::JOB_STATE_SUCCEEDED ||
         job.state() == v1::JOB_STATE_FAILED ||
         job.state() == v1::JOB_STATE_CANCELLED;
}

// Waits for job `id` to end (succeeded, failed or cancelled) and returns it,
// as WaitForJob does.
inline v1::Job WaitForJobEnd(E2eEnvironment& env, const std::string& id,
                             absl::Duration timeout = absl::Seconds(120)) {
  return WaitForJob(env, id, JobEnded, timeout);
}

// Waits until every enrolled device has checked for work `polls` times after
// `since`, and returns whether it did (at the timeout, a test failure with
// each device's last poll and the server log). A PollTasks call arriving
// checks for work and sets the device's last_seen_at to that time (an idle
// one's within about a second: SeenFlusher), so every new value after
// `since` is a check that would have leased a task it could: "nothing was
// leased" checked after this saw the runners poll, not a guessed length of
// time. A runner polls again only once its poll was answered, so the second
// new value is a poll that started after `since` for sure.
inline bool WaitForPollsSince(E2eEnvironment& env, absl::Time since,
                              int polls = 2,
                              absl::Duration timeout = absl::Seconds(60)) {
  std::map<std::string, absl::Time> last;  // by device: newest value seen
  std::map<std::string, int> seen;         // by device: values after since
  const auto all_polled = [&] {
    v1::ListDevicesResponse devices;
    if (!env.CtlJson({"devices", "list"}, &devices).ok()) return false;
    bool done = devices.devices_size() > 0;
    for (const v1::Device& d : devices.devices()) {
      const absl::Time at = absl::FromUnixSeconds(d.last_seen_at().seconds()) +
                            absl::Nanoseconds(d.last_seen_at().nanos());
      auto it = last.emplace(d.id(), since).first;
      if (at > it->second) {
        it->second = at;
        ++seen[d.id()];
      }
      done = done && seen[d.id()] >= polls;
    }
    return done;
  };
  if (Eventually(all_polled, timeout, kPollEvery)) return true;
  std::string report;
  for (const auto& [id, at] : last) {
    absl::StrAppendFormat(&report, "\n  %s: %d poll(s), last %s", id, seen[id],
                          absl::FormatTime(at));
  }
  ADD_FAILURE() << "the runners did not poll " << polls << " times after "
                << absl::FormatTime(since) << " within "
                << absl::FormatDuration(timeout) << ":" << report << "\n"
                << env.server_log();
  return false;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_E2E_HELPERS_H_
