// libFuzzer target: a submitted job spec (SubmitJobRequest.spec, sent by any
// holder of an operator token) through everything the server does with it
// before it is stored: ValidateJobSpec, then for a valid spec the rollout
// policy's resolution against the target size and the clock, the retry
// backoff and the maintenance windows, evaluated for device UTC offsets as
// runners report them (a hostile runner may report any int32).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/job_spec_validation.h"
#include "common/maintenance_window.h"
#include "common/plan/plan.h"
#include "common/rollout_policy.h"
#include "mdefleet/v1/jobs.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_proto.h"

namespace mdefleet {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1742040000);  // 2025-03-15 12:00

void CheckResolved(const v1::RolloutPolicy& validated, int64_t targeted,
                   std::optional<absl::Time> expiry) {
  v1::RolloutPolicy policy = validated;
  absl::StatusOr<ResolvedPolicy> resolved =
      ResolveRolloutPolicy(&policy, targeted, kNow, expiry);
  if (!resolved.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(resolved.status()),
               resolved.status().ToString());
    return;
  }
  FUZZ_CHECK(resolved->canary >= 0 && resolved->canary <= targeted,
             "canary outside the target");
  FUZZ_CHECK(resolved->wave_size >= 0, "negative wave size");
  FUZZ_CHECK(resolved->max_in_flight >= 0, "negative max_in_flight");
  FUZZ_CHECK(!resolved->max_failures || *resolved->max_failures >= 0,
             "negative max_failures");
  FUZZ_CHECK(resolved->retry_backoff >= absl::ZeroDuration(),
             "negative retry backoff");
  if (resolved->deadline) {
    FUZZ_CHECK(*resolved->deadline > kNow || resolved->deadline_capped,
               "deadline not in the future");
  }
  // The stored form resolves the same way again (the relative deadline was
  // made absolute).
  FUZZ_CHECK(!policy.has_deadline_after(), "deadline_after kept");
  for (int64_t n = 1; n <= resolved->retries + 1; ++n) {
    const absl::Duration delay = RetryDelay(resolved->retry_backoff, n);
    FUZZ_CHECK(delay >= absl::ZeroDuration() && delay <= kMaxRetryBackoff,
               "retry delay out of range");
  }
}

void CheckWindows(const v1::RolloutPolicy& policy) {
  absl::StatusOr<std::vector<MaintenanceWindowSpec>> windows =
      ParsePolicyWindows(policy);
  FUZZ_CHECK(windows.ok(), "a validated policy's windows do not parse: " +
                               windows.status().ToString());
  for (const MaintenanceWindowSpec& w : *windows) {
    const std::string text = FormatMaintenanceWindow(w);
    absl::StatusOr<MaintenanceWindowSpec> again =
        ParseMaintenanceWindow(text, "canonical");
    FUZZ_CHECK(again.ok(), "canonical form does not parse: " + text);
    FUZZ_CHECK(again->days == w.days && again->start_minute == w.start_minute &&
                   again->length_minutes == w.length_minutes,
               "canonical form is another window: " + text);
  }
  for (int offset : {std::numeric_limits<int>::min(), -1000000, -720, 0, 540,
                     kMinutesPerWeek + 1, std::numeric_limits<int>::max()}) {
    const bool may_start = TaskMayStartNow(policy, kNow, offset);
    std::optional<NextOpening> next =
        NextMaintenanceOpening(*windows, kNow, offset);
    FUZZ_CHECK(next.has_value() == !windows->empty(), "next opening");
    if (next) {
      FUZZ_CHECK(next->index < windows->size(), "window index");
      FUZZ_CHECK(next->at >= kNow - absl::Minutes(1) &&
                     next->at <= kNow + absl::Minutes(kMinutesPerWeek),
                 "next opening more than a week away");
    }
    if (policy.maintenance_scope() != v1::MAINTENANCE_SCOPE_WHOLE_TASK) {
      FUZZ_CHECK(may_start, "only WHOLE_TASK holds tasks back");
    }
  }
}

int FuzzJobSpec(const uint8_t* data, size_t size) {
  v1::JobSpec spec;
  if (!fuzz::ParseQuietly(data, size, &spec)) return -1;
  const absl::Status valid = ValidateJobSpec(spec);
  if (!valid.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(valid), valid.ToString());
    return 0;
  }
  bool known = false;
  for (const std::string& kind : KnownJobKinds()) known |= kind == spec.kind();
  FUZZ_CHECK(known, "accepted unknown kind " + spec.kind());
  for (int64_t targeted : {int64_t{1}, int64_t{7}, int64_t{100000}}) {
    CheckResolved(spec.policy(), targeted, std::nullopt);
    CheckResolved(spec.policy(), targeted, kNow + absl::Hours(36));
  }
  FormatThreshold(spec.policy().wave_size());
  FormatThreshold(spec.policy().max_failures());
  CheckWindows(spec.policy());
  return 0;
}

}  // namespace
}  // namespace mdefleet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mdefleet::FuzzJobSpec(data, size);
}
