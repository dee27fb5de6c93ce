// The simulated server's disks: Windows paths mapped onto a real directory
// ("C:\\ProgramData\\x" -> "<root>/C/ProgramData/x") so artifacts the runner
// downloads are real files that can be inspected.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_FILES_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::sim {

class SimFiles {
 public:
  // `root` is an existing or creatable Linux directory.
  explicit SimFiles(std::string root) : root_(std::move(root)) {}

  // Linux path for Windows path `path` ("X:\\..." only). InvalidArgument for
  // relative paths, UNC paths or ".." components.
  [[nodiscard]] absl::StatusOr<std::string> Map(absl::string_view path) const;

  [[nodiscard]] absl::StatusOr<std::string> Read(absl::string_view path) const;
  [[nodiscard]] absl::Status Write(absl::string_view path,
                                   absl::string_view content) const;
  [[nodiscard]] absl::Status CreateDirectories(absl::string_view path) const;
  [[nodiscard]] absl::Status DeleteContents(absl::string_view path) const;
  [[nodiscard]] absl::Status Delete(absl::string_view path) const;
  [[nodiscard]] absl::StatusOr<bool> Exists(absl::string_view path) const;
  // Sorted entry names of directory `path`; empty when absent.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> List(
      absl::string_view path) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_FILES_H_
