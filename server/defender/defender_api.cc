#include "server/defender/defender_api.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace mdefleet::defender {
namespace {

constexpr char kRetryAfterPayload[] = "mdefleet.defender/retry-after";
constexpr char kNoAnswerPayload[] = "mdefleet.defender/no-answer";
constexpr absl::Duration kDefaultRetryAfter = absl::Seconds(60);

using google::protobuf::Struct;
using google::protobuf::Value;

std::string Str(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || !it->second.has_string_value()) return "";
  return it->second.string_value();
}

absl::Time TimeField(const Struct& s, const char* name) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, Str(s, name), &t, &err)) return t;
  return absl::InfinitePast();
}

MachineAction FromStruct(const Struct& s) {
  MachineAction a;
  a.id = Str(s, "id");
  a.type = Str(s, "type");
  a.status = Str(s, "status");
  a.machine_id = Str(s, "machineId");
  a.created = TimeField(s, "creationDateTimeUtc");
  a.updated = TimeField(s, "lastUpdateDateTimeUtc");
  if (a.updated == absl::InfinitePast()) {
    a.updated = TimeField(s, "lastUpdateTimeUtc");  // older spelling
  }
  return a;
}

Machine MachineFromStruct(const Struct& s) {
  Machine m;
  m.id = Str(s, "id");
  m.computer_dns_name = Str(s, "computerDnsName");
  m.health_status = Str(s, "healthStatus");
  m.onboarding_status = Str(s, "onboardingStatus");
  m.last_seen = TimeField(s, "lastSeen");
  return m;
}

// "2024-05-01T10:00:00Z" (OData DateTimeOffset literal).
std::string ODataTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

bool IsFinalActionStatus(absl::string_view status) {
  return status == "Succeeded" || status == "Failed" || status == "TimeOut" ||
         status == "Cancelled";
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kRetryAfterPayload);
  if (!p) return std::nullopt;
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(std::string(*p), &seconds)) return kDefaultRetryAfter;
  return absl::Seconds(seconds);
}

bool NoAnswer(const absl::Status& status) {
  return status.GetPayload(kNoAnswerPayload).has_value();
}

absl::StatusOr<MachineAction> ParseMachineAction(absl::string_view json) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s)
           .ok()) {
    return absl::InvalidArgumentError("machine action: not a JSON object");
  }
  MachineAction a = FromStruct(s);
  if (a.id.empty()) {
    return absl::InvalidArgumentError("machine action: no id");
  }
  return a;
}

absl::StatusOr<Machine> ParseMachine(absl::string_view json) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s)
           .ok()) {
    return absl::InvalidArgumentError("machine: not a JSON object");
  }
  Machine m = MachineFromStruct(s);
  if (m.id.empty()) return absl::InvalidArgumentError("machine: no id");
  return m;
}

absl::StatusOr<HttpResponse> DefenderApi::Call(HttpRequest request) {
  absl::StatusOr<std::string> token = tokens_.Token();
  if (!token.ok()) return token.status();
  request.headers.emplace_back("Authorization",
                               absl::StrCat("Bearer ", *token));
  request.headers.emplace_back("Accept", "application/json");
  absl::StatusOr<HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("Defender API: ",
                     tokens_.Redact(std::string(response.status().message()))));
    s.SetPayload(kNoAnswerPayload, absl::Cord("1"));
    return s;
  }
  if (response->status == 401) tokens_.Invalidate();
  return response;
}

absl::Status DefenderApi::Interpret(const HttpResponse& response,
                                    absl::string_view what,
                                    absl::string_view permission,
                                    absl::string_view machine_id) {
  if (response.status >= 200 && response.status < 300) {
    return absl::OkStatus();
  }
  Struct json;
  std::string code, message;
  if (google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) {
    auto it = json.fields().find("error");
    if (it != json.fields().end() && it->second.has_struct_value()) {
      code = Str(it->second.struct_value(), "code");
      message = Str(it->second.struct_value(), "message");
    }
  }
  std::string said = absl::StrCat(response.status);
  if (!code.empty()) absl::StrAppend(&said, " ", code);
  if (!message.empty()) absl::StrAppend(&said, ": ", message);
  said = tokens_.Redact(said);
  const std::string prefix = absl::StrCat(what, ": Defender API answered ");
  switch (response.status) {
    case 400:
      if (code == "ActiveRequestAlreadyExists") {
        return absl::AlreadyExistsError(absl::StrCat(
            prefix, said, " (an offboarding of this machine is pending)"));
      }
      return absl::InvalidArgumentError(absl::StrCat(prefix, said));
    case 401:
      return absl::UnauthenticatedError(absl::StrCat(
          prefix, said,
          ": the token was refused; check the Entra app's tenant and client "
          "id (--defender-tenant-id, --defender-client-id)"));
    case 403:
      return absl::PermissionDeniedError(absl::StrCat(
          prefix, said,
          ": the Entra app lacks the WindowsDefenderATP "
          "application permission ",
          permission,
          " (with admin consent), or the tenant does not allow the action"));
    case 404:
      return absl::NotFoundError(absl::StrCat(
          prefix, said, ": the machine id ", machine_id,
          " is unknown to Defender (removed after the retention period, or "
          "another tenant's device)"));
    case 429: {
      absl::Status s = absl::ResourceExhaustedError(
          absl::StrCat(prefix, said, " (Too Many Requests)"));
      auto it = response.headers.find("retry-after");
      int64_t seconds = 0;
      s.SetPayload(
          kRetryAfterPayload,
          absl::Cord(
              it != response.headers.end() &&
                      absl::SimpleAtoi(it->second, &seconds) && seconds >= 0
                  ? absl::StrCat(seconds)
                  : absl::StrCat(absl::ToInt64Seconds(kDefaultRetryAfter))));
      return s;
    }
    default:
      if (response.status >= 500) {
        return absl::UnavailableError(absl::StrCat(prefix, said));
      }
      return absl::FailedPreconditionError(absl::StrCat(prefix, said));
  }
}

absl::StatusOr<MachineAction> DefenderApi::Offboard(
    absl::string_view machine_id, absl::string_view comment) {
  Struct body;
  (*body.mutable_fields())["Comment"].set_string_value(std::string(comment));
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(api_url_, "/api/machines/", UrlEncode(machine_id),
                             "/offboard");
  request.headers = {{"Content-Type", "application/json"}};
  if (!google::protobuf::util::MessageToJsonString(body, &request.body).ok()) {
    return absl::InternalError("cannot encode the offboard request");
  }
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  const std::string what = absl::StrCat("offboard ", machine_id);
  if (absl::Status s =
          Interpret(*response, what, "Machine.Offboard", machine_id);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<MachineAction> action = ParseMachineAction(response->body);
  if (!action.ok()) {
    return absl::UnavailableError(absl::StrCat(
        what, ": Defender API answered ", response->status,
        " without a machine action (", action.status().message(), ")"));
  }
  return action;
}

absl::StatusOr<Machine> DefenderApi::GetMachine(absl::string_view machine_id) {
  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat(api_url_, "/api/machines/", UrlEncode(machine_id));
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  const std::string what = absl::StrCat("get machine ", machine_id);
  if (absl::Status s =
          Interpret(*response, what, "Machine.Read.All", machine_id);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Machine> machine = ParseMachine(response->body);
  if (!machine.ok()) {
    return absl::UnavailableError(
        absl::StrCat(what, ": Defender API answered ", response->status,
                     " without a machine (", machine.status().message(), ")"));
  }
  return machine;
}

absl::StatusOr<std::vector<Machine>> DefenderApi::ListMachines(
    const std::vector<std::string>& machine_ids) {
  if (machine_ids.empty() || machine_ids.size() > kMaxMachinesPerList) {
    return absl::InvalidArgumentError(
        absl::StrCat("list machines: 1 to ", kMaxMachinesPerList, " ids, not ",
                     machine_ids.size()));
  }
  std::string filter;
  for (const std::string& id : machine_ids) {
    absl::StrAppend(&filter, filter.empty() ? "" : " or ", "id eq '", id, "'");
  }
  HttpRequest request;
  request.method = "GET";
  request.url =
      absl::StrCat(api_url_, "/api/machines?$filter=", UrlEncode(filter));
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  if (absl::Status s =
          Interpret(*response, "list machines", "Machine.Read.All", "");
      !s.ok()) {
    return s;
  }
  Struct json;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &json)
           .ok()) {
    return absl::UnavailableError(
        "list machines: Defender API answered a body that is not JSON");
  }
  auto it = json.fields().find("value");
  if (it == json.fields().end() || !it->second.has_list_value()) {
    return absl::UnavailableError(
        "list machines: Defender API answered without \"value\"");
  }
  std::vector<Machine> machines;
  for (const Value& v : it->second.list_value().values()) {
    if (!v.has_struct_value()) continue;
    Machine m = MachineFromStruct(v.struct_value());
    if (!m.id.empty()) machines.push_back(std::move(m));
  }
  return machines;
}

absl::StatusOr<std::vector<MachineAction>> DefenderApi::ListOffboardActions(
    absl::Time created_since, absl::string_view machine_id) {
  std::string filter =
      absl::StrCat("type eq 'Offboard' and ", "creationDateTimeUtc ge ",
                   ODataTime(created_since));
  if (!machine_id.empty()) {
    absl::StrAppend(&filter, " and machineId eq '", machine_id, "'");
  }
  HttpRequest request;
  request.method = "GET";
  request.url =
      absl::StrCat(api_url_, "/api/machineactions?$filter=", UrlEncode(filter),
                   "&$top=10000");
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  if (absl::Status s = Interpret(*response, "list machine actions",
                                 "Machine.Read.All", machine_id);
      !s.ok()) {
    return s;
  }
  Struct json;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &json)
           .ok()) {
    return absl::UnavailableError(
        "list machine actions: Defender API answered a body that is not "
        "JSON");
  }
  std::vector<MachineAction> actions;
  auto it = json.fields().find("value");
  if (it == json.fields().end() || !it->second.has_list_value()) {
    return absl::UnavailableError(
        "list machine actions: Defender API answered without \"value\"");
  }
  for (const Value& v : it->second.list_value().values()) {
    if (!v.has_struct_value()) continue;
    MachineAction a = FromStruct(v.struct_value());
    if (!a.id.empty()) actions.push_back(std::move(a));
  }
  return actions;
}

}  // namespace mdefleet::defender
