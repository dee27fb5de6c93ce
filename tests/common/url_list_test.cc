// URL lists for connectivity_test: what is accepted at upload and what the
// server plans with.
#include "common/url_list.h"

#include <string>

#include "common/artifact_validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseUrlListTest, KeepsUrlsInOrderSkippingCommentsBlanksAndDuplicates) {
  auto urls = ParseUrlList(
      "\xEF\xBB\xBF# MDE endpoints\r\n"
      "\r\n"
      "https://winatp-gw-cus.microsoft.com/test\r\n"
      "   # indented comment\n"
      "  https://us-v20.events.data.microsoft.com/ping  \n"
      "https://winatp-gw-cus.microsoft.com/test\n"
      "HTTPS://[fd00::1]:8443/x?y=1\n"
      "https://10.0.0.6/\n");
  ASSERT_TRUE(urls.ok()) << urls.status();
  EXPECT_THAT(*urls,
              ElementsAre("https://winatp-gw-cus.microsoft.com/test",
                          "https://us-v20.events.data.microsoft.com/ping",
                          "HTTPS://[fd00::1]:8443/x?y=1", "https://10.0.0.6/"));
}

// The CRL/CTL endpoints are plain HTTP (Microsoft's URL list, seed 003):
// allowed there and nowhere else.
TEST(ParseUrlListTest, PlainHttpOnlyForRevocationEndpoints) {
  auto urls = ParseUrlList(
      "https://winatp-gw-cus.microsoft.com/test\n"
      "http://crl.microsoft.com/pki/crl/products/\n"
      "HTTP://CTLDL.windowsupdate.com/msdownload/update/v3/static/trustedr/en/"
      "authrootstl.cab\n"
      "http://www.microsoft.com/pkiops/crl/\n");
  ASSERT_TRUE(urls.ok()) << urls.status();
  EXPECT_EQ(urls->size(), 4u);
  EXPECT_TRUE(IsRevocationEndpoint("http://crl.microsoft.com/pki/crl/"));
  EXPECT_TRUE(IsRevocationEndpoint("http://cp.wd.microsoft.com/"));
  EXPECT_FALSE(IsRevocationEndpoint("https://crl.microsoft.com/"));
  EXPECT_FALSE(IsRevocationEndpoint("http://crl.microsoft.com.evil.example/"));
  EXPECT_FALSE(IsRevocationEndpoint("http://evil.example/crl.microsoft.com"));
  EXPECT_FALSE(ParseUrlList("http://crl.microsoft.com@evil.example/\n").ok());
}

TEST(ParseUrlListTest, NamesTheBadLine) {
  struct Case {
    std::string content;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"https://a.example\nhttp://winatp-gw-cus.microsoft.com/test\n",
            "content: line 2: \"http://winatp-gw-cus.microsoft.com/test\" is "
            "plain HTTP, which only certificate revocation and trust list "
            "endpoints use (crl.microsoft.com, ctldl.windowsupdate.com, "
            "www.microsoft.com, cp.wd.microsoft.com)"},
           {"ftp://crl.microsoft.com/\n",
            "content: line 1: \"ftp://crl.microsoft.com/\" is not an "
            "https:// URL"},
           {"# c\nwinatp-gw-cus.microsoft.com\n",
            "content: line 2: is not an https:// URL"},
           {"https://a.example # comment\n",
            "content: line 1: \"https://a.example # comment\" contains a "
            "space"},
           {"https:///path\n",
            "content: line 1: \"https:///path\" has no host"},
           {"https://user:pw@a.example/\n",
            "content: line 1: \"https://user:pw@a.example/\" carries a user"},
           {"https://a.example:99999/\n",
            "content: line 1: \"https://a.example:99999/\": port \"99999\""},
           {"https://-bad.example/\n",
            "content: line 1: \"https://-bad.example/\": "},
           {"# only a comment\n\n", "content: no URLs"},
           {"", "content: no URLs"},
           {std::string("\xFF\xFEh\0t", 5), "content: UTF-16 text"},
       }) {
    auto urls = ParseUrlList(c.content);
    ASSERT_FALSE(urls.ok()) << c.content;
    EXPECT_EQ(urls.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(urls.status().message()),
                ::testing::StartsWith(c.error));
  }
}

TEST(ParseUrlListTest, LimitsItsSize) {
  std::string many;
  for (size_t i = 0; i <= kMaxUrlListUrls; ++i) {
    many += "https://h" + std::to_string(i) + ".example/\n";
  }
  EXPECT_EQ(ParseUrlList(many).status().message(),
            "content: line 201: more than 200 URLs; split the list into "
            "several connectivity_test jobs");
  const std::string big = "https://a.example/" + std::string(70000, 'x');
  EXPECT_THAT(ParseUrlList(big).status().message(),
              HasSubstr("a URL list may have at most 65536 bytes"));
  const std::string long_url = "https://a.example/" + std::string(3000, 'x');
  EXPECT_THAT(ParseUrlList(long_url).status().message(),
              HasSubstr("line 1: URL longer than 2048 characters"));
}

TEST(ValidateArtifactUrlListTest, RefusedAtUploadNamingTheLine) {
  const absl::CivilDay today(2025, 1, 1);
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                               "https://winatp-gw-cus.microsoft.com/test\n",
                               today)
                  .ok());
  EXPECT_EQ(
      ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                       "# list\nhttps://a.example\nftp://b.example\n", today)
          .status()
          .message(),
      "content: line 3: \"ftp://b.example\" is not an https:// URL (the "
      "sensor connects over HTTPS only; one URL per line, '#' starts a "
      "comment)");
  EXPECT_THAT(ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                               std::string("https://a\0b", 11), today)
                  .status()
                  .message(),
              HasSubstr("content: not a text file"));
}

}  // namespace
}  // namespace mdefleet
