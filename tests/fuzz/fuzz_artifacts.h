// Stand-ins for Microsoft's files (the markers the real ones carry, no tenant
// data), shared by poll_tasks_fuzzer, which serves them to the runner, and
// seedgen, which writes seed plans that fetch them by their SHA-256.
#ifndef MDEFLEET_TESTS_FUZZ_FUZZ_ARTIFACTS_H_
#define MDEFLEET_TESTS_FUZZ_FUZZ_ARTIFACTS_H_

#include <string>
#include <vector>

namespace mdefleet::fuzz {

inline constexpr char kOffboardingScriptName[] =
    "WindowsDefenderATPOffboardingScript_valid_until_2099-12-31.cmd";

inline const std::string& InstallPs1Content() {
  static const std::string* s =
      new std::string("# Install.ps1 (stand-in for mdefordownlevelserver)\r\n");
  return *s;
}
inline const std::string& MsiContent() {
  static const std::string* s =
      new std::string("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 md4ws.msi", 18);
  return *s;
}
inline const std::string& OnboardingScriptContent() {
  static const std::string* s = new std::string(
      "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
      "Advanced Threat Protection\" /v OnboardingInfo /t REG_SZ /f /d "
      "\"{\\\"body\\\":\\\"stand-in-tenant-data\\\"}\"\r\n");
  return *s;
}
inline const std::string& OffboardingScriptContent() {
  static const std::string* s = new std::string(
      "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
      "Advanced Threat Protection\" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A "
      "/t REG_SZ /f /d \"{}\"\r\n");
  return *s;
}
// Every stand-in, for the fetcher.
inline std::vector<std::string> AllStandIns() {
  return {InstallPs1Content(), MsiContent(), OnboardingScriptContent(),
          OffboardingScriptContent()};
}

}  // namespace mdefleet::fuzz

#endif  // MDEFLEET_TESTS_FUZZ_FUZZ_ARTIFACTS_H_
