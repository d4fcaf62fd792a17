#include "services/patient/domain/text.h"

#include <gtest/gtest.h>

#include <string>

namespace clinic::patient::domain {
namespace {

TEST(TextTest, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Zoë Ł 日本 \xF0\x9F\x98\x80"));  // 2-, 3- and 4-byte forms
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBD"));                 // a real U+FFFD
}

TEST(TextTest, InvalidUtf8) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\xFF"));
}

TEST(TextTest, CodePointCountCountsCharactersNotBytes) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("abc"), 3u);
  EXPECT_EQ(CodePointCount("é"), 1u);
  EXPECT_EQ(std::string("é").size(), 2u);
  EXPECT_EQ(CodePointCount("日本"), 2u);
  EXPECT_EQ(CodePointCount("\xF0\x9F\x98\x80"), 1u);
}

TEST(TextTest, TrimSpaceRemovesUnicodeSpaceAtBothEndsOnly) {
  EXPECT_EQ(TrimSpace("  Ann  "), "Ann");
  EXPECT_EQ(TrimSpace("\t\n Ann Lee \r"), "Ann Lee");
  EXPECT_EQ(TrimSpace("\xC2\xA0"
                      "Ann"
                      "\xE2\x80\x83"),
            "Ann");  // NBSP, em space
  EXPECT_EQ(TrimSpace("\xEF\xBB\xBF"
                      "Ann"
                      "\xE2\x80\x8B"),
            "Ann");  // BOM, zero width space
  EXPECT_EQ(TrimSpace("   "), "");
  EXPECT_EQ(TrimSpace(""), "");
  EXPECT_EQ(TrimSpace("Ann"), "Ann");
}

TEST(TextTest, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacter("Ann Lee"));
  EXPECT_TRUE(HasControlCharacter(std::string("A\0B", 3)));
  EXPECT_TRUE(HasControlCharacter("A\nB"));
  EXPECT_FALSE(HasControlCharacter("A\nB\tC\r", /*allow_line_breaks=*/true));
  EXPECT_TRUE(
      HasControlCharacter("A\x1B"
                          "B",
                          /*allow_line_breaks=*/true));  // ESC
  EXPECT_TRUE(HasControlCharacter("A\x7F"));
  EXPECT_TRUE(HasControlCharacter("A\xC2\x85"));  // C1 NEL
}

TEST(TextTest, AppendUtf8RoundTrips) {
  for (char32_t c : {U'a', U'\u00E9', U'\u65E5', U'\U0001F600'}) {
    std::string s;
    AppendUtf8(c, s);
    char32_t decoded = 0;
    ForEachCodePoint(s, [&](char32_t d, std::size_t, std::size_t) { decoded = d; });
    EXPECT_EQ(decoded, c);
    EXPECT_EQ(CodePointCount(s), 1u);
  }
}

}  // namespace
}  // namespace clinic::patient::domain
