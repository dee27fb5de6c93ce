// JobHandlers::SubmitJob: validation, target and artifact resolution,
// planning, and the bulk insert.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/api_offboard.h"
#include "common/artifact_validation.h"
#include "common/job_spec_validation.h"
#include "common/os_family.h"
#include "common/plan/plan.h"
#include "common/random.h"
#include "common/rollout_policy.h"
#include "common/status_macros.h"
#include "server/auth/access_policy.h"
#include "server/service/admin/job_handlers.h"
#include "server/service/log.h"
#include "server/store/artifacts.h"
#include "server/store/audit.h"
#include "server/store/deterministic_bytes.h"
#include "server/store/devices.h"
#include "server/store/jobs.h"
#include "server/store/planning.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

std::string KindPhrase(v1::ArtifactKind kind) {
  switch (kind) {
    case v1::ARTIFACT_KIND_ONBOARDING_SCRIPT:
      return "an onboarding script";
    case v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT:
      return "an offboarding script";
    case v1::ARTIFACT_KIND_INSTALL_SCRIPT:
      return "an install script (Install.ps1)";
    case v1::ARTIFACT_KIND_INSTALLER_MSI:
      return "an installer MSI (md4ws.msi)";
    case v1::ARTIFACT_KIND_URL_LIST:
      return "a URL list";
    default:
      return "an artifact of unknown kind";
  }
}

// Checks that an explicitly given artifact id exists with the right kind.
[[nodiscard]] absl::StatusOr<std::optional<v1::Artifact>> CheckArtifact(
    store::Connection& db, const std::string& id, v1::ArtifactKind kind,
    absl::string_view field) {
  if (id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<v1::Artifact> artifact,
                   store::GetArtifact(db, id));
  if (!artifact) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.", field, ": no artifact ", id));
  }
  if (artifact->kind() != kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.", field, ": artifact ", id, " is ",
                     KindPhrase(artifact->kind()), ", not ", KindPhrase(kind)));
  }
  return artifact;
}

store::DeviceQuery TargetQuery(const v1::TargetSelector& target) {
  store::DeviceQuery q;
  q.device_ids.assign(target.device_ids().begin(), target.device_ids().end());
  q.hostname_glob = target.hostname_glob();
  for (const auto& [k, v] : target.labels()) q.labels[k] = v;
  for (int f : target.os_families()) {
    q.os_families.push_back(static_cast<v1::OsFamily>(f));
  }
  return q;
}

bool HasCriteria(const v1::TargetSelector& t) {
  return t.device_ids_size() > 0 || !t.hostname_glob().empty() ||
         !t.labels().empty() || t.os_families_size() > 0;
}

// Targeted devices whose host name other devices report too, one entry per
// name (ASCII case-insensitive), each with every device reporting it.
std::vector<v1::HostnameConflict> HostnameConflicts(
    const std::vector<store::DeviceRow>& devices) {
  std::map<std::string, v1::HostnameConflict> by_name;
  for (const store::DeviceRow& d : devices) {
    if (d.hostname_shared_with.empty()) continue;
    v1::HostnameConflict& c =
        by_name[absl::AsciiStrToLower(d.facts.hostname())];
    if (c.hostname().empty()) c.set_hostname(d.facts.hostname());
    if (c.device_ids_size() > 0) continue;
    std::vector<std::string> ids = d.hostname_shared_with;
    ids.push_back(d.id);
    std::sort(ids.begin(), ids.end());
    for (std::string& id : ids) c.add_device_ids(std::move(id));
  }
  std::vector<v1::HostnameConflict> out;
  for (auto& [name, conflict] : by_name) out.push_back(std::move(conflict));
  return out;
}

// A host: target is a claim about names, and any device can report any
// name: when it selects a device whose name another device reports too, the
// operator must say which devices are meant, by id.
[[nodiscard]] absl::Status CheckHostTargetIsUnambiguous(
    const v1::TargetSelector& target,
    const std::vector<v1::HostnameConflict>& conflicts) {
  if (target.hostname_glob().empty() || target.device_ids_size() > 0 ||
      conflicts.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::string> parts;
  for (const v1::HostnameConflict& c : conflicts) {
    parts.push_back(absl::StrCat(c.hostname(), " (",
                                 absl::StrJoin(c.device_ids(), ", "), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "target.hostname_glob \"", target.hostname_glob(),
      "\" selects devices whose host name another device reports too: ",
      absl::StrJoin(parts, "; "),
      ". A device can report any host name: check them (mdefleetctl devices "
      "get ID) and name the ones you mean by id (--target id:<device-id>)"));
}

// When an offboarding script valid until `day` (inclusive, UTC) expires.
absl::Time EndOfDay(absl::CivilDay day) {
  return absl::FromCivil(day + 1, absl::UTCTimeZone());
}

// How many devices to wake at submit: what the first wave (or canary) and
// max_in_flight let lease at once, twice (some lose the race); 0: all.
size_t InitialWake(const ResolvedPolicy& p) {
  int64_t first = p.canary > 0 ? p.canary : p.wave_size;
  if (p.max_in_flight > 0 && (first == 0 || p.max_in_flight < first)) {
    first = p.max_in_flight;
  }
  return static_cast<size_t>(first) * 2;
}

// The devices the job's target selects, each named id existing; the host
// name conflicts among them go into `response`.
[[nodiscard]] absl::StatusOr<std::vector<store::DeviceRow>> TargetedDevices(
    store::Connection& db, const v1::TargetSelector& target,
    v1::SubmitJobResponse* response) {
  ASSIGN_OR_RETURN(std::vector<store::DeviceRow> devices,
                   store::QueryDevices(db, TargetQuery(target)));
  for (const std::string& id : target.device_ids()) {
    ASSIGN_OR_RETURN(std::optional<store::DeviceRow> d,
                     store::GetDevice(db, id));
    if (!d) {
      return absl::InvalidArgumentError(
          absl::StrCat("target.device_ids: no device \"", id, "\""));
    }
  }
  if (devices.empty()) {
    return absl::InvalidArgumentError("target: matches no device");
  }
  const std::vector<v1::HostnameConflict> conflicts =
      HostnameConflicts(devices);
  RETURN_IF_ERROR(CheckHostTargetIsUnambiguous(target, conflicts));
  for (const v1::HostnameConflict& c : conflicts) {
    *response->add_hostname_conflicts() = c;
  }
  return devices;
}

// When the job's offboarding script expires (end of its valid-until day);
// refused when it already has. nullopt: no script, or no date in its name.
[[nodiscard]] absl::StatusOr<std::optional<absl::Time>> OffboardingScriptExpiry(
    store::Connection& db, const v1::JobParameters& p, absl::CivilDay today) {
  ASSIGN_OR_RETURN(std::optional<v1::Artifact> offboarding,
                   CheckArtifact(db, p.offboarding_script_id(),
                                 v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                 "offboarding_script_id"));
  if (!offboarding || offboarding->valid_until().empty()) return std::nullopt;
  absl::CivilDay valid_until;
  if (!absl::ParseCivilTime(offboarding->valid_until(), &valid_until)) {
    return std::nullopt;
  }
  absl::Status fresh = CheckNotExpired(valid_until, today);
  if (!fresh.ok()) {
    return absl::Status(
        fresh.code(),
        absl::StrCat("parameters.offboarding_script_id: ", fresh.message()));
  }
  return EndOfDay(valid_until);
}

// The artifacts checked after the policy: URL list, client analyzer and the
// installer pair.
[[nodiscard]] absl::Status CheckOtherArtifacts(store::Connection& db,
                                               const v1::JobParameters& p) {
  RETURN_IF_ERROR(CheckArtifact(db, p.url_list_id(), v1::ARTIFACT_KIND_URL_LIST,
                                "url_list_id")
                      .status());
  RETURN_IF_ERROR(CheckArtifact(db, p.client_analyzer_id(),
                                v1::ARTIFACT_KIND_CLIENT_ANALYZER,
                                "client_analyzer_id")
                      .status());
  RETURN_IF_ERROR(CheckArtifact(db, p.install_script_id(),
                                v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                "install_script_id")
                      .status());
  return CheckArtifact(db, p.installer_msi_id(),
                       v1::ARTIFACT_KIND_INSTALLER_MSI, "installer_msi_id")
      .status();
}

// 2012 R2 and 2016 devices install with Install.ps1 and md4ws.msi: the
// newest uploaded ones unless the job names its own.
[[nodiscard]] absl::Status DefaultInstallerArtifacts(
    store::Connection& db, const std::vector<store::DeviceRow>& devices,
    v1::JobParameters* p) {
  const bool downlevel =
      std::any_of(devices.begin(), devices.end(), [](const auto& d) {
        return UsesUnifiedAgentInstaller(d.facts.os_family());
      });
  if (!downlevel) return absl::OkStatus();
  if (p->install_script_id().empty()) {
    ASSIGN_OR_RETURN(
        std::optional<v1::Artifact> newest,
        store::NewestArtifact(db, v1::ARTIFACT_KIND_INSTALL_SCRIPT));
    if (newest) p->set_install_script_id(newest->id());
  }
  if (p->installer_msi_id().empty()) {
    ASSIGN_OR_RETURN(
        std::optional<v1::Artifact> newest,
        store::NewestArtifact(db, v1::ARTIFACT_KIND_INSTALLER_MSI));
    if (newest) p->set_installer_msi_id(newest->id());
  }
  return absl::OkStatus();
}

void AddDryRunPlan(const store::DeviceRow& d, const store::NewTask& task,
                   v1::SubmitJobResponse* response) {
  v1::DevicePlan* dp = response->add_plans();
  dp->set_device_id(d.id);
  dp->set_hostname(d.facts.hostname());
  dp->set_os_family(d.facts.os_family());
  if (task.plan != nullptr) *dp->mutable_plan() = *task.plan;
  if (task.state == v1::TASK_STATE_FAILED) {
    dp->mutable_plan()->add_warnings(
        absl::StrCat("cannot run: ", task.message));
  }
}

// One task per device with its plan, each distinct plan kept once (by its
// bytes); a device that cannot run the kind gets a task that ends failed at
// once. A dry run adds each plan to `response`.
[[nodiscard]] absl::StatusOr<std::vector<store::NewTask>> PlanTasks(
    store::Connection& db, const v1::JobSpec& spec,
    const std::vector<store::DeviceRow>& devices, bool dry_run,
    v1::SubmitJobResponse* response) {
  ASSIGN_OR_RETURN(const PlanInputs inputs, store::PlanInputsForSpec(db, spec));
  absl::flat_hash_map<std::string, std::shared_ptr<const v1::Plan>> shared;
  std::vector<store::NewTask> tasks;
  for (const store::DeviceRow& d : devices) {
    absl::StatusOr<v1::Plan> plan = BuildPlan(inputs, d.facts);
    store::NewTask task;
    task.device_id = d.id;
    if (plan.ok()) {
      RETURN_IF_ERROR(
          CheckTaskTimeoutFitsPlan(spec.policy(), *plan, d.facts.hostname()));
      auto [it, inserted] =
          shared.try_emplace(store::DeterministicBytes(*plan), nullptr);
      if (inserted) {
        it->second = std::make_shared<const v1::Plan>(*std::move(plan));
      }
      task.plan = it->second;
    } else if (absl::IsFailedPrecondition(plan.status())) {
      task.state = v1::TASK_STATE_FAILED;
      task.message = std::string(plan.status().message());
    } else {
      return absl::Status(plan.status().code(),
                          absl::StrCat(plan.status().message(), " (device ",
                                       d.facts.hostname(), ")"));
    }
    if (dry_run) AddDryRunPlan(d, task, response);
    tasks.push_back(std::move(task));
  }
  return tasks;
}

}  // namespace

absl::StatusOr<v1::SubmitJobResponse> JobHandlers::SubmitJob(
    absl::string_view authorization, const v1::SubmitJobRequest& request) {
  ASSIGN_OR_RETURN(const auth::Principal who,
                   audited_.Authorize(authorization, "SubmitJob"));
  absl::StatusOr<v1::SubmitJobResponse> submitted =
      SubmitAuthorized(who, request);
  if (submitted.ok() || request.dry_run()) return submitted;
  // A refused submission is audited too (a stored one is audited in the
  // transaction that stores it).
  return audited_.AuditFailure(who, "SubmitJob", "", submitted.status());
}

absl::StatusOr<v1::SubmitJobResponse> JobHandlers::SubmitAuthorized(
    const auth::Principal& who, const v1::SubmitJobRequest& request) {
  const std::string& actor = who.name;
  v1::JobSpec spec = request.spec();
  RETURN_IF_ERROR(ValidateJobSpec(spec));
  if (IsServerExecutedKind(spec.kind()) && !options_.defender_api_configured) {
    return absl::FailedPreconditionError(absl::StrCat(
        "kind: ", spec.kind(),
        " calls the Defender API, and this server has no credentials for "
        "it: ",
        kApiOffboardHowToConfigure));
  }
  if (!spec.target().all() && !HasCriteria(spec.target())) {
    return absl::InvalidArgumentError(
        "target: empty selector; set all or at least one criterion");
  }
  const absl::Time submitted_at = clock_.Now();
  const absl::CivilDay today =
      absl::ToCivilDay(submitted_at, absl::UTCTimeZone());

  std::vector<store::DeviceRow> devices;
  std::vector<store::NewTask> tasks;
  std::optional<absl::Time> script_expiry;
  ResolvedPolicy policy;
  v1::SubmitJobResponse response;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    response.clear_hostname_conflicts();
    response.clear_plans();
    ASSIGN_OR_RETURN(devices, TargetedDevices(db, spec.target(), &response));
    v1::JobParameters* p = spec.mutable_parameters();
    RETURN_IF_ERROR(CheckArtifact(db, p->onboarding_script_id(),
                                  v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                  "onboarding_script_id")
                        .status());
    ASSIGN_OR_RETURN(script_expiry, OffboardingScriptExpiry(db, *p, today));
    // The policy against the target and the clock.
    ASSIGN_OR_RETURN(policy,
                     ResolveRolloutPolicy(spec.mutable_policy(),
                                          static_cast<int64_t>(devices.size()),
                                          submitted_at, script_expiry));
    RETURN_IF_ERROR(CheckOtherArtifacts(db, *p));
    RETURN_IF_ERROR(DefaultInstallerArtifacts(db, devices, p));
    ASSIGN_OR_RETURN(
        tasks, PlanTasks(db, spec, devices, request.dry_run(), &response));
    return absl::OkStatus();
  }));
  response.set_targeted(static_cast<uint32_t>(devices.size()));
  if (request.dry_run()) return response;

  v1::Job job;
  job.set_id(absl::StrCat("job-", RandomHex(6)));
  *job.mutable_spec() = spec;
  job.set_created_by(actor);
  std::vector<std::string> wake;
  for (store::NewTask& t : tasks) {
    t.id = absl::StrCat("task-", RandomHex(8));
    if (t.state == v1::TASK_STATE_QUEUED) wake.push_back(t.device_id);
  }
  const int64_t now = store::ToMicros(submitted_at);
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    RETURN_IF_ERROR(store::InsertJob(db, job, tasks, policy, now, &effects));
    return store::AppendAudit(
        db, {.at = now,
             .actor = actor,
             .action = std::string(store::kAuditSubmitJob),
             .target = job.id(),
             .outcome = std::string(store::kAuditOk),
             .detail = absl::StrCat(spec.kind(), " on ", tasks.size(),
                                    tasks.size() == 1 ? " device" : " devices"),
             .role = std::string(auth::RoleName(who.role))});
  }));
  LogEvent(absl::StrCat("job ", job.id(), " submitted by ", actor, ": ",
                        spec.kind(), " on ", tasks.size(), " devices (",
                        wake.size(), " queued)"));
  hub_.Publish(effects);
  hub_.WakeDevices(wake, InitialWake(policy));
  ASSIGN_OR_RETURN(*response.mutable_job(), ReadJob(job.id(), true));
  return response;
}

}  // namespace mdefleet::service
