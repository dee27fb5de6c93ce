#include "tests/server/defender/fake_defender_api.h"

#include <httplib.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace mdefleet::testing {
namespace {

constexpr char kScope[] = "https://api.securitycenter.microsoft.com/.default";

std::string ErrorJson(absl::string_view code, absl::string_view message) {
  return absl::StrCat(R"({"error":{"code":")", code, R"(","message":")",
                      message, R"(","target":"00000000-fake"}})");
}

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E7SZ", t, absl::UTCTimeZone());
}

bool IsHex40(absl::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

FakeDefenderApi::FakeDefenderApi(FakeDefenderOptions options,
                                 const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      server_(std::make_unique<httplib::Server>()) {}

FakeDefenderApi::~FakeDefenderApi() { Stop(); }

absl::StatusOr<std::string> FakeDefenderApi::Start() {
  Install();
  // Stop() waits for idle keep-alive connections: keep that short.
  server_->set_keep_alive_timeout(1);
  const int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) return absl::UnavailableError("fake Defender API: no port");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Bound already: connections wait in the backlog until it accepts.
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::StrCat("http://127.0.0.1:", port);
}

void FakeDefenderApi::Stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeDefenderApi::StatusOf(const Action& a) const {
  const absl::Duration age = clock_.Now() - a.created;
  if (age >= options_.complete_after) return options_.final_status;
  if (age >= options_.complete_after / 2) return "InProgress";
  return "Pending";
}

std::string FakeDefenderApi::ActionJson(const Action& a) const {
  return absl::StrCat(
      R"({"id":")", a.id, R"(","type":"Offboard","scope":null,)",
      R"("requestor":"mdefleet-test-app","requestorComment":)", "\"", a.comment,
      "\",", R"("status":")", StatusOf(a), R"(","machineId":")", a.machine_id,
      R"(","computerDnsName":"fake-host","creationDateTimeUtc":")",
      Iso(a.created), R"(","lastUpdateDateTimeUtc":")", Iso(clock_.Now()),
      R"(","relatedFileInfo":null})");
}

std::optional<std::string> FakeDefenderApi::MachineJson(const std::string& id,
                                                        absl::Time now) const {
  std::string dns = "fake-host";
  std::string health = "Active";
  absl::Time last_seen = now;
  auto it = machines_.find(id);
  if (it != machines_.end()) {
    const FakeMachine& m = it->second;
    if (now < m.listed_at) return std::nullopt;
    dns = m.dns_name;
    const bool active = now >= m.active_at;
    health = active ? "Active" : "Inactive";
    last_seen = active ? now : m.listed_at - absl::Hours(24 * 8);
  } else if (options_.declared_machines_only) {
    return std::nullopt;
  } else {
    // A machine api_offboard offboarded stops reporting when its action
    // Succeeded; other machines the fake knows report all the time.
    bool known = IsHex40(id) && (options_.known_machines.empty() ||
                                 options_.known_machines.count(id));
    for (const Action& a : actions_) {
      if (a.machine_id != id) continue;
      known = true;
      if (StatusOf(a) == "Succeeded") {
        last_seen = std::min(last_seen, a.created + options_.complete_after);
      }
    }
    if (!known) return std::nullopt;
  }
  return absl::StrCat(R"({"id":")", id, R"(","computerDnsName":")", dns,
                      R"(","healthStatus":")", health,
                      R"(","onboardingStatus":"Onboarded","lastSeen":")",
                      Iso(last_seen), R"("})");
}

void FakeDefenderApi::Install() {
  // Token endpoint (not counted as an API call).
  server_->Post(
      R"(/([^/]+)/oauth2/v2\.0/token)",
      [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mu_);
        ++token_requests_;
        httplib::Params form;
        httplib::detail::parse_query_text(req.body, form);
        auto get = [&](const char* k) {
          auto it = form.find(k);
          return it == form.end() ? std::string() : it->second;
        };
        auto refuse = [&](int status, const std::string& error,
                          const std::string& description) {
          res.status = status;
          res.set_content(
              absl::StrCat(R"({"error":")", error, R"(","error_description":")",
                           description, R"(\r\nTrace ID: fake"})"),
              "application/json");
        };
        if (req.matches[1] != options_.tenant_id) {
          return refuse(400, "invalid_request",
                        "AADSTS90002: Tenant not found.");
        }
        if (!absl::StartsWith(req.get_header_value("Content-Type"),
                              "application/x-www-form-urlencoded")) {
          errors_.push_back("token: Content-Type is not form-urlencoded");
          return refuse(400, "invalid_request", "AADSTS900144: bad body");
        }
        if (get("grant_type") != "client_credentials" ||
            get("scope") != kScope) {
          errors_.push_back(absl::StrCat("token: grant_type \"",
                                         get("grant_type"), "\" scope \"",
                                         get("scope"), "\""));
          return refuse(400, "invalid_scope", "AADSTS70011: invalid scope.");
        }
        if (get("client_id") != options_.client_id) {
          return refuse(
              400, "unauthorized_client",
              "AADSTS700016: Application not found in the directory.");
        }
        if (get("client_secret") != options_.client_secret) {
          return refuse(401, "invalid_client",
                        "AADSTS7000215: Invalid client secret provided.");
        }
        const std::string token =
            absl::StrCat("eyFakeToken.", token_requests_, ".", next_id_++);
        tokens_[token] = clock_.Now() + options_.token_lifetime;
        res.set_content(
            absl::StrCat(R"({"token_type":"Bearer","expires_in":)",
                         absl::ToInt64Seconds(options_.token_lifetime),
                         R"(,"ext_expires_in":3599,"access_token":")", token,
                         R"("})"),
            "application/json");
      });

  // Every API call: recorded, authenticated, possibly scheduled to fail.
  auto api = [this](auto handler) {
    return
        [this, handler](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard<std::mutex> lock(mu_);
          const absl::Time now = clock_.Now();
          calls_.push_back({now, req.method, req.path, 0});
          const int number = static_cast<int>(calls_.size());
          auto finish = [&] { calls_.back().status = res.status; };
          int in_minute = 0;
          for (const Call& c : calls_)
            in_minute += c.at >= now - absl::Seconds(60);
          if (in_minute > options_.per_minute_limit) {
            ++violations_;
            res.status = 429;
            res.set_header("Retry-After", "60");
            res.set_content(ErrorJson("TooManyRequests", "quota exceeded"),
                            "application/json");
            return finish();
          }
          const std::string auth = req.get_header_value("Authorization");
          absl::string_view token = auth;
          if (!absl::ConsumePrefix(&token, "Bearer ") ||
              !tokens_.count(std::string(token)) ||
              tokens_[std::string(token)] <= now) {
            errors_.push_back(absl::StrCat(req.method, " ", req.path,
                                           ": no live bearer token"));
            res.status = 401;
            res.set_content(ErrorJson("Unauthorized", "invalid token"),
                            "application/json");
            return finish();
          }
          if (auto it = options_.scheduled.find(number);
              it != options_.scheduled.end()) {
            res.status = it->second;
            if (it->second == 429) {
              res.set_header("Retry-After",
                             absl::StrCat(options_.retry_after_seconds));
              res.set_content(ErrorJson("TooManyRequests", "scheduled 429"),
                              "application/json");
            } else {
              res.set_content(ErrorJson("InternalServerError", ""),
                              "application/json");
            }
            return finish();
          }
          handler(req, res, now);
          finish();
        };
  };

  server_->Post(
      R"(/api/machines/([^/]+)/offboard)",
      api([this](const httplib::Request& req, httplib::Response& res,
                 absl::Time now) {
        const std::string machine = req.matches[1];
        if (!absl::StartsWith(req.get_header_value("Content-Type"),
                              "application/json")) {
          errors_.push_back("offboard: Content-Type is not application/json");
          res.status = 400;
          res.set_content(ErrorJson("InvalidRequestBody", "bad content type"),
                          "application/json");
          return;
        }
        google::protobuf::Struct body;
        std::string comment;
        if (google::protobuf::util::JsonStringToMessage(req.body, &body).ok()) {
          auto it = body.fields().find("Comment");  // case-sensitive
          if (it != body.fields().end() && it->second.has_string_value()) {
            comment = it->second.string_value();
          }
        }
        if (comment.empty()) {
          errors_.push_back(absl::StrCat("offboard ", machine, ": no Comment"));
          res.status = 400;
          res.set_content(ErrorJson("MissingRequiredParameter",
                                    "Parameter Comment is missing"),
                          "application/json");
          return;
        }
        if (!IsHex40(machine) || (!options_.known_machines.empty() &&
                                  !options_.known_machines.count(machine))) {
          res.status = 404;
          res.set_content(
              ErrorJson("ResourceNotFound",
                        absl::StrCat("Machine ", machine, " was not found")),
              "application/json");
          return;
        }
        for (const Action& a : actions_) {
          const std::string s = StatusOf(a);
          if (a.machine_id == machine &&
              (s == "Pending" || s == "InProgress")) {
            res.status = 400;
            res.set_content(ErrorJson("ActiveRequestAlreadyExists",
                                      "Action is already in progress"),
                            "application/json");
            return;
          }
        }
        Action a;
        a.id = absl::StrFormat("%08x-0000-4000-8000-%012x", next_id_, next_id_);
        ++next_id_;
        a.machine_id = machine;
        a.comment = comment;
        a.created = now;
        actions_.push_back(a);
        res.status = 201;
        res.set_content(ActionJson(a), "application/json");
      }));

  server_->Get(R"(/api/machines/([^/]+))",
               api([this](const httplib::Request& req, httplib::Response& res,
                          absl::Time now) {
                 const std::string id = req.matches[1];
                 std::optional<std::string> json = MachineJson(id, now);
                 if (!json) {
                   res.status = 404;
                   res.set_content(ErrorJson("ResourceNotFound",
                                             absl::StrCat("Machine ", id,
                                                          " was not found")),
                                   "application/json");
                   return;
                 }
                 res.status = 200;
                 res.set_content(*json, "application/json");
               }));

  server_->Get(
      R"(/api/machines)", api([this](const httplib::Request& req,
                                     httplib::Response& res, absl::Time now) {
        // Understands the filter api_offboard sends: id eq '<id>' or ...
        if (refuse_machine_lists_ != 0) {
          res.status = refuse_machine_lists_;
          res.set_content(ErrorJson("Forbidden", "refused by the test"),
                          "application/json");
          return;
        }
        const std::string filter = req.get_param_value("$filter");
        std::string out = R"({"value":[)";
        bool first = true;
        int ids = 0;
        for (size_t p = filter.find("id eq '"); p != std::string::npos;
             p = filter.find("id eq '", p + 1)) {
          const size_t end = filter.find('\'', p + 7);
          if (end == std::string::npos) break;
          ++ids;
          if (std::optional<std::string> json =
                  MachineJson(filter.substr(p + 7, end - p - 7), now)) {
            absl::StrAppend(&out, first ? "" : ",", *json);
            first = false;
          }
        }
        if (ids == 0) errors_.push_back("machines: no id filter");
        absl::StrAppend(&out, "]}");
        res.status = 200;
        res.set_content(out, "application/json");
      }));

  server_->Get(
      R"(/api/machineactions)", api([this](const httplib::Request& req,
                                           httplib::Response& res, absl::Time) {
        // Understands the filters api_offboard sends: type eq 'Offboard',
        // creationDateTimeUtc ge <time>, machineId eq '<id>'.
        const std::string filter = req.get_param_value("$filter");
        absl::Time since = absl::InfinitePast();
        std::string machine;
        if (size_t p = filter.find("creationDateTimeUtc ge ");
            p != std::string::npos) {
          std::string t = filter.substr(p + 23, 20);
          std::string err;
          if (!absl::ParseTime(absl::RFC3339_full, t, &since, &err)) {
            errors_.push_back(absl::StrCat("machineactions: bad time ", t));
          }
        }
        if (size_t p = filter.find("machineId eq '"); p != std::string::npos) {
          machine = filter.substr(p + 14, 40);
        }
        if (!absl::StrContains(filter, "type eq 'Offboard'")) {
          errors_.push_back("machineactions: no type filter");
        }
        std::string out =
            R"({"@odata.context":"fake/$metadata#MachineActions","value":[)";
        bool first = true;
        for (const Action& a : actions_) {
          // Second resolution, as the filter's literal.
          if (absl::ToUnixSeconds(a.created) < absl::ToUnixSeconds(since)) {
            continue;
          }
          if (!machine.empty() && a.machine_id != machine) continue;
          absl::StrAppend(&out, first ? "" : ",", ActionJson(a));
          first = false;
        }
        absl::StrAppend(&out, "]}");
        res.status = 200;
        res.set_content(out, "application/json");
      }));
}

void FakeDefenderApi::RefuseMachineListsForTest(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  refuse_machine_lists_ = status;
}

void FakeDefenderApi::ListMachine(const std::string& id, FakeMachine machine) {
  std::lock_guard<std::mutex> lock(mu_);
  machines_[id] = std::move(machine);
}

std::vector<FakeDefenderApi::Call> FakeDefenderApi::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<std::string> FakeDefenderApi::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

int FakeDefenderApi::violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

std::vector<FakeDefenderApi::Action> FakeDefenderApi::actions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return actions_;
}

std::vector<std::string> FakeDefenderApi::issued_tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [t, e] : tokens_) out.push_back(t);
  return out;
}

int FakeDefenderApi::token_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return token_requests_;
}

int FakeDefenderApi::MaxCallsInWindow(absl::Duration window) const {
  std::vector<absl::Time> times;
  for (const Call& c : calls()) times.push_back(c.at);
  std::sort(times.begin(), times.end());
  int best = 0;
  size_t j = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    while (times[i] - times[j] > window) ++j;
    best = std::max(best, static_cast<int>(i - j + 1));
  }
  return best;
}

}  // namespace mdefleet::testing
