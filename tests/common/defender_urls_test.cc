// The built-in Defender URL data file and the geography of onboarding
// packages (common/defender_urls.h).
#include "common/defender_urls.h"

#include <string>

#include "absl/strings/match.h"
#include "common/mde_constants.h"
#include "common/url_list.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// The reg add line of a Group Policy onboarding package, as the .cmd quotes
// it (backslash-escaped JSON inside a JSON string inside "...").
std::string PackageFor(const std::string& gateway, const std::string& geo) {
  return "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
         "Advanced Threat Protection\" /v OnboardingInfo /t REG_SZ /f /d "
         "\"{\\\"body\\\":\\\"{\\\\\\\"previousOrgIds\\\\\\\":[],"
         "\\\\\\\"orgId\\\\\\\":\\\\\\\"70737176-2fa7-4101-a5f2-"
         "d8e5f88179c4\\\\\\\",\\\\\\\"geoLocationUrl\\\\\\\":\\\\\\\"" +
         gateway +
         "\\\\\\\",\\\\\\\"datacenter\\\\\\\":\\\\\\\"EastUs3\\\\\\\","
         "\\\\\\\"vortexGeoLocation\\\\\\\":\\\\\\\"" +
         geo +
         "\\\\\\\",\\\\\\\"version\\\\\\\":\\\\\\\"1.7\\\\\\\"}\\\"}\"\r\n";
}

TEST(DefenderUrlDataTest, TheBuiltInFileParsesWithEverySectionFilled) {
  auto sections = ParseDefenderUrlData(BuiltInDefenderUrlData());
  ASSERT_TRUE(sections.ok()) << sections.status();
  for (const char* geo : {"US", "EU", "UK", "AU"}) {
    for (const char* model : {"standard", "streamlined"}) {
      const std::string name = std::string(geo) + " " + model;
      ASSERT_TRUE(sections->contains(name)) << name;
      EXPECT_FALSE(sections->at(name).empty()) << name;
    }
  }
  // Plain HTTP only for the revocation and trust list hosts.
  for (const auto& [name, urls] : *sections) {
    for (const std::string& url : urls) {
      if (absl::StartsWith(url, "http://")) {
        EXPECT_TRUE(IsRevocationEndpoint(url)) << name << ": " << url;
      }
    }
  }
  // Streamlined sections hold only the consolidated domain.
  for (const char* geo : {"US", "EU", "UK", "AU"}) {
    for (const std::string& url :
         sections->at(std::string(geo) + " streamlined")) {
      EXPECT_THAT(url, HasSubstr(".endpoint.security.microsoft.com/")) << url;
    }
  }
  // The precheck's default is the first US standard gateway.
  EXPECT_EQ(sections->at("US standard").front(), mde::kConnectivityCheckUrl);
}

TEST(DefenderUrlDataTest, BadDataNamesTheLine) {
  EXPECT_EQ(
      ParseDefenderUrlData("[WW]\nhttp://evil.example/\n").status().message(),
      "defender_urls.txt: line 2: \"http://evil.example/\" is plain "
      "HTTP, which only certificate revocation and trust list endpoints "
      "use (crl.microsoft.com, ctldl.windowsupdate.com, "
      "www.microsoft.com, cp.wd.microsoft.com); every other Defender "
      "endpoint is https://");
  EXPECT_THAT(ParseDefenderUrlData("https://a.example/\n").status().message(),
              HasSubstr("line 1: a URL before the first [section]"));
  EXPECT_THAT(ParseDefenderUrlData("[WW]\nhttps://a.example/\n[Mars]\n")
                  .status()
                  .message(),
              HasSubstr("line 3: a section is [WW]"));
  EXPECT_THAT(ParseDefenderUrlData("[US standard]\n[WW]\nhttps://a.example/\n")
                  .status()
                  .message(),
              HasSubstr("line 2: the section before has no URLs"));
  EXPECT_THAT(ParseDefenderUrlData("[US standard]\nhttps://a.example/\n")
                  .status()
                  .message(),
              HasSubstr("no [WW] section"));
}

TEST(OnboardingGeographyTest, ReadsTheGatewayAndGeoOfAPackage) {
  auto standard = ReadOnboardingGeography(
      PackageFor("https://winatp-gw-eus.microsoft.com/", "US"));
  ASSERT_TRUE(standard.has_value());
  EXPECT_EQ(standard->geo, "US");
  EXPECT_EQ(standard->gateway_url, "https://winatp-gw-eus.microsoft.com/");
  EXPECT_FALSE(standard->streamlined);
  EXPECT_EQ(ConnectivityCheckUrl(standard),
            "https://winatp-gw-eus.microsoft.com/commands/test");

  auto streamlined = ReadOnboardingGeography(PackageFor(
      "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/", "eu"));
  ASSERT_TRUE(streamlined.has_value());
  EXPECT_EQ(streamlined->geo, "EU");
  EXPECT_TRUE(streamlined->streamlined);
  EXPECT_EQ(ConnectivityCheckUrl(streamlined),
            "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/"
            "commands/test");
}

// The sample stand-in (example.invalid), a gateway on someone else's host,
// or no OnboardingInfo at all: no geography, the defaults apply.
TEST(OnboardingGeographyTest, NoMicrosoftGatewayMeansNoGeography) {
  EXPECT_FALSE(
      ReadOnboardingGeography(
          PackageFor("https://example.invalid/mdefleet-stand-in/", "XX"))
          .has_value());
  EXPECT_FALSE(ReadOnboardingGeography(
                   PackageFor("https://microsoft.com.evil.example/", "US"))
                   .has_value());
  EXPECT_FALSE(ReadOnboardingGeography(
                   PackageFor("http://winatp-gw-eus.microsoft.com/", "US"))
                   .has_value());
  EXPECT_FALSE(ReadOnboardingGeography("@echo off\r\n").has_value());
  EXPECT_EQ(ConnectivityCheckUrl(std::nullopt), mde::kConnectivityCheckUrl);
}

TEST(DefaultDefenderUrlsTest, AGeographyOutsideTheFileKeepsItsGateway) {
  const DefaultUrlSet set = DefaultDefenderUrls(
      OnboardingGeography{"CA", "https://winatp-gw-cac.microsoft.com/", false});
  ASSERT_FALSE(set.urls.empty());
  EXPECT_EQ(set.urls[0], "https://winatp-gw-cac.microsoft.com/commands/test");
  EXPECT_THAT(set.urls, Contains("https://go.microsoft.com/"));
  EXPECT_THAT(set.urls, Not(Contains(HasSubstr("winatp-gw-cus"))));
  EXPECT_THAT(set.source, HasSubstr("CA is not in the built-in list"));
}

TEST(DefaultDefenderUrlsTest, TheDefaultSetFitsAUrlList) {
  const DefaultUrlSet set = DefaultDefenderUrls(std::nullopt);
  EXPECT_LE(set.urls.size(), kMaxUrlListUrls);
  EXPECT_GT(set.urls.size(), 40u);
}

}  // namespace
}  // namespace mdefleet
