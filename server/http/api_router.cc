#include "server/http/api_router.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/client_analyzer.h"
#include "common/enum_names.h"
#include "common/labels.h"
#include "common/status_macros.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/auth/access_policy.h"
#include "server/http/dashboard_assets.h"
#include "server/http/json_reply.h"

namespace mdefleet::http {
namespace {

constexpr size_t kMaxIdLength = 128;

// Job and device ids are "job-<hex>" and similar: anything else cannot name
// one, and is refused before it reaches a query or an error message.
bool IsPlausibleId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

[[nodiscard]] absl::Status NoSuchId(absl::string_view field) {
  return absl::NotFoundError(
      absl::StrCat(field, ": no such id (ids are at most ", kMaxIdLength,
                   " letters, digits, '-', '_' and '.')"));
}

// The AdminService method whose role a route requires; "" for /metrics.
absl::string_view MethodOf(absl::string_view pattern) {
  static constexpr std::pair<absl::string_view, absl::string_view> kMethods[] =
      {{"/api/v1/summary", "GetFleetSummary"},
       {"/api/v1/jobs", "ListJobs"},
       {"/api/v1/jobs/{id}", "GetJob"},
       {"/api/v1/jobs/{id}/tasks", "ListTasks"},
       {"/api/v1/jobs/{id}/evidence", "GetTaskEvidence"},
       {"/api/v1/devices", "ListDevices"},
       {"/api/v1/devices/{id}", "GetDevice"}};
  for (const auto& [route, method] : kMethods) {
    if (route == pattern) return method;
  }
  return "";
}

[[nodiscard]] absl::StatusOr<v1::GetFleetSummaryRequest> SummaryRequest(
    const QueryParams& params) {
  RETURN_IF_ERROR(params.AllowOnly({"offline_for"}));
  v1::GetFleetSummaryRequest request;
  if (std::optional<std::string> v = params.Get("offline_for")) {
    ASSIGN_OR_RETURN(*request.mutable_offline_for(),
                     ParseDurationParam("offline_for", *v));
  }
  return request;
}

[[nodiscard]] absl::StatusOr<v1::ListJobsRequest> JobsRequest(
    const QueryParams& params) {
  RETURN_IF_ERROR(params.AllowOnly({"state", "limit"}));
  v1::ListJobsRequest request;
  if (std::optional<std::string> v = params.Get("state")) {
    ASSIGN_OR_RETURN(int state,
                     ParseEnumName(*v1::JobState_descriptor(), *v, "state"));
    request.set_state(static_cast<v1::JobState>(state));
  }
  if (std::optional<std::string> v = params.Get("limit")) {
    ASSIGN_OR_RETURN(uint32_t limit,
                     ParseCountParam("limit", *v, service::kMaxListJobsLimit));
    request.set_limit(limit);
  }
  return request;
}

[[nodiscard]] absl::StatusOr<v1::ListTasksRequest> TasksRequest(
    const QueryParams& params, absl::string_view job_id) {
  RETURN_IF_ERROR(params.AllowOnly({"state", "page_size", "page_token"}));
  v1::ListTasksRequest request;
  request.set_job_id(std::string(job_id));
  if (std::optional<std::string> v = params.Get("state")) {
    ASSIGN_OR_RETURN(int state,
                     ParseEnumName(*v1::TaskState_descriptor(), *v, "state"));
    request.set_state(static_cast<v1::TaskState>(state));
  }
  if (std::optional<std::string> v = params.Get("page_size")) {
    ASSIGN_OR_RETURN(uint32_t size,
                     ParseCountParam("page_size", *v, service::kMaxPageSize));
    request.set_page_size(size);
  }
  // Opaque: the handler says "page_token: malformed" for a forged one.
  if (std::optional<std::string> v = params.Get("page_token")) {
    request.set_page_token(*v);
  }
  return request;
}

[[nodiscard]] absl::StatusOr<v1::ListDevicesRequest> DevicesRequest(
    const QueryParams& params) {
  RETURN_IF_ERROR(params.AllowOnly(
      {"os_family", "mde_state", "label", "hostname", "seen_within",
       "unseen_for", "needs", "offline_for", "page_size", "page_token"}));
  v1::ListDevicesRequest request;
  if (std::optional<std::string> v = params.Get("os_family")) {
    ASSIGN_OR_RETURN(
        int family, ParseEnumName(*v1::OsFamily_descriptor(), *v, "os_family"));
    request.set_os_family(static_cast<v1::OsFamily>(family));
  }
  if (std::optional<std::string> v = params.Get("mde_state")) {
    ASSIGN_OR_RETURN(
        int state, ParseEnumName(*v1::MdeState_descriptor(), *v, "mde_state"));
    request.set_mde_state(static_cast<v1::MdeState>(state));
  }
  // label follows common/labels.h; needs (a job kind) is checked by the
  // handler, whose errors name it.
  if (std::optional<std::string> v = params.Get("label")) {
    // Given but empty is refused here (set_label("") would mean "any");
    // the handler parses the rest.
    if (v->empty()) return ParseLabel(*v, "label").status();
    request.set_label(*v);
  }
  if (std::optional<std::string> v = params.Get("needs")) {
    if (v->empty()) {
      return absl::InvalidArgumentError("needs: expected a job kind");
    }
    request.set_needs(*v);
  }
  if (std::optional<std::string> v = params.Get("hostname")) {
    request.set_hostname_glob(*v);
  }
  if (std::optional<std::string> v = params.Get("seen_within")) {
    ASSIGN_OR_RETURN(*request.mutable_seen_within(),
                     ParseDurationParam("seen_within", *v));
  }
  if (std::optional<std::string> v = params.Get("unseen_for")) {
    ASSIGN_OR_RETURN(*request.mutable_unseen_for(),
                     ParseDurationParam("unseen_for", *v));
  }
  if (std::optional<std::string> v = params.Get("offline_for")) {
    ASSIGN_OR_RETURN(*request.mutable_offline_for(),
                     ParseDurationParam("offline_for", *v));
  }
  if (std::optional<std::string> v = params.Get("page_size")) {
    ASSIGN_OR_RETURN(uint32_t size,
                     ParseCountParam("page_size", *v, service::kMaxPageSize));
    request.set_page_size(size);
  }
  if (std::optional<std::string> v = params.Get("page_token")) {
    request.set_page_token(*v);
  }
  return request;
}

template <typename Message>
[[nodiscard]] absl::StatusOr<HttpResponse> Json(
    absl::StatusOr<Message> message) {
  if (!message.ok()) return message.status();
  return JsonReply(*message);
}

}  // namespace

ApiRouter::Route ApiRouter::Match(absl::string_view path) {
  Route route;
  absl::string_view rest = path;
  if (path == "/api/v1/summary") {
    route = {Kind::kSummary, "/api/v1/summary"};
  } else if (path == "/api/v1/jobs") {
    route = {Kind::kJobs, "/api/v1/jobs"};
  } else if (path == "/api/v1/devices") {
    route = {Kind::kDevices, "/api/v1/devices"};
  } else if (path == "/metrics") {
    route = {Kind::kMetrics, "/metrics"};
  } else if (absl::ConsumePrefix(&rest, "/api/v1/jobs/")) {
    if (absl::ConsumeSuffix(&rest, "/tasks")) {
      route = {Kind::kJobTasks, "/api/v1/jobs/{id}/tasks"};
    } else if (absl::ConsumeSuffix(&rest, "/evidence")) {
      route = {Kind::kJobEvidence, "/api/v1/jobs/{id}/evidence"};
    } else {
      route = {Kind::kJob, "/api/v1/jobs/{id}"};
    }
    route.id = std::string(rest);
  } else if (absl::ConsumePrefix(&rest, "/api/v1/devices/")) {
    route = {Kind::kDevice, "/api/v1/devices/{id}"};
    route.id = std::string(rest);
  } else if (const DashboardAsset* asset = FindDashboardAsset(path)) {
    route = {Kind::kAsset, asset->path};
  }
  return route;
}

HttpResponse ApiRouter::Handle(const HttpRequest& request) {
  const size_t question = request.target.find('?');
  const absl::string_view target = request.target;
  const absl::string_view path = target.substr(0, question);
  const absl::string_view query = question == absl::string_view::npos
                                      ? absl::string_view()
                                      : target.substr(question + 1);
  const Route route = Match(path);
  HttpResponse response = Answer(request, route, query);
  if (options_.on_request) options_.on_request(route.pattern, response.status);
  return response;
}

HttpResponse ApiRouter::Answer(const HttpRequest& request, const Route& route,
                               absl::string_view query) {
  if (route.kind == Kind::kUnmatched) {
    return ErrorReply(
        404, "NOT_FOUND",
        "path: no such route (the API is under /api/v1: summary, jobs, "
        "jobs/{id}, jobs/{id}/tasks, devices, devices/{id}; see "
        "docs/http-api.md)");
  }
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = ErrorReply(
        405, "METHOD_NOT_ALLOWED",
        absl::StrCat("method: ", Quote(request.method),
                     " is not allowed; the HTTP API is read-only (GET)"));
    refused.headers.push_back({"Allow", "GET, HEAD"});
    return refused;
  }
  if (route.kind == Kind::kAsset) {
    // Public: the page asks for the token and sends it with its API calls.
    const DashboardAsset* asset = FindDashboardAsset(route.pattern);
    return {.status = 200,
            .content_type = std::string(asset->content_type),
            .body = std::string(asset->bytes)};
  }
  absl::StatusOr<HttpResponse> answered = guard_.Run(
      request.peer, request.authorization, service::CallKind::kApi,
      [&]() -> absl::StatusOr<HttpResponse> {
        RETURN_IF_ERROR(
            Authenticate(request.authorization, MethodOf(route.pattern)));
        ASSIGN_OR_RETURN(const QueryParams params, QueryParams::Parse(query));
        return Dispatch(route, params, request.authorization);
      });
  if (!answered.ok()) return ErrorReply(answered.status());
  return *std::move(answered);
}

absl::Status ApiRouter::Authenticate(absl::string_view authorization,
                                     absl::string_view method) {
  absl::StatusOr<auth::Principal> who =
      method.empty() ? auth_.AuthenticateApi(authorization)
                     : auth_.Authorize(authorization, method);
  if (who.ok()) {
    if (!auth::RoleAllows(who->role, v1::ROLE_VIEWER)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "authorization: token \"", who->name, "\" has no viewer role"));
    }
    return absl::OkStatus();
  }
  // A runner's credential is genuine but the wrong kind: say so (403)
  // rather than calling it unknown, and do not count it as a failed
  // authentication (PeerGuard counts Unauthenticated only for API calls).
  if (who.status().code() == absl::StatusCode::kUnauthenticated &&
      auth_.IsRunnerCredential(authorization)) {
    return absl::PermissionDeniedError(
        "authorization: a runner credential cannot read the API; use a viewer "
        "token");
  }
  return who.status();
}

absl::StatusOr<HttpResponse> ApiRouter::Dispatch(
    const Route& route, const QueryParams& params,
    absl::string_view authorization) {
  switch (route.kind) {
    case Kind::kSummary: {
      ASSIGN_OR_RETURN(v1::GetFleetSummaryRequest request,
                       SummaryRequest(params));
      return Json(admin_.inventory().GetFleetSummary(authorization, request));
    }
    case Kind::kJobs: {
      ASSIGN_OR_RETURN(v1::ListJobsRequest request, JobsRequest(params));
      return Json(admin_.jobs().ListJobs(authorization, request));
    }
    case Kind::kJob: {
      if (!IsPlausibleId(route.id)) return NoSuchId("job_id");
      RETURN_IF_ERROR(params.AllowOnly({}));
      v1::GetJobRequest request;
      request.set_job_id(route.id);
      return Json(admin_.jobs().GetJob(authorization, request));
    }
    case Kind::kJobTasks: {
      if (!IsPlausibleId(route.id)) return NoSuchId("job_id");
      ASSIGN_OR_RETURN(v1::ListTasksRequest request,
                       TasksRequest(params, route.id));
      return Json(admin_.jobs().ListTasks(authorization, request));
    }
    case Kind::kJobEvidence: {
      if (!IsPlausibleId(route.id)) return NoSuchId("job_id");
      RETURN_IF_ERROR(params.AllowOnly({"device", "step"}));
      const std::string step = params.Get("step").value_or("");
      if (step == client_analyzer::kBundleStepName) {
        // collect_diagnostics' MDEClientAnalyzerResult.zip, as it was kept.
        v1::GetDiagnosticsBundleRequest bundle_request;
        bundle_request.set_job_id(route.id);
        bundle_request.set_device_id(params.Get("device").value_or(""));
        std::string zip;
        RETURN_IF_ERROR(admin_.jobs().GetDiagnosticsBundle(
            authorization, bundle_request,
            [&](const v1::DiagnosticsBundleChunk& chunk) {
              zip.append(chunk.data());
              return true;
            }));
        return HttpResponse{.status = 200,
                            .content_type = "application/zip",
                            .body = std::move(zip)};
      }
      v1::GetTaskEvidenceRequest request;
      request.set_job_id(route.id);
      request.set_device_id(params.Get("device").value_or(""));
      request.set_step_name(step);
      return Json(admin_.jobs().GetTaskEvidence(authorization, request));
    }
    case Kind::kDevices: {
      ASSIGN_OR_RETURN(v1::ListDevicesRequest request, DevicesRequest(params));
      return Json(admin_.inventory().ListDevices(authorization, request));
    }
    case Kind::kDevice: {
      if (!IsPlausibleId(route.id)) return NoSuchId("device_id");
      RETURN_IF_ERROR(params.AllowOnly({}));
      v1::GetDeviceRequest request;
      request.set_device_id(route.id);
      return Json(admin_.inventory().GetDevice(authorization, request));
    }
    case Kind::kMetrics: {
      RETURN_IF_ERROR(params.AllowOnly({}));
      if (!options_.render_metrics) {
        return absl::NotFoundError("metrics are not enabled");
      }
      return HttpResponse{.status = 200,
                          .content_type = kMetricsContentType,
                          .body = options_.render_metrics()};
    }
    case Kind::kAsset:
    case Kind::kUnmatched:
      break;
  }
  return absl::InternalError("unrouted request");
}

}  // namespace mdefleet::http
