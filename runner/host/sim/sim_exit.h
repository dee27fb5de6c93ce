// How a simulated program ends: its exit code and output.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_EXIT_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_EXIT_H_

#include <string>
#include <utility>

#include "runner/host/host.h"

namespace mdefleet::runner::sim {

inline ProcessResult Exit(int code, std::string out, std::string err = "") {
  ProcessResult r;
  r.exit_code = code;
  r.stdout_text = std::move(out);
  r.stderr_text = std::move(err);
  return r;
}

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_EXIT_H_
