#include "services/patient/domain/contact_address.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

namespace clinic::patient::domain {
namespace {

struct PhoneCase {
  std::string input;
  std::optional<std::string> e164;
};

void PrintTo(const PhoneCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.input); }

class PhoneTest : public ::testing::TestWithParam<PhoneCase> {};

TEST_P(PhoneTest, Normalises) {
  EXPECT_EQ(NormalisePhoneNumber(GetParam().input), GetParam().e164);
}

INSTANTIATE_TEST_SUITE_P(
    Accepted, PhoneTest,
    ::testing::Values(PhoneCase{"+447700900123", "+447700900123"},
                      PhoneCase{"  +44 7700 900123 ", "+447700900123"},
                      PhoneCase{"+44-7700-900-123", "+447700900123"},
                      PhoneCase{"+44 (0)7700 900123", "+447700900123"},  // UK trunk prefix
                      PhoneCase{"+1 (415) 555.0100", "+14155550100"},
                      PhoneCase{"+33 1/23/45/67/89", "+33123456789"},
                      PhoneCase{"+12345678", "+12345678"},                  // 8 digits
                      PhoneCase{"+123456789012345", "+123456789012345"}));  // 15 digits

INSTANTIATE_TEST_SUITE_P(
    Rejected, PhoneTest,
    ::testing::Values(
        PhoneCase{"", std::nullopt}, PhoneCase{"07700 900123", std::nullopt},
        PhoneCase{"0044 7700 900123", std::nullopt},  // no "+": country unknown
        PhoneCase{"447700900123", std::nullopt}, PhoneCase{"+1234567", std::nullopt},  // 7 digits
        PhoneCase{"+1234567890123456", std::nullopt},                                  // 16 digits
        PhoneCase{"+0447700900123", std::nullopt},  // country code 0
        PhoneCase{"+44 7700 90012a", std::nullopt}, PhoneCase{"++447700900123", std::nullopt},
        PhoneCase{"+44 (7700 900123", std::nullopt},  // unbalanced
        PhoneCase{"+44 7700) 900123", std::nullopt},
        PhoneCase{"+44 ((7700)) 900123", std::nullopt},  // nested
        PhoneCase{"+44 7700 900123 ext 5", std::nullopt}, PhoneCase{"+", std::nullopt}));

struct EmailCase {
  std::string input;
  std::optional<std::string> stored;
};

void PrintTo(const EmailCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.input); }

class EmailTest : public ::testing::TestWithParam<EmailCase> {};

TEST_P(EmailTest, Normalises) { EXPECT_EQ(NormaliseEmail(GetParam().input), GetParam().stored); }

INSTANTIATE_TEST_SUITE_P(
    Accepted, EmailTest,
    ::testing::Values(EmailCase{"ann@example.org", "ann@example.org"},
                      EmailCase{"  Ann.Lee@Example.ORG ", "Ann.Lee@example.org"},  // local kept
                      EmailCase{"ann+b12@mail.example.co.uk", "ann+b12@mail.example.co.uk"},
                      EmailCase{"o'brien@example.ie", "o'brien@example.ie"},
                      EmailCase{"zoë@exämple.de", "zoë@exämple.de"},  // UTF-8 (RFC 6531)
                      EmailCase{"a@b-c.io", "a@b-c.io"}));

INSTANTIATE_TEST_SUITE_P(
    Rejected, EmailTest,
    ::testing::Values(
        EmailCase{"", std::nullopt}, EmailCase{"ann", std::nullopt},
        EmailCase{"ann@", std::nullopt}, EmailCase{"@example.org", std::nullopt},
        EmailCase{"ann@example", std::nullopt},  // no dot in the domain
        EmailCase{"ann@@example.org", std::nullopt}, EmailCase{"ann@b@example.org", std::nullopt},
        EmailCase{"ann lee@example.org", std::nullopt}, EmailCase{"ann@exa mple.org", std::nullopt},
        EmailCase{".ann@example.org", std::nullopt}, EmailCase{"ann.@example.org", std::nullopt},
        EmailCase{"ann..lee@example.org", std::nullopt},
        EmailCase{"ann@example..org", std::nullopt}, EmailCase{"ann@.example.org", std::nullopt},
        EmailCase{"ann@example.org.", std::nullopt}, EmailCase{"ann@-example.org", std::nullopt},
        EmailCase{"ann@example-.org", std::nullopt}, EmailCase{"ann@exam_ple.org", std::nullopt},
        EmailCase{"ann@192.168.1.1", std::nullopt}, EmailCase{"ann@[192.168.1.1]", std::nullopt},
        EmailCase{"\"ann lee\"@example.org", std::nullopt},
        EmailCase{"ann<x>@example.org", std::nullopt},
        EmailCase{"ann\x01@example.org", std::nullopt}));

TEST(EmailTest, LengthLimits) {
  const std::string local64(64, 'a');
  EXPECT_TRUE(NormaliseEmail(local64 + "@example.org").has_value());
  EXPECT_FALSE(NormaliseEmail(local64 + "a@example.org").has_value());
  const std::string label63(63, 'b');
  EXPECT_TRUE(NormaliseEmail("a@" + label63 + ".org").has_value());
  EXPECT_FALSE(NormaliseEmail("a@" + label63 + "b.org").has_value());
  // 254 octets in all is the most; 255 is too long.
  const std::string domain = std::string(63, 'c') + "." + std::string(63, 'd') + "." +
                             std::string(63, 'e') + "." + std::string(57, 'f');  // 249
  EXPECT_EQ(domain.size(), 249u);
  EXPECT_TRUE(NormaliseEmail("abcd@" + domain).has_value());    // 254
  EXPECT_FALSE(NormaliseEmail("abcde@" + domain).has_value());  // 255
}

TEST(EmailTest, KeyIsCaseInsensitive) {
  EXPECT_EQ(EmailKey("Ann.Lee@Example.org"), EmailKey("ann.lee@example.ORG"));
  EXPECT_EQ(EmailKey("Ann.Lee@Example.org"), "ann.lee@example.org");
  EXPECT_EQ(EmailKey("not an email"), std::nullopt);
}

}  // namespace
}  // namespace clinic::patient::domain
