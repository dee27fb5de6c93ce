// mdefleetctl: the operators' CLI. Everything but the process entry lives in
// app.cc so it can be tested in-process.
#include <iostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "server/cli/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return mdefleet::cli::RunCli(args, std::cout, std::cerr,
                               mdefleet::cli::DetectTerminal(),
                               *mdefleet::Clock::Real());
}
