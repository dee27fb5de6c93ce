// A local stand-in for the Defender for Endpoint API and the Entra token
// endpoint, over real HTTP (cpp-httplib) on 127.0.0.1. It checks every
// request as the real services would (client credentials and scope at the
// token endpoint; a live bearer token, method, path, Content-Type and the
// case-sensitive "Comment" at the API), answers 429 (with Retry-After) or a
// 5xx on the calls a test schedules, enforces 100 calls per 60 s itself,
// completes machine actions after a delay, and records every call's time.
#ifndef MDEFLEET_TESTS_SERVER_DEFENDER_FAKE_DEFENDER_API_H_
#define MDEFLEET_TESTS_SERVER_DEFENDER_FAKE_DEFENDER_API_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace httplib {
class Server;
}

namespace mdefleet::testing {

struct FakeDefenderOptions {
  std::string tenant_id = "11111111-2222-3333-4444-555555555555";
  std::string client_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  std::string client_secret = "fake~Secret.value-0123456789";
  absl::Duration token_lifetime = absl::Hours(1);
  // A new action is Pending, InProgress after half of this, then
  // final_status.
  absl::Duration complete_after = absl::Seconds(2);
  std::string final_status = "Succeeded";
  // Machines Defender knows; empty: every 40-hex id.
  std::set<std::string> known_machines;
  // API call number (1-based; token requests not counted) -> HTTP status to
  // answer instead of processing it (429 gets Retry-After).
  std::map<int, int> scheduled;
  int retry_after_seconds = 2;
  // Answer 429 when a call would make more than this in 60 s (as the real
  // API does; the test then finds it in violations()).
  int per_minute_limit = 100;
  // GET /api/machines[/{id}]: true lists only the machines a test declared
  // (ListMachine; others 404, as before a new device's sensor reports);
  // false also lists every machine api_offboard may address, Active and
  // reporting until its offboard action Succeeded.
  bool declared_machines_only = false;
};

// A machine the fake lists at GET /api/machines/{id} (unknown ids: 404).
struct FakeMachine {
  std::string dns_name;
  // 404 before this; listed from then on.
  absl::Time listed_at = absl::InfinitePast();
  // healthStatus Inactive (lastSeen 8 days before listed_at) before this;
  // Active from then on, with lastSeen following the clock.
  absl::Time active_at = absl::InfinitePast();
};

class FakeDefenderApi {
 public:
  struct Call {
    absl::Time at;  // when it was received
    std::string method;
    std::string path;  // without the query
    int status = 0;
  };
  struct Action {
    std::string id;
    std::string machine_id;
    std::string comment;
    absl::Time created;
  };

  // `clock` times the calls and the actions' progress.
  FakeDefenderApi(FakeDefenderOptions options, const Clock& clock);
  ~FakeDefenderApi();

  // Listens on 127.0.0.1:<free port>; returns the base URL.
  absl::StatusOr<std::string> Start();
  void Stop();

  // Makes GET /api/machines/{id} answer for `id` as `machine` says (the
  // test declares the machines Defender knows, as the sensor would by
  // reporting). Undeclared machines: see declared_machines_only.
  void ListMachine(const std::string& id, FakeMachine machine);

  // GET /api/machines (the list) answers `status` from now on.
  void RefuseMachineListsForTest(int status);

  std::vector<Call> calls() const;          // API calls only
  std::vector<std::string> errors() const;  // requests that broke a rule
  // Calls that found the per-minute limit used up (answered 429 by the
  // fake itself, not by the schedule).
  int violations() const;
  std::vector<Action> actions() const;
  std::vector<std::string> issued_tokens() const;
  int token_requests() const;
  // Largest number of calls in any 60 s window (closed) of the call log.
  int MaxCallsInWindow(absl::Duration window) const;

  const FakeDefenderOptions& options() const { return options_; }

 private:
  void Install();
  std::string StatusOf(const Action& a) const;
  std::string ActionJson(const Action& a) const;
  // A machine's JSON at `now`; nullopt: 404 (mu_ held).
  std::optional<std::string> MachineJson(const std::string& id,
                                         absl::Time now) const;

  FakeDefenderOptions options_;
  const Clock& clock_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<std::string> errors_;
  int violations_ = 0;
  std::vector<Action> actions_;
  std::map<std::string, FakeMachine> machines_;
  int refuse_machine_lists_ = 0;
  std::map<std::string, absl::Time> tokens_;  // token -> expiry
  int token_requests_ = 0;
  int next_id_ = 1;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_DEFENDER_FAKE_DEFENDER_API_H_
