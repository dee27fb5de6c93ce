// AdminService logic, testable without gRPC, in one handler class per
// subject sharing one Audited: every method takes the "authorization"
// metadata value first and checks the token and the role the method requires
// (access.proto) before anything else. The gRPC adapter and the HTTP API
// both call these, so the two answer alike.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_

#include "common/clock.h"
#include "server/auth/authenticator.h"
#include "server/service/admin/access_handlers.h"
#include "server/service/admin/admin_options.h"
#include "server/service/admin/artifact_handlers.h"
#include "server/service/admin/audit_handlers.h"
#include "server/service/admin/audited.h"
#include "server/service/admin/inventory_handlers.h"
#include "server/service/admin/job_handlers.h"
#include "server/service/event_hub.h"
#include "server/store/store.h"

namespace mdefleet::service {

// The handlers of every subject, wired as serve wires them. Not copyable or
// movable: the handlers hold references to the shared Audited.
class AdminHandlers {
 public:
  AdminHandlers(store::Store& store, const Clock& clock,
                auth::Authenticator& auth, EventHub& hub, AdminOptions options)
      : audited_(store, clock, auth),
        inventory_(store, clock, audited_, options.online_window),
        jobs_(store, clock, audited_, hub, options),
        artifacts_(store, clock, audited_),
        access_(store, clock, audited_, hub, inventory_),
        audit_(store, audited_) {}
  AdminHandlers(const AdminHandlers&) = delete;
  AdminHandlers& operator=(const AdminHandlers&) = delete;

  InventoryHandlers& inventory() { return inventory_; }
  JobHandlers& jobs() { return jobs_; }
  ArtifactHandlers& artifacts() { return artifacts_; }
  AccessHandlers& access() { return access_; }
  AuditHandlers& audit() { return audit_; }

 private:
  // Declared first: constructed before the handlers that hold it.
  Audited audited_;
  InventoryHandlers inventory_;
  JobHandlers jobs_;
  ArtifactHandlers artifacts_;
  AccessHandlers access_;
  AuditHandlers audit_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_
