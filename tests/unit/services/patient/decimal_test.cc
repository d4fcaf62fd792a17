#include "services/patient/domain/decimal.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace clinic::patient::domain {
namespace {

Decimal D(const std::string& text) {
  std::optional<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(Decimal());
}

TEST(DecimalTest, ParsesTheContractSyntax) {
  for (const char* text : {"0", "1", "-2", "0.5", "245.5", "1.355", "007", "180.000",
                           "123456789012345678", "0.000000000000000001", "-0"}) {
    EXPECT_TRUE(Decimal::Parse(text).has_value()) << text;
  }
}

TEST(DecimalTest, RejectsEverythingElse) {
  for (const char* text : {"", "-", ".5", "5.", "+1", "1e3", "1,000", " 1", "1 ", "1.2.3", "--1",
                           "abc", "1234567890123456789", "0x10", "½"}) {
    EXPECT_FALSE(Decimal::Parse(text).has_value()) << text;
  }
}

TEST(DecimalTest, SignificantDigitsIgnoreLeadingZeros) {
  EXPECT_TRUE(Decimal::Parse("000000000000000000000123").has_value());
  EXPECT_TRUE(Decimal::Parse("0.123456789012345678").has_value());
  EXPECT_FALSE(Decimal::Parse("0.1234567890123456789").has_value());
}

TEST(DecimalTest, ToStringIsTheShortestForm) {
  EXPECT_EQ(D("180.0").ToString(), "180");
  EXPECT_EQ(D("0.50").ToString(), "0.5");
  EXPECT_EQ(D("007.250").ToString(), "7.25");
  EXPECT_EQ(D("-0.0").ToString(), "0");
  EXPECT_EQ(D("-12.30").ToString(), "-12.3");
  EXPECT_EQ(D("0.001").ToString(), "0.001");
  EXPECT_EQ(D("100").ToString(), "100");
  EXPECT_EQ(Decimal().ToString(), "0");
}

TEST(DecimalTest, ComparesByValue) {
  EXPECT_EQ(D("180"), D("180.000"));
  EXPECT_LT(D("179.99"), D("180"));
  EXPECT_GT(D("180.01"), D("180"));
  EXPECT_LT(D("-5"), D("-4.9"));
  EXPECT_LT(D("-0.1"), D("0"));
  EXPECT_GT(D("10"), D("9.999999"));
  EXPECT_LT(D("0.18"), D("0.2"));
  EXPECT_EQ(D("0"), D("-0"));
}

TEST(DecimalTest, Predicates) {
  EXPECT_TRUE(D("0").is_zero());
  EXPECT_FALSE(D("0").is_positive());
  EXPECT_TRUE(D("0.001").is_positive());
  EXPECT_TRUE(D("-1").is_negative());
  EXPECT_FALSE(D("-0").is_negative());
}

TEST(DecimalTest, MultiplyRatioIsExactWhenTerminating) {
  EXPECT_EQ(D("132.85").MultiplyRatio(1355, 1000, 4).ToString(), "180.01175");
  EXPECT_EQ(D("0.18").MultiplyRatio(1000, 1, 4).ToString(), "180");
  EXPECT_EQ(D("180").MultiplyRatio(1, 1000, 4).ToString(), "0.18");
  EXPECT_EQ(D("1").MultiplyRatio(1, 1024, 4).ToString(), "0.0009765625");  // beyond 4 digits
  EXPECT_EQ(D("0.123456").MultiplyRatio(1, 1, 2).ToString(), "0.123456");  // never rounded
}

TEST(DecimalTest, MultiplyRatioRoundsHalfAwayFromZeroOtherwise) {
  EXPECT_EQ(D("1").MultiplyRatio(1, 3, 4).ToString(), "0.3333");
  EXPECT_EQ(D("2").MultiplyRatio(1, 3, 4).ToString(), "0.6667");
  EXPECT_EQ(D("-2").MultiplyRatio(1, 3, 4).ToString(), "-0.6667");
  EXPECT_EQ(D("180").MultiplyRatio(1000, 1355, 4).ToString(), "132.8413");
  EXPECT_EQ(D("1").MultiplyRatio(1, 3, 0).ToString(), "0");
  EXPECT_EQ(D("0.99999").MultiplyRatio(1, 3, 0).ToString(), "0.33333");  // terminates: exact
  EXPECT_EQ(D("2.99999").MultiplyRatio(1, 3, 0).ToString(), "1");
  EXPECT_EQ(D("10").MultiplyRatio(1, 7, 1).ToString(), "1.4");
  EXPECT_EQ(D("9.99999").MultiplyRatio(1, 7, 1).ToString(), "1.42857");  // terminates: exact
  EXPECT_EQ(D("29.99999").MultiplyRatio(1, 3, 2).ToString(), "10");      // carries through 9s
}

TEST(DecimalTest, ToDouble) {
  EXPECT_DOUBLE_EQ(D("245.5").ToDouble(), 245.5);
  EXPECT_DOUBLE_EQ(D("-0.25").ToDouble(), -0.25);
}

}  // namespace
}  // namespace clinic::patient::domain
