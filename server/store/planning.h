// Turns a stored job spec (artifact ids resolved) into BuildPlan inputs.
#ifndef MDEFLEET_SERVER_STORE_PLANNING_H_
#define MDEFLEET_SERVER_STORE_PLANNING_H_

#include "absl/status/statusor.h"
#include "common/plan/plan.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// PlanInputs for `spec`: each artifact id set in the parameters becomes an
// ArtifactRef with the file name the plan needs on the device (Install.ps1,
// md4ws.msi, the onboarding script's fixed name, the offboarding script's
// own name); the proxy settings; the URLs of the URL list. NotFound naming
// the parameter when an artifact is gone.
[[nodiscard]] absl::StatusOr<PlanInputs> PlanInputsForSpec(
    Connection& db, const v1::JobSpec& spec);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_PLANNING_H_
