#include "tests/testing/temp_dir.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace mdefleet::testing {
namespace {

namespace fs = std::filesystem;

fs::path Base() {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base != nullptr && *base != '\0') return fs::path(base);
  return fs::temp_directory_path();
}

}  // namespace

TempDir::TempDir() {
  // mkdtemp does not exist on Windows: a random name, made with
  // create_directory, which fails rather than reuse an existing one.
  static std::atomic<uint64_t> counter{0};
  std::mt19937_64 random(
      std::random_device{}() ^
      static_cast<uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count()));
  const fs::path base = Base();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path candidate =
        base / absl::StrCat("mdefleet-test-", absl::Hex(random()), "-",
                            counter.fetch_add(1));
    std::error_code error;
    if (fs::create_directory(candidate, error)) {
      fs::permissions(candidate, fs::perms::owner_all, error);
      path_ = candidate.string();
      return;
    }
  }
  std::fprintf(stderr, "cannot create a temporary directory under %s\n",
               base.string().c_str());
  std::abort();
}

TempDir::~TempDir() {
  std::error_code error;
  // Windows refuses to delete a read-only file: make everything writable.
  for (auto it = fs::recursive_directory_iterator(path_, error);
       !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    std::error_code ignored;
    // Not through a link: its target is not the test's to change.
    if (it->is_symlink(ignored)) continue;
    fs::permissions(it->path(), fs::perms::owner_write, fs::perm_options::add,
                    ignored);
  }
  fs::remove_all(path_, error);
}

std::string TempDir::Join(absl::string_view name) const {
  return (fs::path(path_) / fs::path(std::string(name))).string();
}

}  // namespace mdefleet::testing
