#include "common/inert_text.h"

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

// True when `text` holds none of the characters InertText escapes, raw.
bool HasNoRawControls(const std::string& text, bool block) {
  return !FirstRefusedCharacter(text, block).has_value();
}

TEST(InertTextTest, OrdinaryTextIsUntouched) {
  const std::string samples[] = {
      "WEB-01",
      "srv-paris.corp.example",
      R"(C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection)",
      "Überwachung — サーバー 東京 Ωmega 🚀",
      "exit code 31: onboarding failed (see \"Install.ps1\" log)",
      "",
  };
  for (const std::string& s : samples) {
    EXPECT_EQ(InertText(s), s);
    EXPECT_EQ(InertText(s, InertLayout::kBlock), s);
  }
}

TEST(InertTextTest, TerminalEscapeSequencesAreShownNotActedOn) {
  // ESC [ 2 J clears the screen; OSC 0 retitles the window; BEL ends it.
  EXPECT_EQ(InertText("ok\x1b[2J\x1b]0;pwned\x07"),
            "ok\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(InertText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(InertText("del\x7f"), "del\\x7f");
}

TEST(InertTextTest, LineLayoutEscapesEveryLineBreakAndTab) {
  EXPECT_EQ(InertText("step ok\r\nWEB-02  succeeded\tforged"),
            "step ok\\r\\nWEB-02  succeeded\\tforged");
  EXPECT_EQ(InertText("\r"), "\\r");
}

TEST(InertTextTest, BlockLayoutKeepsLinesButNeverACarriageReturn) {
  EXPECT_EQ(InertText("line 1\r\nline 2\n\tindented", InertLayout::kBlock),
            "line 1\nline 2\n\tindented");
  // A lone CR would move the cursor back over the line: escaped.
  EXPECT_EQ(InertText("100%\rforged", InertLayout::kBlock), "100%\\rforged");
  EXPECT_EQ(InertText("end\r", InertLayout::kBlock), "end\\r");
  EXPECT_EQ(InertText("\r\r\n", InertLayout::kBlock), "\\r\n");
  EXPECT_EQ(InertText("x\x1b[31mred\n", InertLayout::kBlock),
            "x\\x1b[31mred\n");
}

TEST(InertTextTest, C1ControlsAreEscaped) {
  // U+009B is CSI on terminals that honour 8-bit controls; U+0085 is NEL.
  EXPECT_EQ(InertText("a\u009b2Jb"), "a\\u009b2Jb");
  EXPECT_EQ(InertText("host\u0085name"), "host\\u0085name");
  EXPECT_EQ(InertText("\u0080\u009f"), "\\u0080\\u009f");
  // U+00A0 and above are ordinary.
  EXPECT_EQ(InertText("a\u00a0b\u00e9"), "a\u00a0b\u00e9");
}

TEST(InertTextTest, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(InertText("web\u2028forged"), "web\\u2028forged");
  EXPECT_EQ(InertText("web\u2029", InertLayout::kBlock), "web\\u2029");
}

TEST(InertTextTest, BidiFormattingCharactersAreEscaped) {
  // "exe.txt" with RLO reads as "txt.exe".
  EXPECT_EQ(InertText("invoice\u202etxt.exe"), "invoice\\u202etxt.exe");
  for (char32_t cp : {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067,
                      0x2068, 0x2069, 0x200E, 0x200F, 0x061C}) {
    EXPECT_TRUE(IsRefusedFormatCharacter(cp))
        << std::hex << static_cast<uint32_t>(cp);
    EXPECT_TRUE(IsInertEscaped(cp)) << std::hex << static_cast<uint32_t>(cp);
  }
  // Neighbours are ordinary.
  for (char32_t cp : {0x2027, 0x202F, 0x2065, 0x206A, 0x200D, 0x061B}) {
    EXPECT_FALSE(IsRefusedFormatCharacter(cp))
        << std::hex << static_cast<uint32_t>(cp);
  }
}

TEST(InertTextTest, InvalidUtf8IsShownBytePerByte) {
  EXPECT_EQ(InertText("a\xff"
                      "b"),
            "a\\xffb");
  // Overlong '/', a UTF-16 surrogate, above U+10FFFF, a cut sequence.
  EXPECT_EQ(InertText("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(InertText("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(InertText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(InertText("ok\xe2\x80"), "ok\\xe2\\x80");
  // A C1 control in its (invalid) one-byte Latin-1 form.
  EXPECT_EQ(InertText("\x9b"
                      "2J"),
            "\\x9b2J");
}

TEST(InertTextTest, TheResultNeverHoldsARawControl) {
  // Every single byte and every two-byte prefix of C2/E2 sequences.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  all += "\u0085\u2028\u2029\u202e\u2066\u200f\u061c";
  EXPECT_TRUE(HasNoRawControls(InertText(all), false));
  EXPECT_TRUE(HasNoRawControls(InertText(all, InertLayout::kBlock), true));
  EXPECT_EQ(InertText(all).find('\n'), std::string::npos);
  EXPECT_EQ(InertText(all, InertLayout::kBlock).find('\r'), std::string::npos);
}

TEST(InertTextTest, FirstRefusedCharacterNamesWhatAndWhere) {
  EXPECT_EQ(FirstRefusedCharacter("WEB-01", false), std::nullopt);
  EXPECT_EQ(FirstRefusedCharacter("サーバー", false), std::nullopt);
  EXPECT_THAT(FirstRefusedCharacter("ab\u202ec", false),
              Optional(std::string(
                  "\\u202e (bidirectional formatting character) at byte 2")));
  EXPECT_THAT(FirstRefusedCharacter("a\u0085", false),
              Optional(HasSubstr("\\u0085 (C1 control character)")));
  EXPECT_THAT(FirstRefusedCharacter("a\u2028", false),
              Optional(HasSubstr("\\u2028 (line or paragraph separator)")));
  EXPECT_THAT(FirstRefusedCharacter("a\x1b", false),
              Optional(HasSubstr("\\x1b (control character)")));
  EXPECT_THAT(FirstRefusedCharacter("a\xff", false),
              Optional(HasSubstr("\\xff (not UTF-8)")));
  EXPECT_THAT(FirstRefusedCharacter("a\nb", false), Optional(HasSubstr("\\n")));
  EXPECT_EQ(FirstRefusedCharacter("a\r\nb\tc", true), std::nullopt);
  // Line breaks allowed never lets the other characters through.
  EXPECT_TRUE(FirstRefusedCharacter("a\n\u202e", true).has_value());
  EXPECT_TRUE(FirstRefusedCharacter("a\n\x1b", true).has_value());
}

TEST(InertTextTest, InertJsonEscapesInsideStringsAndKeepsTheValue) {
  const std::string json =
      "{\"hostname\": \"web\u2028x\u202e\u0085\x7f\u00e9\", \"n\": 1}";
  EXPECT_EQ(InertJson(json),
            "{\"hostname\": \"web\\u2028x\\u202e\\u0085\\u007f\u00e9\", "
            "\"n\": 1}");
  const std::string plain = "{\"a\": \"\\u001b[2J\"}";
  EXPECT_EQ(InertJson(plain), plain);
}

}  // namespace
}  // namespace mdefleet
