// AdminService's audit log listing.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_AUDIT_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_AUDIT_HANDLERS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/service/admin/audited.h"
#include "server/store/store.h"

namespace mdefleet::service {

class AuditHandlers {
 public:
  AuditHandlers(store::Store& store, Audited& audited)
      : store_(store), audited_(audited) {}

  // The audit log, newest first, one page. Read-only and not audited.
  // InvalidArgument names the field of a bad filter ("outcome: expected ok,
  // refused or error", "since: must be before until", "page_size: at most
  // 1000", "page_token: malformed").
  [[nodiscard]] absl::StatusOr<v1::ListAuditLogResponse> ListAuditLog(
      absl::string_view authorization, const v1::ListAuditLogRequest& request);

 private:
  store::Store& store_;
  Audited& audited_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_AUDIT_HANDLERS_H_
