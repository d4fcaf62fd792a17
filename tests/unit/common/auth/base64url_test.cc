#include "common/auth/base64url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace clinic::auth {
namespace {

TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(Base64UrlDecode("-_-_"), std::string("\xfb\xff\xbf"));
}

TEST(Base64UrlTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string part = all.substr(0, n);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(part)), part);
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalInput) {
  EXPECT_EQ(Base64UrlDecode("Zg=="), std::nullopt);  // Padding.
  EXPECT_EQ(Base64UrlDecode("Zm+v"), std::nullopt);  // Standard alphabet.
  EXPECT_EQ(Base64UrlDecode("Zm9v/"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm9vY"), std::nullopt);  // Impossible length.
  EXPECT_EQ(Base64UrlDecode("Zh"), std::nullopt);     // Non-zero unused bits.
  EXPECT_EQ(Base64UrlDecode("Zm9 v"), std::nullopt);
}

}  // namespace
}  // namespace clinic::auth
