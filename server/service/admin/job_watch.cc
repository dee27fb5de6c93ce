// JobHandlers::WatchJob: the job streamed at every change until it ends,
// woken by the event hub rather than polling the store.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "server/service/admin/job_handlers.h"
#include "server/store/task_transitions.h"

namespace mdefleet::service {

absl::Status JobHandlers::WatchJob(
    absl::string_view authorization, const v1::WatchJobRequest& request,
    absl::FunctionRef<bool(const v1::Job&)> write,
    absl::FunctionRef<bool()> cancelled) {
  ASSIGN_OR_RETURN(const auth::Principal who,
                   audited_.Authorize(authorization, "WatchJob"));
  // Held until the stream ends, however it ends (the client's cancel is
  // seen within a second below).
  ASSIGN_OR_RETURN(
      StreamSlots::Slot slot,
      watch_slots_.Acquire(absl::StrCat(who.credential_id),
                           absl::StrCat("token \"", who.name, "\"")));
  uint64_t version = hub_.JobVersion(request.job_id());
  ASSIGN_OR_RETURN(v1::Job job, ReadJob(request.job_id(), false));
  std::string sent;
  while (true) {
    std::string now = job.SerializeAsString();
    if (now != sent) {
      if (!write(job))
        return absl::CancelledError("watch closed by the client");
      sent = std::move(now);
    }
    if (store::IsTerminal(job.state())) return absl::OkStatus();
    // Wait for a change notice; re-read every few seconds regardless.
    uint64_t next = version;
    for (int slice = 0; slice < 5 && next == version; ++slice) {
      if (cancelled()) return absl::CancelledError("watch cancelled");
      next = hub_.WaitForJobChange(request.job_id(), version, absl::Seconds(1));
    }
    version = next;
    absl::SleepFor(options_.watch_interval);
    if (cancelled()) return absl::CancelledError("watch cancelled");
    ASSIGN_OR_RETURN(job, ReadJob(request.job_id(), false));
  }
}

}  // namespace mdefleet::service
