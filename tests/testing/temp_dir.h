// A scratch directory per test, on Linux and on Windows (Wine) alike, so no
// test writes to a fixed path another test (or another run) also uses.
#ifndef MDEFLEET_TESTS_TESTING_TEMP_DIR_H_
#define MDEFLEET_TESTS_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet::testing {

// A fresh, empty directory under $TEST_TMPDIR (when set) or the system's
// temporary directory, readable by its owner only; removed with everything
// in it (read-only files included) when destroyed. Aborts the test program
// when it cannot be made: no test could run without it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `name` inside the directory, with this platform's separator.
  std::string Join(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_TEMP_DIR_H_
