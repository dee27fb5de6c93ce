// ZIP extraction on the simulated server's disks (Host::ExtractZip), with
// the rules of .NET's ZipFile.ExtractToDirectory that the Windows host uses:
// the destination is created, an entry that would land outside it is
// refused, an existing file is not overwritten.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_ZIP_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_ZIP_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runner/host/sim/sim_files.h"

namespace mdefleet::runner::sim {

[[nodiscard]] absl::Status ExtractSimZip(const SimFiles& files,
                                         absl::string_view archive,
                                         absl::string_view destination);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_ZIP_H_
