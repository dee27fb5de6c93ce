// Starts the real mdefleet-server on 127.0.0.1:0 (TLS) with a temp database and
// walks every method of every service from the proto descriptors with no
// credential and with wrong ones: each is refused with UNAUTHENTICATED and the
// database is unchanged. Also: an oversized message is refused with
// RESOURCE_EXHAUSTED, and no credential ever appears in the server's log.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/access.pb.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/auth/access_policy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/file_contents.h"

namespace {

using ::mdefleet::testing::FileContents;

std::string ValueOf(const std::string& text, const std::string& key) {
  size_t at = text.find(key);
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at);
  return text.substr(at + key.size(), end - at - key.size());
}

// Every row of every table (read through a separate connection).
std::string DumpDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> closer(db, sqlite3_close);
  std::string out;
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_schema WHERE type = 'table' "
                     "ORDER BY name",
                     -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    tables.push_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  EXPECT_GE(tables.size(), 9u);
  for (const std::string& table : tables) {
    absl::StrAppend(&out, "[", table, "]\n");
    const std::string sql = absl::StrCat("SELECT * FROM ", table);
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const void* blob = sqlite3_column_blob(st, c);
        int n = sqlite3_column_bytes(st, c);
        absl::StrAppend(&out,
                        blob ? std::string(static_cast<const char*>(blob), n)
                             : std::string("NULL"),
                        "|");
      }
      out += "\n";
    }
    sqlite3_finalize(st);
  }
  return out;
}

// One call of any method with a raw serialized request.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  if (!authorization.empty()) {
    context.AddMetadata("authorization", authorization);
  }
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t id) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), id);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

class CredentialWalkTest : public ::testing::Test {
 protected:
  // The walk makes hundreds of refused calls from 127.0.0.1: without limits.
  virtual std::vector<std::string> PeerLimits() const {
    return {"--max-enrollments-per-minute", "0",
            "--max-auth-failures-per-minute", "0"};
  }

  void SetUp() override {
    db_ = dir_.Join("mdefleet.db");
    const std::string init = absl::StrCat(MDEFLEET_SERVER_BIN, " init --db ",
                                          db_, " 2>", dir_.Join("init.err"));
    FILE* pipe = popen(init.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char line[512];
    std::string out;
    while (fgets(line, sizeof line, pipe) != nullptr) out += line;
    ASSERT_EQ(pclose(pipe), 0) << FileContents(dir_.Join("init.err"));
    admin_token_ = ValueOf(out, "admin_token=");
    enrollment_secret_ = ValueOf(out, "enrollment_secret=");
    // Served as deployed: TLS with the certificate init made, pinned here.
    const std::string ca_cert = FileContents(ValueOf(out, "ca_certificate="));
    ASSERT_FALSE(ca_cert.empty()) << out;
    ASSERT_FALSE(admin_token_.empty());
    ASSERT_FALSE(enrollment_secret_.empty());

    const std::string port_file = dir_.Join("port");
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      freopen(dir_.Join("server.log").c_str(), "w", stderr);
      freopen("/dev/null", "w", stdout);
      std::vector<std::string> args = {
          MDEFLEET_SERVER_BIN, "serve",       "--db",        db_,
          "--listen",          "127.0.0.1:0", "--port-file", port_file,
          "--poll-timeout",    "2s"};
      for (const std::string& limit : PeerLimits()) args.push_back(limit);
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(MDEFLEET_SERVER_BIN, argv.data());
      _exit(127);
    }
    std::string port;
    for (int i = 0; i < 200 && port.empty(); ++i) {
      port = std::string(absl::StripAsciiWhitespace(FileContents(port_file)));
      if (port.empty()) absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_FALSE(port.empty()) << FileContents(dir_.Join("server.log"));
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ca_cert;
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::SslCredentials(tls), args);

    // One enrolled device, so the database has rows a refused call could
    // touch (last_seen_at, facts, token hash). It enrolls as a runner does,
    // with a CSR; device_channel_ presents its client certificate.
    auto runner = mdefleet::v1::RunnerService::NewStub(channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", enrollment_secret_));
    mdefleet::v1::EnrollRequest enroll = EnrollRequest("WALK-2019-01");
    enroll.mutable_facts()->set_host_identity("walk-guid");
    mdefleet::v1::EnrollResponse enrolled;
    grpc::Status status = runner->Enroll(&context, enroll, &enrolled);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_FALSE(enrolled.client_certificate_pem().empty());
    device_token_ = enrolled.device_token();
    tls.pem_private_key = last_key_pem_;
    tls.pem_cert_chain = enrolled.client_certificate_pem();
    device_channel_ = grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(tls), args);
  }

  // An Enroll request as a runner sends it over TLS: facts and a CSR for a
  // new key (kept in last_key_pem_).
  mdefleet::v1::EnrollRequest EnrollRequest(const std::string& hostname) {
    mdefleet::v1::EnrollRequest enroll;
    enroll.mutable_facts()->set_hostname(hostname);
    enroll.mutable_facts()->set_host_identity(hostname + "-guid");
    enroll.mutable_facts()->set_os_version("10.0.17763.1");
    // (A CSR names something even for the refused enrollment without a
    // host name.)
    auto key =
        mdefleet::tls::CreateKeyAndCsr(hostname.empty() ? "no-name" : hostname);
    EXPECT_TRUE(key.ok()) << key.status();
    if (key.ok()) {
      enroll.set_csr_pem(key->csr_pem);
      last_key_pem_ = key->key_pem;
    }
    return enroll;
  }

  void TearDown() override {
    channel_.reset();
    device_channel_.reset();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      if (getenv("WALK_DEBUG")) std::cerr << FileContents(dir_.Join("server.log"));
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "server did not shut down cleanly";
    }
  }

  ::mdefleet::testing::TempDir dir_;
  std::string db_, admin_token_, enrollment_secret_, device_token_;
  std::string last_key_pem_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
  // Presents the enrolled device's client certificate.
  std::shared_ptr<grpc::Channel> device_channel_;
};

TEST_F(CredentialWalkTest, EveryMethodRefusesMissingAndWrongCredentials) {
  // Make sure the generated descriptors are linked in.
  ASSERT_NE(mdefleet::v1::EnrollRequest::descriptor(), nullptr);
  ASSERT_NE(mdefleet::v1::ListDevicesRequest::descriptor(), nullptr);
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  const std::string before = DumpDatabase(db_);
  int walked = 0;
  for (const char* service_name :
       {"mdefleet.v1.RunnerService", "mdefleet.v1.AdminService"}) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    const bool admin = std::string(service_name) == "mdefleet.v1.AdminService";
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      const std::string path =
          absl::StrCat("/", service->full_name(), "/", method->name());
      const mdefleet::auth::RunnerCredential credential_kind =
          mdefleet::auth::RunnerMethodCredential(method->name());
      if (!admin) {
        EXPECT_NE(credential_kind, mdefleet::auth::RunnerCredential::kNone)
            << method->name()
            << " is missing from RunnerMethodCredential (access_policy.cc)";
      }
      const bool enroll = credential_kind ==
                          mdefleet::auth::RunnerCredential::kEnrollmentSecret;
      // The valid credentials of the other roles are wrong here too.
      std::vector<std::string> wrong = {
          "",
          "Bearer",
          "Basic dXNlcjpwYXNz",
          "Bearer not-a-token",
          "Bearer mdf_admin_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          "Bearer mdf_dev_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          "Bearer mdf_enroll_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
      if (!admin) wrong.push_back(absl::StrCat("Bearer ", admin_token_));
      if (admin || !enroll) {
        wrong.push_back(absl::StrCat("Bearer ", enrollment_secret_));
      }
      // For the device methods too: the device's own token without its
      // client certificate (channel_ presents none).
      wrong.push_back(absl::StrCat("Bearer ", device_token_));
      for (const std::string& credential : wrong) {
        grpc::Status status = RawCall(channel_, path, "", credential);
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << path << " with \"" << credential.substr(0, 20)
            << "...\": " << status.error_message();
      }
      ++walked;
    }
  }
  EXPECT_EQ(walked, 8 + 27);  // runner methods + admin methods
  EXPECT_EQ(DumpDatabase(db_), before) << "a refused call changed the database";

  // The walk is not vacuous: the right credential gets through.
  grpc::Status ok = RawCall(channel_, "/mdefleet.v1.AdminService/ListDevices",
                            "", absl::StrCat("Bearer ", admin_token_));
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  const std::string log = FileContents(dir_.Join("server.log"));
  EXPECT_EQ(log.find(admin_token_), std::string::npos);
  EXPECT_EQ(log.find(enrollment_secret_), std::string::npos);
  EXPECT_EQ(log.find(device_token_), std::string::npos);
  EXPECT_NE(log.find("listening on 127.0.0.1:"), std::string::npos) << log;
}

TEST_F(CredentialWalkTest, AnOversizedMessageIsRefusedAndChangesNothing) {
  const std::string before = DumpDatabase(db_);
  mdefleet::v1::SubmitJobRequest huge;
  huge.mutable_spec()->set_kind(std::string(5 << 20, 'x'));
  grpc::Status status =
      RawCall(channel_, "/mdefleet.v1.AdminService/SubmitJob",
              huge.SerializeAsString(), absl::StrCat("Bearer ", admin_token_));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_EQ(DumpDatabase(db_), before);
}

// The role table of docs/SECURITY.md: method -> (role, audited), read from
// its rows "| `Method` | role | yes/no |".
std::map<std::string, std::pair<std::string, bool>> DocumentedRoles() {
  std::map<std::string, std::pair<std::string, bool>> out;
  std::istringstream doc(FileContents(MDEFLEET_SECURITY_DOC));
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 5) continue;
    const std::string method(
        absl::StripAsciiWhitespace(absl::StripAsciiWhitespace(cells[1])));
    const std::string name = method.substr(1, method.size() - 2);  // `..`
    out[name] = {std::string(absl::StripAsciiWhitespace(cells[2])),
                 absl::StripAsciiWhitespace(cells[3]) == "yes"};
  }
  return out;
}

std::string RoleWord(mdefleet::v1::Role role) {
  switch (role) {
    case mdefleet::v1::ROLE_VIEWER:
      return "viewer";
    case mdefleet::v1::ROLE_OPERATOR:
      return "operator";
    case mdefleet::v1::ROLE_ADMIN:
      return "admin";
    default:
      return "none";
  }
}

class RoleWalkTest : public CredentialWalkTest {
 protected:
  // A new token of `role` (through the API, as an admin would).
  std::string CreateToken(const std::string& name, mdefleet::v1::Role role) {
    auto admin = mdefleet::v1::AdminService::NewStub(channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
    mdefleet::v1::CreateTokenRequest request;
    request.set_name(name);
    request.set_role(role);
    mdefleet::v1::CreateTokenResponse response;
    grpc::Status status = admin->CreateToken(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.value();
  }

  std::vector<const google::protobuf::MethodDescriptor*> AdminMethods() {
    std::vector<const google::protobuf::MethodDescriptor*> out;
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            "mdefleet.v1.AdminService");
    for (int m = 0; m < service->method_count(); ++m) {
      out.push_back(service->method(m));
    }
    return out;
  }
};

TEST_F(RoleWalkTest, EachRoleGetsExactlyWhatTheDocumentedTableSays) {
  const auto documented = DocumentedRoles();
  const std::map<mdefleet::v1::Role, std::string> tokens = {
      {mdefleet::v1::ROLE_VIEWER,
       CreateToken("dashboard", mdefleet::v1::ROLE_VIEWER)},
      {mdefleet::v1::ROLE_OPERATOR,
       CreateToken("ops", mdefleet::v1::ROLE_OPERATOR)},
      {mdefleet::v1::ROLE_ADMIN,
       CreateToken("second-admin", mdefleet::v1::ROLE_ADMIN)}};
  int denied = 0, allowed = 0;
  for (const google::protobuf::MethodDescriptor* method : AdminMethods()) {
    const mdefleet::v1::Role required =
        method->options().GetExtension(mdefleet::v1::required_role);
    const bool audited = method->options().GetExtension(mdefleet::v1::audited);
    ASSERT_NE(required, mdefleet::v1::ROLE_UNSPECIFIED)
        << method->name() << " declares no required_role";
    auto row = documented.find(method->name());
    ASSERT_NE(row, documented.end())
        << method->name() << " is missing from the table in docs/SECURITY.md";
    EXPECT_EQ(row->second.first, RoleWord(required))
        << method->name() << ": docs/SECURITY.md disagrees with admin.proto";
    EXPECT_EQ(row->second.second, audited)
        << method->name() << ": audited column disagrees with admin.proto";
    const std::string path =
        absl::StrCat("/mdefleet.v1.AdminService/", method->name());
    for (const auto& [role, token] : tokens) {
      // An empty request: refused by the role check, or else by validation
      // (never a change), but never UNAUTHENTICATED.
      grpc::Status status =
          RawCall(channel_, path, "", absl::StrCat("Bearer ", token));
      if (role < required) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << path << " as " << RoleWord(role) << ": "
            << status.error_message();
        EXPECT_NE(status.error_message().find(RoleWord(required)),
                  std::string::npos)
            << status.error_message();
        ++denied;
      } else {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << path << " as " << RoleWord(role) << ": "
            << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << path << " as " << RoleWord(role);
        ++allowed;
      }
    }
  }
  EXPECT_EQ(documented.size(), AdminMethods().size())
      << "docs/SECURITY.md lists methods the proto does not have";
  EXPECT_GT(denied, 10);
  EXPECT_GT(allowed, 10);

  // Role refusals of audited methods were audited, with the role.
  auto admin = mdefleet::v1::AdminService::NewStub(channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
  mdefleet::v1::ListAuditLogRequest request;
  request.set_actor("dashboard");
  request.set_outcome("refused");
  request.set_page_size(1000);
  mdefleet::v1::ListAuditLogResponse audit;
  ASSERT_TRUE(admin->ListAuditLog(&context, request, &audit).ok());
  int audited_methods = 0;
  for (const google::protobuf::MethodDescriptor* method : AdminMethods()) {
    if (method->options().GetExtension(mdefleet::v1::audited)) {
      ++audited_methods;
    }
  }
  EXPECT_EQ(audit.entries_size(), audited_methods);
  for (const auto& entry : audit.entries()) {
    EXPECT_EQ(entry.role(), "viewer");
    EXPECT_NE(entry.detail().find("role"), std::string::npos) << entry.detail();
  }
}

TEST_F(RoleWalkTest, RevokedTokensAreRefusedByEveryMethod) {
  const std::string ops = CreateToken("ops", mdefleet::v1::ROLE_OPERATOR);
  auto admin = mdefleet::v1::AdminService::NewStub(channel_);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
    mdefleet::v1::RevokeTokenRequest request;
    request.set_token("ops");
    mdefleet::v1::ApiToken revoked;
    grpc::Status status = admin->RevokeToken(&context, request, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(revoked.state(), "revoked");
  }
  for (const google::protobuf::MethodDescriptor* method : AdminMethods()) {
    grpc::Status status = RawCall(
        channel_, absl::StrCat("/mdefleet.v1.AdminService/", method->name()),
        "", absl::StrCat("Bearer ", ops));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method->name() << ": " << status.error_message();
  }
}

TEST_F(RoleWalkTest, TheBootstrapAdminTokenRotates) {
  auto admin = mdefleet::v1::AdminService::NewStub(channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
  mdefleet::v1::RotateTokenRequest request;
  request.set_token("admin");
  mdefleet::v1::CreateTokenResponse rotated;
  grpc::Status status = admin->RotateToken(&context, request, &rotated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rotated.token().role(), mdefleet::v1::ROLE_ADMIN);
  EXPECT_EQ(RawCall(channel_, "/mdefleet.v1.AdminService/ListDevices", "",
                    absl::StrCat("Bearer ", admin_token_))
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(RawCall(channel_, "/mdefleet.v1.AdminService/ListTokens", "",
                      absl::StrCat("Bearer ", rotated.value()))
                  .ok());
  EXPECT_EQ(FileContents(dir_.Join("server.log")).find(rotated.value()),
            std::string::npos);
}

TEST_F(RoleWalkTest, ARevokedDeviceGetsNothingAndCannotEnrollAgain) {
  auto admin = mdefleet::v1::AdminService::NewStub(channel_);
  std::string device_id;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
    mdefleet::v1::ListDevicesResponse devices;
    ASSERT_TRUE(admin->ListDevices(&context, {}, &devices).ok());
    ASSERT_EQ(devices.devices_size(), 1);
    device_id = devices.devices(0).id();
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token_));
    mdefleet::v1::RevokeDeviceRequest request;
    request.set_device_id(device_id);
    request.set_reason("decommissioned");
    mdefleet::v1::Device revoked;
    grpc::Status status = admin->RevokeDevice(&context, request, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(revoked.has_revoked_at());
  }
  const google::protobuf::ServiceDescriptor* runner =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "mdefleet.v1.RunnerService");
  for (int m = 0; m < runner->method_count(); ++m) {
    if (runner->method(m)->name() == "Enroll") continue;
    // With its own certificate: the device proves who it is, and is refused.
    grpc::Status status = RawCall(
        device_channel_,
        absl::StrCat("/mdefleet.v1.RunnerService/", runner->method(m)->name()),
        "", absl::StrCat("Bearer ", device_token_));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << runner->method(m)->name() << ": " << status.error_message();
  }
  auto stub = mdefleet::v1::RunnerService::NewStub(channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization",
                      absl::StrCat("Bearer ", enrollment_secret_));
  mdefleet::v1::EnrollRequest enroll = EnrollRequest("WALK-2019-01");
  enroll.mutable_facts()->set_host_identity("walk-guid");
  mdefleet::v1::EnrollResponse enrolled;
  grpc::Status status = stub->Enroll(&context, enroll, &enrolled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();
}

TEST_F(RoleWalkTest, ATokenFromAnotherHostIsFlaggedNotServed) {
  // A copied state directory (token and key) used on another host.
  auto stub = mdefleet::v1::RunnerService::NewStub(device_channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", device_token_));
  mdefleet::v1::PollTasksRequest poll;
  poll.mutable_facts()->set_hostname("WALK-2019-02");
  poll.mutable_facts()->set_host_identity("another-machine-guid");
  poll.mutable_facts()->set_os_version("10.0.17763.1");
  poll.mutable_max_wait()->set_seconds(0);
  mdefleet::v1::PollTasksResponse response;
  grpc::Status status = stub->PollTasks(&context, poll, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();

  auto admin = mdefleet::v1::AdminService::NewStub(channel_);
  grpc::ClientContext list_context;
  list_context.AddMetadata("authorization",
                           absl::StrCat("Bearer ", admin_token_));
  mdefleet::v1::ListDevicesResponse devices;
  ASSERT_TRUE(admin->ListDevices(&list_context, {}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  grpc::ClientContext get_context;
  get_context.AddMetadata("authorization",
                          absl::StrCat("Bearer ", admin_token_));
  mdefleet::v1::GetDeviceRequest get;
  get.set_device_id(devices.devices(0).id());
  mdefleet::v1::Device device;
  ASSERT_TRUE(admin->GetDevice(&get_context, get, &device).ok());
  EXPECT_TRUE(device.has_runner_clone_seen_at());
  EXPECT_EQ(device.facts().hostname(), "WALK-2019-01") << "facts were taken";
}

// The per-peer budgets, with the defaults' behaviour at small numbers.
class PeerLimitTest : public CredentialWalkTest {
 protected:
  std::vector<std::string> PeerLimits() const override {
    return {"--max-enrollments-per-minute", "3",
            "--max-auth-failures-per-minute", "5"};
  }

  grpc::Status ListDevices(const std::string& token) {
    auto admin = mdefleet::v1::AdminService::NewStub(channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    mdefleet::v1::ListDevicesResponse response;
    return admin->ListDevices(&context, {}, &response);
  }

  grpc::Status Enroll(const std::string& hostname) {
    auto runner = mdefleet::v1::RunnerService::NewStub(channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", enrollment_secret_));
    mdefleet::v1::EnrollRequest enroll = EnrollRequest(hostname);
    mdefleet::v1::EnrollResponse enrolled;
    return runner->Enroll(&context, enroll, &enrolled);
  }
};

TEST_F(PeerLimitTest, AnAddressOverItsFailedAuthenticationsIsRefused) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ListDevices(absl::StrCat("mdf_api_guess", i)).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << i;
  }
  const std::string guess = "mdf_api_guessAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  grpc::Status refused = ListDevices(guess);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(
      refused.error_message(),
      ::testing::AllOf(::testing::HasSubstr("127.0.0.1"),
                       ::testing::HasSubstr("retry in"),
                       ::testing::HasSubstr("--max-auth-failures-per-minute")));
  // Until the budget refills, failing calls of the address are refused this
  // way; valid credentials from the same address are not (a NAT or proxy
  // address is shared by innocent callers).
  EXPECT_TRUE(ListDevices(admin_token_).ok());
  auto runner = mdefleet::v1::RunnerService::NewStub(device_channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", device_token_));
  mdefleet::v1::PollTasksRequest poll;
  poll.mutable_max_wait()->set_seconds(0);
  mdefleet::v1::PollTasksResponse polled;
  EXPECT_TRUE(runner->PollTasks(&context, poll, &polled).ok());
  EXPECT_TRUE(Enroll("LIMIT-02").ok());
  const std::string log = FileContents(dir_.Join("server.log"));
  EXPECT_THAT(log, ::testing::HasSubstr(
                       "127.0.0.1: 5 failed authentications within a minute"));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("guess")));
}

TEST_F(PeerLimitTest, FailedEnrollmentsFromOneAddressAreLimited) {
  // Valid enrollments are not counted: a site behind one NAT address enrolls
  // all its servers at once.
  for (int i = 2; i < 10; ++i) {
    EXPECT_TRUE(Enroll(absl::StrCat("LIMIT-0", i)).ok()) << i;
  }
  // Enrollments the server refuses (here: no host name) are: three, then
  // RESOURCE_EXHAUSTED.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Enroll("").error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
  }
  const std::string before = DumpDatabase(db_);
  grpc::Status refused = Enroll("");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("--max-enrollments-per-minute"));
  EXPECT_EQ(DumpDatabase(db_), before) << "a refused Enroll changed something";
  // A valid enrollment and other calls of the address are not affected.
  EXPECT_TRUE(Enroll("LIMIT-10").ok());
  EXPECT_TRUE(ListDevices(admin_token_).ok());
}

}  // namespace
