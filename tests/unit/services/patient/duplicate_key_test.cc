#include "services/patient/domain/duplicate_key.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>

namespace clinic::patient::domain {
namespace {

v1::Patient Person() {
  v1::Patient p;
  p.set_given_name("Zoë");
  p.set_family_name("O'Brien");
  p.mutable_birth_date()->set_year(1980);
  p.mutable_birth_date()->set_month(3);
  p.mutable_birth_date()->set_day(1);
  p.set_phone_number("+447700900123");
  p.set_email("zoe@example.org");
  return p;
}

TEST(DuplicateKeyTest, KeyParts) {
  const DuplicateKey key = MakeDuplicateKey(Person());
  EXPECT_EQ(key.given_name, "zoe");
  EXPECT_EQ(key.family_name, "o'brien");
  EXPECT_EQ(key.birth_date, "1980-03-01");
  EXPECT_EQ(key.phone_number, "+447700900123");
  EXPECT_EQ(key.email, "zoe@example.org");
}

TEST(DuplicateKeyTest, MissingPartsAreEmpty) {
  v1::Patient p;
  p.set_given_name("Ann");
  const DuplicateKey key = MakeDuplicateKey(p);
  EXPECT_EQ(key.birth_date, "");
  EXPECT_EQ(key.phone_number, "");
  EXPECT_EQ(key.email, "");
  EXPECT_FALSE(IsSamePerson(key, key));  // no birth date: never a duplicate
}

struct Variant {
  std::string name;
  std::function<void(v1::Patient&)> change;
  bool same_person;
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class DuplicateVariantTest : public ::testing::TestWithParam<Variant> {};

TEST_P(DuplicateVariantTest, Decides) {
  v1::Patient other = Person();
  GetParam().change(other);
  const DuplicateKey a = MakeDuplicateKey(Person());
  const DuplicateKey b = MakeDuplicateKey(other);
  EXPECT_EQ(IsSamePerson(a, b), GetParam().same_person);
  EXPECT_EQ(IsSamePerson(b, a), GetParam().same_person);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DuplicateVariantTest,
    ::testing::Values(
        Variant{"Identical", [](v1::Patient&) {}, true},
        Variant{"CaseAccentsAndSpaces",
                [](v1::Patient& p) {
                  p.set_given_name("  ZOE ");
                  p.set_family_name(
                      "o\xE2\x80\x99"
                      "brien");
                },
                true},
        Variant{"FormattedPhone", [](v1::Patient& p) { p.set_phone_number("+44 7700 900-123"); },
                true},
        Variant{"EmailCase", [](v1::Patient& p) { p.set_email("ZOE@Example.org"); }, true},
        Variant{"SamePhoneOtherEmail", [](v1::Patient& p) { p.set_email("other@example.org"); },
                true},
        Variant{"SameEmailNoPhone", [](v1::Patient& p) { p.clear_phone_number(); }, true},
        Variant{"NoSharedContact",
                [](v1::Patient& p) {
                  p.set_phone_number("+447700900999");
                  p.set_email("other@example.org");
                },
                false},
        Variant{"BothContactsEmpty",
                [](v1::Patient& p) {
                  p.clear_phone_number();
                  p.set_email("other@example.org");
                },
                false},
        Variant{"OtherBirthDate", [](v1::Patient& p) { p.mutable_birth_date()->set_day(2); },
                false},
        Variant{"OtherGivenName", [](v1::Patient& p) { p.set_given_name("Zoey"); }, false},
        Variant{"NamesSwapped",
                [](v1::Patient& p) {
                  p.set_given_name("O'Brien");
                  p.set_family_name("Zoë");
                },
                false}),
    [](const ::testing::TestParamInfo<Variant>& param_info) { return param_info.param.name; });

TEST(DuplicateKeyTest, EmptyContactsNeverMatch) {
  v1::Patient a = Person();
  a.clear_phone_number();
  a.clear_email();
  EXPECT_FALSE(IsSamePerson(MakeDuplicateKey(a), MakeDuplicateKey(a)));
}

}  // namespace
}  // namespace clinic::patient::domain
