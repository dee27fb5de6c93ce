// `mdefleet-runner.exe configure` (what the MSI runs): runner.conf written
// only from valid values, read back as the service will read it. On Linux
// in a SimulatedHost; under Wine in the real file system.
#include "runner/service/runner_config_writer.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/runner/service/service_test_support.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::runner {
namespace {

constexpr char kWriterSecret[] = "mdf_enroll_WriterSecretThatMustNeverLeak_123";
constexpr char kCaPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class RunnerConfigWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::MakeConfigTestEnv(dir_.path());
    ASSERT_NE(env_.host, nullptr);
    ASSERT_TRUE(env_.host->CreateDirectories(env_.files_dir).ok());
    ca_source_ = absl::StrCat(env_.files_dir, "\\source-ca.pem");
    ASSERT_TRUE(env_.host->WriteFile(ca_source_, kCaPem).ok());
  }
  void TearDown() override { testing::CleanUpConfigTestEnv(env_); }

  RunnerConfigValues Valid() const {
    RunnerConfigValues values;
    values.server_address = "mdefleet.corp.example:7443";
    values.ca_certificate_file = ca_source_;
    values.enrollment_secret = kWriterSecret;
    values.labels = "site=paris,role=dc";
    return values;
  }
  bool ConfigExists() {
    auto exists = env_.host->FileExists(env_.config_file);
    return exists.ok() && *exists;
  }
  // A refusal: names `setting`, never holds the secret, writes nothing.
  void ExpectRefused(const RunnerConfigValues& values,
                     const std::string& setting) {
    auto written = WriteRunnerConfig(*env_.host, env_.config_file, values);
    ASSERT_FALSE(written.ok());
    EXPECT_TRUE(absl::StrContains(written.status().message(), setting))
        << written.status();
    EXPECT_FALSE(absl::StrContains(written.status().message(), kWriterSecret));
    EXPECT_FALSE(ConfigExists()) << "a refused configure wrote runner.conf";
  }

  ::mdefleet::testing::TempDir dir_;
  testing::ConfigTestEnv env_;
  std::string ca_source_;
};

TEST_F(RunnerConfigWriterTest, WritesWhatTheServiceReadsBack) {
  auto written = WriteRunnerConfig(*env_.host, env_.config_file, Valid());
  ASSERT_TRUE(written.ok()) << written.status();
  auto loaded = LoadRunnerConfig(*env_.host, env_.sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->source, RunnerConfigSource::kConfigFile);
  EXPECT_EQ(loaded->server_address, "mdefleet.corp.example:7443");
  EXPECT_EQ(loaded->enrollment_secret, kWriterSecret);
  EXPECT_EQ(loaded->labels.at("site"), "paris");
  EXPECT_EQ(loaded->labels.at("role"), "dc");
  // The CA was copied beside runner.conf: the MSI's source may go away.
  EXPECT_NE(loaded->ca_certificate_path, ca_source_);
  EXPECT_TRUE(absl::EndsWith(loaded->ca_certificate_path, "\\ca.pem"))
      << loaded->ca_certificate_path;
  EXPECT_EQ(loaded->ca_certificate_pem, kCaPem);
  ASSERT_TRUE(env_.host->DeletePath(ca_source_).ok());
  EXPECT_TRUE(LoadRunnerConfig(*env_.host, env_.sources).ok());
}

TEST_F(RunnerConfigWriterTest, WithoutCaOrLabels) {
  RunnerConfigValues values = Valid();
  values.ca_certificate_file.clear();
  values.labels.clear();
  ASSERT_TRUE(WriteRunnerConfig(*env_.host, env_.config_file, values).ok());
  auto loaded = LoadRunnerConfig(*env_.host, env_.sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->ca_certificate_path.empty());
  EXPECT_TRUE(loaded->labels.empty());
}

TEST_F(RunnerConfigWriterTest, MissingServerIsNamed) {
  RunnerConfigValues values = Valid();
  values.server_address.clear();
  ExpectRefused(values, "ServerAddress");
}

TEST_F(RunnerConfigWriterTest, NothingToConfigureIsRefused) {
  ExpectRefused(RunnerConfigValues{}, "nothing to configure");
}

TEST_F(RunnerConfigWriterTest, EmptyValuesKeepTheFileAndOtherLines) {
  ASSERT_TRUE(WriteRunnerConfig(*env_.host, env_.config_file, Valid()).ok());
  // An administrator's own line, then a second configure (an MSI upgrade or
  // repair) that gives only a new server.
  auto text = env_.host->ReadFile(env_.config_file);
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(env_.host
                  ->WriteFile(env_.config_file,
                              absl::StrCat(*text, "PollWaitSeconds = 45\r\n"))
                  .ok());
  RunnerConfigValues again;
  again.server_address = "mdefleet2.corp.example:7443";
  auto written = WriteRunnerConfig(*env_.host, env_.config_file, again);
  ASSERT_TRUE(written.ok()) << written.status();
  auto loaded = LoadRunnerConfig(*env_.host, env_.sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->server_address, "mdefleet2.corp.example:7443");
  EXPECT_EQ(loaded->enrollment_secret, kWriterSecret);
  EXPECT_EQ(loaded->labels.at("site"), "paris");
  EXPECT_EQ(loaded->ca_certificate_pem, kCaPem);
  EXPECT_EQ(loaded->poll_wait, absl::Seconds(45));
  auto after = env_.host->ReadFile(env_.config_file);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(absl::StrContains(*after, "mdefleet.corp.example:7443"))
      << *after;
}

TEST_F(RunnerConfigWriterTest, MissingOrMalformedSecretIsNamedNotShown) {
  RunnerConfigValues values = Valid();
  values.enrollment_secret.clear();
  ExpectRefused(values, "EnrollmentSecret");
  values.enrollment_secret = "not-an-enrollment-secret";
  ExpectRefused(values, "EnrollmentSecret");
}

TEST_F(RunnerConfigWriterTest, UnreadableOrNonPemCaIsNamed) {
  RunnerConfigValues values = Valid();
  values.ca_certificate_file = absl::StrCat(env_.files_dir, "\\absent.pem");
  ExpectRefused(values, "CaCertificatePath");
  const std::string not_pem = absl::StrCat(env_.files_dir, "\\not-pem.txt");
  ASSERT_TRUE(env_.host->WriteFile(not_pem, "hello").ok());
  values.ca_certificate_file = not_pem;
  ExpectRefused(values, "CaCertificatePath");
}

TEST_F(RunnerConfigWriterTest, LineBreaksCannotSmuggleASetting) {
  RunnerConfigValues values = Valid();
  values.server_address = "a:1\r\nStateDirectory = C:\\Users\\Public";
  ExpectRefused(values, "ServerAddress");
  values = Valid();
  values.labels = "site=x\nServerAddress = evil:1";
  ExpectRefused(values, "Labels");
  values = Valid();
  values.enrollment_secret = absl::StrCat(kWriterSecret, "\nLabels = a=b");
  ExpectRefused(values, "EnrollmentSecret");
}

TEST_F(RunnerConfigWriterTest, BadLabelsAreNamed) {
  RunnerConfigValues values = Valid();
  values.labels = "site";
  ExpectRefused(values, "Labels");
}

}  // namespace
}  // namespace mdefleet::runner
