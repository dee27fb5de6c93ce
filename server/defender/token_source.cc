#include "server/defender/token_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace mdefleet::defender {
namespace {

std::string Field(const google::protobuf::Struct& s, const char* name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end()) return "";
  if (it->second.has_string_value()) return it->second.string_value();
  if (it->second.has_number_value()) {
    return absl::StrCat(static_cast<int64_t>(it->second.number_value()));
  }
  return "";
}

}  // namespace

std::string UrlEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
}

int TokenSource::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

std::string TokenSource::Redact(std::string text) const {
  std::lock_guard<std::mutex> lock(mu_);
  return RedactLocked(std::move(text));
}

std::string TokenSource::RedactLocked(std::string text) const {
  if (!config_.client_secret.empty()) {
    absl::StrReplaceAll({{config_.client_secret, "[redacted]"}}, &text);
  }
  if (!token_.empty()) absl::StrReplaceAll({{token_, "[redacted]"}}, &text);
  return text;
}

absl::StatusOr<std::string> TokenSource::Token() {
  // Held through a fetch: a second caller waits for its token.
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_.Now();
  if (!token_.empty() && now < refresh_at_) return token_;
  token_.clear();
  HttpRequest request;
  request.method = "POST";
  request.url =
      absl::StrCat(config_.login_url, "/", UrlEncode(config_.tenant_id),
                   "/oauth2/v2.0/token");
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = absl::StrCat(
      "client_id=", UrlEncode(config_.client_id),
      "&client_secret=", UrlEncode(config_.client_secret),
      "&grant_type=client_credentials&scope=", UrlEncode(kApiScope));
  ++fetches_;
  absl::StatusOr<HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot get a Defender API token: ",
                     RedactLocked(std::string(response.status().message()))));
  }
  google::protobuf::Struct json;
  const bool parsed =
      google::protobuf::util::JsonStringToMessage(response->body, &json).ok();
  if (response->status != 200) {
    std::string detail = absl::StrCat("HTTP ", response->status);
    if (parsed) {
      const std::string error = Field(json, "error");
      // AADSTS descriptions run on with trace ids: keep the first line.
      const std::string description = std::string(
          *absl::StrSplit(Field(json, "error_description"), '\n').begin());
      if (!error.empty()) absl::StrAppend(&detail, " ", error);
      if (!description.empty()) absl::StrAppend(&detail, ": ", description);
    }
    detail = RedactLocked(detail);
    if (response->status >= 500) {
      return absl::UnavailableError(
          absl::StrCat("the token endpoint failed (", detail, "); will retry"));
    }
    if (response->status == 429) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the token endpoint is throttling (", detail, "); will retry"));
    }
    return absl::UnauthenticatedError(absl::StrCat(
        "the token endpoint refused the Defender API credentials (", detail,
        "): check --defender-tenant-id, --defender-client-id and the secret "
        "in --defender-client-secret-file (the secret's value, not its id)"));
  }
  const std::string token = parsed ? Field(json, "access_token") : "";
  const std::string expires = parsed ? Field(json, "expires_in") : "";
  int64_t seconds = 0;
  if (token.empty() || !absl::SimpleAtoi(expires, &seconds) || seconds <= 0) {
    return absl::UnavailableError(
        "the token endpoint answered 200 without access_token/expires_in");
  }
  const absl::Duration life = absl::Seconds(seconds);
  token_ = token;
  refresh_at_ = now + life - std::min(absl::Minutes(5), life / 10);
  return token_;
}

}  // namespace mdefleet::defender
