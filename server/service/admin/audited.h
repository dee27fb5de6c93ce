// The role check every AdminService method makes and the audit row every
// state-changing one writes, shared by the handlers of every subject so that
// each call is gated and audited the one way.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_AUDITED_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_AUDITED_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "server/auth/authenticator.h"
#include "server/store/store.h"

namespace mdefleet::service {

class Audited {
 public:
  Audited(store::Store& store, const Clock& clock, auth::Authenticator& auth)
      : store_(store), clock_(clock), auth_(auth) {}

  // The caller, when its token is valid and its role allows AdminService.
  // `method`. A role refusal of an audited method is audited (target: what
  // the call was about, when known); an unauthenticated call is not.
  [[nodiscard]] absl::StatusOr<auth::Principal> Authorize(
      absl::string_view authorization, absl::string_view method,
      absl::string_view target = "");

  // Appends the audit row of a failed call of `method` (outside any other
  // write) and logs it; returns `failure`.
  [[nodiscard]] absl::Status AuditFailure(const auth::Principal& who,
                                          absl::string_view method,
                                          absl::string_view target,
                                          const absl::Status& failure);

  // An audited action of `method` on `target`: authorizes, runs `fn` in a
  // write (its changes rolled back when it fails), appends the audit row
  // (who, role, outcome, `detail` or why it failed) in that write either way,
  // and logs it. Returns fn's status.
  using Fn =
      absl::FunctionRef<absl::Status(store::Connection&, const auth::Principal&,
                                     int64_t now, std::string* detail)>;
  [[nodiscard]] absl::Status Run(absl::string_view authorization,
                                 absl::string_view method,
                                 absl::string_view target, std::string detail,
                                 Fn fn);

 private:
  store::Store& store_;
  const Clock& clock_;
  auth::Authenticator& auth_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_AUDITED_H_
