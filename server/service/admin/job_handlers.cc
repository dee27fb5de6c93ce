// JobHandlers' reads: a job, the jobs, a job's tasks and a task's evidence.
#include "server/service/admin/job_handlers.h"

#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "server/store/evidence.h"
#include "server/store/jobs.h"
#include "server/store/tasks_query.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

// A wave's opening time is shown only while it is ahead.
void DropPastWaveOpening(int64_t now, v1::Job* job) {
  if (!job->rollout().has_wave_opens_at()) return;
  std::optional<int64_t> at =
      store::TimestampMicros(job->rollout().wave_opens_at());
  if (!at.has_value() || *at <= now) {
    job->mutable_rollout()->clear_wave_opens_at();
  }
}

}  // namespace

absl::StatusOr<v1::Job> JobHandlers::ReadJob(absl::string_view job_id,
                                             bool details) {
  if (job_id.empty()) return absl::InvalidArgumentError("job_id: required");
  std::optional<v1::Job> job;
  const int64_t now = store::ToMicros(clock_.Now());
  const int64_t online_since =
      now - absl::ToInt64Microseconds(options_.online_window);
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(job, store::GetJob(db, job_id));
    if (!job) return absl::OkStatus();
    RETURN_IF_ERROR(store::FillFailingSteps(db, &*job));
    if (details) {
      RETURN_IF_ERROR(store::FillStepSummary(db, &*job));
      RETURN_IF_ERROR(store::FillRolloutCounts(db, &*job, now, online_since));
    }
    return absl::OkStatus();
  }));
  if (!job) {
    return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id, "\""));
  }
  DropPastWaveOpening(now, &*job);
  return *std::move(job);
}

absl::StatusOr<v1::Job> JobHandlers::GetJob(absl::string_view authorization,
                                            const v1::GetJobRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "GetJob").status());
  return ReadJob(request.job_id(), /*details=*/true);
}

absl::StatusOr<v1::ListJobsResponse> JobHandlers::ListJobs(
    absl::string_view authorization, const v1::ListJobsRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListJobs").status());
  const int64_t limit =
      request.limit() == 0
          ? 50
          : std::min<int64_t>(request.limit(), kMaxListJobsLimit);
  std::vector<v1::Job> jobs;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(jobs, store::ListJobs(db, request.state(), limit));
    return absl::OkStatus();
  }));
  v1::ListJobsResponse response;
  const int64_t now = store::ToMicros(clock_.Now());
  for (v1::Job& job : jobs) {
    DropPastWaveOpening(now, &job);
    *response.add_jobs() = std::move(job);
  }
  return response;
}

absl::StatusOr<v1::ListTasksResponse> JobHandlers::ListTasks(
    absl::string_view authorization, const v1::ListTasksRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListTasks").status());
  RETURN_IF_ERROR(ReadJob(request.job_id(), false).status());
  int64_t after = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &after) || after <= 0)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  store::TaskPage page;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        page, store::ListTasks(db, request.job_id(), request.state(), after,
                               PageSizeOf(request.page_size())));
    return absl::OkStatus();
  }));
  v1::ListTasksResponse response;
  for (v1::Task& t : page.tasks) *response.add_tasks() = std::move(t);
  if (page.next_after != 0) {
    response.set_next_page_token(absl::StrCat(page.next_after));
  }
  return response;
}

absl::StatusOr<v1::GetTaskEvidenceResponse> JobHandlers::GetTaskEvidence(
    absl::string_view authorization,
    const v1::GetTaskEvidenceRequest& request) {
  RETURN_IF_ERROR(
      audited_.Authorize(authorization, "GetTaskEvidence").status());
  if (request.device_id().empty()) {
    return absl::InvalidArgumentError(
        "device_id: required (the device whose task's evidence to show)");
  }
  RETURN_IF_ERROR(ReadJob(request.job_id(), false).status());
  v1::GetTaskEvidenceResponse response;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(response, store::LoadTaskEvidence(db, request.job_id(),
                                                       request.device_id(),
                                                       request.step_name()));
    return absl::OkStatus();
  }));
  *response.mutable_retention() =
      google::protobuf::util::TimeUtil::MicrosecondsToDuration(
          absl::ToInt64Microseconds(options_.evidence_retention));
  return response;
}

}  // namespace mdefleet::service
