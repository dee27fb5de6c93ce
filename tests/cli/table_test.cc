#include "server/cli/table.h"

#include <gtest/gtest.h>

namespace mdefleet::cli {
namespace {

TEST(TableTest, AlignsColumnsAndDoesNotPadTheLastOne) {
  Table t({"ID", "HOSTNAME", "STATE"});
  t.AddRow({"1", "SIM-2019-0007", "onboarded"});
  t.AddRow({"22", "web", "not_installed"});
  EXPECT_EQ(t.Render(),
            "ID  HOSTNAME       STATE\n"
            "1   SIM-2019-0007  onboarded\n"
            "22  web            not_installed\n");
  EXPECT_EQ(t.rows(), 2u);
}

TEST(TableTest, RightAlignedNumbers) {
  Table t({"STEP", "OK", "FAILED"});
  t.SetAlign(1, Table::Align::kRight);
  t.SetAlign(2, Table::Align::kRight);
  t.SetAlign(9, Table::Align::kRight);  // ignored
  t.AddRow({"install", "120", "3"});
  t.AddRow({"verify", "7", "0"});
  EXPECT_EQ(t.Render(),
            "STEP      OK  FAILED\n"
            "install  120       3\n"
            "verify     7       0\n");
}

TEST(TableTest, MissingExtraAndMultilineCells) {
  Table t({"A", "B"});
  t.AddRow({"x"});
  t.AddRow({"y", "two\nlines\tand tab", "dropped"});
  EXPECT_EQ(t.Render(),
            "A  B\n"
            "x\n"
            "y  two\\nlines\\tand tab\n");
}

TEST(TableTest, DeviceTextIsShownInertOnOneLine) {
  Table t({"HOSTNAME", "MESSAGE"});
  t.AddRow({"WEB\u202e01", "ok\x1b]0;pwned\x07\r\nWEB-02  ok\u0085"});
  t.AddRow({"DB-01", "fine"});
  EXPECT_EQ(t.Render(),
            "HOSTNAME     MESSAGE\n"
            "WEB\\u202e01  ok\\x1b]0;pwned\\x07\\r\\nWEB-02  ok\\u0085\n"
            "DB-01        fine\n");
}

TEST(TableTest, WidthCountsUtf8CodePoints) {
  Table t({"NAME", "X"});
  t.AddRow({"東京", "1"});
  t.AddRow({"abcd", "2"});
  EXPECT_EQ(t.Render(),
            "NAME  X\n"
            "東京    1\n"
            "abcd  2\n");
  EXPECT_EQ(DisplayWidth("東京"), 2u);
}

TEST(TableTest, HeaderOnly) {
  Table t({"ID", "KIND"});
  EXPECT_EQ(t.Render(), "ID  KIND\n");
}

}  // namespace
}  // namespace mdefleet::cli
