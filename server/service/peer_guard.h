// Per-address and per-credential budgets for failing calls. A call is
// authenticated first; only when it fails is it counted, against the
// caller's address and against the credential it presented (a hash of the
// bearer value). When either is over its budget the failure is answered
// RESOURCE_EXHAUSTED ("retry in N s") instead of its own error, so clients
// back off. A call with a valid credential is never refused here, whatever
// others at its address (a NAT, a proxy) did. Addresses are keyed without
// the port; IPv6 addresses by their /64, which one attacker typically holds.
#ifndef MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_
#define MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/service/log.h"

namespace mdefleet::service {

struct PeerLimits {
  // Failing Enroll calls (a bad secret, refused facts or labels, a revoked
  // host) per minute from one address and with one enrollment secret, with
  // bursts of up to this many; successful enrollments are not counted.
  // 0 means no limit.
  int64_t enrollments_per_minute = 60;
  // Calls refused for their credential (unknown, revoked, expired, copied)
  // per minute from one address and with one credential; 0: no limit.
  int64_t auth_failures_per_minute = 20;
  // Keys tracked at most per table; beyond it, idle keys are forgotten first
  // and then new keys share one bucket (memory stays bounded under a flood
  // of source addresses or made-up credentials).
  size_t max_peers = 100000;
};

// The key a gRPC peer string ("ipv4:10.0.0.5:51234", "ipv6:[fd00::1]:443")
// is counted under: "10.0.0.5", "fd00:0:0:0::/64". Other forms are kept
// whole minus a trailing ":port".
std::string PeerKey(absl::string_view grpc_peer);

// Which failures a kind of call counts.
enum class CallKind {
  // API calls (AdminService, the HTTP API): UNAUTHENTICATED only; a role
  // too low is a valid credential's own refusal.
  kApi,
  // Runner calls with a device token: UNAUTHENTICATED, and
  // PERMISSION_DENIED "authorization: ..." (a revoked or copied device).
  kDevice,
  // Enroll: as kDevice against the failed-authentication budget; every
  // refusal the caller caused (also INVALID_ARGUMENT, FAILED_PRECONDITION)
  // against the enrollment budget.
  kEnrollment,
};

class PeerGuard {
  static const absl::Status& StatusOf(const absl::Status& status) {
    return status;
  }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

 public:
  // Lines about budgets used up go to `log` (rate-limited); nullptr: a
  // limiter of the guard's own writing to the server log.
  PeerGuard(const Clock& clock, PeerLimits limits, LogLimiter* log = nullptr);

  // Counts `outcome` of a call from `peer` presenting `authorization` (the
  // raw "Bearer ..." value) if it is a failure `kind` counts, and returns
  // what to answer: `outcome` itself, or RESOURCE_EXHAUSTED (saying when to
  // retry and which serve flag sets the budget) when the address or the
  // credential has used up its budget. OK outcomes are returned unchanged
  // and cost nothing.
  [[nodiscard]] absl::Status Judge(absl::string_view peer,
                                   absl::string_view authorization,
                                   CallKind kind, const absl::Status& outcome);

  // Runs `call` (returning absl::Status or absl::StatusOr) and Judges its
  // outcome.
  template <typename Call>
  auto Run(absl::string_view peer, absl::string_view authorization,
           CallKind kind, Call&& call) -> decltype(call()) {
    auto result = call();
    if (result.ok()) return result;
    absl::Status answer = Judge(peer, authorization, kind, StatusOf(result));
    if (answer.code() == StatusOf(result).code()) return result;
    return answer;
  }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  struct Buckets {
    absl::flat_hash_map<std::string, Bucket> by_key;
    // When idle keys were last swept out of a full table: at most once a
    // second, so a flood of new keys costs no full scan per call.
    absl::Time last_sweep = absl::InfinitePast();
  };
  struct Budget {
    const char* what;  // for messages: "failed authentications"
    const char* flag;  // the serve flag that sets it
    int64_t per_minute;
  };

  // Refills `key`'s bucket to `now` and returns it (creating a full one).
  Bucket& BucketOf(const Budget& budget, Buckets& buckets,
                   absl::string_view key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes one token from the address's and the credential's buckets (when
  // they have one) and returns the refusal for the first that is empty.
  std::optional<absl::Status> Count(const Budget& budget, Buckets& by_address,
                                    Buckets& by_credential,
                                    absl::string_view address,
                                    absl::string_view credential);
  [[nodiscard]] absl::Status Exhausted(const Budget& budget,
                                       absl::string_view who,
                                       absl::string_view per,
                                       const Bucket& bucket) const;

  const Clock& clock_;
  const size_t max_peers_;
  const Budget auth_failures_;
  const Budget enrollments_;
  std::optional<LogLimiter> own_log_;
  LogLimiter* log_;
  absl::Mutex mu_;
  Buckets auth_by_address_ ABSL_GUARDED_BY(mu_);
  Buckets auth_by_credential_ ABSL_GUARDED_BY(mu_);
  Buckets enroll_by_address_ ABSL_GUARDED_BY(mu_);
  Buckets enroll_by_credential_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_
