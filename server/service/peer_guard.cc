#include "server/service/peer_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/service/log.h"

namespace mdefleet::service {
namespace {

// Where new peers go once max_peers are tracked and none is idle.
constexpr absl::string_view kOverflowKey = "(too many peers)";

double RatePerSecond(int64_t per_minute) {
  return static_cast<double>(per_minute) / 60.0;
}

}  // namespace

std::string PeerKey(absl::string_view grpc_peer) {
  if (absl::ConsumePrefix(&grpc_peer, "ipv6:")) {
    // gRPC writes the brackets (and a zone's %) percent-encoded, as a URI.
    const std::string decoded = absl::StrReplaceAll(
        grpc_peer, {{"%5B", "["}, {"%5b", "["}, {"%5D", "]"}, {"%5d", "]"},
                    {"%25", "%"}});
    absl::string_view address = decoded;
    if (absl::ConsumePrefix(&address, "[")) {
      address = address.substr(0, address.find(']'));
    }
    address = address.substr(0, address.find('%'));  // zone id
    in6_addr parsed;
    if (inet_pton(AF_INET6, std::string(address).c_str(), &parsed) == 1) {
      if (!IN6_IS_ADDR_V4MAPPED(&parsed)) {
        std::memset(&parsed.s6_addr[8], 0, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &parsed, text, sizeof(text));
        return absl::StrCat(text, "/64");
      }
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &parsed.s6_addr[12], text, sizeof(text));
      return text;
    }
    return std::string(address);
  }
  absl::ConsumePrefix(&grpc_peer, "ipv4:");
  const size_t colon = grpc_peer.rfind(':');
  if (colon != absl::string_view::npos &&
      grpc_peer.find_first_not_of("0123456789", colon + 1) ==
          absl::string_view::npos) {
    grpc_peer = grpc_peer.substr(0, colon);
  }
  return std::string(grpc_peer);
}

PeerGuard::PeerGuard(const Clock& clock, PeerLimits limits)
    : clock_(clock),
      max_peers_(std::max<size_t>(limits.max_peers, 1)),
      auth_failures_{.what = "failed authentications",
                     .flag = "--max-auth-failures-per-minute",
                     .per_minute = limits.auth_failures_per_minute},
      enrollments_{.what = "enrollments",
                   .flag = "--max-enrollments-per-minute",
                   .per_minute = limits.enrollments_per_minute} {}

PeerGuard::Bucket& PeerGuard::BucketOf(const Budget& budget, Buckets& buckets,
                                       absl::string_view key, absl::Time now) {
  const double capacity = static_cast<double>(budget.per_minute);
  const double rate = RatePerSecond(budget.per_minute);
  auto refill = [&](Bucket& bucket) {
    const double elapsed =
        std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * rate);
    bucket.updated = now;
  };
  auto found = buckets.by_peer.find(key);
  if (found != buckets.by_peer.end()) {
    refill(found->second);
    return found->second;
  }
  if (buckets.by_peer.size() >= max_peers_ &&
      now - buckets.last_sweep >= absl::Seconds(1)) {
    // Forget the idle (full again) peers; they start full anyway.
    buckets.last_sweep = now;
    absl::erase_if(buckets.by_peer, [&](auto& entry) {
      refill(entry.second);
      return entry.second.tokens >= capacity;
    });
  }
  if (buckets.by_peer.size() >= max_peers_) key = kOverflowKey;
  auto [it, inserted] = buckets.by_peer.try_emplace(
      key, Bucket{.tokens = capacity, .updated = now});
  if (!inserted) refill(it->second);
  return it->second;
}

absl::Status PeerGuard::Exhausted(const Budget& budget, absl::string_view key,
                                  const Bucket& bucket) const {
  const double wait = (1.0 - bucket.tokens) / RatePerSecond(budget.per_minute);
  return absl::ResourceExhaustedError(
      absl::StrCat("too many ", budget.what, " from ", key, ": retry in ",
                   static_cast<int64_t>(std::ceil(std::max(wait, 1.0))),
                   " s (the server allows ", budget.per_minute,
                   " per minute from one address: mdefleet-server serve ",
                   budget.flag, ")"));
}

absl::Status PeerGuard::Admit(absl::string_view peer) {
  if (auth_failures_.per_minute <= 0) return absl::OkStatus();
  const std::string key = PeerKey(peer);
  absl::MutexLock lock(&mu_);
  Bucket& bucket =
      BucketOf(auth_failures_, auth_failure_buckets_, key, clock_.Now());
  if (bucket.tokens < 1.0) return Exhausted(auth_failures_, key, bucket);
  return absl::OkStatus();
}

absl::Status PeerGuard::AdmitEnrollment(absl::string_view peer) {
  if (absl::Status admitted = Admit(peer); !admitted.ok()) return admitted;
  if (enrollments_.per_minute <= 0) return absl::OkStatus();
  const std::string key = PeerKey(peer);
  absl::MutexLock lock(&mu_);
  Bucket& bucket =
      BucketOf(enrollments_, enrollment_buckets_, key, clock_.Now());
  if (bucket.tokens < 1.0) return Exhausted(enrollments_, key, bucket);
  bucket.tokens -= 1.0;
  return absl::OkStatus();
}

void PeerGuard::Observe(absl::string_view peer, const absl::Status& outcome) {
  if (outcome.code() != absl::StatusCode::kUnauthenticated ||
      auth_failures_.per_minute <= 0) {
    return;
  }
  const std::string key = PeerKey(peer);
  bool now_refused = false;
  {
    absl::MutexLock lock(&mu_);
    Bucket& bucket =
        BucketOf(auth_failures_, auth_failure_buckets_, key, clock_.Now());
    if (bucket.tokens >= 1.0) {
      bucket.tokens -= 1.0;
      now_refused = bucket.tokens < 1.0;
    }
  }
  if (now_refused) {
    LogEvent(absl::StrCat("peer ", key, ": ", auth_failures_.per_minute,
                          " failed authentications within a minute; its calls "
                          "are refused until its budget refills (",
                          auth_failures_.flag, ")"));
  }
}

}  // namespace mdefleet::service
