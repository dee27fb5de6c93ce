// Small helpers for propagating absl::Status / absl::StatusOr.
#ifndef MDEFLEET_COMMON_STATUS_MACROS_H_
#define MDEFLEET_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MDEFLEET_CONCAT_INNER_(a, b) a##b
#define MDEFLEET_CONCAT_(a, b) MDEFLEET_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (an absl::Status) is not ok.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status mdefleet_status_ = (expr);          \
    if (!mdefleet_status_.ok()) return mdefleet_status_; \
  } while (0)

// `lhs = value of expr` when expr (an absl::StatusOr) is ok; otherwise returns
// its status from the current function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(MDEFLEET_CONCAT_(mdefleet_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // MDEFLEET_COMMON_STATUS_MACROS_H_
