// Reading a whole file in a test: a log, an output, a fixture.
#ifndef MDEFLEET_TESTS_TESTING_FILE_CONTENTS_H_
#define MDEFLEET_TESTS_TESTING_FILE_CONTENTS_H_

#include <fstream>
#include <sstream>
#include <string>

namespace mdefleet::testing {

// The bytes of the file at `path`; empty when there is none (yet): the
// test's check of the contents then says what was missing.
inline std::string FileContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_FILE_CONTENTS_H_
