#include "server/auth/access_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "mdefleet/v1/admin.pb.h"

namespace mdefleet::auth {
namespace {

const google::protobuf::MethodDescriptor* Method(absl::string_view method) {
  // admin.proto's file descriptor holds the service (generated code has no
  // service class without gRPC's plugin).
  static const google::protobuf::ServiceDescriptor* const service =
      v1::ListDevicesRequest::descriptor()->file()->FindServiceByName(
          "AdminService");
  return service->FindMethodByName(std::string(method));
}

}  // namespace

v1::Role RequiredRole(absl::string_view method) {
  const google::protobuf::MethodDescriptor* m = Method(method);
  if (m == nullptr) return v1::ROLE_UNSPECIFIED;
  return m->options().GetExtension(v1::required_role);
}

bool IsAudited(absl::string_view method) {
  const google::protobuf::MethodDescriptor* m = Method(method);
  return m != nullptr && m->options().GetExtension(v1::audited);
}

bool RoleAllows(v1::Role held, v1::Role required) {
  if (required == v1::ROLE_UNSPECIFIED || held == v1::ROLE_UNSPECIFIED) {
    return false;
  }
  return static_cast<int>(held) >= static_cast<int>(required);
}

RunnerCredential RunnerMethodCredential(absl::string_view method) {
  if (method == "Enroll") return RunnerCredential::kEnrollmentSecret;
  for (absl::string_view device_method :
       {"PollTasks", "ReportStep", "Heartbeat", "FetchArtifact",
        "UploadEvidence", "UploadDiagnosticsChunk", "RenewClientCertificate"}) {
    if (method == device_method) return RunnerCredential::kDevice;
  }
  return RunnerCredential::kNone;
}

std::string AuditAction(absl::string_view method) {
  std::string out;
  for (char c : method) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace mdefleet::auth
