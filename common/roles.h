// The names of operator roles (access.proto's Role) as stored, typed on the
// command line and shown: "viewer", "operator", "admin".
#ifndef MDEFLEET_COMMON_ROLES_H_
#define MDEFLEET_COMMON_ROLES_H_

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/access.pb.h"

namespace mdefleet {

// "viewer", "operator", "admin"; "none" otherwise.
inline absl::string_view RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return "viewer";
    case v1::ROLE_OPERATOR:
      return "operator";
    case v1::ROLE_ADMIN:
      return "admin";
    default:
      return "none";
  }
}

// The role named `name` (as RoleName, any case), nullopt otherwise.
inline std::optional<v1::Role> ParseRole(absl::string_view name) {
  for (v1::Role role : {v1::ROLE_VIEWER, v1::ROLE_OPERATOR, v1::ROLE_ADMIN}) {
    if (absl::EqualsIgnoreCase(name, RoleName(role))) return role;
  }
  return std::nullopt;
}

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_ROLES_H_
