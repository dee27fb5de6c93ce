#include "server/service/peer_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"

namespace mdefleet::service {
namespace {

// Where new keys go once max_peers are tracked and none is idle.
constexpr absl::string_view kOverflowKey = "(too many peers)";

// Lines a minute about addresses and credentials over their budgets, when
// the guard keeps its own LogLimiter.
constexpr int64_t kLogLinesPerMinute = 10;

double RatePerSecond(int64_t per_minute) {
  return static_cast<double>(per_minute) / 60.0;
}

// The key a presented credential is counted under: a prefix of the SHA-256
// of the bearer value (never the value); empty without a bearer value.
std::string CredentialKey(absl::string_view authorization) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kBearer) ||
      authorization.size() == kBearer.size()) {
    return "";
  }
  return absl::StrCat(
      "sha256:", Sha256Hex(authorization.substr(kBearer.size())).substr(0, 16));
}

}  // namespace

std::string PeerKey(absl::string_view grpc_peer) {
  if (absl::ConsumePrefix(&grpc_peer, "ipv6:")) {
    // gRPC writes the brackets (and a zone's %) percent-encoded, as a URI.
    const std::string decoded = absl::StrReplaceAll(
        grpc_peer,
        {{"%5B", "["}, {"%5b", "["}, {"%5D", "]"}, {"%5d", "]"}, {"%25", "%"}});
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

PeerGuard::PeerGuard(const Clock& clock, PeerLimits limits, LogLimiter* log)
    : clock_(clock),
      max_peers_(std::max<size_t>(limits.max_peers, 1)),
      auth_failures_{.what = "failed authentications",
                     .flag = "--max-auth-failures-per-minute",
                     .per_minute = limits.auth_failures_per_minute},
      enrollments_{.what = "failed enrollments",
                   .flag = "--max-enrollments-per-minute",
                   .per_minute = limits.enrollments_per_minute},
      log_(log) {
  if (log_ == nullptr) {
    log_ = &own_log_.emplace(clock, "callers over their budgets",
                             kLogLinesPerMinute, absl::Minutes(1));
  }
}

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
  auto found = buckets.by_key.find(key);
  if (found != buckets.by_key.end()) {
    refill(found->second);
    return found->second;
  }
  if (buckets.by_key.size() >= max_peers_ &&
      now - buckets.last_sweep >= absl::Seconds(1)) {
    // Forget the idle (full again) keys; they start full anyway.
    buckets.last_sweep = now;
    absl::erase_if(buckets.by_key, [&](auto& entry) {
      refill(entry.second);
      return entry.second.tokens >= capacity;
    });
  }
  if (buckets.by_key.size() >= max_peers_) key = kOverflowKey;
  auto [it, inserted] = buckets.by_key.try_emplace(
      key, Bucket{.tokens = capacity, .updated = now});
  if (!inserted) refill(it->second);
  return it->second;
}

absl::Status PeerGuard::Exhausted(const Budget& budget, absl::string_view who,
                                  absl::string_view per,
                                  const Bucket& bucket) const {
  const double wait = (1.0 - bucket.tokens) / RatePerSecond(budget.per_minute);
  return absl::ResourceExhaustedError(
      absl::StrCat("too many ", budget.what, " ", who, ": retry in ",
                   static_cast<int64_t>(std::ceil(std::max(wait, 1.0))),
                   " s (the server allows ", budget.per_minute, " per minute ",
                   per, ": mdefleet-server serve ", budget.flag,
                   "; calls with a valid credential are not limited)"));
}

std::optional<absl::Status> PeerGuard::Count(const Budget& budget,
                                             Buckets& by_address,
                                             Buckets& by_credential,
                                             absl::string_view address,
                                             absl::string_view credential) {
  if (budget.per_minute <= 0) return std::nullopt;
  const absl::Time now = clock_.Now();
  std::optional<absl::Status> refused;
  std::vector<std::string> newly_exhausted;
  {
    absl::MutexLock lock(&mu_);
    Bucket& from = BucketOf(budget, by_address, address, now);
    if (from.tokens >= 1.0) {
      from.tokens -= 1.0;
      if (from.tokens < 1.0) {
        newly_exhausted.push_back(absl::StrCat("address ", address));
      }
    } else {
      refused = Exhausted(budget, absl::StrCat("from ", address),
                          "from one address", from);
    }
    if (!credential.empty()) {
      Bucket& with = BucketOf(budget, by_credential, credential, now);
      if (with.tokens >= 1.0) {
        with.tokens -= 1.0;
        if (with.tokens < 1.0) {
          newly_exhausted.push_back(absl::StrCat("credential ", credential,
                                                 " (last from ", address, ")"));
        }
      } else if (!refused) {
        refused = Exhausted(budget, "with this credential",
                            "with one credential", with);
      }
    }
  }
  for (const std::string& who : newly_exhausted) {
    log_->Log(absl::StrCat(who, ": ", budget.per_minute, " ", budget.what,
                           " within a minute; its failing calls are answered "
                           "RESOURCE_EXHAUSTED until its budget refills (",
                           budget.flag,
                           "); valid credentials are not affected"));
  }
  return refused;
}

absl::Status PeerGuard::Judge(absl::string_view peer,
                              absl::string_view authorization, CallKind kind,
                              const absl::Status& outcome) {
  if (outcome.ok()) return outcome;
  const bool credential_refused =
      outcome.code() == absl::StatusCode::kUnauthenticated ||
      (kind != CallKind::kApi &&
       outcome.code() == absl::StatusCode::kPermissionDenied &&
       absl::StartsWith(outcome.message(), "authorization:"));
  const bool enrollment_refused =
      kind == CallKind::kEnrollment &&
      (credential_refused ||
       outcome.code() == absl::StatusCode::kPermissionDenied ||
       outcome.code() == absl::StatusCode::kInvalidArgument ||
       outcome.code() == absl::StatusCode::kFailedPrecondition);
  if (!credential_refused && !enrollment_refused) return outcome;
  const std::string address = PeerKey(peer);
  const std::string credential = CredentialKey(authorization);
  std::optional<absl::Status> refused;
  if (credential_refused) {
    refused = Count(auth_failures_, auth_by_address_, auth_by_credential_,
                    address, credential);
  }
  if (enrollment_refused) {
    std::optional<absl::Status> enroll_refused =
        Count(enrollments_, enroll_by_address_, enroll_by_credential_, address,
              credential);
    if (!refused) refused = std::move(enroll_refused);
  }
  return refused ? *refused : outcome;
}

}  // namespace mdefleet::service
