// Per-peer rate limits in front of the services: how many Enroll calls and
// how many failed authentications one network peer gets per minute. A peer
// over its failed-authentication budget is refused every call (even with a
// good token) until the budget refills, so guessing tokens or enrollment
// secrets costs a minute per few guesses. Peers are keyed by address without
// the port; IPv6 peers by their /64, which one attacker typically holds.
#ifndef MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_
#define MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet::service {

struct PeerLimits {
  // Calls per minute, with bursts of up to this many; 0 means no limit.
  int64_t enrollments_per_minute = 60;
  int64_t auth_failures_per_minute = 20;
  // Peers tracked at most; beyond it, idle peers are forgotten first and
  // then new peers share one bucket (memory stays bounded under a flood of
  // source addresses).
  size_t max_peers = 100000;
};

// The key a gRPC peer string ("ipv4:10.0.0.5:51234", "ipv6:[fd00::1]:443")
// is counted under: "10.0.0.5", "fd00:0:0:0::/64". Other forms are kept
// whole minus a trailing ":port".
std::string PeerKey(absl::string_view grpc_peer);

class PeerGuard {
  static const absl::Status& StatusOf(const absl::Status& status) {
    return status;
  }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

 public:
  PeerGuard(const Clock& clock, PeerLimits limits);

  // RESOURCE_EXHAUSTED when `peer` has used up its failed-authentication
  // budget: the message says when to retry and which serve flag sets it.
  [[nodiscard]] absl::Status Admit(absl::string_view peer);
  // Admit, then counts one enrollment against the peer's enrollment budget.
  [[nodiscard]] absl::Status AdmitEnrollment(absl::string_view peer);
  // Counts an UNAUTHENTICATED outcome against the peer's budget; other
  // outcomes (including PERMISSION_DENIED: the caller proved who it is) are
  // not failed authentications.
  void Observe(absl::string_view peer, const absl::Status& outcome);

  // Runs `call` (returning absl::Status or absl::StatusOr) for `peer`
  // between Admit (or AdmitEnrollment) and Observe.
  template <typename Call>
  auto Run(absl::string_view peer, Call&& call) -> decltype(call()) {
    if (absl::Status admitted = Admit(peer); !admitted.ok()) return admitted;
    auto result = call();
    Observe(peer, StatusOf(result));
    return result;
  }
  template <typename Call>
  auto RunEnrollment(absl::string_view peer, Call&& call) -> decltype(call()) {
    if (absl::Status admitted = AdmitEnrollment(peer); !admitted.ok()) {
      return admitted;
    }
    auto result = call();
    Observe(peer, StatusOf(result));
    return result;
  }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  struct Buckets {
    absl::flat_hash_map<std::string, Bucket> by_peer;
    // When idle peers were last swept out of a full table: at most once a
    // second, so a flood of new addresses costs no full scan per call.
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
  absl::Status Exhausted(const Budget& budget, absl::string_view key,
                         const Bucket& bucket) const;

  const Clock& clock_;
  const size_t max_peers_;
  const Budget auth_failures_;
  const Budget enrollments_;
  absl::Mutex mu_;
  Buckets auth_failure_buckets_ ABSL_GUARDED_BY(mu_);
  Buckets enrollment_buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_PEER_GUARD_H_
