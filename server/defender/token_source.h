// OAuth 2.0 client-credentials tokens for the Defender API: POST
// {login}/{tenant}/oauth2/v2.0/token with client_id, client_secret,
// grant_type=client_credentials and scope=.../.default. Cached until five
// minutes (or a tenth of its life, if shorter) before expires_in.
#ifndef MDEFLEET_SERVER_DEFENDER_TOKEN_SOURCE_H_
#define MDEFLEET_SERVER_DEFENDER_TOKEN_SOURCE_H_

#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/defender/defender_config.h"
#include "server/defender/http_client.h"

namespace mdefleet::defender {

// Thread-safe: api_offboard's and onboard's workers share one.
class TokenSource {
 public:
  // `http`, `clock` and `config` must outlive the TokenSource.
  TokenSource(HttpClient& http, const Clock& clock,
              const DefenderConfig& config)
      : http_(http), clock_(clock), config_(config) {}

  // A bearer token. Errors (messages never contain the secret or a token):
  // Unauthenticated when the login endpoint refuses the credentials (its
  // AADSTS error quoted); Unavailable when it cannot be reached or answers
  // 5xx (retry later); ResourceExhausted on 429.
  [[nodiscard]] absl::StatusOr<std::string> Token();

  // Forgets the cached token (the API answered 401 with it).
  void Invalidate();

  // Replaces every occurrence of the secret or the cached token in `text`.
  std::string Redact(std::string text) const;

  int fetches() const;

 private:
  std::string RedactLocked(std::string text) const;  // mu_ held

  HttpClient& http_;
  const Clock& clock_;
  const DefenderConfig& config_;
  mutable std::mutex mu_;
  std::string token_;                             // guarded by mu_
  absl::Time refresh_at_ = absl::InfinitePast();  // guarded by mu_
  int fetches_ = 0;                               // guarded by mu_
};

// application/x-www-form-urlencoded / URL query escaping of `text`.
std::string UrlEncode(absl::string_view text);

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_TOKEN_SOURCE_H_
