#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/device_needs.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/log.h"
#include "server/store/artifacts.h"
#include "server/store/device_access.h"
#include "server/store/devices.h"
#include "server/store/enrollment.h"
#include "server/store/evidence.h"
#include "server/store/jobs.h"
#include "server/store/tasks_query.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

uint32_t PageSize(uint32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

absl::StatusOr<absl::Duration> NonNegative(const google::protobuf::Duration& d,
                                           absl::string_view field) {
  absl::Duration out =
      absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (out < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not be negative"));
  }
  return out;
}

// A wave's opening time is shown only while it is ahead.
void DropPastWaveOpening(int64_t now, v1::Job* job) {
  if (!job->rollout().has_wave_opens_at()) return;
  std::optional<int64_t> at =
      store::TimestampMicros(job->rollout().wave_opens_at());
  if (!at.has_value() || *at <= now) {
    job->mutable_rollout()->clear_wave_opens_at();
  }
}

v1::Device ToDevice(const store::DeviceRow& row, int64_t online_since,
                    int64_t offline_before) {
  v1::Device d;
  d.set_id(row.id);
  *d.mutable_facts() = row.facts;
  store::SetTimestamp(row.enrolled_at, d.mutable_enrolled_at());
  store::SetTimestamp(row.last_seen_at, d.mutable_last_seen_at());
  d.set_online(row.last_seen_at >= online_since);
  for (const std::string& id : row.clone_of) d.add_clone_of(id);
  uint32_t needs = row.needs;
  if (!row.clone_of.empty()) needs |= kNeedCloned;
  for (const std::string& id : row.hostname_shared_with) {
    d.add_hostname_shared_with(id);
  }
  if (!row.hostname_shared_with.empty()) needs |= kNeedDuplicateHostname;
  const bool onboarded =
      row.facts.mde_state() == v1::MDE_STATE_ONBOARDED ||
      row.facts.mde_state() == v1::MDE_STATE_SENSE_NOT_RUNNING;
  if (onboarded && row.last_seen_at < offline_before) needs |= kNeedOffline;
  if (!row.duplicate_of.empty() && !row.revoked) {
    needs |= kNeedDuplicateIdentity;
  }
  for (v1::DeviceNeed& need : DescribeNeeds(needs)) {
    if (need.need() == "duplicate_identity") {
      need.set_advice(DuplicateIdentityAdvice(row.duplicate_of));
    }
    if (need.need() == "duplicate_hostname") {
      need.set_advice(absl::StrCat(
          "also reported by ", absl::StrJoin(row.hostname_shared_with, ", "),
          ": ", need.advice()));
    }
    *d.add_needs() = std::move(need);
  }
  return d;
}

}  // namespace

absl::StatusOr<v1::ListDevicesResponse> AdminHandlers::ListDevices(
    absl::string_view authorization, const v1::ListDevicesRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListDevices").status());
  const int64_t now = store::ToMicros(clock_.Now());
  store::DeviceQuery query;
  if (request.os_family() != v1::OS_FAMILY_UNSPECIFIED) {
    query.os_families.push_back(request.os_family());
  }
  if (!request.label().empty()) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(request.label(), absl::MaxSplits('=', 1));
    if (kv.first.empty() || request.label().find('=') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label: expected key=value, got \"", request.label(), "\""));
    }
    query.labels[kv.first] = kv.second;
  }
  query.mde_state = request.mde_state();
  if (request.has_seen_within()) {
    ASSIGN_OR_RETURN(absl::Duration d,
                     NonNegative(request.seen_within(), "seen_within"));
    query.seen_since = now - absl::ToInt64Microseconds(d);
  }
  if (request.has_unseen_for()) {
    ASSIGN_OR_RETURN(absl::Duration d,
                     NonNegative(request.unseen_for(), "unseen_for"));
    query.seen_before = now - absl::ToInt64Microseconds(d);
  }
  query.hostname_glob = request.hostname_glob();
  absl::Duration offline_for = kDefaultOfflineFor;
  if (request.has_offline_for()) {
    ASSIGN_OR_RETURN(offline_for,
                     NonNegative(request.offline_for(), "offline_for"));
  }
  const int64_t offline_before = now - absl::ToInt64Microseconds(offline_for);
  if (!request.needs().empty()) {
    ASSIGN_OR_RETURN(query.needs_any, NeedsHelpedBy(request.needs(), "needs"));
    query.offline_before = offline_before;
  }
  if (!request.page_token().empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &decoded) ||
        decoded.find('\n') == std::string::npos) {
      return absl::InvalidArgumentError("page_token: malformed");
    }
    std::pair<std::string, std::string> key =
        absl::StrSplit(decoded, absl::MaxSplits('\n', 1));
    query.after = key;
  }
  const uint32_t page_size = PageSize(request.page_size());
  query.limit = page_size + 1;
  std::vector<store::DeviceRow> rows;
  int64_t total = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(rows, store::QueryDevices(db, query));
    ASSIGN_OR_RETURN(total, store::CountDevices(db, query));
    return absl::OkStatus();
  }));
  v1::ListDevicesResponse response;
  const int64_t online_since =
      now - absl::ToInt64Microseconds(options_.online_window);
  for (size_t i = 0; i < rows.size() && i < page_size; ++i) {
    *response.add_devices() = ToDevice(rows[i], online_since, offline_before);
  }
  if (rows.size() > page_size) {
    const store::DeviceRow& last = rows[page_size - 1];
    response.set_next_page_token(absl::WebSafeBase64Escape(
        absl::StrCat(last.facts.hostname(), "\n", last.id)));
  }
  response.set_total(static_cast<uint32_t>(total));
  return response;
}

absl::StatusOr<v1::Device> AdminHandlers::GetDevice(
    absl::string_view authorization, const v1::GetDeviceRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "GetDevice").status());
  if (request.device_id().empty()) {
    return absl::InvalidArgumentError("device_id: required");
  }
  std::optional<store::DeviceRow> row;
  store::DeviceAccess access;
  v1::DeviceEnrollment enrollment;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(row, store::GetDevice(db, request.device_id()));
    if (!row) return absl::OkStatus();
    ASSIGN_OR_RETURN(access, store::GetDeviceAccess(db, request.device_id()));
    ASSIGN_OR_RETURN(enrollment,
                     store::ReadDeviceEnrollment(db, request.device_id()));
    return absl::OkStatus();
  }));
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("device_id: no device \"", request.device_id(), "\""));
  }
  const int64_t now = store::ToMicros(clock_.Now());
  v1::Device device =
      ToDevice(*row, now - absl::ToInt64Microseconds(options_.online_window),
               now - absl::ToInt64Microseconds(kDefaultOfflineFor));
  if (access.revoked_at) {
    store::SetTimestamp(*access.revoked_at, device.mutable_revoked_at());
    device.set_revoked_reason(access.revoked_reason);
  }
  if (access.runner_clone_seen_at) {
    store::SetTimestamp(*access.runner_clone_seen_at,
                        device.mutable_runner_clone_seen_at());
  }
  *device.mutable_enrollment() = std::move(enrollment);
  return device;
}

absl::StatusOr<v1::Job> AdminHandlers::ReadJob(absl::string_view job_id,
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

absl::StatusOr<v1::Job> AdminHandlers::GetJob(
    absl::string_view authorization, const v1::GetJobRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "GetJob").status());
  return ReadJob(request.job_id(), /*details=*/true);
}

absl::StatusOr<v1::ListJobsResponse> AdminHandlers::ListJobs(
    absl::string_view authorization, const v1::ListJobsRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListJobs").status());
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

absl::StatusOr<v1::ListTasksResponse> AdminHandlers::ListTasks(
    absl::string_view authorization, const v1::ListTasksRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListTasks").status());
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
                               PageSize(request.page_size())));
    return absl::OkStatus();
  }));
  v1::ListTasksResponse response;
  for (v1::Task& t : page.tasks) *response.add_tasks() = std::move(t);
  if (page.next_after != 0) {
    response.set_next_page_token(absl::StrCat(page.next_after));
  }
  return response;
}

absl::StatusOr<v1::GetTaskEvidenceResponse> AdminHandlers::GetTaskEvidence(
    absl::string_view authorization,
    const v1::GetTaskEvidenceRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "GetTaskEvidence").status());
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

absl::Status AdminHandlers::WatchJob(
    absl::string_view authorization, const v1::WatchJobRequest& request,
    absl::FunctionRef<bool(const v1::Job&)> write,
    absl::FunctionRef<bool()> cancelled) {
  ASSIGN_OR_RETURN(const auth::Principal who,
                   Authorize(authorization, "WatchJob"));
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

absl::StatusOr<v1::ListArtifactsResponse> AdminHandlers::ListArtifacts(
    absl::string_view authorization, const v1::ListArtifactsRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListArtifacts").status());
  std::vector<v1::Artifact> artifacts;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(artifacts, store::ListArtifacts(db, request.kind()));
    return absl::OkStatus();
  }));
  v1::ListArtifactsResponse response;
  for (v1::Artifact& a : artifacts) *response.add_artifacts() = std::move(a);
  return response;
}

}  // namespace mdefleet::service
