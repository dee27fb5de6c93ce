// mdefleet_test_postgres start DIR [--durable] | stop DIR: one private
// PostgreSQL cluster for a whole CTest run (the postgres_cluster fixture),
// so that each test process attaches to it (MDEFLEET_TEST_POSTGRES_DIR=DIR)
// instead of starting its own; and the fleet benchmark's store (--durable:
// fsync on). DIR/port and DIR/data_dir say where it is.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/testing/postgres_cluster.h"

namespace {

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Stops the cluster DIR describes, if any; a cluster of an earlier run that
// never reached its stop step too.
int Stop(const std::string& dir) {
  const std::string data_dir = ReadLine(dir + "/data_dir");
  if (data_dir.empty()) return 0;
  absl::Status stopped = mdefleet::testing::PostgresCluster::StopAt(data_dir);
  if (!stopped.ok() && !absl::IsNotFound(stopped)) {
    std::fprintf(stderr, "stopping %s: %s\n", data_dir.c_str(),
                 std::string(stopped.message()).c_str());
  }
  std::error_code error;
  std::filesystem::remove_all(std::filesystem::path(data_dir).parent_path(),
                              error);
  std::filesystem::remove(dir + "/data_dir", error);
  std::filesystem::remove(dir + "/port", error);
  return 0;
}

int Start(const std::string& dir, bool durable) {
  Stop(dir);
  std::filesystem::create_directories(dir);
  auto cluster = mdefleet::testing::PostgresCluster::Start(durable);
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n", cluster.status().ToString().c_str());
    return 1;
  }
  // Left running, its files in place (the object owns their directory and
  // would remove it): `stop` removes them.
  mdefleet::testing::PostgresCluster* left = cluster->release();
  left->Detach();
  std::ofstream(dir + "/data_dir") << left->data_dir() << "\n";
  std::ofstream(dir + "/port") << left->port() << "\n";
  std::printf("PostgreSQL test cluster on 127.0.0.1:%d, data in %s\n",
              left->port(), left->data_dir().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && argc <= 4 && std::strcmp(argv[1], "start") == 0) {
    if (argc == 3) return Start(argv[2], /*durable=*/false);
    if (std::strcmp(argv[3], "--durable") == 0) return Start(argv[2], true);
  }
  if (argc == 3 && std::strcmp(argv[1], "stop") == 0) return Stop(argv[2]);
  std::fprintf(stderr, "usage: %s start DIR [--durable] | stop DIR\n", argv[0]);
  return 2;
}
