#include "tests/testing/postgres_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mdefleet::testing {
namespace {

// PostgreSQL's server programs (initdb, pg_ctl, createdb), from
// `pg_config --bindir` at configure time.
#ifndef MDEFLEET_PG_BINDIR
#define MDEFLEET_PG_BINDIR "/usr/lib/postgresql/15/bin"
#endif

// A TCP port free on 127.0.0.1 right now (the server binds it a moment
// later; Start tries again if another process took it meanwhile).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadTail(const std::string& path, size_t max = 2000) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= max ? all : all.substr(all.size() - max);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(
    bool durable) {
  const std::string initdb = absl::StrCat(MDEFLEET_PG_BINDIR, "/initdb");
  if (access(initdb.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(initdb,
                     " is missing: PostgreSQL's server programs are not "
                     "installed (deploy/install-deps.sh installs them)"));
  }
  auto cluster = absl::WrapUnique(new PostgresCluster());
  const std::string& dir = cluster->dir_.path();
  if (geteuid() == 0) {
    // initdb refuses to run as root: the cluster belongs to `postgres`.
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is no postgres user to own the test "
          "cluster (the postgresql package creates it)");
    }
    cluster->owner_uid_ = static_cast<int>(pw->pw_uid);
    cluster->owner_gid_ = static_cast<int>(pw->pw_gid);
    if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", dir, " failed"));
    }
  }
  RETURN_IF_ERROR(cluster->RunTool(
      "initdb", {"-D", cluster->dir_.Join("data"), "-U", kUser, "-A", "trust",
                 "-E", "UTF8", "--no-locale", "--no-sync"}));
  for (int attempt = 0; attempt < 3 && !cluster->started_; ++attempt) {
    cluster->port_ = FreeLoopbackPort();
    absl::Status started = cluster->RunTool(
        "pg_ctl",
        {"-D", cluster->dir_.Join("data"), "-l",
         cluster->dir_.Join("server.log"), "-w", "-t", "60", "-o",
         absl::StrCat("-c listen_addresses=127.0.0.1 -c port=", cluster->port_,
                      " -c unix_socket_directories=", dir,
                      durable ? ""
                              : " -c fsync=off -c synchronous_commit=off "
                                "-c full_page_writes=off",
                      " -c max_connections=200"),
         "start"});
    if (started.ok()) {
      cluster->started_ = true;
    } else if (attempt == 2) {
      return absl::InternalError(absl::StrCat(
          started.message(),
          "; server log: ", ReadTail(cluster->dir_.Join("server.log"))));
    }
  }
  return cluster;
}

bool TestsUsePostgres() {
  const char* backend = std::getenv("MDEFLEET_TEST_STORE");
  return backend != nullptr &&
         absl::StartsWith(absl::string_view(backend), "postgres");
}

absl::StatusOr<PostgresCluster*> PostgresCluster::Shared() {
  // An object, not a leaked pointer: its destructor stops the server when
  // the process exits, or the server would outlive the test.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> shared =
      []() -> absl::StatusOr<std::unique_ptr<PostgresCluster>> {
    std::string dir;
    if (const char* named = std::getenv("MDEFLEET_TEST_POSTGRES_DIR")) {
      dir = named;
    } else if (const char* store = std::getenv("MDEFLEET_TEST_STORE")) {
      absl::string_view value = store;
      if (absl::ConsumePrefix(&value, "postgres:")) dir = std::string(value);
    }
    if (dir.empty()) return Start();
    const std::string port_file = absl::StrCat(dir, "/port");
    std::ifstream in(port_file);
    int port = 0;
    if (!(in >> port) || port <= 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "MDEFLEET_TEST_POSTGRES_DIR is set but ", port_file,
          " names no port: start the cluster with `mdefleet_test_postgres "
          "start DIR` (CTest's postgres_cluster fixture does)"));
    }
    return Attach(port);
  }();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

std::unique_ptr<PostgresCluster> PostgresCluster::Attach(int port) {
  auto cluster = absl::WrapUnique(new PostgresCluster());
  cluster->port_ = port;
  cluster->detached_ = true;
  return cluster;
}

absl::Status PostgresCluster::StopAt(const std::string& data_dir) {
  auto cluster = absl::WrapUnique(new PostgresCluster());
  cluster->detached_ = true;
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(data_dir, ": no such directory"));
  }
  if (geteuid() == 0 && st.st_uid != 0) {
    cluster->owner_uid_ = static_cast<int>(st.st_uid);
    cluster->owner_gid_ = static_cast<int>(st.st_gid);
    (void)chown(cluster->dir_.path().c_str(), st.st_uid, st.st_gid);
  }
  return cluster->RunTool("pg_ctl",
                          {"-D", data_dir, "-m", "immediate", "-w", "stop"});
}

absl::StatusOr<std::string> PostgresCluster::CreateUniqueDatabase() {
  static int created = 0;
  const std::string name = absl::StrCat("test_", getpid(), "_", ++created);
  RETURN_IF_ERROR(CreateDatabase(name));
  return name;
}

PostgresCluster::~PostgresCluster() {
  if (started_ && !detached_) {
    (void)RunTool("pg_ctl",
                  {"-D", dir_.Join("data"), "-m", "immediate", "-w", "stop"});
  }
}

std::string PostgresCluster::ConnectionString(absl::string_view dbname) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=", kUser,
                      " dbname=", dbname, " connect_timeout=10");
}

std::string PostgresCluster::Url(absl::string_view dbname) const {
  return absl::StrCat("postgresql://", kUser, "@127.0.0.1:", port_, "/",
                      dbname);
}

absl::Status PostgresCluster::CreateDatabase(absl::string_view name) {
  return RunTool("createdb", {"-h", "127.0.0.1", "-p", absl::StrCat(port_),
                              "-U", kUser, std::string(name)});
}

absl::Status PostgresCluster::RunTool(absl::string_view program,
                                      const std::vector<std::string>& args) {
  const std::string path = absl::StrCat(MDEFLEET_PG_BINDIR, "/", program);
  const std::string log = dir_.Join("tools.log");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (owner_uid_ >= 0) {
      if (setgroups(0, nullptr) != 0 || setgid(owner_gid_) != 0 ||
          setuid(owner_uid_) != 0) {
        _exit(126);
      }
    }
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    // The server must not keep the test's other descriptors (its pipes).
    for (int other = 3; other < 1024; ++other) close(other);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError("waitpid failed");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(program, " ", absl::StrJoin(args, " "),
                   " failed; its output: ", ReadTail(log)));
}

}  // namespace mdefleet::testing
