#include "common/tls/openssl_handles.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace mdefleet::tls {

absl::Status OpenSslError(absl::StatusCode code, absl::string_view what) {
  // The earliest error is the cause; later ones are the callers' wrappers.
  const unsigned long first = ERR_peek_error();
  std::string reason;
  if (first != 0) {
    const char* text = ERR_reason_error_string(first);
    reason = text != nullptr ? text : absl::StrCat("OpenSSL error ", first);
  }
  ClearOpenSslErrors();
  if (reason.empty()) return absl::Status(code, std::string(what));
  return absl::Status(code, absl::StrCat(what, " (", reason, ")"));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace mdefleet::tls
