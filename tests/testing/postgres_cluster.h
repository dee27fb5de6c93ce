// A private PostgreSQL server for the tests (docs/testing.md): initdb into a
// temp directory and pg_ctl start on a free loopback port, as the
// unprivileged `postgres` user when the tests run as root (initdb refuses
// root). Trust authentication, TCP on 127.0.0.1 only, fsync off: a cluster
// for tests, never for data.
#ifndef MDEFLEET_TESTS_TESTING_POSTGRES_CLUSTER_H_
#define MDEFLEET_TESTS_TESTING_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {

// True when MDEFLEET_TEST_STORE=postgres[:DIR]: the tests' stores are
// PostgreSQL databases of the shared test cluster (CTest's pg. copies of
// the tests; DIR: PostgresCluster::Shared), not SQLite files.
bool TestsUsePostgres();

class PostgresCluster {
 public:
  // A running cluster. FailedPrecondition naming the program when
  // PostgreSQL's server programs are not installed (deploy/install-deps.sh
  // installs them), Internal with the step's output when one fails.
  // `durable`: fsync and synchronous commit on (benchmarks: what SQLite's
  // synchronous=FULL costs too); off for tests.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start(
      bool durable = false);
  // The test process's cluster: the one `mdefleet_test_postgres start`
  // left for the whole CTest run when MDEFLEET_TEST_POSTGRES_DIR=DIR or
  // MDEFLEET_TEST_STORE=postgres:DIR names its directory, else one started
  // at the first call and stopped when the process exits. What every
  // PostgreSQL test fixture shares.
  [[nodiscard]] static absl::StatusOr<PostgresCluster*> Shared();
  // A cluster another process started (its port), left running when this
  // object goes.
  [[nodiscard]] static std::unique_ptr<PostgresCluster> Attach(int port);
  // Stops the cluster whose data directory is `data_dir` (immediate).
  [[nodiscard]] static absl::Status StopAt(const std::string& data_dir);
  ~PostgresCluster();  // stops the server (immediate) and removes its files
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return port_; }
  // The cluster's superuser, trusted on loopback without a password.
  static constexpr char kUser[] = "mdefleet";
  // A libpq connection string ("host=127.0.0.1 port=N ...").
  std::string ConnectionString(absl::string_view dbname = "postgres") const;
  // The same as a postgresql:// URL, as `--db` takes it.
  std::string Url(absl::string_view dbname = "postgres") const;

  // Creates database `name` (createdb).
  [[nodiscard]] absl::Status CreateDatabase(absl::string_view name);
  // A database of its own for a test: created, named uniquely across the
  // test processes sharing the cluster.
  [[nodiscard]] absl::StatusOr<std::string> CreateUniqueDatabase();

  // The cluster's data directory; its parent holds the logs.
  std::string data_dir() const { return dir_.Join("data"); }
  // Leaves the server running and its files in place when this object goes
  // (mdefleet_test_postgres start).
  void Detach() { detached_ = true; }

 private:
  PostgresCluster() = default;
  // Runs the PostgreSQL program `program` with `args` as the cluster's
  // owner; its output goes to the cluster's log.
  [[nodiscard]] absl::Status RunTool(absl::string_view program,
                                     const std::vector<std::string>& args);

  TempDir dir_;
  int port_ = 0;
  bool started_ = false;
  bool detached_ = false;
  int owner_uid_ = -1;  // -1: this process's user
  int owner_gid_ = -1;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_POSTGRES_CLUSTER_H_
