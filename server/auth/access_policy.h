// Which role each AdminService method requires and whether it is audited,
// read from the proto descriptors (access.proto's method options): the proto
// is the one place the policy is written down.
#ifndef MDEFLEET_SERVER_AUTH_ACCESS_POLICY_H_
#define MDEFLEET_SERVER_AUTH_ACCESS_POLICY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/roles.h"
#include "mdefleet/v1/access.pb.h"

namespace mdefleet::auth {

// The role AdminService.`method` requires; ROLE_UNSPECIFIED for an unknown
// method or one that declares none (refused to every caller).
v1::Role RequiredRole(absl::string_view method);

// AdminService.`method` changes state: its calls are audited.
bool IsAudited(absl::string_view method);

// True when `held` includes `required` (admin > operator > viewer).
bool RoleAllows(v1::Role held, v1::Role required);

// Role names: common/roles.h.
using ::mdefleet::ParseRole;
using ::mdefleet::RoleName;

// The credential each RunnerService method takes (runner methods take device
// credentials, never API tokens).
enum class RunnerCredential {
  kNone,              // not a RunnerService method: refused to every caller
  kEnrollmentSecret,  // Enroll
  // Every other method: the device token and, over TLS, the device's current
  // client certificate (unless serve --allow-token-only-runners;
  // RenewClientCertificate needs the certificate in every mode).
  kDevice,
};
RunnerCredential RunnerMethodCredential(absl::string_view method);

// The audit log's action for a method: SubmitJob -> submit_job.
std::string AuditAction(absl::string_view method);

}  // namespace mdefleet::auth

#endif  // MDEFLEET_SERVER_AUTH_ACCESS_POLICY_H_
