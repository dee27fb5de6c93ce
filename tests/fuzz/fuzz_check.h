// FUZZ_CHECK: an invariant of the code under fuzzing. A violation aborts, so
// libFuzzer records the input as a crash like any sanitizer finding.
#ifndef MDEFLEET_TESTS_FUZZ_FUZZ_CHECK_H_
#define MDEFLEET_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, what)                                        \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #condition, std::string(what).c_str());       \
      std::abort();                                                        \
    }                                                                      \
  } while (false)

#endif  // MDEFLEET_TESTS_FUZZ_FUZZ_CHECK_H_
