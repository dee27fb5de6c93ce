#include "server/defender/api_call_budget.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/api_tasks.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {

using store::FromMicros;
using store::ToMicros;

ApiCallBudget::ApiCallBudget(store::Store& store, const Clock& clock,
                             SlidingWindowLimiter limiter,
                             absl::Duration call_timeout)
    : store_(store),
      clock_(clock),
      call_timeout_(call_timeout),
      limiter_(std::move(limiter)) {}

absl::Status ApiCallBudget::Recover() {
  const absl::Time now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  absl::Duration longest = absl::ZeroDuration();
  for (const auto& w : limiter_.windows())
    longest = std::max(longest, w.length);
  std::vector<int64_t> calls;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(calls, store::LoadApiCalls(db, ToMicros(now - longest)));
    return absl::OkStatus();
  }));
  std::vector<absl::Time> times;
  for (int64_t c : calls) times.push_back(FromMicros(c));
  limiter_.Restore(times, now);
  if (!calls.empty()) {
    LogEvent(absl::StrCat("Defender API: ", calls.size(),
                          " call(s) of the last hour count toward the rate "
                          "limit"));
  }
  return absl::OkStatus();
}

bool ApiCallBudget::HasRoom() const {
  const absl::Time now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  return limiter_.NextAllowed(now) <= now;
}

absl::Time ApiCallBudget::NextAllowed(absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  return limiter_.NextAllowed(now);
}

absl::Status ApiCallBudget::BeginCall(absl::Time* started, int64_t* id) {
  *started = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!limiter_.TryAcquire(*started)) {
      return absl::ResourceExhaustedError("no room in the rate limit");
    }
  }
  // Persisted as the latest moment Defender could receive it, so that a
  // crash before EndCall over-counts rather than under-counts.
  const int64_t at = ToMicros(*started + call_timeout_);
  return store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(*id, store::InsertApiCall(db, at));
    return absl::OkStatus();
  });
}

absl::Status ApiCallBudget::EndCall(absl::Time started, int64_t id) {
  const absl::Time finished = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    limiter_.Complete(started, finished);
  }
  return store_.Write([&](store::Connection& db) {
    return store::MoveApiCall(db, id, ToMicros(std::max(started, finished)));
  });
}

void ApiCallBudget::BlockUntil(absl::Time until) {
  std::lock_guard<std::mutex> lock(mu_);
  limiter_.BlockUntil(until);
}

void ApiCallBudget::Prune(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  limiter_.Prune(now);
}

int64_t ApiCallBudget::CallsWithin(absl::Time now,
                                   absl::Duration length) const {
  std::lock_guard<std::mutex> lock(mu_);
  return limiter_.CallsWithin(now, length);
}

}  // namespace mdefleet::defender
