// main() for the corpus replay tests of the regular build (no clang, no
// libFuzzer): runs the fuzz target's entry point once over every file in the
// directories (or files) given, so the checked-in seeds and reproducers keep
// running cleanly in every build. A crash or failed FUZZ_CHECK aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<char> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::filesystem::path> files;  // sorted: a stable order
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.insert(entry.path());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      files.insert(arg);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...: no input files\n",
                 argv[0]);
    return 2;
  }
  for (const std::filesystem::path& path : files) {
    std::fprintf(stderr, "replaying %s\n", path.c_str());
    const std::vector<char> data = ReadAll(path);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
  }
  std::fprintf(stderr, "%zu inputs replayed\n", files.size());
  return 0;
}
