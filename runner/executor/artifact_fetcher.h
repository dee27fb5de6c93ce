// The seam through which the executor downloads artifacts: the gRPC client
// implements it with RunnerService.FetchArtifact for the task being run;
// tests use an in-memory fake.
#ifndef MDEFLEET_RUNNER_EXECUTOR_ARTIFACT_FETCHER_H_
#define MDEFLEET_RUNNER_EXECUTOR_ARTIFACT_FETCHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner {

class ArtifactFetcher {
 public:
  virtual ~ArtifactFetcher() = default;

  // The whole content of artifact `artifact_id` (its lowercase hex SHA-256).
  // The content is NOT trusted: the executor verifies the hash itself.
  // Errors: NotFound (unknown artifact), FailedPrecondition (the task's lease
  // is gone), Unavailable (transport), ResourceExhausted (too large).
  [[nodiscard]] virtual absl::StatusOr<std::string> Fetch(
      absl::string_view artifact_id) = 0;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_ARTIFACT_FETCHER_H_
