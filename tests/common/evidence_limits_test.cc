#include "common/evidence_limits.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(EvidenceLimits, NamesAreFileNamesOnly) {
  for (const char* good : {"stdout.txt", "install-SRV01.log",
                           "InstallPS1-SRV01.231205T101010123+0900.log"}) {
    EXPECT_TRUE(IsValidEvidenceName(good)) << good;
  }
  for (const std::string& bad :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"),
        std::string("a\\b"), std::string("C:x"), std::string("a\nb"),
        std::string(129, 'a')}) {
    EXPECT_FALSE(IsValidEvidenceName(bad)) << bad;
  }
}

TEST(EvidenceLimits, AnUploadNeedsATaskAndAtLeastOneFile) {
  v1::UploadEvidenceRequest r;
  EXPECT_THAT(ValidateEvidenceUpload(r).message(), HasSubstr("task_id"));
  r.set_task_id("t1");
  EXPECT_THAT(ValidateEvidenceUpload(r).message(),
              HasSubstr("files: at least"));
  v1::EvidenceFile* f = r.add_files();
  f->set_name("a.log");
  EXPECT_THAT(ValidateEvidenceUpload(r).message(),
              HasSubstr("files[0].gzip_content: empty"));
  f->set_gzip_content("x");
  EXPECT_TRUE(ValidateEvidenceUpload(r).ok());
  f->set_gzip_content(std::string(kMaxEvidenceUploadBytes + 1, 'x'));
  EXPECT_THAT(ValidateEvidenceUpload(r).message(),
              HasSubstr("bytes compressed; at most"));
}

}  // namespace
}  // namespace mdefleet
