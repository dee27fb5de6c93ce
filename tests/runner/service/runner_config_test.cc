// The runner configuration from Group Policy values and runner.conf. On
// Linux the values live in a SimulatedHost; under Wine in the real registry
// and file system through WindowsHost (see ConfigTestEnv).
#include "runner/service/runner_config.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runner/host/defender_tls_roots.h"
#include "tests/runner/service/service_test_support.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::ConfigTestEnv;
using testing::FailingHost;

constexpr char kSecret[] = "mdf_enroll_S3cr3tValueThatMustNeverLeak_AbC-dEf";

#define EXPECT_CONTAINS(haystack, needle)          \
  EXPECT_TRUE(absl::StrContains(haystack, needle)) \
      << "expected to find \"" << (needle) << "\" in \"" << (haystack) << "\""

class RunnerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::MakeConfigTestEnv(dir_.path());
    ASSERT_NE(env_.host, nullptr);
    host_ = env_.host.get();
    where_ = absl::StrCat("(HKLM\\", env_.policy_key, ")");
    conf_ = env_.config_file;
  }
  void TearDown() override { testing::CleanUpConfigTestEnv(env_); }

  void SetSz(const char* name, const std::string& value) {
    ASSERT_TRUE(
        host_->WriteValue(env_.policy_key, name, RegistryData{value}).ok());
  }
  void SetDword(const char* name, uint32_t value) {
    ASSERT_TRUE(
        host_->WriteValue(env_.policy_key, name, RegistryData{value}).ok());
  }
  // The minimal valid policy.
  void SetMinimalPolicy() {
    SetSz(kSettingServerAddress, "mdefleet.corp.example:7443");
    SetSz(kSettingEnrollmentSecret, kSecret);
  }
  void WriteConf(const std::string& text) { WriteFile(conf_, text); }
  void WriteFile(const std::string& path, const std::string& text) {
    ASSERT_TRUE(host_->CreateDirectories(WindowsDir(path)).ok());
    ASSERT_TRUE(host_->WriteFile(path, text).ok());
  }
  static std::string WindowsDir(const std::string& path) {
    return path.substr(0, path.find_last_of('\\'));
  }
  // `name` in the directory for extra files.
  std::string FilePath(const std::string& name) const {
    return absl::StrCat(env_.files_dir, "\\", name);
  }
  // "GPO setting <name> (HKLM\\<key>)".
  std::string Gpo(const char* name) const {
    return absl::StrCat("GPO setting ", name, " ", where_);
  }

  absl::StatusOr<RunnerConfig> Load() { return Load(*host_); }
  absl::StatusOr<RunnerConfig> Load(Host& host) {
    return LoadRunnerConfig(host, env_.sources);
  }
  // The error message of loading, checking it never carries the secret.
  std::string LoadError(
      absl::StatusCode expected_code = absl::StatusCode::kInvalidArgument) {
    auto config = Load();
    EXPECT_FALSE(config.ok());
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), expected_code) << config.status();
    const std::string message(config.status().message());
    EXPECT_FALSE(absl::StrContains(message, "S3cr3tValue")) << message;
    return message;
  }

  TempDir dir_;
  ConfigTestEnv env_;
  Host* host_ = nullptr;
  std::string where_;
  std::string conf_;
};

TEST_F(RunnerConfigTest, FullGroupPolicy) {
  SetMinimalPolicy();
  SetSz(kSettingLabels, "site=tokyo, role=web,ou=Servers.Tier1");
  SetDword(kSettingPollWaitSeconds, 45);
  SetDword(kSettingMaxBackoffSeconds, 120);
  SetSz(kSettingStateDirectory, "D:/mdefleet//state\\");
  WriteFile(FilePath("ca.pem"),
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  SetSz(kSettingCaCertificatePath, FilePath("ca.pem"));

  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, RunnerConfigSource::kGroupPolicy);
  EXPECT_EQ(config->server_address, "mdefleet.corp.example:7443");
  EXPECT_EQ(config->enrollment_secret, kSecret);
  EXPECT_EQ(config->labels,
            (std::map<std::string, std::string>{
                {"ou", "Servers.Tier1"}, {"role", "web"}, {"site", "tokyo"}}));
  EXPECT_EQ(config->poll_wait, absl::Seconds(45));
  EXPECT_EQ(config->max_backoff, absl::Seconds(120));
  EXPECT_EQ(config->state_directory, "D:\\mdefleet\\state");
  EXPECT_EQ(config->ca_certificate_path, FilePath("ca.pem"));
  EXPECT_CONTAINS(config->ca_certificate_pem, "BEGIN CERTIFICATE");

  const std::string described = DescribeRunnerConfig(*config);
  EXPECT_CONTAINS(described, absl::StrCat("Group Policy ", where_));
  EXPECT_CONTAINS(described, "mdefleet.corp.example:7443");
  EXPECT_CONTAINS(described, "role=web");
  EXPECT_CONTAINS(described, "enrollment secret set (not shown)");
  EXPECT_FALSE(absl::StrContains(described, "S3cr3t")) << described;
}

TEST_F(RunnerConfigTest, DefaultsForOptionalSettings) {
  SetMinimalPolicy();
  SetSz(kSettingLabels, "");  // an enabled policy with an empty text
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->labels.empty());
  EXPECT_EQ(config->poll_wait, absl::Seconds(30));
  EXPECT_EQ(config->max_backoff, absl::Seconds(30));
  EXPECT_EQ(config->state_directory, kDefaultRunnerStateDirectory);
  EXPECT_TRUE(config->ca_certificate_path.empty());
}

TEST_F(RunnerConfigTest, MissingRequiredPolicySettingsAreNamed) {
  SetDword(kSettingPollWaitSeconds, 30);  // the key exists, nothing else
  const std::string message = LoadError();
  EXPECT_CONTAINS(message, Gpo(kSettingServerAddress) + " is missing");
  EXPECT_CONTAINS(message, Gpo(kSettingEnrollmentSecret) + " is missing");
  EXPECT_CONTAINS(message, "2 problems");
}

TEST_F(RunnerConfigTest, EmptyRequiredPolicySetting) {
  SetMinimalPolicy();
  SetSz(kSettingServerAddress, "  ");
  EXPECT_CONTAINS(LoadError(), Gpo(kSettingServerAddress) + " is empty");
}

TEST_F(RunnerConfigTest, PolicyRangesAndTypes) {
  SetMinimalPolicy();
  SetDword(kSettingPollWaitSeconds, 500);
  SetDword(kSettingMaxBackoffSeconds, 0);
  std::string message = LoadError();
  EXPECT_CONTAINS(message,
                  Gpo(kSettingPollWaitSeconds) + " must be 1..300 (got 500)");
  EXPECT_CONTAINS(message,
                  Gpo(kSettingMaxBackoffSeconds) + " must be 1..3600 (got 0)");

  SetSz(kSettingPollWaitSeconds, "30");
  SetDword(kSettingMaxBackoffSeconds, 10);
  EXPECT_CONTAINS(LoadError(), Gpo(kSettingPollWaitSeconds) +
                                   " must be a REG_DWORD, not REG_SZ");

  SetDword(kSettingPollWaitSeconds, 30);
  SetDword(kSettingServerAddress, 7443);
  EXPECT_CONTAINS(LoadError(), Gpo(kSettingServerAddress) +
                                   " must be a REG_SZ, not REG_DWORD");
}

TEST_F(RunnerConfigTest, BadSecretIsRefusedWithoutEchoingIt) {
  SetMinimalPolicy();
  SetSz(kSettingEnrollmentSecret, "S3cr3tValue but not an enrollment secret");
  const std::string message = LoadError();
  EXPECT_CONTAINS(message, Gpo(kSettingEnrollmentSecret) +
                               " is not an mdefleet enrollment secret");
  EXPECT_CONTAINS(message, "the value is not shown");
}

TEST_F(RunnerConfigTest, UnreadableSettingIsRefused) {
  SetMinimalPolicy();
  FailingHost failing(*host_);
  failing.failing_values = {kSettingEnrollmentSecret};
  auto config = Load(failing);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(config.status())) << config.status();
  EXPECT_CONTAINS(
      config.status().message(),
      Gpo(kSettingEnrollmentSecret) + " cannot be read: access denied (test)");

  failing.failing_values.clear();
  failing.fail_key_exists = true;
  config = Load(failing);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(config.status()));
  EXPECT_CONTAINS(
      config.status().message(),
      absl::StrCat("cannot read the Group Policy key HKLM\\", env_.policy_key));
}

TEST_F(RunnerConfigTest, SecretsInLowerLayerMessagesAreRedacted) {
  SetMinimalPolicy();
  FailingHost failing(*host_);
  failing.failing_values = {kSettingLabels};
  failing.error = absl::DataLossError(
      absl::StrCat("odd value near ", kSecret, " in the hive"));
  auto config = Load(failing);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsDataLoss(config.status()));
  EXPECT_FALSE(absl::StrContains(config.status().message(), "S3cr3t"));
  EXPECT_CONTAINS(config.status().message(), "mdf_enroll_<redacted> in the");
}

TEST_F(RunnerConfigTest, PolicyWinsOverTheFile) {
  SetMinimalPolicy();
  WriteConf("ServerAddress = other:1\nEnrollmentSecret = mdf_enroll_x\n");
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, RunnerConfigSource::kGroupPolicy);
  EXPECT_EQ(config->server_address, "mdefleet.corp.example:7443");
}

TEST_F(RunnerConfigTest, EmptiedPolicyKeyFallsBackToTheFile) {
  // An unlinked GPO: Group Policy removed the values, the key stays.
  SetMinimalPolicy();
  ASSERT_TRUE(host_->DeleteValue(env_.policy_key, kSettingServerAddress).ok());
  ASSERT_TRUE(
      host_->DeleteValue(env_.policy_key, kSettingEnrollmentSecret).ok());
  ASSERT_TRUE(*host_->KeyExists(env_.policy_key));
  EXPECT_TRUE(absl::IsNotFound(Load().status()));
  WriteConf("ServerAddress = file:1\nEnrollmentSecret = mdf_enroll_x\n");
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, RunnerConfigSource::kConfigFile);
  EXPECT_EQ(config->server_address, "file:1");
}

TEST_F(RunnerConfigTest, PolicyKeyForTestIsTheOnlyKeyRead) {
  SetMinimalPolicy();
  RunnerConfigSources sources = env_.sources;
  sources.policy_key_for_test = env_.policy_key + "-other";
  auto config = LoadRunnerConfig(*host_, sources);
  // Nothing under the other key, and no file: no configuration.
  EXPECT_TRUE(absl::IsNotFound(config.status())) << config.status();
  EXPECT_CONTAINS(config.status().message(),
                  absl::StrCat("HKLM\\", env_.policy_key, "-other"));
}

TEST_F(RunnerConfigTest, ConfigFile) {
  WriteConf(
      "\xEF\xBB\xBF# mdefleet runner configuration\r\n"
      "serveraddress = mdefleet.corp.example:7443\r\n"
      "\r\n"
      "; the secret\r\n"
      "EnrollmentSecret = \"" +
      std::string(kSecret) +
      "\"\r\n"
      "Labels = site=osaka,role=db\r\n"
      "PollWaitSeconds = 20\r\n"
      "StateDirectory = C:\\mdefleet\\state\r\n");
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, RunnerConfigSource::kConfigFile);
  EXPECT_EQ(config->source_description, conf_);
  EXPECT_EQ(config->server_address, "mdefleet.corp.example:7443");
  EXPECT_EQ(config->enrollment_secret, kSecret);
  EXPECT_EQ(config->labels.at("site"), "osaka");
  EXPECT_EQ(config->poll_wait, absl::Seconds(20));
  EXPECT_EQ(config->state_directory, "C:\\mdefleet\\state");
}

TEST_F(RunnerConfigTest, ConfigFileErrorsNameTheLine) {
  WriteConf(
      "ServerAddress = h:1\n"
      "EnrollmentSecret = " +
      std::string(kSecret) +
      "\n"
      "PollWaitSeconds = 500\n"
      "MaxBackoffSeconds = soon\n"
      "Colour = blue\n"
      "ServerAddress = h:2\n"
      "EnrollmentSecret " +
      std::string(kSecret) + "\n" + std::string(kSecret) + "=x\n");
  const std::string message = LoadError();
  EXPECT_CONTAINS(message,
                  conf_ + " line 3: PollWaitSeconds must be 1..300 (got 500)");
  EXPECT_CONTAINS(message, conf_ +
                               " line 4: MaxBackoffSeconds must be a whole "
                               "number 1..3600 (got \"soon\")");
  EXPECT_CONTAINS(message, conf_ +
                               " line 5: unknown setting \"Colour\" (known: "
                               "ServerAddress,");
  EXPECT_CONTAINS(message, conf_ +
                               " line 6: ServerAddress is set twice (first "
                               "on line 1)");
  EXPECT_CONTAINS(
      message, conf_ + " line 7: expected \"Name = value\" (line not shown)");
  EXPECT_CONTAINS(message, conf_ + " line 8: unknown setting (name not shown)");
  EXPECT_CONTAINS(message, "6 problems");
}

TEST_F(RunnerConfigTest, ConfigFileMissingSetting) {
  WriteConf("EnrollmentSecret = " + std::string(kSecret) + "\n");
  EXPECT_CONTAINS(LoadError(), conf_ + ": ServerAddress is missing");
}

TEST_F(RunnerConfigTest, NoConfigurationAtAll) {
  const std::string message = LoadError(absl::StatusCode::kNotFound);
  EXPECT_CONTAINS(message, absl::StrCat("HKLM\\", env_.policy_key));
  EXPECT_CONTAINS(message, conf_);
}

TEST_F(RunnerConfigTest, UnreadableConfigFile) {
  WriteConf("ServerAddress = h:1\n");
  FailingHost failing(*host_);
  failing.failing_files = {conf_};
  auto config = Load(failing);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(config.status()));
  EXPECT_CONTAINS(config.status().message(), "cannot read " + conf_);
}

TEST_F(RunnerConfigTest, OtherConfigFile) {
  const std::string other = FilePath("r.conf");
  WriteFile(other,
            "ServerAddress = [fd00::1]:7443\n"
            "EnrollmentSecret = mdf_enroll_abc\n");
  RunnerConfigSources sources = env_.sources;
  sources.config_file = other;
  auto config = LoadRunnerConfig(*host_, sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server_address, "[fd00::1]:7443");
  EXPECT_EQ(config->source_description, other);
}

TEST_F(RunnerConfigTest, CaCertificateMustBeAReadablePemFile) {
  SetMinimalPolicy();
  SetSz(kSettingCaCertificatePath, FilePath("absent.pem"));
  EXPECT_CONTAINS(LoadError(), Gpo(kSettingCaCertificatePath) + " names " +
                                   FilePath("absent.pem") +
                                   ", which does not exist");

  WriteFile(FilePath("ca.pem"), "not a cert");
  SetSz(kSettingCaCertificatePath, FilePath("ca.pem"));
  EXPECT_CONTAINS(LoadError(), "which is not a PEM certificate file");

  FailingHost failing(*host_);
  failing.failing_files = {FilePath("ca.pem")};
  auto config = Load(failing);
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(config.status()));
  EXPECT_CONTAINS(config.status().message(), "which cannot be read");

  SetSz(kSettingCaCertificatePath, "ca.pem");
  EXPECT_CONTAINS(LoadError(), "must be an absolute path on a local drive");
}

TEST_F(RunnerConfigTest, ServerAddressForms) {
  SetMinimalPolicy();
  for (const char* good :
       {"a:1", "mdefleet.corp.example:7443", "10.0.0.5:65535", "[::1]:7443",
        "[fd00::10]:443", "host_1-a.example:80"}) {
    SetSz(kSettingServerAddress, good);
    auto config = Load();
    EXPECT_TRUE(config.ok()) << good << ": " << config.status();
  }
  for (const char* bad :
       {"mdefleet.corp.example", "a b:1", ":7443", "a:0", "a:70000", "::1:7443",
        "[::1]7443", "a:12x", "https://a:1"}) {
    SetSz(kSettingServerAddress, bad);
    EXPECT_CONTAINS(LoadError(), "must be host:port") << bad;
  }
}

TEST_F(RunnerConfigTest, StateDirectoryMustBeAbsoluteAndPlain) {
  SetMinimalPolicy();
  for (const char* bad : {"state", "\\\\server\\share\\state", "C:state",
                          "C:\\a\\..\\Windows", "C:\\a?b"}) {
    SetSz(kSettingStateDirectory, bad);
    EXPECT_CONTAINS(LoadError(),
                    Gpo(kSettingStateDirectory) + " must be an absolute path")
        << bad;
  }
}

TEST_F(RunnerConfigTest, LabelsAreValidated) {
  SetMinimalPolicy();
  SetSz(kSettingLabels, "site=tokyo,role");
  EXPECT_CONTAINS(
      LoadError(),
      Gpo(kSettingLabels) + " is invalid: expected key=value, got \"role\"");
}

TEST_F(RunnerConfigTest, DefenderTlsRootsAreThumbprints) {
  SetMinimalPolicy();
  auto none = Load();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->defender_tls_roots.empty());
  SetSz(kSettingDefenderTlsRoots,
        "8f:43:28:8a:d2:72:f3:10:3b:6f:b1:42:84:85:ea:30:14:c0:bc:fe, "
        "0123456789ABCDEF0123456789abcdef01234567");
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(
      config->defender_tls_roots,
      (std::vector<std::string>{"8F43288AD272F3103B6FB1428485EA3014C0BCFE",
                                "0123456789ABCDEF0123456789ABCDEF01234567"}));
  EXPECT_CONTAINS(DescribeRunnerConfig(*config),
                  "extra Defender TLS roots 8F43288AD272F3103B6FB1428485EA30"
                  "14C0BCFE,");
  SetSz(kSettingDefenderTlsRoots, "8F43288AD272");
  EXPECT_CONTAINS(LoadError(),
                  Gpo(kSettingDefenderTlsRoots) +
                      " is invalid: \"8F43288AD272\" has 12 hex digits; a "
                      "SHA-1 thumbprint has 40");
  SetSz(kSettingDefenderTlsRoots, "Contoso Inspection Root");
  EXPECT_CONTAINS(LoadError(), "is not a SHA-1 thumbprint (40 hex digits)");
}

TEST(DefenderTlsRootsTest, PublicRootsAreKnownAndExtrasAdd) {
  EXPECT_TRUE(
      IsDefenderPublicRoot("DF3C24F9BFD666761B268073FE06D1CC8D4F82A4", {}));
  const std::string inspection = "0123456789ABCDEF0123456789ABCDEF01234567";
  EXPECT_FALSE(IsDefenderPublicRoot(inspection, {}));
  EXPECT_TRUE(IsDefenderPublicRoot(inspection, {inspection}));
  for (const PublicRoot& root : kDefenderPublicRoots) {
    auto normalized = NormalizeThumbprint(root.sha1);
    ASSERT_TRUE(normalized.ok()) << root.name;
    EXPECT_EQ(*normalized, root.sha1) << root.name;
  }
}

TEST(RunnerSettingSpecsTest, NamesAreUniqueAndRangesSane) {
  std::set<std::string> names;
  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    if (spec.type == RunnerSettingType::kDword) {
      EXPECT_LE(spec.min_value, spec.max_value) << spec.name;
      EXPECT_GE(spec.min_value, 1u) << spec.name;
    }
  }
  EXPECT_EQ(names.size(), 8u);
}

}  // namespace
}  // namespace mdefleet::runner
