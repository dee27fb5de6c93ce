#include "common/tls/subject_alt_names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::tls {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Type = SubjectAltName::Type;

TEST(SubjectAltNamesTest, IpLiteralsAreIpEntries) {
  EXPECT_EQ(*ParseSubjectAltName("10.0.0.5", "--san"),
            (SubjectAltName{Type::kIp, "10.0.0.5"}));
  EXPECT_EQ(*ParseSubjectAltName("[FD00::10]", "--san"),
            (SubjectAltName{Type::kIp, "fd00::10"}));
}

TEST(SubjectAltNamesTest, NamesAreDnsEntries) {
  EXPECT_EQ(*ParseSubjectAltName("MDEFLEET.corp.example", "--san"),
            (SubjectAltName{Type::kDns, "mdefleet.corp.example"}));
  EXPECT_EQ(*ParseSubjectAltName("*.corp.example", "--san"),
            (SubjectAltName{Type::kDns, "*.corp.example"}));
  EXPECT_EQ(*ParseSubjectAltName("mdefleet", "--san"),
            (SubjectAltName{Type::kDns, "mdefleet"}));
}

TEST(SubjectAltNamesTest, BadNamesAreRefusedNamingTheFlag) {
  for (absl::string_view bad :
       {"", "bad name", "a,DNS:evil.example", "-lead.example", "a..b",
        "under_score.example", "http://x", "10.0.0.5:7443", "*.", "a.*.b"}) {
    auto parsed = ParseSubjectAltName(bad, "--san");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("--san \"")) << bad;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("not an IP address or a DNS name"));
  }
}

TEST(SubjectAltNamesTest, ServerNamesStartWithTheLocalOnes) {
  EXPECT_THAT(ServerNames("srv01", {{Type::kDns, "mdefleet.corp"},
                                    {Type::kIp, "127.0.0.1"}}),
              ElementsAre(SubjectAltName{Type::kDns, "localhost"},
                          SubjectAltName{Type::kIp, "127.0.0.1"},
                          SubjectAltName{Type::kIp, "::1"},
                          SubjectAltName{Type::kDns, "srv01"},
                          SubjectAltName{Type::kDns, "mdefleet.corp"}));
  EXPECT_EQ(ServerNames("", {}).size(), 3u);
  EXPECT_EQ(ServerNames("bad host", {}).size(), 3u);
}

}  // namespace
}  // namespace mdefleet::tls
