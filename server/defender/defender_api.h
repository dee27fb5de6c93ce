// The Defender API calls api_offboard and onboard's confirmation make. Each
// method sends exactly one request to the API (the caller counts it against the
// rate limit; the token endpoint is not counted). Errors carry interpreted,
// operator-facing messages that never contain the secret or a token.
#ifndef MDEFLEET_SERVER_DEFENDER_DEFENDER_API_H_
#define MDEFLEET_SERVER_DEFENDER_DEFENDER_API_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/defender/http_client.h"
#include "server/defender/token_source.h"

namespace mdefleet::defender {

// A machine action as the API returns it (the fields api_offboard reads).
struct MachineAction {
  std::string id;
  std::string type;    // "Offboard"
  std::string status;  // Pending, InProgress, Succeeded, Failed, TimeOut,
                       // Cancelled
  std::string machine_id;
  absl::Time created = absl::InfinitePast();
  absl::Time updated = absl::InfinitePast();
};

// A machine as GET /api/machines/{id} returns it (the fields onboard's
// confirmation and api_offboard's read).
struct Machine {
  std::string id;
  std::string computer_dns_name;
  // Active, Inactive, ImpairedCommunication, NoSensorData,
  // NoSensorDataImpairedCommunication, Unknown.
  std::string health_status;
  std::string onboarding_status;
  absl::Time last_seen = absl::InfinitePast();  // InfinitePast: not given
};

// True for Succeeded, Failed, TimeOut and Cancelled.
bool IsFinalActionStatus(absl::string_view status);

// Error codes (all with interpreted messages):
//  Unauthenticated  401, or the token endpoint refused the credentials
//  PermissionDenied 403: the app lacks the permission (named)
//  NotFound         404: the machine id is unknown to Defender
//  AlreadyExists    400 ActiveRequestAlreadyExists: an offboarding of the
//                   machine is already pending
//  InvalidArgument  other 400s, as the API says
//  ResourceExhausted 429: RetryAfterOf() tells how long to wait
//  Unavailable      5xx, or no answer (NoAnswer(): the request may have
//                   been received)
class DefenderApi {
 public:
  DefenderApi(HttpClient& http, TokenSource& tokens, std::string api_url)
      : http_(http), tokens_(tokens), api_url_(std::move(api_url)) {}

  // POST /api/machines/{machine_id}/offboard {"Comment": comment}.
  [[nodiscard]] absl::StatusOr<MachineAction> Offboard(
      absl::string_view machine_id, absl::string_view comment);

  // GET /api/machines/{machine_id}. NotFound while Defender does not know
  // the machine (a freshly onboarded one appears within minutes).
  [[nodiscard]] absl::StatusOr<Machine> GetMachine(
      absl::string_view machine_id);

  // GET /api/machines?$filter=id eq '<a>' or id eq '<b>' ... (one page; at
  // most kMaxMachinesPerList ids). Machines Defender does not know are
  // simply absent.
  static constexpr size_t kMaxMachinesPerList = 50;
  [[nodiscard]] absl::StatusOr<std::vector<Machine>> ListMachines(
      const std::vector<std::string>& machine_ids);

  // GET /api/machineactions?$filter=type eq 'Offboard' and
  // creationDateTimeUtc ge <since> [and machineId eq '<id>'] (one page of up
  // to 10000).
  [[nodiscard]] absl::StatusOr<std::vector<MachineAction>> ListOffboardActions(
      absl::Time created_since, absl::string_view machine_id = "");

 private:
  [[nodiscard]] absl::StatusOr<HttpResponse> Call(HttpRequest request);
  [[nodiscard]] absl::Status Interpret(const HttpResponse& response,
                                       absl::string_view what,
                                       absl::string_view permission,
                                       absl::string_view machine_id);

  HttpClient& http_;
  TokenSource& tokens_;
  std::string api_url_;
};

// The Retry-After of a 429 error (60 s when the header was missing).
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);
// True when no answer came back (the request may have been received).
bool NoAnswer(const absl::Status& status);

// Parses one machine JSON object; InvalidArgument when it has no id.
[[nodiscard]] absl::StatusOr<Machine> ParseMachine(absl::string_view json);

// Parses one machine action JSON object; InvalidArgument when it has no id.
[[nodiscard]] absl::StatusOr<MachineAction> ParseMachineAction(
    absl::string_view json);

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_DEFENDER_API_H_
