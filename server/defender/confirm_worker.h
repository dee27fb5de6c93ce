// Executes onboard's last step, confirm_in_defender, in the server: after the
// runner's steps succeeded (the task was handed over, see
// server/store/defender_confirmations.h) it asks the Defender API for the
// device (GET /api/machines/{senseId}) every poll interval until Defender
// lists it with healthStatus Active and a lastSeen after the task started
// (article 001's check in the portal), and only then ends the task
// SUCCEEDED. When the deadline passes first the task FAILS with what
// Defender last said and what to check. Its calls come out of the server's
// one Defender API budget (ApiCallBudget), shared with api_offboard.
//
// Crash safety: everything it needs is in the database (the task RUNNING with
// its confirm step RUNNING since the hand-over), so after a restart pending
// confirmations resume where they were; a GET is read-only, so repeating one
// is harmless.
#ifndef MDEFLEET_SERVER_DEFENDER_CONFIRM_WORKER_H_
#define MDEFLEET_SERVER_DEFENDER_CONFIRM_WORKER_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/defender/api_call_budget.h"
#include "server/defender/defender_api.h"
#include "server/defender/token_source.h"
#include "server/defender/worker_thread.h"
#include "server/service/event_hub.h"
#include "server/store/defender_confirmations.h"
#include "server/store/store.h"

namespace mdefleet::defender {

struct ConfirmOptions {
  // How long after the runner's steps Defender has to list the device
  // Active (serve --defender-confirm-timeout).
  absl::Duration timeout = absl::Minutes(30);
  // One GET per device this often while it is not confirmed.
  absl::Duration poll_interval = absl::Seconds(60);
  // After a 5xx or no answer: first backoff, doubling up to max_backoff
  // (the deadline bounds the retries).
  absl::Duration first_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Minutes(5);
  // Idle check interval.
  absl::Duration tick = absl::Seconds(1);
};

class ConfirmWorker {
 public:
  // All references must outlive the worker. `hub` may be null (tests).
  ConfirmWorker(store::Store& store, const Clock& clock, service::EventHub* hub,
                DefenderApi& api, TokenSource& tokens, ApiCallBudget& budget,
                ConfirmOptions options);
  ~ConfirmWorker();

  // One pass at the clock's now: cancellations, timeouts and deadlines, then
  // one GET for each task that is due while the budget has room. Returns
  // when the next pass has something to do.
  [[nodiscard]] absl::StatusOr<absl::Time> RunOnce();

  void Start();
  void Stop();

  // Ends every handed-over task without asking Defender: the step SKIPPED
  // with `reason`, the task SUCCEEDED (its runner's checks passed). For a
  // server started without Defender API credentials. Returns how many.
  [[nodiscard]] static absl::StatusOr<int> SkipPending(
      store::Store& store, const Clock& clock, absl::string_view reason);

 private:
  struct Tracked {
    store::ConfirmTask task;
    absl::Time not_before = absl::InfinitePast();
    int failures = 0;      // 5xx / no answer in a row
    int unauthorized = 0;  // 401s
    int checks = 0;        // answers from Defender (this server run)
    std::string seen;      // what Defender said last (for the deadline)
  };

  [[nodiscard]] absl::Status Sync();
  [[nodiscard]] absl::Status Check(Tracked& t);
  [[nodiscard]] absl::Status OnError(Tracked& t, const absl::Status& error);
  [[nodiscard]] absl::Status Progress(Tracked& t, absl::string_view message);
  [[nodiscard]] absl::Status End(Tracked& t, v1::StepState step_state,
                                 absl::string_view step_message,
                                 v1::TaskState to, absl::string_view message);

  store::Store& store_;
  const Clock& clock_;
  service::EventHub* hub_;
  DefenderApi& api_;
  TokenSource& tokens_;
  ApiCallBudget& budget_;
  ConfirmOptions options_;

  std::map<std::string, Tracked> tracked_;  // by task id

  // Last member: stopped (joined) before the others go.
  WorkerThread thread_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_CONFIRM_WORKER_H_
